// The bar tracker against an enumeration of every path its model allows (herscan/bars.h's
// definition read independently), its behaviour on activations with a known bar, its bad input,
// and the shipped downbeat network on synthesised pieces whose bars are known.
#include "herscan/bars.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <random>

#include "herscan/error.h"
#include "herscan/tempo.h"
#include "test_signals.h"

namespace herscan {
namespace {

constexpr double kRate = 22050;
constexpr double kFrameRate = kRate / 512;

// An activation with one value per beat: `values[i]` at the frame of beat i, 0 elsewhere.
struct Frames {
  std::vector<double> beats;
  std::vector<float> activation;
};
Frames at_beats(const std::vector<double>& values, double period_s = 0.5) {
  Frames f;
  f.activation.assign(std::size_t((double(values.size()) * period_s + 1) * kFrameRate), 0.0f);
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double t = 0.25 + double(i) * period_s;
    f.beats.push_back(t);
    f.activation[std::size_t(std::lround(t * kFrameRate))] = float(values[i]);
  }
  return f;
}

// Every path of positions for meters 3 and 4, scored as bars.h defines the model: the best path,
// the posterior of the best meter, and the mean posterior of its best path's positions.
struct Reference {
  std::size_t meter = 0;
  std::vector<int> positions;
  double meter_probability = 0, mean_posterior = 0;
};
Reference enumerate(const std::vector<double>& raw, const BarConfig& c) {
  std::vector<double> s;
  for (double v : raw) s.push_back(std::clamp(v, 1e-4, 1 - 1e-4));
  const std::size_t n = s.size();
  Reference best;
  double best_log_p = -std::numeric_limits<double>::infinity(), z[2] = {0, 0};
  std::vector<double> position_mass[2];
  std::vector<std::vector<int>> paths[2];
  std::vector<double> path_p[2];
  for (std::size_t mi = 0; mi < 2; ++mi) {
    const std::size_t m = mi + 3;
    std::vector<int> path(n, 0);
    for (;;) {  // every path: n digits in base m
      double log_p = (m == 4 ? c.prior4 : 0.0) + (path[0] == 0 ? c.first : 0.0) -
                     std::log(std::exp(c.first) + double(m - 1));
      for (std::size_t i = 0; i < n; ++i) {
        log_p += path[i] == 0 ? std::log(s[i]) : std::log(1 - s[i]);
        if (i > 0)
          log_p += path[i] == (path[i - 1] + 1) % int(m) ? std::log(1 - c.jump)
                                                         : std::log(c.jump / double(m - 1));
      }
      z[mi] += std::exp(log_p);
      paths[mi].push_back(path);
      path_p[mi].push_back(std::exp(log_p));
      if (log_p > best_log_p + 1e-12) {
        best_log_p = log_p;
        best.meter = m;
        best.positions = path;
      }
      std::size_t d = n;
      while (d > 0 && ++path[d - 1] == int(m)) path[--d] = 0;
      if (d == 0) break;
    }
  }
  const std::size_t mi = best.meter - 3;
  best.meter_probability = z[mi] / (z[0] + z[1]);
  double posterior = 0;
  for (std::size_t i = 0; i < n; ++i) {
    double mass = 0;
    for (std::size_t p = 0; p < paths[mi].size(); ++p)
      if (paths[mi][p][i] == best.positions[i]) mass += path_p[mi][p];
    posterior += mass / z[mi];
  }
  best.mean_posterior = posterior / double(n);
  for (int& k : best.positions) ++k;
  return best;
}

TEST(Bars, TrackerIsItsDefinition) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int trial = 0; trial < 30; ++trial) {
    std::vector<double> values(7);
    for (double& v : values)
      v = float(u(rng) < 0.3 ? 0.5 + 0.5 * u(rng) : 0.3 * u(rng));  // as stored
    BarConfig c;
    c.jump = 0.01 + 0.3 * u(rng);
    c.prior4 = 4 * u(rng) - 1;
    c.first = 3 * u(rng) - 1;
    const Frames f = at_beats(values);
    const BarResult r = track_bars(f.beats, f.activation, kFrameRate, c);
    const Reference ref = enumerate(values, c);
    EXPECT_EQ(r.beats_per_bar, ref.meter) << trial;
    EXPECT_EQ(r.positions, ref.positions) << trial;
    EXPECT_NEAR(r.meter_probability, ref.meter_probability, 1e-9) << trial;
    EXPECT_NEAR(r.mean_posterior, ref.mean_posterior, 1e-9) << trial;
    EXPECT_GE(r.confidence, 0.0);
    EXPECT_LE(r.confidence, 1.0);
  }
}

// A clear downbeat every m beats from beat `phase`: the meter, the positions from the first beat
// on (the beats before the first downbeat are the bar's last ones), and a confidence above that
// of an activation that says nothing.
TEST(Bars, ClearBarsAreFound) {
  for (std::size_t m : {3u, 4u})
    for (std::size_t phase = 0; phase < m; ++phase) {
      std::vector<double> values(48);
      for (std::size_t i = 0; i < values.size(); ++i) values[i] = i % m == phase ? 0.9 : 0.05;
      const Frames f = at_beats(values);
      const BarResult r = track_bars(f.beats, f.activation, kFrameRate);
      ASSERT_EQ(r.beats_per_bar, m);
      ASSERT_EQ(r.positions.size(), values.size());
      for (std::size_t i = 0; i < values.size(); ++i)
        EXPECT_EQ(r.positions[i], int((i + m - phase) % m) + 1) << m << " " << phase << " " << i;
      EXPECT_GT(r.meter_probability, 0.99);
      EXPECT_GT(r.mean_posterior, 0.99);
      const Frames flat = at_beats(std::vector<double>(48, 0.2));
      EXPECT_GT(r.confidence, track_bars(flat.beats, flat.activation, kFrameRate).confidence);
    }
}

// A beat missing from the middle of a 4/4 sequence: the bars pick up again after it instead of
// running a beat out of phase to the end.
TEST(Bars, BarsPickUpAfterAMissedBeat) {
  std::vector<double> values, downbeat;
  for (std::size_t i = 0; i < 64; ++i) {
    if (i == 30) continue;  // the beat the tracker missed
    values.push_back(i % 4 == 0 ? 0.9 : 0.05);
    downbeat.push_back(i % 4 == 0);
  }
  const Frames f = at_beats(values);
  const BarResult r = track_bars(f.beats, f.activation, kFrameRate);
  ASSERT_EQ(r.beats_per_bar, 4u);
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(r.positions[i] == 1, downbeat[i] == 1.0) << i;
}

TEST(Bars, BadInput) {
  const Frames f = at_beats({0.9, 0.1, 0.1, 0.1});
  EXPECT_TRUE(track_bars({}, f.activation, kFrameRate).positions.empty());
  EXPECT_EQ(track_bars({}, f.activation, kFrameRate).beats_per_bar, 0u);
  EXPECT_EQ(track_bars(f.beats, {}, kFrameRate).confidence, 0.0);
  EXPECT_THROW(track_bars(f.beats, f.activation, 0.0), Error);
  for (double jump : {0.0, 1.0, -0.1, std::nan("")}) {
    BarConfig c;
    c.jump = jump;
    EXPECT_THROW(track_bars(f.beats, f.activation, kFrameRate, c), Error) << jump;
  }
  BarConfig c;
  c.prior4 = std::numeric_limits<double>::infinity();
  EXPECT_THROW(track_bars(f.beats, f.activation, kFrameRate, c), Error);
  c = BarConfig{};
  c.first = std::nan("");
  EXPECT_THROW(track_bars(f.beats, f.activation, kFrameRate, c), Error);
  // Beats beyond the activation's end read nothing there (the floor), and do not crash.
  const std::vector<double> late = {1000.0, 1000.5};
  EXPECT_EQ(track_bars(late, f.activation, kFrameRate).positions.size(), 2u);
}

// A piece with `meter` beats a bar at `bpm`: a hi-hat tick on every beat, and on each downbeat a
// kick, a bass note and a new chord (I, IV, V, vi in C), the chord ringing through the bar.
std::vector<float> bar_piece(double bpm, std::size_t meter, double seconds,
                             std::vector<double>& downbeats) {
  std::vector<float> x(std::size_t(seconds * kRate), 0.0f);
  const double beat_s = 60.0 / bpm;
  const int chords[4][3] = {{60, 64, 67}, {65, 69, 72}, {67, 71, 74}, {57, 60, 64}};
  auto add = [&](double at_s, double hz, double gain, double decay_s, double length_s) {
    const auto start = std::size_t(at_s * kRate);
    for (std::size_t n = 0; n < std::size_t(length_s * kRate) && start + n < x.size(); ++n) {
      const double t = double(n) / kRate;
      x[start + n] +=
          float(gain * std::exp(-t / decay_s) * std::sin(2 * std::numbers::pi * hz * t));
    }
  };
  auto midi = [](int note) { return 440 * std::pow(2.0, (note - 69) / 12.0); };
  std::mt19937 rng(3);
  std::normal_distribution<double> g(0.0, 1.0);
  for (std::size_t beat = 0; 0.5 + double(beat) * beat_s < seconds - 1; ++beat) {
    const double t = 0.5 + double(beat) * beat_s;
    const auto start = std::size_t(t * kRate);
    for (std::size_t n = 0; n < std::size_t(0.04 * kRate); ++n)  // hi-hat: decaying noise
      x[start + n] += float(0.15 * g(rng) * std::exp(-double(n) / kRate / 0.01));
    if (beat % meter == 0) {
      downbeats.push_back(t);
      const int* chord = chords[(beat / meter) % 4];
      add(t, 55, 0.6, 0.12, 0.4);  // kick
      add(t, midi(chord[0] - 24), 0.3, 1.0, double(meter) * beat_s);
      for (int i = 0; i < 3; ++i) add(t, midi(chord[i]), 0.1, 1.5, double(meter) * beat_s);
    }
  }
  return x;
}

// The shipped networks on those pieces: herscan's own beats, and on them the meter and the
// downbeats within ±70 ms of the bars' starts (all but the first and last bar).
TEST(Bars, ShippedNetworkFindsTheBarsOfSynthesisedPieces) {
  for (auto [bpm, meter] : {std::pair{120.0, std::size_t{4}}, std::pair{100.0, std::size_t{3}},
                            std::pair{132.0, std::size_t{4}}}) {
    std::vector<double> truth;
    const std::vector<float> x = bar_piece(bpm, meter, 40, truth);
    const test::OnsetFeatures f = test::onset_features(x);
    const TempoResult t =
        analyze_tempo(f.envelope, kFrameRate, {}, true, false, beat_activation(f.features));
    ASSERT_NEAR(t.bpm, bpm, 0.04 * bpm);
    const BarResult r =
        track_bars(t.beats_s, beat_activation(f.features, default_downbeat_net()), kFrameRate);
    EXPECT_EQ(r.beats_per_bar, meter) << bpm;
    std::size_t found = 0;
    for (std::size_t k = 1; k + 1 < truth.size(); ++k)
      for (std::size_t i = 0; i < t.beats_s.size(); ++i)
        if (r.positions[i] == 1 && std::abs(t.beats_s[i] - truth[k]) < 0.07) ++found;
    EXPECT_GE(found, truth.size() - 3) << bpm << " " << meter;
    EXPECT_GT(r.confidence, 0.5) << bpm << " " << meter;
  }
}

}  // namespace
}  // namespace herscan
