#include "herscan/tempo.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numbers>

#include "herscan/error.h"
#include "herscan/fft.h"

namespace herscan {
namespace {

// The linear autocorrelation of x (lags 0..x.size()−1) through a double-precision FFT of a
// power-of-two size ≥ 2·|x| − 1: the power spectrum is real and even, so a forward real transform
// of it equals the inverse transform times its length.
class Autocorrelator {
 public:
  explicit Autocorrelator(std::size_t n)
      : n_(n), size_(std::bit_ceil(2 * n - 1)), fft_(size_), spectrum_(size_) {}
  void run(std::span<const double> x, std::span<double> out) {
    double* in = fft_.input();
    std::fill(in, in + size_, 0.0);
    std::copy(x.begin(), x.end(), in);
    fft_.execute();
    const std::complex<double>* X = fft_.output();
    const std::size_t half = size_ / 2;
    for (std::size_t k = 0; k <= half; ++k) spectrum_[k] = std::norm(X[k]);
    for (std::size_t k = half + 1; k < size_; ++k) spectrum_[k] = spectrum_[size_ - k];
    std::copy(spectrum_.begin(), spectrum_.end(), in);
    fft_.execute();
    for (std::size_t l = 0; l < n_; ++l) out[l] = X[l].real() / double(size_);
  }

 private:
  std::size_t n_, size_;
  RealFftDouble fft_;
  std::vector<double> spectrum_;
};

}  // namespace

std::vector<double> mean_tempogram(std::span<const float> envelope, std::size_t win_length) {
  const std::size_t n = envelope.size();
  std::vector<double> mean(win_length, 0.0);
  if (n == 0 || win_length < 2) return mean;
  // numpy.pad(mode="linear_ramp", end_values=0) by win_length/2 on each side, then frames of
  // win_length with hop 1, the first n of them.
  const std::size_t pad = win_length / 2;
  std::vector<float> padded(n + 2 * pad, 0.0f);
  for (std::size_t i = 0; i < pad; ++i) {
    padded[i] = float(double(envelope.front()) * double(i) / double(pad));  // 0 → o[0]
    padded[pad + n + i] =
        float(double(envelope.back()) * double(pad - 1 - i) / double(pad));  // o[−1] → 0
  }
  std::copy(envelope.begin(), envelope.end(), padded.begin() + std::ptrdiff_t(pad));
  std::vector<double> window(win_length), frame(win_length), ac(win_length);
  for (std::size_t i = 0; i < win_length; ++i)
    window[i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * double(i) / double(win_length));
  Autocorrelator autocorrelate(win_length);
  for (std::size_t t = 0; t < n; ++t) {
    for (std::size_t i = 0; i < win_length; ++i) frame[i] = window[i] * double(padded[t + i]);
    autocorrelate.run(frame, ac);
    double peak = 0;
    for (double v : ac) peak = std::max(peak, std::abs(v));
    if (peak < std::numeric_limits<double>::min()) continue;  // all-zero columns stay 0
    for (std::size_t l = 0; l < win_length; ++l) mean[l] += ac[l] / peak;
  }
  for (double& v : mean) v /= double(n);
  return mean;
}

double librosa_tempo(std::span<const float> envelope, double frame_rate_hz) {
  // win_length = time_to_frames(8 s) = floor(int(8·sr) / hop); with frame_rate = sr / hop that is
  // floor(8·frame_rate) for the default 22050 / 512 (344).
  const auto win = std::size_t(std::floor(8.0 * frame_rate_hz + 1e-9));
  const auto tg = mean_tempogram(envelope, win);
  const double start_bpm = 120.0, std_bpm = 1.0, max_tempo = 320.0;
  double best = -std::numeric_limits<double>::infinity();
  std::size_t best_lag = 0;
  bool allowed = false;  // lags whose BPM is ≥ max_tempo (all the shortest ones) are excluded
  for (std::size_t lag = 1; lag < win; ++lag) {
    const double bpm = 60.0 * frame_rate_hz / double(lag);
    allowed = allowed || bpm < max_tempo;
    if (!allowed) continue;
    const double prior = -0.5 * std::pow((std::log2(bpm) - std::log2(start_bpm)) / std_bpm, 2);
    const double score = std::log1p(1e6 * tg[lag]) + prior;
    if (score > best) {  // the first maximum, as np.argmax
      best = score;
      best_lag = lag;
    }
  }
  return 60.0 * frame_rate_hz / double(best_lag);
}

std::vector<std::int64_t> librosa_beats(std::span<const float> envelope, double frame_rate_hz,
                                        double bpm, double tightness, bool trim) {
  const std::size_t n = envelope.size();
  bool any = false;
  for (float v : envelope) any = any || v != 0.0f;
  if (!any || n == 0) return {};
  const double fpb = std::nearbyint(frame_rate_hz * 60.0 / bpm);

  // __normalize_onsets: divide by the sample standard deviation (ddof 1), float32.
  double mean = 0;
  for (float v : envelope) mean += v;
  mean /= double(n);
  double var = 0;
  for (float v : envelope) var += (v - mean) * (v - mean);
  const float sd = float(std::sqrt(var / double(n > 1 ? n - 1 : 1)));
  std::vector<float> onsets(n);
  for (std::size_t i = 0; i < n; ++i)
    onsets[i] = envelope[i] / (sd + std::numeric_limits<float>::min());

  // __beat_local_score: a Gaussian of σ = fpb/32 over ±fpb frames, convolved "same", with
  // librosa's off-by-one that leaves out the term k = i + K/2 (so onsets[0] never counts).
  const auto half = std::ptrdiff_t(fpb);
  const auto K = 2 * half + 1;
  std::vector<double> window(static_cast<std::size_t>(K));
  for (std::ptrdiff_t j = -half; j <= half; ++j)
    window[std::size_t(j + half)] = std::exp(-0.5 * std::pow(double(j) * 32.0 / fpb, 2));
  std::vector<double> local(n, 0.0);
  const auto N = std::ptrdiff_t(n);
  for (std::ptrdiff_t i = 0; i < N; ++i) {
    double sum = 0;
    for (std::ptrdiff_t k = std::max<std::ptrdiff_t>(0, i + K / 2 - N + 1);
         k < std::min(i + K / 2, K); ++k)
      sum += window[std::size_t(k)] * double(onsets[std::size_t(i + K / 2 - k)]);
    local[std::size_t(i)] = sum;
  }

  // __beat_track_dp.
  const double threshold = 0.01 * *std::max_element(local.begin(), local.end());
  std::vector<double> cumulative(n, 0.0);
  std::vector<std::ptrdiff_t> backlink(n, -1);
  bool first_beat = true;
  const auto near_offset = std::ptrdiff_t(std::nearbyint(fpb / 2));  // round half to even
  for (std::ptrdiff_t i = 0; i < N; ++i) {
    double best = -std::numeric_limits<double>::infinity();
    std::ptrdiff_t location = -1;
    for (std::ptrdiff_t loc = i - near_offset; loc > i - 2 * half - 1; --loc) {
      if (loc < 0) break;
      const double score = cumulative[std::size_t(loc)] -
                           tightness * std::pow(std::log(double(i - loc)) - std::log(fpb), 2);
      if (score > best) {  // strict: a tie keeps the most recent frame
        best = score;
        location = loc;
      }
    }
    cumulative[std::size_t(i)] =
        location >= 0 ? local[std::size_t(i)] + best : local[std::size_t(i)];
    if (first_beat && local[std::size_t(i)] < threshold) {
      backlink[std::size_t(i)] = -1;
    } else {
      backlink[std::size_t(i)] = location;
      first_beat = false;
    }
  }

  // __last_beat: the last local maximum of the cumulative score reaching half the median of
  // the local maxima (util.localmax with edge padding).
  auto is_localmax = [&](std::size_t i) {
    const double left = i == 0 ? cumulative[0] : cumulative[i - 1];
    const double right = i + 1 == n ? cumulative[i] : cumulative[i + 1];
    return cumulative[i] > left && cumulative[i] >= right;
  };
  std::vector<double> maxima;
  for (std::size_t i = 0; i < n; ++i)
    if (is_localmax(i)) maxima.push_back(cumulative[i]);
  double median = 0;
  if (!maxima.empty()) {
    std::sort(maxima.begin(), maxima.end());
    const std::size_t m = maxima.size();
    median = m % 2 ? maxima[m / 2] : (maxima[m / 2 - 1] + maxima[m / 2]) / 2;
  }
  std::ptrdiff_t tail = N - 1;
  for (std::ptrdiff_t i = N - 1; i >= 0; --i) {
    if (is_localmax(std::size_t(i)) && cumulative[std::size_t(i)] >= 0.5 * median) {
      tail = i;
      break;
    }
  }

  // __dp_backtrack.
  std::vector<char> beats(n, 0);
  for (std::ptrdiff_t i = tail; i >= 0; i = backlink[std::size_t(i)]) beats[std::size_t(i)] = 1;

  // __trim_beats: a threshold from the local score at the beats (Hann(5) smoothed, RMS / 2), then
  // drop the beats before the first frame, and after the last, whose local score exceeds it.
  if (trim) {
    std::vector<double> at_beats;
    for (std::size_t i = 0; i < n; ++i)
      if (beats[i]) at_beats.push_back(local[i]);
    const std::size_t m = at_beats.size();
    // np.convolve(b, hanning(5))[2 : n + 2]: s[j] = ½b[j−1] + b[j] + ½b[j+1] for j = 0..m+1, cut
    // at len(localscore).
    const std::size_t count = std::min(n, m + 2);
    double sum_sq = 0;
    for (std::size_t j = 0; j < count; ++j) {
      double s = 0;
      if (j >= 1 && j - 1 < m) s += 0.5 * at_beats[j - 1];
      if (j < m) s += at_beats[j];
      if (j + 1 < m) s += 0.5 * at_beats[j + 1];
      sum_sq += s * s;
    }
    const double trim_threshold = count ? 0.5 * std::sqrt(sum_sq / double(count)) : 0.0;
    std::size_t i = 0;
    while (i < n && local[i] <= trim_threshold) beats[i++] = 0;
    std::ptrdiff_t j = N - 1;
    while (j >= 0 && local[std::size_t(j)] <= trim_threshold) beats[std::size_t(j--)] = 0;
  }
  std::vector<std::int64_t> frames;
  for (std::size_t i = 0; i < n; ++i)
    if (beats[i]) frames.push_back(std::int64_t(i));
  return frames;
}

}  // namespace herscan
