#include "grpc_server.hpp"

#include <grpcpp/alarm.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "grpc_validate.hpp"
#include "infer_echo_proto.hpp"
#include "inference.grpc.pb.h"

namespace scv2sim {
namespace {

// As SCv2 configures its servers: a V2 tensor may be large, and a small cap would be a test
// server's artefact rather than the system under test's.
constexpr int max_message_bytes = 1000 * 1024 * 1024;

std::optional<std::string_view> metadata(const grpc::CallbackServerContext& ctx,
                                         std::string_view key) {
    const auto& md = ctx.client_metadata();
    const auto it = md.find(grpc::string_ref(key.data(), key.size()));
    if (it == md.end()) return std::nullopt;
    return std::string_view(it->second.data(), it->second.size());
}

std::shared_ptr<grpc::ServerCredentials> credentials(const std::optional<GrpcTls>& tls) {
    if (!tls) return grpc::InsecureServerCredentials();
    grpc::SslServerCredentialsOptions options(
        tls->client_ca_pem.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                   : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    options.pem_root_certs = tls->client_ca_pem;
    options.pem_key_cert_pairs.push_back({tls->private_key_pem, tls->cert_chain_pem});
    return grpc::SslServerCredentials(options);
}

}  // namespace

class GrpcServer::Service final : public inference::GRPCInferenceService::CallbackService {
public:
    explicit Service(const GrpcConfig& config) : config_(config) {}

    grpc::ServerUnaryReactor* ModelInfer(grpc::CallbackServerContext* ctx,
                                         const inference::ModelInferRequest* req,
                                         inference::ModelInferResponse* res) override {
        // Refused at once, before any latency, as envoy refuses a request it has no route for.
        if (const auto target = unserved_target(*ctx, *req)) {
            config_.stats->answered(GrpcOutcome::not_found, {});
            auto* reactor = ctx->DefaultReactor();
            reactor->Finish({grpc::StatusCode::NOT_FOUND, not_served_reason(*target)});
            return reactor;
        }
        auto* call = new Call(*this, ctx, req, res);
        const auto delay = sample_delay();
        if (delay.count() <= 0 || !call->delay(delay)) call->answer();
        return call;
    }

    // Cancelled alarms fire at once (ok == false), and their calls are answered as usual.
    // The lock is held throughout so that no listed call can be answered and freed meanwhile; it
    // is recursive and the list copied in case grpc runs a cancelled alarm's callback inline.
    void stop_delays() {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
        const std::vector<Call*> calls(delayed_.begin(), delayed_.end());
        for (Call* call : calls) call->cancel_delay();
    }

private:
    class Call final : public grpc::ServerUnaryReactor {
    public:
        Call(Service& service, grpc::CallbackServerContext* ctx,
             const inference::ModelInferRequest* req, inference::ModelInferResponse* res)
            : service_(service), ctx_(*ctx), req_(*req), res_(*res) {}

        // False when the server is stopping, so that nothing waits past shutdown.
        bool delay(std::chrono::nanoseconds d) {
            {
                const std::lock_guard lock(service_.mutex_);
                if (service_.stopping_) return false;
                service_.delayed_.insert(this);
                // Set under the lock: stop_delays() may cancel as soon as the call is listed.
                alarm_.Set(std::chrono::system_clock::now() + d, [this](bool) {
                    {
                        const std::lock_guard lock(service_.mutex_);
                        service_.delayed_.erase(this);
                    }
                    answer();
                });
            }
            return true;
        }
        void cancel_delay() { alarm_.Cancel(); }
        void answer() { Finish(service_.respond(ctx_, req_, res_)); }
        void OnDone() override { delete this; }

    private:
        Service& service_;
        grpc::CallbackServerContext& ctx_;
        const inference::ModelInferRequest& req_;
        inference::ModelInferResponse& res_;
        grpc::Alarm alarm_;
    };

    // By the seldon-model metadata when there is one, else by the request's model_name.
    std::optional<Target> unserved_target(const grpc::CallbackServerContext& ctx,
                                          const inference::ModelInferRequest& req) const {
        if (!config_.registry || !config_.registry->filters()) return std::nullopt;
        Target target{Target::Kind::model, req.model_name()};
        if (const auto seldon_model = metadata(ctx, "seldon-model"))
            target = parse_seldon_model(*seldon_model);
        if (config_.registry->serves(target)) return std::nullopt;
        return target;
    }

    std::chrono::nanoseconds sample_delay() {
        if (config_.latency.is_zero()) return {};
        const std::lock_guard lock(rng_mutex_);
        return config_.latency.sample(rng_);
    }
    bool inject_error() {
        if (config_.error_rate <= 0) return false;
        const std::lock_guard lock(rng_mutex_);
        return rng_.unit() < config_.error_rate;
    }

    // Counts before returning the status that Finish sends: a client holding its answer must
    // find it in /sim/stats.
    grpc::Status respond(const grpc::CallbackServerContext& ctx,
                         const inference::ModelInferRequest& req,
                         inference::ModelInferResponse& res) {
        GrpcCallFacts facts;
        const auto seldon_model = metadata(ctx, "seldon-model");
        const auto internal_model = metadata(ctx, "seldon-internal-model");
        facts.has_seldon_model = seldon_model.has_value();
        facts.seldon_model = seldon_model.value_or("");
        facts.has_internal_model = internal_model.has_value();
        facts.internal_model = internal_model.value_or("");
        facts.has_request_id = metadata(ctx, "x-request-id").has_value();
        facts.has_deadline = ctx.deadline() != std::chrono::system_clock::time_point::max();
        facts.raw_contents = req.raw_input_contents_size() > 0;

        std::string problem = validate_infer_request(req);
        if (problem.empty() && !seldon_model) problem = "metadata seldon-model is missing";
        if (!problem.empty()) {
            config_.stats->answered(GrpcOutcome::invalid, facts);
            return {grpc::StatusCode::INVALID_ARGUMENT, problem};
        }
        if (inject_error()) {
            config_.stats->answered(GrpcOutcome::error, facts);
            return {grpc::StatusCode::INTERNAL, "simulated error"};
        }
        echo_first_input(req, res);
        config_.stats->answered(GrpcOutcome::ok, facts);
        return grpc::Status::OK;
    }

    const GrpcConfig config_;  // a copy: the caller's may be gone while calls are served
    std::mutex rng_mutex_;  // grpc's threads are not ours, so there is no per-thread generator
    SplitMix64 rng_{std::random_device{}()};
    std::recursive_mutex mutex_;
    bool stopping_ = false;
    std::unordered_set<Call*> delayed_;
};

GrpcServer::GrpcServer(const GrpcConfig& config) : service_(std::make_unique<Service>(config)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(config.address, credentials(config.tls), &port_);
    builder.RegisterService(service_.get());
    builder.SetMaxReceiveMessageSize(max_message_bytes);
    builder.SetMaxSendMessageSize(max_message_bytes);
    // grpc binds with SO_REUSEPORT by default: a second simulator would then share a busy port
    // silently instead of failing, and a test would talk to whichever process the kernel picks.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    if (config.max_streams) builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, *config.max_streams);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) throw std::runtime_error("cannot listen on " + config.address);
}

GrpcServer::~GrpcServer() { shutdown(); }

void GrpcServer::shutdown() {
    if (!server_) return;
    service_->stop_delays();
    // Calls in flight get a moment to finish; then grpc cancels them, so SIGTERM stays prompt.
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    server_.reset();
}

}  // namespace scv2sim
