#include "inferload/output/sample_collector.hpp"

#include <time.h>

#include <algorithm>
#include <bit>
#include <chrono>

#include "inferload/runtime/clock.hpp"

namespace inferload::output {
namespace {

double thread_cpu_seconds() noexcept {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

}  // namespace

SampleCollector::SampleCollector(int workers, SampleContext context, std::vector<std::unique_ptr<SampleSink>> sinks,
                                 std::size_t ring_records)
    : expander_([&] {
        context.unix_offset = unix_offset_now();
        return context;
      }()),
      sinks_(std::move(sinks)),
      unix_offset_(unix_offset_now()) {
  const std::size_t capacity = std::bit_ceil(std::max<std::size_t>(ring_records, 2));
  for (int i = 0; i <= workers; ++i) rings_.push_back(std::make_unique<metrics::SampleRing>(capacity));
  for (auto& s : sinks_) sink_ptrs_.push_back(s.get());
  for (SampleSink* s : sink_ptrs_) s->open(expander_.context());
}

SampleCollector::~SampleCollector() {
  if (!stopped_) stop();
}

std::vector<metrics::SampleRing*> SampleCollector::rings() {
  std::vector<metrics::SampleRing*> out;
  for (std::size_t i = 0; i + 1 < rings_.size(); ++i) out.push_back(rings_[i].get());
  return out;
}

void SampleCollector::start() {
  thread_ = std::thread([this] { run(); });
}

void SampleCollector::gauges(Nanos mono_now, double vus, double vus_max) {
  std::lock_guard lock(gauge_mutex_);
  gauges_.push_back({mono_now, vus, vus_max});
}

namespace {

std::uint64_t rows_lost(const metrics::SampleRing& ring) noexcept {
  std::uint64_t rows = 0;
  for (std::size_t k = 0; k < metrics::kSampleKinds; ++k) {
    const auto kind = static_cast<metrics::SampleKind>(k);
    for (std::size_t optional = 0; optional <= metrics::kMaxOptionalRows; ++optional) {
      rows += ring.lost(kind, optional) * SampleExpander::rows_of(kind, optional);
    }
  }
  return rows;
}

}  // namespace

void SampleCollector::drain_once() {
  for (auto& ring : rings_) {
    ring->drain([&](const metrics::SampleRecord& r) { totals_.rows_written += expander_.expand(r, sink_ptrs_); });
  }
  {
    std::lock_guard lock(gauge_mutex_);
    gauges_taken_.swap(gauges_);
  }
  for (const Gauge& g : gauges_taken_) {
    totals_.rows_written += expander_.gauges(g.at + unix_offset_, g.vus, g.vus_max, sink_ptrs_);
  }
  gauges_taken_.clear();
  std::uint64_t lost = 0;
  for (auto& ring : rings_) lost += rows_lost(*ring);
  const Nanos now = runtime::now_ns() + unix_offset_;
  for (SampleSink* s : sink_ptrs_) {
    s->rows_lost(lost);
    s->tick(now);
  }
}

void SampleCollector::run() {
  while (!stopping_.load(std::memory_order_acquire)) {
    drain_once();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  totals_.writer_cpu_seconds += thread_cpu_seconds();
}

SampleTotals SampleCollector::stop(bool hurry) {
  if (stopped_) return totals_;
  stopped_ = true;
  stopping_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
  const double cpu0 = thread_cpu_seconds();
  drain_once();
  for (auto& ring : rings_) {
    for (std::size_t k = 0; k < metrics::kSampleKinds; ++k) {
      const auto kind = static_cast<metrics::SampleKind>(k);
      for (std::size_t optional = 0; optional <= metrics::kMaxOptionalRows; ++optional) {
        const std::uint64_t lost = ring->lost(kind, optional);
        totals_.records_lost += lost;
        totals_.rows_lost += lost * SampleExpander::rows_of(kind, optional);
      }
    }
  }
  for (auto& s : sinks_) {
    if (hurry) s->hurry();
    if (std::string e = s->close(); !e.empty()) totals_.errors.push_back(std::move(e));
  }
  totals_.writer_cpu_seconds += thread_cpu_seconds() - cpu0;
  return totals_;
}

}  // namespace inferload::output
