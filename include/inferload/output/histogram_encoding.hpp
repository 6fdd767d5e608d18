#pragma once
// A histogram as text, for the summary export's "inferload" section: the non-empty counters of
// metrics::Histogram's fixed layout and its exact statistics, so that a reader rebuilds exactly
// the histogram that was written (docs/merge.md).
#include <string>
#include <string_view>
#include <vector>

#include "inferload/metrics/histogram.hpp"

namespace inferload::output {

// Names the layout (sub-buckets per power of two, highest value); a reader refuses another.
inline constexpr std::string_view kHistogramLayout = "log-linear/2048/3600000000000";

// The non-empty counters in index order as "D:C" items separated by commas, where D is how many
// empty counters come before this one since the previous non-empty one (the first: its index)
// and C its count, ":C" left out when C is 1. "" when the histogram is empty.
std::string encode_buckets(const metrics::Histogram& h);

// The counters encode_buckets wrote. Throws std::invalid_argument with a one-line reason when the
// text is not such a list or leaves the layout.
std::vector<metrics::Histogram::Bucket> decode_buckets(std::string_view text);

// An unsigned 128-bit integer in decimal, and back (std::invalid_argument when it is not one).
std::string to_decimal(unsigned __int128 v);
unsigned __int128 parse_decimal128(std::string_view text);

}  // namespace inferload::output
