// inferload's own control-plane client (scv2::SchedulerClient and ControlPlane, over its own
// HTTP/2 and gRPC code) as a command line, so that tests can drive it against scv2-sim's grpc++
// scheduler: one call per run, its result as one JSON line per object, then
// "status CODE[: message]". Exits 0 whenever the call was made.
//
//   control_plane_probe [--io uring|epoll] [--proxy] HOST:PORT COMMAND [ARGS]
//     load-model NAME [--uri U] [--requirement R]... [--memory BYTES] [--replicas N]
//     unload-model NAME | model-status NAME | list-models
//     load-pipeline NAME MODEL | unload-pipeline NAME | pipeline-status NAME | list-pipelines
//     start-experiment NAME DEFAULT CANDIDATE:WEIGHT... | stop-experiment NAME
//     experiment-status NAME | list-experiments
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "inferload/net/endpoint.hpp"
#include "inferload/runtime/backend.hpp"
#include "inferload/scv2/control_plane.hpp"

using namespace inferload;

namespace {

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void print_model(const std::string& name, const scv2::ModelState& m) {
  std::printf("{\"name\": %s, \"found\": %s, \"state\": %s, \"reason\": %s, \"failed\": %s, \"version\": %u}\n",
              quote(name).c_str(), m.found ? "true" : "false", quote(m.state).c_str(), quote(m.reason).c_str(),
              m.failed ? "true" : "false", m.version);
}

void print_pipeline(const std::string& name, const scv2::PipelineState& p) {
  std::printf("{\"name\": %s, \"found\": %s, \"status\": %s, \"reason\": %s}\n", quote(name).c_str(),
              p.found ? "true" : "false", quote(p.status).c_str(), quote(p.reason).c_str());
}

void print_experiment(const scv2::ExperimentStatusReply& e) {
  std::printf("{\"name\": %s, \"found\": %s, \"active\": %s, \"candidates_ready\": %s}\n", quote(e.name).c_str(),
              e.found ? "true" : "false", e.active ? "true" : "false", e.candidates_ready ? "true" : "false");
}

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr, "control_plane_probe: %s\n", why);
  std::exit(2);
}

runtime::Task<void> run(scv2::SchedulerClient& client, scv2::ControlPlane& plane, std::vector<std::string> args) {
  const std::string cmd = args[0];
  auto arg = [&](std::size_t i) -> const std::string& {
    if (i >= args.size()) usage(("missing argument " + std::to_string(i) + " of " + cmd).c_str());
    return args[i];
  };
  scv2::RpcResult rpc;
  if (cmd == "load-model") {
    scv2::ModelDefinition m;
    m.name = arg(1);
    for (std::size_t i = 2; i + 1 < args.size(); i += 2) {
      if (args[i] == "--uri") m.uri = args[i + 1];
      else if (args[i] == "--requirement") m.requirements.push_back(args[i + 1]);
      else if (args[i] == "--memory") m.memory_bytes = std::strtoull(args[i + 1].c_str(), nullptr, 10);
      else if (args[i] == "--replicas") m.replicas = static_cast<std::uint32_t>(std::strtoul(args[i + 1].c_str(), nullptr, 10));
      else usage(("unknown flag " + args[i]).c_str());
    }
    rpc = co_await plane.load_model(m);
  } else if (cmd == "unload-model") {
    rpc = co_await plane.unload_model(arg(1));
  } else if (cmd == "model-status") {
    const scv2::ModelStatusReply r = co_await plane.model_status(arg(1));
    if (r.rpc.ok()) print_model(arg(1), r.model);
    rpc = r.rpc;
  } else if (cmd == "list-models") {
    const scv2::ModelListReply r = co_await plane.list_models();
    for (const auto& [name, m] : r.models) print_model(name, m);
    rpc = r.rpc;
  } else if (cmd == "load-pipeline") {
    rpc = co_await plane.load_pipeline(arg(1), arg(2));
  } else if (cmd == "unload-pipeline") {
    rpc = co_await plane.unload_pipeline(arg(1));
  } else if (cmd == "pipeline-status") {
    const scv2::PipelineStatusReply r = co_await plane.pipeline_status(arg(1));
    if (r.rpc.ok()) print_pipeline(arg(1), r.pipeline);
    rpc = r.rpc;
  } else if (cmd == "list-pipelines") {
    const scv2::PipelineListReply r = co_await plane.list_pipelines();
    for (const auto& [name, p] : r.pipelines) print_pipeline(name, p);
    rpc = r.rpc;
  } else if (cmd == "start-experiment") {
    scv2::ExperimentDefinition e;
    e.name = arg(1);
    e.default_model = arg(2);
    for (std::size_t i = 3; i < args.size(); ++i) {
      const auto colon = args[i].rfind(':');
      if (colon == std::string::npos) usage("a candidate is NAME:WEIGHT");
      e.candidates.push_back({args[i].substr(0, colon),
                              static_cast<std::uint32_t>(std::strtoul(args[i].c_str() + colon + 1, nullptr, 10))});
    }
    rpc = co_await plane.start_experiment(e);
  } else if (cmd == "stop-experiment") {
    rpc = co_await plane.stop_experiment(arg(1));
  } else if (cmd == "experiment-status") {
    const scv2::ExperimentStatusReply r = co_await plane.experiment_status(arg(1));
    if (r.rpc.ok()) print_experiment(r);
    rpc = r.rpc;
  } else if (cmd == "list-experiments") {
    const scv2::ExperimentListReply r = co_await plane.list_experiments();
    for (const auto& e : r.experiments) print_experiment(e);
    rpc = r.rpc;
  } else {
    usage(("unknown command " + cmd).c_str());
  }
  std::printf("status %s\n", rpc.ok() ? "OK" : rpc.describe().c_str());
  co_await client.close(runtime::now_ns() + runtime::kSecond);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<runtime::IoBackend> io;
  scv2::ControlApi api = scv2::ControlApi::scheduler;
  while (!args.empty() && args[0].rfind("--", 0) == 0) {
    if (args[0] == "--proxy") {
      api = scv2::ControlApi::proxy;
      args.erase(args.begin());
    } else if (args[0] == "--io" && args.size() > 1) {
      io = args[1] == "epoll" ? runtime::IoBackend::epoll : runtime::IoBackend::uring;
      args.erase(args.begin(), args.begin() + 2);
    } else {
      usage(("unknown flag " + args[0]).c_str());
    }
  }
  if (args.size() < 2) usage("usage: control_plane_probe [--io uring|epoll] [--proxy] HOST:PORT COMMAND [ARGS]");
  const std::string target = args[0];
  args.erase(args.begin());
  const net::HttpUrl url = net::parse_http_url("http://" + target);
  const net::ResolvedEndpoint ep = net::resolve(url.host, url.port);
  const runtime::BackendChoice backend = runtime::choose_backend(io);
  std::unique_ptr<runtime::Reactor> reactor = runtime::make_reactor(backend);
  scv2::SchedulerClient client(*reactor, ep, target, 10 * runtime::kSecond);
  scv2::ControlPlane plane(client, api);
  reactor->spawn(run(client, plane, args));
  reactor->run();
  std::fflush(stdout);
  return 0;
}
