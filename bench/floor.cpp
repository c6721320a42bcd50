// The floor of a profile's cost (docs/performance.md): for each file, the CPU time of
//   decode     libsndfile into interleaved floats (herscan's AudioFileReader), nothing else
//   resample   decode + downmix to mono + soxr to the 22050 Hz analysis rate
//   profile    herscan's full default profile (analyze_file)
// best of R runs each (process CPU time, one thread), with realtime factors and the profile's
// cost as a multiple of decoding. bench/, not CI.
//   floor [--runs R] FILE...
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "herscan/audio_file.h"
#include "herscan/profile.h"

namespace {

double cpu_s() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
}

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

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::vector<std::string> files;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--runs") == 0 && a + 1 < argc)
      runs = std::atoi(argv[++a]);
    else
      files.emplace_back(argv[a]);
  }
  std::printf("| file | audio | decode | decode + resample | full profile | profile / decode |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& file : files) {
    double duration = 0;
    const double decode = best_of(runs, [&] {
      herscan::AudioFileReader reader(file);
      const int channels = reader.info().channels;
      std::vector<float> block(8192 * std::size_t(channels));
      while (reader.read(block.data(), 8192) > 0) {
      }
      duration = double(reader.frames_read()) / reader.info().sample_rate_hz;
    });
    const double resample = best_of(runs, [&] {
      double sum = 0;
      herscan::stream_analysis_signal(
          file, 22050, [&](std::span<const float> y) { sum += y.empty() ? 0 : y[0]; });
      if (sum == 12345.678) std::puts("");  // keep the work observable
    });
    const double profile = best_of(runs, [&] { herscan::analyze_file(file); });
    std::printf(
        "| %s | %.1f s | %.3f CPU-s (%.0fx) | %.3f CPU-s (%.0fx) | %.3f CPU-s (%.0fx) | %.2f |\n",
        file.c_str(), duration, decode, duration / decode, resample, duration / resample, profile,
        duration / profile, profile / decode);
    std::fflush(stdout);
  }
  return 0;
}
