#pragma once
// Tests of the io_uring backend skip themselves, saying why, on a machine that refuses io_uring
// (a seccomp profile, kernel.io_uring_disabled); the epoll variants of the same tests still run.
#include <gtest/gtest.h>

#include <string>

#include "inferload/runtime/backend.hpp"

#define SKIP_IF_BACKEND_UNAVAILABLE(wanted)                                                    \
  do {                                                                                          \
    if ((wanted) == inferload::runtime::IoBackend::uring) {                                     \
      const auto choice = inferload::runtime::choose_backend(std::nullopt);                     \
      if (choice.backend != inferload::runtime::IoBackend::uring) GTEST_SKIP() << choice.detail; \
    }                                                                                           \
  } while (0)
