// grpc_client: the reference grpc++ driver for bench/e2e/grpc_vs_h2load.py. It does what
// perf_analyzer's gRPC client does: grpc++ stubs with the asynchronous CompletionQueue API
// (AsyncModelInfer + Finish), one completion-queue thread, a closed loop of S calls in flight on
// each of C channels. Each channel gets a distinct channel argument and a local subchannel pool,
// so the C channels are C TCP connections instead of one shared subchannel.
//
// Every call sends the same ModelInferRequest (SCv2's tfsimple: two INT32 [1,16] inputs INPUT0 and
// INPUT1, contents.int_contents 0..15) with the metadata `seldon-model: MODEL`. At the end it prints
//   completed N ok K failed F wall_seconds W cpu_seconds C
// where cpu_seconds is user + system CPU of the whole process (all of grpc++'s threads).
//
// --write-request FILE writes the request as one gRPC message (1-byte flag 0, 4-byte big-endian
// length, serialized ModelInferRequest) and exits: h2load sends that file as its body.
//
// Usage: grpc_client --target HOST:PORT [--connections C] [--concurrency S]
//                    (--duration SECS | --requests N) [--model tfsimple0]
//        grpc_client --write-request FILE [--model tfsimple0]

#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/completion_queue.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/async_unary_call.h>
#include <grpcpp/support/channel_arguments.h>

#include <sys/resource.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "inference.grpc.pb.h"

namespace {

struct Args {
    std::string target;
    std::string model = "tfsimple0";
    std::string write_request;
    long connections = 1;
    long concurrency = 64;
    double duration = 0;  // seconds; 0: run --requests calls instead
    long requests = 0;
};

[[noreturn]] void usage_error(const std::string& line) {
    std::cerr << "grpc_client: " << line << "\n";
    std::exit(2);
}

long parse_count(std::string_view flag, std::string_view text) {
    long value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0)
        usage_error(std::string(flag) + ": expected a non-negative integer, got '" +
                    std::string(text) + "'");
    return value;
}

Args parse(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage_error(std::string(arg) + ": missing value");
            return argv[++i];
        };
        if (arg == "--target") a.target = value();
        else if (arg == "--model") a.model = value();
        else if (arg == "--write-request") a.write_request = value();
        else if (arg == "--connections" || arg == "-c") a.connections = parse_count(arg, value());
        else if (arg == "--concurrency" || arg == "-m") a.concurrency = parse_count(arg, value());
        else if (arg == "--requests" || arg == "-n") a.requests = parse_count(arg, value());
        else if (arg == "--duration" || arg == "-d") a.duration = std::strtod(std::string(value()).c_str(), nullptr);
        else
            usage_error("unknown flag '" + std::string(arg) + "' (flags: --target HOST:PORT "
                        "--connections C --concurrency S --duration SECS --requests N --model NAME "
                        "--write-request FILE)");
    }
    if (!a.write_request.empty()) return a;
    if (a.target.empty()) usage_error("--target: required");
    if (a.connections < 1 || a.concurrency < 1) usage_error("--connections and --concurrency must be >= 1");
    if ((a.duration > 0) == (a.requests > 0)) usage_error("give exactly one of --duration and --requests");
    return a;
}

inference::ModelInferRequest tfsimple_request(const std::string& model) {
    inference::ModelInferRequest req;
    req.set_model_name(model);
    for (const char* name : {"INPUT0", "INPUT1"}) {
        auto* in = req.add_inputs();
        in->set_name(name);
        in->set_datatype("INT32");
        in->add_shape(1);
        in->add_shape(16);
        for (int v = 0; v < 16; ++v) in->mutable_contents()->add_int_contents(v);
    }
    return req;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// One call in flight. A ClientContext cannot be reused, so each call is a fresh object, as in
// perf_analyzer.
struct Call {
    std::size_t channel = 0;
    grpc::ClientContext ctx;
    inference::ModelInferResponse res;
    grpc::Status status;
    std::unique_ptr<grpc::ClientAsyncResponseReader<inference::ModelInferResponse>> reader;
};

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    const inference::ModelInferRequest req = tfsimple_request(a.model);

    if (!a.write_request.empty()) {
        const std::string body = req.SerializeAsString();
        std::string msg(5, '\0');
        const auto n = static_cast<std::uint32_t>(body.size());
        for (int i = 0; i < 4; ++i) msg[1 + i] = static_cast<char>((n >> (8 * (3 - i))) & 0xff);
        msg += body;
        std::ofstream(a.write_request, std::ios::binary) << msg;
        std::printf("wrote %zu bytes\n", msg.size());
        return 0;
    }

    std::vector<std::unique_ptr<inference::GRPCInferenceService::Stub>> stubs;
    for (long i = 0; i < a.connections; ++i) {
        grpc::ChannelArguments channel_args;
        channel_args.SetMaxReceiveMessageSize(-1);
        channel_args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
        channel_args.SetInt("grpc_client.channel_id", static_cast<int>(i));
        auto channel = grpc::CreateCustomChannel(a.target, grpc::InsecureChannelCredentials(), channel_args);
        if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
            std::cerr << "grpc_client: cannot connect to " << a.target << "\n";
            return 1;
        }
        stubs.push_back(inference::GRPCInferenceService::NewStub(channel));
    }

    grpc::CompletionQueue cq;
    long started = 0, completed = 0, ok = 0, in_flight = 0;
    const auto t0 = std::chrono::steady_clock::now();
    const auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(a.duration));
    bool stopping = false;
    const auto more = [&] {
        if (a.requests > 0) return started < a.requests;
        return !stopping;
    };
    const auto start = [&](std::size_t channel) {
        auto* call = new Call;
        call->channel = channel;
        call->ctx.AddMetadata("seldon-model", a.model);
        // The same 2-minute deadline inferload sends (k6's default): the server then arms the
        // same timer per call for every driver.
        call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::minutes(2));
        call->reader = stubs[channel]->AsyncModelInfer(&call->ctx, req, &cq);
        call->reader->Finish(&call->res, &call->status, call);
        ++started;
        ++in_flight;
    };

    for (long s = 0; s < a.concurrency; ++s)
        for (std::size_t c = 0; c < stubs.size(); ++c)
            if (more()) start(c);

    void* tag = nullptr;
    bool got = false;
    while (in_flight > 0) {
        const auto next = cq.AsyncNext(&tag, &got, std::chrono::system_clock::now() + std::chrono::milliseconds(100));
        if (a.duration > 0 && !stopping && std::chrono::steady_clock::now() >= deadline) stopping = true;
        if (next != grpc::CompletionQueue::GOT_EVENT) continue;
        auto* call = static_cast<Call*>(tag);
        --in_flight;
        ++completed;
        if (got && call->status.ok() && call->res.outputs_size() > 0) ++ok;
        const std::size_t channel = call->channel;
        delete call;
        if (more()) start(channel);
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("completed %ld ok %ld failed %ld wall_seconds %.3f cpu_seconds %.3f\n", completed, ok,
                completed - ok, wall, cpu_seconds());
    cq.Shutdown();
    while (cq.Next(&tag, &got)) {
    }
    return ok == completed ? 0 : 1;
}
