// K-weighting (ITU-R BS.1770-4 §2.1) for any sample rate. Internal to the library; tests
// include it to check the coefficients against the recommendation's 48 kHz table.
#pragma once

#include <array>
#include <cmath>
#include <numbers>

namespace herscan::detail {

// One biquad in transposed direct form II, double precision (the K-weighting high-pass sits at
// 38 Hz: at 192 kHz its poles are within 1e-3 of the unit circle).
struct Biquad {
  double b0 = 1, b1 = 0, b2 = 0, a1 = 0, a2 = 0;
};

// BS.1770-4 K-weighting for any rate: the analogue prototypes of the shelving pre-filter and the
// RLB high-pass, mapped by the bilinear transform. At 48 kHz this reproduces the
// recommendation's coefficient table to its printed precision (tests/loudness_test.cpp).
inline std::array<Biquad, 2> k_weighting(double fs) {
  std::array<Biquad, 2> k;
  {  // high shelf: +4 dB above ~1.7 kHz
    const double f0 = 1681.974450955533, gain_db = 3.999843853973347, q = 0.7071752369554196;
    const double K = std::tan(std::numbers::pi * f0 / fs);
    const double vh = std::pow(10.0, gain_db / 20.0);
    const double vb = std::pow(vh, 0.4996667741545416);
    const double a0 = 1.0 + K / q + K * K;
    k[0].b0 = (vh + vb * K / q + K * K) / a0;
    k[0].b1 = 2.0 * (K * K - vh) / a0;
    k[0].b2 = (vh - vb * K / q + K * K) / a0;
    k[0].a1 = 2.0 * (K * K - 1.0) / a0;
    k[0].a2 = (1.0 - K / q + K * K) / a0;
  }
  {  // RLB high-pass at ~38 Hz
    const double f0 = 38.13547087602444, q = 0.5003270373238773;
    const double K = std::tan(std::numbers::pi * f0 / fs);
    const double a0 = 1.0 + K / q + K * K;
    k[1].b0 = 1.0;
    k[1].b1 = -2.0;
    k[1].b2 = 1.0;
    k[1].a1 = 2.0 * (K * K - 1.0) / a0;
    k[1].a2 = (1.0 - K / q + K * K) / a0;
  }
  return k;
}

}  // namespace herscan::detail
