#include "herscan/stft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "herscan/error.h"
#include "herscan/fft.h"
#include "test_signals.h"

namespace herscan {
namespace {

// Records every frame it is shown.
struct Recorder : FrameConsumer {
  std::vector<std::vector<float>> samples, power;
  std::vector<std::pair<std::size_t, std::size_t>> valid;
  std::vector<std::int64_t> index;
  bool finished = false;
  void consume(const StftFrame& f) override {
    samples.emplace_back(f.samples.begin(), f.samples.end());
    power.emplace_back(f.power.begin(), f.power.end());
    valid.emplace_back(f.valid_begin, f.valid_end);
    index.push_back(f.index);
  }
  void finish() override { finished = true; }
};

Recorder run(const std::vector<float>& x, const StftConfig& config, std::size_t block) {
  Recorder rec;
  Stft stft(config);
  stft.add_consumer(rec);
  for (std::size_t i = 0; i < x.size(); i += block)
    stft.push(std::span<const float>(x.data() + i, std::min(block, x.size() - i)));
  stft.finish();
  return rec;
}

// librosa (center=True): 1 + (N + 2·(n_fft/2) − n_fft) // hop = 1 + N // hop frames.
TEST(Stft, FrameCountFollowsLibrosa) {
  const StftConfig config;
  for (std::size_t n : {1u, 511u, 512u, 513u, 2047u, 2048u, 10000u, 22050u}) {
    const auto rec = run(test::white_noise(n, 0.1, 1), config, 1000);
    EXPECT_EQ(std::int64_t(rec.samples.size()), 1 + std::int64_t(n) / 512) << "N = " << n;
    EXPECT_EQ(stft_frame_count(std::int64_t(n), 512), 1 + std::int64_t(n) / 512);
    EXPECT_TRUE(rec.finished);
    for (std::size_t t = 0; t < rec.index.size(); ++t) EXPECT_EQ(rec.index[t], std::int64_t(t));
  }
}

// Frame t is centred on sample t·hop: an impulse there sits at index n_fft/2 of frame t, where
// the periodic Hann window is exactly 1, so every bin of that frame has power 1.
TEST(Stft, FramesAreCentredOnMultiplesOfTheHop) {
  const StftConfig config;
  std::vector<float> x(20000, 0.0f);
  const std::size_t t0 = 7;
  x[t0 * 512] = 1.0f;
  const auto rec = run(x, config, 4096);
  EXPECT_EQ(rec.samples[t0][1024], 1.0f);
  for (float p : rec.power[t0]) EXPECT_NEAR(p, 1.0f, 1e-6f);
  // Neighbouring frames see the impulse off-centre, at 1024 ± 512.
  EXPECT_EQ(rec.samples[t0 - 1][1024 + 512], 1.0f);
  EXPECT_EQ(rec.samples[t0 + 1][1024 - 512], 1.0f);
}

TEST(Stft, ValidRangeMarksTheCentrePadding) {
  const StftConfig config;
  const std::size_t n = 3000;
  const auto rec = run(test::white_noise(n, 0.1, 2), config, 4096);
  ASSERT_EQ(rec.valid.size(), 1 + n / 512);
  EXPECT_EQ(rec.valid[0], std::make_pair(std::size_t(1024), std::size_t(2048)));
  EXPECT_EQ(rec.valid[2], std::make_pair(std::size_t(0), std::size_t(2048)));
  // Last frame t = 5 starts at padded index 2560; the signal ends at padded index 1024 + 3000.
  EXPECT_EQ(rec.valid[5], std::make_pair(std::size_t(0), std::size_t(1024 + 3000 - 2560)));
  for (std::size_t t = 0; t < rec.samples.size(); ++t) {
    for (std::size_t i = 0; i < 2048; ++i) {
      if (i >= rec.valid[t].first && i < rec.valid[t].second) continue;
      EXPECT_EQ(rec.samples[t][i], 0.0f) << "padding at frame " << t << ", index " << i;
    }
  }
}

// Each frame's power equals |DFT(w · frame)|² computed by the reference DFT, within the FFT
// tolerance (relative to the frame's total power).
TEST(Stft, PowerMatchesReferenceDftOfWindowedFrame) {
  const StftConfig config;
  const auto x = test::white_noise(8000, 0.3, 5);
  const auto rec = run(x, config, 8000);
  const auto window = periodic_hann(2048);
  for (std::size_t t : {0u, 3u, 15u}) {
    std::vector<double> frame(2048);
    for (std::size_t i = 0; i < 2048; ++i) frame[i] = double(rec.samples[t][i]) * window[i];
    const auto X = reference_rdft(frame);
    double err = 0, total = 0;
    for (std::size_t k = 0; k < X.size(); ++k) {
      err += std::abs(rec.power[t][k] - std::norm(X[k]));
      total += std::norm(X[k]);
    }
    EXPECT_LE(err / total, 1e-5) << "frame " << t;
  }
}

// Any split of the input gives bit-identical frames.
TEST(Stft, BlockSizeDoesNotChangeFrames) {
  const StftConfig config;
  const auto x = test::white_noise(12345, 0.3, 8);
  const auto whole = run(x, config, x.size());
  for (std::size_t block : {1u, 7u, 512u, 4096u}) {
    const auto split = run(x, config, block);
    ASSERT_EQ(split.power.size(), whole.power.size()) << "block " << block;
    EXPECT_EQ(split.power, whole.power) << "block " << block;
    EXPECT_EQ(split.valid, whole.valid) << "block " << block;
  }
}

TEST(Stft, PeriodicHannWindow) {
  const auto w = periodic_hann(8);
  EXPECT_FLOAT_EQ(w[0], 0.0f);
  EXPECT_FLOAT_EQ(w[4], 1.0f);
  EXPECT_FLOAT_EQ(w[2], 0.5f);
  for (std::size_t k = 1; k < 8; ++k) EXPECT_NEAR(w[k], w[8 - k], 1e-7) << k;
}

TEST(Stft, FftFrequencies) {
  const auto f = fft_frequencies(22050, 2048);
  ASSERT_EQ(f.size(), 1025u);
  EXPECT_DOUBLE_EQ(f[0], 0.0);
  EXPECT_DOUBLE_EQ(f[1], 22050.0 / 2048);
  EXPECT_DOUBLE_EQ(f[1024], 11025.0);
}

TEST(Stft, ConfigurationIsValidated) {
  StftConfig odd;
  odd.n_fft = 2047;
  EXPECT_THROW(Stft{odd}, Error);
  StftConfig zero_hop;
  zero_hop.hop_frames = 0;
  EXPECT_THROW(Stft{zero_hop}, Error);
  StftConfig big_hop;
  big_hop.hop_frames = 4096;
  EXPECT_THROW(Stft{big_hop}, Error);
  StftConfig no_rate;
  no_rate.sample_rate_hz = 0;
  EXPECT_THROW(Stft{no_rate}, Error);
  try {
    Stft{odd};
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("n_fft"), std::string::npos) << "names the field";
  }
}

}  // namespace
}  // namespace herscan
