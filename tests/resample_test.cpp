#include "herscan/resample.h"

#include <gtest/gtest.h>

#include <cmath>

#include "herscan/error.h"
#include "test_signals.h"

namespace herscan {
namespace {

std::vector<float> resample_in_blocks(const std::vector<float>& x, double in_hz, double out_hz,
                                      std::size_t block) {
  std::vector<float> out;
  Resampler r({in_hz, out_hz, ResampleQuality::high},
              [&](std::span<const float> y) { out.insert(out.end(), y.begin(), y.end()); });
  for (std::size_t i = 0; i < x.size(); i += block)
    r.push(std::span<const float>(x.data() + i, std::min(block, x.size() - i)));
  r.finish();
  return out;
}

TEST(Downmix, IsTheMeanOfTheChannels) {
  const std::vector<float> stereo = {1.0f, 0.0f, 0.5f, -0.5f, -1.0f, 0.25f};
  std::vector<float> mono(3);
  downmix_mean(stereo.data(), 3, 2, mono.data());
  EXPECT_FLOAT_EQ(mono[0], 0.5f);
  EXPECT_FLOAT_EQ(mono[1], 0.0f);
  EXPECT_FLOAT_EQ(mono[2], -0.375f);
  const std::vector<float> three = {0.3f, 0.6f, 0.9f};
  std::vector<float> one(1);
  downmix_mean(three.data(), 1, 3, one.data());
  EXPECT_NEAR(one[0], 0.6f, 1e-7);
}

// The output length is ceil(n · out / in), librosa's fix_length after soxr.
TEST(Resampler, OutputLengthIsCeilOfTheRatio) {
  struct Case {
    double in, out;
    std::size_t n;
  };
  for (const Case& c :
       {Case{44100, 22050, 44101}, Case{48000, 22050, 48000}, Case{48000, 22050, 1},
        Case{8000, 22050, 8001}, Case{22050, 22050, 12345}, Case{96000, 22050, 100000}}) {
    const auto x = test::sine(440, 0.5, c.in, c.n);
    const auto y = resample_in_blocks(x, c.in, c.out, 4096);
    const auto expected = std::size_t(std::ceil(double(c.n) * c.out / c.in - 1e-9));
    EXPECT_EQ(y.size(), expected) << c.in << " → " << c.out << ", n = " << c.n;
  }
}

// Block-by-block output equals the one-shot result bit for bit: soxr always receives the same
// fixed input chunks, whatever the caller's block size.
TEST(Resampler, StreamingEqualsOneShot) {
  const auto x = test::white_noise(48000 * 5 + 17, 0.25, 3);  // several soxr chunks
  const auto one_shot = resample_in_blocks(x, 48000, 22050, x.size());
  // (150000: a whole chunk goes to soxr straight from the caller's block, the rest waits.)
  for (std::size_t block : {std::size_t(1), std::size_t(7), std::size_t(1000), std::size_t(4096),
                            std::size_t(150000)}) {
    const auto streamed = resample_in_blocks(x, 48000, 22050, block);
    ASSERT_EQ(streamed.size(), one_shot.size()) << "block " << block;
    EXPECT_EQ(streamed, one_shot) << "block " << block;
  }
}

// A sine keeps its frequency, amplitude and phase: away from the edges the output matches the
// ideal sine at the new rate within 1e-4 absolute (soxr HQ is specified at 20-bit precision).
TEST(Resampler, SineKeepsFrequencyAndPhase) {
  for (double in_hz : {44100.0, 48000.0, 96000.0}) {
    const double f = 1000;
    const auto x = test::sine(f, 0.5, in_hz, std::size_t(in_hz));
    const auto y = resample_in_blocks(x, in_hz, 22050, 4096);
    const auto ideal = test::sine(f, 0.5, 22050, y.size());
    double worst = 0;
    for (std::size_t i = 2000; i + 2000 < y.size(); ++i)
      worst = std::max(worst, double(std::abs(y[i] - ideal[i])));
    EXPECT_LE(worst, 1e-4) << in_hz << " Hz input";
  }
}

TEST(Resampler, EqualRatesPassSamplesThroughUntouched) {
  const auto x = test::white_noise(5000, 0.3, 11);
  const auto y = resample_in_blocks(x, 22050, 22050, 333);
  EXPECT_EQ(x, y);
}

TEST(Resampler, DescribesItselfForProvenance) {
  Resampler r({44100, 22050, ResampleQuality::high}, [](std::span<const float>) {});
  EXPECT_NE(r.description().find("soxr"), std::string::npos);
  EXPECT_NE(r.description().find("HQ"), std::string::npos);
  Resampler same({22050, 22050, ResampleQuality::high}, [](std::span<const float>) {});
  EXPECT_NE(same.description().find("none"), std::string::npos);
}

TEST(Resampler, RejectsBadRates) {
  auto sink = [](std::span<const float>) {};
  EXPECT_THROW(Resampler({0, 22050, ResampleQuality::high}, sink), Error);
  EXPECT_THROW(Resampler({44100, -1, ResampleQuality::high}, sink), Error);
  EXPECT_THROW(Resampler({NAN, 22050, ResampleQuality::high}, sink), Error);
}

}  // namespace
}  // namespace herscan
