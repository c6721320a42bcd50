#include "herscan/tempo.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <numbers>

#include "frame_store.h"
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
      : n_(n), size_(std::bit_ceil(2 * n - 1)), fft_(size_), spectrum_(size_ / 2 + 1) {}

  std::size_t bins() const noexcept { return size_ / 2 + 1; }

  /// |X[k]|² of x zero-padded to the transform size, k = 0 … size/2, and their lag-0
  /// autocorrelation Σ|X|²/size over the whole circle (Parseval).
  double power(std::span<const double> x, std::span<double> out) {
    double* in = fft_.input();
    std::fill(in, in + size_, 0.0);
    std::copy(x.begin(), x.end(), in);
    fft_.execute();
    const std::complex<double>* X = fft_.output();
    double energy = 0;
    for (std::size_t k = 0; k < bins(); ++k) {
      out[k] = std::norm(X[k]);
      energy += (k == 0 || k == size_ / 2 ? 1.0 : 2.0) * out[k];
    }
    return energy / double(size_);
  }

  /// The autocorrelation (lags 0 … n−1) whose power spectrum is `power` (bins() values).
  void inverse(std::span<const double> power, std::span<double> out) {
    // A real, even spectrum: its forward transform is real and equals size × the inverse.
    double* in = fft_.input();
    const std::size_t half = size_ / 2;
    for (std::size_t k = 0; k <= half; ++k) in[k] = power[k];
    for (std::size_t k = half + 1; k < size_; ++k) in[k] = power[size_ - k];
    fft_.execute();
    const std::complex<double>* X = fft_.output();
    for (std::size_t l = 0; l < n_; ++l) out[l] = X[l].real() / double(size_);
  }

  void run(std::span<const double> x, std::span<double> out) {
    power(x, spectrum_);
    inverse(spectrum_, out);
  }

 private:
  std::size_t n_, size_;
  RealFftDouble fft_;
  std::vector<double> spectrum_;  // run()'s power spectrum: bins() values
};

// Calls f(t, frame) for every windowed frame t of the tempogram of `envelope`
// (librosa.feature.tempogram: linear-ramp padding by win_length/2 on each side, a periodic Hann
// window of win_length frames).
template <class F>
void for_each_tempogram_frame(std::span<const float> envelope, std::size_t win_length, F&& f) {
  const std::size_t n = envelope.size();
  if (n == 0 || win_length < 2) return;
  const std::size_t pad = win_length / 2;
  std::vector<float> padded(n + 2 * pad, 0.0f);
  for (std::size_t i = 0; i < pad; ++i) {
    padded[i] = float(double(envelope.front()) * double(i) / double(pad));  // 0 → o[0]
    padded[pad + n + i] =
        float(double(envelope.back()) * double(pad - 1 - i) / double(pad));  // o[−1] → 0
  }
  std::copy(envelope.begin(), envelope.end(), padded.begin() + std::ptrdiff_t(pad));
  std::vector<double> window(win_length), frame(win_length);
  for (std::size_t i = 0; i < win_length; ++i)
    window[i] = 0.5 - 0.5 * std::cos(2 * std::numbers::pi * double(i) / double(win_length));
  for (std::size_t t = 0; t < n; ++t) {
    for (std::size_t i = 0; i < win_length; ++i) frame[i] = window[i] * double(padded[t + i]);
    f(t, std::span<const double>(frame));
  }
}

// Calls f(t, column) for every frame t of the autocorrelation tempogram of `envelope`, each
// column's autocorrelation normalised by its largest magnitude (the lag-0 value); an all-zero
// column stays zero.
template <class F>
void for_each_tempogram_column(std::span<const float> envelope, std::size_t win_length, F&& f) {
  Autocorrelator autocorrelate(win_length);
  std::vector<double> ac(win_length);
  for_each_tempogram_frame(envelope, win_length, [&](std::size_t t, std::span<const double> frame) {
    autocorrelate.run(frame, ac);
    double peak = 0;
    for (double v : ac) peak = std::max(peak, std::abs(v));
    if (peak < std::numeric_limits<double>::min()) {
      std::fill(ac.begin(), ac.end(), 0.0);
    } else {
      for (double& v : ac) v /= peak;
    }
    f(t, std::span<const double>(ac));
  });
}

}  // namespace

std::vector<double> mean_tempogram(std::span<const float> envelope, std::size_t win_length) {
  // The mean of the normalised columns with one inverse transform in all: an autocorrelation is
  // the inverse transform of its power spectrum, which is linear, so the mean column is the
  // inverse transform of the mean of the power spectra, each divided by its column's lag-0
  // value (Parseval; the largest magnitude of an autocorrelation). Equal to averaging the
  // columns of for_each_tempogram_column up to rounding.
  std::vector<double> mean(win_length, 0.0);
  if (envelope.empty() || win_length < 2) return mean;
  Autocorrelator autocorrelate(win_length);
  std::vector<double> power(autocorrelate.bins()), sum(autocorrelate.bins(), 0.0);
  for_each_tempogram_frame(envelope, win_length, [&](std::size_t, std::span<const double> frame) {
    const double lag0 = autocorrelate.power(frame, power);
    if (lag0 < std::numeric_limits<double>::min()) return;  // an all-zero column
    for (std::size_t k = 0; k < power.size(); ++k) sum[k] += power[k] / lag0;
  });
  autocorrelate.inverse(sum, mean);
  for (double& v : mean) v /= double(envelope.size());
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

namespace {

// Ellis' dynamic programming beat tracker as librosa 0.11 implements it (__beat_tracker), in
// double precision. With `period` (one value per frame, in frames) each candidate interval is
// measured against the local period instead of the fixed 60·frame_rate/bpm: with a constant
// period equal to that value the result is librosa's exactly.
std::vector<std::int64_t> beat_dp(std::span<const float> envelope, double frame_rate_hz, double bpm,
                                  double tightness, bool trim, const std::vector<double>* period) {
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
    const double p = period ? std::max(2.0, (*period)[std::size_t(i)]) : fpb;
    const auto nearest = period ? std::ptrdiff_t(std::nearbyint(p / 2)) : near_offset;
    const auto farthest = period ? std::ptrdiff_t(std::nearbyint(2 * p)) : 2 * half;
    const double log_p = std::log(p);
    for (std::ptrdiff_t loc = i - nearest; loc >= i - farthest; --loc) {
      if (loc < 0) break;
      const double score =
          cumulative[std::size_t(loc)] - tightness * std::pow(std::log(double(i - loc)) - log_p, 2);
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

}  // namespace

std::vector<std::int64_t> librosa_beats(std::span<const float> envelope, double frame_rate_hz,
                                        double bpm, double tightness, bool trim) {
  return beat_dp(envelope, frame_rate_hz, bpm, tightness, trim, nullptr);
}

void TempoConfig::validate() const {
  if (!(min_bpm >= 20 && min_bpm < max_bpm && max_bpm <= 400))
    throw Error(ErrorCode::invalid_argument,
                "TempoConfig: need 20 <= min_bpm < max_bpm <= 400, got " + std::to_string(min_bpm) +
                    ".." + std::to_string(max_bpm));
  if (!(local_window_s >= 1 && local_window_s <= 16))
    throw Error(ErrorCode::invalid_argument, "TempoConfig.local_window_s must be in 1..16, got " +
                                                 std::to_string(local_window_s));
  if (!(curve_smoothness >= 0) || !(tightness > 0))
    throw Error(ErrorCode::invalid_argument,
                "TempoConfig.curve_smoothness must be >= 0 and tightness > 0");
}

namespace {

// The smallest envelope peak that counts as an onset, in dB (docs/accuracy.md).
constexpr float kMinOnsetDb = 0.25f;

// How far the onset envelope's peak (refined between frames) lags a sharp onset, in frames: 27.6 ms
// at 22050 Hz / 512 (the median over the click tracks of scripts/devset/make_devset.py;
// docs/accuracy.md).
constexpr double kOnsetLatencyFrames = 1.19;

// The offset in (−0.5, 0.5) of the parabola's vertex through f[L−1], f[L], f[L+1] from L, or 0
// at the edges and for a flat or degenerate parabola.
double lag_offset(std::span<const double> f, std::size_t L) {
  if (L == 0 || L + 1 >= f.size()) return 0.0;
  const double a = f[L - 1], b = f[L], c = f[L + 1], den = a - 2 * b + c;
  const double d = std::abs(den) > 1e-12 ? 0.5 * (a - c) / den : 0.0;
  return std::isfinite(d) && std::abs(d) <= 0.5 ? d : 0.0;
}

// The sub-lag position of a peak at integer lag L of f (a parabola through L − 1, L, L + 1).
double refine_lag(std::span<const double> f, std::size_t L) {
  return double(L) + lag_offset(f, L);
}

// Beat times (in frames, between frames) from the dynamic programme's beat frames. A beat's
// support is the envelope's peak within two frames of it (the programme keeps its grid smooth
// and whole-frame, so a beat can sit a frame or two beside its onset). Supported beats (peak
// above 0.3 × the RMS of all the beats' peaks) move to their peak, refined between frames by a
// parabola; the others (rests) stay where the grid put them. The programme also extends the grid
// into the silence before the music and into a fade or a held final chord after it: the leading
// and trailing unsupported beats are dropped. (librosa trims frames against its Gaussian-
// smoothed local score instead, whose σ of 1/32 beat drops well-supported beats that fall a frame
// beside their onset's peak.)
std::vector<double> place_beats(std::span<const float> envelope,
                                std::span<const std::int64_t> frames) {
  const std::size_t m = frames.size();
  std::vector<std::size_t> peak(m);
  double sum_sq = 0;
  for (std::size_t i = 0; i < m; ++i) {
    const auto b = std::size_t(frames[i]);
    const std::size_t from = b >= 2 ? b - 2 : 0, to = std::min(envelope.size(), b + 3);
    peak[i] = std::size_t(std::max_element(envelope.begin() + std::ptrdiff_t(from),
                                           envelope.begin() + std::ptrdiff_t(to)) -
                          envelope.begin());
    sum_sq += double(envelope[peak[i]]) * double(envelope[peak[i]]);
  }
  const double threshold = m ? 0.3 * std::sqrt(sum_sq / double(m)) : 0.0;
  auto supported = [&](std::size_t i) { return double(envelope[peak[i]]) > threshold; };
  std::size_t first = 0, last = m;
  while (first < last && !supported(first)) ++first;
  while (last > first && !supported(last - 1)) --last;
  std::vector<double> beats;
  for (std::size_t i = first; i < last; ++i) {
    const std::size_t p = peak[i];
    if (!supported(i)) {
      beats.push_back(double(frames[i]));
    } else if (p == 0 || p + 1 >= envelope.size()) {
      beats.push_back(double(p));
    } else {
      const double a = envelope[p - 1], c = envelope[p + 1], den = a - 2.0 * envelope[p] + c;
      beats.push_back(double(p) + (den < 0 ? std::clamp(0.5 * (a - c) / den, -0.5, 0.5) : 0.0));
    }
  }
  return beats;
}

// The beat tracker on the beat network's activation: a hidden Markov model of a beat pointer
// (Whiteley, Cemgil and Godsill 2006, discretised as madmom's DBNBeatTrackingProcessor does, Krebs,
// Böck and Widmer 2015). A state is a beat interval τ (whole frames, within a factor
// kBeatHmmRange of the chosen period) and a position 0 … τ − 1 in it; the position advances one
// frame per frame, and where an interval ends the next interval τ' follows with probability
// ∝ exp(−kBeatHmmChange · |τ'/τ − 1|), times a preference for the chosen tempo
// exp(−kBeatHmmPull · (log τ'/period)²), so the tempo follows rubato and steps while the metrical
// level stays the one the tempo model chose. A state's evidence is the activation a at a beat
// state (the first ⌈τ/16⌉ positions of an interval) and (1 − a)/15 elsewhere. The
// Viterbi path's position-0 frames are the beats. The constants were chosen by nested
// cross-validation on held-out activations of the development sets (scripts/cv_beat_tracker.py,
// which holds the same model in Python; docs/accuracy.md).
constexpr double kBeatHmmRange = 1.5;
constexpr double kBeatHmmChange = 50;
constexpr double kBeatHmmPull = 30;
constexpr double kBeatHmmObservation = 16;

std::vector<std::int64_t> beat_hmm(std::span<const float> activation, double period) {
  const std::size_t n = activation.size();
  if (n == 0) return {};
  const auto lo = std::size_t(std::max(2.0, std::floor(period / kBeatHmmRange)));
  const auto hi = std::max(lo, std::size_t(std::ceil(period * kBeatHmmRange)));
  const std::size_t K = hi - lo + 1;
  // The states interval by interval: interval k (τ = lo + k) holds offset[k] … offset[k + 1] − 1.
  std::vector<std::size_t> offset(K + 1, 0), beat_states(K);
  for (std::size_t k = 0; k < K; ++k) {
    const double tau = double(lo + k);
    offset[k + 1] = offset[k] + lo + k;
    beat_states[k] = std::max<std::size_t>(1, std::size_t(std::ceil(tau / kBeatHmmObservation)));
  }
  const std::size_t S = offset[K];
  std::vector<double> transition(K * K);  // [from · K + to]
  for (std::size_t i = 0; i < K; ++i) {
    double total = 0;
    for (std::size_t j = 0; j < K; ++j)
      total += transition[i * K + j] =
          std::exp(-kBeatHmmChange * std::abs(double(lo + j) / double(lo + i) - 1.0));
    for (std::size_t j = 0; j < K; ++j)
      transition[i * K + j] = std::log(transition[i * K + j] / total) -
                              kBeatHmmPull * std::pow(std::log(double(lo + j) / period), 2);
  }
  // Every state carries log((1 − a)/15) at every frame except the beat states, which carry log a
  // instead: adding the former to all states changes no choice, so only the difference is added.
  auto beat_evidence = [&](std::size_t t) {
    const double a = std::clamp(double(activation[t]), 1e-6, 1.0 - 1e-6);
    return std::log(a) - std::log((1.0 - a) / (kBeatHmmObservation - 1.0));
  };
  std::vector<double> delta(S, 0.0), next(S);
  std::vector<std::uint16_t> back(n * K);  // the interval each interval's first frame came from
  auto observe = [&](std::vector<double>& d, std::size_t t) {
    const double e = beat_evidence(t);
    for (std::size_t k = 0; k < K; ++k)
      for (std::size_t p = 0; p < beat_states[k]; ++p) d[offset[k] + p] += e;
  };
  observe(delta, 0);
  for (std::size_t t = 1; t < n; ++t) {
    std::copy(delta.begin(), delta.end() - 1, next.begin() + 1);
    for (std::size_t j = 0; j < K; ++j) {
      double best = -std::numeric_limits<double>::infinity();
      std::size_t arg = 0;
      for (std::size_t i = 0; i < K; ++i) {
        const double v = delta[offset[i + 1] - 1] + transition[i * K + j];
        if (v > best) {
          best = v;
          arg = i;
        }
      }
      next[offset[j]] = best;
      back[t * K + j] = std::uint16_t(arg);
    }
    observe(next, t);
    if (t % 256 == 0) {  // keep the scores near 0 (every path loses a few nats a frame)
      const double top = *std::max_element(next.begin(), next.end());
      for (double& v : next) v -= top;
    }
    delta.swap(next);
  }
  std::size_t s = std::size_t(std::max_element(delta.begin(), delta.end()) - delta.begin());
  std::size_t k =
      std::size_t(std::upper_bound(offset.begin(), offset.end(), s) - offset.begin()) - 1;
  std::size_t p = s - offset[k];
  std::vector<std::int64_t> beats;
  for (std::size_t t = n; t-- > 0;) {
    if (p > 0) {
      --p;
      continue;
    }
    beats.push_back(std::int64_t(t));
    if (t > 0) {
      k = back[t * K + k];
      p = lo + k - 1;
    }
  }
  std::reverse(beats.begin(), beats.end());
  return beats;
}

// A steady beat grid measures the tempo more precisely than the tempogram's lag grid: the slope
// of the least-squares line through the beat positions (frames against beat number), used when
// the line fits (RMS residual at most a tenth of a period: no tempo change, no rubato), there are
// at least 8 beats, and the slope is within 4 % of the tempogram's period.
double steady_period(std::span<const double> beats, double period) {
  const std::size_t n = beats.size();
  if (n < 8) return period;
  const double mean_i = double(n - 1) / 2;
  double mean_b = 0;
  for (double b : beats) mean_b += b;
  mean_b /= double(n);
  double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (double(i) - mean_i) * (beats[i] - mean_b);
    sxx += (double(i) - mean_i) * (double(i) - mean_i);
  }
  const double slope = sxy / sxx;
  double residual = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double e = beats[i] - (mean_b + slope * (double(i) - mean_i));
    residual += e * e;
  }
  const bool fits = std::sqrt(residual / double(n)) <= 0.1 * slope;
  return fits && std::abs(slope / period - 1) <= 0.04 ? slope : period;
}

// How clearly the periodicity function tg peaks at lag L: its height above the higher of the two
// valleys beside it (the minima over [L/2, L] and over [L, 3L/2]), as a fraction of the room
// above that valley. 1 for a click track; 0 where tg has no peak at L: white noise, whose
// tempogram is only the smooth taper of its windowed mean, or a lag the preference alone chose.
double pulse_confidence(std::span<const double> tg, std::size_t L) {
  const std::size_t last = std::min(tg.size() - 1, L + L / 2);
  const double left =
      *std::min_element(tg.begin() + std::ptrdiff_t(L / 2), tg.begin() + std::ptrdiff_t(L) + 1);
  const double right =
      *std::min_element(tg.begin() + std::ptrdiff_t(L), tg.begin() + std::ptrdiff_t(last) + 1);
  const double valley = std::max(left, right);
  return valley < 1 ? std::clamp((tg[L] - valley) / (1 - valley), 0.0, 1.0) : 0.0;
}

// The mean tempogram read between lags (linear interpolation); 0 beyond its last lag.
double tempogram_at(std::span<const double> tg, double lag) {
  if (!(lag >= 0) || lag >= double(tg.size() - 1)) return 0.0;
  const auto i = std::size_t(lag);
  const double f = lag - double(i);
  return (1 - f) * tg[i] + f * tg[i + 1];
}

// The tempogram's largest value within ±3 % of a lag (a related level's peak need not fall exactly
// on a multiple of the candidate's refined lag).
double tempogram_near(std::span<const double> tg, double lag) {
  double v = tempogram_at(tg, lag);
  const auto from = std::size_t(std::max(0.0, std::ceil(lag * 0.97)));
  const auto to = std::size_t(std::max(0.0, std::floor(lag * 1.03)));
  for (std::size_t k = from; k <= to && k < tg.size(); ++k) v = std::max(v, tg[k]);
  return v;
}

// Onset peaks per second: the envelope's local maxima above its mean plus one standard deviation.
double onset_density(std::span<const float> envelope, double frame_rate_hz) {
  const std::size_t n = envelope.size();
  if (n < 3) return 0.0;
  double mean = 0, sq = 0;
  for (float v : envelope) mean += v;
  mean /= double(n);
  for (float v : envelope) sq += (v - mean) * (v - mean);
  const double threshold = mean + std::sqrt(sq / double(n));
  std::size_t peaks = 0;
  for (std::size_t i = 1; i + 1 < n; ++i)
    peaks +=
        envelope[i] > threshold && envelope[i] > envelope[i - 1] && envelope[i] >= envelope[i + 1];
  return double(peaks) * frame_rate_hz / double(n);
}

// How much of the envelope falls on one phase of a beat of `period` frames: in 8 s windows (hop
// 4 s) the envelope above its window minimum is folded into 8 phase bins; the log of the largest
// bin's mean over the mean of all, averaged over the windows. A steady beat puts its onsets in one
// bin (up to log 8); a wrong level or no pulse spreads them (0).
double phase_contrast(std::span<const float> envelope, double frame_rate_hz, double period) {
  constexpr std::size_t kBins = 8;
  const auto win = std::size_t(8.0 * frame_rate_hz);
  const std::size_t n = envelope.size();
  if (win < 2 || n == 0 || !(period > 0)) return 0.0;
  double total = 0;
  std::size_t windows = 0;
  for (std::size_t start = 0; start == 0 || start + win <= n; start += win / 2) {
    const std::size_t end = std::min(n, start + win);
    const float floor_value = *std::min_element(envelope.begin() + std::ptrdiff_t(start),
                                                envelope.begin() + std::ptrdiff_t(end));
    std::array<double, kBins> sum{};
    std::array<std::size_t, kBins> count{};
    double all = 0;
    for (std::size_t t = start; t < end; ++t) {
      const double phase = std::fmod(double(t), period) / period;
      const auto bin = std::min(kBins - 1, std::size_t(phase * double(kBins)));
      sum[bin] += envelope[t] - floor_value;
      ++count[bin];
      all += envelope[t] - floor_value;
    }
    ++windows;
    if (!(all > 0)) continue;
    double top = 0;
    for (std::size_t b = 0; b < kBins; ++b)
      if (count[b] > 0) top = std::max(top, sum[b] / double(count[b]));
    total += std::log(top / (all / double(end - start)));
    if (end == n) break;
  }
  return windows > 0 ? total / double(windows) : 0.0;
}

// The metrical-level model's weights and the confidence's calibration, fitted by
// scripts/train_tempo.py (docs/accuracy.md).
#include "tempo_model.inc"

// Every local maximum of the mean tempogram (kept in `tg`) between min_bpm and max_bpm, with its
// evidence (TempoEvidence) and score.
std::vector<TempoEvidence> candidates_of(std::span<const float> envelope, double frame_rate_hz,
                                         const TempoConfig& config, std::vector<double>& tg) {
  const auto win = std::size_t(std::floor(8.0 * frame_rate_hz + 1e-9));
  tg = mean_tempogram(envelope, win);
  const auto lo =
      std::max<std::size_t>(2, std::size_t(std::ceil(60.0 * frame_rate_hz / config.max_bpm)));
  const auto hi = std::min<std::size_t>(
      win - 2, std::size_t(std::floor(60.0 * frame_rate_hz / config.min_bpm)));
  const double density =
      std::log2(std::max(onset_density(envelope, frame_rate_hz), 0.25) / kDensityCentre);
  auto periodicity = [](double v) { return std::log1p(100.0 * std::max(0.0, v)); };
  double level_sum = 0;
  for (std::size_t lag = lo; lag <= hi && hi < tg.size(); ++lag)
    level_sum += std::max(0.0, tg[lag]);
  const double mean_tg = hi >= lo ? level_sum / double(hi - lo + 1) : 0.0;
  std::vector<TempoEvidence> out;
  for (std::size_t lag = lo; lag <= hi && hi < tg.size(); ++lag) {
    // A peak: above the lag before and not below the lag after (a plateau's first lag); at the
    // ends of the range, above its one neighbour inside.
    const bool rises =
        lag == lo ? tg[lag] > tg[lag + 1] || tg[lag] > tg[lag - 1] : tg[lag] > tg[lag - 1];
    if (!rises || !(tg[lag] >= tg[lag + 1]) || !(tg[lag] > 0)) continue;
    TempoEvidence e;
    e.lag = lag;
    e.period_frames = refine_lag(tg, lag);
    e.bpm = 60.0 * frame_rate_hz / e.period_frames;
    const double level = std::log2(e.bpm / 140.0);
    e.x = {periodicity(tg[lag]),
           level,
           level * level,
           periodicity(tempogram_near(tg, 2 * e.period_frames)),
           periodicity(tempogram_near(tg, e.period_frames / 2)),
           periodicity(tempogram_near(tg, 3 * e.period_frames)),
           pulse_confidence(tg, lag),
           level * density,
           phase_contrast(envelope, frame_rate_hz, e.period_frames),
           periodicity(tempogram_near(tg, 4 * e.period_frames / 3)),
           periodicity(tempogram_near(tg, 2 * e.period_frames / 3)),
           periodicity(tg[lag]) - periodicity(mean_tg)};
    for (std::size_t k = 0; k < kTempoFeatures; ++k) e.score += kLevelWeights[k] * e.x[k];
    out.push_back(e);
  }
  return out;
}

// The probability that the chosen candidate is right: a logistic function of its pulse clarity,
// phase contrast and peak height, and of the model's probability for it (as a logit) and its
// periodicity, each times the pulse clarity (where no peak stands out neither means anything: a
// lone candidate of noise has probability 1 and a high, flat tempogram).
double calibrated_confidence(const TempoEvidence& chosen,
                             std::span<const TempoCandidate> candidates) {
  const double p = std::clamp(candidates.front().probability, 0.01, 0.99);
  const double clarity = chosen.x[6];
  const double z = kConfidenceWeights[0] + kConfidenceWeights[1] * clarity +
                   kConfidenceWeights[2] * chosen.x[8] + kConfidenceWeights[3] * chosen.x[11] +
                   kConfidenceWeights[4] * std::log(p / (1 - p)) * clarity +
                   kConfidenceWeights[5] * chosen.x[0] * clarity;
  return 1.0 / (1.0 + std::exp(-z));
}

// The local beat period (frames) at every frame: the Viterbi path through the local tempogram's
// lags within 0.6..1.6 × the global period, emission log(1e−3 + tempogram), transition
// −smoothness·(Δ log lag)², a gentle pull (−2·(log lag − log global)²) towards the global level;
// each lag on the path then refined between lags.
std::vector<double> period_curve(std::span<const float> envelope, double frame_rate_hz,
                                 double global_period, const TempoConfig& config) {
  const auto win =
      std::max<std::size_t>(8, std::size_t(std::lround(config.local_window_s * frame_rate_hz)));
  const auto first = std::max<std::size_t>(2, std::size_t(std::floor(global_period * 0.6)));
  const auto last = std::min<std::size_t>(win - 2, std::size_t(std::ceil(global_period * 1.6)));
  const std::size_t n = envelope.size();
  if (last < first || n == 0) return std::vector<double>(n, global_period);
  const std::size_t S = last - first + 1;
  std::vector<double> log_lag(S), pull(S);
  for (std::size_t j = 0; j < S; ++j) {
    log_lag[j] = std::log(double(first + j));
    pull[j] = -2.0 * std::pow(log_lag[j] - std::log(global_period), 2);
  }
  std::vector<double> delta(S), next(S), transition(S * S);
  for (std::size_t j = 0; j < S; ++j)
    for (std::size_t i = 0; i < S; ++i)
      transition[j * S + i] = -config.curve_smoothness * std::pow(log_lag[j] - log_lag[i], 2);
  // One back-pointer per frame and state: a byte while there are at most 256 states (lags of
  // up to ~2.5 s at the default frame rate), the frame-level array that grows with the track.
  std::vector<std::uint8_t> back8(S <= 256 ? n * S : 0);
  std::vector<std::uint16_t> back16(S <= 256 ? 0 : n * S);
  auto set_back = [&](std::size_t k, std::size_t v) {
    if (S <= 256)
      back8[k] = std::uint8_t(v);
    else
      back16[k] = std::uint16_t(v);
  };
  auto get_back = [&](std::size_t k) -> std::size_t { return S <= 256 ? back8[k] : back16[k]; };
  // The columns' values at lags first − 1 … last + 1 are kept (exactly, in double, in a frame
  // store that spills to disk) for the refinement along the path, instead of a second tempogram
  // pass.
  detail::BasicFrameStore<double> kept(S + 2);
  for_each_tempogram_column(envelope, win, [&](std::size_t t, std::span<const double> column) {
    kept.append(column.subspan(first - 1, S + 2));
    for (std::size_t j = 0; j < S; ++j) {
      const double emission = std::log(1e-3 + std::max(0.0, column[first + j]));
      if (t == 0) {
        next[j] = emission + pull[j];
        continue;
      }
      double best = -std::numeric_limits<double>::infinity();
      std::size_t arg = 0;
      const double* row = transition.data() + j * S;
      for (std::size_t i = 0; i < S; ++i) {
        const double v = delta[i] + row[i];
        if (v > best) {
          best = v;
          arg = i;
        }
      }
      next[j] = best + emission;
      set_back(t * S + j, arg);
    }
    delta.swap(next);
  });
  std::vector<std::uint16_t> path(n);  // S < 2^16: lags of at most 16 s
  path[n - 1] = std::uint16_t(std::max_element(delta.begin(), delta.end()) - delta.begin());
  for (std::size_t t = n - 1; t > 0; --t) path[t - 1] = std::uint16_t(get_back(t * S + path[t]));
  // Refine along the path: a parabola through the kept neighbours of each path lag (the
  // column's lags first − 1 … last + 1; last + 1 ≤ win − 1, so every neighbour exists).
  std::vector<double> curve(n);
  kept.for_each([&](std::size_t t, std::span<const double> near) {
    curve[t] = double(first + path[t]) + lag_offset(near, std::size_t(path[t]) + 1);
  });
  return curve;
}

}  // namespace

std::vector<TempoEvidence> tempo_candidates(std::span<const float> envelope, double frame_rate_hz,
                                            const TempoConfig& config) {
  config.validate();
  const float peak = envelope.empty() ? 0.0f : *std::max_element(envelope.begin(), envelope.end());
  if (!(peak >= kMinOnsetDb)) return {};
  std::vector<double> tg;
  return candidates_of(envelope, frame_rate_hz, config, tg);
}

TempoResult analyze_tempo(std::span<const float> envelope, double frame_rate_hz,
                          const TempoConfig& config, bool want_beats, bool want_curve,
                          std::span<const float> activation) {
  config.validate();
  if (!activation.empty() && activation.size() != envelope.size())
    throw Error(ErrorCode::invalid_argument,
                "analyze_tempo: the activation and the envelope differ in length");
  TempoResult r;
  // An onset is a rise of the (mean over mel bands) log power by a fraction of a decibel at least;
  // silence gives none, and a steady tone only a rounding-level flicker (a sine: < 0.05 dB).
  const float peak = envelope.empty() ? 0.0f : *std::max_element(envelope.begin(), envelope.end());
  if (!(peak >= kMinOnsetDb)) {
    r.reason = peak > 0.0f ? "no onsets (a steady sound)" : "no onsets (silence)";
    return r;
  }
  // The global tempo: the candidate peaks of the mean tempogram over 8 s windows (librosa's
  // ac_size), the metrical-level model's choice among them, its lag refined between lags.
  std::vector<double> tg;
  const auto candidates = candidates_of(envelope, frame_rate_hz, config, tg);
  if (candidates.empty()) {  // a tempogram without a peak in range: no pulse to report
    r.reason = "no periodicity in the tempo range";
    return r;
  }
  double top = -std::numeric_limits<double>::infinity();
  for (const TempoEvidence& c : candidates) top = std::max(top, c.score);
  double total = 0;
  for (const TempoEvidence& c : candidates) total += std::exp(c.score - top);
  for (const TempoEvidence& c : candidates)
    r.candidates.push_back({c.bpm, std::exp(c.score - top) / total});
  const auto chosen =
      std::size_t(std::max_element(candidates.begin(), candidates.end(),
                                   [](const TempoEvidence& a, const TempoEvidence& b) {
                                     return a.score < b.score;
                                   }) -
                  candidates.begin());
  std::stable_sort(r.candidates.begin(), r.candidates.end(),
                   [](const TempoCandidate& a, const TempoCandidate& b) {
                     return a.probability > b.probability;
                   });
  const TempoEvidence& best = candidates[chosen];
  const double period = best.period_frames;
  r.defined = true;
  r.pulse_clarity = best.x[6];
  r.confidence = calibrated_confidence(best, r.candidates);

  // The beats (computed always: a steady beat grid refines the tempo): the beat pointer on the
  // activation, or without one the dynamic programme on the envelope along its tempo curve.
  std::vector<double> curve;
  if (activation.empty() || want_curve)
    curve = period_curve(envelope, frame_rate_hz, period, config);
  // The activation marks the beats where they are; the envelope kOnsetLatencyFrames late.
  const std::span<const float> salience = activation.empty() ? envelope : activation;
  const auto frames = activation.empty()
                          ? beat_dp(envelope, frame_rate_hz, 60.0 * frame_rate_hz / period,
                                    config.tightness, false, &curve)
                          : beat_hmm(activation, period);
  const auto beats = place_beats(salience, frames);
  const double latency = activation.empty() ? kOnsetLatencyFrames : 0.0;
  r.bpm = 60.0 * frame_rate_hz / steady_period(beats, period);
  if (want_curve) {
    r.local_bpm.reserve(curve.size());
    for (double p : curve) r.local_bpm.push_back(float(60.0 * frame_rate_hz / p));
  }
  if (want_beats) {
    // The onset envelope peaks kOnsetLatencyFrames after a sharp onset (librosa's log-mel flux
    // with its centring; measured on click tracks): report beats where the onsets are.
    for (double beat : beats) r.beats_s.push_back(std::max(0.0, (beat - latency) / frame_rate_hz));
  }
  return r;
}

}  // namespace herscan
