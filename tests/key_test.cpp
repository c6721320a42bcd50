// Chroma, tuning and key on synthesised signals: every expectation follows from the notes
// written into the signal.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "herscan/chroma.h"
#include "herscan/error.h"
#include "herscan/key.h"
#include "test_signals.h"

namespace herscan {
namespace {

constexpr double kRate = 22050;

StftConfig stft() {
  StftConfig c;
  c.sample_rate_hz = kRate;
  return c;
}

double midi_hz(double midi, double cents = 0) {
  return 440.0 * std::pow(2.0, (midi - 69 + cents / 100) / 12);
}

// Adds a note: a pure sine, or a harmonic tone (8 partials at 1/h, decaying like a struck string).
void add_note(std::vector<float>& x, double start_s, double dur_s, double midi, bool harmonic,
              double cents = 0, double gain = 0.15) {
  const auto first = std::size_t(start_s * kRate), n = std::size_t(dur_s * kRate);
  if (x.size() < first + n) x.resize(first + n, 0.0f);
  const double f0 = midi_hz(midi, cents);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = double(i) / kRate;
    const double env = std::min(1.0, t / 0.01) * std::min(1.0, (dur_s - t) / 0.02);
    double v = 0;
    for (int h = 1; h <= (harmonic ? 8 : 1); ++h) {
      if (f0 * h > kRate / 2 * 0.9) break;
      v += std::sin(2 * std::numbers::pi * f0 * h * t) / h *
           (harmonic ? std::exp(-t * h * 0.7) : 1.0);
    }
    x[first + i] += float(gain * env * v);
  }
}

const int kMajor[] = {0, 2, 4, 5, 7, 9, 11};
const int kHarmonicMinor[] = {0, 2, 3, 5, 7, 8, 11};

std::vector<float> triad(int tonic, bool minor, bool harmonic, double seconds = 3,
                         double cents = 0) {
  std::vector<float> x;
  const int root = 48 + tonic;
  for (int interval : {0, minor ? 3 : 4, 7})
    add_note(x, 0, seconds, root + interval, harmonic, cents);
  add_note(x, 0, seconds, root - 12, harmonic, cents);  // the root in the bass
  return x;
}

// The scale of the key up and down from the tonic, then the tonic triad: a cadence.
std::vector<float> scale_and_cadence(int tonic, bool minor, bool harmonic) {
  std::vector<float> x;
  const int* steps = minor ? kHarmonicMinor : kMajor;
  double t = 0;
  for (int i = 0; i < 8; ++i, t += 0.3)
    add_note(x, t, 0.3, 60 + tonic + (i < 7 ? steps[i] : 12), harmonic);
  for (int i = 6; i >= 0; --i, t += 0.3) add_note(x, t, 0.3, 60 + tonic + steps[i], harmonic);
  const auto chord = triad(tonic, minor, harmonic, 2.0);
  const auto at = std::size_t(t * kRate);
  x.resize(at + chord.size(), 0.0f);
  for (std::size_t i = 0; i < chord.size(); ++i) x[at + i] += chord[i];
  return x;
}

// The three largest chroma_stft means are the triad's pitch classes.
TEST(Chroma, TriadPeaksInEveryKey) {
  for (bool harmonic : {false, true}) {
    for (int tonic = 0; tonic < 12; ++tonic) {
      for (bool minor : {false, true}) {
        TonalConfig c;
        c.want_key = false;
        const TonalResult r = analyze_tonality(triad(tonic, minor, harmonic), stft(), c);
        std::array<int, 12> order{};
        for (int i = 0; i < 12; ++i) order[std::size_t(i)] = i;
        std::sort(order.begin(), order.end(), [&](int a, int b) {
          return r.chroma[std::size_t(a)].mean > r.chroma[std::size_t(b)].mean;
        });
        std::vector<int> top(order.begin(), order.begin() + 3),
            expected = {tonic, (tonic + (minor ? 3 : 4)) % 12, (tonic + 7) % 12};
        std::sort(top.begin(), top.end());
        std::sort(expected.begin(), expected.end());
        EXPECT_EQ(top, expected) << key_name(tonic, minor)
                                 << (harmonic ? " (harmonic tones)" : " (sines)");
      }
    }
  }
}

TEST(Key, TriadsInEveryKey) {
  for (bool harmonic : {false, true})
    for (int tonic = 0; tonic < 12; ++tonic)
      for (bool minor : {false, true}) {
        const KeyResult k = analyze_tonality(triad(tonic, minor, harmonic), stft()).key;
        ASSERT_TRUE(k.defined);
        EXPECT_EQ(key_name(k.tonic, k.minor), key_name(tonic, minor))
            << (harmonic ? "harmonic tones" : "sines");
      }
}

TEST(Key, ScalesWithACadenceInEveryKey) {
  for (bool harmonic : {false, true})
    for (int tonic = 0; tonic < 12; ++tonic)
      for (bool minor : {false, true}) {
        const KeyResult k = analyze_tonality(scale_and_cadence(tonic, minor, harmonic), stft()).key;
        EXPECT_EQ(key_name(k.tonic, k.minor), key_name(tonic, minor))
            << (harmonic ? "harmonic tones" : "sines");
      }
}

// A tone 30 cents sharp reads +30 ± 3 cents, and detuning the music does not move its key.
TEST(Tuning, DetunedToneAndDetunedMusic) {
  for (double cents : {-30.0, 30.0}) {
    for (double midi : {57.0, 69.0, 76.0}) {
      std::vector<float> x;
      add_note(x, 0, 3, midi, false, cents, 0.4);
      TonalConfig c;
      c.want_key = false;
      EXPECT_NEAR(analyze_tonality(x, stft(), c).tuning_semitones * 100, cents, 3.0)
          << "MIDI " << midi;
    }
    const TonalResult music = analyze_tonality(triad(7, true, true, 3, cents), stft());
    EXPECT_NEAR(music.tuning_semitones * 100, cents, 3.0);
    EXPECT_EQ(key_name(music.key.tonic, music.key.minor), "G minor") << cents << " cents";
  }
}

// I–IV–V–I in G major on harmonic tones, with a kick on every beat, a snare on 2 and 4 and noise
// hats on the eighths: the drums do not move the key.
TEST(Key, ProgressionWithDrumsKeepsItsKey) {
  std::vector<float> x;
  const double beat = 0.5;
  const int chords[4][3] = {{55, 59, 62}, {60, 64, 67}, {62, 66, 69}, {55, 59, 62}};  // G C D G
  for (int bar = 0; bar < 8; ++bar) {
    const auto& chord = chords[bar % 4];
    for (int note : chord) add_note(x, bar * 4 * beat, 4 * beat, note, true);
    add_note(x, bar * 4 * beat, 4 * beat, chord[0] - 12, true, 0, 0.3);
  }
  x.resize(x.size() + std::size_t(kRate));
  const auto noise = test::white_noise(x.size(), 1.0, 5);
  for (int b = 0; b < 32; ++b) {
    const auto at = std::size_t(b * beat * kRate);
    for (std::size_t i = 0; i < std::size_t(0.15 * kRate) && at + i < x.size(); ++i) {
      const double t = double(i) / kRate;
      x[at + i] +=
          float(0.8 * std::sin(2 * std::numbers::pi * (50 + 80 * std::exp(-t / 0.03)) * t) *
                std::exp(-t / 0.08));
      if (b % 2 == 1) x[at + i] += float(0.4 * noise[at + i] * std::exp(-t / 0.05));
    }
    for (double off : {0.0, 0.25}) {
      const auto h = std::size_t((b * beat + off) * kRate);
      for (std::size_t i = 0; i < std::size_t(0.03 * kRate) && h + i < x.size(); ++i)
        x[h + i] +=
            float(0.15 * noise[(h + i * 7) % noise.size()] * std::exp(-double(i) / kRate / 0.01));
    }
  }
  const KeyResult k = analyze_tonality(x, stft()).key;
  EXPECT_EQ(key_name(k.tonic, k.minor), "G major");
  EXPECT_GT(k.strength, 0.5);
}

// Silence has no key: a documented undefined result, not an arbitrary key.
TEST(Key, SilenceHasNoKey) {
  const TonalResult r = analyze_tonality(std::vector<float>(22050 * 3, 0.0f), stft());
  EXPECT_FALSE(r.key.defined);
  EXPECT_EQ(r.key.reason, "no tonal content (silence)");
  EXPECT_EQ(r.tuning_semitones, 0.0);
  for (const auto& s : r.chroma) EXPECT_EQ(s.mean, 0.0);
}

// White noise has a key only by accident: its strength stays low.
TEST(Key, NoiseHasALowStrength) {
  const KeyResult k = analyze_tonality(test::white_noise(22050 * 5, 0.2, 3), stft()).key;
  if (!k.defined) return;
  EXPECT_LT(k.strength, 0.5);
}

TEST(Key, ProfilesCandidatesAndNames) {
  const std::array<double, 12> c_major = {1, 0, 0.5, 0, 0.8, 0.6, 0, 0.9, 0, 0.5, 0, 0.4};
  for (KeyProfile p : {KeyProfile::krumhansl, KeyProfile::temperley, KeyProfile::edma,
                       KeyProfile::shaath, KeyProfile::herscan}) {
    const KeyResult k = estimate_key(c_major, p);
    EXPECT_EQ(key_name(k.tonic, k.minor), "C major") << key_profile_name(p);
    ASSERT_EQ(k.candidates.size(), 24u);
    for (std::size_t i = 1; i < k.candidates.size(); ++i)
      EXPECT_GE(k.candidates[i - 1].score, k.candidates[i].score);
    EXPECT_GE(k.strength, 0.0);
    EXPECT_LE(k.strength, 1.0);
    EXPECT_EQ(parse_key_profile(key_profile_name(p)), p);
  }
  EXPECT_FALSE(parse_key_profile("bogus"));
  EXPECT_EQ(camelot(0, false), "8B");   // C major
  EXPECT_EQ(camelot(9, true), "8A");    // A minor
  EXPECT_EQ(camelot(11, false), "1B");  // B major
  EXPECT_EQ(camelot(8, true), "1A");    // Ab minor
  EXPECT_EQ(camelot(1, true), "12A");   // C# minor
  EXPECT_EQ(camelot(4, false), "12B");  // E major
  EXPECT_EQ(key_name(10, true), "Bb minor");
}

// The key's confidence is a probability, and it falls as the evidence blurs towards the
// neighbouring key a fifth up (C major's chroma mixed with G major's, C still winning).
TEST(Key, ConfidenceFallsAsTheNeighbourGains) {
  const std::array<double, 12> c_major = {1, 0, 0.5, 0, 0.8, 0.6, 0, 0.9, 0, 0.5, 0, 0.4};
  double previous = 1.0;
  for (double share : {0.0, 0.2, 0.4}) {
    std::array<double, 12> mixed{};
    for (int pc = 0; pc < 12; ++pc)
      mixed[std::size_t(pc)] =
          (1 - share) * c_major[std::size_t(pc)] + share * c_major[std::size_t((pc + 5) % 12)];
    const KeyResult k = estimate_key(mixed, KeyProfile::herscan);
    ASSERT_EQ(key_name(k.tonic, k.minor), "C major") << share;
    EXPECT_GT(k.confidence, 0.0);
    EXPECT_LT(k.confidence, previous) << share;
    previous = k.confidence;
  }
}

// librosa.filters.chroma: each FFT bin's weights are L2-normalised across the pitch classes before
// the octave weighting, and a bin at a pitch class's centre frequency weighs most on that class.
TEST(ChromaFilterbank, Shape) {
  ChromaFilterbank fb(kRate, 2048);
  const std::size_t a440 = std::size_t(std::lround(440.0 * 2048 / kRate));  // bin 41 ≈ 440.6 Hz
  std::size_t best = 0;
  for (std::size_t c = 1; c < 12; ++c)
    if (fb.weight(c, a440) > fb.weight(best, a440)) best = c;
  EXPECT_EQ(best, 9u) << "A";
  std::array<float, 12> out{};
  std::vector<float> power(1025, 0.0f);
  power[a440] = 1.0f;
  fb.apply(power, out);
  for (std::size_t c = 0; c < 12; ++c) EXPECT_NEAR(out[c], fb.weight(c, a440), 1e-7);
}

// Key segments follow a change of key: twelve blocks in C major then twelve in A major (three
// sharps away) give two segments that change within a block of the true change; the same
// blocks without the change give one segment covering the music.
TEST(Key, SegmentsFollowAChangeOfKey) {
  const std::array<double, 12> c_major = {1, 0, 0.5, 0, 0.8, 0.6, 0, 0.9, 0, 0.5, 0, 0.4};
  auto rotated = [&](int tonic) {
    std::array<double, 12> r{};
    for (int pc = 0; pc < 12; ++pc) r[std::size_t((pc + tonic) % 12)] = c_major[std::size_t(pc)];
    return r;
  };
  KeyEvidence e;
  e.block_s = kKeyBlockSeconds;
  e.start_s = 1.0;
  for (int b = 0; b < 24; ++b) e.blocks.push_back(rotated(b < 12 ? 0 : 9));
  e.end_s = e.start_s + 24 * e.block_s;
  for (const auto& block : e.blocks)
    for (std::size_t c = 0; c < 12; ++c) e.global[c] += block[c];
  const KeyResult k = estimate_key(e, KeyProfile::herscan);
  ASSERT_EQ(k.segments.size(), 2u);
  EXPECT_EQ(key_name(k.segments[0].tonic, k.segments[0].minor), "C major");
  EXPECT_EQ(key_name(k.segments[1].tonic, k.segments[1].minor), "A major");
  EXPECT_DOUBLE_EQ(k.segments[0].start_s, 1.0);
  EXPECT_NEAR(k.segments[1].start_s, 1.0 + 12 * kKeyBlockSeconds, kKeyBlockSeconds);
  EXPECT_DOUBLE_EQ(k.segments[0].end_s, k.segments[1].start_s);
  EXPECT_DOUBLE_EQ(k.segments[1].end_s, e.end_s);

  KeyEvidence steady = e;
  for (auto& block : steady.blocks) block = rotated(0);
  const KeyResult one = estimate_key(steady, KeyProfile::temperley);
  ASSERT_EQ(one.segments.size(), 1u);
  EXPECT_EQ(key_name(one.segments[0].tonic, one.segments[0].minor), "C major");
  EXPECT_DOUBLE_EQ(one.segments[0].start_s, 1.0);
  EXPECT_DOUBLE_EQ(one.segments[0].end_s, e.end_s);
}

}  // namespace
}  // namespace herscan
