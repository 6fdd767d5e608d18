#pragma once
// When the iterations of an arrival-rate scenario are due (k6-semantics.md section 2.2), for one
// worker's share of them. The scenario's iterations are numbered i = 0, 1, 2, ... in due order;
// a segment of the test owns some of them (SegmentShare's stripes), numbered l = 0, 1, 2, ... in
// turn, and worker w of W owns those with l % W == w: the workers and the segments share nothing,
// and the union of their schedules is the whole test's exactly, because every due time is a pure
// function of its global index.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "inferload/load/execution_segment.hpp"
#include "inferload/load/scenario.hpp"
#include "inferload/runtime/clock.hpp"

namespace inferload::load {

class ArrivalSchedule {
 public:
  // constant-arrival-rate: iteration i is due at i * P, P = time_unit / rate as a double
  // truncated to whole nanoseconds (k6's period), while i * P < duration. A rate above one per
  // nanosecond would make P zero and the schedule endless, so P is at least 1 ns.
  // rate <= 0, time_unit <= 0 or duration <= 0 give an empty schedule. Throws
  // std::invalid_argument unless 0 <= worker < workers. `segment`: the iterations this process
  // owns.
  static ArrivalSchedule constant(std::int64_t rate, Nanos time_unit, Nanos duration, int worker,
                                  int workers, const SegmentShare& segment = SegmentShare());
  // ramping-arrival-rate: iteration k (1-based, global index k - 1) is due when the area under
  // the piecewise linear rate reaches k, truncated to whole nanoseconds; only due times strictly
  // before the sum of the stage durations exist. Computed exactly (integer check of the closed
  // form), so the count and the boundaries match the worked examples to the nanosecond.
  // Negative rates and durations count as 0; rates are capped at 2^62 per time unit and the
  // total duration at kNever so that the arithmetic stays within 256 bits.
  static ArrivalSchedule ramping(std::int64_t start_rate, Nanos time_unit,
                                 const std::vector<Stage>& stages, int worker, int workers,
                                 const SegmentShare& segment = SegmentShare());

  // The next due offset (from the scenario's start) of this worker's share, non-decreasing;
  // false once the schedule is over.
  bool next(Nanos& due) noexcept;
  // The global (all workers', all segments') 0-based index of the iteration next() returned last.
  std::uint64_t global_index() const noexcept { return last_index_; }
  // How many of this worker's iterations, over the whole schedule, are due strictly before
  // offset (whatever next() has returned so far). O(log^2) for ramping schedules.
  std::uint64_t count_before(Nanos offset) const;
  // The offset no due time reaches: duration, or the sum of the stage durations.
  Nanos end() const noexcept { return end_; }

 private:
  // One ramping stage that can hold due times (L > 0 and some rate), in the integer units that
  // keep the closed form exact: rates per time unit, area doubled and multiplied by the time unit.
  struct Segment {
    Nanos start = 0;
    Nanos length = 0;
    std::uint64_t from_rate = 0;
    std::uint64_t to_rate = 0;
    unsigned __int128 area2_before = 0;  // 2 * time_unit * (iterations' worth of area before it)
    unsigned __int128 last_k = 0;        // the highest k whose area is reached inside it
  };

  ArrivalSchedule(int worker, int workers, const SegmentShare& segment);
  Nanos due_of(std::uint64_t k, const Segment& s) const noexcept;
  std::size_t segment_of(std::uint64_t k) const noexcept;
  std::uint64_t global_count_before(Nanos offset) const noexcept;

  bool ramping_ = false;
  std::uint64_t worker_ = 0;
  std::uint64_t workers_ = 1;
  SegmentShare stripes_;
  Nanos end_ = 0;
  // constant: period and number of global iterations; ramping: the highest global k.
  Nanos period_ = 0;
  std::uint64_t count_ = 0;
  std::uint64_t local_count_ = 0;  // how many of count_ the segment owns
  Nanos time_unit_ = 0;
  std::vector<Segment> segments_;

  std::uint64_t next_ = 0;  // the segment's next local index
  std::size_t segment_ = 0;
  std::uint64_t last_index_ = 0;
};

}  // namespace inferload::load
