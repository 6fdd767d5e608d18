#pragma once
// One factory per executor, each in its own executor_*.cpp; executor.cpp picks by kind.
#include <memory>

#include "inferload/load/executor.hpp"

namespace inferload::load {

std::unique_ptr<Executor> make_shared_iterations(const ScenarioConfig& c, const SegmentShare& segment);
std::unique_ptr<Executor> make_per_vu_iterations(const ScenarioConfig& c, const SegmentShare& segment);
std::unique_ptr<Executor> make_constant_vus(const ScenarioConfig& c, const SegmentShare& segment);
std::unique_ptr<Executor> make_ramping_vus(const ScenarioConfig& c, const SegmentShare& segment);
std::unique_ptr<Executor> make_arrival_rate(const ScenarioConfig& c, const SegmentShare& segment);

}  // namespace inferload::load
