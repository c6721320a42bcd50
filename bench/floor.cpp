// The floor of a profile's cost (docs/performance.md): for each file, the CPU time of
//   decode     libsndfile into interleaved floats (herscan's AudioFileReader), nothing else
//   resample   decode + downmix to mono + soxr to the 22050 Hz analysis rate
//   stft       resample + the STFT a default profile runs (2048/512: window, FFTW in double
//              precision, power and magnitude), handed to no feature
//   loudness   decode + the loudness meter alone (analyze_file with --features loudness:
//              K-weighting, gating, true peak at the native rate)
//   profile    herscan's full default profile (analyze_file)
// best of R runs each (process CPU time, one thread), with realtime factors and the profile's
// cost as a multiple of decoding. The stft and loudness columns are the work every default
// profile does besides the features' own (docs/performance.md, "A lower bound"). bench/, not CI.
//   floor [--runs R] FILE...
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "herscan/audio_file.h"
#include "herscan/error.h"
#include "herscan/profile.h"
#include "herscan/stft.h"
#include "timing.h"

using herscan::bench::best_of;
using herscan::bench::decode_and_resample;

int main(int argc, char** argv) {
  const auto args = herscan::bench::parse_arguments(argc, argv, "floor");
  if (!args) return 2;
  const int runs = args->runs;
  const std::vector<std::string>& files = args->files;
  std::printf(
      "| file | audio | decode | decode + resample | decode + resample + STFT | decode + loudness "
      "| full profile | profile / decode |\n");
  std::printf("|---|---|---|---|---|---|---|---|\n");
  int status = 0;
  bool warm = false;
  for (const auto& file : files) {
    try {
      // Warm up once: FFTW's plans, and a heap grown to the profile's buffers, so that the first
      // file's cheaper stages do not pay for fresh pages that later ones reuse.
      if (!warm) {
        herscan::analyze_file(file);
        warm = true;
      }
      double duration_s = 0;
      const double decode_cpu_s = best_of(runs, [&] {
        herscan::AudioFileReader reader(file);
        const int channels = reader.info().channels;
        std::vector<float> block(8192 * std::size_t(channels));
        while (reader.read(block.data(), 8192) > 0) {
        }
        duration_s = double(reader.frames_read()) / reader.info().sample_rate_hz;
      });
      const double resample_cpu_s = best_of(runs, [&] { decode_and_resample(file); });
      const double stft_cpu_s = best_of(runs, [&] {
        herscan::Stft transform(herscan::ProfileOptions{}.stft);
        herscan::stream_analysis_signal(file, herscan::bench::kAnalysisRateHz,
                                        [&](std::span<const float> y) { transform.push(y); });
        transform.finish();
      });
      herscan::ProfileOptions loudness_only;
      loudness_only.features = herscan::FeatureSet(herscan::Feature::loudness);
      const double loudness_cpu_s =
          best_of(runs, [&] { herscan::analyze_file(file, loudness_only); });
      const double profile_cpu_s = best_of(runs, [&] { herscan::analyze_file(file); });
      auto cell = [&](double cpu_s) {
        char text[64];
        std::snprintf(text, sizeof text, "%.3f CPU-s (%.0fx)", cpu_s, duration_s / cpu_s);
        return std::string(text);
      };
      std::printf("| %s | %.1f s | %s | %s | %s | %s | %s | %.2f |\n", file.c_str(), duration_s,
                  cell(decode_cpu_s).c_str(), cell(resample_cpu_s).c_str(),
                  cell(stft_cpu_s).c_str(), cell(loudness_cpu_s).c_str(),
                  cell(profile_cpu_s).c_str(), profile_cpu_s / decode_cpu_s);
      std::fflush(stdout);
    } catch (const herscan::Error& e) {
      std::fprintf(stderr, "floor: %s\n", e.what());
      status = 1;
    }
  }
  return status;
}
