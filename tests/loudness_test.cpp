#include "herscan/loudness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>

#include "herscan/error.h"
#include "k_weighting.h"
#include "test_signals.h"

namespace herscan {
namespace {

using P = ChannelPosition;

// Power gain |H(e^{jω})|² of the K-weighting cascade at f Hz, evaluated from its coefficients.
double k_power_gain(double f, double fs) {
  const auto k = detail::k_weighting(fs);
  const std::complex<double> z = std::polar(1.0, -2 * std::numbers::pi * f / fs);  // z^-1
  double g = 1;
  for (const auto& b : k) {
    const auto h = (b.b0 + b.b1 * z + b.b2 * z * z) / (1.0 + b.a1 * z + b.a2 * z * z);
    g *= std::norm(h);
  }
  return g;
}

std::vector<float> tone(double rate, int channels, double seconds, double dbfs, double f = 1000,
                        std::vector<int> active = {}) {
  const auto n = std::size_t(seconds * rate);
  const double a = std::pow(10.0, dbfs / 20);
  std::vector<float> x(n * std::size_t(channels), 0.0f);
  for (std::size_t i = 0; i < n; ++i) {
    const float v = float(a * std::sin(2 * std::numbers::pi * f * double(i) / rate));
    for (int c = 0; c < channels; ++c)
      if (active.empty() || std::find(active.begin(), active.end(), c) != active.end())
        x[i * std::size_t(channels) + std::size_t(c)] = v;
  }
  return x;
}

LoudnessResult measure(const std::vector<float>& x, double rate, int channels,
                       bool true_peak = true) {
  LoudnessConfig c;
  c.sample_rate_hz = rate;
  c.channels = channels;
  c.true_peak = true_peak;
  return measure_loudness(x, c);
}

// BS.1770-4 Table 1 and Table 2: the 48 kHz coefficients, reproduced by the re-derivation.
TEST(KWeighting, ReproducesTheRecommendationsTableAt48kHz) {
  const auto k = detail::k_weighting(48000);
  EXPECT_NEAR(k[0].b0, 1.53512485958697, 1e-12);
  EXPECT_NEAR(k[0].b1, -2.69169618940638, 1e-12);
  EXPECT_NEAR(k[0].b2, 1.19839281085285, 1e-12);
  EXPECT_NEAR(k[0].a1, -1.69065929318241, 1e-12);
  EXPECT_NEAR(k[0].a2, 0.73248077421585, 1e-12);
  EXPECT_EQ(k[1].b0, 1.0);
  EXPECT_EQ(k[1].b1, -2.0);
  EXPECT_EQ(k[1].b2, 1.0);
  EXPECT_NEAR(k[1].a1, -1.99004745483398, 1e-12);
  EXPECT_NEAR(k[1].a2, 0.99007225036621, 1e-12);
}

// The −0.691 dB constant of BS.1770 cancels the K-weighting gain at 1 kHz, so a 1 kHz sine
// reads its level. The bilinear re-derivation is exact at the prototypes' pre-warped
// frequencies, not at 1 kHz: the gain there moves by up to 0.02 dB between 44.1 and 192 kHz,
// well inside the ±0.1 LU calibration tolerance.
TEST(KWeighting, GainAt1kHzIsTheCalibrationConstant) {
  for (double fs : {44100.0, 48000.0, 96000.0, 192000.0})
    EXPECT_NEAR(10 * std::log10(k_power_gain(1000, fs)), 0.691, 0.03) << fs;
}

TEST(ChannelWeights, DefaultsAndLayouts) {
  EXPECT_EQ(channel_weights(1, {}), (std::vector<double>{1}));
  EXPECT_EQ(channel_weights(2, {}), (std::vector<double>{1, 1}));
  EXPECT_EQ(channel_weights(5, {}), (std::vector<double>{1, 1, 1, 1.41, 1.41}));
  EXPECT_EQ(channel_weights(6, {}), (std::vector<double>{1, 1, 1, 0, 1.41, 1.41})) << "SMPTE 5.1";
  EXPECT_EQ(channel_weights(8, {}), (std::vector<double>{1, 1, 1, 0, 1, 1, 1.41, 1.41}))
      << "SMPTE 7.1";
  // A 5.1 file declaring its surrounds as the back pair (WAVE mask 0x3F).
  EXPECT_EQ(channel_weights(6, {P::front_left, P::front_right, P::front_center, P::lfe,
                                P::back_left, P::back_right}),
            (std::vector<double>{1, 1, 1, 0, 1.41, 1.41}));
  EXPECT_EQ(channel_weights(2, {P::front_left, P::front_right}), (std::vector<double>{1, 1}));
  EXPECT_EQ(channel_weights(3, {P::unknown, P::unknown, P::unknown}),
            (std::vector<double>{1, 1, 1}));
}

// Any split of the input gives the same values: blocks of 1, 37 and 65536 frames.
TEST(Loudness, BlockSizeDoesNotChangeTheResult) {
  const double rate = 44100;
  auto x = tone(rate, 2, 6, -18, 997);
  const auto noise = test::white_noise(x.size(), 0.05, 3);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] += noise[i] * float(0.5 + 0.5 * std::sin(double(i) / 20000));
  LoudnessConfig c;
  c.sample_rate_hz = rate;
  std::vector<LoudnessResult> results;
  for (std::size_t block : {std::size_t(1), std::size_t(37), std::size_t(65536)}) {
    LoudnessMeter m(c);
    for (std::size_t i = 0; i < x.size() / 2; i += block)
      m.push(x.data() + 2 * i, std::min(block, x.size() / 2 - i));
    m.finish();
    results.push_back(m.result());
  }
  for (std::size_t i = 1; i < results.size(); ++i) {
    EXPECT_NEAR(results[i].integrated_lufs, results[0].integrated_lufs, 1e-9);
    EXPECT_NEAR(results[i].range_lu, results[0].range_lu, 1e-9);
    EXPECT_NEAR(results[i].momentary_max_lufs, results[0].momentary_max_lufs, 1e-9);
    EXPECT_NEAR(results[i].short_term_max_lufs, results[0].short_term_max_lufs, 1e-9);
    EXPECT_EQ(results[i].sample_peak_dbfs, results[0].sample_peak_dbfs);
    EXPECT_EQ(results[i].true_peak_dbtp, results[0].true_peak_dbtp);
  }
}

TEST(Loudness, DigitalSilenceIsUndefinedWithReasons) {
  const auto r = measure(std::vector<float>(2 * 48000 * 5, 0.0f), 48000, 2);
  for (double v : {r.integrated_lufs, r.range_lu, r.momentary_max_lufs, r.short_term_max_lufs,
                   r.sample_peak_dbfs, r.true_peak_dbtp, r.replaygain_db})
    EXPECT_TRUE(std::isnan(v));
  EXPECT_EQ(r.undefined.at("integrated_lufs"), "below absolute gate (-70 LUFS)");
  EXPECT_EQ(r.undefined.at("range_lu"), "below absolute gate (-70 LUFS)");
  EXPECT_EQ(r.undefined.at("momentary_max_lufs"), "digital silence");
  EXPECT_EQ(r.undefined.at("sample_peak_dbfs"), "digital silence");
  EXPECT_EQ(r.undefined.at("replaygain_db"), r.undefined.at("integrated_lufs"));
}

// 100 ms: shorter than every window, but the peaks are defined.
TEST(Loudness, HundredMillisecondFile) {
  const auto r = measure(tone(48000, 2, 0.1, -6), 48000, 2);
  EXPECT_TRUE(std::isnan(r.integrated_lufs));
  EXPECT_TRUE(std::isnan(r.momentary_max_lufs));
  EXPECT_NE(r.undefined.at("momentary_max_lufs").find("400 ms"), std::string::npos);
  EXPECT_NE(r.undefined.at("range_lu").find("3 s"), std::string::npos);
  EXPECT_NEAR(r.sample_peak_dbfs, -6.0, 0.01);
  EXPECT_NEAR(r.true_peak_dbtp, -6.0, 0.05);
}

// A full-scale square wave (period 48 samples at 48 kHz: 24 samples at +1, 24 at −1). Its
// loudness follows from Parseval: z = Σ_k |X_k / P|² · |H(f_k)|² per channel.
TEST(Loudness, FullScaleSquareWave) {
  const double rate = 48000;
  const std::size_t period = 48;
  std::vector<float> x(2 * 48000 * 5);
  for (std::size_t i = 0; i < x.size() / 2; ++i)
    x[2 * i] = x[2 * i + 1] = (i % period) < period / 2 ? 1.0f : -1.0f;
  double z = 0;
  for (std::size_t k = 1; k < period; ++k) {
    std::complex<double> X = 0;
    for (std::size_t n = 0; n < period; ++n)
      X += ((n < period / 2) ? 1.0 : -1.0) *
           std::polar(1.0, -2 * std::numbers::pi * double(k * n) / double(period));
    z += std::norm(X / double(period)) * k_power_gain(rate * double(k) / double(period), rate);
  }
  const double expected = -0.691 + 10 * std::log10(2 * z);  // two channels
  const auto r = measure(x, rate, 2);
  EXPECT_NEAR(r.integrated_lufs, expected, 0.01);
  EXPECT_EQ(r.sample_peak_dbfs, 0.0);
  EXPECT_GT(r.true_peak_dbtp, 0.0) << "the band-limited square wave overshoots between samples";
  EXPECT_LT(r.true_peak_dbtp, 3.0);
}

// The K-weighting high-pass removes DC; the sample peak includes it.
TEST(Loudness, DcOffset) {
  auto x = tone(48000, 2, 10, -20);
  const auto reference = measure(x, 48000, 2);
  for (float& v : x) v += 0.3f;
  const auto r = measure(x, 48000, 2);
  EXPECT_NEAR(r.integrated_lufs, reference.integrated_lufs, 0.05);
  EXPECT_NEAR(r.sample_peak_dbfs, 20 * std::log10(0.1 + 0.3), 0.01);
}

// Mono at 8 kHz: one channel of weight 1, the K-weighting re-derived for 8 kHz.
TEST(Loudness, EightKilohertzMono) {
  const double rate = 8000, dbfs = -20;
  const auto r = measure(tone(rate, 1, 10, dbfs), rate, 1);
  const double a = std::pow(10.0, dbfs / 20);
  EXPECT_NEAR(r.integrated_lufs, -0.691 + 10 * std::log10(a * a / 2 * k_power_gain(1000, rate)),
              0.01);
  EXPECT_NEAR(r.integrated_lufs, dbfs - 3.01, 0.15)
      << "a mono channel reads 3 dB below a stereo pair";
}

TEST(Loudness, HundredNinetyTwoKilohertz) {
  const auto r = measure(tone(192000, 2, 5, -23), 192000, 2);
  EXPECT_NEAR(r.integrated_lufs, -23.0, 0.1);
  EXPECT_NEAR(r.true_peak_dbtp, -23.0, 0.05);
}

// Eight channels without a layout: SMPTE 7.1 (L R C LFE BL BR SL SR).
TEST(Loudness, EightChannels) {
  const double rate = 48000;
  EXPECT_NEAR(measure(tone(rate, 8, 5, -23, 1000, {0, 1}), rate, 8).integrated_lufs, -23.0, 0.1);
  // One side channel: half the energy of a pair, weighted 1.41.
  EXPECT_NEAR(measure(tone(rate, 8, 5, -23, 1000, {6}), rate, 8).integrated_lufs,
              -23.0 - 10 * std::log10(2.0) + 10 * std::log10(1.41), 0.1);
  const auto lfe_only = measure(tone(rate, 8, 5, -23, 1000, {3}), rate, 8);
  EXPECT_TRUE(std::isnan(lfe_only.integrated_lufs)) << "the LFE channel does not count";
}

// True peak of sines across the band: between ideal 4× sampling of the sine and its amplitude.
// The sines fade in and out over 100 ms (as the EBU's): an abrupt onset is not band-limited and
// really does overshoot between samples.
TEST(Loudness, TruePeakOfSinesAcrossTheBand) {
  const double rate = 44100, amplitude = 0.5;
  const std::size_t n = 44100, fade = 4410;
  for (double f : {100.0, 3000.0, 7350.0, 11025.0, 15000.0, 17640.0}) {
    for (double phase : {0.1, 0.7, 1.9}) {
      std::vector<float> x(2 * n);
      for (std::size_t i = 0; i < n; ++i) {
        const double g =
            std::min({1.0, double(i) / double(fade), double(n - 1 - i) / double(fade)});
        x[2 * i] = x[2 * i + 1] =
            float(g * amplitude * std::sin(2 * std::numbers::pi * f * double(i) / rate + phase));
      }
      const double tp = measure(x, rate, 2).true_peak_dbtp;
      const double upper = 20 * std::log10(amplitude) + 0.05;
      const double lower =
          20 * std::log10(amplitude * std::cos(std::numbers::pi * f / (4 * rate))) - 0.1;
      EXPECT_LE(tp, upper) << f << " Hz";
      EXPECT_GE(tp, lower) << f << " Hz";
    }
  }
}

// ReplayGain 2.0 album values gate over the union of the tracks' blocks.
TEST(Loudness, AlbumGainOverTheUnionOfBlocks) {
  const auto a = measure(tone(48000, 2, 20, -20), 48000, 2);
  const auto b = measure(tone(48000, 2, 20, -30), 48000, 2);
  EXPECT_NEAR(a.replaygain_db, -18 - (-20.0), 0.1);
  const std::vector<LoudnessResult> tracks = {a, b};
  const auto album = album_loudness(tracks);
  // Both tracks' blocks pass the relative gate (−22.6 − 10 < −30): the album loudness is the
  // energy mean, 10·log10((10^−2 + 10^−3) / 2) LUFS.
  const double expected = 10 * std::log10((std::pow(10.0, -2.0) + std::pow(10.0, -3.0)) / 2);
  EXPECT_NEAR(album.integrated_lufs, expected, 0.1);
  EXPECT_NEAR(album.replaygain_db, -18 - expected, 0.1);
  EXPECT_EQ(album.sample_peak_dbfs, a.sample_peak_dbfs);
  EXPECT_EQ(album.true_peak_dbtp, a.true_peak_dbtp);
  EXPECT_NEAR(album.range_lu, 10.0, 1.0);
  EXPECT_EQ(album.frames, a.frames + b.frames);
}

TEST(Loudness, SeriesEvery100Milliseconds) {
  LoudnessConfig c;
  c.sample_rate_hz = 48000;
  c.keep_series = true;
  const auto r = measure_loudness(tone(48000, 2, 5, -23), c);
  ASSERT_EQ(r.momentary_series_lufs.size(), 50u);
  ASSERT_EQ(r.short_term_series_lufs.size(), 50u);
  EXPECT_TRUE(std::isnan(r.momentary_series_lufs[2])) << "the window ending at 0.3 s is incomplete";
  EXPECT_NEAR(r.momentary_series_lufs[3], -23.0, 0.1);
  EXPECT_TRUE(std::isnan(r.short_term_series_lufs[28]));
  EXPECT_NEAR(r.short_term_series_lufs[29], -23.0, 0.1);
}

TEST(Loudness, ConfigurationIsValidated) {
  LoudnessConfig c;
  c.channels = 0;
  EXPECT_THROW(LoudnessMeter{c}, Error);
  c = {};
  c.sample_rate_hz = 100;
  EXPECT_THROW(LoudnessMeter{c}, Error);
  c = {};
  c.series_interval_s = 0.015;
  EXPECT_THROW(LoudnessMeter{c}, Error);
  c = {};
  c.layout = {P::front_left};
  EXPECT_THROW(LoudnessMeter{c}, Error);
}

}  // namespace
}  // namespace herscan
