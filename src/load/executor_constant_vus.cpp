// constant-vus: every VU loops iterations, unpaced, until the duration is over. A segment of the
// test runs its share of the VUs for the whole duration.
#include "closed_loop.hpp"
#include "executors.hpp"

namespace inferload::load {
namespace {

class ConstantVusWorker final : public WorkerExecutor {
 public:
  explicit ConstantVusWorker(std::int64_t vus) : vus_(vus) {}
  runtime::Task<void> run(ExecutorHost& host) override {
    for (std::int64_t i = 0; i < vus_; ++i) {
      Vu& vu = host.add_vu();
      host.spawn(closed_loop(host, vu, [](Vu&) { return true; }));
    }
    co_return;
  }

 private:
  std::int64_t vus_;
};

class ConstantVus final : public Executor {
 public:
  ConstantVus(std::int64_t vus, const SegmentShare& segment) : Executor(segment), vus_(vus) {}
  std::unique_ptr<WorkerExecutor> for_worker(int index, int workers) override {
    return std::make_unique<ConstantVusWorker>(striped_share(vus_, index, workers));
  }

 private:
  std::int64_t vus_;
};

}  // namespace

std::unique_ptr<Executor> make_constant_vus(const ScenarioConfig& c, const SegmentShare& segment) {
  return std::make_unique<ConstantVus>(segment.share(c.vus), segment);
}

}  // namespace inferload::load
