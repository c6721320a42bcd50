#include "herscan/chroma.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <numbers>
#include <optional>

#include "frame_store.h"
#include "herscan/error.h"
#include "simd/kernels.h"

namespace herscan {

const std::array<const char*, 12> kPitchClassNames = {"C",  "C#", "D",  "Eb", "E",  "F",
                                                      "F#", "G",  "Ab", "A",  "Bb", "B"};

namespace {

// librosa.piptrack on one frame: local maxima of S above 10 % of the frame's maximum, between
// 150 Hz and 4 kHz, with parabolic interpolation of frequency and magnitude. Calls
// peak(frequency_hz, magnitude) for each. S is the magnitude or the power spectrum (float32,
// as librosa computes it).
template <class F>
void piptrack(std::span<const float> S, double sample_rate_hz, std::size_t n_fft, F&& peak) {
  const std::size_t K = S.size();
  if (K < 3) return;
  const float frame_max = *std::max_element(S.begin(), S.end());
  const float ref = 0.1f * frame_max;
  const double fmax = std::min(4000.0, sample_rate_hz / 2);
  auto thresholded = [&](std::size_t k) { return S[k] > ref ? S[k] : 0.0f; };
  for (std::size_t k = 1; k < K; ++k) {
    const double f = double(k) * sample_rate_hz / double(n_fft);
    if (f < 150.0 || f >= fmax) continue;
    const float x = thresholded(k);
    const float left = thresholded(k - 1);
    const float right = k + 1 < K ? thresholded(k + 1) : x;  // edge padding
    if (!(x > left && x >= right)) continue;
    if (k + 1 >= K) continue;  // the last bin has no interpolation (shift 0); out of range anyway
    // _parabolic_interpolation and np.gradient, in float32 like numpy on a float32 array.
    const float a = S[k + 1] + S[k - 1] - 2.0f * S[k];
    const float b = (S[k + 1] - S[k - 1]) / 2.0f;
    const float shift = std::abs(b) >= std::abs(a) ? 0.0f : -b / a;
    const float avg = (S[k + 1] - S[k - 1]) / 2.0f;
    const float dskew = 0.5f * avg * shift;
    const float pitch = float((double(k) + double(shift)) * sample_rate_hz / double(n_fft));
    if (pitch > 0) peak(pitch, S[k] + dskew);
  }
}

// An order-preserving unsigned key for floats (negative values included).
std::uint32_t order_key(float v) {
  const auto u = std::bit_cast<std::uint32_t>(v);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

}  // namespace

namespace {

// herscan's tuning: the circular mean of the deviations of spectral peaks from the semitone grid,
// each weighted by its magnitude. Peaks: local maxima of the magnitude spectrum between 100 Hz
// and 1.2 kHz (fundamentals and low partials, where inharmonicity is small) above 1 % of the
// frame's maximum; their frequency from a parabola through the log magnitudes (exact for a
// Gaussian window, within a few thousandths of a bin for Hann). Frames are added one at a time
// (the streaming TonalProcessor needs no second pass).
class CircularTuning {
 public:
  CircularTuning(double sample_rate_hz, std::size_t n_fft)
      : bin_hz_(sample_rate_hz / double(n_fft)) {}

  /// One frame's power spectrum and its largest value.
  void add(std::span<const float> power, float power_max) {
    const auto lo = std::max<std::size_t>(1, std::size_t(std::ceil(100.0 / bin_hz_)));
    const auto hi = std::min(power.size() - 1, std::size_t(1200.0 / bin_hz_) + 1);
    if (lo >= hi) return;
    mag_.resize(hi + 1);  // bins lo - 1 .. hi are set
    for (std::size_t k = lo - 1; k <= hi; ++k) mag_[k] = std::sqrt(power[k]);
    const float floor = 0.01f * std::sqrt(power_max);
    peak_bins_.resize(hi - lo);
    const auto& kernels = simd::kernels();
    const std::size_t found = kernels.local_maxima(mag_.data(), lo, hi, floor, peak_bins_.data());
    pitches_.resize(found);
    kernels.peak_pitches(mag_.data(), peak_bins_.data(), found, 1e-30, 1e-12, bin_hz_,
                         pitches_.data());
    for (std::size_t i = 0; i < found; ++i) {
      const double deviation = pitches_[i] - std::round(pitches_[i]);
      const float mag = mag_[peak_bins_[i]];
      re_ += mag * std::cos(2 * std::numbers::pi * deviation);
      im_ += mag * std::sin(2 * std::numbers::pi * deviation);
    }
  }

  double semitones() const {
    if (re_ == 0 && im_ == 0) return 0.0;
    return std::atan2(im_, re_) / (2 * std::numbers::pi);
  }

 private:
  double bin_hz_;
  double re_ = 0, im_ = 0;
  std::vector<float> mag_;
  std::vector<std::uint32_t> peak_bins_;
  std::vector<double> pitches_;
};

double circular_tuning(
    const std::function<void(const std::function<void(std::span<const float>)>&)>& for_each_frame,
    double sample_rate_hz, std::size_t n_fft) {
  CircularTuning tuning(sample_rate_hz, n_fft);
  for_each_frame([&](std::span<const float> power) {
    tuning.add(power, simd::kernels().max_abs(power.data(), power.size()));
  });
  return tuning.semitones();
}

}  // namespace

double estimate_tuning_from(
    const std::function<void(const std::function<void(std::span<const float>)>&)>& for_each_frame,
    double sample_rate_hz, std::size_t n_fft, TuningMethod method) {
  if (method == TuningMethod::herscan)
    return circular_tuning(for_each_frame, sample_rate_hz, n_fft);
  std::vector<float> work;
  auto spectrum_of = [&](std::span<const float> power) -> std::span<const float> {
    if (method == TuningMethod::librosa_power) return power;
    work.resize(power.size());
    for (std::size_t k = 0; k < power.size(); ++k) work[k] = std::sqrt(power[k]);
    return work;
  };
  // Pass 1: a histogram of the peak magnitudes on the top 16 bits of their order key.
  std::vector<std::uint64_t> coarse(65536, 0);
  std::uint64_t count = 0;
  for_each_frame([&](std::span<const float> power) {
    piptrack(spectrum_of(power), sample_rate_hz, n_fft, [&](float, float mag) {
      ++coarse[order_key(mag) >> 16];
      ++count;
    });
  });
  if (count == 0) return 0.0;
  // np.median: the middle value, or the mean of the two middle values.
  const std::uint64_t lo_rank = (count - 1) / 2, hi_rank = count / 2;
  std::uint64_t before = 0;
  std::size_t bucket = 0;
  while (before + coarse[bucket] <= lo_rank) before += coarse[bucket++];
  // Pass 2: the exact values in the bucket (and the next non-empty one, for an even count).
  std::size_t bucket_hi = bucket;
  std::uint64_t through = before + coarse[bucket];
  while (through <= hi_rank) through += coarse[++bucket_hi];
  std::vector<float> middle;
  for_each_frame([&](std::span<const float> power) {
    piptrack(spectrum_of(power), sample_rate_hz, n_fft, [&](float, float mag) {
      const std::size_t b = order_key(mag) >> 16;
      if (b >= bucket && b <= bucket_hi) middle.push_back(mag);
    });
  });
  std::sort(middle.begin(), middle.end());
  const float median = (middle[lo_rank - before] + middle[hi_rank - before]) / 2.0f;

  // Pass 3: pitch_tuning over the peaks at or above the median: deviations from the grid
  // (float32, as librosa), histogrammed on 0.01-semitone bins from −0.5; deviations in
  // (0.49, 0.5) fall outside the last bin, as in numpy.histogram; the first fullest bin wins.
  std::array<std::uint64_t, 99> hist{};
  for_each_frame([&](std::span<const float> power) {
    piptrack(spectrum_of(power), sample_rate_hz, n_fft, [&](float pitch, float mag) {
      if (!(mag >= median)) return;
      const float octs = std::log2(pitch / 27.5f);
      float residual = std::fmod(12.0f * octs, 1.0f);
      if (residual < 0) residual += 1.0f;
      if (residual >= 0.5f) residual -= 1.0f;
      const double r = residual;
      for (int i = 98; i >= 0; --i) {
        const double lo = double(i) * 0.01 + -0.5, hi = double(i + 1) * 0.01 + -0.5;
        if (r >= lo && (r < hi || (i == 98 && r <= hi))) {
          ++hist[std::size_t(i)];
          break;
        }
      }
    });
  });
  const auto best = std::size_t(std::max_element(hist.begin(), hist.end()) - hist.begin());
  if (hist[best] == 0) return 0.0;
  return double(best) * 0.01 + -0.5;
}

double estimate_tuning(std::span<const float> mono, const StftConfig& stft, TuningMethod method) {
  struct Keep : FrameConsumer {
    std::vector<std::vector<float>> frames;
    void consume(const StftFrame& f) override {
      frames.emplace_back(f.power.begin(), f.power.end());
    }
  } keep;
  Stft transform(stft);
  transform.add_consumer(keep);
  transform.push(mono);
  transform.finish();
  return estimate_tuning_from(
      [&](const std::function<void(std::span<const float>)>& f) {
        for (const auto& frame : keep.frames) f(frame);
      },
      stft.sample_rate_hz, stft.n_fft, method);
}

ChromaFilterbank::ChromaFilterbank(double sample_rate_hz, std::size_t n_fft, double tuning)
    : bins_(n_fft / 2 + 1) {
  // librosa.filters.chroma(sr, n_fft, tuning, n_chroma=12, ctroct=5, octwidth=2, norm=2,
  // base_c=True), in float64, cast to float32 at the end.
  const std::size_t n = n_fft;
  const double a440 = 440.0 * std::pow(2.0, tuning / 12.0);
  std::vector<double> frqbins(n), binwidth(n);
  for (std::size_t k = 1; k < n; ++k) {
    const double f =
        double(k) * (sample_rate_hz / double(n_fft));  // np.linspace(0, sr, n, endpoint=False)
    frqbins[k] = 12.0 * std::log2(f / (a440 / 16.0));
  }
  frqbins[0] = frqbins[1] - 1.5 * 12.0;
  for (std::size_t k = 0; k + 1 < n; ++k) binwidth[k] = std::max(frqbins[k + 1] - frqbins[k], 1.0);
  binwidth[n - 1] = 1.0;
  dense_.assign(12 * bins_, 0.0f);
  for (std::size_t k = 0; k < bins_; ++k) {
    std::array<double, 12> w{};
    double norm = 0;
    for (int c = 0; c < 12; ++c) {
      double d = frqbins[k] - c + 6.0 + 120.0;
      d = d - 12.0 * std::floor(d / 12.0);  // np.remainder: non-negative for a positive divisor
      d -= 6.0;
      const double x = 2.0 * d / binwidth[k];
      w[std::size_t(c)] = std::exp(-0.5 * x * x);
      norm += w[std::size_t(c)] * w[std::size_t(c)];
    }
    norm = std::sqrt(norm);
    if (norm < std::numeric_limits<double>::min()) norm = 1.0;
    const double octave = (frqbins[k] / 12.0 - 5.0) / 2.0;
    const double octave_weight = std::exp(-0.5 * octave * octave);
    for (int c = 0; c < 12; ++c) {
      const int row = (c + 12 - 3) % 12;  // np.roll(-3): row 0 becomes C
      dense_[std::size_t(row) * bins_ + k] = float(w[std::size_t(c)] / norm * octave_weight);
    }
  }
}

void ChromaFilterbank::apply(std::span<const float> power, std::span<float, 12> raw) const {
  // Dense rows through the SIMD dot product: about half of each row is non-zero (a Gaussian
  // in every octave), too many for a sparse walk to pay.
  const auto& k = simd::kernels();
  for (std::size_t c = 0; c < 12; ++c)
    raw[c] = float(k.dot(dense_.data() + c * bins_, power.data(), bins_));
}

float ChromaFilterbank::weight(std::size_t chroma, std::size_t bin) const {
  return dense_.at(chroma * bins_ + bin);
}

// ---------------------------------------------------------------------------------------------
// The key chroma (docs/accuracy.md): a tuning-corrected semitone spectrum of spectral peaks,
// log-compressed against the file's maximum, median-filtered over time against percussion, with
// harmonic summation onto fundamentals, folded to pitch classes. Parameters chosen on both
// development sets (the shared FluidSynth set and scripts/devset/make_devset.py's), see
// docs/accuracy.md.
namespace {

constexpr int kLowNote = 36;              // C2, 65 Hz
constexpr int kHighNote = 96;             // C7, 2093 Hz
constexpr int kHarmonics = 6;             // partials summed onto each fundamental
constexpr double kHarmonicDecay = 0.6;    // weight of partial h: 0.6^(h−1)
constexpr double kGate = 2.0;             // non-octave partials: at most 2 × the fundamental
constexpr int kTopNote = kHighNote + 31;  // the 6th partial of the highest note
constexpr std::size_t kNotes = std::size_t(kTopNote - kLowNote + 1);
constexpr std::size_t kMedianFrames = 9;  // ±4 frames (±93 ms) against drum hits
constexpr float kCompression = 10.0f;     // log(1 + 10 · x / file maximum)
constexpr double kEdgeSeconds = 2.0;      // the opening and closing evidence
constexpr double kActiveFraction = 1e-3;  // music: frames above −30 dB of the loudest

// The median of 9 values, one lane per note: Paeth's 19-exchange network (checked on all 512
// zero-one inputs), branch-free so that the compiler vectorises it across notes.
void median9(const std::array<const float*, 9>& rows, std::size_t n, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    float p[9];
    for (std::size_t j = 0; j < 9; ++j) p[j] = rows[j][i];
    auto sort2 = [&](int a, int b) {
      const float lo = p[b] < p[a] ? p[b] : p[a], hi = p[b] < p[a] ? p[a] : p[b];
      p[a] = lo, p[b] = hi;
    };
    sort2(1, 2), sort2(4, 5), sort2(7, 8), sort2(0, 1), sort2(3, 4), sort2(6, 7), sort2(1, 2);
    sort2(4, 5), sort2(7, 8), sort2(0, 3), sort2(5, 8), sort2(4, 7), sort2(3, 6), sort2(1, 4);
    sort2(2, 5), sort2(4, 7), sort2(4, 2), sort2(6, 4), sort2(4, 2);
    out[i] = p[4];
  }
}

class KeyChroma {
 public:
  KeyChroma(double sample_rate_hz, std::size_t n_fft)
      : bin_hz_(sample_rate_hz / double(n_fft)),
        // The bins whose peaks can reach the semitone range (a parabola moves a peak by at
        // most half a bin; the exact pitch test is in peaks()).
        first_bin_(std::size_t(std::max(
            1.0, std::floor(440.0 * std::exp2((kLowNote - 1.5 - 69.0) / 12.0) / bin_hz_) - 1))),
        end_bin_(
            std::size_t(std::ceil(440.0 * std::exp2((kTopNote + 1.5 - 69.0) / 12.0) / bin_hz_)) +
            2) {
    for (int h = 1; h <= kHarmonics; ++h)
      offsets_.push_back(int(std::lround(12.0 * std::log2(double(h)))));
  }

  // The spectral peaks of one frame (HPCP-style): each local maximum of the magnitude spectrum,
  // its frequency refined by a parabola through the log magnitudes. Appends (MIDI pitch −
  // kLowNote, magnitude) pairs, before the tuning correction, for the peaks that reach the
  // semitone range under any tuning in [−0.5, 0.5]: the file's tuning is known only at its end.
  // Using every bin instead of peaks would smear a bass note's ±2-bin Hann main lobe over ±2.7
  // semitones at 130 Hz (a C would raise its minor third).
  void peaks(std::span<const float> power, float frame_max, std::vector<float>& out) {
    // Local maxima of the magnitude are local maxima of the power: the square roots and
    // logarithms are taken at the peaks only (log |X| = ½ log |X|²). Peaks more than 60 dB below
    // the frame's largest are ignored: after compression they would weigh under 0.4 % of it, and
    // a noisy spectrum has hundreds of them.
    const float floor = 1e-6f * frame_max;
    const std::size_t last = std::min(power.size() - 1, end_bin_);
    if (first_bin_ >= last) return;
    peak_bins_.resize(last - first_bin_);
    const std::size_t found =
        simd::kernels().local_maxima(power.data(), first_bin_, last, floor, peak_bins_.data());
    // ln|X| = ½ ln|X|²: the parabola through the log powers has twice the curvature, hence
    // den_min 2e-12 for the magnitudes' 1e-12 (the factor 2 is exact: the same δ).
    pitches_.resize(found);
    simd::kernels().peak_pitches(power.data(), peak_bins_.data(), found, 1e-60, 2e-12, bin_hz_,
                                 pitches_.data());
    for (std::size_t i = 0; i < found; ++i) {
      const double p = pitches_[i] - kLowNote;
      if (p < -1.5 || p > kTopNote - kLowNote + 1.5) continue;
      out.push_back(float(p));
      out.push_back(float(std::sqrt(double(power[peak_bins_[i]]))));
    }
  }

  // The semitone spectrum of one frame from its peaks (pairs from peaks()), each split linearly
  // between the two nearest semitones after the tuning correction.
  void semitones(std::span<const float> peaks, double tuning, std::span<float> out) const {
    std::fill(out.begin(), out.end(), 0.0f);
    for (std::size_t i = 0; i + 1 < peaks.size(); i += 2) {
      const double p = double(peaks[i]) - tuning, m = peaks[i + 1];
      const int lo = int(std::floor(p));
      const double frac = p - lo;
      if (lo >= 0 && lo <= kTopNote - kLowNote) out[std::size_t(lo)] += float(m * (1 - frac));
      if (lo + 1 >= 0 && lo + 1 <= kTopNote - kLowNote) out[std::size_t(lo + 1)] += float(m * frac);
    }
  }

  // Harmonic summation of a (compressed, filtered) semitone frame, folded to pitch classes.
  // Partials 2 and 4 are octaves of the fundamental (the same pitch class) and add freely; the
  // others (3, 5, 6: a twelfth, two octaves and a third, ...) count only up to twice the
  // fundamental's own level, so that a lone tone does not invent the notes it could be a
  // partial of (a pure sine at E would otherwise raise A and C). Twice, because a bass note's
  // fundamental is weaker than its partials in a 2048-point spectrum.
  std::array<double, 12> fold(std::span<const float> semitone) const {
    std::array<double, 12> chroma{};
    for (int note = kLowNote; note <= kHighNote; ++note) {
      const double fundamental = semitone[std::size_t(note - kLowNote)];
      double salience = 0, weight = 1;
      for (std::size_t h = 1; h <= offsets_.size(); ++h) {
        const double partial = semitone[std::size_t(note + offsets_[h - 1] - kLowNote)];
        const bool octave = h == 1 || h == 2 || h == 4;
        salience += weight * (octave ? partial : std::min(partial, kGate * fundamental));
        weight *= kHarmonicDecay;
      }
      chroma[std::size_t(note % 12)] += salience;
    }
    return chroma;
  }

 private:
  double bin_hz_;
  std::size_t first_bin_, end_bin_;
  std::vector<int> offsets_;
  std::vector<std::uint32_t> peak_bins_;  // one frame's
  std::vector<double> pitches_;
};

}  // namespace

struct TonalProcessor::Impl {
  StftConfig stft;
  TonalConfig config;
  KeyChroma key_chroma;
  // herscan's tuning is accumulated frame by frame; librosa's needs the power spectra again.
  std::optional<CircularTuning> tuning;
  bool store_power;
  detail::FrameStore power_store;          // chroma_stft needs the file's tuning first
  detail::FrameStore peak_store;           // (pitch, magnitude) rows of the key's spectral peaks
  std::vector<std::uint16_t> peak_counts;  // peaks per frame
  std::vector<float> peaks;                // one frame's, before they are stored
  std::vector<float> level;                // Σ|X| of each frame: where the music starts and ends
  float max_power = 0;                     // the largest bin of the file's power spectra
  std::size_t frames = 0;
  TonalResult result;
  bool finished = false;
  Impl(const StftConfig& s, const TonalConfig& c)
      : stft(s),
        config(c),
        key_chroma(s.sample_rate_hz, s.n_fft),
        store_power(c.want_chroma ||
                    (!c.tuning_semitones && c.tuning_method != TuningMethod::herscan)),
        power_store(s.n_fft / 2 + 1),
        peak_store(2) {
    if (!c.tuning_semitones && c.tuning_method == TuningMethod::herscan)
      tuning.emplace(s.sample_rate_hz, s.n_fft);
  }

  void consume(const StftFrame& frame) {
    ++frames;
    if (store_power) power_store.append(frame.power);
    const auto& k = simd::kernels();
    const float frame_max = k.max_abs(frame.power.data(), frame.power.size());  // power ≥ 0
    if (tuning) tuning->add(frame.power, frame_max);
    max_power = std::max(max_power, frame_max);
    if (config.want_key) {
      level.push_back(float(k.sum(frame.magnitude.data(), frame.magnitude.size())));
      peaks.clear();
      key_chroma.peaks(frame.power, frame_max, peaks);
      peak_store.append_rows(peaks.data(), peaks.size() / 2);
      peak_counts.push_back(std::uint16_t(peaks.size() / 2));
    }
  }

  void for_each_power(const std::function<void(std::span<const float>)>& f) const {
    power_store.for_each([&](std::size_t, std::span<const float> row) { f(row); });
  }

  void compute_chroma() {
    ChromaFilterbank fb(stft.sample_rate_hz, stft.n_fft, result.tuning_semitones);
    std::array<RunningSummary, 12> stats;
    std::array<float, 12> raw{};
    if (config.keep_chroma_frames) result.chroma_frames.reserve(power_store.rows() * 12);
    for_each_power([&](std::span<const float> power) {
      fb.apply(power, raw);
      float peak = 0;
      for (float v : raw) peak = std::max(peak, std::abs(v));
      // util.normalize(norm=inf): columns below float32's smallest normal stay as they are.
      const float scale = peak < std::numeric_limits<float>::min() ? 1.0f : peak;
      for (std::size_t c = 0; c < 12; ++c) {
        const float v = raw[c] / scale;
        stats[c].add(v);
        if (config.keep_chroma_frames) result.chroma_frames.push_back(v);
      }
    });
    for (std::size_t c = 0; c < 12; ++c) result.chroma[c] = stats[c].summary();
  }

  void compute_key() {
    const double tuning_semitones = result.tuning_semitones;
    // The compression scale: the file's loudest spectral peak (seen in consume()).
    const float file_max = std::sqrt(max_power);
    KeyEvidence evidence;
    const float loudest = level.empty() ? 0.0f : *std::max_element(level.begin(), level.end());
    if (file_max > 0 && loudest > 0) {
      std::size_t first = 0, last = level.size() - 1;
      while (first < last && level[first] <= kActiveFraction * loudest) ++first;
      while (last > first && level[last] <= kActiveFraction * loudest) --last;
      const auto edge = std::size_t(kEdgeSeconds * stft.sample_rate_hz / double(stft.hop_frames));
      const float gain = kCompression / file_max;
      const double frame_s = double(stft.hop_frames) / stft.sample_rate_hz;
      const auto block =
          std::max<std::size_t>(1, std::size_t(std::lround(kKeyBlockSeconds / frame_s)));
      evidence.block_s = double(block) * frame_s;
      evidence.start_s = double(first) * frame_s;
      evidence.end_s = double(last + 1) * frame_s;
      // Frame t is folded once frames up to t + 4 are in the ring (a centred temporal
      // median; the ends repeat the edge frames, scipy's mode="nearest").
      std::vector<std::vector<float>> ring(kMedianFrames, std::vector<float>(kNotes));
      std::vector<float> median(kNotes);
      const std::size_t half = kMedianFrames / 2;
      std::size_t seen = 0;
      auto process = [&](std::size_t t) {
        std::array<const float*, kMedianFrames> rows;
        for (std::size_t j = 0; j < kMedianFrames; ++j) {
          const auto u = std::clamp<std::ptrdiff_t>(std::ptrdiff_t(t + j) - std::ptrdiff_t(half), 0,
                                                    std::ptrdiff_t(seen) - 1);
          rows[j] = ring[std::size_t(u) % kMedianFrames].data();
        }
        median9(rows, kNotes, median.data());
        const auto chroma = key_chroma.fold(median);
        if (t >= first && t <= last) {
          const std::size_t b = (t - first) / block;
          if (b >= evidence.blocks.size()) evidence.blocks.resize(b + 1);
          for (std::size_t c = 0; c < 12; ++c) evidence.blocks[b][c] += chroma[c];
        }
        for (std::size_t c = 0; c < 12; ++c) {
          evidence.global[c] += chroma[c];
          if (t >= first && t < first + edge) evidence.opening[c] += chroma[c];
          if (t + edge >= last && t <= last) evidence.closing[c] += chroma[c];
        }
      };
      // The stored peaks, regrouped into frames.
      std::vector<float> frame_peaks;
      std::size_t frame = 0;
      auto end_frame = [&] {
        std::vector<float>& slot = ring[seen % kMedianFrames];
        key_chroma.semitones(frame_peaks, tuning_semitones, slot);
        for (float& v : slot) v = std::log1p(gain * v);
        ++seen;
        if (seen > half) process(seen - 1 - half);
        frame_peaks.clear();
        ++frame;
      };
      auto end_empty_frames = [&] {
        while (frame < peak_counts.size() && peak_counts[frame] == 0) end_frame();
      };
      end_empty_frames();
      peak_store.for_each([&](std::size_t, std::span<const float> peak) {
        frame_peaks.push_back(peak[0]);  // rows are (pitch, magnitude) pairs
        frame_peaks.push_back(peak[1]);
        if (frame_peaks.size() / 2 == peak_counts[frame]) {
          end_frame();
          end_empty_frames();
        }
      });
      for (std::size_t t = seen > half ? seen - half : 0; t < seen; ++t) process(t);
    }
    double sum = 0;
    for (double v : evidence.global) sum += v;
    for (std::size_t c = 0; c < 12; ++c)
      result.key_chroma[c] = sum > 0 ? evidence.global[c] / sum : 0.0;
    result.key_evidence = evidence;
    result.key = estimate_key(evidence, config.key_profile);
  }
};

TonalProcessor::TonalProcessor(const StftConfig& stft, const TonalConfig& config) {
  stft.validate();
  if (config.tuning_semitones &&
      !(*config.tuning_semitones >= -0.5 && *config.tuning_semitones <= 0.5))
    throw Error(ErrorCode::invalid_argument, "TonalConfig.tuning_semitones must be in [-0.5, 0.5]");
  impl_ = std::make_unique<Impl>(stft, config);
}

TonalProcessor::~TonalProcessor() = default;

void TonalProcessor::consume(const StftFrame& frame) {
  impl_->consume(frame);
}

void TonalProcessor::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  s.result.frames = s.frames;
  if (s.config.tuning_semitones)
    s.result.tuning_semitones = *s.config.tuning_semitones;
  else if (s.tuning)
    s.result.tuning_semitones = s.tuning->semitones();
  else
    s.result.tuning_semitones =
        estimate_tuning_from([&](const auto& f) { s.for_each_power(f); }, s.stft.sample_rate_hz,
                             s.stft.n_fft, s.config.tuning_method);
  s.result.has_chroma = s.config.want_chroma;
  s.result.has_key = s.config.want_key;
  if (s.config.want_chroma) s.compute_chroma();
  if (s.config.want_key) s.compute_key();
}

const TonalResult& TonalProcessor::result() const {
  if (!impl_->finished)
    throw Error(ErrorCode::invalid_argument, "TonalProcessor: result before finish()");
  return impl_->result;
}

TonalResult analyze_tonality(std::span<const float> mono, const StftConfig& stft,
                             const TonalConfig& config) {
  TonalProcessor p(stft, config);
  Stft transform(stft);
  transform.add_consumer(p);
  transform.push(mono);
  transform.finish();
  return p.result();
}

std::vector<float> chroma_stft(std::span<const float> mono, const StftConfig& stft,
                               std::optional<double> tuning_semitones, TuningMethod method) {
  TonalConfig c;
  c.tuning_semitones = tuning_semitones;
  c.tuning_method = method;
  c.keep_chroma_frames = true;
  c.want_key = false;
  return analyze_tonality(mono, stft, c).chroma_frames;
}

}  // namespace herscan
