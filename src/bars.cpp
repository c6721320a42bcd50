#include "herscan/bars.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "herscan/error.h"

namespace herscan {
namespace {

#include "downbeat_net.inc"

constexpr std::array<std::size_t, 2> kMeters = {3, 4};

double log_add(double a, double b) {
  if (a == -std::numeric_limits<double>::infinity()) return b;
  if (b == -std::numeric_limits<double>::infinity()) return a;
  const double hi = std::max(a, b);
  return hi + std::log1p(std::exp(std::min(a, b) - hi));
}

double logit(double p) {
  return std::log(p / (1 - p + 1e-6));
}

// The beats' evidence: per beat log a (its emission as a downbeat) and log(1 − a) (as another
// position).
struct Evidence {
  std::vector<double> downbeat, other;
};

// One meter's model over the evidence: the Viterbi path (positions 0..m−1, 0 the downbeat), its
// score, the log likelihood of all paths and the mean posterior along the path.
struct MeterFit {
  std::vector<int> path;
  double score = 0;
  double log_likelihood = 0;
  double mean_posterior = 0;
};

MeterFit fit_meter(const Evidence& e, std::size_t m, const BarConfig& config) {
  const std::size_t n = e.downbeat.size();
  const double stay = std::log(1 - config.jump), move = std::log(config.jump / double(m - 1));
  auto trans = [&](std::size_t from, std::size_t to) { return to == (from + 1) % m ? stay : move; };
  auto emit = [&](std::size_t i, std::size_t k) { return k == 0 ? e.downbeat[i] : e.other[i]; };
  const double norm = std::log(std::exp(config.first) + double(m - 1));
  auto prior = [&](std::size_t k) {
    return (m == 4 ? config.prior4 : 0.0) + (k == 0 ? config.first : 0.0) - norm;
  };

  MeterFit fit;
  // Viterbi; ties go to the lower position, as the training script's argmax.
  std::vector<double> delta(m), next(m);
  std::vector<int> back(n * m, 0);
  for (std::size_t k = 0; k < m; ++k) delta[k] = prior(k) + emit(0, k);
  for (std::size_t i = 1; i < n; ++i) {
    for (std::size_t k = 0; k < m; ++k) {
      double best = -std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < m; ++j)
        if (const double v = delta[j] + trans(j, k); v > best) {
          best = v;
          back[i * m + k] = int(j);
        }
      next[k] = best + emit(i, k);
    }
    delta.swap(next);
  }
  fit.path.assign(n, 0);
  fit.path[n - 1] = int(std::max_element(delta.begin(), delta.end()) - delta.begin());
  fit.score = delta[std::size_t(fit.path[n - 1])];
  for (std::size_t i = n - 1; i > 0; --i) fit.path[i - 1] = back[i * m + std::size_t(fit.path[i])];

  // Forward-backward in the log domain for the posteriors.
  std::vector<double> fw(n * m), bw(n * m, 0.0);
  for (std::size_t k = 0; k < m; ++k) fw[k] = prior(k) + emit(0, k);
  for (std::size_t i = 1; i < n; ++i)
    for (std::size_t k = 0; k < m; ++k) {
      double sum = -std::numeric_limits<double>::infinity();
      for (std::size_t j = 0; j < m; ++j) sum = log_add(sum, fw[(i - 1) * m + j] + trans(j, k));
      fw[i * m + k] = sum + emit(i, k);
    }
  for (std::size_t i = n - 1; i > 0; --i)
    for (std::size_t j = 0; j < m; ++j) {
      double sum = -std::numeric_limits<double>::infinity();
      for (std::size_t k = 0; k < m; ++k)
        sum = log_add(sum, trans(j, k) + emit(i, k) + bw[i * m + k]);
      bw[(i - 1) * m + j] = sum;
    }
  fit.log_likelihood = -std::numeric_limits<double>::infinity();
  for (std::size_t k = 0; k < m; ++k)
    fit.log_likelihood = log_add(fit.log_likelihood, fw[(n - 1) * m + k]);
  double posterior = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = std::size_t(fit.path[i]);
    posterior += std::exp(fw[i * m + k] + bw[i * m + k] - fit.log_likelihood);
  }
  fit.mean_posterior = posterior / double(n);
  return fit;
}

}  // namespace

BarConfig::BarConfig()
    : jump(kShippedBarJump), prior4(kShippedBarPrior4), first(kShippedBarFirst) {}

void BarConfig::validate() const {
  if (!(jump > 0 && jump < 1))
    throw Error(ErrorCode::invalid_argument, "BarConfig.jump must be in (0, 1)");
  if (!std::isfinite(prior4))
    throw Error(ErrorCode::invalid_argument, "BarConfig.prior4 must be finite");
  if (!std::isfinite(first) || std::abs(first) > 50)
    throw Error(ErrorCode::invalid_argument, "BarConfig.first must be within ±50");
}

const BeatNet& default_downbeat_net() {
  static const BeatNet net = [] {
    BeatNet n = shipped_downbeat_net();
    n.validate();
    return n;
  }();
  return net;
}

BarResult track_bars(std::span<const double> beats_s, std::span<const float> activation,
                     double frame_rate_hz, const BarConfig& config) {
  config.validate();
  if (!(frame_rate_hz > 0))
    throw Error(ErrorCode::invalid_argument, "track_bars: frame rate must be positive");
  BarResult result;
  if (beats_s.empty() || activation.empty()) return result;

  Evidence e;
  for (std::size_t i = 0; i < beats_s.size(); ++i) {
    const auto f = std::ptrdiff_t(std::lround(beats_s[i] * frame_rate_hz));
    const std::ptrdiff_t lo = std::max<std::ptrdiff_t>(0, f - std::ptrdiff_t(kBarWindowFrames));
    const std::ptrdiff_t hi =
        std::min<std::ptrdiff_t>(std::ptrdiff_t(activation.size()), f + kBarWindowFrames + 1);
    double v = 0;
    for (std::ptrdiff_t t = lo; t < hi; ++t) v = std::max(v, double(activation[std::size_t(t)]));
    v = std::clamp(v, 1e-4, 1 - 1e-4);
    e.downbeat.push_back(std::log(v));
    e.other.push_back(std::log(1 - v));
  }

  std::array<MeterFit, kMeters.size()> fits;
  std::size_t best = 0;
  for (std::size_t i = 0; i < kMeters.size(); ++i) {
    fits[i] = fit_meter(e, kMeters[i], config);
    if (fits[i].score > fits[best].score) best = i;
  }
  double total = -std::numeric_limits<double>::infinity();
  for (const MeterFit& f : fits) total = log_add(total, f.log_likelihood);

  result.beats_per_bar = kMeters[best];
  result.positions.reserve(beats_s.size());
  for (int k : fits[best].path) result.positions.push_back(k + 1);
  result.mean_posterior = fits[best].mean_posterior;
  result.meter_probability = std::exp(fits[best].log_likelihood - total);
  const double z = kShippedBarConfidence[0] +
                   kShippedBarConfidence[1] * logit(result.mean_posterior) +
                   kShippedBarConfidence[2] * logit(result.meter_probability);
  result.confidence = 1 / (1 + std::exp(-z));
  return result;
}

}  // namespace herscan
