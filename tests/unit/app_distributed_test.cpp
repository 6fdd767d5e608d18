// How a process finds its part of a split test: the segment flags, the options file's keys,
// JOB_COMPLETION_INDEX with --parallelism, --start-at and --ready-file, with every error a line
// that names its flag or variable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "inferload/app/distributed.hpp"
#include "inferload/app/ready_file.hpp"
#include "inferload/app/rfc3339.hpp"

namespace inferload::app {
namespace {

using runtime::kSecond;

scv2::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    if (auto it = vars.find(name); it != vars.end()) return it->second;
    return std::nullopt;
  };
}

std::string error_of(auto&& f, int code) {
  try {
    f();
  } catch (const ExitError& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return e.what();
  }
  return "(no error)";
}

std::string segment_of(const DistributedPlan& p) {
  return load::to_string(p.segment.segment()) + " in " + load::sequence_to_string(p.segment.sequence());
}

TEST(Distributed, UnsplitByDefault) {
  const DistributedPlan p = plan_distributed(RunArgs{}, env_of({{"JOB_COMPLETION_INDEX", "2"}}), std::nullopt);
  EXPECT_TRUE(p.segment.whole());
  EXPECT_TRUE(p.runs_control());
  EXPECT_FALSE(p.ready_file);
  EXPECT_FALSE(p.start_at);
}

TEST(Distributed, TheFlagsGiveTheSegmentAndTheOptionsFileRanksBelowThem) {
  RunArgs a;
  a.execution_segment = "1/3:2/3";
  a.execution_segment_sequence = "0,1/3,2/3,1";
  DistributedPlan p = plan_distributed(a, env_of({}), std::nullopt);
  EXPECT_EQ(segment_of(p), "1/3:2/3 in 0,1/3,2/3,1");
  EXPECT_FALSE(p.runs_control());
  EXPECT_EQ(p.segment.index(), 1u);

  OptionsFile file;
  file.execution_segment = load::parse_execution_segment("0:1/2");
  file.execution_segment_sequence = load::parse_execution_segment_sequence("0,1/2,1");
  EXPECT_EQ(segment_of(plan_distributed(RunArgs{}, env_of({}), file)), "0:1/2 in 0,1/2,1");
  a.execution_segment_sequence.reset();
  a.execution_segment = "1/2:1";
  EXPECT_EQ(segment_of(plan_distributed(a, env_of({}), file)), "1/2:1 in 0,1/2,1");
  // Without a sequence, k6's own: 0, FROM, TO, 1.
  EXPECT_EQ(segment_of(plan_distributed(a, env_of({}), std::nullopt)), "1/2:1 in 0,1/2,1");
}

TEST(Distributed, AnIndexedJobDerivesItsSegmentFromItsIndex) {
  RunArgs a;
  a.parallelism = "4";
  const DistributedPlan p = plan_distributed(a, env_of({{"JOB_COMPLETION_INDEX", "2"}}), std::nullopt);
  EXPECT_EQ(segment_of(p), "1/2:3/4 in 0,1/4,1/2,3/4,1");
  EXPECT_EQ(p.origin, "JOB_COMPLETION_INDEX=2 of --parallelism 4");
  const DistributedPlan q = plan_distributed(
      RunArgs{}, env_of({{"JOB_COMPLETION_INDEX", "0"}, {"INFERLOAD_PARALLELISM", "3"}}), std::nullopt);
  EXPECT_EQ(segment_of(q), "0:1/3 in 0,1/3,2/3,1");
  EXPECT_TRUE(q.runs_control());
  // The same segment given twice is no conflict.
  a.execution_segment = "2/4:75%";
  a.execution_segment_sequence = "1/4,1/2,3/4";
  EXPECT_EQ(segment_of(plan_distributed(a, env_of({{"JOB_COMPLETION_INDEX", "2"}}), std::nullopt)),
            "1/2:3/4 in 0,1/4,1/2,3/4,1");
}

TEST(Distributed, ContradictionsAndBadValuesAreOneLineNamingTheirSource) {
  RunArgs a;
  a.parallelism = "3";
  EXPECT_EQ(error_of([&] { plan_distributed(a, env_of({}), std::nullopt); }, kExitInvalidConfig),
            "--parallelism 3: JOB_COMPLETION_INDEX is not set (Kubernetes sets it in every pod of an Indexed Job)");
  EXPECT_EQ(error_of([&] { plan_distributed(a, env_of({{"JOB_COMPLETION_INDEX", "3"}}), std::nullopt); }, kExitOtherError),
            "JOB_COMPLETION_INDEX: 3 is out of range (allowed: 0 to 2)");
  EXPECT_EQ(error_of([&] { plan_distributed(RunArgs{}, env_of({{"INFERLOAD_PARALLELISM", "x"}}), std::nullopt); },
                     kExitOtherError),
            "INFERLOAD_PARALLELISM: \"x\" is not a whole number (allowed: 1 to 1000000)");
  a.execution_segment = "0:1/3";
  EXPECT_EQ(error_of([&] { plan_distributed(a, env_of({{"JOB_COMPLETION_INDEX", "1"}}), std::nullopt); },
                     kExitInvalidConfig),
            "--execution-segment 0:1/3 contradicts JOB_COMPLETION_INDEX=1 of --parallelism 3, which is segment 1/3:2/3");
  a.execution_segment.reset();
  a.execution_segment_sequence = "0,1/2,1";
  EXPECT_EQ(error_of([&] { plan_distributed(a, env_of({{"JOB_COMPLETION_INDEX", "1"}}), std::nullopt); },
                     kExitInvalidConfig),
            "--execution-segment-sequence 0,1/2,1 contradicts JOB_COMPLETION_INDEX=1 of --parallelism 3, which is the "
            "sequence 0,1/3,2/3,1");

  RunArgs b;
  b.execution_segment = "1/2:3/4";
  b.execution_segment_sequence = "0,1/3,2/3,1";
  EXPECT_EQ(error_of([&] { plan_distributed(b, env_of({}), std::nullopt); }, kExitInvalidConfig),
            "--execution-segment: couldn't find segment 1/2:3/4 in sequence 0,1/3,2/3,1");
  b.execution_segment = "12.5%";
  EXPECT_EQ(error_of([&] { plan_distributed(b, env_of({}), std::nullopt); }, kExitOtherError),
            "--execution-segment: '12.5%' is not a valid percentage");
  RunArgs c;
  c.ready_file = "";
  EXPECT_EQ(error_of([&] { plan_distributed(c, env_of({}), std::nullopt); }, kExitOtherError),
            "--ready-file: the path is empty");
  EXPECT_EQ(error_of([&] { plan_distributed(RunArgs{}, env_of({{"INFERLOAD_START_AT", "noon"}}), std::nullopt); },
                     kExitOtherError),
            "INFERLOAD_START_AT: \"noon\" is not an RFC 3339 time such as 2025-06-01T12:00:00Z");
}

TEST(Distributed, StartAtAndReadyFileComeFromFlagsOrEnv) {
  RunArgs a;
  a.ready_file = "results/.setup-done";
  const DistributedPlan p = plan_distributed(
      a, env_of({{"INFERLOAD_READY_FILE", "other"}, {"INFERLOAD_START_AT", "2025-06-01T12:00:00Z"}}), std::nullopt);
  EXPECT_EQ(*p.ready_file, "results/.setup-done");
  EXPECT_EQ(p.ready_source, "--ready-file");
  EXPECT_EQ(*p.start_at, 1748779200LL * kSecond);
  EXPECT_EQ(p.start_at_source, "INFERLOAD_START_AT");
  EXPECT_EQ(p.ready_key(), "sequence 0,1 start-at 1748779200000000000");
}

TEST(Rfc3339, ReadsInstantsWithFractionsAndOffsets) {
  EXPECT_EQ(parse_rfc3339("--start-at", "1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("--start-at", "2025-06-01T12:00:00Z"), 1748779200LL * kSecond);
  EXPECT_EQ(parse_rfc3339("--start-at", "2025-06-01t14:00:00.25+02:00"), 1748779200LL * kSecond + kSecond / 4);
  EXPECT_EQ(parse_rfc3339("--start-at", "2025-06-01T11:30:00.000000001-00:30"), 1748779200LL * kSecond + 1);
  EXPECT_EQ(parse_rfc3339("--start-at", "2025-06-01T12:00:00z"), 1748779200LL * kSecond);
  EXPECT_EQ(parse_rfc3339("--start-at", "2024-02-29T00:00:00Z"), 1709164800LL * kSecond);
  for (const char* bad : {"2025-06-01", "2025-06-01T12:00:00", "2025-06-01 12:00:00Z", "2025-02-29T00:00:00Z",
                          "2025-06-01T24:00:00Z", "2025-06-01T12:00:00.Z", "2025-06-01T12:00:00+0200"}) {
    EXPECT_NE(error_of([&] { parse_rfc3339("--start-at", bad); }, kExitOtherError), "(no error)") << bad;
  }
}

TEST(ReadyFile, TheGateOpensOnlyForItsOwnTest) {
  const auto dir = std::filesystem::temp_directory_path() / ("inferload-ready-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "ready").string();
  PhaseHooks quiet;
  quiet.quiet = true;
  const ReadyFile mine(path, "--ready-file", "sequence 0,1/2,1");
  const ReadyFile other(path, "--ready-file", "sequence 0,1/3,2/3,1");
  other.publish("");
  mine.prepare(2);  // removes what the other test left
  EXPECT_FALSE(std::filesystem::exists(path));
  other.publish("");
  EXPECT_EQ(mine.wait(200 * runtime::kMillisecond, quiet).outcome, ReadyFile::Outcome::timed_out);
  mine.publish("LoadModel iris2 was refused:\nno room");
  const ReadyFile::Wait w = mine.wait(kSecond, quiet);
  EXPECT_EQ(w.outcome, ReadyFile::Outcome::setup_failed);
  EXPECT_EQ(w.detail, "LoadModel iris2 was refused: no room");
  mine.publish("");
  EXPECT_EQ(mine.wait(kSecond, quiet).outcome, ReadyFile::Outcome::ready);

  EXPECT_EQ(mine.wait_done(3, 200 * runtime::kMillisecond, quiet), 2u);
  mine.publish_done(2);
  other.publish_done(1);
  EXPECT_EQ(mine.wait_done(3, 200 * runtime::kMillisecond, quiet), 1u);
  mine.publish_done(1);
  EXPECT_EQ(mine.wait_done(3, kSecond, quiet), 0u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace inferload::app
