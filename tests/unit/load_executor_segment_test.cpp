// Every executor split into the segments of a sequence (k6-semantics.md 3.5), on the simulated
// clock: the segments together run exactly the unsplit test, with no iteration, VU or arrival
// slot run twice or lost, and with the VU ids and the shares the reference gives.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "executor_simulation.hpp"
#include "inferload/load/execution_segment.hpp"

namespace inferload {
namespace {

using namespace executor_simulation;
using load::SegmentShare;
using load::Stage;

std::vector<SegmentShare> segments_of(const std::string& sequence) {
  const auto points = load::parse_execution_segment_sequence(sequence);
  std::vector<SegmentShare> out;
  for (std::size_t i = 0; i + 1 < points.size(); ++i) out.push_back(SegmentShare::of({points[i], points[i + 1]}, points));
  return out;
}

// Each segment of `sequence` on its own `workers` workers.
std::vector<Outcome> split(const ScenarioConfig& c, const IterationLength& length, const std::string& sequence,
                           int workers) {
  std::vector<Outcome> out;
  for (const SegmentShare& s : segments_of(sequence)) out.push_back(simulate(c, length, workers, s));
  return out;
}

// (VU id, start, intended) of every iteration, sorted: who ran what, when.
std::vector<std::tuple<int, Nanos, Nanos>> runs_of(const std::vector<Record>& rs) {
  std::vector<std::tuple<int, Nanos, Nanos>> out;
  for (const Record& r : rs) out.emplace_back(r.vu, r.started, r.intended);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::tuple<int, Nanos, Nanos>> runs_of(const std::vector<Outcome>& parts) {
  std::vector<Record> all;
  for (const Outcome& o : parts) {
    const auto rs = o.all();
    all.insert(all.end(), rs.begin(), rs.end());
  }
  return runs_of(all);
}

std::vector<std::size_t> counts_of(const std::vector<Outcome>& parts) {
  std::vector<std::size_t> out;
  for (const Outcome& o : parts) out.push_back(o.all().size());
  return out;
}

std::set<int> vus_of(const Outcome& o) {
  std::set<int> out;
  for (const Record& r : o.all()) out.insert(r.vu);
  return out;
}

const char* const kSequences[] = {"0,1/3,2/3,1", "0,1/2,3/4,1", "0,1/5,1"};

TEST(ExecutorSegments, ConstantArrivalRateSplitsTheScheduleExactly) {
  // 7/s does not divide: the period is truncated, and the iterations' due times are pure
  // functions of their global index.
  const ScenarioConfig c = constant_rate(7, 3 * kSecond, 10, 10);
  const auto whole = runs_of(simulate(c, fixed(kMillisecond)).all());
  ASSERT_EQ(whole.size(), 22u);
  for (const char* sequence : kSequences) {
    for (int workers : {1, 2}) {
      const auto parts = split(c, fixed(kMillisecond), sequence, workers);
      std::vector<Nanos> due, whole_due;
      for (const auto& [vu, started, intended] : runs_of(parts)) due.push_back(intended);
      for (const auto& [vu, started, intended] : whole) whole_due.push_back(intended);
      std::sort(due.begin(), due.end());
      std::sort(whole_due.begin(), whole_due.end());
      EXPECT_EQ(due, whole_due) << sequence << ", " << workers << " workers";
      for (const Outcome& o : parts) EXPECT_EQ(o.dropped(), 0u);
    }
  }
  // Thirds of maxVUs 10 are 4, 3, 3, and so are their shares of every ten slots: 9, 7 and 6 of 22.
  const auto thirds = split(c, fixed(kMillisecond), "0,1/3,2/3,1", 1);
  EXPECT_EQ(counts_of(thirds), (std::vector<std::size_t>{9, 7, 6}));
  EXPECT_EQ(thirds[0].workers[0]->vus_prepared, 4u);
  EXPECT_EQ(thirds[1].workers[0]->vus_prepared, 3u);
}

TEST(ExecutorSegments, RampingArrivalRateSplitsTheScheduleExactly) {
  ScenarioConfig c;
  c.executor = ExecutorKind::ramping_arrival_rate;
  c.rate = 2;
  c.stages = {{5 * kSecond, 2}, {5 * kSecond, 4}};
  // Every segment's share of maxVUs is at least its workers: a worker's slots need its own VUs.
  c.pre_allocated_vus = 12;
  c.max_vus = 12;
  std::vector<Nanos> whole;
  for (const Record& r : simulate(c, fixed(kMillisecond)).all()) whole.push_back(r.intended);
  ASSERT_EQ(whole.size(), 24u) << "25 due, the last on the end";
  for (const char* sequence : kSequences) {
    std::vector<Nanos> due;
    for (const auto& [vu, started, intended] : runs_of(split(c, fixed(kMillisecond), sequence, 2))) due.push_back(intended);
    std::sort(due.begin(), due.end());
    EXPECT_EQ(due, whole) << sequence;
  }
}

TEST(ExecutorSegments, SharedIterationsSplitsVusAndIterationsAsK6) {
  ScenarioConfig c;
  c.executor = ExecutorKind::shared_iterations;
  c.vus = 5;
  c.iterations = 100;
  c.duration = 100 * kSecond;
  for (int workers : {1, 2}) {
    const auto parts = split(c, fixed(kMillisecond), "0,1/3,2/3,1", workers);
    EXPECT_EQ(counts_of(parts), (std::vector<std::size_t>{40, 40, 20}));
    for (const Outcome& o : parts) EXPECT_EQ(o.dropped(), 0u);
  }
  // On one worker both VUs of a segment take from its pool (the simulation runs workers one
  // after the other, so a first worker would take all).
  const auto parts = split(c, fixed(kMillisecond), "0,1/3,2/3,1", 1);
  EXPECT_EQ(vus_of(parts[0]), (std::set<int>{1, 4}));
  EXPECT_EQ(vus_of(parts[1]), (std::set<int>{2, 5}));
  EXPECT_EQ(vus_of(parts[2]), (std::set<int>{3}));
  // One VU: only the segment owning VU 1 has work, and it runs all 100.
  c.vus = 1;
  EXPECT_EQ(counts_of(split(c, fixed(kMillisecond), "0,1/3,2/3,1", 1)), (std::vector<std::size_t>{100, 0, 0}));
}

TEST(ExecutorSegments, ClosedLoopExecutorsRunEachGlobalVuInExactlyOneSegment) {
  ScenarioConfig per_vu;
  per_vu.executor = ExecutorKind::per_vu_iterations;
  per_vu.vus = 5;
  per_vu.iterations = 3;
  per_vu.duration = 10 * kSecond;
  ScenarioConfig constant;
  constant.executor = ExecutorKind::constant_vus;
  constant.vus = 5;
  constant.duration = kSecond;
  // Up to 6 VUs and back to 0, with a hold: VUs join and leave one by one, the highest first.
  ScenarioConfig ramping;
  ramping.executor = ExecutorKind::ramping_vus;
  ramping.start_vus = 1;
  ramping.stages = {{3 * kSecond, 6}, {kSecond, 6}, {3 * kSecond, 0}};
  const IterationLength length = [](int vu, Nanos) { return (100 + 7 * vu) * kMillisecond; };
  for (const ScenarioConfig* c : {&per_vu, &constant, &ramping}) {
    const auto whole = runs_of(simulate(*c, length).all());
    ASSERT_FALSE(whole.empty());
    for (const char* sequence : kSequences) {
      for (int workers : {1, 2}) {
        EXPECT_EQ(runs_of(split(*c, length, sequence, workers)), whole)
            << load::to_string(c->executor) << ", " << sequence << ", " << workers << " workers";
      }
    }
  }
  const auto thirds = split(per_vu, length, "0,1/3,2/3,1", 1);
  EXPECT_EQ(counts_of(thirds), (std::vector<std::size_t>{6, 6, 3}));
}

// k6's scenario.iterationInTest, which the lifecycle scripts name their models after: the n-th
// iteration a segment starts takes its executor's iteration_numbers().global_index(n).
TEST(ExecutorSegments, IterationNumbersAreUniqueAcrossSegments) {
  ScenarioConfig shared;
  shared.executor = ExecutorKind::shared_iterations;
  shared.vus = 5;
  shared.iterations = 100;
  shared.duration = 100 * kSecond;
  ScenarioConfig per_vu;
  per_vu.executor = ExecutorKind::per_vu_iterations;
  per_vu.vus = 5;
  per_vu.iterations = 3;
  per_vu.duration = 10 * kSecond;
  const ScenarioConfig rate = constant_rate(7, 3 * kSecond, 10, 10);
  for (const ScenarioConfig* c : std::initializer_list<const ScenarioConfig*>{&shared, &per_vu, &rate}) {
    for (const char* sequence : kSequences) {
      std::vector<std::uint64_t> numbers;
      std::size_t total = 0;
      for (const SegmentShare& s : segments_of(sequence)) {
        const std::size_t ran = simulate(*c, fixed(kMillisecond), 1, s).all().size();
        const auto executor = load::make_executor(*c, s);
        for (std::uint64_t n = 0; n < ran; ++n) numbers.push_back(executor->iteration_numbers().global_index(n));
        total += ran;
      }
      std::sort(numbers.begin(), numbers.end());
      const std::string what = std::string(load::to_string(c->executor)) + ", " + sequence;
      EXPECT_EQ(std::adjacent_find(numbers.begin(), numbers.end()), numbers.end()) << what;
      // Where the segments' iterations are shares of one count, they are that count's numbers
      // exactly (per-vu-iterations' are k6's VU stripes, unique but not dense).
      if (c != &per_vu) {
        ASSERT_EQ(numbers.size(), total) << what;
        EXPECT_EQ(numbers.back(), total - 1) << what;
      }
    }
  }
}

}  // namespace
}  // namespace inferload
