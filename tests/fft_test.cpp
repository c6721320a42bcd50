#include "herscan/fft.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "herscan/error.h"
#include "test_signals.h"

namespace herscan {
namespace {

// FFTW (float) against the double-precision reference DFT. Single-precision FFT error grows
// like ε·log2(n) relative to the transform's L2 norm (ε = 2^-24); we allow 4·ε·log2(n), with a
// floor for the smallest sizes.
class FftMatchesReference : public ::testing::TestWithParam<std::size_t> {};

TEST_P(FftMatchesReference, WithinSizeDependentTolerance) {
  const std::size_t n = GetParam();
  const auto noise = test::white_noise(n, 0.5, std::uint32_t(n));
  std::vector<double> x(noise.begin(), noise.end());
  const auto expected = reference_rdft(x);

  RealFft fft(n);
  std::vector<std::complex<float>> out(fft.bins());
  fft.forward(noise, out);

  double err2 = 0, ref2 = 0;
  for (std::size_t k = 0; k < fft.bins(); ++k) {
    err2 += std::norm(std::complex<double>(out[k]) - expected[k]);
    ref2 += std::norm(expected[k]);
  }
  const double relative = std::sqrt(err2 / ref2);
  const double tolerance = 4.0 * std::ldexp(1.0, -24) * std::max(4.0, std::log2(double(n)));
  EXPECT_LE(relative, tolerance) << "n = " << n;
}

INSTANTIATE_TEST_SUITE_P(Sizes, FftMatchesReference,
                         ::testing::Values(16, 100, 256, 1000, 2048, 4096, 8192));

TEST(Fft, SineLandsInItsBin) {
  const std::size_t n = 1024;
  const auto x = test::sine(64.0 * 48000 / double(n), 1.0, 48000, n);  // exactly bin 64
  RealFft fft(n);
  std::vector<std::complex<float>> out(fft.bins());
  fft.forward(x, out);
  EXPECT_NEAR(std::abs(out[64]), n / 2.0, 1e-3 * n);
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (k == 64) continue;
    EXPECT_LT(std::abs(out[k]), 1e-3) << "bin " << k;
  }
}

// Plans are shared; transforms of the same size run concurrently on separate objects.
TEST(Fft, ConcurrentTransformsAgree) {
  const std::size_t n = 2048;
  const auto x = test::white_noise(n, 0.5, 99);
  RealFft reference(n);
  std::vector<std::complex<float>> expected(reference.bins());
  reference.forward(x, expected);
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RealFft fft(n);
      std::vector<std::complex<float>> out(fft.bins());
      for (int rep = 0; rep < 50; ++rep) {
        fft.forward(x, out);
        mismatches[std::size_t(t)] += out != expected;
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(Fft, RejectsDegenerateSizes) {
  EXPECT_THROW(RealFft(0), Error);
  EXPECT_THROW(RealFft(1), Error);
}

}  // namespace
}  // namespace herscan
