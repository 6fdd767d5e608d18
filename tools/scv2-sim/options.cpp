#include "options.hpp"

#include <charconv>
#include <string_view>

namespace scv2sim {
namespace {

template <class Int>
Int parse_int(std::string_view flag, std::string_view text, Int lo, Int hi) {
    Int value{};
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < lo || value > hi)
        throw UsageError(std::string(flag) + ": expected an integer in [" + std::to_string(lo) +
                         ", " + std::to_string(hi) + "], got '" + std::string(text) + "'");
    return value;
}

double parse_fraction(std::string_view flag, std::string_view text) {
    std::size_t pos = 0;
    double value = -1;
    try {
        value = std::stod(std::string(text), &pos);
    } catch (const std::exception&) {
        pos = 0;
    }
    if (text.empty() || pos != text.size() || !(value >= 0.0 && value <= 1.0))
        throw UsageError(std::string(flag) + ": expected a number in [0, 1], got '" +
                         std::string(text) + "'");
    return value;
}

std::string file_name(std::string_view flag, std::string_view text) {
    if (text.empty()) throw UsageError(std::string(flag) + ": empty file name");
    return std::string(text);
}

// SCv2 allows only these characters in kafka.topicPrefix, and a topic name no others.
bool topic_name_part(std::string_view text) {
    return !text.empty() && text.find_first_not_of(
                                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789._-") == std::string_view::npos;
}

std::string topic_prefix(std::string_view text) {
    if (!topic_name_part(text))
        throw UsageError("--kafka-topic-prefix: expected a non-empty name of [A-Za-z0-9._-], got '" +
                         std::string(text) + "'");
    return std::string(text);
}

void check_grpc_tls(const Options& opt) {
    const bool any = !opt.grpc_tls_cert.empty() || !opt.grpc_tls_key.empty() ||
                     !opt.grpc_tls_client_ca.empty();
    if (!any) return;
    const char* first = !opt.grpc_tls_cert.empty()  ? "--grpc-tls-cert"
                        : !opt.grpc_tls_key.empty() ? "--grpc-tls-key"
                                                    : "--grpc-tls-client-ca";
    if (!opt.grpc_port) throw UsageError(std::string(first) + ": only meaningful with --grpc-port");
    if (opt.grpc_tls_cert.empty())
        throw UsageError(std::string(first) + (opt.grpc_tls_key.empty()
                                                   ? ": needs --grpc-tls-cert and --grpc-tls-key"
                                                   : ": needs --grpc-tls-cert, its certificate"));
    if (opt.grpc_tls_key.empty())
        throw UsageError("--grpc-tls-cert: needs --grpc-tls-key, the certificate's private key");
}

}  // namespace

const char* usage() {
    return "usage: scv2-sim --http-port N [options]\n"
           "\n"
           "Simulated Seldon Core v2 inference server (Open Inference Protocol, REST and gRPC).\n"
           "Prints one line per listener ('http HOST:PORT', then 'grpc HOST:PORT' with\n"
           "--grpc-port, then 'scheduler HOST:PORT' with --scheduler-port, then\n"
           "'kafka 127.0.0.1:PORT' with --kafka) once it accepts connections, then serves\n"
           "until SIGINT or SIGTERM and exits 0.\n"
           "\n"
           "options:\n"
           "  --http-port N               HTTP/1.1 port; 0 picks an ephemeral port (required)\n"
           "  --grpc-port M               also serve V2 gRPC (ModelInfer; h2c, or TLS with\n"
           "                              --grpc-tls-cert) on port M; 0 picks an ephemeral port\n"
           "                              (default: no gRPC server)\n"
           "  --grpc-max-streams N        HTTP/2 concurrent streams per gRPC connection\n"
           "                              (default: grpc's)\n"
           "  --grpc-tls-cert FILE        serve gRPC over TLS (ALPN h2) with this PEM\n"
           "                              certificate chain; needs --grpc-tls-key and --grpc-port\n"
           "  --grpc-tls-key FILE         the certificate's PEM private key\n"
           "  --grpc-tls-client-ca FILE   require a client certificate signed by a CA in this PEM\n"
           "                              file (mutual TLS); needs --grpc-tls-cert\n"
           "  --scheduler-port S          also serve SCv2's scheduler API (grpc++, h2c) on port\n"
           "                              S: seldon.mlops.scheduler.Scheduler and\n"
           "                              seldon.mlops.proxy.SchedulerProxy; 0 picks an ephemeral\n"
           "                              port (default: no scheduler)\n"
           "  --kafka                     also run librdkafka's mock Kafka cluster (one broker on\n"
           "                              127.0.0.1, an ephemeral port) and a simulated model\n"
           "                              gateway and one-step pipelines on it (see kafka below)\n"
           "  --kafka-topic-prefix P      SCv2's kafka.topicPrefix (default seldon); the namespace\n"
           "                              is $NAMESPACE, default 'default'\n"
           "  --kafka-partitions N        partitions of the topics the simulator creates: the\n"
           "                              error topic and, with --scheduler-port, the inputs and\n"
           "                              outputs topics of what is loaded (default 1); topics a\n"
           "                              client creates by using them get the mock's default\n"
           "  --models any|registry       any: serve every model name (default); registry: serve\n"
           "                              only models, pipelines and experiments the scheduler\n"
           "                              has made available, others get HTTP 404 / NOT_FOUND\n"
           "                              (and their Kafka records are dropped)\n"
           "  --load-delay DUR            time a model, pipeline or experiment takes to get\n"
           "                              ready and a model to terminate (5ms, 1.5s, 1m30s;\n"
           "                              default 0); needs --scheduler-port\n"
           "  --fail-model NAME           this model goes to ModelFailed (not ScheduleFailed),\n"
           "                              with a reason, once the delay has passed, and is never\n"
           "                              served (repeatable); needs --scheduler-port\n"
           "  --host ADDR                 address to listen on (default 127.0.0.1)\n"
           "  --latency DUR|SPEC          delay per infer request: a duration (5ms, 250us, 1.5s,\n"
           "                              0), uniform:MIN:MAX or exp:MEAN (default 0)\n"
           "  --error-rate F              fraction in [0, 1] of infer requests answered with\n"
           "                              HTTP 500, gRPC INTERNAL or a Kafka error record\n"
           "                              (default 0)\n"
           "  --threads T                 threads serving HTTP connections (default 1); gRPC\n"
           "                              calls run on grpc++'s own callback threads\n"
           "  --max-requests-per-conn K   close each connection after its K-th response,\n"
           "                              announced by 'Connection: close' (default 0 = never)\n"
           "  --chunked                   send infer responses with Transfer-Encoding: chunked\n"
           "  --help                      print this help and exit\n"
           "\n"
           "endpoints:\n"
           "  POST /v2/models/{name}/infer   echo each input back as OUTPUT{i}\n"
           "  GET  /v2/models/{name}/ready   GET /v2/health/ready   GET /v2/health/live\n"
           "  GET  /v2/pipelines/{name}/ready\n"
           "  GET  /sim/stats                counters (JSON)\n"
           "  GET  /sim/models               what the scheduler was asked to load (JSON)\n"
           "  POST /sim/reset                zero the counters\n"
           "  gRPC inference.GRPCInferenceService/ModelInfer   validate, echo input 0 as OUTPUT0\n"
           "  gRPC seldon.mlops.scheduler.Scheduler: LoadModel UnloadModel LoadPipeline\n"
           "       UnloadPipeline StartExperiment StopExperiment, and the streams ModelStatus\n"
           "       PipelineStatus ExperimentStatus\n"
           "  gRPC seldon.mlops.proxy.SchedulerProxy: LoadModel UnloadModel\n"
           "\n"
           "kafka (P = --kafka-topic-prefix, NS = the namespace), as SCv2's model gateway and\n"
           "dataflow engine, after --latency:\n"
           "  P.NS.model.M.inputs      each record (a binary inference.ModelInferRequest) is\n"
           "                           answered on P.NS.model.M.outputs, same partition, key and\n"
           "                           headers, with a ModelInferResponse echoing input 0; a\n"
           "                           value that is no valid request, and --error-rate's share,\n"
           "                           go to P.NS.errors.errors with seldon-pipeline-errors: M\n"
           "  P.NS.pipeline.Q.inputs   records whose 'pipeline' header is Q are answered likewise\n"
           "                           on P.NS.pipeline.Q.outputs (errors there too, with\n"
           "                           seldon-pipeline-errors: Q); others are dropped\n"
           "  /sim/stats counts kafka_infer (answered) and kafka_errors (error records)\n"
           "\n"
           "names: with --models registry a request names its target by its seldon-model header\n"
           "(else by its path or model_name): 'm', 'm_<version>', 'm_0', 'p.pipeline' or\n"
           "'e.experiment'\n"
           "\n"
           "exit status: 0 after a signal, 1 if a listener or the Kafka cluster cannot be\n"
           "opened, 2 on a bad flag, a bad NAMESPACE with --kafka, or a TLS file that cannot be\n"
           "read or does not hold what its flag needs\n";
}

std::string kafka_namespace(const char* value) {
    if (!value || !*value) return "default";
    if (!topic_name_part(value))
        throw UsageError(std::string("NAMESPACE: expected a name of [A-Za-z0-9._-] for the Kafka "
                                     "topics, got '") + value + "'");
    return value;
}

Options parse_options(int argc, const char* const* argv) {
    Options opt;
    bool load_delay_given = false;
    const char* kafka_flag_given = nullptr;
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        std::string_view value;
        bool has_inline_value = false;
        // Accept both "--flag value" and "--flag=value", as most CLIs do.
        if (const auto eq = arg.find('='); arg.substr(0, 2) == "--" && eq != std::string_view::npos) {
            value = arg.substr(eq + 1);
            arg = arg.substr(0, eq);
            has_inline_value = true;
        }
        const auto take_value = [&]() -> std::string_view {
            if (has_inline_value) return value;
            if (i + 1 >= argc) throw UsageError(std::string(arg) + ": missing value");
            return argv[++i];
        };
        const auto no_value = [&] {
            if (has_inline_value) throw UsageError(std::string(arg) + ": takes no value");
        };

        if (arg == "--help" || arg == "-h") {
            no_value();
            opt.help = true;
        } else if (arg == "--http-port") {
            opt.http_port = parse_int<std::uint16_t>(arg, take_value(), 0, 65535);
            opt.http_port_given = true;
        } else if (arg == "--grpc-port") {
            opt.grpc_port = parse_int<std::uint16_t>(arg, take_value(), 0, 65535);
        } else if (arg == "--grpc-max-streams") {
            opt.grpc_max_streams = parse_int<int>(arg, take_value(), 1, INT32_MAX);
        } else if (arg == "--grpc-tls-cert") {
            opt.grpc_tls_cert = file_name(arg, take_value());
        } else if (arg == "--grpc-tls-key") {
            opt.grpc_tls_key = file_name(arg, take_value());
        } else if (arg == "--grpc-tls-client-ca") {
            opt.grpc_tls_client_ca = file_name(arg, take_value());
        } else if (arg == "--scheduler-port") {
            opt.scheduler_port = parse_int<std::uint16_t>(arg, take_value(), 0, 65535);
        } else if (arg == "--kafka") {
            no_value();
            opt.kafka = true;
        } else if (arg == "--kafka-topic-prefix") {
            opt.kafka_topic_prefix = topic_prefix(take_value());
            kafka_flag_given = "--kafka-topic-prefix";
        } else if (arg == "--kafka-partitions") {
            opt.kafka_partitions = parse_int<int>(arg, take_value(), 1, 1000);
            kafka_flag_given = "--kafka-partitions";
        } else if (arg == "--models") {
            const std::string_view mode = take_value();
            if (mode == "any") opt.registry.mode = ModelsMode::any;
            else if (mode == "registry") opt.registry.mode = ModelsMode::registry;
            else
                throw UsageError("--models: expected any or registry, got '" + std::string(mode) +
                                 "'");
        } else if (arg == "--load-delay") {
            const std::string_view text = take_value();
            if (!parse_duration(text, opt.registry.load_delay))
                throw UsageError("--load-delay: expected a duration of at most 1h (100ms, 1.5s, "
                                 "1m30s, 0), got '" + std::string(text) + "'");
            load_delay_given = true;
        } else if (arg == "--fail-model") {
            const std::string_view name = take_value();
            if (name.empty()) throw UsageError("--fail-model: empty model name");
            opt.registry.fail_models.emplace_back(name);
        } else if (arg == "--host") {
            opt.host = std::string(take_value());
            if (opt.host.empty()) throw UsageError("--host: empty address");
        } else if (arg == "--latency") {
            const std::string_view spec = take_value();
            if (!parse_latency(spec, opt.latency))
                throw UsageError("--latency: expected a duration (5ms, 250us, 1.5s, 0), "
                                 "uniform:MIN:MAX or exp:MEAN, got '" + std::string(spec) + "'");
        } else if (arg == "--error-rate") {
            opt.error_rate = parse_fraction(arg, take_value());
        } else if (arg == "--threads") {
            opt.threads = parse_int<unsigned>(arg, take_value(), 1, 1024);
        } else if (arg == "--max-requests-per-conn") {
            opt.max_requests_per_conn =
                parse_int<std::uint64_t>(arg, take_value(), 0, UINT64_MAX);
        } else if (arg == "--chunked") {
            no_value();
            opt.chunked = true;
        } else {
            throw UsageError("unknown flag '" + std::string(arg) + "' (see --help)");
        }
    }
    if (!opt.help && !opt.http_port_given) throw UsageError("--http-port: required");
    if (opt.grpc_max_streams && !opt.grpc_port)
        throw UsageError("--grpc-max-streams: only meaningful with --grpc-port");
    check_grpc_tls(opt);
    if (kafka_flag_given && !opt.kafka)
        throw UsageError(std::string(kafka_flag_given) + ": only meaningful with --kafka");
    // Without a scheduler nothing is ever loaded, so these could only be a mistake.
    if (load_delay_given && !opt.scheduler_port)
        throw UsageError("--load-delay: only meaningful with --scheduler-port");
    if (!opt.registry.fail_models.empty() && !opt.scheduler_port)
        throw UsageError("--fail-model: only meaningful with --scheduler-port");
    return opt;
}

}  // namespace scv2sim
