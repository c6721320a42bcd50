// The beat network: its forward pass against an independent reading of beat_net.h's definition,
// its text form, its input features against the onset envelope they refine, and the shipped
// network on click tracks whose beats are known.
#include "herscan/beat_net.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>

#include "herscan/error.h"
#include "herscan/mel.h"
#include "herscan/stft.h"
#include "herscan/tempo.h"
#include "test_signals.h"

namespace herscan {
namespace {

constexpr double kRate = 22050;
constexpr double kFrameRate = kRate / 512;

BeatNet random_net(std::size_t channels, std::vector<std::size_t> dilations, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 0.4f);
  auto fill = [&](std::size_t n) {
    std::vector<float> v(n);
    for (float& x : v) x = g(rng);
    return v;
  };
  BeatNet n;
  n.channels = channels;
  n.in_w = fill(channels * kBeatFeatures);
  n.in_b = fill(channels);
  for (std::size_t d : dilations)
    n.blocks.push_back({d, fill(channels * channels * 3), fill(channels), fill(channels * channels),
                        fill(channels)});
  n.out_w = fill(channels);
  n.out_b = g(rng);
  return n;
}

// The definition, frame by frame and in double precision: over the features extended at both ends
// by silence beyond the receptive field's reach, the convolutions reading zeros beyond that.
std::vector<double> reference_activation(const std::vector<float>& given, const BeatNet& n) {
  std::size_t reach = 0;
  for (const BeatNet::Block& b : n.blocks) reach += b.dilation;
  std::vector<float> silence(kBeatFeatures, -1.0f);
  std::fill(silence.begin(), silence.begin() + kBeatBands, 0.0f);
  std::vector<float> features;
  for (std::size_t t = 0; t < reach; ++t)
    features.insert(features.end(), silence.begin(), silence.end());
  features.insert(features.end(), given.begin(), given.end());
  for (std::size_t t = 0; t < reach; ++t)
    features.insert(features.end(), silence.begin(), silence.end());
  const std::size_t frames = features.size() / kBeatFeatures, c = n.channels;
  std::vector<std::vector<double>> h(frames, std::vector<double>(c));
  for (std::size_t t = 0; t < frames; ++t)
    for (std::size_t o = 0; o < c; ++o) {
      double sum = n.in_b[o];
      for (std::size_t f = 0; f < kBeatFeatures; ++f) {
        const double v = features[t * kBeatFeatures + f];
        sum += n.in_w[o * kBeatFeatures + f] * (f < kBeatBands ? std::log1p(v) : v);
      }
      h[t][o] = sum;
    }
  for (const BeatNet::Block& b : n.blocks) {
    auto at = [&](std::ptrdiff_t t, std::size_t i) {
      return t < 0 || t >= std::ptrdiff_t(frames) ? 0.0 : h[std::size_t(t)][i];
    };
    std::vector<std::vector<double>> u(frames, std::vector<double>(c));
    for (std::size_t t = 0; t < frames; ++t)
      for (std::size_t o = 0; o < c; ++o) {
        double z = b.conv_b[o];
        for (std::size_t i = 0; i < c; ++i)
          for (int k = 0; k < 3; ++k)
            z += b.conv_w[(o * c + i) * 3 + std::size_t(k)] *
                 at(std::ptrdiff_t(t) + (k - 1) * std::ptrdiff_t(b.dilation), i);
        u[t][o] = z > 0 ? z : std::expm1(z);
      }
    for (std::size_t t = 0; t < frames; ++t)
      for (std::size_t o = 0; o < c; ++o) {
        double z = b.mix_b[o];
        for (std::size_t i = 0; i < c; ++i) z += b.mix_w[o * c + i] * u[t][i];
        h[t][o] += z;
      }
  }
  std::vector<double> a(frames - 2 * reach);
  for (std::size_t t = 0; t < a.size(); ++t) {
    double z = n.out_b;
    for (std::size_t i = 0; i < c; ++i) z += n.out_w[i] * h[t + reach][i];
    a[t] = 1 / (1 + std::exp(-z));
  }
  return a;
}

std::vector<float> random_features(std::size_t frames, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> flux(0.0f, 6.0f), level(-1.0f, 0.0f);
  std::vector<float> x(frames * kBeatFeatures);
  for (std::size_t t = 0; t < frames; ++t)
    for (std::size_t f = 0; f < kBeatFeatures; ++f)
      x[t * kBeatFeatures + f] = f < kBeatBands ? flux(rng) : level(rng);
  return x;
}

TEST(BeatNet, ForwardPassIsTheDefinition) {
  // Dilations longer than the signal reach only silence beyond the ends.
  const BeatNet net = random_net(5, {1, 4, 16, 64}, 3);
  const auto features = random_features(40, 4);
  const auto a = beat_activation(features, net);
  const auto expected = reference_activation(features, net);
  ASSERT_EQ(a.size(), 40u);
  for (std::size_t t = 0; t < a.size(); ++t) EXPECT_NEAR(a[t], expected[t], 1e-5) << t;
  EXPECT_TRUE(beat_activation({}, net).empty());
}

// A long input is computed in chunks with context: the same values as the definition over the
// whole sequence, across the chunks' seams.
TEST(BeatNet, LongInputsEqualTheWholeSequence) {
  const BeatNet net = random_net(3, {1, 8, 64, 128}, 7);
  const auto features = random_features(20000, 8);
  const auto a = beat_activation(features, net);
  const auto expected = reference_activation(features, net);
  ASSERT_EQ(a.size(), expected.size());
  double worst = 0;
  for (std::size_t t = 0; t < a.size(); ++t) worst = std::max(worst, std::abs(a[t] - expected[t]));
  EXPECT_LT(worst, 1e-4);
}

TEST(BeatNet, TextFormRoundTripsAndMalformedFilesAreRefused) {
  const BeatNet net = random_net(3, {1, 2}, 5);
  const auto dir = std::filesystem::temp_directory_path() / "herscan_beat_net_test";
  std::filesystem::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream(dir / name) << text;
    return (dir / name).string();
  };
  std::string text = "herscan-beat-net 1\n3 2\n";
  auto put = [&](const std::vector<float>& v) {
    for (float x : v) text += std::to_string(double(x)) + " ";
    text += "\n";
  };
  put(net.in_w);
  put(net.in_b);
  for (const auto& b : net.blocks) {
    text += std::to_string(b.dilation) + "\n";
    put(b.conv_w);
    put(b.conv_b);
    put(b.mix_w);
    put(b.mix_b);
  }
  put(net.out_w);
  text += std::to_string(double(net.out_b)) + "\n";
  const BeatNet read = read_beat_net(write("net.txt", text));
  const auto features = random_features(30, 6);
  const auto a = beat_activation(features, net), b = beat_activation(features, read);
  for (std::size_t t = 0; t < a.size(); ++t) EXPECT_NEAR(a[t], b[t], 1e-5);

  EXPECT_THROW(read_beat_net(write("magic.txt", "not-a-net 1\n3 2\n")), Error);
  EXPECT_THROW(read_beat_net(write("short.txt", text.substr(0, text.size() / 2))), Error);
  EXPECT_THROW(read_beat_net(write("zero.txt", "herscan-beat-net 1\n0 0\n")), Error);
  EXPECT_THROW(read_beat_net((dir / "absent.txt").string()), Error);
  BeatNet bad = net;
  bad.blocks[0].mix_w.pop_back();
  EXPECT_THROW(beat_activation(features, bad), Error);
  EXPECT_THROW(beat_activation(std::vector<float>(kBeatFeatures + 1, 0.0f), net), Error);
  std::filesystem::remove_all(dir);
}

// A click track (test::add_click) at `bpm` from 0.5 s to half a second before the end.
std::vector<float> click_track(double bpm, double seconds, std::vector<double>& clicks) {
  std::vector<float> x(std::size_t(seconds * kRate), 0.0f);
  for (double t = 0.5; t < seconds - 0.5; t += 60.0 / bpm) {
    clicks.push_back(t);
    test::add_click(x, t, kRate);
  }
  return x;
}

using test::onset_features;

// The band fluxes are the onset envelope split into equal groups of mel bands: their mean is the
// envelope; the levels lie between the floor (−1) and the loudest band (0).
TEST(BeatNet, FeaturesRefineTheOnsetEnvelope) {
  std::vector<double> clicks;
  const auto a = onset_features(click_track(120, 8, clicks));
  ASSERT_EQ(a.features.size(), a.envelope.size() * kBeatFeatures);
  for (std::size_t t = 0; t < a.envelope.size(); ++t) {
    double mean = 0;
    for (std::size_t g = 0; g < kBeatBands; ++g) mean += a.features[t * kBeatFeatures + g];
    EXPECT_NEAR(mean / kBeatBands, a.envelope[t], 1e-3 * (1 + a.envelope[t])) << t;
    for (std::size_t g = kBeatBands; g < kBeatFeatures; ++g) {
      EXPECT_LE(a.features[t * kBeatFeatures + g], 0.0f);
      EXPECT_GE(a.features[t * kBeatFeatures + g], -1.0f);
    }
  }
  for (std::size_t f = 0; f < 3 * kBeatFeatures; ++f)
    EXPECT_EQ(a.features[f], f % kBeatFeatures < kBeatBands ? 0.0f : -1.0f);
  EXPECT_THROW(
      MelProcessor(StftConfig{}, MelConfig{.n_mels = 40}, {}, MelKeep{.beat_features = true})
          .finish(),
      Error);
}

// The shipped network on click tracks: the activation stands out at the clicks, and the beats
// placed on it fall on them.
TEST(BeatNet, ShippedNetworkHearsClicks) {
  for (double bpm : {90.0, 128.0}) {
    std::vector<double> clicks;
    const auto a = onset_features(click_track(bpm, 20, clicks));
    const auto act = beat_activation(a.features);
    ASSERT_EQ(act.size(), a.envelope.size());
    double at_clicks = 0, elsewhere = 0;
    std::size_t n_at = 0, n_else = 0;
    std::vector<char> near(act.size(), 0);
    for (double c : clicks)
      for (int d = -2; d <= 2; ++d) {
        const auto t = std::ptrdiff_t(std::lround(c * kFrameRate)) + d;
        if (t >= 0 && t < std::ptrdiff_t(act.size())) near[std::size_t(t)] = 1;
      }
    for (std::size_t t = 0; t < act.size(); ++t) {
      (near[t] ? at_clicks : elsewhere) += act[t];
      ++(near[t] ? n_at : n_else);
    }
    EXPECT_GT(at_clicks / double(n_at), 4 * elsewhere / double(n_else)) << bpm;
    const TempoResult r = analyze_tempo(a.envelope, kFrameRate, {}, true, false, act);
    ASSERT_TRUE(r.defined);
    EXPECT_NEAR(r.bpm, bpm, 0.01 * bpm);
    EXPECT_GE(r.beats_s.size() + 2, clicks.size()) << bpm;
    for (double b : r.beats_s) {
      double nearest = 1e9;
      for (double c : clicks) nearest = std::min(nearest, std::abs(b - c));
      EXPECT_LE(nearest, 0.035) << bpm << " BPM, beat at " << b << " s";
    }
  }
}

// With an activation the beats are where it peaks, not where the envelope does: a hand-made
// activation half a beat after each click moves every beat by half a beat; one of the wrong
// length is refused.
TEST(BeatNet, BeatsFollowTheActivation) {
  std::vector<double> clicks;
  const double bpm = 100;
  const auto a = onset_features(click_track(bpm, 20, clicks));
  std::vector<float> act(a.envelope.size(), 0.01f);
  const double half = 30.0 / bpm;
  for (double c : clicks)
    for (std::size_t t = 0; t < act.size(); ++t)
      act[t] += float(std::exp(-0.5 * std::pow((double(t) / kFrameRate - c - half) / 0.02, 2)));
  const TempoResult r = analyze_tempo(a.envelope, kFrameRate, {}, true, false, act);
  ASSERT_GE(r.beats_s.size() + 2, clicks.size());
  for (double b : r.beats_s) {
    double nearest = 1e9;
    for (double c : clicks) nearest = std::min(nearest, std::abs(b - c - half));
    EXPECT_LE(nearest, 0.025) << "beat at " << b << " s";
  }
  act.pop_back();
  EXPECT_THROW(analyze_tempo(a.envelope, kFrameRate, {}, true, false, act), Error);
}

// The beat pointer follows rubato and bridges a gap: beats at a tempo wandering ±8 % around
// 100 BPM (a 10 s sinusoid), an activation peaking at each of them except three in a row in the
// middle. Every beat is found within 25 ms, the three unheard ones within 50 ms (the pointer keeps
// its pace through them), and none is added.
TEST(BeatNet, BeatPointerFollowsRubatoAndBridgesAGap) {
  std::vector<double> beats;
  for (double t = 0.5; t < 29.5; t += 0.6 / (1 + 0.08 * std::sin(2 * std::numbers::pi * t / 10)))
    beats.push_back(t);
  std::vector<float> x(std::size_t(30 * kRate), 0.0f);
  for (double t : beats) test::add_click(x, t, kRate);
  const auto a = onset_features(x);
  std::vector<float> act(a.envelope.size(), 0.01f);
  const std::size_t gap = beats.size() / 2;
  for (std::size_t i = 0; i < beats.size(); ++i) {
    if (i >= gap && i < gap + 3) continue;
    for (std::size_t t = 0; t < act.size(); ++t)
      act[t] +=
          float(0.8 * std::exp(-0.5 * std::pow((double(t) / kFrameRate - beats[i]) / 0.02, 2)));
  }
  const TempoResult r = analyze_tempo(a.envelope, kFrameRate, {}, true, false, act);
  EXPECT_LE(r.beats_s.size(), beats.size());
  for (std::size_t i = 1; i + 1 < beats.size(); ++i) {
    double nearest = 1e9;
    for (double b : r.beats_s) nearest = std::min(nearest, std::abs(b - beats[i]));
    EXPECT_LE(nearest, i >= gap && i < gap + 3 ? 0.050 : 0.025)
        << "beat " << i << " at " << beats[i];
  }
}

}  // namespace
}  // namespace herscan
