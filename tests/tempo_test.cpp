// Tempo, beats and the tempo curve on synthesised rhythms: every expectation comes from where the
// clicks and drums were placed.
#include "herscan/tempo.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "herscan/beat_net.h"
#include "herscan/error.h"
#include "herscan/mel.h"
#include "herscan/profile.h"
#include "test_signals.h"

namespace herscan {
namespace {

constexpr double kRate = 22050;
constexpr double kFrameRate = kRate / 512;

// librosa's onset envelope (the profile's) of a mono signal at 22050 Hz, and the beat network's
// activation of the same frames (what the profile passes to analyze_tempo).
struct Onsets {
  std::vector<float> envelope, activation;
};
Onsets onsets_of(const std::vector<float>& x) {
  test::OnsetFeatures f = test::onset_features(x);
  return {std::move(f.envelope), beat_activation(f.features)};
}

TempoResult tempo_of(const std::vector<float>& x, const TempoConfig& config = {}, bool beats = true,
                     bool curve = false) {
  const Onsets o = onsets_of(x);
  return analyze_tempo(o.envelope, kFrameRate, config, beats, curve, o.activation);
}

std::vector<double> click_times(double bpm, double start, double end) {
  std::vector<double> t;
  for (double b = start; b < end; b += 60.0 / bpm) t.push_back(b);
  return t;
}

// Click tracks: the tempo within 1 %, and every beat within 20 ms of a click (the tracker may drop
// a beat at either end, and adds none).
TEST(Tempo, ClickTracks) {
  for (double bpm : {60.0, 97.5, 120.0, 174.0, 200.0}) {
    std::vector<float> x(std::size_t(20 * kRate), 0.0f);
    const auto clicks = click_times(bpm, 0.5, 19.5);
    for (double t : clicks) test::add_click(x, t, kRate);
    const TempoResult r = tempo_of(x);
    ASSERT_TRUE(r.defined);
    EXPECT_NEAR(r.bpm, bpm, 0.01 * bpm) << bpm << " BPM";
    EXPECT_GT(r.confidence, 0.5) << bpm << " BPM";
    EXPECT_GE(r.beats_s.size() + 2, clicks.size()) << bpm << " BPM";
    EXPECT_LE(r.beats_s.size(), clicks.size()) << bpm << " BPM";
    for (double b : r.beats_s) {
      double nearest = 1e9;
      for (double c : clicks) nearest = std::min(nearest, std::abs(b - c));
      EXPECT_LE(nearest, 0.020) << bpm << " BPM, beat at " << b << " s";
    }
  }
}

// The metrical levels of a click track: the candidates (the tempogram's peaks) include the clicks'
// tempo and half of it, in lag order; the result's levels are a probability distribution, most
// probable first, whose first is the tempo reported; the confidence is a probability.
TEST(Tempo, CandidatesAreLevelsWithProbabilities) {
  std::vector<float> x(std::size_t(20 * kRate), 0.0f);
  for (double t : click_times(120, 0.5, 19.5)) test::add_click(x, t, kRate);
  const Onsets o = onsets_of(x);
  const auto evidence = tempo_candidates(o.envelope, kFrameRate);
  auto has_level = [&](double bpm) {
    for (const TempoEvidence& e : evidence)
      if (std::abs(e.bpm - bpm) < 0.02 * bpm) return true;
    return false;
  };
  EXPECT_TRUE(has_level(120));
  EXPECT_TRUE(has_level(60));
  for (std::size_t i = 1; i < evidence.size(); ++i) EXPECT_LT(evidence[i - 1].lag, evidence[i].lag);
  for (const TempoEvidence& e : evidence) {
    EXPECT_GE(e.x[6], 0.0);  // the pulse clarity
    EXPECT_LE(e.x[6], 1.0);
  }
  const TempoResult r = analyze_tempo(o.envelope, kFrameRate, {}, true, false, o.activation);
  ASSERT_EQ(r.candidates.size(), evidence.size());
  double total = 0;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    total += r.candidates[i].probability;
    if (i > 0) {
      EXPECT_GE(r.candidates[i - 1].probability, r.candidates[i].probability);
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_NEAR(r.candidates.front().bpm, r.bpm, 0.01 * r.bpm);
  EXPECT_GT(r.confidence, 0.0);
  EXPECT_LT(r.confidence, 1.0);
  EXPECT_GT(r.pulse_clarity, 0.5);
  // An envelope without onsets has no candidates.
  EXPECT_TRUE(tempo_candidates(std::vector<float>(1000, -100.0f), kFrameRate).empty());
}

// A drum loop (kick on 1 and 3, snare on 2 and 4, noise hats on the eighths) at 120 BPM keeps its
// tempo when the whole loop starts half a beat later.
std::vector<float> drum_loop(double bpm, double offset_s, double seconds) {
  std::vector<float> x(std::size_t(seconds * kRate), 0.0f);
  const auto noise = test::white_noise(x.size(), 1.0, 11);
  const double beat = 60.0 / bpm;
  for (int b = 0; offset_s + b * beat < seconds - 0.5; ++b) {
    const auto at = std::size_t((offset_s + b * beat) * kRate);
    for (std::size_t i = 0; i < std::size_t(0.15 * kRate) && at + i < x.size(); ++i) {
      const double t = double(i) / kRate;
      if (b % 2 == 0)
        x[at + i] +=
            float(0.7 * std::sin(2 * std::numbers::pi * (50 + 90 * std::exp(-t / 0.03)) * t) *
                  std::exp(-t / 0.08));
      else
        x[at + i] += float(0.35 * noise[at + i] * std::exp(-t / 0.05));
    }
    for (double half : {0.0, 0.5}) {
      const auto h = std::size_t((offset_s + (b + half) * beat) * kRate);
      for (std::size_t i = 0; i < std::size_t(0.03 * kRate) && h + i < x.size(); ++i)
        x[h + i] +=
            float(0.1 * noise[(h + 7 * i) % noise.size()] * std::exp(-double(i) / kRate / 0.01));
    }
  }
  return x;
}

TEST(Tempo, DrumLoopShiftedByHalfABeat) {
  const TempoResult a = tempo_of(drum_loop(120, 0.5, 20));
  const TempoResult b = tempo_of(drum_loop(120, 0.75, 20));
  EXPECT_NEAR(a.bpm, 120, 1.2);
  EXPECT_NEAR(b.bpm, 120, 1.2);
}

// A tempo step from 100 to 130 BPM at 15 s shows in the tempo curve: the median of the curve
// over each half (away from the step) within 3 % of that half's tempo.
TEST(Tempo, TempoStepShowsInTheCurve) {
  std::vector<float> x(std::size_t(30 * kRate), 0.0f);
  std::vector<double> clicks = click_times(100, 0.5, 15.0);
  const double step = clicks.back() + 60.0 / 100;
  for (double t = step; t < 29.5; t += 60.0 / 130) clicks.push_back(t);
  for (double t : clicks) test::add_click(x, t, kRate);
  const TempoResult r = tempo_of(x, {}, true, true);
  ASSERT_EQ(r.local_bpm.size(), 1 + x.size() / 512);
  auto median_between = [&](double from_s, double to_s) {
    std::vector<float> part(r.local_bpm.begin() + std::ptrdiff_t(from_s * kFrameRate),
                            r.local_bpm.begin() + std::ptrdiff_t(to_s * kFrameRate));
    std::nth_element(part.begin(), part.begin() + std::ptrdiff_t(part.size() / 2), part.end());
    return double(part[part.size() / 2]);
  };
  EXPECT_NEAR(median_between(2, 12), 100, 3);
  EXPECT_NEAR(median_between(18, 28), 130, 3.9);
  // The beats follow the step: in the second half they come every 60/130 s.
  std::vector<double> late;
  for (double b : r.beats_s)
    if (b > 18 && b < 28) late.push_back(b);
  ASSERT_GT(late.size(), 10u);
  EXPECT_NEAR((late.back() - late.front()) / double(late.size() - 1), 60.0 / 130, 0.01);
}

// Silence and a steady tone have no tempo (a reason says why); white noise has no reliable pulse:
// a tempo with a confidence below kNoReliablePulse.
TEST(Tempo, SilenceAndNoise) {
  const TempoResult silence = tempo_of(std::vector<float>(22050 * 10, 0.0f));
  EXPECT_FALSE(silence.defined);
  EXPECT_EQ(silence.reason, "no onsets (silence)");
  EXPECT_TRUE(silence.beats_s.empty());
  const TempoResult noise = tempo_of(test::white_noise(22050 * 20, 0.2, 4));
  EXPECT_TRUE(noise.defined);
  EXPECT_LT(noise.confidence, kNoReliablePulse);
  EXPECT_LT(noise.pulse_clarity, 0.5);
  // A steady tone has no onsets either: its envelope only flickers at the rounding level.
  const TempoResult tone = tempo_of(test::sine(440, 0.3, 22050, 22050 * 10));
  EXPECT_FALSE(tone.defined);
  EXPECT_EQ(tone.reason, "no onsets (a steady sound)");
}

// The pipeline's block size changes nothing: the tempo and the beats are identical.
TEST(Tempo, BlockSizeDoesNotChangeTheResult) {
  test::TempDir dir;
  const auto path = dir / "loop.wav";
  const auto x = drum_loop(120, 0.3, 12);
  test::write_audio(path, x, 1, 22050, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  ProfileOptions options;
  options.features = FeatureSet(Feature::beats);
  options.block_frames = 4096;
  const Profile a = analyze_file(path, options);
  options.block_frames = 7;
  const Profile b = analyze_file(path, options);
  ASSERT_TRUE(a.tempo && b.tempo);
  EXPECT_EQ(a.tempo->bpm, b.tempo->bpm);
  EXPECT_EQ(a.tempo->beats_s, b.tempo->beats_s);
  EXPECT_NEAR(a.tempo->bpm, 120, 1.2);
}

TEST(Tempo, ConfigurationIsValidated) {
  TempoConfig c;
  c.min_bpm = 300;
  EXPECT_THROW(analyze_tempo(std::vector<float>(100, 1.0f), kFrameRate, c), Error);
  c = {};
  c.local_window_s = 0;
  EXPECT_THROW(analyze_tempo(std::vector<float>(100, 1.0f), kFrameRate, c), Error);
}

}  // namespace
}  // namespace herscan
