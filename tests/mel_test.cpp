#include "herscan/mel.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "frame_store.h"
#include "herscan/error.h"
#include "herscan/spectral.h"
#include "test_signals.h"

namespace herscan {
namespace {

constexpr double kRate = 22050;
constexpr std::size_t kFft = 2048;

StftConfig stft() {
  StftConfig c;
  c.sample_rate_hz = kRate;
  return c;
}

// Slaney's scale: linear below 1 kHz at 200/3 Hz per mel, so 1 kHz is 15 mel; log above, with
// 27 mel per factor 6.4. HTK's: 2595·log10(1 + f/700).
TEST(MelScale, SlaneyAndHtk) {
  EXPECT_DOUBLE_EQ(hz_to_mel(1000), 15.0);
  EXPECT_DOUBLE_EQ(hz_to_mel(500), 7.5);
  EXPECT_NEAR(hz_to_mel(6400), 15 + 27, 1e-12);
  EXPECT_NEAR(hz_to_mel(700, true), 2595 * std::log10(2.0), 1e-12);
  for (double f : {0.0, 123.4, 999.9, 1000.0, 4321.0, 11025.0})
    for (bool htk : {false, true})
      EXPECT_NEAR(mel_to_hz(hz_to_mel(f, htk), htk), f, 1e-9 * (1 + f));
}

// Slaney normalisation gives every triangle unit area in Hz (height 2 / base): the weights of a
// band times the bin width sum to 1, up to the discretisation of narrow triangles.
TEST(MelFilterbank, SlaneyBandsHaveUnitArea) {
  MelFilterbank fb(kRate, kFft);
  ASSERT_EQ(fb.bands(), 128u);
  const double bin_hz = kRate / kFft;
  for (std::size_t m = 0; m < fb.bands(); ++m) {
    double area = 0;
    std::size_t nonzero = 0;
    for (std::size_t k = 0; k < fb.bins(); ++k) {
      area += fb.weight(m, k) * bin_hz;
      nonzero += fb.weight(m, k) > 0;
    }
    if (nonzero < 8) continue;  // too narrow for the discrete sum to approximate the area
    EXPECT_NEAR(area, 1.0, 0.05) << "band " << m;
  }
}

// Without normalisation the triangles partition unity between the first and the last centre.
TEST(MelFilterbank, UnnormalisedTrianglesPartitionUnity) {
  for (bool htk : {false, true}) {
    MelConfig c;
    c.slaney_norm = false;
    c.htk = htk;
    MelFilterbank fb(kRate, kFft, c);
    const double bin_hz = kRate / kFft;
    for (std::size_t k = 0; k < fb.bins(); ++k) {
      const double f = double(k) * bin_hz;
      if (f <= fb.centres_hz().front() || f >= fb.centres_hz().back()) continue;
      double sum = 0;
      for (std::size_t m = 0; m < fb.bands(); ++m) sum += fb.weight(m, k);
      EXPECT_NEAR(sum, 1.0, 1e-6) << "bin " << k << (htk ? " (HTK)" : "");
    }
  }
}

// The sparse filterbank stores only non-zero weights (each bin lies in at most two triangles)
// and applies exactly the dense product.
TEST(MelFilterbank, SparseEqualsDense) {
  MelFilterbank fb(kRate, kFft);
  EXPECT_LE(fb.nonzeros(), 2 * fb.bins());
  const auto noise = test::white_noise(fb.bins(), 1.0, 4);
  std::vector<float> power(fb.bins());
  for (std::size_t k = 0; k < power.size(); ++k) power[k] = noise[k] * noise[k];
  std::vector<float> mel(fb.bands());
  fb.apply(power, mel);
  for (std::size_t m = 0; m < fb.bands(); ++m) {
    double dense = 0;
    for (std::size_t k = 0; k < fb.bins(); ++k) dense += double(fb.weight(m, k)) * power[k];
    EXPECT_NEAR(mel[m], dense, 1e-6 * (1 + dense)) << m;
  }
}

TEST(MelFilterbank, ConfigurationIsValidated) {
  MelConfig c;
  c.n_mels = 0;
  EXPECT_THROW(MelFilterbank(kRate, kFft, c), Error);
  c = {};
  c.fmax_hz = 20000;  // above Nyquist
  EXPECT_THROW(MelFilterbank(kRate, kFft, c), Error);
  c = {};
  c.fmin_hz = 5000;
  c.fmax_hz = 4000;
  EXPECT_THROW(MelFilterbank(kRate, kFft, c), Error);
}

TEST(Mfcc, DctMatrixIsOrthonormal) {
  const std::size_t n = 16;
  const auto d = dct_ortho_matrix(n, n);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n; ++b) {
      double dot = 0;
      for (std::size_t m = 0; m < n; ++m) dot += d[a * n + m] * d[b * n + m];
      EXPECT_NEAR(dot, a == b ? 1.0 : 0.0, 1e-12);
    }
}

// Digital silence: every mel dB value is the floor (power 0 → amin, 10·log10(1e-10) = −100 dB,
// which is the maximum, so top_db does not move it). A constant vector has only c0 = √128·v.
TEST(Mfcc, SilenceIsAConstantVector) {
  const auto m = mfcc(std::vector<float>(8000, 0.0f), stft());
  ASSERT_EQ(m.size() % 20, 0u);
  for (std::size_t t = 0; t < m.size() / 20; ++t) {
    EXPECT_NEAR(m[t * 20], std::sqrt(128.0) * -100.0, 1e-3);
    for (std::size_t q = 1; q < 20; ++q) EXPECT_NEAR(m[t * 20 + q], 0.0, 1e-3);
  }
}

// top_db clips against the maximum of the whole signal: silence after a loud tone sits at
// exactly (file maximum − 80 dB), not at −100 dB.
TEST(Mfcc, TopDbClipsAgainstTheWholeFile) {
  auto x = test::sine(1000, 0.5, kRate, 22050);
  x.resize(44100, 0.0f);
  const auto db = mel_spectrogram_db(x, stft());
  const float max_db = *std::max_element(db.begin(), db.end());
  const std::size_t last = db.size() / 128 - 1;  // a frame deep in the silence
  for (std::size_t m = 0; m < 128; ++m) EXPECT_FLOAT_EQ(db[last * 128 + m], max_db - 80.0f);
  for (float v : db) EXPECT_GE(v, max_db - 80.0f);
}

// Contrast (dB of the mean of the top 2 % magnitudes minus dB of the bottom 2 %, dB being
// 10·log10 of a magnitude): a sine makes its octave band's contrast enormous; white noise, whose
// magnitudes are Rayleigh distributed, gives the ratio of Rayleigh's extreme quantiles, about
// 10·log10(3.03 / 0.14) ≈ 13 dB in the bands wide enough to average several bins.
TEST(SpectralContrast, SineAndNoise) {
  SpectralConfig keep;
  keep.keep_frames = true;
  auto contrast_of = [&](const std::vector<float>& x) {
    SpectralProcessor p(stft(), keep);
    Stft s(stft());
    s.add_consumer(p);
    s.push(x);
    s.finish();
    return p.summary().contrast_db;
  };
  const auto sine = contrast_of(test::sine(1000, 0.5, kRate, 44100));
  ASSERT_EQ(sine.size(), 7u);
  EXPECT_GT(sine[3].mean, 40) << "band 3 is 800–1600 Hz";
  const auto noise = contrast_of(test::white_noise(22050 * 4, 0.2, 8));
  for (std::size_t b = 3; b < 7; ++b) {
    EXPECT_GT(noise[b].mean, 9) << "band " << b;
    EXPECT_LT(noise[b].mean, 17) << "band " << b;
  }
}

TEST(SpectralContrast, ConfigurationIsValidated) {
  SpectralConfig c;
  c.contrast_bands = 8;  // 200 · 2^7 = 25.6 kHz: beyond Nyquist at 22.05 kHz
  EXPECT_THROW(SpectralProcessor(stft(), c), Error);
  c = {};
  c.contrast_quantile = 0;
  EXPECT_THROW(SpectralProcessor(stft(), c), Error);
}

// Rows beyond the memory budget go to a temporary file and come back in order, unchanged.
TEST(FrameStore, SpillsToDiskAndReadsBackInOrder) {
  detail::FrameStore store(3, 64);  // 64 bytes: 5 rows in memory at a time
  for (int r = 0; r < 1000; ++r) {
    const float row[3] = {float(r), float(r) * 0.5f, -float(r)};
    store.append(row);
  }
  ASSERT_EQ(store.rows(), 1000u);
  std::size_t seen = 0;
  store.for_each([&](std::size_t index, std::span<const float> row) {
    EXPECT_EQ(index, seen);
    EXPECT_EQ(row[0], float(index));
    EXPECT_EQ(row[1], float(index) * 0.5f);
    EXPECT_EQ(row[2], -float(index));
    ++seen;
  });
  EXPECT_EQ(seen, 1000u);
  seen = 0;
  store.for_each([&](std::size_t, std::span<const float>) { ++seen; });  // readable twice
  EXPECT_EQ(seen, 1000u);
}

// Blocks of rows larger than the buffer are split across it; rows appended after a read-back
// follow the earlier ones.
TEST(FrameStore, AppendsBlocksOfRowsAcrossTheBuffer) {
  detail::FrameStore store(2, 40);  // 5 rows of 2 floats at a time
  std::vector<float> expected;
  auto add_block = [&](std::size_t n) {
    std::vector<float> block;
    for (std::size_t i = 0; i < n; ++i) {
      const float v = float(expected.size() / 2);
      block.insert(block.end(), {v, -v});
      expected.insert(expected.end(), {v, -v});
    }
    store.append_rows(block.data(), n);
  };
  auto read_back = [&] {
    std::vector<float> got;
    store.for_each([&](std::size_t index, std::span<const float> row) {
      EXPECT_EQ(index, got.size() / 2);
      got.insert(got.end(), row.begin(), row.end());
    });
    return got;
  };
  for (std::size_t n : {0u, 3u, 7u, 1u, 13u, 5u, 2u}) add_block(n);
  EXPECT_EQ(store.rows(), 31u);
  EXPECT_EQ(read_back(), expected);
  for (std::size_t n : {4u, 11u}) add_block(n);
  EXPECT_EQ(store.rows(), 46u);
  EXPECT_EQ(read_back(), expected);
}

}  // namespace
}  // namespace herscan
