// herscan/resample.h — downmix to mono and streaming sample-rate conversion (libsoxr).
//
// The analysis signal follows librosa.load(mono=True, sr=22050): the mean of the channels,
// then soxr's "HQ" recipe (20-bit precision, linear phase, 95 % bandwidth), the output length
// being ceil(input_frames × out_rate / in_rate). Equal rates pass samples through untouched.
//
// Thread-safety: one instance per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace herscan {

/// Mean of the channels of `frames` interleaved frames, written to `mono` (room for `frames`).
void downmix_mean(const float* interleaved, std::size_t frames, int channels, float* mono);

/// soxr quality recipes exposed by herscan.
enum class ResampleQuality { quick, low, medium, high, very_high };

struct ResamplerConfig {
  double input_rate_hz = 44100;
  double output_rate_hz = 22050;
  ResampleQuality quality = ResampleQuality::high;  ///< soxr HQ, as librosa's "soxr_hq"
};

/// Streaming resampler of one channel. Output goes to a sink callback as it becomes available;
/// finish() flushes the filter tail and pads or trims so that the total output is exactly
/// ceil(total_input × out/in) samples. The input reaches soxr in fixed chunks of
/// ⌊48000 · in / out⌋ samples, as python-soxr (librosa's resampler) feeds it, so the output is
/// bit-identical for any split of the input into push() calls and equal to librosa's.
class Resampler {
 public:
  using Sink = std::function<void(std::span<const float>)>;

  Resampler(const ResamplerConfig& config, Sink sink);
  ~Resampler();
  Resampler(const Resampler&) = delete;
  Resampler& operator=(const Resampler&) = delete;

  void push(std::span<const float> input);
  void finish();

  /// Total output samples for `input_frames` input samples.
  std::int64_t output_length(std::int64_t input_frames) const;
  /// "soxr 0.1.3 HQ" or "none (rates equal)": provenance for the profile.
  std::string description() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herscan
