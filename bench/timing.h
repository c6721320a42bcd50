// What the bench tools (floor, resample_quality) share: their command line, process CPU time, the
// best of R runs, and the "decode + resample" stage of a profile. bench/, not CI.
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "herscan/profile.h"

namespace herscan::bench {

/// The command line of every tool here: `TOOL [--runs R] FILE...`.
struct Arguments {
  int runs = 3;
  std::vector<std::string> files;
};

/// Parses the command line; with R < 1 or no file, prints the usage of `tool` to stderr and
/// returns nothing (the tool then exits with 2).
inline std::optional<Arguments> parse_arguments(int argc, char** argv, const char* tool) {
  Arguments args;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--runs") == 0 && a + 1 < argc)
      args.runs = std::atoi(argv[++a]);
    else
      args.files.emplace_back(argv[a]);
  }
  if (args.runs < 1 || args.files.empty()) {
    std::fprintf(stderr, "usage: %s [--runs R ≥ 1] FILE...\n", tool);
    return std::nullopt;
  }
  return args;
}

/// CPU seconds used by the whole process so far (user + system, every thread).
inline double cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

/// The least CPU time of `runs` calls of f().
template <class F>
double best_of(int runs, F&& f) {
  double best = std::numeric_limits<double>::infinity();
  for (int r = 0; r < runs; ++r) {
    const double t0 = cpu_s();
    f();
    best = std::min(best, cpu_s() - t0);
  }
  return best;
}

/// The analysis rate of a default profile (22050 Hz).
inline const double kAnalysisRateHz = ProfileOptions{}.analysis_rate_hz;

/// Decodes `file`, downmixes it and resamples it to the analysis rate with soxr at `quality`, as
/// a default profile does, and discards the signal (after one observable use of it).
inline void decode_and_resample(const std::filesystem::path& file,
                                ResampleQuality quality = ResampleQuality::high) {
  double sum = 0;
  stream_analysis_signal(
      file, kAnalysisRateHz, [&](std::span<const float> y) { sum += y.empty() ? 0 : y[0]; },
      quality);
  if (sum == 12345.678) std::puts("");
}

}  // namespace herscan::bench
