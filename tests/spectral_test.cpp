#include "herscan/spectral.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "herscan/error.h"
#include "test_signals.h"

namespace herscan {
namespace {

constexpr double kRate = 22050;
constexpr double kBinHz = kRate / 2048;

StftConfig config() {
  StftConfig c;
  c.sample_rate_hz = kRate;
  return c;
}

// Frames whose window lies entirely inside the signal (no centre padding).
std::vector<SpectralFrame> interior(const std::vector<SpectralFrame>& frames) {
  return std::vector<SpectralFrame>(frames.begin() + 4, frames.end() - 4);
}

template <class F>
double mean_of(const std::vector<SpectralFrame>& frames, F field) {
  double sum = 0;
  for (const auto& f : frames) sum += field(f);
  return sum / double(frames.size());
}

TEST(Spectral, SineCentroidRolloffAndBandwidth) {
  for (double f : {440.0, 1000.0, 3150.5}) {
    const auto frames = interior(spectral_frames(test::sine(f, 0.5, kRate, 22050), config()));
    for (const auto& fr : frames) {
      EXPECT_NEAR(fr.centroid_hz, f, kBinHz) << f << " Hz: centroid within one bin";
      EXPECT_NEAR(fr.rolloff_hz, f, 2 * kBinHz)
          << f << " Hz: 85 % of the energy is in the main lobe";
      EXPECT_LT(fr.bandwidth_hz, 3 * kBinHz) << f << " Hz: the Hann main lobe is ±2 bins wide";
    }
  }
}

TEST(Spectral, RmsOfASineIsAmplitudeOverRootTwo) {
  for (double a : {0.1, 0.5, 1.0}) {
    const auto frames = interior(spectral_frames(test::sine(1000, a, kRate, 22050), config()));
    for (const auto& fr : frames) EXPECT_NEAR(fr.rms, a / std::numbers::sqrt2, 1e-3 * a);
  }
}

// A sine of f Hz crosses zero 2f times a second: 2f/sr per sample, ±1 crossing per frame.
TEST(Spectral, ZeroCrossingRateOfASine) {
  const double f = 1000;
  const auto frames = interior(spectral_frames(test::sine(f, 0.5, kRate, 22050, 0.1), config()));
  for (const auto& fr : frames) EXPECT_NEAR(fr.zero_crossing_rate, 2 * f / kRate, 1.0 / 2048);
}

// librosa edge-pads for the zero-crossing rate: a constant negative signal has no crossing,
// not even where the centre padding meets the signal.
TEST(Spectral, ZeroCrossingRateUsesEdgePadding) {
  const auto frames = spectral_frames(std::vector<float>(5000, -0.5f), config());
  for (const auto& fr : frames) EXPECT_EQ(fr.zero_crossing_rate, 0.0);
}

// The periodogram of white noise has exponentially distributed bins (χ² with 2 degrees of
// freedom), whose geometric/arithmetic mean ratio is e^−γ ≈ 0.5615 (γ: Euler's constant), so
// that is the expected flatness of white noise per frame; a sine's is near 0.
TEST(Spectral, FlatnessOfNoiseAndSine) {
  const auto noise = interior(spectral_frames(test::white_noise(22050 * 4, 0.3, 21), config()));
  const double expected = std::exp(-std::numbers::egamma);
  EXPECT_NEAR(mean_of(noise, [](const auto& f) { return f.flatness; }), expected, 0.02);
  const auto sine = interior(spectral_frames(test::sine(1000, 0.5, kRate, 22050), config()));
  for (const auto& fr : sine) EXPECT_LT(fr.flatness, 1e-3);
}

// Silence: librosa's values (centroid, bandwidth, rolloff 0; flatness 1 from the amin floor).
TEST(Spectral, SilenceGivesLibrosasValues) {
  const auto frames = spectral_frames(std::vector<float>(10000, 0.0f), config());
  for (const auto& fr : frames) {
    EXPECT_EQ(fr.centroid_hz, 0.0);
    EXPECT_EQ(fr.bandwidth_hz, 0.0);
    EXPECT_EQ(fr.rolloff_hz, 0.0);
    // exp(mean ln 1e-10) / 1e-10 with the float logarithm (relative error < 2e-7 of
    // |ln 1e-10| = 23.03, so < 5e-6 in the exponent).
    EXPECT_NEAR(fr.flatness, 1.0, 5e-6);
    EXPECT_EQ(fr.flux, 0.0);
    EXPECT_EQ(fr.zero_crossing_rate, 0.0);
    EXPECT_EQ(fr.rms, 0.0);
  }
}

// Flux compares unit-norm magnitude spectra: ~0 for a steady tone, and for a switch between
// two tones whose spectra do not overlap it approaches ‖a − b‖ = √2.
TEST(Spectral, FluxSeesChangeNotLevel) {
  auto x = test::sine(440, 0.5, kRate, 22050);
  const auto steady = interior(spectral_frames(x, config()));
  for (const auto& fr : steady) EXPECT_LT(fr.flux, 1e-3);

  const auto high = test::sine(4000, 0.05, kRate, 22050);  // another tone, 20 dB quieter
  x.insert(x.end(), high.begin(), high.end());
  const auto frames = spectral_frames(x, config());
  EXPECT_EQ(frames.front().flux, 0.0) << "the first frame has nothing to compare with";
  double peak = 0;
  for (const auto& fr : frames) peak = std::max(peak, fr.flux);
  EXPECT_GT(peak, 0.9);
  EXPECT_LE(peak, std::numbers::sqrt2 + 1e-6);
}

TEST(Spectral, SummaryIsMeanAndPopulationStdOfFrames) {
  const auto x = test::white_noise(30000, 0.2, 4);
  SpectralConfig keep;
  keep.keep_frames = true;
  SpectralProcessor processor(config(), keep);
  Stft stft(config());
  stft.add_consumer(processor);
  stft.push(x);
  stft.finish();
  const auto& frames = processor.frames();
  const SpectralSummary s = processor.summary();
  ASSERT_EQ(s.frames, std::int64_t(frames.size()));
  const double mean = mean_of(frames, [](const auto& f) { return f.centroid_hz; });
  double var = 0;
  for (const auto& f : frames) var += (f.centroid_hz - mean) * (f.centroid_hz - mean);
  EXPECT_NEAR(s.centroid_hz.mean, mean, 1e-9 * mean);
  EXPECT_NEAR(s.centroid_hz.std, std::sqrt(var / double(frames.size())), 1e-9 * mean);
}

TEST(Spectral, RolloffFractionIsValidated) {
  SpectralConfig bad;
  bad.rolloff_fraction = 1.5;
  EXPECT_THROW(SpectralProcessor(config(), bad), Error);
}

}  // namespace
}  // namespace herscan
