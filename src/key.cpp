#include "herscan/key.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace herscan {
namespace {

// Published key profiles, tonic first (index 0 = the tonic).
// Krumhansl & Kessler (1982): probe-tone ratings.
constexpr std::array<double, 12> kKrumhanslMajor = {6.35, 2.23, 3.48, 2.33, 4.38, 4.09,
                                                    2.52, 5.19, 2.39, 3.66, 2.29, 2.88};
constexpr std::array<double, 12> kKrumhanslMinor = {6.33, 2.68, 3.52, 5.38, 2.60, 3.53,
                                                    2.54, 4.75, 3.98, 2.69, 3.34, 3.17};
// Temperley (1999), "What's key for key?", Music Perception 17(1).
constexpr std::array<double, 12> kTemperleyMajor = {5.0, 2.0, 3.5, 2.0, 4.5, 4.0,
                                                    2.0, 4.5, 2.0, 3.5, 1.5, 4.0};
constexpr std::array<double, 12> kTemperleyMinor = {5.0, 2.0, 3.5, 4.5, 2.0, 4.0,
                                                    2.0, 4.5, 3.5, 2.0, 1.5, 4.0};
// Faraldo, Gómez, Jordà, Herrera (2016), "Key estimation in electronic dance music": EDMA.
constexpr std::array<double, 12> kEdmaMajor = {0.16519551, 0.04749026, 0.08293076, 0.06687112,
                                               0.09994645, 0.09274123, 0.05294487, 0.13159476,
                                               0.05218986, 0.07443653, 0.06940723, 0.0642515};
constexpr std::array<double, 12> kEdmaMinor = {0.17235348, 0.05336489, 0.0761009,  0.10043649,
                                               0.05621498, 0.08527853, 0.0497915,  0.13451001,
                                               0.07458916, 0.05003023, 0.09187879, 0.05545106};
// Shaath (2011, KeyFinder): Krumhansl's, tuned for popular and electronic music.
constexpr std::array<double, 12> kShaathMajor = {6.6, 2.0, 3.5, 2.3, 4.6, 4.0,
                                                 2.5, 5.2, 2.4, 3.7, 2.3, 3.4};
constexpr std::array<double, 12> kShaathMinor = {6.5, 2.7, 3.5, 5.4, 2.6, 3.5,
                                                 2.5, 5.2, 4.0, 2.7, 4.3, 3.2};

constexpr const char* kTonics[12] = {"C",  "C#", "D",  "Eb", "E",  "F",
                                     "F#", "G",  "Ab", "A",  "Bb", "B"};

constexpr std::array<double, 12> kMajorTriad = {1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0};
constexpr std::array<double, 12> kMinorTriad = {1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0};

double pearson(std::span<const double, 12> x, const std::array<double, 12>& profile, int tonic) {
  double mx = 0, my = 0;
  for (int i = 0; i < 12; ++i) {
    mx += x[std::size_t(i)];
    my += profile[std::size_t(i)];
  }
  mx /= 12;
  my /= 12;
  double sxy = 0, sxx = 0, syy = 0;
  for (int i = 0; i < 12; ++i) {
    const double a = x[std::size_t((i + tonic) % 12)] - mx;  // the chroma seen from the tonic
    const double b = profile[std::size_t(i)] - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxx > 0 && syy > 0 ? sxy / std::sqrt(sxx * syy) : 0.0;
}

// The key model (the fitted profile, the weights of its evidence) and the calibration of its
// confidence, fitted by scripts/train_key.py (docs/accuracy.md).
#include "key_model.inc"

// Each key's probability under the herscan model: a softmax over the 24 keys (major tonics 0..11,
// then minor) of the weighted correlations of the global chroma with three profiles, of the
// opening and closing chroma with the key's tonic triad, and a minor bias.
std::array<double, 24> model_probabilities(const std::array<double, 12>& global,
                                           const std::array<double, 12>& opening,
                                           const std::array<double, 12>& closing) {
  std::array<double, 24> z{};
  for (int minor = 0; minor < 2; ++minor) {
    const bool m = minor == 1;
    for (int tonic = 0; tonic < 12; ++tonic) {
      const std::array<double, 6> x = {
          pearson(global, key_profile_weights(KeyProfile::temperley, m), tonic),
          pearson(global, key_profile_weights(KeyProfile::edma, m), tonic),
          pearson(global, key_profile_weights(KeyProfile::herscan, m), tonic),
          pearson(opening, m ? kMinorTriad : kMajorTriad, tonic),
          pearson(closing, m ? kMinorTriad : kMajorTriad, tonic),
          double(minor)};
      double v = 0;
      for (std::size_t i = 0; i < x.size(); ++i) v += kKeyModelWeights[i] * x[i];
      z[std::size_t(minor * 12 + tonic)] = v;
    }
  }
  const double top = *std::max_element(z.begin(), z.end());
  double sum = 0;
  for (double& v : z) sum += (v = std::exp(v - top));
  for (double& v : z) v /= sum;
  return z;
}

// The calibrated probability that a key whose model probability is p is right.
double key_confidence(double p) {
  const double q = std::clamp(p, 1e-6, 1 - 1e-6);
  const double z = kKeyConfidenceWeights[0] + kKeyConfidenceWeights[1] * std::log(q / (1 - q));
  return 1.0 / (1.0 + std::exp(-z));
}

// The key of each block: a Viterbi path through the 24 keys, each block's evidence the model's
// log-probabilities of the chroma of the blocks within kKeySegmentContext of it, a change of key
// costing kKeySegmentSwitchCost.
std::vector<KeySegment> segment_keys(const KeyEvidence& e) {
  const std::size_t n = e.blocks.size();
  if (n == 0) return {};
  std::vector<std::array<double, 24>> score(n);
  const std::array<double, 12> none{};
  for (std::size_t i = 0; i < n; ++i) {
    std::array<double, 12> window{};
    const std::size_t from = i >= kKeySegmentContext ? i - kKeySegmentContext : 0;
    const std::size_t to = std::min(n, i + kKeySegmentContext + 1);
    for (std::size_t j = from; j < to; ++j)
      for (std::size_t c = 0; c < 12; ++c) window[c] += e.blocks[j][c];
    const auto p = model_probabilities(window, none, none);
    for (std::size_t k = 0; k < 24; ++k) score[i][k] = std::log(std::max(p[k], 1e-300));
  }
  std::vector<std::array<std::uint8_t, 24>> from(n);
  std::array<double, 24> total = score[0];
  for (std::size_t i = 1; i < n; ++i) {
    const auto best = std::size_t(std::max_element(total.begin(), total.end()) - total.begin());
    const double switched = total[best] - kKeySegmentSwitchCost;
    for (std::size_t k = 0; k < 24; ++k) {
      const bool stay = total[k] >= switched;
      from[i][k] = std::uint8_t(stay ? k : best);
      total[k] = (stay ? total[k] : switched) + score[i][k];
    }
  }
  std::vector<std::size_t> path(n);
  path[n - 1] = std::size_t(std::max_element(total.begin(), total.end()) - total.begin());
  for (std::size_t i = n - 1; i > 0; --i) path[i - 1] = from[i][path[i]];
  std::vector<KeySegment> segments;
  for (std::size_t i = 0; i < n; ++i) {
    const int tonic = int(path[i] % 12);
    const bool minor = path[i] >= 12;
    const double start = e.start_s + double(i) * e.block_s;
    const double end = std::min(e.end_s, start + e.block_s);
    if (!segments.empty() && segments.back().tonic == tonic && segments.back().minor == minor)
      segments.back().end_s = end;
    else
      segments.push_back({start, end, tonic, minor});
  }
  return segments;
}

}  // namespace

std::optional<KeyProfile> parse_key_profile(std::string_view name) {
  if (name == "krumhansl") return KeyProfile::krumhansl;
  if (name == "temperley") return KeyProfile::temperley;
  if (name == "edma") return KeyProfile::edma;
  if (name == "shaath") return KeyProfile::shaath;
  if (name == "herscan") return KeyProfile::herscan;
  return std::nullopt;
}

const char* key_profile_name(KeyProfile profile) noexcept {
  switch (profile) {
    case KeyProfile::krumhansl:
      return "krumhansl";
    case KeyProfile::temperley:
      return "temperley";
    case KeyProfile::edma:
      return "edma";
    case KeyProfile::shaath:
      return "shaath";
    case KeyProfile::herscan:
      return "herscan";
  }
  return "?";
}

const std::array<double, 12>& key_profile_weights(KeyProfile profile, bool minor) {
  switch (profile) {
    case KeyProfile::krumhansl:
      return minor ? kKrumhanslMinor : kKrumhanslMajor;
    case KeyProfile::temperley:
      return minor ? kTemperleyMinor : kTemperleyMajor;
    case KeyProfile::edma:
      return minor ? kEdmaMinor : kEdmaMajor;
    case KeyProfile::shaath:
      return minor ? kShaathMinor : kShaathMajor;
    case KeyProfile::herscan:
      return minor ? kFittedMinor : kFittedMajor;
  }
  return kKrumhanslMajor;
}

KeyResult estimate_key(std::span<const double, 12> chroma, KeyProfile profile) {
  KeyEvidence e;
  std::copy(chroma.begin(), chroma.end(), e.global.begin());
  return estimate_key(e, profile);
}

KeyResult estimate_key(const KeyEvidence& evidence, KeyProfile profile) {
  const std::span<const double, 12> chroma(evidence.global);
  auto has_energy = [](const std::array<double, 12>& c) {
    double s = 0;
    for (double v : c) s += v;
    return s > 0;
  };
  const double w_open = has_energy(evidence.opening) ? kKeyOpeningWeight : 0.0;
  const double w_close = has_energy(evidence.closing) ? kKeyClosingWeight : 0.0;
  KeyResult r;
  double sum = 0, mean = 0;
  for (double v : chroma) sum += v;
  mean = sum / 12;
  double spread = 0;
  for (double v : chroma) spread = std::max(spread, std::abs(v - mean));
  if (!(sum > 0) || spread <= 1e-9 * std::max(mean, 1e-300)) {
    r.reason = sum > 0 ? "no tonal content (flat chroma)" : "no tonal content (silence)";
    return r;
  }
  const auto probability = model_probabilities(evidence.global, evidence.opening, evidence.closing);
  if (profile == KeyProfile::herscan) {
    for (int k = 0; k < 24; ++k)
      r.candidates.push_back({k % 12, k >= 12, probability[std::size_t(k)]});
  } else {
    // A published profile: its correlation plus half the tonic triad's at the opening and close.
    const double total_weight = 1.0 + w_open + w_close;
    for (int minor = 0; minor < 2; ++minor) {
      const auto& triad = minor ? kMinorTriad : kMajorTriad;
      for (int tonic = 0; tonic < 12; ++tonic) {
        double score = pearson(chroma, key_profile_weights(profile, minor == 1), tonic);
        if (w_open > 0) score += w_open * pearson(evidence.opening, triad, tonic);
        if (w_close > 0) score += w_close * pearson(evidence.closing, triad, tonic);
        r.candidates.push_back({tonic, minor == 1, score / total_weight});
      }
    }
  }
  std::stable_sort(r.candidates.begin(), r.candidates.end(),
                   [](const KeyCandidate& a, const KeyCandidate& b) { return a.score > b.score; });
  r.defined = true;
  r.tonic = r.candidates.front().tonic;
  r.minor = r.candidates.front().minor;
  r.strength = std::clamp(r.candidates.front().score, 0.0, 1.0);
  r.confidence = key_confidence(probability[std::size_t((r.minor ? 12 : 0) + r.tonic)]);
  r.segments = segment_keys(evidence);
  return r;
}

const char* tonic_name(int pitch_class) noexcept {
  return kTonics[((pitch_class % 12) + 12) % 12];
}

std::string camelot(int tonic, bool minor) {
  // Camelot numbers follow the circle of fifths: C major 8B, G major 9B, ...; A minor 8A.
  const int major_tonic = minor ? (tonic + 3) % 12 : tonic;  // the relative major
  const int number = ((major_tonic * 7) % 12 + 7) % 12 + 1;  // C → 8
  return std::to_string(number) + (minor ? "A" : "B");
}

std::string key_name(int tonic, bool minor) {
  return std::string(tonic_name(tonic)) + (minor ? " minor" : " major");
}

}  // namespace herscan
