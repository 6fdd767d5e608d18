#pragma once
// The RunInfo part of `inferload merge` (report_merge.cpp does the metrics): what inferload
// reports beyond k6, added up over the parts of a test.
#include <vector>

#include "inferload/output/report_merge.hpp"

namespace inferload::output {

// Sums request fates, failure kinds, gRPC statuses, Kafka's late replies and foreign records,
// driver CPU and workers; joins what differs (I/O backends, Kafka modes and bootstrap servers,
// sample outputs); setup and teardown as merge_control_phase says. The inputs
// are parts of one test (same script and scenarios).
RunInfo merge_run_info(const std::vector<MergeInput>& inputs);

}  // namespace inferload::output
