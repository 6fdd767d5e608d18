#include "inferload/load/engine.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <ctime>
#include <deque>
#include <utility>

#include "inferload/load/executor.hpp"
#include "inferload/runtime/worker.hpp"
#include "inferload/runtime/wait_group.hpp"

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

int effective_workers(const RunOptions& o) noexcept {
  int peak = 1;
  for (const ScenarioRun& s : o.scenarios) {
    peak = std::max(peak, static_cast<int>(o.segment.share(s.config.peak_vus())));
  }
  return std::max(1, std::min(o.workers, peak));
}

namespace {

// A VU's timers carry the scenario in the top byte and the VU in the rest, so that one
// scenario's hard stop (or one VU's ramp-down) interrupts those waits and no others.
constexpr int kOwnerScenarioShift = 24;
constexpr std::uint32_t kMaxVusPerOwner = (1u << kOwnerScenarioShift) - 1;
std::uint32_t scenario_tag(std::size_t scenario) noexcept {
  return static_cast<std::uint32_t>(scenario + 1) << kOwnerScenarioShift;
}

}  // namespace

// What every worker reads of a scenario; its times are fixed once every worker has prepared.
struct ScenarioShared {
  const ScenarioConfig* config = nullptr;
  Program* program = nullptr;
  std::unique_ptr<Executor> executor;
  std::size_t index = 0;
  Nanos start = 0;        // the run's start + startTime
  Nanos regular_end = 0;  // start + R
  Nanos hard_end = 0;     // regular_end + gracefulStop
};

struct Engine::Shared {
  explicit Shared(const RunOptions& o) : opt(o) {}
  const RunOptions& opt;
  std::vector<ScenarioShared> scenarios;
  int workers = 1;
  std::atomic<bool> stop_new{false};  // the user stopped the run: no iteration may start
  std::atomic<int> workers_alive{0};
  int done_fd = -1;  // written when the last worker has finished
  std::atomic<int> preparing{0};
  int ready_fd = -1;  // written when the last worker has prepared (or failed to)
};

struct Engine::WorkerSlot {
  WorkerSlot(Shared& s, int i) : shared(s), index(i) {}
  Shared& shared;
  int index;
  runtime::Reactor* reactor = nullptr;  // set on the worker's own thread
  std::vector<std::unique_ptr<ScenarioWorker>> scenarios;
  std::unique_ptr<runtime::Worker> worker;
  // Written by the worker's thread as it ends, read after the join.
  double cpu_seconds = 0;
  double spin_seconds = 0;  // of which the loop spun by choice (runtime::Reactor::spin_time)
  // The worker's side of the start line, touched on its own thread only.
  bool prepared = false;
  bool go = false;
  std::coroutine_handle<> go_waiter;

  void mark_prepared() noexcept {
    if (prepared) return;
    prepared = true;
    if (shared.preparing.fetch_sub(1) == 1) {
      const std::uint64_t one = 1;
      [[maybe_unused]] ssize_t n = ::write(shared.ready_fd, &one, sizeof(one));
    }
  }
  // Posted by the monitor once the scenarios' times are fixed.
  void start_line_crossed() noexcept {
    go = true;
    if (go_waiter) std::exchange(go_waiter, {}).resume();
  }
  struct Go {
    WorkerSlot& w;
    bool await_ready() const noexcept { return w.go; }
    void await_suspend(std::coroutine_handle<> h) noexcept { w.go_waiter = h; }
    void await_resume() const noexcept {}
  };
};

// One scenario on one worker: the host its executor drives.
struct Engine::ScenarioWorker final : ExecutorHost {
  ScenarioWorker(WorkerSlot& w, ScenarioShared& s) : w(w), s(s), shard(std::make_unique<Shard>()) {}

  runtime::Reactor& reactor() noexcept override { return *w.reactor; }
  int worker_index() const noexcept override { return w.index; }
  int worker_count() const noexcept override { return w.shared.workers; }
  const ScenarioConfig& config() const noexcept override { return *s.config; }
  Nanos start() const noexcept override { return s.start; }
  Nanos regular_end() const noexcept override { return s.regular_end; }
  bool may_start() const noexcept override {
    return !w.shared.stop_new.load(std::memory_order_relaxed) && w.reactor->clock() < s.regular_end;
  }

  bool stopped() const noexcept override { return w.shared.stop_new.load(std::memory_order_relaxed); }

  Vu& add_vu() override {
    auto vu = std::make_unique<Vu>();
    const auto local = static_cast<std::uint32_t>(vus.size());
    vu->id.number = static_cast<int>(local) * w.shared.workers + w.index + 1;
    vu->id.id_in_test = static_cast<int>(w.shared.opt.segment.global_index(static_cast<std::uint64_t>(vu->id.number - 1)) + 1);
    vu->id.owner = scenario_owner() | std::min(local + 1, kMaxVusPerOwner);
    vu->program = program->make_vu(vu->id);
    vus.push_back(std::move(vu));
    shard->live_vus_max.add();
    return *vus.back();
  }

  Nanos begin_iteration(Vu& vu, const IterationStart& start) noexcept override {
    const Nanos started = w.reactor->clock();
    vu.lateness = start.scheduled ? std::max<Nanos>(started - start.intended, 0) : -1;
    if (start.scheduled) {
      shard->schedule_lateness.record(vu.lateness);
      shard->live_lateness.record(vu.lateness);
    }
    ++shard->iterations_started;
    vu.in_iteration = true;
    shard->live_active_vus.add(1);
    return started;
  }

  void end_iteration(Vu& vu, Nanos started, IterationEnd end) noexcept override {
    vu.in_iteration = false;
    shard->live_active_vus.add(-1);
    if (end == IterationEnd::interrupted) {
      shard->record_interrupted_iteration();
      return;
    }
    const Nanos now = std::max(w.reactor->now(), started);
    shard->record_iteration(now - started);
    if (shard->samples) {
      metrics::SampleRecord r;
      r.kind = metrics::SampleKind::iteration;
      r.at = now;
      r.duration = now - started;
      r.intended = vu.lateness;
      shard->take_data(r);
      shard->emit(r);
    }
  }

  void drop(std::uint64_t n) noexcept override {
    shard->dropped_iterations += n;
    shard->live_dropped.add(static_cast<std::int64_t>(n));
    if (shard->samples) {
      metrics::SampleRecord r;
      r.kind = metrics::SampleKind::dropped;
      r.at = w.reactor->clock();
      for (std::uint64_t i = 0; i < n; ++i) shard->emit(r);
    }
  }

  void interrupt(Vu& vu) noexcept override {
    std::uint32_t owner = vu.id.owner;
    w.reactor->timers().fire_interrupted_if(
        [](void* ctx, std::uint32_t o) noexcept { return o == *static_cast<const std::uint32_t*>(ctx); }, &owner);
  }

  // The scenario's hard stop: every wait of its VUs and of its executor gives up.
  void interrupt_all() noexcept {
    std::uint32_t tag = scenario_owner();
    w.reactor->timers().fire_interrupted_if(
        [](void* ctx, std::uint32_t o) noexcept {
          return (o >> kOwnerScenarioShift) == (*static_cast<const std::uint32_t*>(ctx) >> kOwnerScenarioShift);
        },
        &tag);
  }

  std::uint32_t scenario_owner() const noexcept override { return scenario_tag(s.index); }

  void spawn(runtime::Task<void> task) override {
    tasks.add();
    w.reactor->spawn(tracked(std::move(task)));
  }

  runtime::Task<void> tracked(runtime::Task<void> task) {
    co_await std::move(task);
    tasks.done();
  }

  WorkerSlot& w;
  ScenarioShared& s;
  std::unique_ptr<Shard> shard;
  std::unique_ptr<WorkerProgram> program;
  std::unique_ptr<WorkerExecutor> executor;
  std::deque<std::unique_ptr<Vu>> vus;
  runtime::WaitGroup tasks;
};

Engine::Engine(RunOptions options) : opt_(std::move(options)) {}
Engine::~Engine() = default;

namespace {

// A scenario on one worker, from its startTime until its executor and every task it spawned
// have ended.
runtime::Task<void> run_scenario(Engine::ScenarioWorker& sw) {
  runtime::Reactor& r = sw.reactor();
  if (r.clock() < sw.start() &&
      co_await runtime::sleep_until(r, sw.start(), sw.scenario_owner()) == runtime::FireReason::interrupted) {
    co_return;
  }
  if (!sw.may_start()) co_return;
  sw.tasks.add();
  co_await sw.executor->run(sw);
  sw.tasks.done();
  co_await sw.tasks.wait();
}

// Handshakes in flight at once while preconnecting: well under a common listen backlog (511 in
// nginx, 128 in many servers), so that none is dropped and retried a second later.
constexpr std::size_t kConnectLanes = 64;
// The whole preconnect phase gives up after this: a VU left unconnected connects on its first
// iteration, as without --preconnect.
constexpr Nanos kPreconnectBound = 10 * runtime::kSecond;

// --preconnect: the VUs the executors made ahead open their connections, a bounded number at
// a time, until done, the bound, or a stop.
runtime::Task<void> preconnect(Engine::WorkerSlot& w) {
  std::vector<std::pair<Vu*, Shard*>> vus;
  for (auto& sw : w.scenarios) {
    for (auto& vu : sw->vus) vus.emplace_back(vu.get(), sw->shard.get());
  }
  struct Lanes {
    Lanes(const std::vector<std::pair<Vu*, Shard*>>& v, const std::atomic<bool>& s, runtime::Reactor& r)
        : vus(v), stop(s), done(&r) {}
    const std::vector<std::pair<Vu*, Shard*>>& vus;
    const std::atomic<bool>& stop;
    Nanos deadline = runtime::now_ns() + kPreconnectBound;
    std::size_t next = 0;
    runtime::WaitGroup done;
  } lanes(vus, w.shared.stop_new, *w.reactor);
  auto lane = [](Lanes& l) -> runtime::Task<void> {
    while (l.next < l.vus.size() && !l.stop.load(std::memory_order_relaxed) && runtime::now_ns() < l.deadline) {
      const auto [vu, shard] = l.vus[l.next++];
      ++shard->preconnect_asked;
      if (co_await vu->program->connect(l.deadline)) ++shard->preconnect_opened;
    }
    l.done.done();
  };
  for (std::size_t i = 0; i < std::min(kConnectLanes, vus.size()); ++i) {
    lanes.done.add();
    w.reactor->spawn(lane(lanes));
  }
  co_await lanes.done.wait();
  // Those never asked count as asked and not opened: the shortfall is reported.
  for (std::size_t i = lanes.next; i < vus.size(); ++i) ++vus[i].second->preconnect_asked;
}

// Owns the worker's programs from before the first VU starts until after the last one ended.
runtime::Task<void> run_worker(Engine::WorkerSlot& w) {
  runtime::Reactor& r = *w.reactor;
  for (auto& sw : w.scenarios) {
    sw->tasks.bind(r);
    if (!w.shared.opt.sample_rings.empty()) {
      sw->shard->samples = w.shared.opt.sample_rings[static_cast<std::size_t>(w.index) % w.shared.opt.sample_rings.size()];
      sw->shard->scenario_index = static_cast<std::uint8_t>(sw->s.index);
    }
    sw->program = sw->s.program->make_worker({r, *sw->shard, w.index, sw->s.executor->iteration_numbers()});
    sw->executor = sw->s.executor->for_worker(w.index, w.shared.workers);
  }
  // Connections are opened before the clock starts, so that no scheduled iteration waits for
  // them: the programs' shared ones, then (--preconnect) the pre-allocated VUs' own.
  for (auto& sw : w.scenarios) co_await sw->program->start();
  for (auto& sw : w.scenarios) co_await sw->executor->prepare(*sw);
  if (w.shared.opt.preconnect) co_await preconnect(w);
  w.mark_prepared();
  co_await Engine::WorkerSlot::Go{w};
  runtime::WaitGroup scenarios(&r);
  for (auto& sw : w.scenarios) {
    scenarios.add();
    r.spawn([](Engine::ScenarioWorker& s, runtime::WaitGroup& g) -> runtime::Task<void> {
      co_await run_scenario(s);
      g.done();
    }(*sw, scenarios));
  }
  co_await scenarios.wait();
  for (auto& sw : w.scenarios) {
    sw->vus.clear();  // a VU's program refers to its worker's program
    co_await sw->program->finish();
    // Bytes no completed iteration carried (an interrupted one's, the connections' last frames).
    Shard& sh = *sw->shard;
    while (sh.samples && (sh.data.sent != sh.data_emitted.sent || sh.data.received != sh.data_emitted.received)) {
      metrics::SampleRecord r;
      r.kind = metrics::SampleKind::data;
      r.at = runtime::now_ns();
      sh.take_data(r);
      sh.emit(r);
    }
    sw->program.reset();
    sw->executor.reset();
  }
}

}  // namespace

RunResult Engine::run(const MonitorHooks& hooks) {
  Shared shared(opt_);
  shared.done_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (shared.done_fd < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  shared.ready_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (shared.ready_fd < 0) {
    const int err = errno;
    ::close(shared.done_fd);
    throw std::system_error(err, std::generic_category(), "eventfd");
  }
  shared.workers = effective_workers(opt_);
  const int workers = shared.workers;

  shared.scenarios.resize(opt_.scenarios.size());
  for (std::size_t i = 0; i < opt_.scenarios.size(); ++i) {
    ScenarioShared& s = shared.scenarios[i];
    s.config = &opt_.scenarios[i].config;
    s.program = opt_.scenarios[i].program;
    s.executor = make_executor(*s.config, opt_.segment);
    s.index = i;
    s.program->prepare(workers);
  }

  std::vector<std::unique_ptr<WorkerSlot>> slots;
  for (int i = 0; i < workers; ++i) {
    slots.push_back(std::make_unique<WorkerSlot>(shared, i));
    for (ScenarioShared& s : shared.scenarios) slots.back()->scenarios.push_back(std::make_unique<ScenarioWorker>(*slots.back(), s));
  }
  shared.workers_alive = workers;
  shared.preparing = workers;

  RunResult result;
  result.workers = workers;
  Nanos start = 0;    // the run's clock starts once every worker has prepared
  Nanos run_end = 0;  // the latest hard stop of any scenario

  for (auto& slot : slots) {
    const int cpu = opt_.cpus.empty() ? -1 : opt_.cpus[static_cast<std::size_t>(slot->index) % opt_.cpus.size()];
    WorkerSlot* w = slot.get();
    slot->worker = std::make_unique<runtime::Worker>(slot->index, cpu, opt_.backend, [w](runtime::Reactor& r) {
      // Timers wake the loop within a microsecond of their deadline rather than within the
      // kernel's default 50 us of slack: arrival-rate schedules are kept to the microsecond.
      ::prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
      w->reactor = &r;
      r.set_spin_before_deadline(w->shared.opt.spin_before_deadline);
      struct Alive {
        WorkerSlot& w;
        ~Alive() {
          w.mark_prepared();
          timespec ts{};
          if (::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0) {
            w.cpu_seconds = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
          }
          w.spin_seconds = static_cast<double>(w.reactor->spin_time()) / 1e9;
          if (w.shared.workers_alive.fetch_sub(1) == 1) {
            const std::uint64_t one = 1;
            [[maybe_unused]] ssize_t n = ::write(w.shared.done_fd, &one, sizeof(one));
          }
        }
      };
      r.spawn([](WorkerSlot& ws) -> runtime::Task<void> {
        const Alive alive{ws};
        co_await run_worker(ws);
      }(*w));
    });
    if (!slot->worker->error().empty()) {
      // The reactor could not be built: its share never runs.
      result.worker_errors.push_back(slot->worker->error());
      if (shared.workers_alive.fetch_sub(1) == 1) {
        const std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(shared.done_fd, &one, sizeof(one));
      }
      slot->mark_prepared();
    }
  }
  // What k6 starts with: the closed-loop VUs all active, the arrival rates' pre-allocated ones idle.
  double initial_vus = 0, initial_max = 0;
  for (const ScenarioShared& s : shared.scenarios) {
    const ScenarioConfig& c = *s.config;
    const std::int64_t closed = c.executor == ExecutorKind::ramping_vus ? c.start_vus : c.vus;
    const double active = is_arrival_rate(c.executor) ? 0.0 : static_cast<double>(opt_.segment.share(closed));
    if (c.start_time == 0) initial_vus += active;
    initial_max += is_arrival_rate(c.executor) ? static_cast<double>(opt_.segment.share(c.pre_allocated_vus)) : active;
  }
  result.vus.sample(initial_vus, true);
  result.vus_max.sample(initial_max, true);

  auto hard_stop_all = [&] {
    shared.stop_new = true;
    for (auto& slot : slots) {
      WorkerSlot* w = slot.get();
      if (w->worker->error().empty()) w->worker->post([w] { w->reactor->timers().fire_all_interrupted(); });
    }
  };
  auto hard_stop_scenario = [&](std::size_t i) {
    for (auto& slot : slots) {
      WorkerSlot* w = slot.get();
      if (w->worker->error().empty()) w->worker->post([w, i] { w->scenarios[i]->interrupt_all(); });
    }
  };

  // The start line: a stop asked for while the workers prepare stops the run before it begins.
  bool stopped_all = false;
  for (;;) {
    pollfd fds[2] = {{shared.ready_fd, POLLIN, 0}, {hooks.stop_fd, POLLIN, 0}};
    if (::ppoll(fds, hooks.stop_fd >= 0 ? 2 : 1, nullptr, nullptr) <= 0) continue;
    if (fds[0].revents & POLLIN) break;
    if (hooks.stop_fd >= 0 && (fds[1].revents & POLLIN) && hooks.on_stop_fd && hooks.on_stop_fd() && !stopped_all) {
      result.stopped_by_user = true;
      stopped_all = true;
      hard_stop_all();
    }
  }
  ::close(shared.ready_fd);
  // --start-at: the processes that split a test start their clocks at one instant.
  while (!stopped_all && runtime::now_ns() < opt_.start_at) {
    const Nanos rel = opt_.start_at - runtime::now_ns();
    const timespec ts{static_cast<time_t>(rel / runtime::kSecond), static_cast<long>(rel % runtime::kSecond)};
    pollfd fd{hooks.stop_fd, POLLIN, 0};
    if (::ppoll(&fd, hooks.stop_fd >= 0 ? 1 : 0, &ts, nullptr) > 0 && (fd.revents & POLLIN) && hooks.on_stop_fd &&
        hooks.on_stop_fd()) {
      result.stopped_by_user = true;
      stopped_all = true;
      hard_stop_all();
    }
  }
  start = runtime::now_ns();
  run_end = start;
  for (ScenarioShared& s : shared.scenarios) {
    s.start = start + s.config->start_time;
    s.regular_end = s.start + s.config->regular_duration();
    s.hard_end = s.regular_end + s.config->graceful_stop;
    run_end = std::max(run_end, s.hard_end);
  }
  for (auto& slot : slots) {
    WorkerSlot* w = slot.get();
    if (w->worker->error().empty()) w->worker->post([w] { w->start_line_crossed(); });
  }
  if (!stopped_all && hooks.on_start) hooks.on_start(start);

  auto progress = [&](bool done) {
    Progress p;
    p.elapsed = runtime::now_ns() - start;
    p.scenarios.resize(shared.scenarios.size());
    for (auto& slot : slots) {
      for (std::size_t i = 0; i < slot->scenarios.size(); ++i) {
        const Shard& sh = *slot->scenarios[i]->shard;
        p.scenarios[i].active_vus += sh.live_active_vus.read();
        p.scenarios[i].iterations += sh.live_iterations.read();
        p.scenarios[i].dropped += sh.live_dropped.read();
        p.active_vus += sh.live_active_vus.read();
        p.vus_max += sh.live_vus_max.read();
        p.iterations += sh.live_iterations.read();
        p.interrupted += sh.live_interrupted.read();
        p.requests += sh.live_requests.read();
        p.failed += sh.live_failed.read();
        p.dropped += sh.live_dropped.read();
        sh.live_durations.add_to(p.durations);
        sh.live_lateness.add_to(p.lateness);
      }
    }
    p.stopping = shared.stop_new.load() || runtime::now_ns() >= run_end;
    p.done = done;
    return p;
  };

  std::vector<bool> scenario_stopped(shared.scenarios.size(), false);
  const Nanos interval = opt_.progress_interval > 0 ? opt_.progress_interval : runtime::kSecond;
  Nanos next_tick = start + interval;
  Nanos next_second = start + runtime::kSecond;
  while (shared.workers_alive.load() > 0) {
    const Nanos now = runtime::now_ns();
    Nanos wake = next_tick;
    for (std::size_t i = 0; i < shared.scenarios.size(); ++i) {
      if (scenario_stopped[i] || stopped_all) continue;
      if (now >= shared.scenarios[i].hard_end) {
        scenario_stopped[i] = true;
        hard_stop_scenario(i);
      } else {
        wake = std::min(wake, shared.scenarios[i].hard_end);
      }
    }
    if (now >= next_tick) {
      Progress p = progress(false);
      // vus and vus_max are sampled each second, as k6 does, however often the display redraws.
      if (now >= next_second) {
        p.second = true;
        next_second += runtime::kSecond;
        result.vus.sample(static_cast<double>(p.active_vus), false);
        result.vus_max.sample(static_cast<double>(p.vus_max), false);
      }
      if (hooks.on_progress) hooks.on_progress(p);
      next_tick += interval;
      continue;
    }
    const Nanos rel = std::max<Nanos>(wake - now, 0);
    timespec ts{static_cast<time_t>(rel / runtime::kSecond), static_cast<long>(rel % runtime::kSecond)};
    // A missing fd (-1) is skipped by ppoll.
    pollfd fds[3] = {{shared.done_fd, POLLIN, 0}, {hooks.stop_fd, POLLIN, 0}, {stopped_all ? -1 : hooks.abort_fd, POLLIN, 0}};
    const int n = ::ppoll(fds, 3, &ts, nullptr);
    if (n <= 0) continue;
    if (fds[0].revents & POLLIN) {
      std::uint64_t v;
      [[maybe_unused]] ssize_t r = ::read(shared.done_fd, &v, sizeof(v));
    }
    if (fds[2].fd >= 0 && (fds[2].revents & POLLIN)) {
      // k6's abortOnFail: every scenario stops at once, without its graceful stop.
      result.aborted_by_thresholds = true;
      stopped_all = true;
      hard_stop_all();
    }
    if (hooks.stop_fd >= 0 && (fds[1].revents & POLLIN) && hooks.on_stop_fd && hooks.on_stop_fd()) {
      result.stopped_by_user = true;
      if (!stopped_all) {
        stopped_all = true;
        hard_stop_all();
      }
    }
  }

  for (auto& slot : slots) {
    slot->worker->join();
    result.worker_cpu_seconds.push_back(slot->cpu_seconds);
    result.worker_spin_seconds.push_back(slot->spin_seconds);
    if (!slot->worker->error().empty() &&
        std::find(result.worker_errors.begin(), result.worker_errors.end(), slot->worker->error()) ==
            result.worker_errors.end()) {
      result.worker_errors.push_back(slot->worker->error());
    }
  }
  result.test_run_duration = runtime::now_ns() - start;
  ::close(shared.done_fd);

  const Progress last = progress(true);
  result.vus_max.sample(static_cast<double>(last.vus_max), false);
  result.totals = std::make_unique<Shard>();
  for (std::size_t i = 0; i < shared.scenarios.size(); ++i) {
    ScenarioResult sr;
    sr.totals = std::make_unique<Shard>();
    for (auto& slot : slots) {
      sr.totals->merge(*slot->scenarios[i]->shard);
    }
    sr.dropped_iterations = sr.totals->dropped_iterations + shared.scenarios[i].executor->dropped_at_end(sr.totals->iterations_started);
    result.dropped_iterations += sr.dropped_iterations;
    result.totals->merge(*sr.totals);
    result.scenarios.push_back(std::move(sr));
  }
  if (hooks.on_progress) {
    Progress p = last;
    p.elapsed = result.test_run_duration;
    p.dropped = static_cast<std::int64_t>(result.dropped_iterations);
    for (std::size_t i = 0; i < p.scenarios.size(); ++i) {
      p.scenarios[i].dropped = static_cast<std::int64_t>(result.scenarios[i].dropped_iterations);
    }
    hooks.on_progress(p);
  }
  return result;
}

RunResult empty_result(std::size_t scenarios) {
  RunResult r;
  r.totals = std::make_unique<Shard>();
  for (std::size_t i = 0; i < scenarios; ++i) r.scenarios.push_back({std::make_unique<Shard>(), 0});
  return r;
}

}  // namespace inferload::load
