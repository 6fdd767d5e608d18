// per-vu-iterations: every VU runs its own count of iterations back to back; what a VU still
// had left when maxDuration passed is dropped (k6-semantics.md 2.2). A segment of the test runs
// its share of the VUs, each with the full count.
#include "closed_loop.hpp"
#include "executors.hpp"

namespace inferload::load {
namespace {

class PerVuIterationsWorker final : public WorkerExecutor {
 public:
  PerVuIterationsWorker(const ScenarioConfig& c, std::int64_t vus, int index, int workers)
      : c_(c), vus_(vus), index_(index), workers_(workers) {}

  runtime::Task<void> run(ExecutorHost& host) override {
    const std::int64_t mine = striped_share(vus_, index_, workers_);
    for (std::int64_t i = 0; i < mine; ++i) {
      Vu& vu = host.add_vu();
      vu.iterations_left = c_.iterations;
      host.spawn(vu_loop(host, vu));
    }
    co_return;
  }

 private:
  static runtime::Task<void> vu_loop(ExecutorHost& host, Vu& vu) {
    co_await closed_loop(host, vu, [](Vu& v) {
      if (v.iterations_left == 0) return false;
      --v.iterations_left;
      return true;
    });
    // Stopped by the clock (or a hard stop) with iterations to go: k6 drops them.
    if (vu.iterations_left > 0) host.drop(vu.iterations_left);
  }

  const ScenarioConfig& c_;
  std::int64_t vus_;
  int index_, workers_;
};

class PerVuIterations final : public Executor {
 public:
  PerVuIterations(const ScenarioConfig& c, const SegmentShare& segment)
      : Executor(segment), c_(c), vus_(segment.share(c.vus)) {}
  std::unique_ptr<WorkerExecutor> for_worker(int index, int workers) override {
    return std::make_unique<PerVuIterationsWorker>(c_, vus_, index, workers);
  }

 private:
  ScenarioConfig c_;
  std::int64_t vus_;
};

}  // namespace

std::unique_ptr<Executor> make_per_vu_iterations(const ScenarioConfig& c, const SegmentShare& segment) {
  return std::make_unique<PerVuIterations>(c, segment);
}

}  // namespace inferload::load
