#pragma once
// How this process takes part in a test that several processes split (docs/distributed.md):
// which execution segment it runs, whether it runs setup and teardown, the gate it waits at
// before its load and the instant its load starts.
#include <optional>
#include <string>

#include "inferload/app/cli.hpp"
#include "inferload/app/options_file.hpp"
#include "inferload/load/execution_segment.hpp"
#include "inferload/runtime/clock.hpp"
#include "inferload/scv2/settings.hpp"

namespace inferload::app {

struct DistributedPlan {
  load::SegmentShare segment;  // the whole test unless it is split
  std::string origin;          // where the segment came from, for messages and the header
  std::optional<std::string> ready_file;
  std::string ready_source;                // "--ready-file" or "INFERLOAD_READY_FILE"
  std::optional<runtime::Nanos> start_at;  // Unix time, ns
  std::string start_at_source;             // "--start-at" or "INFERLOAD_START_AT"

  // Only the first segment (FROM 0) runs setup and teardown; the others wait for its ready file.
  bool runs_control() const noexcept { return segment.first(); }
  // What a ready file names, so that one an earlier split test left is not taken for this one's:
  // the sequence, and the start instant when there is one.
  std::string ready_key() const;
};

// From --execution-segment, --execution-segment-sequence (or the options file's executionSegment
// and executionSegmentSequence, below the flags), --parallelism (or INFERLOAD_PARALLELISM) with
// JOB_COMPLETION_INDEX, --ready-file (INFERLOAD_READY_FILE) and --start-at (INFERLOAD_START_AT).
// `env` is the process environment. Throws ExitError: 255 naming the flag or variable whose value
// does not parse, 104 for a segment that is not one of its sequence's or flags that contradict
// JOB_COMPLETION_INDEX and --parallelism.
DistributedPlan plan_distributed(const RunArgs& a, const scv2::EnvLookup& env, const std::optional<OptionsFile>& file);

}  // namespace inferload::app
