// Google Benchmark of the SIMD kernels (src/simd/kernels.h), one run per kernel and target this
// CPU supports, at the sizes the analysis uses: 1025 bins (n_fft 2048), 2048-sample frames, and
// the true-peak interpolator's 12-tap phases over 4800-sample blocks. Not in CI; the figures go
// to docs/performance.md.
//   build/release/bench/kernels --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "herscan/simd.h"
#include "simd/kernels.h"

namespace {

using herscan::SimdTarget;
namespace simd = herscan::simd;

std::vector<float> noise(std::size_t n, float lo, float hi) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

constexpr std::size_t kBins = 1025, kFrame = 2048, kBlock = 4800, kTaps = 12;

void run(benchmark::State& state, SimdTarget target, const std::string& kernel) {
  herscan::set_simd_target(target);
  const simd::Kernels& k = simd::kernels();
  const auto S = noise(kBins, 0, 2), P = noise(kBins, 0, 4), a = noise(kFrame, -1, 1);
  const auto h = noise(kTaps, -0.5f, 1), x = noise(kBlock + kTaps - 1, -1, 1);
  std::vector<double> f(kBins), w(kFrame), X(2 * kBins), out(kFrame), dct(128 * 20);
  for (std::size_t i = 0; i < dct.size(); ++i) dct[i] = std::cos(0.1 * double(i));
  for (std::size_t i = 0; i < kBins; ++i) f[i] = 10.77 * double(i);
  for (std::size_t i = 0; i < kFrame; ++i)
    w[i] = 0.5 - 0.5 * std::cos(6.2831853 * double(i) / kFrame);
  for (std::size_t i = 0; i < 2 * kBins; ++i) X[i] = a[i % kFrame] * 40;
  std::vector<float> spec(2 * kBins), pow(kBins), mag(kBins), scaled(kBins), heap(2 * kBins);
  std::vector<std::uint32_t> peaks(kBins);
  std::vector<double> pitches(kBins);
  const std::size_t n_peaks = k.local_maxima(S.data(), 1, kBins - 1, 0.0f, peaks.data());
  float extremes_hint = -INFINITY;
  std::size_t items = kBins;
  for (auto _ : state) {
    if (kernel == "window") {
      k.window(a.data(), w.data(), out.data(), kFrame);
      items = kFrame;
    } else if (kernel == "power_magnitude") {
      k.power_magnitude(X.data(), kBins, spec.data(), pow.data(), mag.data());
    } else if (kernel == "spectrum_sums") {
      benchmark::DoNotOptimize(k.spectrum_sums(S.data(), P.data(), f.data(), kBins));
    } else if (kernel == "spread") {
      benchmark::DoNotOptimize(k.spread(S.data(), f.data(), 900.0, kBins));
    } else if (kernel == "scaled_diff_squared") {
      benchmark::DoNotOptimize(
          k.scaled_diff_squared(S.data(), 0.3, P.data(), scaled.data(), kBins));
    } else if (kernel == "sum_squares") {
      benchmark::DoNotOptimize(k.sum_squares(a.data(), kFrame));
      items = kFrame;
    } else if (kernel == "sum_of_extremes") {  // the largest contrast band: 429 bins, q = 9
      float hint = -INFINITY;                  // no hint: the column-maximum bound
      benchmark::DoNotOptimize(k.sum_of_extremes(S.data() + 596, 429, 9, 1.0f, heap.data(), &hint));
      items = 429;
    } else if (kernel == "sum_of_extremes_hinted") {  // the same with last call's q-th value
      benchmark::DoNotOptimize(
          k.sum_of_extremes(S.data() + 596, 429, 9, 1.0f, heap.data(), &extremes_hint));
      items = 429;
    } else if (kernel == "count_non_finite") {
      benchmark::DoNotOptimize(k.count_non_finite(a.data(), kFrame));
      items = kFrame;
    } else if (kernel == "max_abs") {
      benchmark::DoNotOptimize(k.max_abs(a.data(), kFrame));
      items = kFrame;
    } else if (kernel == "sum") {
      benchmark::DoNotOptimize(k.sum(S.data(), kBins));
    } else if (kernel == "dot") {
      benchmark::DoNotOptimize(k.dot(S.data(), P.data(), kBins));
    } else if (kernel == "sign_changes") {
      benchmark::DoNotOptimize(k.sign_changes(a.data(), kFrame));
      items = kFrame;
    } else if (kernel == "local_maxima") {  // the key's peaks: every bin of a spectrum
      benchmark::DoNotOptimize(k.local_maxima(S.data(), 1, kBins - 1, 0.0f, peaks.data()));
    } else if (kernel == "peak_pitches") {  // noise: a third of the bins are peaks
      k.peak_pitches(S.data(), peaks.data(), n_peaks, 1e-60, 2e-12, 10.77, pitches.data());
      items = n_peaks;
    } else if (kernel == "sum_scaled_rows") {  // the MFCC's DCT: 128 mel bands × 20
      k.sum_scaled_rows(dct.data(), S.data(), 128, 20, out.data());
      items = 128 * 20;
    } else if (kernel == "fir_max_abs") {
      benchmark::DoNotOptimize(k.fir_max_abs(x.data(), kBlock, h.data(), kTaps));
      items = kBlock;
    }
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(items));
}

}  // namespace

int main(int argc, char** argv) {
  for (const char* kernel :
       {"window", "power_magnitude", "spectrum_sums", "spread", "scaled_diff_squared",
        "sum_squares", "sum_of_extremes", "sum_of_extremes_hinted", "count_non_finite", "max_abs",
        "sum", "dot", "sign_changes", "local_maxima", "peak_pitches", "fir_max_abs",
        "sum_scaled_rows"})
    for (SimdTarget t : herscan::supported_simd_targets())
      benchmark::RegisterBenchmark(
          (std::string(kernel) + "/" + std::string(herscan::simd_target_name(t))).c_str(),
          [t, kernel](benchmark::State& s) { run(s, t, kernel); });
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
}
