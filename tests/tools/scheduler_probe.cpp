// scheduler_probe: a grpc++ client of SCv2's scheduler API (seldon.mlops.scheduler.Scheduler)
// and of the scheduler proxy, for scv2-sim's tests. One call per run: each streamed message is
// printed as one JSON line (protobuf's JSON mapping, as SCv2's own tools print them), then the
// call's status as "status CODE" or "status CODE: message". Exits 0 whenever the call was made,
// whatever its status, so that a test can check refusals; 2 on a bad command line.

#include <google/protobuf/util/json_util.h>
#include <grpcpp/channel.h>
#include <grpcpp/client_context.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy.grpc.pb.h"
#include "scheduler.grpc.pb.h"

namespace {

namespace sched = seldon::mlops::scheduler;
namespace proxy = seldon::mlops::proxy;

constexpr const char* usage_text =
    "usage: scheduler_probe HOST:PORT COMMAND [NAME] [options]\n"
    "commands:\n"
    "  load-model NAME [--uri U] [--requirement R]... [--memory N] [--replicas N]\n"
    "  unload-model NAME\n"
    "  model-status [NAME] [--all-versions]\n"
    "  load-pipeline NAME --step MODEL...\n"
    "  unload-pipeline NAME\n"
    "  pipeline-status [NAME] [--all-versions]\n"
    "  start-experiment NAME [--default MODEL] --candidate NAME:WEIGHT... [--of-pipelines]\n"
    "  stop-experiment NAME\n"
    "  experiment-status [NAME]\n"
    "  proxy-load-model NAME [as load-model]\n"
    "  proxy-unload-model NAME\n"
    "every command: --timeout-ms MS (default 10000)\n";

[[noreturn]] void usage_error(const std::string& line) {
    std::cerr << "scheduler_probe: " << line << "\n" << usage_text;
    std::exit(2);
}

struct Args {
    std::string target;
    std::string command;
    std::optional<std::string> name;
    std::string uri;
    std::vector<std::string> requirements;
    std::optional<std::uint64_t> memory;
    std::optional<std::uint32_t> replicas;
    std::vector<std::string> steps;
    std::optional<std::string> default_model;
    std::vector<std::pair<std::string, std::uint32_t>> candidates;
    bool of_pipelines = false;
    bool all_versions = false;
    long timeout_ms = 10000;
};

template <class Int>
Int parse_number(std::string_view flag, std::string_view text) {
    Int value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size())
        usage_error(std::string(flag) + ": expected a non-negative integer, got '" +
                    std::string(text) + "'");
    return value;
}

Args parse(int argc, char** argv) {
    if (argc < 3) usage_error("HOST:PORT and COMMAND are required");
    Args a;
    a.target = argv[1];
    a.command = argv[2];
    int i = 3;
    if (i < argc && std::string_view(argv[i]).substr(0, 2) != "--") a.name = argv[i++];
    for (; i < argc; ++i) {
        const std::string_view arg = argv[i];
        const auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) usage_error(std::string(arg) + ": missing value");
            return argv[++i];
        };
        if (arg == "--uri") a.uri = value();
        else if (arg == "--requirement") a.requirements.emplace_back(value());
        else if (arg == "--memory") a.memory = parse_number<std::uint64_t>(arg, value());
        else if (arg == "--replicas") a.replicas = parse_number<std::uint32_t>(arg, value());
        else if (arg == "--step") a.steps.emplace_back(value());
        else if (arg == "--default") a.default_model = value();
        else if (arg == "--candidate") {
            const std::string_view spec = value();
            const auto colon = spec.rfind(':');
            if (colon == std::string_view::npos)
                usage_error("--candidate: expected NAME:WEIGHT, got '" + std::string(spec) + "'");
            a.candidates.emplace_back(std::string(spec.substr(0, colon)),
                                      parse_number<std::uint32_t>(arg, spec.substr(colon + 1)));
        } else if (arg == "--of-pipelines") a.of_pipelines = true;
        else if (arg == "--all-versions") a.all_versions = true;
        else if (arg == "--timeout-ms") a.timeout_ms = parse_number<long>(arg, value());
        else usage_error("unknown flag '" + std::string(arg) + "'");
    }
    const bool lists = a.command == "model-status" || a.command == "pipeline-status" ||
                       a.command == "experiment-status";
    if (!a.name && !lists) usage_error(a.command + ": NAME is required");
    return a;
}

// The load request as SCv2's k6 suite builds it: meta.name, modelSpec and deploymentSpec.
sched::LoadModelRequest load_model_request(const Args& a) {
    sched::LoadModelRequest req;
    sched::Model& model = *req.mutable_model();
    model.mutable_meta()->set_name(*a.name);
    sched::ModelSpec& spec = *model.mutable_modelspec();
    spec.set_uri(a.uri);
    for (const std::string& r : a.requirements) spec.add_requirements(r);
    if (a.memory) spec.set_memorybytes(*a.memory);
    if (a.replicas) model.mutable_deploymentspec()->set_replicas(*a.replicas);
    return req;
}

const char* code_name(grpc::StatusCode code) {
    switch (code) {
    case grpc::OK: return "OK";
    case grpc::CANCELLED: return "CANCELLED";
    case grpc::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::NOT_FOUND: return "NOT_FOUND";
    case grpc::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::INTERNAL: return "INTERNAL";
    case grpc::UNAVAILABLE: return "UNAVAILABLE";
    default: return "OTHER";
    }
}

void print_status(const grpc::Status& status) {
    std::cout << "status " << code_name(status.error_code());
    if (!status.error_message().empty()) std::cout << ": " << status.error_message();
    std::cout << std::endl;
}

void print_json(const google::protobuf::Message& message) {
    std::string line;
    if (!google::protobuf::util::MessageToJsonString(message, &line).ok())
        line = "{\"probe_error\":\"message not printable as JSON\"}";
    std::cout << line << '\n';
}

// Reads to the end of the stream, as a client must: the named form ends after one message.
template <class Response>
grpc::Status read_stream(std::unique_ptr<grpc::ClientReader<Response>> reader) {
    Response message;
    while (reader->Read(&message)) print_json(message);
    return reader->Finish();
}

grpc::Status run(const Args& a, const std::shared_ptr<grpc::Channel>& channel) {
    const auto context = [&] {
        auto ctx = std::make_unique<grpc::ClientContext>();
        ctx->set_deadline(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(a.timeout_ms));
        return ctx;
    };
    const std::string name = a.name.value_or("");
    const auto scheduler = sched::Scheduler::NewStub(channel);
    const auto scheduler_proxy = proxy::SchedulerProxy::NewStub(channel);
    const auto ctx = context();

    if (a.command == "load-model") {
        sched::LoadModelResponse res;
        return scheduler->LoadModel(ctx.get(), load_model_request(a), &res);
    }
    if (a.command == "unload-model") {
        sched::UnloadModelRequest req;
        req.mutable_model()->set_name(name);
        sched::UnloadModelResponse res;
        return scheduler->UnloadModel(ctx.get(), req, &res);
    }
    if (a.command == "model-status") {
        sched::ModelStatusRequest req;
        req.set_subscribername("scheduler_probe");
        if (a.name) req.mutable_model()->set_name(name);
        req.set_allversions(a.all_versions);
        return read_stream(scheduler->ModelStatus(ctx.get(), req));
    }
    if (a.command == "load-pipeline") {
        sched::LoadPipelineRequest req;
        sched::Pipeline& p = *req.mutable_pipeline();
        p.set_name(name);
        for (const std::string& step : a.steps) {
            p.add_steps()->set_name(step);
            p.mutable_output()->add_steps(step);
        }
        sched::LoadPipelineResponse res;
        return scheduler->LoadPipeline(ctx.get(), req, &res);
    }
    if (a.command == "unload-pipeline") {
        sched::UnloadPipelineRequest req;
        req.set_name(name);
        sched::UnloadPipelineResponse res;
        return scheduler->UnloadPipeline(ctx.get(), req, &res);
    }
    if (a.command == "pipeline-status") {
        sched::PipelineStatusRequest req;
        req.set_subscribername("scheduler_probe");
        if (a.name) req.set_name(name);
        req.set_allversions(a.all_versions);
        return read_stream(scheduler->PipelineStatus(ctx.get(), req));
    }
    if (a.command == "start-experiment") {
        sched::StartExperimentRequest req;
        sched::Experiment& e = *req.mutable_experiment();
        e.set_name(name);
        if (a.default_model) e.set_default_(*a.default_model);
        for (const auto& [candidate, weight] : a.candidates) {
            sched::ExperimentCandidate& c = *e.add_candidates();
            c.set_name(candidate);
            c.set_weight(weight);
        }
        if (a.of_pipelines) e.set_resourcetype(sched::PIPELINE);
        sched::StartExperimentResponse res;
        return scheduler->StartExperiment(ctx.get(), req, &res);
    }
    if (a.command == "stop-experiment") {
        sched::StopExperimentRequest req;
        req.set_name(name);
        sched::StopExperimentResponse res;
        return scheduler->StopExperiment(ctx.get(), req, &res);
    }
    if (a.command == "experiment-status") {
        sched::ExperimentStatusRequest req;
        req.set_subscribername("scheduler_probe");
        if (a.name) req.set_name(name);
        return read_stream(scheduler->ExperimentStatus(ctx.get(), req));
    }
    if (a.command == "proxy-load-model") {
        proxy::LoadModelRequest req;
        *req.mutable_request() = load_model_request(a);
        proxy::LoadModelResponse res;
        return scheduler_proxy->LoadModel(ctx.get(), req, &res);
    }
    if (a.command == "proxy-unload-model") {
        proxy::UnloadModelRequest req;
        req.mutable_model()->set_name(name);
        proxy::UnloadModelResponse res;
        return scheduler_proxy->UnloadModel(ctx.get(), req, &res);
    }
    usage_error("unknown command '" + a.command + "'");
}

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    const auto channel = grpc::CreateChannel(a.target, grpc::InsecureChannelCredentials());
    print_status(run(a, channel));
    return 0;
}
