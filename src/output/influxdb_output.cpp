#include "inferload/output/influxdb_output.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>

#include "inferload/output/blocking_http.hpp"
#include "inferload/output/line_protocol.hpp"

namespace inferload::output {
namespace {

using runtime::Nanos;

// Go's url.QueryEscape, as the v1 client encodes its parameters.
std::string query_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(c);
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

// k6 sends "CREATE DATABASE " + db as it is, which InfluxQL cannot parse for a name such as
// "k6-results"; quoting such a name creates the database the writes go to.
std::string influxql_identifier(std::string_view name) {
  bool bare = !name.empty() && !(name.front() >= '0' && name.front() <= '9');
  for (const char c : name) {
    bare = bare && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
  }
  if (bare) return std::string(name);
  std::string out = "\"";
  for (const char c : name) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// InfluxDB explains a refused write in its JSON body: {"error":"..."}.
std::string error_text(const HttpResult& r) {
  std::string_view body = r.body;
  const std::string_view key = "\"error\":\"";
  if (const auto at = body.find(key); at != std::string_view::npos) {
    std::string out;
    for (std::size_t i = at + key.size(); i < body.size() && body[i] != '"'; ++i) {
      if (body[i] == '\\' && i + 1 < body.size()) {
        ++i;
        // A JSON escape: the character itself, or a space for a line break or tab.
        out.push_back(body[i] == 'n' || body[i] == 'r' || body[i] == 't' ? ' ' : body[i]);
        continue;
      }
      out.push_back(body[i]);
    }
    return out;
  }
  // Something else answered (a proxy's HTML page, say): a bit of it, on one line.
  std::string out(body.substr(0, 200));
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < ' ') c = ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "(no explanation in the response)" : out;
}

std::string seconds_text(Nanos ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", static_cast<double>(ns) / 1e9);
  return std::string(buf) + "s";
}

struct Batch {
  std::string body;
  std::uint64_t points = 0;
};

// The queue between the output thread and the sender threads, and the senders themselves.
class Senders {
 public:
  explicit Senders(const InfluxOptions& o) : o_(o), description_(influxdb_description(o)) {
    cancel_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    // Through a proxy, the request names the whole URL (absolute form, RFC 9112 3.2.2).
    const std::string base = (o.proxy_host.empty() ? std::string() : "http://" + authority()) + o.base_path;
    write_target_ = base + "/write?consistency=" + query_escape(o.consistency) + "&db=" + query_escape(o.db) +
                    "&precision=" + query_escape(o.precision.empty() ? "ns" : o.precision) +
                    "&rp=" + query_escape(o.retention);
    create_target_ = base + "/query?db=&params=%7B%7D&q=" + query_escape("CREATE DATABASE " + influxql_identifier(o.db));
    // As the v1 client sends them: its User-Agent, an empty Content-Type, Basic auth with a user.
    fields_ = "User-Agent: k6\r\nContent-Type: \r\n";
    if (!o.username.empty()) fields_ += "Authorization: Basic " + base64(o.username + ":" + o.password) + "\r\n";
    if (!o.proxy_authorization.empty()) fields_ += "Proxy-Authorization: " + o.proxy_authorization + "\r\n";
    // The senders start before the run blocks SIGINT and SIGTERM to read them from a signalfd:
    // a thread born with them unblocked would take a signal's default action, ending the
    // process. Born with every signal blocked, they leave signals to the main thread.
    sigset_t all, before;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &before);
    try {
      for (int i = 0; i < o.concurrent_writes; ++i) threads_.emplace_back([this, i] { run(i); });
    } catch (...) {
      pthread_sigmask(SIG_SETMASK, &before, nullptr);
      abort_and_join();  // the threads already started, or their std::thread would terminate us
      if (cancel_fd_ >= 0) ::close(cancel_fd_);
      throw;
    }
    pthread_sigmask(SIG_SETMASK, &before, nullptr);
  }

  ~Senders() {
    if (!threads_.empty()) abort_and_join();
    if (cancel_fd_ >= 0) ::close(cancel_fd_);
  }

  // From the output thread; never waits for the network. False when the queue has no room
  // for `b` (unless `last`: the run's final batch is in memory already, and goes in anyway).
  bool offer(Batch& b, bool last) {
    std::lock_guard lock(m_);
    if (!last && !queue_.empty() && queued_bytes_ + b.body.size() > o_.max_queued_bytes) return false;
    queued_bytes_ += b.body.size();
    queue_.push_back(std::move(b));
    work_.notify_one();
    return true;
  }

  // A buffer a sender is done with, to format the next batch into without growing a new one.
  std::string spare() {
    std::lock_guard lock(m_);
    if (spares_.empty()) return {};
    std::string s = std::move(spares_.back());
    spares_.pop_back();
    return s;
  }

  struct Totals {
    std::uint64_t written = 0, failed = 0, abandoned = 0;
    std::string first_failure;
  };

  // Lets the senders empty the queue until `deadline`, then cancels what is left.
  Totals finish(Nanos deadline) {
    std::unique_lock lock(m_);
    finishing_ = true;
    work_.notify_all();
    const auto until = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(deadline));
    const bool drained = idle_.wait_until(lock, until, [&] { return queue_.empty() && in_flight_ == 0; });
    lock.unlock();
    if (!drained) abort_and_join();
    else join();
    for (const Batch& b : queue_) totals_.abandoned += b.points;
    queue_.clear();
    return totals_;
  }

 private:
  void abort_and_join() {
    {
      std::lock_guard lock(m_);
      aborted_ = true;
    }
    const std::uint64_t one = 1;
    if (cancel_fd_ >= 0 && ::write(cancel_fd_, &one, sizeof one) < 0) {
      // An eventfd write fails only on overflow, which a single 1 never reaches.
    }
    work_.notify_all();
    join();
  }

  void join() {
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  void run(int index) {
    const bool proxied = !o_.proxy_host.empty();
    BlockingHttpClient http(proxied ? o_.proxy_host : o_.host, proxied ? o_.proxy_port : o_.port, authority(),
                            o_.request_timeout, cancel_fd_, TlsOptions{o_.scheme == "https", !o_.insecure});
    if (index == 0) {
      // As k6 at its start: a failure here (a user who may not create databases, one that
      // exists already) is no reason to stop, and the writes tell if the database is missing.
      http.request("POST", create_target_, fields_, {});
      std::lock_guard lock(m_);
      database_asked_ = true;
      work_.notify_all();
    }
    std::unique_lock lock(m_);
    for (;;) {
      work_.wait(lock, [&] { return aborted_ || (database_asked_ && (!queue_.empty() || finishing_)); });
      if (aborted_ || queue_.empty()) return;
      Batch b = std::move(queue_.front());
      queue_.pop_front();
      queued_bytes_ -= b.body.size();
      ++in_flight_;
      lock.unlock();
      const Nanos started = runtime::now_ns();
      const HttpResult r = http.request("POST", write_target_, fields_, b.body);
      const Nanos took = runtime::now_ns() - started;
      lock.lock();
      --in_flight_;
      account(b, r, took);
      b.body.clear();
      if (spares_.size() < 2) spares_.push_back(std::move(b.body));
      idle_.notify_all();
    }
  }

  // Under the lock. Each kind of failure is told once, when it first happens.
  void account(const Batch& b, const HttpResult& r, Nanos took) {
    if (r.status >= 200 && r.status < 300) {
      totals_.written += b.points;
      if (took > o_.push_interval && !slow_told_) {
        slow_told_ = true;
        std::fprintf(stderr,
                     "inferload: influxdb: warning: a write of %llu points took %s, longer than the push interval "
                     "(%s); if this repeats, InfluxDB cannot keep up with the run\n",
                     static_cast<unsigned long long>(b.points), seconds_text(took).c_str(),
                     seconds_text(o_.push_interval).c_str());
      }
      return;
    }
    if (r.cancelled) {
      totals_.abandoned += b.points;
      return;
    }
    totals_.failed += b.points;
    std::string kind, message;
    if (r.status != 0) {
      kind = "HTTP " + std::to_string(r.status);
      message = kind + " from " + description_ + ": " + error_text(r);
      if (message.find("unauthorized access") != std::string::npos) {
        message += " (InfluxDB 2.x is not supported by this output, as in k6)";
      }
    } else {
      kind = r.error;
      message = r.error;
    }
    if (totals_.first_failure.empty()) totals_.first_failure = message;
    for (const std::string& k : kinds_told_) {
      if (k == kind) return;
    }
    kinds_told_.push_back(kind);
    std::fprintf(stderr, "inferload: influxdb: couldn't write %llu points: %s (each kind of error is told once)\n",
                 static_cast<unsigned long long>(b.points), message.c_str());
  }

  std::string authority() const {
    const bool v6 = o_.host.find(':') != std::string::npos;
    return (v6 ? "[" + o_.host + "]" : o_.host) + ":" + std::to_string(o_.port);
  }

  InfluxOptions o_;
  std::string description_;
  std::string write_target_, create_target_, fields_;
  int cancel_fd_ = -1;

  std::mutex m_;
  std::condition_variable work_;  // a batch to send, the database asked for, finishing or aborted
  std::condition_variable idle_;  // a sender has finished a batch
  std::deque<Batch> queue_;
  std::size_t queued_bytes_ = 0;
  int in_flight_ = 0;
  bool database_asked_ = false;
  bool finishing_ = false;
  bool aborted_ = false;
  bool slow_told_ = false;
  std::vector<std::string> spares_;
  std::vector<std::string> kinds_told_;
  Totals totals_;
  std::vector<std::thread> threads_;
};

class InfluxOutput final : public SampleSink {
 public:
  explicit InfluxOutput(const InfluxOptions& o)
      : o_(o), formatter_(o.tags_as_fields, line_protocol::precision_divisor(o.precision)), senders_(o) {}

  void write(const SampleRow& row) override {
    if (!formatter_.append(batch_.body, row)) {
      ++invalid_;
      return;
    }
    ++batch_.points;
    ++formatted_;
    // InfluxDB refuses a body over its max-body-size (25 MB by default): a busy interval goes
    // out in several POSTs.
    if (batch_.body.size() >= o_.max_post_bytes) hand_over(false);
  }

  void tick(Nanos now) override {
    if (next_push_ == 0) next_push_ = now + o_.push_interval;
    if (now < next_push_) return;
    next_push_ += o_.push_interval;
    if (next_push_ <= now) next_push_ = now + o_.push_interval;
    hand_over(false);
  }

  // A signal stopped the run, and a pod has seconds before it is killed: the last batch still
  // goes, but is waited for 1 s at most.
  void hurry() override { o_.close_timeout = std::min<Nanos>(o_.close_timeout, runtime::kSecond); }

  std::string close() override {
    if (closed_) return {};
    closed_ = true;
    hand_over(true);
    const Senders::Totals t = senders_.finish(runtime::now_ns() + o_.close_timeout);
    const std::uint64_t lost = t.failed + dropped_ + t.abandoned + invalid_;
    if (lost == 0) return {};
    std::string parts;
    const auto part = [&](std::uint64_t n, const std::string& why) {
      if (n == 0) return;
      parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + why;
    };
    part(t.failed, "in failed writes (" + t.first_failure + ")");
    part(dropped_, "dropped in " + std::to_string(dropped_batches_) +
                       (dropped_batches_ == 1 ? " batch" : " batches") + " while the queue to InfluxDB was full");
    part(t.abandoned, "still unsent " + seconds_text(o_.close_timeout) + " after the end");
    part(invalid_, "not numbers InfluxDB can store (NaN or infinite)");
    return "influxdb: " + std::to_string(lost) + " of " + std::to_string(formatted_ + invalid_) +
           " points not written: " + parts;
  }

 private:
  void hand_over(bool last) {
    if (batch_.points == 0) return;
    if (senders_.offer(batch_, last)) {
      batch_ = Batch{senders_.spare(), 0};
      return;
    }
    dropped_ += batch_.points;
    ++dropped_batches_;
    batch_.body.clear();
    batch_.points = 0;
  }

  InfluxOptions o_;
  line_protocol::Formatter formatter_;
  Batch batch_;
  Nanos next_push_ = 0;
  std::uint64_t formatted_ = 0, invalid_ = 0, dropped_ = 0, dropped_batches_ = 0;
  bool closed_ = false;
  Senders senders_;  // last: its threads stop before the rest goes
};

}  // namespace

std::string InfluxOptions::address() const {
  const bool v6 = host.find(':') != std::string::npos;
  return scheme + "://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + base_path;
}

std::string influxdb_description(const InfluxOptions& options) { return "InfluxDBv1 (" + options.address() + ")"; }

std::unique_ptr<SampleSink> make_influxdb_output(const InfluxOptions& options) {
  return std::make_unique<InfluxOutput>(options);
}

}  // namespace inferload::output
