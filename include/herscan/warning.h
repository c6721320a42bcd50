// herscan/warning.h — notes on a file that was analysed anyway.
//
// A file a player plays is profiled, not refused: damage the decoder read past (a stream cut
// short, a header that misstates the size, corrupt frames skipped, non-finite samples) and
// conditions of the content (clipping, a DC offset, silence, a file shorter than one analysis
// frame) become warnings in the profile (docs/robustness.md gives the policy per format).
// In strict mode (ReadOptions::strict) the damage warnings are errors, as herscan reported them
// before it had warnings; content notes stay notes. The code names are part of the JSON contract.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "herscan/error.h"

namespace herscan {

enum class WarningCode {
  // Damage to the file (errors in strict mode).
  truncated,                  // fewer frames decoded than the header declares
  header_size_mismatch,       // a size field in the header is a placeholder or wrong
  decoder_errors_skipped,     // corrupt frames the decoder skipped or resynchronised past
  non_finite_samples_zeroed,  // NaN or ±Inf samples (float formats), replaced by 0
  // Notes on the content.
  clipped_samples,  // runs of 3 or more consecutive samples at full scale
  dc_offset,        // a channel's mean is 1 % of full scale or more
  silence_only,     // no sample reaches -90 dBFS
  too_short,        // shorter than one analysis frame: the frame-based blocks are null
};

/// Stable snake_case name of a code, as written in profiles ("truncated", ...).
std::string_view warning_code_name(WarningCode code) noexcept;

/// True for damage to the file, false for notes on its content.
bool is_damage(WarningCode code) noexcept;

/// The error a damage warning becomes in strict mode: truncated for a cut stream or skipped
/// frames, invalid_format for a misstated header, non_finite for NaN or ±Inf samples.
ErrorCode strict_error_code(WarningCode code) noexcept;

struct Warning {
  WarningCode code;
  std::string message;  ///< what, where and how much; never names the file (the record does)
  friend bool operator==(const Warning&, const Warning&) = default;
};

/// The notes on the content, streamed over the decoded interleaved samples (any block length):
///  - clipped_samples: samples in runs of 3 or more consecutive samples of a channel at or
///    beyond full scale (|x| >= 32767/32768; Audacity's "Find Clipping" rule). Any run is noted.
///  - dc_offset: a channel whose mean is at least 0.01 (-40 dBFS) in magnitude, in a file of
///    1 s or more (over less, the mean of a bass note is not its offset).
///  - silence_only: no sample reaches -90 dBFS (|x| < 10^(-90/20)): digital silence or 1-LSB
///    dither of 16-bit audio.
/// Nothing is noted for a file without samples.
class ContentChecker {
 public:
  static constexpr float kFullScale = 32767.0f / 32768.0f;
  static constexpr std::size_t kClipRun = 3;
  static constexpr double kDcOffset = 0.01;
  static constexpr float kSilence = 3.1622776e-5f;  // -90 dBFS

  ContentChecker(double sample_rate_hz, int channels);
  void push(const float* interleaved, std::size_t frames);
  /// The notes, in code order.
  std::vector<Warning> finish() const;

 private:
  double rate_hz_;
  std::size_t channels_;
  std::int64_t frames_ = 0;
  std::vector<double> sum_;
  std::vector<std::size_t> run_;  // current run at full scale, per channel
  std::int64_t clipped_ = 0, runs_ = 0, first_clip_frame_ = -1;
  float peak_ = 0;
};

}  // namespace herscan
