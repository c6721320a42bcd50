#include "herscan/spectral.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>

#include "frame_store.h"
#include "herscan/error.h"
#include "herscan/mel.h"
#include "simd/kernels.h"

namespace herscan {

void SpectralConfig::validate(double sample_rate_hz) const {
  if (!(rolloff_fraction > 0 && rolloff_fraction < 1))
    throw Error(ErrorCode::invalid_argument,
                "SpectralConfig.rolloff_fraction must be in (0, 1), got " +
                    std::to_string(rolloff_fraction));
  if (contrast_bands < 1 || contrast_bands > 12)
    throw Error(
        ErrorCode::invalid_argument,
        "SpectralConfig.contrast_bands must be in 1..12, got " + std::to_string(contrast_bands));
  if (!(contrast_quantile > 0 && contrast_quantile < 1))
    throw Error(ErrorCode::invalid_argument,
                "SpectralConfig.contrast_quantile must be in (0, 1), got " +
                    std::to_string(contrast_quantile));
  // librosa: every octave edge but the last must lie below Nyquist.
  const double top_edge = contrast_fmin_hz * std::pow(2.0, double(contrast_bands - 1));
  if (!(contrast_fmin_hz > 0) || top_edge >= sample_rate_hz / 2)
    throw Error(ErrorCode::invalid_argument,
                "SpectralConfig.contrast_fmin_hz · 2^(contrast_bands − 1) must be below Nyquist (" +
                    std::to_string(sample_rate_hz / 2) + " Hz), got " + std::to_string(top_edge));
}

struct SpectralProcessor::Store {
  detail::FrameStore rows;
  explicit Store(std::size_t width) : rows(width) {}
};

SpectralProcessor::SpectralProcessor(const StftConfig& stft, const SpectralConfig& config)
    : config_(config) {
  stft.validate();
  config.validate(stft.sample_rate_hz);
  freqs_hz_ = fft_frequencies(stft.sample_rate_hz, stft.n_fft);
  previous_normalised_.assign(freqs_hz_.size(), 0.0f);
  current_normalised_.assign(freqs_hz_.size(), 0.0f);

  // Contrast bands exactly as librosa.feature.spectral_contrast builds its masks: octave edges
  // 0, fmin, 2·fmin, ...; each band takes the bins within [low, high] plus one below (except the
  // first); the last band runs to Nyquist; every band but the last drops its top bin; the
  // quantile count rounds (half to even) on the mask size before the drop, at least 1.
  const std::size_t n_bands = config.contrast_bands;
  std::vector<double> edges(n_bands + 2, 0.0);
  for (std::size_t i = 1; i < edges.size(); ++i)
    edges[i] = config.contrast_fmin_hz * std::pow(2.0, double(i - 1));
  const std::size_t bins = freqs_hz_.size();
  for (std::size_t k = 0; k <= n_bands; ++k) {
    std::size_t lo = bins, hi = 0;
    for (std::size_t b = 0; b < bins; ++b) {
      if (freqs_hz_[b] >= edges[k] && freqs_hz_[b] <= edges[k + 1]) {
        lo = std::min(lo, b);
        hi = std::max(hi, b);
      }
    }
    if (lo == bins)
      throw Error(ErrorCode::invalid_argument, "SpectralConfig: a contrast band holds no FFT bin");
    if (k > 0 && lo > 0) --lo;
    if (k == n_bands) hi = bins - 1;
    const std::size_t mask = hi - lo + 1;
    const std::size_t used = k < n_bands ? mask - 1 : mask;
    const std::size_t q = std::max<std::size_t>(
        1, std::size_t(std::nearbyint(config.contrast_quantile * double(mask))));
    contrast_bands_.push_back({lo, used, std::min(q, used)});
  }
  peaks_valleys_.resize(2 * contrast_bands_.size());
  // The previous frame's q-th values, where the selection starts (simd::Kernels::sum_of_extremes).
  contrast_hints_.assign(2 * contrast_bands_.size(), -std::numeric_limits<float>::infinity());
  store_ = std::make_unique<Store>(peaks_valleys_.size());
}

SpectralProcessor::~SpectralProcessor() = default;

void SpectralProcessor::consume(const StftFrame& frame) {
  const std::span<const float> S = frame.magnitude;
  const std::size_t bins = S.size();
  SpectralFrame out;

  // Centroid and bandwidth on |X| normalised to unit sum. librosa.util.normalize leaves a
  // column whose sum is below float32's smallest normal untouched, so silence gives 0.
  // One pass of sums (SIMD kernel): magnitude, frequency-weighted magnitude, log power, power,
  // squared magnitude.
  const auto& kernels = simd::kernels();
  const simd::SpectrumSums sums =
      kernels.spectrum_sums(S.data(), frame.power.data(), freqs_hz_.data(), bins);
  const double sum = sums.magnitude;
  const double norm = sum < double(std::numeric_limits<float>::min()) ? 1.0 : sum;
  out.centroid_hz = sums.weighted / norm;
  out.bandwidth_hz =
      std::sqrt(kernels.spread(S.data(), freqs_hz_.data(), out.centroid_hz, bins) / norm);

  // Roll-off: librosa accumulates in float32 (numpy cumsum of a float32 array) and compares
  // with fraction × the last cumulative value in float32; doing the same keeps the chosen bin
  // identical. The cumulative sums of magnitudes never decrease, so the first bin reaching the
  // threshold is found by bisection.
  cumulative_.resize(bins);
  float cumulative = 0;
  for (std::size_t k = 0; k < bins; ++k) cumulative_[k] = cumulative += S[k];
  const float threshold = float(config_.rolloff_fraction) * cumulative;
  const auto reached = std::lower_bound(cumulative_.begin(), cumulative_.end(), threshold);
  out.rolloff_hz = reached == cumulative_.end()
                       ? freqs_hz_.back()
                       : freqs_hz_[std::size_t(reached - cumulative_.begin())];

  // Flatness on the power spectrum floored at amin = 1e-10 (logarithms in float, as librosa's
  // float32 arrays; the spectrum_sums kernel).
  out.flatness = std::exp(sums.log_power / double(bins)) / (sums.power / double(bins));

  // Flux between unit-L2-norm magnitude spectra (level independent; silence is the zero vector).
  const double l2 = sums.magnitude_squared;
  const double inv_l2 = l2 > 0 ? 1.0 / std::sqrt(l2) : 0.0;
  const double flux2 = kernels.scaled_diff_squared(S.data(), inv_l2, previous_normalised_.data(),
                                                   current_normalised_.data(), bins);
  out.flux = have_previous_ ? std::sqrt(flux2) : 0.0;
  previous_normalised_.swap(current_normalised_);
  have_previous_ = true;

  // Time domain, on the unwindowed frame of n_fft samples.
  const std::span<const float> x = frame.samples;
  out.rms = std::sqrt(kernels.sum_squares(x.data(), x.size()) / double(x.size()));
  // Zero crossings as librosa.feature.zero_crossing_rate: |x| ≤ 1e-10 counts as 0 (positive),
  // the frame is edge-padded (padding repeats the end sample, adding no crossing), and the
  // count is divided by the frame length.
  const std::size_t crossings =
      frame.valid_end > frame.valid_begin
          ? kernels.sign_changes(x.data() + frame.valid_begin, frame.valid_end - frame.valid_begin)
          : 0;
  out.zero_crossing_rate = double(crossings) / double(x.size());

  // Contrast: mean of the q largest and of the q smallest magnitudes per band, kept until finish()
  // (their dB matrices are clipped against the whole file).
  for (std::size_t b = 0; b < contrast_bands_.size(); ++b) {
    const ContrastBand& band = contrast_bands_[b];
    const auto values = std::span<const float>(S).subspan(band.first, band.count);
    const std::size_t q = band.quantile;
    sort_buffer_.resize(values.size());
    const double valley = kernels.sum_of_extremes(values.data(), values.size(), q, -1.0f,
                                                  sort_buffer_.data(), &contrast_hints_[2 * b + 1]);
    const double peak = kernels.sum_of_extremes(values.data(), values.size(), q, 1.0f,
                                                sort_buffer_.data(), &contrast_hints_[2 * b]);
    peaks_valleys_[2 * b] = power_to_db(float(peak / double(q)));
    peaks_valleys_[2 * b + 1] = power_to_db(float(valley / double(q)));
    max_peak_db_ = std::max(max_peak_db_, peaks_valleys_[2 * b]);
    max_valley_db_ = std::max(max_valley_db_, peaks_valleys_[2 * b + 1]);
  }
  store_->rows.append(peaks_valleys_);

  ++count_;
  centroid_.add(out.centroid_hz);
  bandwidth_.add(out.bandwidth_hz);
  rolloff_.add(out.rolloff_hz);
  flatness_.add(out.flatness);
  flux_.add(out.flux);
  zcr_.add(out.zero_crossing_rate);
  rms_.add(out.rms);
  if (config_.keep_frames) frames_.push_back(out);
}

void SpectralProcessor::finish() {
  if (finished_) return;
  finished_ = true;
  const std::size_t n = contrast_bands_.size();
  const bool clip = config_.contrast_top_db > 0;
  const float peak_floor = clip ? float(double(max_peak_db_) - config_.contrast_top_db) : -INFINITY;
  const float valley_floor =
      clip ? float(double(max_valley_db_) - config_.contrast_top_db) : -INFINITY;
  std::vector<RunningSummary> stats(n);
  if (config_.keep_frames) contrast_rows_.reserve(store_->rows.rows() * n);
  store_->rows.for_each([&](std::size_t, std::span<const float> row) {
    for (std::size_t b = 0; b < n; ++b) {
      const double c =
          double(std::max(row[2 * b], peak_floor)) - double(std::max(row[2 * b + 1], valley_floor));
      stats[b].add(c);
      if (config_.keep_frames) contrast_rows_.push_back(float(c));
    }
  });
  for (const auto& st : stats) contrast_summary_.push_back(st.summary());
}

SpectralSummary SpectralProcessor::summary() const {
  if (!finished_)
    throw Error(ErrorCode::invalid_argument, "SpectralProcessor: summary before finish()");
  SpectralSummary s;
  s.contrast_db = contrast_summary_;
  s.frames = count_;
  s.centroid_hz = centroid_.summary();
  s.bandwidth_hz = bandwidth_.summary();
  s.rolloff_hz = rolloff_.summary();
  s.flatness = flatness_.summary();
  s.flux = flux_.summary();
  s.zero_crossing_rate = zcr_.summary();
  s.rms = rms_.summary();
  return s;
}

std::vector<SpectralFrame> spectral_frames(std::span<const float> mono, const StftConfig& stft,
                                           const SpectralConfig& config) {
  SpectralConfig keep = config;
  keep.keep_frames = true;
  SpectralProcessor processor(stft, keep);
  Stft transform(stft);
  transform.add_consumer(processor);
  transform.push(mono);
  transform.finish();
  return processor.frames();
}

}  // namespace herscan
