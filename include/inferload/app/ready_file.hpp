#pragma once
// The gates of a split test (docs/distributed.md), files on a volume every process sees. The
// first segment writes PATH once its setup is over, saying whether setup completed, and the
// others wait for it before their load; each other segment writes PATH.done-I (I its place in
// the sequence) once its load is over, and the first one waits for them all before its
// teardown. Every file names the split test (DistributedPlan::ready_key), so one an earlier test
// left behind is never taken for this one's; they are read every 100 ms.
#include <cstddef>
#include <string>

#include "inferload/app/control_phase.hpp"
#include "inferload/runtime/clock.hpp"

namespace inferload::app {

class ReadyFile {
 public:
  // `source`: the flag or variable that named `path`, for messages.
  ReadyFile(std::string path, std::string source, std::string key);

  // First segment, before setup: removes what an earlier test left at the paths (PATH and the
  // `segments` - 1 others' PATH.done-I) and checks that the directory takes a file, so that a bad
  // path costs no setup. Throws ExitError(255).
  void prepare(std::size_t segments) const;
  // First segment, after setup: `failure` is empty when setup completed (or there was none),
  // else why it did not. Written whole or not at all (a rename). Throws ExitError(255).
  void publish(const std::string& failure) const;

  enum class Outcome { ready, setup_failed, timed_out, stopped };
  struct Wait {
    Outcome outcome;
    std::string detail;  // the first segment's reason when its setup failed
  };
  // The other segments, before their load: waits for the file, `timeout` at most, printing a
  // line every 10 s unless hooks.quiet; a stop signal ends the wait.
  Wait wait(runtime::Nanos timeout, const PhaseHooks& hooks) const;

  // Another segment, after its load: the segment at place `index` of the sequence is done.
  // Throws ExitError(255).
  void publish_done(std::size_t index) const;
  // First segment, before teardown: waits until segments 1 .. `segments` - 1 are done, `timeout`
  // at most, or a stop signal. Returns how many were not.
  std::size_t wait_done(std::size_t segments, runtime::Nanos timeout, const PhaseHooks& hooks) const;

  const std::string& path() const noexcept { return path_; }
  const std::string& source() const noexcept { return source_; }

 private:
  std::string path_, source_, key_;
};

}  // namespace inferload::app
