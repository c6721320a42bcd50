#include "herscan/loudness.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <string>

#include "herscan/error.h"
#include "k_weighting.h"
#include "simd/kernels.h"

namespace herscan {

double energy_to_lufs(double z) {
  return -0.691 + 10.0 * std::log10(z);
}

namespace {
constexpr int kStepsPerSecond = 100;  // the 10 ms evaluation grid
}

void LoudnessConfig::validate() const {
  if (!(sample_rate_hz >= 1000 && sample_rate_hz <= 768000))
    throw Error(ErrorCode::invalid_argument,
                "LoudnessConfig.sample_rate_hz must be in 1000..768000, got " +
                    std::to_string(sample_rate_hz));
  if (channels < 1 || channels > 64)
    throw Error(ErrorCode::invalid_argument,
                "LoudnessConfig.channels must be in 1..64, got " + std::to_string(channels));
  const double steps = series_interval_s * kStepsPerSecond;
  if (!(steps >= 1 && steps <= 1000 && std::abs(steps - std::round(steps)) < 1e-9))
    throw Error(ErrorCode::invalid_argument,
                "LoudnessConfig.series_interval_s must be a multiple of 0.01 s in 0.01..10, got " +
                    std::to_string(series_interval_s));
  if (!layout.empty() && int(layout.size()) != channels)
    throw Error(ErrorCode::invalid_argument,
                "LoudnessConfig.layout must be empty or have one entry per channel");
}

std::vector<double> channel_weights(int channels, const std::vector<ChannelPosition>& layout) {
  constexpr double kSurround = 1.41;  // BS.1770-4: +1.5 dB for 60°–120° azimuth
  using P = ChannelPosition;
  std::vector<ChannelPosition> positions = layout;
  if (int(positions.size()) != channels) {
    // Default layouts (WAVE / SMPTE channel order).
    static const std::vector<std::vector<P>> defaults = {
        {},
        {P::mono},
        {P::front_left, P::front_right},
        {P::front_left, P::front_right, P::front_center},
        {P::front_left, P::front_right, P::side_left, P::side_right},
        {P::front_left, P::front_right, P::front_center, P::side_left, P::side_right},
        {P::front_left, P::front_right, P::front_center, P::lfe, P::side_left, P::side_right},
        {P::front_left, P::front_right, P::front_center, P::lfe, P::back_center, P::side_left,
         P::side_right},
        {P::front_left, P::front_right, P::front_center, P::lfe, P::back_left, P::back_right,
         P::side_left, P::side_right},
    };
    positions = channels < int(defaults.size()) ? defaults[std::size_t(channels)]
                                                : std::vector<P>(std::size_t(channels), P::unknown);
  }
  const bool has_side = std::count(positions.begin(), positions.end(), P::side_left) > 0 ||
                        std::count(positions.begin(), positions.end(), P::side_right) > 0;
  std::vector<double> w;
  w.reserve(positions.size());
  for (P p : positions) {
    switch (p) {
      case P::lfe:
        w.push_back(0.0);
        break;
      case P::side_left:
      case P::side_right:
        w.push_back(kSurround);
        break;
      // The back pair is the surround pair of a 5.1 file (WAVE mask 0x3F); with a side pair
      // present (7.1) it sits at 135°–150°, outside the 60°–120° range.
      case P::back_left:
      case P::back_right:
        w.push_back(has_side ? 1.0 : kSurround);
        break;
      default:
        w.push_back(1.0);
        break;
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// Gating histograms: 0.01 LU bins from −70 to +40 LUFS, each with the exact count, energy sum
// and loudness sum of the values that fell in it. Values above +40 LUFS go to the top bin.
struct LoudnessHistograms {
  static constexpr double kMinLufs = -70.0;
  static constexpr double kBinLu = 0.01;
  static constexpr std::size_t kBins = 11000;

  struct Bins {
    std::vector<std::uint32_t> count = std::vector<std::uint32_t>(kBins, 0);
    std::vector<double> energy = std::vector<double>(kBins, 0.0);
    std::vector<double> lufs = std::vector<double>(kBins, 0.0);
    std::uint64_t total = 0;

    // Adds a value if it passes the absolute gate (loudness > −70 LUFS).
    void add(double z) {
      const double l = energy_to_lufs(z);
      if (!(l > kMinLufs)) return;
      const auto bin = std::min(kBins - 1, std::size_t((l - kMinLufs) / kBinLu));
      ++count[bin];
      energy[bin] += z;
      lufs[bin] += l;
      ++total;
    }
    void merge(const Bins& o) {
      for (std::size_t i = 0; i < kBins; ++i) {
        count[i] += o.count[i];
        energy[i] += o.energy[i];
        lufs[i] += o.lufs[i];
      }
      total += o.total;
    }
    // Mean energy of all values (the absolute-gated mean).
    double mean_energy() const {
      double e = 0;
      for (std::size_t i = 0; i < kBins; ++i) e += energy[i];
      return e / double(total);
    }
    // The first bin whose values lie above `gate_lufs`. Inside the bin that straddles the gate
    // the bin's mean loudness decides (the only approximation: values within 0.01 LU of the gate).
    std::size_t first_above(double gate_lufs) const {
      const double pos = (gate_lufs - kMinLufs) / kBinLu;
      if (pos < 0) return 0;
      std::size_t bin = std::min(kBins - 1, std::size_t(pos));
      if (count[bin] && !(lufs[bin] / count[bin] > gate_lufs)) ++bin;
      return bin;
    }
  };

  Bins blocks;      // 400 ms gating blocks (integrated loudness)
  Bins short_term;  // 3 s short-term values every 100 ms (loudness range)
};

namespace {

constexpr int kMomentarySteps = 40;
constexpr int kShortTermSteps = 300;
constexpr int kStepsPerBlock = 10;  // 100 ms: gating blocks, LRA values, series

double bessel_i0(double x) {
  double sum = 1, term = 1;
  for (int k = 1; k < 50; ++k) {
    term *= (x / (2 * k)) * (x / (2 * k));
    sum += term;
    if (term < 1e-17 * sum) break;
  }
  return sum;
}

// A K-weighting biquad (transposed direct form II, states s and z) with its output substituted
// into the state updates: s[n] = c1·v[n] + c2·v[n−1] − a2·s[n−2] − a1·s[n−1] and
// y[n] = b0·v[n] + s[n−1], where c1 = b1 − a1·b0 and c2 = b2 − a2·b0. The same filter, rounded
// differently; the chain from one sample to the next is one multiply-add (two in the transposed
// form), which halves the time of this serial recursion.
struct Section {
  double b0 = 1, c1 = 0, c2 = 0, a1 = 0, a2 = 0;
  Section() = default;
  explicit Section(const detail::Biquad& q)
      : b0(q.b0), c1(q.b1 - q.a1 * q.b0), c2(q.b2 - q.a2 * q.b0), a1(q.a1), a2(q.a2) {}
};

// The two sections' state: s[n−1], s[n−2] and the previous input of each. V is double, or a GCC
// vector of channels.
template <class V>
struct KState {
  V s0{}, s0p{}, v0p{}, s1{}, s1p{}, v1p{};
};

// One sample through the two sections (for a vector V, lane by lane the scalar arithmetic).
template <class V>
inline V k_weight(const Section& f0, const Section& f1, V v, KState<V>& k) {
  const V y0 = f0.b0 * v + k.s0;
  const V s0 = f0.c1 * v + f0.c2 * k.v0p - f0.a2 * k.s0p - f0.a1 * k.s0;
  k.s0p = k.s0, k.s0 = s0, k.v0p = v;
  const V y1 = f1.b0 * y0 + k.s1;
  const V s1 = f1.c1 * y0 + f1.c2 * k.v1p - f1.a2 * k.s1p - f1.a1 * k.s1;
  k.s1p = k.s1, k.s1 = s1, k.v1p = y0;
  return y1;
}

// True-peak interpolator: a Kaiser-windowed sinc (β = 7) cut off at the input's Nyquist
// frequency, 16 taps per phase. Phase 0 is the input itself (the sinc is zero at every other
// multiple of the factor), so only phases 1..L−1 are computed. Measured against ideal L× sampling
// of sines up to 0.45·fs: within +0.005/−0.08 dB (docs/loudness.md).
class TruePeak {
 public:
  static constexpr std::size_t kTapsPerPhase = 16;
  static constexpr std::size_t kRun = 256;

  TruePeak(int channels, int factor) : channels_(channels), factor_(factor) {
    if (factor_ < 2) return;
    const std::size_t n = std::size_t(factor_) * kTapsPerPhase + 1;
    const double centre = double(n - 1) / 2, beta = 7.0;
    std::vector<double> h(n);
    for (std::size_t i = 0; i < n; ++i) {
      const double t = (double(i) - centre) / factor_;
      const double sinc = t == 0 ? 1.0 : std::sin(std::numbers::pi * t) / (std::numbers::pi * t);
      const double r = (double(i) - centre) / centre;
      h[i] = sinc * bessel_i0(beta * std::sqrt(std::max(0.0, 1 - r * r))) / bessel_i0(beta);
    }
    // phases_[p−1][j] = h[L·j + p], applied to x[n − j].
    for (int p = 1; p < factor_; ++p) {
      std::vector<float> taps(kTapsPerPhase);
      double abs_sum = 0;
      for (std::size_t j = 0; j < kTapsPerPhase; ++j) {
        taps[j] = float(h[std::size_t(factor_) * j + std::size_t(p)]);
        abs_sum += std::abs(taps[j]);
      }
      gain_bound_ = std::max(gain_bound_, abs_sum);
      phases_.push_back(std::move(taps));
    }
    history_.assign(std::size_t(channels_), std::vector<float>(kTapsPerPhase - 1, 0.0f));
  }

  // Interpolates `frames` interleaved frames; returns the largest |interpolated| value seen.
  void push(const float* x, std::size_t frames) {
    if (factor_ < 2 || frames == 0) return;
    const std::size_t keep = kTapsPerPhase - 1;
    for (int c = 0; c < channels_; ++c) {
      std::vector<float>& buf = work_;
      buf.resize(keep + frames);
      std::copy(history_[std::size_t(c)].begin(), history_[std::size_t(c)].end(), buf.begin());
      for (std::size_t i = 0; i < frames; ++i)
        buf[keep + i] = x[i * std::size_t(channels_) + std::size_t(c)];
      const auto& k = simd::kernels();
      const float block_max = k.max_abs(buf.data() + keep, frames);
      peak_ = std::max(peak_, double(block_max));  // phase 0: the samples themselves
      // Exact skip, in runs of kRun samples: no interpolated value can exceed Σ|h_p| · max|x|
      // over the samples it is made of. Short runs skip most of a track that is not at its
      // loudest everywhere.
      if (double(std::max(block_max, k.max_abs(buf.data(), keep))) * gain_bound_ > peak_) {
        for (std::size_t start = 0; start < frames; start += kRun) {
          const std::size_t len = std::min(kRun, frames - start);
          const float local_max = k.max_abs(buf.data() + start, len + keep);
          if (double(local_max) * gain_bound_ > peak_) interpolate(buf.data() + start, len);
        }
      }
      std::copy(buf.end() - std::ptrdiff_t(keep), buf.end(), history_[std::size_t(c)].begin());
    }
  }

  // Flushes the filter tails with zeros.
  void finish() {
    if (factor_ < 2) return;
    std::vector<float> zeros(kTapsPerPhase * std::size_t(channels_), 0.0f);
    push(zeros.data(), kTapsPerPhase);
  }

  double peak() const { return peak_; }

 private:
  // The largest |y_p[i]| = |Σ_j h_p[j] · buf[keep + i − j]| over the phases p (SIMD kernel).
  // x holds frames + kTapsPerPhase − 1 samples.
  void interpolate(const float* x, std::size_t frames) {
    const auto& k = simd::kernels();
    for (const auto& taps : phases_)
      peak_ = std::max(peak_, double(k.fir_max_abs(x, frames, taps.data(), kTapsPerPhase)));
  }

  int channels_, factor_;
  std::vector<std::vector<float>> phases_;
  std::vector<std::vector<float>> history_;
  std::vector<float> work_;
  double gain_bound_ = 0;
  double peak_ = 0;
};

int true_peak_factor(double fs) {
  if (fs < 96000) return 4;
  if (fs <= 192000) return 2;
  return 1;
}

}  // namespace

struct LoudnessMeter::Impl {
  LoudnessConfig config;
  std::vector<double> weights;
  std::array<Section, 2> kw;
  std::vector<KState<double>> state;  // per channel

  // The 10 ms grid: step k ends at sample floor(k · fs / 100).
  std::int64_t steps_done = 0;
  std::int64_t series_steps = 10;
  std::int64_t step_end = 0;  // sample index where the current step ends
  std::int64_t position = 0;  // samples consumed
  double step_energy = 0;     // Σ_c G_c Σ y_c² within the current step
  // The last 300 steps' energies and lengths, each stored twice (slot and slot + 300) so that
  // any window of them is contiguous.
  std::array<double, 2 * kShortTermSteps> ring_energy{};
  std::array<std::int64_t, 2 * kShortTermSteps> ring_length{};

  double momentary_max = -INFINITY, short_term_max = -INFINITY;
  double sample_peak = 0;
  std::unique_ptr<TruePeak> true_peak;
  std::shared_ptr<LoudnessHistograms> histograms = std::make_shared<LoudnessHistograms>();
  LoudnessResult result;
  bool finished = false;

  std::int64_t boundary(std::int64_t k) const {
    return std::int64_t(
        std::floor((long double)k * (long double)config.sample_rate_hz / kStepsPerSecond));
  }

  // Mean-square energy of the window of the last `steps` steps ending at the current step.
  double window_energy(int steps) const {
    // Four partial sums (a serial sum of 300 values is a chain of 300 dependent additions,
    // and this runs every 10 ms of audio), from the newest step back.
    static_assert(kMomentarySteps % 4 == 0 && kShortTermSteps % 4 == 0);
    const std::size_t newest =
        std::size_t((steps_done - 1) % kShortTermSteps) + std::size_t(kShortTermSteps);
    const double* e = ring_energy.data() + newest;
    const std::int64_t* length = ring_length.data() + newest;
    double e0 = 0, e1 = 0, e2 = 0, e3 = 0;
    std::int64_t n = 0;
    for (std::ptrdiff_t i = 0; i > -steps; i -= 4) {
      e0 += e[i], e1 += e[i - 1], e2 += e[i - 2], e3 += e[i - 3];
      n += length[i] + length[i - 1] + length[i - 2] + length[i - 3];
    }
    return ((e0 + e1) + (e2 + e3)) / double(n);
  }

  void complete_step() {
    const std::size_t slot = std::size_t(steps_done % kShortTermSteps);
    ring_energy[slot] = ring_energy[slot + kShortTermSteps] = step_energy;
    ring_length[slot] = ring_length[slot + kShortTermSteps] = step_end - boundary(steps_done);
    ++steps_done;
    step_energy = 0;
    step_end = boundary(steps_done + 1);

    double m = NAN, s = NAN;
    if (steps_done >= kMomentarySteps) {
      m = window_energy(kMomentarySteps);
      momentary_max = std::max(momentary_max, energy_to_lufs(m));
    }
    if (steps_done >= kShortTermSteps) {
      s = window_energy(kShortTermSteps);
      short_term_max = std::max(short_term_max, energy_to_lufs(s));
    }
    if (steps_done % kStepsPerBlock == 0) {
      if (!std::isnan(m)) histograms->blocks.add(m);
      if (!std::isnan(s)) histograms->short_term.add(s);
    }
    if (config.keep_series && steps_done % series_steps == 0) {
      auto lufs_or_nan = [](double z) { return z > 0 ? float(energy_to_lufs(z)) : NAN; };
      result.momentary_series_lufs.push_back(lufs_or_nan(m));  // NaN > 0 is false: NaN stays
      result.short_term_series_lufs.push_back(lufs_or_nan(s));
    }
  }

  void filter(const float* x, std::size_t frames) {
    const int channels = config.channels;
    std::size_t i = 0;
    while (i < frames) {
      const std::size_t run =
          std::size_t(std::min<std::int64_t>(std::int64_t(frames - i), step_end - position));
      int c = 0;
      // Two channels at once: the recursion is serial in time, so two channels' chains share
      // one vector (lane by lane the scalar arithmetic, identical results).
      for (; c + 1 < channels; c += 2) {
        using Pair = double __attribute__((vector_size(16)));
        KState<double>&a = state[std::size_t(c)], &b = state[std::size_t(c) + 1];
        KState<Pair> k{{a.s0, b.s0}, {a.s0p, b.s0p}, {a.v0p, b.v0p},
                       {a.s1, b.s1}, {a.s1p, b.s1p}, {a.v1p, b.v1p}};
        Pair energy = {0, 0};
        const float* in = x + i * std::size_t(channels) + std::size_t(c);
        for (std::size_t n = 0; n < run; ++n) {
          const float* frame = in + n * std::size_t(channels);
          const Pair y = k_weight(kw[0], kw[1], Pair{double(frame[0]), double(frame[1])}, k);
          energy += y * y;
        }
        a = {k.s0[0], k.s0p[0], k.v0p[0], k.s1[0], k.s1p[0], k.v1p[0]};
        b = {k.s0[1], k.s0p[1], k.v0p[1], k.s1[1], k.s1p[1], k.v1p[1]};
        step_energy += weights[std::size_t(c)] * energy[0];
        step_energy += weights[std::size_t(c) + 1] * energy[1];
      }
      for (; c < channels; ++c) {
        KState<double>& k = state[std::size_t(c)];
        double energy = 0;
        const float* in = x + i * std::size_t(channels) + std::size_t(c);
        for (std::size_t n = 0; n < run; ++n) {
          const double y = k_weight(kw[0], kw[1], double(in[n * std::size_t(channels)]), k);
          energy += y * y;
        }
        step_energy += weights[std::size_t(c)] * energy;
      }
      i += run;
      position += std::int64_t(run);
      if (position == step_end) complete_step();
    }
  }
};

LoudnessMeter::LoudnessMeter(const LoudnessConfig& config) : impl_(std::make_unique<Impl>()) {
  config.validate();
  Impl& s = *impl_;
  s.config = config;
  s.weights = channel_weights(config.channels, config.layout);
  const auto biquads = detail::k_weighting(config.sample_rate_hz);
  s.kw = {Section(biquads[0]), Section(biquads[1])};
  s.state.assign(std::size_t(config.channels), KState<double>{});
  s.step_end = s.boundary(1);
  s.series_steps = std::llround(config.series_interval_s * kStepsPerSecond);
  if (config.true_peak)
    s.true_peak =
        std::make_unique<TruePeak>(config.channels, true_peak_factor(config.sample_rate_hz));
}

LoudnessMeter::~LoudnessMeter() = default;
LoudnessMeter::LoudnessMeter(LoudnessMeter&&) noexcept = default;
LoudnessMeter& LoudnessMeter::operator=(LoudnessMeter&&) noexcept = default;

void LoudnessMeter::push(const float* interleaved, std::size_t frames) {
  Impl& s = *impl_;
  if (s.finished) throw Error(ErrorCode::invalid_argument, "LoudnessMeter::push after finish");
  const float peak = simd::kernels().max_abs(interleaved, frames * std::size_t(s.config.channels));
  s.sample_peak = std::max(s.sample_peak, double(peak));
  if (s.true_peak) s.true_peak->push(interleaved, frames);
  s.filter(interleaved, frames);
  s.result.frames += std::int64_t(frames);
}

namespace {

constexpr const char* kSilence = "digital silence";
constexpr const char* kBelowGate = "below absolute gate (-70 LUFS)";

double to_db(double linear) {
  return 20.0 * std::log10(linear);
}

// Integrated loudness and LRA from the gating histograms (BS.1770-4 §2.8, EBU Tech 3342).
void gate(const LoudnessHistograms& h, LoudnessResult& r, bool have_block, bool have_short_term) {
  if (!have_block) {
    r.undefined["integrated_lufs"] = "shorter than one 400 ms gating block";
  } else if (h.blocks.total == 0) {
    r.undefined["integrated_lufs"] = kBelowGate;
  } else {
    const double relative_gate = energy_to_lufs(h.blocks.mean_energy()) - 10.0;
    double energy = 0, count = 0;
    for (std::size_t i = h.blocks.first_above(relative_gate); i < LoudnessHistograms::kBins; ++i) {
      energy += h.blocks.energy[i];
      count += h.blocks.count[i];
    }
    r.integrated_lufs = energy_to_lufs(energy / count);
    r.replaygain_db = -18.0 - r.integrated_lufs;
  }
  if (std::isnan(r.replaygain_db)) r.undefined["replaygain_db"] = r.undefined["integrated_lufs"];

  if (!have_short_term) {
    r.undefined["range_lu"] = "shorter than the 3 s short-term window";
  } else if (h.short_term.total == 0) {
    r.undefined["range_lu"] = kBelowGate;
  } else {
    const double relative_gate = energy_to_lufs(h.short_term.mean_energy()) - 20.0;
    const std::size_t first = h.short_term.first_above(relative_gate);
    std::uint64_t n = 0;
    for (std::size_t i = first; i < LoudnessHistograms::kBins; ++i) n += h.short_term.count[i];
    // Nearest rank on n − 1, as libebur128 (docs/loudness.md): the value at sorted index
    // round((n − 1) · p), taken as the mean loudness of the bin that holds that rank.
    auto percentile = [&](double p) {
      const std::uint64_t rank = std::uint64_t(double(n - 1) * p + 0.5);
      std::uint64_t seen = 0;
      for (std::size_t i = first; i < LoudnessHistograms::kBins; ++i) {
        seen += h.short_term.count[i];
        if (seen > rank) return h.short_term.lufs[i] / h.short_term.count[i];
      }
      return 0.0;
    };
    r.range_lu = n == 0 ? 0.0 : percentile(0.95) - percentile(0.10);
  }
}

}  // namespace

void LoudnessMeter::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  LoudnessResult& r = s.result;
  const bool have_block = s.steps_done >= kMomentarySteps;
  const bool have_short_term = s.steps_done >= kShortTermSteps;

  if (!have_block)
    r.undefined["momentary_max_lufs"] = "shorter than the 400 ms momentary window";
  else if (std::isinf(s.momentary_max))
    r.undefined["momentary_max_lufs"] = kSilence;
  else
    r.momentary_max_lufs = s.momentary_max;
  if (!have_short_term)
    r.undefined["short_term_max_lufs"] = "shorter than the 3 s short-term window";
  else if (std::isinf(s.short_term_max))
    r.undefined["short_term_max_lufs"] = kSilence;
  else
    r.short_term_max_lufs = s.short_term_max;

  r.sample_peak = s.sample_peak;
  if (s.sample_peak > 0)
    r.sample_peak_dbfs = to_db(s.sample_peak);
  else
    r.undefined["sample_peak_dbfs"] = kSilence;
  if (s.true_peak) {
    s.true_peak->finish();
    r.true_peak = std::max(s.sample_peak, s.true_peak->peak());  // phase 0 is the sample itself
    if (r.true_peak > 0)
      r.true_peak_dbtp = to_db(r.true_peak);
    else
      r.undefined["true_peak_dbtp"] = kSilence;
  } else {
    r.undefined["true_peak_dbtp"] = "not requested";
  }
  gate(*s.histograms, r, have_block, have_short_term);
  r.histograms = s.histograms;
}

const LoudnessResult& LoudnessMeter::result() const {
  if (!impl_->finished)
    throw Error(ErrorCode::invalid_argument, "LoudnessMeter::result before finish");
  return impl_->result;
}

LoudnessResult measure_loudness(std::span<const float> interleaved, const LoudnessConfig& config) {
  LoudnessMeter meter(config);
  meter.push(interleaved.data(), interleaved.size() / std::size_t(config.channels));
  meter.finish();
  return meter.result();
}

LoudnessResult album_loudness(std::span<const LoudnessResult> tracks) {
  LoudnessResult album;
  auto merged = std::make_shared<LoudnessHistograms>();
  bool have_block = false, have_short_term = false, have_true_peak = false;
  double momentary = -INFINITY, short_term = -INFINITY;
  for (const LoudnessResult& t : tracks) {
    if (!t.histograms)
      throw Error(ErrorCode::invalid_argument, "album_loudness: a track has no histograms");
    merged->blocks.merge(t.histograms->blocks);
    merged->short_term.merge(t.histograms->short_term);
    album.frames += t.frames;
    album.sample_peak = std::max(album.sample_peak, t.sample_peak);
    album.true_peak = std::max(album.true_peak, t.true_peak);
    have_true_peak = have_true_peak || !std::isnan(t.true_peak_dbtp);
    if (!std::isnan(t.momentary_max_lufs)) momentary = std::max(momentary, t.momentary_max_lufs);
    if (!std::isnan(t.short_term_max_lufs))
      short_term = std::max(short_term, t.short_term_max_lufs);
    have_block = have_block || !t.undefined.contains("momentary_max_lufs") ||
                 t.undefined.at("momentary_max_lufs") == kSilence;
    have_short_term = have_short_term || !t.undefined.contains("short_term_max_lufs") ||
                      t.undefined.at("short_term_max_lufs") == kSilence;
  }
  if (std::isfinite(momentary))
    album.momentary_max_lufs = momentary;
  else
    album.undefined["momentary_max_lufs"] =
        have_block ? kSilence : "shorter than the 400 ms momentary window";
  if (std::isfinite(short_term))
    album.short_term_max_lufs = short_term;
  else
    album.undefined["short_term_max_lufs"] =
        have_short_term ? kSilence : "shorter than the 3 s short-term window";
  if (album.sample_peak > 0)
    album.sample_peak_dbfs = to_db(album.sample_peak);
  else
    album.undefined["sample_peak_dbfs"] = kSilence;
  if (!have_true_peak)
    album.undefined["true_peak_dbtp"] = "not requested";
  else if (album.true_peak > 0)
    album.true_peak_dbtp = to_db(album.true_peak);
  else
    album.undefined["true_peak_dbtp"] = kSilence;
  gate(*merged, album, have_block, have_short_term);
  album.histograms = merged;
  return album;
}

}  // namespace herscan
