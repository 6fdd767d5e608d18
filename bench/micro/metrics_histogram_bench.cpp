// The cost of recording one sample and of reading a percentile.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "inferload/metrics/histogram.hpp"

using inferload::metrics::Histogram;

static void BM_HistogramRecord(benchmark::State& state) {
  std::mt19937_64 rng(1);
  std::lognormal_distribution<double> d(13.0, 1.0);
  std::vector<std::int64_t> values(4096);
  for (auto& v : values) v = static_cast<std::int64_t>(d(rng));
  Histogram h;
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 4095]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HistogramRecord);

static void BM_HistogramPercentile(benchmark::State& state) {
  std::mt19937_64 rng(2);
  std::lognormal_distribution<double> d(13.0, 1.0);
  Histogram h;
  for (int i = 0; i < 1'000'000; ++i) h.record(static_cast<std::int64_t>(d(rng)));
  for (auto _ : state) benchmark::DoNotOptimize(h.percentile(99.9));
}
BENCHMARK(BM_HistogramPercentile);

static void BM_HistogramMerge(benchmark::State& state) {
  Histogram a, b;
  for (int i = 0; i < 100000; ++i) b.record(i * 1000);
  for (auto _ : state) a.merge(b);
  benchmark::DoNotOptimize(a.count());
}
BENCHMARK(BM_HistogramMerge);
