#include "inferload/load/engine.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "inferload/runtime/worker.hpp"

namespace inferload::load {

void GaugeStats::sample(double v, bool first) noexcept {
  value = v;
  if (first) {
    min = v;
    max = std::max(0.0, v);
    return;
  }
  min = std::min(min, v);
  max = std::max(max, v);
}

// State every worker reads; only the monitor thread writes it (besides the iteration pool).
struct Engine::Shared {
  explicit Shared(const RunOptions& o) : opt(o) {}
  const RunOptions& opt;
  Nanos start = 0;
  Nanos regular_end = 0;
  std::atomic<bool> stop_new{false};           // no iteration may start any more
  std::atomic<std::uint64_t> claimed{0};       // shared-iterations: iterations handed out
  std::atomic<int> vus_alive{0};
  int done_fd = -1;                            // written when the last VU has finished
};

struct Engine::WorkerSlot {
  WorkerSlot(Shared& s, int i) : shared(s), index(i), shard(std::make_unique<Shard>()) {}
  Shared& shared;
  int index;
  std::vector<int> vu_numbers;
  std::unique_ptr<Shard> shard;
  runtime::Reactor* reactor = nullptr;  // set on the worker's own thread
  int vus_running = 0;                  // this worker's VUs that have not ended
  runtime::Timer* all_vus_ended = nullptr;  // armed to wake run_worker once vus_running is 0
  std::uint64_t local_budget = 0;       // shared-iterations claimed by this worker, not started
  std::unique_ptr<runtime::Worker> worker;

  bool claim() noexcept {
    if (shared.stop_new.load(std::memory_order_relaxed)) return false;
    if (runtime::now_ns() >= shared.regular_end) return false;
    const ScenarioConfig& sc = shared.opt.scenario;
    if (sc.executor == ExecutorKind::shared_iterations && local_budget == 0) {
      // Iterations are taken from the shared pool in batches, so that the pool's atomic is not
      // touched per request; batches shrink towards the end so no worker sits on the last ones.
      const std::uint64_t total = sc.iterations;
      const std::uint64_t seen = shared.claimed.load(std::memory_order_relaxed);
      if (seen >= total) return false;
      const std::uint64_t batch = std::clamp<std::uint64_t>((total - seen) / (8 * static_cast<std::uint64_t>(sc.vus)), 1, 256);
      const std::uint64_t old = shared.claimed.fetch_add(batch, std::memory_order_relaxed);
      if (old >= total) return false;
      local_budget = std::min(batch, total - old);
    }
    if (local_budget > 0) --local_budget;
    ++shard->iterations_started;
    return true;
  }
};

Engine::Engine(RunOptions options) : opt_(std::move(options)) {}
Engine::~Engine() = default;

namespace {

// Marks a VU as gone however its coroutine ends, so the monitor can never wait for a VU that is
// no more; the last one wakes the monitor.
struct VuPresence {
  explicit VuPresence(Engine::WorkerSlot& w) : w(w) {
    w.shard->live_active_vus.add(1);
    ++w.vus_running;
  }
  ~VuPresence() {
    w.shard->live_active_vus.add(-1);
    // The worker's program is torn down from a timer, at the loop's top level: this VU may have
    // been resumed from inside one of the program's connections.
    if (--w.vus_running == 0 && w.all_vus_ended && w.all_vus_ended->armed()) w.reactor->timers().arm(*w.all_vus_ended, 0);
    if (w.shared.vus_alive.fetch_sub(1) == 1) {
      const std::uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(w.shared.done_fd, &one, sizeof(one));
    }
  }
  Engine::WorkerSlot& w;
};

// Pauses between attempts while the process is out of sockets: 10 ms, doubling to 1 s.
class ResourceBackoff {
 public:
  Nanos next() noexcept {
    const Nanos d = delay_;
    delay_ = std::min(delay_ * 2, kMax);
    return d;
  }
  void reset() noexcept { delay_ = kFirst; }

 private:
  static constexpr Nanos kFirst = 10 * runtime::kMillisecond;
  static constexpr Nanos kMax = runtime::kSecond;
  Nanos delay_ = kFirst;
};

runtime::Task<void> run_vu(Engine::WorkerSlot& w, WorkerProgram& program, int vu_number) {
  runtime::Reactor& r = *w.reactor;
  Shard& shard = *w.shard;
  const VuPresence presence(w);
  const std::unique_ptr<VuProgram> vu = program.make_vu(vu_number);
  ResourceBackoff backoff;
  while (w.claim()) {
    const Nanos started = runtime::now_ns();
    const IterationEnd end = co_await vu->iterate();
    if (end == IterationEnd::interrupted) {
      shard.record_interrupted_iteration();
      break;
    }
    shard.record_iteration(std::max(r.now(), started) - started);
    // Out of descriptors, a retry fails at once and without a single suspension: looping on it
    // would starve every other VU of this worker (and recurse through the coroutine chain). The
    // VU sleeps instead, longer each time, until sockets are to be had again.
    if (end != IterationEnd::out_of_resources) {
      backoff.reset();
    } else if (co_await runtime::sleep_until(r, runtime::now_ns() + backoff.next()) == runtime::FireReason::interrupted) {
      break;
    }
  }
}

// Owns the worker's program from before its first VU starts until after its last one ended.
runtime::Task<void> run_worker(Engine::WorkerSlot& w) {
  runtime::Reactor& r = *w.reactor;
  std::unique_ptr<WorkerProgram> program = w.shared.opt.program->make_worker({r, *w.shard, w.index});
  struct Wake {
    static void fire(void* self, runtime::FireReason) noexcept { static_cast<Wake*>(self)->h.resume(); }
    std::coroutine_handle<> h;
  } wake;
  runtime::Timer timer(&Wake::fire, &wake);
  co_await program->start();
  w.all_vus_ended = &timer;
  for (int vu : w.vu_numbers) r.spawn(run_vu(w, *program, vu));
  struct Await {
    Engine::WorkerSlot& w;
    runtime::Timer& timer;
    Wake& wake;
    bool await_ready() const noexcept { return w.vus_running == 0; }
    void await_suspend(std::coroutine_handle<> h) noexcept {
      wake.h = h;
      // No deadline: the last VU arms it; a hard stop fires it early, and it is simply re-armed.
      w.reactor->timers().arm(timer, runtime::kNever);
    }
    void await_resume() const noexcept {}
  };
  while (w.vus_running > 0) co_await Await{w, timer, wake};
  w.all_vus_ended = nullptr;
  co_await program->finish();
  program.reset();
}

}  // namespace

RunResult Engine::run(const MonitorHooks& hooks) {
  const ScenarioConfig& sc = opt_.scenario;
  Shared shared(opt_);
  shared.done_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (shared.done_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");

  const int workers = std::max(1, std::min(opt_.workers, sc.vus));
  std::vector<std::unique_ptr<WorkerSlot>> slots;
  for (int i = 0; i < workers; ++i) slots.push_back(std::make_unique<WorkerSlot>(shared, i));
  for (int v = 0; v < sc.vus; ++v) slots[static_cast<std::size_t>(v % workers)]->vu_numbers.push_back(v + 1);
  shared.vus_alive = sc.vus;
  opt_.program->prepare(workers);

  RunResult result;
  result.workers = workers;
  shared.start = runtime::now_ns();
  shared.regular_end = shared.start + sc.duration;
  const Nanos hard_end = shared.regular_end + sc.graceful_stop;

  for (auto& slot : slots) {
    const int cpu = opt_.cpus.empty() ? -1 : opt_.cpus[static_cast<std::size_t>(slot->index) % opt_.cpus.size()];
    WorkerSlot* s = slot.get();
    slot->worker = std::make_unique<runtime::Worker>(slot->index, cpu, opt_.backend, [s](runtime::Reactor& r) {
      s->reactor = &r;
      r.spawn(run_worker(*s));
    });
    if (!slot->worker->error().empty()) {
      // The reactor could not be built: its VUs never run.
      result.worker_errors.push_back(slot->worker->error());
      shared.vus_alive -= static_cast<int>(slot->vu_numbers.size());
    }
  }
  result.vus.sample(sc.vus, true);
  result.vus_max.sample(sc.vus, true);

  auto hard_stop = [&] {
    shared.stop_new = true;
    for (auto& slot : slots) {
      WorkerSlot* s = slot.get();
      s->worker->post([s] { s->reactor->timers().fire_all_interrupted(); });
    }
  };
  auto progress = [&](bool done) {
    Progress p;
    p.elapsed = runtime::now_ns() - shared.start;
    p.vus_max = sc.vus;
    for (auto& slot : slots) {
      p.active_vus += slot->shard->live_active_vus.read();
      p.iterations += slot->shard->live_iterations.read();
      p.interrupted += slot->shard->live_interrupted.read();
      p.requests += slot->shard->live_requests.read();
      p.failed += slot->shard->live_failed.read();
    }
    p.stopping = shared.stop_new.load();
    p.done = done;
    return p;
  };

  bool stopping = false, hard_stopped = false;
  Nanos next_tick = shared.start + runtime::kSecond;
  while (shared.vus_alive.load() > 0) {
    Nanos now = runtime::now_ns();
    if (!stopping && now >= shared.regular_end) {
      stopping = true;
      shared.stop_new = true;
    }
    if (!hard_stopped && now >= hard_end) {
      hard_stopped = true;
      hard_stop();
    }
    if (now >= next_tick) {
      const Progress p = progress(false);
      result.vus.sample(static_cast<double>(p.active_vus), false);
      if (hooks.on_progress) hooks.on_progress(p);
      next_tick += runtime::kSecond;
      continue;
    }
    Nanos wake = std::min(next_tick, stopping ? hard_end : shared.regular_end);
    if (hard_stopped) wake = next_tick;
    const Nanos rel = std::max<Nanos>(wake - now, 0);
    timespec ts{static_cast<time_t>(rel / runtime::kSecond), static_cast<long>(rel % runtime::kSecond)};
    pollfd fds[2] = {{shared.done_fd, POLLIN, 0}, {hooks.stop_fd, POLLIN, 0}};
    const int n = ::ppoll(fds, hooks.stop_fd >= 0 ? 2 : 1, &ts, nullptr);
    if (n <= 0) continue;
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] ssize_t r = ::read(shared.done_fd, &v, sizeof(v));
    }
    if (hooks.stop_fd >= 0 && (fds[1].revents & POLLIN) && hooks.on_stop_fd && hooks.on_stop_fd()) {
      result.stopped_by_user = true;
      stopping = true;
      if (!hard_stopped) {
        hard_stopped = true;
        hard_stop();
      }
    }
  }

  for (auto& slot : slots) {
    slot->worker->join();
    if (!slot->worker->error().empty() &&
        std::find(result.worker_errors.begin(), result.worker_errors.end(), slot->worker->error()) ==
            result.worker_errors.end()) {
      result.worker_errors.push_back(slot->worker->error());
    }
  }
  result.test_run_duration = runtime::now_ns() - shared.start;
  ::close(shared.done_fd);

  result.totals = std::make_unique<Shard>();
  for (auto& slot : slots) result.totals->merge(*slot->shard);
  if (sc.executor == ExecutorKind::shared_iterations && result.totals->iterations_started < sc.iterations) {
    result.dropped_iterations = sc.iterations - result.totals->iterations_started;
  }
  if (hooks.on_progress) {
    Progress p = progress(true);
    p.elapsed = result.test_run_duration;
    hooks.on_progress(p);
  }
  return result;
}

}  // namespace inferload::load
