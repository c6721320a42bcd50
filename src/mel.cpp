#include "herscan/mel.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "frame_store.h"
#include "herscan/beat_net.h"
#include "herscan/error.h"
#include "simd/kernels.h"

namespace herscan {

namespace {
constexpr double kSlaneyHzPerMel = 200.0 / 3;
constexpr double kSlaneyMinLogHz = 1000.0;
constexpr double kSlaneyMinLogMel = kSlaneyMinLogHz / kSlaneyHzPerMel;  // 15
const double kSlaneyLogStep = std::log(6.4) / 27.0;
}  // namespace

double hz_to_mel(double hz, bool htk) {
  if (htk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyMinLogHz) return hz / kSlaneyHzPerMel;
  return kSlaneyMinLogMel + std::log(hz / kSlaneyMinLogHz) / kSlaneyLogStep;
}

double mel_to_hz(double mel, bool htk) {
  if (htk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyMinLogMel) return kSlaneyHzPerMel * mel;
  return kSlaneyMinLogHz * std::exp(kSlaneyLogStep * (mel - kSlaneyMinLogMel));
}

void MelConfig::validate(double sample_rate_hz) const {
  if (n_mels < 1 || n_mels > 1024)
    throw Error(ErrorCode::invalid_argument,
                "MelConfig.n_mels must be in 1..1024, got " + std::to_string(n_mels));
  const double top = fmax_hz > 0 ? fmax_hz : sample_rate_hz / 2;
  if (!(fmin_hz >= 0 && fmin_hz < top))
    throw Error(ErrorCode::invalid_argument,
                "MelConfig.fmin_hz must be in [0, fmax), got " + std::to_string(fmin_hz));
  if (fmax_hz < 0 || fmax_hz > sample_rate_hz / 2)
    throw Error(ErrorCode::invalid_argument,
                "MelConfig.fmax_hz must be 0 (Nyquist) or in (fmin, sample_rate/2], got " +
                    std::to_string(fmax_hz));
}

MelFilterbank::MelFilterbank(double sample_rate_hz, std::size_t n_fft, const MelConfig& config)
    : bins_(n_fft / 2 + 1) {
  config.validate(sample_rate_hz);
  const std::size_t n = config.n_mels;
  const double fmax = config.fmax_hz > 0 ? config.fmax_hz : sample_rate_hz / 2;
  // mel_frequencies(n + 2): np.linspace in mel (start + i·step, the last point exactly `stop`).
  const double lo = hz_to_mel(config.fmin_hz, config.htk), hi = hz_to_mel(fmax, config.htk);
  const double step = (hi - lo) / double(n + 1);
  std::vector<double> edges(n + 2);
  for (std::size_t i = 0; i < n + 2; ++i)
    edges[i] = mel_to_hz(i == n + 1 ? hi : lo + double(i) * step, config.htk);
  const std::vector<double> freqs = fft_frequencies(sample_rate_hz, n_fft);

  bands_.resize(n);
  centres_hz_.assign(edges.begin() + 1, edges.end() - 1);
  for (std::size_t m = 0; m < n; ++m) {
    const double lower_width = edges[m + 1] - edges[m], upper_width = edges[m + 2] - edges[m + 1];
    const double enorm = config.slaney_norm ? 2.0 / (edges[m + 2] - edges[m]) : 1.0;
    Band& band = bands_[m];
    band.first_bin = bins_;
    for (std::size_t k = 0; k < bins_; ++k) {
      const double lower = (freqs[k] - edges[m]) / lower_width;
      const double upper = (edges[m + 2] - freqs[k]) / upper_width;
      // librosa rounds to float32 when storing the triangle and again after the normalisation.
      const float w = float(float(std::max(0.0, std::min(lower, upper))) * enorm);
      if (w == 0.0f) {
        if (band.first_bin != bins_) break;  // past the triangle
        continue;
      }
      if (band.first_bin == bins_) band.first_bin = k;
      band.weights.push_back(w);
    }
    if (band.first_bin == bins_) band.first_bin = 0;  // an empty band (too narrow for the FFT)
  }
}

std::size_t MelFilterbank::nonzeros() const noexcept {
  std::size_t n = 0;
  for (const Band& b : bands_) n += b.weights.size();
  return n;
}

float MelFilterbank::weight(std::size_t band, std::size_t bin) const {
  const Band& b = bands_.at(band);
  if (bin < b.first_bin || bin >= b.first_bin + b.weights.size()) return 0.0f;
  return b.weights[bin - b.first_bin];
}

void MelFilterbank::apply(std::span<const float> power, std::span<float> mel) const {
  for (std::size_t m = 0; m < bands_.size(); ++m) {
    const Band& b = bands_[m];
    mel[m] =
        float(simd::kernels().dot(b.weights.data(), power.data() + b.first_bin, b.weights.size()));
  }
}

float power_to_db(float power, float amin, float ref) {
  const float db = 10.0f * std::log10(std::max(amin, power));
  // ref = 1 (every caller in the library): 10·log10(1) is exactly 0, and db − 0 is db.
  return ref == 1.0f && amin <= 1.0f ? db : db - 10.0f * std::log10(std::max(amin, ref));
}

void MfccConfig::validate(std::size_t n_mels) const {
  if (n_mfcc < 1 || n_mfcc > n_mels)
    throw Error(ErrorCode::invalid_argument, "MfccConfig.n_mfcc must be in 1..n_mels (" +
                                                 std::to_string(n_mels) + "), got " +
                                                 std::to_string(n_mfcc));
}

std::vector<double> dct_ortho_matrix(std::size_t n_out, std::size_t n) {
  std::vector<double> d(n_out * n);
  for (std::size_t q = 0; q < n_out; ++q) {
    const double scale = std::sqrt((q == 0 ? 1.0 : 2.0) / double(n));
    for (std::size_t m = 0; m < n; ++m)
      d[q * n + m] =
          scale * std::cos(std::numbers::pi * double(q) * double(2 * m + 1) / double(2 * n));
  }
  return d;
}

struct MelProcessor::Impl {
  MelFilterbank filterbank;
  MfccConfig mfcc_config;
  Keep keep;
  std::vector<double> dct;
  std::vector<float> mel, db;
  float max_db = -INFINITY;
  detail::FrameStore store;
  bool finished = false;
  std::vector<Summary> summary;
  std::vector<float> mel_db_rows, mfcc_rows, onset_mean, onset_median, beat_rows;

  Impl(const StftConfig& stft, const MelConfig& m, const MfccConfig& c, Keep k)
      : filterbank(stft.sample_rate_hz, stft.n_fft, m),
        mfcc_config(c),
        keep(k),
        dct(dct_ortho_matrix(c.n_mfcc, m.n_mels)),
        mel(m.n_mels),
        db(m.n_mels),
        store(m.n_mels) {}
};

MelProcessor::MelProcessor(const StftConfig& stft, const MelConfig& mel, const MfccConfig& mfcc,
                           Keep keep) {
  stft.validate();
  mfcc.validate(mel.n_mels);
  impl_ = std::make_unique<Impl>(stft, mel, mfcc, keep);
}

MelProcessor::~MelProcessor() = default;

void MelProcessor::consume(const StftFrame& frame) {
  Impl& s = *impl_;
  s.filterbank.apply(frame.power, s.mel);
  for (std::size_t m = 0; m < s.mel.size(); ++m) {
    s.db[m] = power_to_db(s.mel[m]);
    s.max_db = std::max(s.max_db, s.db[m]);
  }
  s.store.append(s.db);
}

void MelProcessor::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  const std::size_t n_mels = s.mel.size(), n_mfcc = s.mfcc_config.n_mfcc;
  // librosa: log_spec = max(log_spec, log_spec.max() − top_db), the max over the whole matrix.
  const float floor =
      s.mfcc_config.top_db > 0 ? float(double(s.max_db) - s.mfcc_config.top_db) : -INFINITY;
  std::vector<RunningSummary> stats(n_mfcc);
  std::vector<float> clipped(n_mels);
  if (s.keep.mel_db) s.mel_db_rows.reserve(s.store.rows() * n_mels);
  if (s.keep.mfcc) s.mfcc_rows.reserve(s.store.rows() * n_mfcc);
  const std::size_t frames = s.store.rows();
  if (s.keep.onset) {
    // o[0..2] = 0; o[t] for t ≥ 3 is the flux between rows t − 3 and t − 2 (lag 1, then the
    // n_fft / (2·hop) = 2 frame centring shift of librosa), trimmed to the frame count.
    s.onset_mean.assign(frames, 0.0f);
    if (s.keep.onset_median) s.onset_median.assign(frames, 0.0f);
  }
  if (s.keep.beat_features) {
    if (n_mels % kBeatBands != 0)
      throw Error(ErrorCode::invalid_argument, "MelProcessor: beat features need a multiple of " +
                                                   std::to_string(kBeatBands) + " mel bands");
    // Rows 0..2 have no flux (as the envelope's) and read as the floor (as silence does).
    s.beat_rows.assign(frames * kBeatFeatures, 0.0f);
    for (std::size_t t = 0; t < std::min<std::size_t>(3, frames); ++t)
      std::fill_n(s.beat_rows.begin() + std::ptrdiff_t(t * kBeatFeatures + kBeatBands), kBeatBands,
                  -1.0f);
  }
  const std::size_t group = n_mels / kBeatBands;
  const float range = s.mfcc_config.top_db > 0 ? float(s.mfcc_config.top_db) : 80.0f;
  std::vector<float> previous(n_mels), scratch;
  std::vector<double> dct_by_band(n_mels * n_mfcc), coefficients(n_mfcc);
  for (std::size_t q = 0; q < n_mfcc; ++q)
    for (std::size_t m = 0; m < n_mels; ++m) dct_by_band[m * n_mfcc + q] = s.dct[q * n_mels + m];
  const auto& kernels = simd::kernels();
  s.store.for_each([&](std::size_t r, std::span<const float> row) {
    for (std::size_t m = 0; m < n_mels; ++m) clipped[m] = std::max(row[m], floor);
    if (s.keep.onset && r >= 1 && r + 2 < frames) {
      s.onset_mean[r + 2] = onset_aggregate(previous, clipped, OnsetAggregate::mean, scratch);
      if (s.keep.onset_median)
        s.onset_median[r + 2] = onset_aggregate(previous, clipped, OnsetAggregate::median, scratch);
    }
    if (s.keep.beat_features && r >= 1 && r + 2 < frames) {
      float* out = &s.beat_rows[(r + 2) * kBeatFeatures];
      for (std::size_t g = 0; g < kBeatBands; ++g) {
        double flux = 0, level = 0;
        for (std::size_t m = g * group; m < (g + 1) * group; ++m) {
          flux += std::max(0.0f, clipped[m] - previous[m]);
          level += clipped[m];
        }
        out[g] = float(flux / double(group));
        out[kBeatBands + g] =
            std::max(-1.0f, float((level / double(group) - double(s.max_db)) / double(range)));
      }
    }
    if (s.keep.onset || s.keep.beat_features) previous = clipped;
    if (s.keep.mel_db) s.mel_db_rows.insert(s.mel_db_rows.end(), clipped.begin(), clipped.end());
    // Each coefficient summed over the bands in order, all coefficients at once (the kernel runs
    // across them; the same sums as one dot product per coefficient).
    kernels.sum_scaled_rows(dct_by_band.data(), clipped.data(), n_mels, n_mfcc,
                            coefficients.data());
    for (std::size_t q = 0; q < n_mfcc; ++q) {
      stats[q].add(coefficients[q]);
      if (s.keep.mfcc) s.mfcc_rows.push_back(float(coefficients[q]));
    }
  });
  s.summary.clear();
  for (const auto& st : stats) s.summary.push_back(st.summary());
}

const MelFilterbank& MelProcessor::filterbank() const noexcept {
  return impl_->filterbank;
}
std::size_t MelProcessor::frames() const noexcept {
  return impl_->store.rows();
}

const std::vector<Summary>& MelProcessor::mfcc_summary() const {
  if (!impl_->finished)
    throw Error(ErrorCode::invalid_argument, "MelProcessor: results before finish()");
  return impl_->summary;
}
const std::vector<float>& MelProcessor::mel_db() const {
  return impl_->mel_db_rows;
}
const std::vector<float>& MelProcessor::mfcc() const {
  return impl_->mfcc_rows;
}
const std::vector<float>& MelProcessor::onset_mean() const {
  return impl_->onset_mean;
}
const std::vector<float>& MelProcessor::onset_median() const {
  return impl_->onset_median;
}
const std::vector<float>& MelProcessor::beat_features() const {
  return impl_->beat_rows;
}

float onset_aggregate(std::span<const float> previous, std::span<const float> current,
                      OnsetAggregate aggregate, std::vector<float>& scratch) {
  scratch.resize(current.size());
  for (std::size_t m = 0; m < current.size(); ++m)
    scratch[m] = std::max(0.0f, current[m] - previous[m]);
  if (aggregate == OnsetAggregate::mean) {
    // numpy's float32 mean uses pairwise summation; a double sum rounds to the same float here.
    double sum = 0;
    for (float v : scratch) sum += v;
    return float(sum / double(scratch.size()));
  }
  const std::size_t n = scratch.size(), half = n / 2;
  std::nth_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(half), scratch.end());
  const float upper = scratch[half];
  if (n % 2 == 1) return upper;
  const float lower = *std::max_element(scratch.begin(), scratch.begin() + std::ptrdiff_t(half));
  return (lower + upper) / 2.0f;  // numpy: the mean of the two middle values
}

std::vector<float> mel_spectrogram_db(std::span<const float> mono, const StftConfig& stft,
                                      const MelConfig& mel) {
  MelProcessor p(stft, mel, {}, {.mel_db = true, .mfcc = false});
  Stft transform(stft);
  transform.add_consumer(p);
  transform.push(mono);
  transform.finish();
  return p.mel_db();
}

std::vector<float> mfcc(std::span<const float> mono, const StftConfig& stft, const MelConfig& mel,
                        const MfccConfig& config) {
  MelProcessor p(stft, mel, config, {.mel_db = false, .mfcc = true});
  Stft transform(stft);
  transform.add_consumer(p);
  transform.push(mono);
  transform.finish();
  return p.mfcc();
}

}  // namespace herscan
