#include "herscan/warning.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace herscan {

std::string_view warning_code_name(WarningCode code) noexcept {
  switch (code) {
    case WarningCode::truncated:
      return "truncated";
    case WarningCode::header_size_mismatch:
      return "header_size_mismatch";
    case WarningCode::decoder_errors_skipped:
      return "decoder_errors_skipped";
    case WarningCode::non_finite_samples_zeroed:
      return "non_finite_samples_zeroed";
    case WarningCode::clipped_samples:
      return "clipped_samples";
    case WarningCode::dc_offset:
      return "dc_offset";
    case WarningCode::silence_only:
      return "silence_only";
    case WarningCode::too_short:
      return "too_short";
  }
  return "unknown";
}

bool is_damage(WarningCode code) noexcept {
  switch (code) {
    case WarningCode::truncated:
    case WarningCode::header_size_mismatch:
    case WarningCode::decoder_errors_skipped:
    case WarningCode::non_finite_samples_zeroed:
      return true;
    case WarningCode::clipped_samples:
    case WarningCode::dc_offset:
    case WarningCode::silence_only:
    case WarningCode::too_short:
      return false;
  }
  return false;
}

ErrorCode strict_error_code(WarningCode code) noexcept {
  switch (code) {
    case WarningCode::header_size_mismatch:
      return ErrorCode::invalid_format;
    case WarningCode::non_finite_samples_zeroed:
      return ErrorCode::non_finite;
    default:
      return ErrorCode::truncated;
  }
}

ContentChecker::ContentChecker(double sample_rate_hz, int channels)
    : rate_hz_(sample_rate_hz),
      channels_(std::size_t(channels)),
      sum_(std::size_t(channels), 0.0),
      run_(std::size_t(channels), 0) {}

void ContentChecker::push(const float* x, std::size_t frames) {
  for (std::size_t f = 0; f < frames; ++f) {
    for (std::size_t c = 0; c < channels_; ++c) {
      const float v = x[f * channels_ + c];
      const float a = std::fabs(v);
      sum_[c] += double(v);
      peak_ = std::max(peak_, a);
      if (a >= kFullScale) {
        // A run counts once it is kClipRun long; its earlier samples are counted then.
        if (++run_[c] == kClipRun) {
          clipped_ += std::int64_t(kClipRun);
          if (runs_++ == 0)
            first_clip_frame_ = frames_ + std::int64_t(f) - std::int64_t(kClipRun) + 1;
        } else if (run_[c] > kClipRun) {
          ++clipped_;
        }
      } else {
        run_[c] = 0;
      }
    }
  }
  frames_ += std::int64_t(frames);
}

std::vector<Warning> ContentChecker::finish() const {
  std::vector<Warning> notes;
  if (frames_ == 0) return notes;
  char msg[256];
  if (runs_ > 0) {
    std::snprintf(msg, sizeof msg,
                  "%lld samples (%.3g %% of all) in %lld runs of %zu or more at full scale, the "
                  "first at %.3f s",
                  static_cast<long long>(clipped_),
                  100.0 * double(clipped_) / (double(frames_) * double(channels_)),
                  static_cast<long long>(runs_), kClipRun, double(first_clip_frame_) / rate_hz_);
    notes.push_back({WarningCode::clipped_samples, msg});
  }
  std::string dc;
  for (std::size_t c = 0; c < channels_; ++c) {
    const double mean = sum_[c] / double(frames_);
    if (std::fabs(mean) >= kDcOffset) {
      std::snprintf(msg, sizeof msg, "%schannel %zu mean %+.4f (%.1f dBFS)", dc.empty() ? "" : ", ",
                    c + 1, mean, 20 * std::log10(std::fabs(mean)));
      dc += msg;
    }
  }
  if (!dc.empty() && double(frames_) >= rate_hz_)
    notes.push_back({WarningCode::dc_offset, "DC offset: " + dc});
  if (peak_ < kSilence) {
    std::snprintf(msg, sizeof msg, "no sample reaches -90 dBFS (peak %s)",
                  peak_ > 0
                      ? (std::to_string(20 * std::log10(peak_)).substr(0, 6) + " dBFS").c_str()
                      : "0, digital silence");
    notes.push_back({WarningCode::silence_only, msg});
  }
  return notes;
}

}  // namespace herscan
