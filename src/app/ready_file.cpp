#include "inferload/app/ready_file.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

namespace inferload::app {
namespace {

constexpr std::string_view kHead = "inferload setup: ";
constexpr std::string_view kKey = "key: ";
constexpr runtime::Nanos kPollInterval = 100 * runtime::kMillisecond;
constexpr runtime::Nanos kNoteInterval = 10 * runtime::kSecond;

// The file's text, or empty when it cannot be read (not there yet).
std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string done_path(const std::string& path, std::size_t index) { return path + ".done-" + std::to_string(index); }

enum class Polled { found, timed_out, stopped };

// Calls `found` every 100 ms until it returns true, the deadline passes or a stop signal comes;
// prints "waiting for WHAT: Ns" every 10 s unless quiet.
Polled poll_until(const std::function<bool()>& found, runtime::Nanos timeout, const PhaseHooks& hooks,
                  const std::string& what) {
  const runtime::Nanos start = runtime::now_ns();
  const runtime::Nanos deadline = timeout > runtime::kNever - start ? runtime::kNever : start + timeout;
  runtime::Nanos next_note = start + kNoteInterval;
  for (;;) {
    if (found()) return Polled::found;
    const runtime::Nanos now = runtime::now_ns();
    if (now >= deadline) return Polled::timed_out;
    if (!hooks.quiet && now >= next_note) {
      std::printf("waiting for %s: %.0fs\n", what.c_str(), static_cast<double>(now - start) / 1e9);
      std::fflush(stdout);
      next_note += kNoteInterval;
    }
    const runtime::Nanos rel = std::min(kPollInterval, deadline - now);
    const timespec ts{static_cast<time_t>(rel / runtime::kSecond), static_cast<long>(rel % runtime::kSecond)};
    pollfd fd{hooks.stop_fd, POLLIN, 0};
    if (::ppoll(&fd, hooks.stop_fd >= 0 ? 1 : 0, &ts, nullptr) > 0 && (fd.revents & POLLIN) && hooks.on_stop_fd &&
        hooks.on_stop_fd()) {
      return Polled::stopped;
    }
  }
}

// Whole or not at all: a reader never sees half a file.
void write_atomically(const std::string& path, const std::string& source, const std::string& text) {
  const std::string partial = path + ".partial-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(partial.c_str(), "w");
  const bool written = f && std::fwrite(text.data(), 1, text.size(), f) == text.size();
  const bool closed = f && std::fclose(f) == 0;
  if (!written || !closed || std::rename(partial.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(partial.c_str());
    throw ExitError(kExitOtherError, source + " " + path + ": cannot write: " + std::strerror(err));
  }
}

}  // namespace

ReadyFile::ReadyFile(std::string path, std::string source, std::string key)
    : path_(std::move(path)), source_(std::move(source)), key_(std::move(key)) {}

void ReadyFile::prepare(std::size_t segments) const {
  for (std::size_t i = 0; i < segments; ++i) {
    const std::string p = i == 0 ? path_ : done_path(path_, i);
    if (::unlink(p.c_str()) != 0 && errno != ENOENT) {
      throw ExitError(kExitOtherError, source_ + " " + p + ": cannot remove the one an earlier test left: " +
                                           std::strerror(errno));
    }
  }
  const std::string probe = path_ + ".probe-" + std::to_string(::getpid());
  std::FILE* f = std::fopen(probe.c_str(), "w");
  if (!f) throw ExitError(kExitOtherError, source_ + " " + path_ + ": cannot write there: " + std::strerror(errno));
  std::fclose(f);
  ::unlink(probe.c_str());
}

void ReadyFile::publish(const std::string& failure) const {
  std::string verdict = failure.empty() ? "ok" : "failed: " + failure;
  std::replace(verdict.begin(), verdict.end(), '\n', ' ');
  write_atomically(path_, source_, std::string(kHead) + verdict + "\n" + std::string(kKey) + key_ + "\n");
}

ReadyFile::Wait ReadyFile::wait(runtime::Nanos timeout, const PhaseHooks& hooks) const {
  if (!hooks.quiet) {
    std::printf("waiting for the first segment's setup: %s %s\n", source_.c_str(), path_.c_str());
    std::fflush(stdout);
  }
  std::string verdict;
  const auto found = [&] {
    const std::string text = read_all(path_);
    const auto line_end = text.find('\n');
    // One an earlier test left, or that is not inferload's, is not this test's gate.
    if (line_end == std::string::npos || !text.starts_with(kHead) ||
        text.compare(line_end + 1, std::string::npos, std::string(kKey) + key_ + "\n") != 0) {
      return false;
    }
    verdict = text.substr(kHead.size(), line_end - kHead.size());
    return true;
  };
  switch (poll_until(found, timeout, hooks, "the first segment's setup")) {
    case Polled::timed_out: return {Outcome::timed_out, {}};
    case Polled::stopped: return {Outcome::stopped, {}};
    case Polled::found: break;
  }
  if (verdict == "ok") return {Outcome::ready, {}};
  return {Outcome::setup_failed, verdict.starts_with("failed: ") ? verdict.substr(8) : verdict};
}

void ReadyFile::publish_done(std::size_t index) const {
  write_atomically(done_path(path_, index), source_, std::string(kKey) + key_ + "\n");
}

std::size_t ReadyFile::wait_done(std::size_t segments, runtime::Nanos timeout, const PhaseHooks& hooks) const {
  std::size_t missing = segments - 1;
  const auto found = [&] {
    missing = 0;
    for (std::size_t i = 1; i < segments; ++i) {
      if (read_all(done_path(path_, i)) != std::string(kKey) + key_ + "\n") ++missing;
    }
    return missing == 0;
  };
  poll_until(found, timeout, hooks, "the other segments' load to end before teardown");
  return missing;
}

}  // namespace inferload::app
