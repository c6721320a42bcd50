#include "herscan/spectral.h"

#include <cmath>
#include <limits>
#include <string>

#include "herscan/error.h"

namespace herscan {

void SpectralConfig::validate() const {
  if (!(rolloff_fraction > 0 && rolloff_fraction < 1))
    throw Error(ErrorCode::invalid_argument,
                "SpectralConfig.rolloff_fraction must be in (0, 1), got " +
                    std::to_string(rolloff_fraction));
}

SpectralProcessor::SpectralProcessor(const StftConfig& stft, const SpectralConfig& config)
    : config_(config) {
  stft.validate();
  config.validate();
  freqs_hz_ = fft_frequencies(stft.sample_rate_hz, stft.n_fft);
  previous_normalised_.assign(freqs_hz_.size(), 0.0f);
  current_normalised_.assign(freqs_hz_.size(), 0.0f);
}

void SpectralProcessor::consume(const StftFrame& frame) {
  const std::span<const float> S = frame.magnitude;
  const std::size_t bins = S.size();
  SpectralFrame out;

  // Centroid and bandwidth on |X| normalised to unit sum. librosa.util.normalize leaves a
  // column whose sum is below float32's smallest normal untouched, so silence gives 0.
  double sum = 0, weighted = 0;
  for (std::size_t k = 0; k < bins; ++k) {
    sum += S[k];
    weighted += freqs_hz_[k] * S[k];
  }
  const double norm = sum < double(std::numeric_limits<float>::min()) ? 1.0 : sum;
  out.centroid_hz = weighted / norm;
  double spread = 0;
  for (std::size_t k = 0; k < bins; ++k) {
    const double d = freqs_hz_[k] - out.centroid_hz;
    spread += S[k] * d * d;
  }
  out.bandwidth_hz = std::sqrt(spread / norm);

  // Roll-off: librosa accumulates in float32 (numpy cumsum of a float32 array) and compares
  // with fraction × total in float32; doing the same keeps the chosen bin identical.
  float total = 0;
  for (std::size_t k = 0; k < bins; ++k) total += S[k];
  const float threshold = float(config_.rolloff_fraction) * total;
  float cumulative = 0;
  out.rolloff_hz = freqs_hz_.back();
  for (std::size_t k = 0; k < bins; ++k) {
    cumulative += S[k];
    if (cumulative >= threshold) {
      out.rolloff_hz = freqs_hz_[k];
      break;
    }
  }

  // Flatness on the power spectrum floored at amin = 1e-10.
  double log_sum = 0, power_sum = 0;
  for (std::size_t k = 0; k < bins; ++k) {
    const double p = std::max(double(frame.power[k]), 1e-10);
    log_sum += std::log(p);
    power_sum += p;
  }
  out.flatness = std::exp(log_sum / double(bins)) / (power_sum / double(bins));

  // Flux between unit-L2-norm magnitude spectra (level independent; silence is the zero vector).
  double l2 = 0;
  for (std::size_t k = 0; k < bins; ++k) l2 += double(S[k]) * S[k];
  const double inv_l2 = l2 > 0 ? 1.0 / std::sqrt(l2) : 0.0;
  double flux2 = 0;
  for (std::size_t k = 0; k < bins; ++k) {
    current_normalised_[k] = float(S[k] * inv_l2);
    const double d = double(current_normalised_[k]) - previous_normalised_[k];
    flux2 += d * d;
  }
  out.flux = have_previous_ ? std::sqrt(flux2) : 0.0;
  previous_normalised_.swap(current_normalised_);
  have_previous_ = true;

  // Time domain, on the unwindowed frame of n_fft samples.
  const std::span<const float> x = frame.samples;
  double energy = 0;
  for (float v : x) energy += double(v) * v;
  out.rms = std::sqrt(energy / double(x.size()));
  // Zero crossings as librosa.feature.zero_crossing_rate: |x| ≤ 1e-10 counts as 0 (positive),
  // the frame is edge-padded (padding repeats the end sample, adding no crossing), and the
  // count is divided by the frame length.
  std::size_t crossings = 0;
  if (frame.valid_end > frame.valid_begin) {
    auto negative = [](float v) { return std::abs(v) > 1e-10f && std::signbit(v); };
    bool previous = negative(x[frame.valid_begin]);
    for (std::size_t i = frame.valid_begin + 1; i < frame.valid_end; ++i) {
      const bool current = negative(x[i]);
      crossings += current != previous;
      previous = current;
    }
  }
  out.zero_crossing_rate = double(crossings) / double(x.size());

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

SpectralSummary SpectralProcessor::summary() const {
  SpectralSummary s;
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
