// kafka_raw_client: the reference Kafka driver for bench/e2e/kafka_mock.py, librdkafka's C API
// and nothing else: the floor of what a load generator built on librdkafka costs.
//
// It sends what inferload's Kafka direct mode sends, as SCv2's gateways do (docs/kafka.md): to
// P.NS.model.M.inputs, on a partition drawn uniformly among the topic's (as inferload and SCv2's
// gateways spread their keys; --partition N fixes one), the key `<partition>.<M>.<32 hex digits>`, the
// headers x-request-id (the 32 hex digits), pipeline: M and seldon-infer-type:
// proto/InferModelRequest, and as value the bytes of --value-file (a ModelInferRequest: the
// script captures one that inferload produced, with --capture-value). Replies are read from
// P.NS.model.M.outputs and P.NS.errors.errors by explicit assignment at their end offsets, and
// matched by the id at the end of their key; a record on the error topic, or one carrying
// seldon-pipeline-errors, is a failure.
//
// One thread does everything: it produces on schedule (--rate R per second, open loop; a request
// due while --window requests are in flight is dropped, as an arrival-rate executor drops an
// iteration no VU can start), or with --rate 0 keeps --window requests in flight (closed loop).
// It sleeps in ppoll() until the next request is due or librdkafka signals, through a pipe
// (rd_kafka_queue_io_event_enable), that the producer's delivery reports or the consumer's
// records wait; then it serves both queues. No lock, no allocation of its own per request (the
// slots and the latency vectors are allocated up front); librdkafka's own threads do the rest.
//
// A request ends once both its delivery report and its reply have come (a reply may overtake
// its report), or at --timeout. At the end it prints
//   completed N ok K failed F dropped D timed_out T late L wall_seconds W cpu_seconds C
//   req_duration_ms p50 A p90 B p99 C
//   produce_duration_ms p50 A p99 B
//   partitions P
// where cpu_seconds is user + system CPU of the whole process (librdkafka's threads included)
// the durations are those of the requests that ended with a reply, and P is the inputs topic's
// partition count.
//
// Usage: kafka_raw_client --bootstrap HOST:PORT --value-file FILE [--model tfsimple0]
//          [--topic-prefix seldon] [--namespace default] [--partition N] [--rate R]
//          [--duration SECS] [--window N] [--timeout SECS] [--config key=value]...
//        kafka_raw_client --bootstrap HOST:PORT --capture-value FILE [--model ...] ...
// --capture-value writes the value of the first record on the model's inputs topic to FILE and
// prints `captured partition P key K` and a line `header NAME=VALUE` per header, then exits.

#include <librdkafka/rdkafka.h>

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr std::int64_t kSecond = 1'000'000'000;
// How often requests past their deadline are looked for: a sweep walks every slot.
constexpr std::int64_t kSweepInterval = kSecond / 10;
constexpr std::string_view kErrorsHeader = "seldon-pipeline-errors";

struct Args {
    std::string bootstrap;
    std::string model = "tfsimple0";
    std::string prefix = "seldon";
    std::string ns = "default";
    std::string value_file;
    std::string capture_value;
    std::int32_t partition = -1;  // -1: spread over the topic's partitions
    double rate = 1000;      // per second; 0: closed loop of --window in flight
    double duration = 5;     // seconds of producing
    double timeout = 10;     // seconds a request may wait for its reply
    long window = 1000;      // requests in flight at most
    std::vector<std::pair<std::string, std::string>> config;
};

[[noreturn]] void fail(const std::string& line, int code = 1) {
    std::cerr << "kafka_raw_client: " << line << "\n";
    std::exit(code);
}

[[noreturn]] void usage_error(const std::string& line) { fail(line, 2); }

double parse_number(std::string_view flag, std::string_view text, double min) {
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < min) {
        char bound[32];
        std::snprintf(bound, sizeof bound, "%g", min);
        usage_error(std::string(flag) + ": expected a number >= " + bound + ", got '" + std::string(text) + "'");
    }
    return value;
}

Args parse(int argc, char** argv) {
    Args a;
    // Every flag takes one value: the table gives each its setter, and the usage line its names.
    using Setter = std::function<void(std::string_view flag, std::string_view value)>;
    const auto count = [](std::string_view f, std::string_view v, double min) { return parse_number(f, v, min); };
    const std::vector<std::pair<std::string_view, Setter>> flags = {
        {"--bootstrap", [&](auto, auto v) { a.bootstrap = v; }},
        {"--value-file", [&](auto, auto v) { a.value_file = v; }},
        {"--capture-value", [&](auto, auto v) { a.capture_value = v; }},
        {"--model", [&](auto, auto v) { a.model = v; }},
        {"--topic-prefix", [&](auto, auto v) { a.prefix = v; }},
        {"--namespace", [&](auto, auto v) { a.ns = v; }},
        {"--partition", [&](auto f, auto v) { a.partition = static_cast<std::int32_t>(count(f, v, 0)); }},
        {"--rate", [&](auto f, auto v) { a.rate = count(f, v, 0); }},
        {"--duration", [&](auto f, auto v) { a.duration = count(f, v, 0); }},
        {"--window", [&](auto f, auto v) { a.window = static_cast<long>(count(f, v, 1)); }},
        {"--timeout", [&](auto f, auto v) { a.timeout = count(f, v, 0.001); }},
        {"--config", [&](auto, auto v) {
             const std::size_t eq = v.find('=');
             if (eq == std::string_view::npos || eq == 0)
                 usage_error("--config: expected key=value, got '" + std::string(v) + "'");
             a.config.emplace_back(std::string(v.substr(0, eq)), std::string(v.substr(eq + 1)));
         }},
    };
    for (int i = 1; i < argc; i += 2) {
        const std::string_view flag = argv[i];
        const auto known = std::find_if(flags.begin(), flags.end(), [&](const auto& f) { return f.first == flag; });
        if (known == flags.end()) {
            std::string names;
            for (const auto& f : flags) names.append(names.empty() ? "" : " ").append(f.first);
            usage_error("unknown flag '" + std::string(flag) + "' (flags, each with a value: " + names + ")");
        }
        if (i + 1 >= argc) usage_error(std::string(flag) + ": missing value");
        known->second(flag, argv[i + 1]);
    }
    if (a.bootstrap.empty()) usage_error("--bootstrap: required");
    if (a.value_file.empty() == a.capture_value.empty()) usage_error("give exactly one of --value-file and --capture-value");
    if (a.window > (1L << 24)) usage_error("--window: at most 16777216");
    // The key, `<partition>.<model>.<32 hex digits>`, is written into a fixed buffer.
    if (a.model.empty() || a.model.size() > 200) usage_error("--model: 1 to 200 characters");
    return a;
}

std::int64_t now_ns() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * kSecond + ts.tv_nsec;
}

double cpu_seconds() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

rd_kafka_t* make_handle(rd_kafka_type_t type, const Args& a,
                        std::vector<std::pair<std::string, std::string>> settings,
                        void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*, void*), void* opaque) {
    char err[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    settings.insert(settings.begin(), std::make_pair(std::string("bootstrap.servers"), a.bootstrap));
    settings.insert(settings.end(), a.config.begin(), a.config.end());
    for (const auto& [key, value] : settings)
        if (rd_kafka_conf_set(conf, key.c_str(), value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK)
            fail("--config " + key + "=" + value + ": " + err, 2);
    if (on_delivery) rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    rd_kafka_conf_set_opaque(conf, opaque);
    rd_kafka_t* rk = rd_kafka_new(type, conf, err, sizeof err);
    if (!rk) fail(std::string("cannot create a Kafka client: ") + err);
    return rk;
}

// The topic's partitions once the broker has them; asked through a producer, the metadata
// request lets a broker that auto-creates topics (the mock does) create it.
int wait_partitions(rd_kafka_t* rk, const std::string& name, std::int64_t deadline) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
    int partitions = 0;
    rd_kafka_resp_err_t last = RD_KAFKA_RESP_ERR_NO_ERROR;
    while (partitions == 0 && now_ns() < deadline) {
        const rd_kafka_metadata_t* md = nullptr;
        last = rd_kafka_metadata(rk, 0, rkt, &md, 1000);
        if (last == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1) {
            last = md->topics[0].err;
            if (last == RD_KAFKA_RESP_ERR_NO_ERROR) partitions = md->topics[0].partition_cnt;
        }
        if (md) rd_kafka_metadata_destroy(md);
        if (partitions == 0) usleep(20'000);
    }
    rd_kafka_topic_destroy(rkt);
    if (partitions == 0) fail("topic " + name + ": no partitions (" + rd_kafka_err2str(last) + ")");
    return partitions;
}

// Every partition of `topics` into `list`, at its end offset (high watermark) or `offset`.
void add_partitions(rd_kafka_t* consumer, rd_kafka_t* producer, const std::vector<std::string>& topics,
                    rd_kafka_topic_partition_list_t* list, std::int64_t deadline, bool at_end) {
    for (const std::string& name : topics) {
        const int partitions = wait_partitions(producer, name, deadline);
        for (int p = 0; p < partitions; ++p) {
            std::int64_t low = 0, high = 0;
            if (at_end) {
                const rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(consumer, name.c_str(), p, &low, &high, 5000);
                if (e != RD_KAFKA_RESP_ERR_NO_ERROR)
                    fail("topic " + name + " [" + std::to_string(p) + "]: no end offset (" + rd_kafka_err2str(e) + ")");
            }
            rd_kafka_topic_partition_list_add(list, name.c_str(), p)->offset = at_end ? high : RD_KAFKA_OFFSET_BEGINNING;
        }
    }
}

void assign(rd_kafka_t* consumer, rd_kafka_topic_partition_list_t* list) {
    const rd_kafka_resp_err_t e = rd_kafka_assign(consumer, list);
    rd_kafka_topic_partition_list_destroy(list);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) fail(std::string("cannot assign the reply topics: ") + rd_kafka_err2str(e));
}

std::string group_id(std::uint64_t nonce) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "kafka-raw-client-%016" PRIx64, nonce);
    return buf;
}

const std::vector<std::pair<std::string, std::string>> kConsumerSettings = {
    {"enable.auto.commit", "false"}, {"enable.auto.offset.store", "false"}, {"socket.nagle.disable", "true"}};

std::string topic_of(const Args& a, const char* kind) { return a.prefix + "." + a.ns + ".model." + a.model + kind; }

int capture(const Args& a) {
    const std::uint64_t nonce = std::random_device{}();
    auto settings = kConsumerSettings;
    settings.emplace_back("group.id", group_id(nonce));
    rd_kafka_t* producer = make_handle(RD_KAFKA_PRODUCER, a, {}, nullptr, nullptr);
    rd_kafka_t* consumer = make_handle(RD_KAFKA_CONSUMER, a, settings, nullptr, nullptr);
    rd_kafka_poll_set_consumer(consumer);
    const std::int64_t deadline = now_ns() + 10 * kSecond;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    add_partitions(consumer, producer, {topic_of(a, ".inputs")}, list, deadline, false);
    assign(consumer, list);
    int rc = 1;
    while (now_ns() < deadline) {
        rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer, 100);
        if (!m) continue;
        if (!m->err) {
            std::ofstream(a.capture_value, std::ios::binary)
                .write(static_cast<const char*>(m->payload), static_cast<std::streamsize>(m->len));
            std::printf("captured partition %" PRId32 " key %.*s\n", m->partition, static_cast<int>(m->key_len),
                        static_cast<const char*>(m->key));
            rd_kafka_headers_t* headers = nullptr;
            const char* name = nullptr;
            const void* v = nullptr;
            std::size_t len = 0;
            if (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR)
                for (std::size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
                    std::printf("header %s=%.*s\n", name, static_cast<int>(len), static_cast<const char*>(v));
            rc = 0;
        }
        rd_kafka_message_destroy(m);
        if (rc == 0) break;
    }
    if (rc != 0) std::cerr << "kafka_raw_client: no record on " << topic_of(a, ".inputs") << " within 10 s\n";
    rd_kafka_consumer_close(consumer);
    rd_kafka_destroy(consumer);
    rd_kafka_destroy(producer);
    return rc;
}

// One request in flight: its slot is reused once both its delivery report and its reply have
// come, under a new generation, so that a reply for the previous one is recognised as late.
struct Slot {
    std::uint32_t generation = 0;
    bool busy = false;
    bool failed = false;
    std::int64_t sent = 0, delivered = 0, replied = 0;  // 0: not yet
};

class Driver {
public:
    Driver(const Args& a, std::string value) : a_(a), value_(std::move(value)) {
        nonce_ = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}() ^ static_cast<std::uint64_t>(now_ns());
        inputs_ = topic_of(a, ".inputs");
        outputs_ = topic_of(a, ".outputs");
        errors_ = a.prefix + "." + a.ns + ".errors.errors";
        producer_ = make_handle(RD_KAFKA_PRODUCER, a, {{"linger.ms", "0"}, {"socket.nagle.disable", "true"}},
                                &Driver::on_delivery, this);
        auto settings = kConsumerSettings;
        settings.emplace_back("group.id", group_id(nonce_));
        consumer_ = make_handle(RD_KAFKA_CONSUMER, a, settings, nullptr, nullptr);
        rd_kafka_poll_set_consumer(consumer_);
        slots_.resize(static_cast<std::size_t>(a.window));
        for (long i = a.window - 1; i >= 0; --i) free_.push_back(static_cast<std::uint32_t>(i));
        const double expected = a.rate > 0 ? a.rate * a.duration : 200'000.0;
        req_ms_.reserve(static_cast<std::size_t>(expected * 1.1) + 16);
        produce_ms_.reserve(req_ms_.capacity());
        std::snprintf(nonce_hex_, sizeof nonce_hex_, "%016" PRIx64, nonce_);
    }

    ~Driver() {
        rd_kafka_purge(producer_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_poll(producer_, 0);
        if (input_topic_) rd_kafka_topic_destroy(input_topic_);
        if (main_queue_) rd_kafka_queue_destroy(main_queue_);
        if (consumer_queue_) rd_kafka_queue_destroy(consumer_queue_);
        rd_kafka_consumer_close(consumer_);
        rd_kafka_destroy(consumer_);
        rd_kafka_destroy(producer_);
        for (int fd : pipe_)
            if (fd >= 0) close(fd);
    }

    void prepare() {
        const std::int64_t deadline = now_ns() + 10 * kSecond;
        const int partitions = wait_partitions(producer_, inputs_, deadline);
        if (a_.partition >= partitions)
            fail("--partition " + std::to_string(a_.partition) + ": " + inputs_ + " has " + std::to_string(partitions));
        partitions_ = static_cast<std::uint64_t>(partitions);
        input_topic_ = rd_kafka_topic_new(producer_, inputs_.c_str(), nullptr);
        rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(2);
        add_partitions(consumer_, producer_, {outputs_, errors_}, list, deadline, true);
        assign(consumer_, list);
        if (pipe2(pipe_, O_NONBLOCK | O_CLOEXEC) != 0) fail("pipe2 failed");
        static const char wake = 1;
        main_queue_ = rd_kafka_queue_get_main(producer_);
        consumer_queue_ = rd_kafka_queue_get_consumer(consumer_);
        rd_kafka_queue_io_event_enable(main_queue_, pipe_[1], &wake, 1);
        rd_kafka_queue_io_event_enable(consumer_queue_, pipe_[1], &wake, 1);
    }

    void run() {
        const std::int64_t start = now_ns();
        const std::int64_t end = start + static_cast<std::int64_t>(a_.duration * 1e9);
        const std::int64_t timeout = static_cast<std::int64_t>(a_.timeout * 1e9);
        const double gap = a_.rate > 0 ? 1e9 / a_.rate : 0;
        std::uint64_t scheduled = 0;
        std::int64_t next_sweep = start + kSweepInterval;
        for (;;) {
            std::int64_t now = now_ns();
            std::int64_t wake = now + kSweepInterval;
            if (now < end) {
                if (a_.rate > 0) {
                    std::int64_t due = start + static_cast<std::int64_t>(static_cast<double>(scheduled) * gap);
                    while (due <= now && due < end) {
                        if (free_.empty()) ++dropped_;
                        else send(now);
                        ++scheduled;
                        due = start + static_cast<std::int64_t>(static_cast<double>(scheduled) * gap);
                    }
                    wake = std::min(due, end);
                } else {
                    while (!free_.empty() && send(now)) {
                    }
                    wake = end;
                }
            } else if (in_flight_ == 0) {
                break;
            } else if (now >= end + timeout) {
                sweep(now, -1);
                break;
            }
            if (now >= next_sweep) {
                sweep(now, timeout);
                next_sweep = now + kSweepInterval;
            }
            wait_until(std::min(wake, next_sweep));
            serve();
        }
        wall_ = static_cast<double>(now_ns() - start) / 1e9;
    }

    void report() {
        std::printf("completed %" PRIu64 " ok %" PRIu64 " failed %" PRIu64 " dropped %" PRIu64 " timed_out %" PRIu64
                    " late %" PRIu64 " wall_seconds %.3f cpu_seconds %.3f\n",
                    ok_ + failed_, ok_, failed_, dropped_, timed_out_, late_, wall_, cpu_seconds());
        std::printf("req_duration_ms p50 %.3f p90 %.3f p99 %.3f\n", percentile(req_ms_, 0.5), percentile(req_ms_, 0.9),
                    percentile(req_ms_, 0.99));
        std::printf("produce_duration_ms p50 %.3f p99 %.3f\n", percentile(produce_ms_, 0.5),
                    percentile(produce_ms_, 0.99));
        std::printf("partitions %" PRIu64 "\n", partitions_);
    }

private:
    // Linear interpolation between the closest ranks, as k6's trend percentiles.
    static double percentile(std::vector<double>& v, double q) {
        if (v.empty()) return 0;
        std::sort(v.begin(), v.end());
        const double rank = q * static_cast<double>(v.size() - 1);
        const auto lo = static_cast<std::size_t>(rank);
        const std::size_t hi = std::min(lo + 1, v.size() - 1);
        return v[lo] + (v[hi] - v[lo]) * (rank - static_cast<double>(lo));
    }

    // False when librdkafka refused the record (counted as failed).
    bool send(std::int64_t now) {
        const std::uint32_t index = free_.back();
        Slot& s = slots_[index];
        const std::uint64_t id = (std::uint64_t{s.generation} << 32) | index;
        char rid[33];
        std::snprintf(rid, sizeof rid, "%s%016" PRIx64, nonce_hex_, id);
        char key[256];
        const std::int32_t partition = a_.partition >= 0 ? a_.partition : next_partition();
        const int key_len = std::snprintf(key, sizeof key, "%" PRId32 ".%s.%s", partition, a_.model.c_str(), rid);
        const rd_kafka_resp_err_t e = rd_kafka_producev(
            producer_, RD_KAFKA_V_RKT(input_topic_), RD_KAFKA_V_PARTITION(partition),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, static_cast<std::size_t>(key_len)),
            RD_KAFKA_V_VALUE(value_.data(), value_.size()), RD_KAFKA_V_HEADER("x-request-id", rid, 32),
            RD_KAFKA_V_HEADER("pipeline", a_.model.data(), static_cast<ssize_t>(a_.model.size())),
            RD_KAFKA_V_HEADER("seldon-infer-type", "proto/InferModelRequest", -1),
            RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(id))), RD_KAFKA_V_END);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            ++failed_;  // never sent: librdkafka's queue is full, or the topic is unknown
            return false;
        }
        free_.pop_back();
        s.busy = true;
        s.failed = false;
        s.sent = now;
        s.delivered = s.replied = 0;
        ++in_flight_;
        return true;
    }

    // xorshift64: a draw costs a few instructions, as inferload's does.
    std::int32_t next_partition() {
        if (partitions_ == 1) return 0;
        rng_ ^= rng_ << 13;
        rng_ ^= rng_ >> 7;
        rng_ ^= rng_ << 17;
        return static_cast<std::int32_t>(rng_ % partitions_);
    }

    // The slot a request id names while that request is in flight, or nothing.
    Slot* in_flight(std::uint64_t id) {
        const std::uint32_t index = id & 0xffffffffu;
        if (index >= slots_.size()) return nullptr;
        Slot& s = slots_[index];
        return s.busy && s.generation == (id >> 32) ? &s : nullptr;
    }

    void finish(Slot& s, bool timed_out) {
        if (timed_out) ++timed_out_;
        else if (s.failed) ++failed_;
        else {
            ++ok_;
            req_ms_.push_back(static_cast<double>(s.replied - s.sent) / 1e6);
            produce_ms_.push_back(static_cast<double>(s.delivered - s.sent) / 1e6);
        }
        s.busy = false;
        ++s.generation;
        free_.push_back(static_cast<std::uint32_t>(&s - slots_.data()));
        --in_flight_;
    }

    static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
        auto& self = *static_cast<Driver*>(opaque);
        Slot* s = self.in_flight(static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(m->_private)));
        if (!s) return;
        s->delivered = now_ns();
        if (m->err) {
            s->failed = true;
            self.finish(*s, false);
        } else if (s->replied) {
            self.finish(*s, false);
        }
    }

    void on_record(rd_kafka_message_t* m) {
        if (m->err) return;  // a consumer event, not a record
        const std::string_view key(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
        const std::size_t dot = key.rfind('.');
        const std::string_view rid = dot == std::string_view::npos ? std::string_view() : key.substr(dot + 1);
        std::uint64_t id = 0;
        if (rid.size() != 32 || rid.substr(0, 16) != nonce_hex_ ||
            std::from_chars(rid.data() + 16, rid.data() + 32, id, 16).ptr != rid.data() + 32)
            return;  // another client's
        Slot* s = in_flight(id);
        if (!s) {
            ++late_;
            return;
        }
        rd_kafka_headers_t* headers = nullptr;
        const void* v = nullptr;
        std::size_t len = 0;
        s->failed = s->failed || errors_ == rd_kafka_topic_name(m->rkt) ||
                    (rd_kafka_message_headers(m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
                     rd_kafka_header_get_last(headers, kErrorsHeader.data(), &v, &len) == RD_KAFKA_RESP_ERR_NO_ERROR);
        s->replied = now_ns();
        if (s->delivered) finish(*s, false);
    }

    // Ends every request past its deadline (timeout < 0: every request still in flight).
    void sweep(std::int64_t now, std::int64_t timeout) {
        for (Slot& s : slots_)
            if (s.busy && (timeout < 0 || now - s.sent >= timeout)) finish(s, true);
    }

    void wait_until(std::int64_t t) {
        const std::int64_t d = std::max<std::int64_t>(0, t - now_ns());
        const timespec ts{static_cast<time_t>(d / kSecond), static_cast<long>(d % kSecond)};
        pollfd pfd{pipe_[0], POLLIN, 0};
        ppoll(&pfd, 1, &ts, nullptr);
    }

    // The pipe first: a record queued after the queues were served writes to it again.
    void serve() {
        char buf[256];
        while (read(pipe_[0], buf, sizeof buf) > 0) {
        }
        rd_kafka_poll(producer_, 0);
        while (rd_kafka_message_t* m = rd_kafka_consumer_poll(consumer_, 0)) {
            on_record(m);
            rd_kafka_message_destroy(m);
        }
    }

    const Args& a_;
    std::string value_;
    std::uint64_t nonce_ = 0;
    char nonce_hex_[17] = {};
    std::string inputs_, outputs_, errors_;
    rd_kafka_t* producer_ = nullptr;
    rd_kafka_t* consumer_ = nullptr;
    rd_kafka_topic_t* input_topic_ = nullptr;
    rd_kafka_queue_t* main_queue_ = nullptr;
    rd_kafka_queue_t* consumer_queue_ = nullptr;
    int pipe_[2] = {-1, -1};
    std::uint64_t partitions_ = 1;
    std::uint64_t rng_ = 0x9E3779B97F4A7C15ull;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_;
    std::vector<double> req_ms_, produce_ms_;
    std::uint64_t in_flight_ = 0, ok_ = 0, failed_ = 0, dropped_ = 0, timed_out_ = 0, late_ = 0;
    double wall_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    const Args a = parse(argc, argv);
    if (!a.capture_value.empty()) return capture(a);
    std::ifstream in(a.value_file, std::ios::binary);
    if (!in) fail("--value-file " + a.value_file + ": cannot read it", 2);
    std::string value((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    Driver d(a, std::move(value));
    d.prepare();
    d.run();
    d.report();
    return 0;
}
