#pragma once
// Task<T>: a lazily started coroutine that hands control back to its awaiter by symmetric
// transfer (no stack growth however long a chain of awaits is). Frames come from the per-thread
// frame pool, so awaiting a Task in steady state does not touch the heap.
#include <coroutine>
#include <exception>
#include <utility>
#include <variant>

#include "inferload/runtime/frame_pool.hpp"

namespace inferload::runtime {

template <typename T = void>
class Task;

namespace detail {

struct PromiseBase {
  std::coroutine_handle<> continuation;

  static void* operator new(std::size_t size) { return frame_pool::allocate(size); }
  static void operator delete(void* p, std::size_t size) noexcept { frame_pool::deallocate(p, size); }

  std::suspend_always initial_suspend() noexcept { return {}; }

  struct FinalAwaiter {
    bool await_ready() const noexcept { return false; }
    template <typename P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
      auto next = h.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
};

// Ownership of the frame and the awaiting protocol, shared by Task<T> and Task<void>.
template <typename Promise>
class TaskBase {
 public:
  using handle = std::coroutine_handle<Promise>;

  TaskBase(TaskBase&& o) noexcept : h_(std::exchange(o.h_, {})) {}
  TaskBase& operator=(TaskBase&& o) noexcept {
    if (this != &o) {
      if (h_) h_.destroy();
      h_ = std::exchange(o.h_, {});
    }
    return *this;
  }
  ~TaskBase() {
    if (h_) h_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiter) noexcept {
    h_.promise().continuation = awaiter;
    return h_;
  }

 protected:
  explicit TaskBase(handle h) noexcept : h_(h) {}
  handle h_;
};

template <typename T>
struct ValuePromise : PromiseBase {
  std::variant<std::monostate, T, std::exception_ptr> result;
  Task<T> get_return_object() noexcept;
  template <typename U>
  void return_value(U&& v) {
    result.template emplace<1>(std::forward<U>(v));
  }
  void unhandled_exception() noexcept { result.template emplace<2>(std::current_exception()); }
};

struct VoidPromise : PromiseBase {
  std::exception_ptr error;
  Task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task : public detail::TaskBase<detail::ValuePromise<T>> {
 public:
  using promise_type = detail::ValuePromise<T>;

  T await_resume() {
    auto& r = this->h_.promise().result;
    if (r.index() == 2) std::rethrow_exception(std::get<2>(r));
    return std::move(std::get<1>(r));
  }

 private:
  friend promise_type;
  explicit Task(typename Task::handle h) noexcept : detail::TaskBase<promise_type>(h) {}
};

template <>
class [[nodiscard]] Task<void> : public detail::TaskBase<detail::VoidPromise> {
 public:
  using promise_type = detail::VoidPromise;

  void await_resume() {
    if (h_.promise().error) std::rethrow_exception(h_.promise().error);
  }

 private:
  friend promise_type;
  explicit Task(handle h) noexcept : detail::TaskBase<promise_type>(h) {}
};

namespace detail {

template <typename T>
Task<T> ValuePromise<T>::get_return_object() noexcept {
  return Task<T>(std::coroutine_handle<ValuePromise<T>>::from_promise(*this));
}

inline Task<void> VoidPromise::get_return_object() noexcept {
  return Task<void>(std::coroutine_handle<VoidPromise>::from_promise(*this));
}

}  // namespace detail

}  // namespace inferload::runtime
