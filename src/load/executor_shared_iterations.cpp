// shared-iterations: the VUs take iterations from one pool until it is empty or maxDuration
// passes; whatever nobody claimed is dropped at the end (k6-semantics.md 2.2). A segment of the
// test runs its share of the VUs, and its share of the iterations in the sequence re-derived from
// the VUs (k6-semantics.md 3.5: thirds of 5 VUs and 100 iterations are 2, 2, 1 VUs and 40, 40, 20
// iterations).
#include <algorithm>
#include <atomic>

#include "closed_loop.hpp"
#include "executors.hpp"

namespace inferload::load {
namespace {

class SharedIterations;

class SharedIterationsWorker final : public WorkerExecutor {
 public:
  SharedIterationsWorker(SharedIterations& e, int index, int workers) : e_(e), index_(index), workers_(workers) {}
  runtime::Task<void> run(ExecutorHost& host) override;

 private:
  bool claim() noexcept;
  SharedIterations& e_;
  int index_, workers_;
  std::uint64_t budget_ = 0;  // claimed by this worker, not started yet
};

class SharedIterations final : public Executor {
 public:
  SharedIterations(const ScenarioConfig& c, const SegmentShare& segment, const SegmentShare& by_vus)
      : Executor(by_vus),
        total(static_cast<std::uint64_t>(by_vus.share(static_cast<std::int64_t>(c.iterations)))),
        vus(segment.share(c.vus)) {}
  std::unique_ptr<WorkerExecutor> for_worker(int index, int workers) override {
    return std::make_unique<SharedIterationsWorker>(*this, index, workers);
  }
  std::uint64_t dropped_at_end(std::uint64_t started) const noexcept override {
    return started < total ? total - started : 0;
  }

  const std::uint64_t total;
  const std::int64_t vus;
  std::atomic<std::uint64_t> claimed{0};
};

// Iterations are taken from the shared pool in batches, so that the pool's atomic is not touched
// per request; batches shrink towards the end so that no worker sits on the last ones.
bool SharedIterationsWorker::claim() noexcept {
  if (budget_ == 0) {
    const std::uint64_t seen = e_.claimed.load(std::memory_order_relaxed);
    if (seen >= e_.total) return false;
    const std::uint64_t batch =
        std::clamp<std::uint64_t>((e_.total - seen) / (8 * static_cast<std::uint64_t>(std::max<std::int64_t>(e_.vus, 1))), 1, 256);
    const std::uint64_t old = e_.claimed.fetch_add(batch, std::memory_order_relaxed);
    if (old >= e_.total) return false;
    budget_ = std::min(batch, e_.total - old);
  }
  --budget_;
  return true;
}

runtime::Task<void> SharedIterationsWorker::run(ExecutorHost& host) {
  const std::int64_t mine = striped_share(e_.vus, index_, workers_);
  for (std::int64_t i = 0; i < mine; ++i) {
    Vu& vu = host.add_vu();
    host.spawn(closed_loop(host, vu, [this](Vu&) { return claim(); }));
  }
  co_return;
}

}  // namespace

std::unique_ptr<Executor> make_shared_iterations(const ScenarioConfig& c, const SegmentShare& segment) {
  return std::make_unique<SharedIterations>(c, segment, segment.for_value(c.vus));
}

}  // namespace inferload::load
