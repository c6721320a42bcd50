// herscan/spectral.h — per-frame spectral shape features and their summaries.
//
// Definitions follow librosa 0.11 on the magnitude STFT |X| (n_fft 2048, hop 512, periodic
// Hann, centred frames); docs/features.md gives each formula:
//   centroid_hz         Σ f·|X| / Σ|X|                       librosa.feature.spectral_centroid
//   bandwidth_hz        (Σ |X|/Σ|X| · (f − centroid)²)^½     spectral_bandwidth (p = 2)
//   rolloff_hz          lowest bin frequency whose cumulative |X| reaches 85 % of the total
//   flatness            geometric / arithmetic mean of max(|X|², 1e-10)    spectral_flatness
//   flux                ‖ |X_t|/‖X_t‖ − |X_{t−1}|/‖X_{t−1}‖ ‖₂, 0 for the first frame
//                       (herscan's definition: librosa has none; see docs/features.md)
//   zero_crossing_rate  sign changes / n_fft with edge padding, |x| ≤ 1e-10 counted as 0
//   rms                 √(mean x²) over the zero-padded, unwindowed frame   librosa.feature.rms
//   contrast_db         per octave band (7: below 200 Hz, six octaves from 200 Hz, the rest):
//                       dB of the mean of the top 2 % magnitudes minus dB of the bottom 2 %, each
//                       dB matrix clipped at its whole-file maximum − 80 dB
//                       librosa.feature.spectral_contrast (fmin 200, n_bands 6, quantile 0.02)
// A silent frame has centroid, bandwidth, rolloff 0 and flatness 1, as in librosa.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "herscan/stats.h"
#include "herscan/stft.h"

namespace herscan {

/// The features of one frame.
struct SpectralFrame {
  double centroid_hz = 0;
  double bandwidth_hz = 0;
  double rolloff_hz = 0;
  double flatness = 0;
  double flux = 0;
  double zero_crossing_rate = 0;
  double rms = 0;
};

/// Mean and std of each feature over all frames.
struct SpectralSummary {
  std::int64_t frames = 0;
  Summary centroid_hz, bandwidth_hz, rolloff_hz, flatness, flux, zero_crossing_rate, rms;
  std::vector<Summary> contrast_db;  ///< one per contrast band (n_bands + 1)
};

struct SpectralConfig {
  double rolloff_fraction = 0.85;   ///< (0, 1)
  double contrast_fmin_hz = 200;    ///< lower edge of the first octave band, > 0
  std::size_t contrast_bands = 6;   ///< octave bands above fmin (plus one below), 1..12
  double contrast_quantile = 0.02;  ///< (0, 1)
  double contrast_top_db = 80;      ///< whole-file clipping of the peak and valley dB
  bool keep_frames = false;         ///< keep the per-frame series (memory O(frames))
  /// Throws Error(invalid_argument) naming the field; the octave edges must lie below Nyquist.
  void validate(double sample_rate_hz) const;
};

/// Streaming processor: attach to an Stft. Results after finish() (contrast needs the whole file).
/// Thread-safety: one thread per object.
class SpectralProcessor : public FrameConsumer {
 public:
  SpectralProcessor(const StftConfig& stft, const SpectralConfig& config = {});
  ~SpectralProcessor() override;

  void consume(const StftFrame& frame) override;
  void finish() override;

  SpectralSummary summary() const;
  /// Per-frame values (only with keep_frames).
  const std::vector<SpectralFrame>& frames() const noexcept { return frames_; }
  /// Per-frame contrast, row-major frames × (n_bands + 1) (only with keep_frames).
  const std::vector<float>& contrast_db() const noexcept { return contrast_rows_; }

 private:
  struct ContrastBand {
    std::size_t first, count;  // bins used: [first, first + count)
    std::size_t quantile;      // how many of the smallest / largest are averaged
  };
  struct Store;
  SpectralConfig config_;
  std::vector<double> freqs_hz_;
  std::vector<float> previous_normalised_;
  std::vector<float> current_normalised_;
  bool have_previous_ = false;
  std::vector<SpectralFrame> frames_;
  std::int64_t count_ = 0;
  RunningSummary centroid_, bandwidth_, rolloff_, flatness_, flux_, zcr_, rms_;
  std::vector<ContrastBand> contrast_bands_;
  std::vector<float> sort_buffer_, peaks_valleys_, cumulative_, contrast_hints_;
  float max_peak_db_ = -INFINITY, max_valley_db_ = -INFINITY;
  std::unique_ptr<Store> store_;
  std::vector<Summary> contrast_summary_;
  std::vector<float> contrast_rows_;
  bool finished_ = false;
};

/// Batch convenience: the per-frame features of a whole mono signal.
std::vector<SpectralFrame> spectral_frames(std::span<const float> mono, const StftConfig& stft,
                                           const SpectralConfig& config = {});

}  // namespace herscan
