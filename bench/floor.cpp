// The floor of a profile's cost (docs/performance.md): for each file, the CPU time of
//   decode     libsndfile into interleaved floats (herscan's AudioFileReader), nothing else
//   resample   decode + downmix to mono + soxr to the 22050 Hz analysis rate
//   stft       resample + the STFT herscan runs (2048/512: window, FFTW in double precision,
//              power and magnitude), handed to no feature
//   loudness   decode + the loudness meter alone (analyze_file with --features loudness:
//              K-weighting, gating, true peak at the native rate)
//   profile    herscan's full default profile (analyze_file)
// best of R runs each (process CPU time, one thread), with realtime factors and the profile's
// cost as a multiple of decoding. The stft and loudness columns are the work every profile does
// before any feature of its own (docs/performance.md, "A lower bound"). bench/, not CI.
//   floor [--runs R] FILE...
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "herscan/audio_file.h"
#include "herscan/profile.h"
#include "herscan/stft.h"
#include "timing.h"

using herscan::bench::best_of;
using herscan::bench::decode_and_resample;

int main(int argc, char** argv) {
  int runs = 3;
  std::vector<std::string> files;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--runs") == 0 && a + 1 < argc)
      runs = std::atoi(argv[++a]);
    else
      files.emplace_back(argv[a]);
  }
  std::printf(
      "| file | audio | decode | decode + resample | + STFT | decode + loudness | full profile | "
      "profile / decode |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  // Warm up: FFTW's plans, and a heap grown to the profile's buffers, so that the first file's
  // cheaper stages do not pay for fresh pages that later ones reuse.
  if (!files.empty()) herscan::analyze_file(files[0]);
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
    const double resample = best_of(runs, [&] { decode_and_resample(file); });
    const double stft = best_of(runs, [&] {
      herscan::Stft transform(herscan::StftConfig{});
      herscan::stream_analysis_signal(file, 22050,
                                      [&](std::span<const float> y) { transform.push(y); });
      transform.finish();
    });
    herscan::ProfileOptions loudness_only;
    loudness_only.features = herscan::FeatureSet(herscan::Feature::loudness);
    const double loudness = best_of(runs, [&] { herscan::analyze_file(file, loudness_only); });
    const double profile = best_of(runs, [&] { herscan::analyze_file(file); });
    auto cell = [&](double t) {
      char text[64];
      std::snprintf(text, sizeof text, "%.3f CPU-s (%.0fx)", t, duration / t);
      return std::string(text);
    };
    std::printf("| %s | %.1f s | %s | %s | %s | %s | %s | %.2f |\n", file.c_str(), duration,
                cell(decode).c_str(), cell(resample).c_str(), cell(stft).c_str(),
                cell(loudness).c_str(), cell(profile).c_str(), profile / decode);
    std::fflush(stdout);
  }
  return 0;
}
