#pragma once
// A worker: one thread, pinned to one CPU, running one reactor. Whatever it runs (VUs,
// connections, metrics shards) lives and dies on that thread.
#include <functional>
#include <latch>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "inferload/runtime/backend.hpp"

namespace inferload::runtime {

// CPUs this process may run on (its affinity mask), in ascending order.
std::vector<int> allowed_cpus();

class Worker {
 public:
  // `body` runs on the new thread once its reactor exists; it spawns the worker's tasks. The
  // thread then runs the reactor until every task has finished. cpu < 0: no pinning.
  Worker(int index, int cpu, const BackendChoice& backend, std::function<void(Reactor&)> body);
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker();  // joins

  // Thread-safe. Runs fn on the worker's thread; does nothing once the worker has finished.
  void post(std::function<void()> fn);
  void join();
  bool pinned() const noexcept { return pinned_; }
  // Set if the worker could not start its reactor or a task threw out of `body`.
  const std::string& error() const noexcept { return error_; }

 private:
  void main(int cpu, const BackendChoice& backend, std::function<void(Reactor&)> body);

  int index_;
  std::mutex mutex_;
  Reactor* reactor_ = nullptr;  // guarded by mutex_; null before start and after finish
  std::latch started_{1};
  bool pinned_ = false;
  std::string error_;
  std::thread thread_;
};

}  // namespace inferload::runtime
