#include "scheduler_server.hpp"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <chrono>
#include <stdexcept>
#include <vector>

#include "proxy.grpc.pb.h"
#include "scheduler.grpc.pb.h"

namespace scv2sim {
namespace {

namespace proxy = seldon::mlops::proxy;

grpc::Status to_status(const Refused& refused) {
    if (!refused) return grpc::Status::OK;
    const auto code = refused->code == Refusal::Code::invalid_argument
                          ? grpc::StatusCode::INVALID_ARGUMENT
                          : grpc::StatusCode::FAILED_PRECONDITION;
    return {code, refused->message};
}

// The status streams as SCv2's scheduler sends them: every message, then the end of the stream;
// a refusal ends it before any message.
template <class Message>
grpc::Status stream(const Refused& refused, const std::vector<Message>& messages,
                    grpc::ServerWriter<Message>* writer) {
    if (refused) return to_status(refused);
    for (const Message& m : messages)
        if (!writer->Write(m)) return {grpc::StatusCode::CANCELLED, "the client went away"};
    return grpc::Status::OK;
}

}  // namespace

// The synchronous API: the calls are short and a test peer can afford grpc++'s thread pool.
class SchedulerServer::Scheduler final : public sched::Scheduler::Service {
public:
    Scheduler(Registry& registry, SchedulerCalls& calls) : registry_(registry), calls_(calls) {}

    grpc::Status LoadModel(grpc::ServerContext*, const sched::LoadModelRequest* req,
                           sched::LoadModelResponse*) override {
        calls_.count("LoadModel");
        return to_status(registry_.load_model(req->model()));
    }
    grpc::Status UnloadModel(grpc::ServerContext*, const sched::UnloadModelRequest* req,
                             sched::UnloadModelResponse*) override {
        calls_.count("UnloadModel");
        return to_status(registry_.unload_model(req->model().name()));
    }
    grpc::Status LoadPipeline(grpc::ServerContext*, const sched::LoadPipelineRequest* req,
                              sched::LoadPipelineResponse*) override {
        calls_.count("LoadPipeline");
        return to_status(registry_.load_pipeline(req->pipeline()));
    }
    grpc::Status UnloadPipeline(grpc::ServerContext*, const sched::UnloadPipelineRequest* req,
                                sched::UnloadPipelineResponse*) override {
        calls_.count("UnloadPipeline");
        return to_status(registry_.unload_pipeline(req->name()));
    }
    grpc::Status StartExperiment(grpc::ServerContext*, const sched::StartExperimentRequest* req,
                                 sched::StartExperimentResponse*) override {
        calls_.count("StartExperiment");
        return to_status(registry_.start_experiment(req->experiment()));
    }
    grpc::Status StopExperiment(grpc::ServerContext*, const sched::StopExperimentRequest* req,
                                sched::StopExperimentResponse*) override {
        calls_.count("StopExperiment");
        return to_status(registry_.stop_experiment(req->name()));
    }
    grpc::Status ModelStatus(grpc::ServerContext*, const sched::ModelStatusRequest* req,
                             grpc::ServerWriter<sched::ModelStatusResponse>* writer) override {
        calls_.count("ModelStatus");
        std::vector<sched::ModelStatusResponse> messages;
        const Refused refused =
            registry_.model_status(req->model().name(), req->allversions(), messages);
        return stream(refused, messages, writer);
    }
    grpc::Status PipelineStatus(
        grpc::ServerContext*, const sched::PipelineStatusRequest* req,
        grpc::ServerWriter<sched::PipelineStatusResponse>* writer) override {
        calls_.count("PipelineStatus");
        std::vector<sched::PipelineStatusResponse> messages;
        const Refused refused =
            registry_.pipeline_status(req->name(), req->allversions(), messages);
        return stream(refused, messages, writer);
    }
    grpc::Status ExperimentStatus(
        grpc::ServerContext*, const sched::ExperimentStatusRequest* req,
        grpc::ServerWriter<sched::ExperimentStatusResponse>* writer) override {
        calls_.count("ExperimentStatus");
        std::vector<sched::ExperimentStatusResponse> messages;
        const Refused refused = registry_.experiment_status(req->name(), messages);
        return stream(refused, messages, writer);
    }

private:
    Registry& registry_;
    SchedulerCalls& calls_;
};

class SchedulerServer::Proxy final : public proxy::SchedulerProxy::Service {
public:
    Proxy(Registry& registry, SchedulerCalls& calls) : registry_(registry), calls_(calls) {}

    grpc::Status LoadModel(grpc::ServerContext*, const proxy::LoadModelRequest* req,
                           proxy::LoadModelResponse*) override {
        calls_.count("proxy.LoadModel");
        return to_status(registry_.load_model(req->request().model()));
    }
    grpc::Status UnloadModel(grpc::ServerContext*, const proxy::UnloadModelRequest* req,
                             proxy::UnloadModelResponse*) override {
        calls_.count("proxy.UnloadModel");
        return to_status(registry_.unload_model(req->model().name()));
    }

private:
    Registry& registry_;
    SchedulerCalls& calls_;
};

SchedulerServer::SchedulerServer(const std::string& address, Registry& registry,
                                 SchedulerCalls& calls)
    : scheduler_(std::make_unique<Scheduler>(registry, calls)),
      proxy_(std::make_unique<Proxy>(registry, calls)) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(address, grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(scheduler_.get());
    builder.RegisterService(proxy_.get());
    // As for the data plane: a busy port must be an error, not a port shared with another process.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    server_ = builder.BuildAndStart();
    if (!server_ || port_ == 0) throw std::runtime_error("cannot listen on " + address);
}

SchedulerServer::~SchedulerServer() { shutdown(); }

void SchedulerServer::shutdown() {
    if (!server_) return;
    // No call waits on anything, so a short grace is enough; then grpc cancels what is left.
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
    server_.reset();
}

}  // namespace scv2sim
