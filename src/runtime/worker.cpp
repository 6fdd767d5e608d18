#include "inferload/runtime/worker.hpp"

#include <pthread.h>
#include <sched.h>

#include <exception>

namespace inferload::runtime {

std::vector<int> allowed_cpus() {
  std::vector<int> cpus;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    for (int i = 0; i < CPU_SETSIZE; ++i) {
      if (CPU_ISSET(i, &set)) cpus.push_back(i);
    }
  }
  if (cpus.empty()) {
    const unsigned n = std::thread::hardware_concurrency();
    for (unsigned i = 0; i < (n ? n : 1); ++i) cpus.push_back(static_cast<int>(i));
  }
  return cpus;
}

Worker::Worker(int index, int cpu, const BackendChoice& backend, std::function<void(Reactor&)> body)
    : index_(index) {
  thread_ = std::thread([this, cpu, backend, body = std::move(body)]() mutable { main(cpu, backend, std::move(body)); });
  started_.wait();
}

Worker::~Worker() { join(); }

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

void Worker::post(std::function<void()> fn) {
  std::lock_guard lock(mutex_);
  if (reactor_) reactor_->post(std::move(fn));
}

void Worker::main(int cpu, const BackendChoice& backend, std::function<void(Reactor&)> body) {
  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    pinned_ = pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
  }
  std::string name = "inferload-w" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());

  std::unique_ptr<Reactor> reactor;
  try {
    reactor = make_reactor(backend);
  } catch (const std::exception& e) {
    error_ = e.what();
    started_.count_down();
    return;
  }
  {
    std::lock_guard lock(mutex_);
    reactor_ = reactor.get();
  }
  started_.count_down();
  try {
    body(*reactor);
    reactor->run();
  } catch (const std::exception& e) {
    error_ = e.what();
  }
  {
    std::lock_guard lock(mutex_);
    reactor_ = nullptr;
  }
}

}  // namespace inferload::runtime
