// What the bench tools (floor, resample_quality) share: process CPU time, the best of R runs, and
// the "decode + resample" stage. bench/, not CI.
#pragma once

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <span>

#include "herscan/profile.h"

namespace herscan::bench {

/// CPU seconds used by the whole process so far (user + system, every thread).
inline double cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

/// The least CPU time of `runs` calls of f().
template <class F>
double best_of(int runs, F&& f) {
  double best = 1e300;
  for (int r = 0; r < runs; ++r) {
    const double t0 = cpu_s();
    f();
    best = std::min(best, cpu_s() - t0);
  }
  return best;
}

/// Decodes `file`, downmixes it and resamples it to 22050 Hz with soxr at `quality`, as a
/// profile does, and discards the signal (after one observable use of it).
inline void decode_and_resample(const std::filesystem::path& file,
                                ResampleQuality quality = ResampleQuality::high) {
  double sum = 0;
  stream_analysis_signal(
      file, 22050, [&](std::span<const float> y) { sum += y.empty() ? 0 : y[0]; }, quality);
  if (sum == 12345.678) std::puts("");
}

}  // namespace herscan::bench
