// Every SIMD target this machine runs against the scalar reference (herscan/simd.h), kernel by
// kernel and end to end. Targets differ from scalar only in summation order and fused
// multiply-adds, so each comparison states a tolerance derived from float rounding; lengths
// include the odd ones that exercise every vector loop's tail.
#include "herscan/simd.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "simd/kernels.h"
#include "test_signals.h"

namespace herscan {
namespace {

const std::size_t kLengths[] = {0, 1, 3, 7, 8, 9, 15, 16, 17, 63, 64, 65, 127, 513, 1025, 2049};

std::vector<float> uniform(std::size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

std::vector<double> as_double(const std::vector<float>& v) {
  return {v.begin(), v.end()};
}

// Restores the target chosen at start-up when a test ends.
class SimdTargets : public ::testing::TestWithParam<SimdTarget> {
 protected:
  void TearDown() override { set_simd_target(initial_); }
  const simd::Kernels& reference() {
    set_simd_target(SimdTarget::scalar);
    return simd::kernels();
  }
  const simd::Kernels& target() {
    set_simd_target(GetParam());
    return simd::kernels();
  }

 private:
  SimdTarget initial_ = active_simd_target();
};

std::vector<SimdTarget> vector_targets() {
  std::vector<SimdTarget> all = supported_simd_targets();
  all.erase(all.begin());  // scalar itself
  return all;
}

TEST_P(SimdTargets, ReductionsMatchScalar) {
  const auto& ref = reference();
  const auto& vec = target();
  for (std::size_t n : kLengths) {
    const auto a = uniform(n, -1, 1, 1), b = uniform(n, -1, 1, 2);
    const auto S = uniform(n, 0, 2, 3);
    std::vector<float> P(n);
    for (std::size_t k = 0; k < n; ++k) P[k] = S[k] * S[k] * (k % 5 == 0 ? 1e-12f : 1.0f);
    std::vector<double> f(n);
    for (std::size_t k = 0; k < n; ++k) f[k] = 10.7666 * double(k);
    SCOPED_TRACE("n = " + std::to_string(n));

    // Double accumulators of exact float products: another order moves the sum by at most
    // about n·2^-53 of the sum of the magnitudes of its terms (here ≤ n).
    const double order = 1e-15 * double(n + 1) * double(n + 1);
    EXPECT_NEAR(vec.sum_squares(a.data(), n), ref.sum_squares(a.data(), n), order);
    EXPECT_NEAR(vec.dot(a.data(), b.data(), n), ref.dot(a.data(), b.data(), n), order);
    EXPECT_NEAR(vec.sum(a.data(), n), ref.sum(a.data(), n), order);
    EXPECT_EQ(vec.max_abs(a.data(), n), ref.max_abs(a.data(), n)) << "a maximum is exact";
    std::vector<float> bad = a;
    for (std::size_t k = 0; k < n; k += 7)
      bad[k] = k % 3 == 0 ? NAN : (k % 3 == 1 ? INFINITY : -INFINITY);
    const std::size_t expected_bad = n == 0 ? 0 : (n - 1) / 7 + 1;
    EXPECT_EQ(ref.count_non_finite(bad.data(), n), expected_bad);
    EXPECT_EQ(vec.count_non_finite(bad.data(), n), expected_bad);
    EXPECT_EQ(vec.count_non_finite(a.data(), n), 0u);

    // The q largest and smallest values: exactly the sorted ends, identical on every target,
    // whatever the hint (none, too high, too low, exact), for distinct values and for values
    // with many ties (multiples of 1/4: more than 16 candidates reach any threshold). q = 9 and
    // 16 are the largest that vector targets select in registers.
    std::vector<float> ties = a;
    for (float& v : ties) v = std::round(4 * v) / 4;
    const std::vector<float>* value_sets[] = {&a, &ties};
    for (const std::vector<float>* values : value_sets) {
      if (n == 0) break;
      const float* x = values->data();
      std::vector<float> sorted = *values, heap(n);
      std::sort(sorted.begin(), sorted.end());
      for (std::size_t q : {std::size_t(1), std::size_t(2), std::size_t(5), std::size_t(9),
                            std::size_t(16), n / 3 + 1, n}) {
        if (q > n) continue;
        double low = 0, high = 0;
        for (std::size_t k = 0; k < q; ++k) low += sorted[k], high += sorted[n - 1 - k];
        const float none = -INFINITY;
        for (float guess : {none, 2.0f, -2.0f, sorted[n - q], 0.3f}) {
          SCOPED_TRACE("q = " + std::to_string(q) + ", hint " + std::to_string(guess) +
                       (values == &ties ? ", ties" : ""));
          float h1 = guess, h2 = guess, h3 = -guess, h4 = -guess;
          const double ref_high = ref.sum_of_extremes(x, n, q, 1.0f, heap.data(), &h1);
          const double ref_low = ref.sum_of_extremes(x, n, q, -1.0f, heap.data(), &h3);
          EXPECT_NEAR(ref_high, high, 1e-12 * double(q));
          EXPECT_NEAR(ref_low, low, 1e-12 * double(q));
          EXPECT_EQ(vec.sum_of_extremes(x, n, q, 1.0f, heap.data(), &h2), ref_high);
          EXPECT_EQ(vec.sum_of_extremes(x, n, q, -1.0f, heap.data(), &h4), ref_low);
          if (q > 1) {
            EXPECT_EQ(h1, sorted[n - q]) << "the hint becomes the q-th largest";
          }
          EXPECT_EQ(h1, h2);
          EXPECT_EQ(h3, h4);
        }
      }
    }
    EXPECT_NEAR(vec.spread(S.data(), f.data(), 500.0, n), ref.spread(S.data(), f.data(), 500.0, n),
                1e-12 * std::max(1.0, ref.spread(S.data(), f.data(), 500.0, n)));
    std::vector<float> tiny = a;  // values within ±1e-10 count as positive
    for (std::size_t k = 0; k < n; k += 3) tiny[k] *= 1e-11f;
    EXPECT_EQ(vec.sign_changes(tiny.data(), n), ref.sign_changes(tiny.data(), n));

    const auto rs = ref.spectrum_sums(S.data(), P.data(), f.data(), n);
    const auto vs = vec.spectrum_sums(S.data(), P.data(), f.data(), n);
    EXPECT_NEAR(vs.magnitude, rs.magnitude, 1e-12 * std::max(1.0, rs.magnitude));
    EXPECT_NEAR(vs.weighted, rs.weighted, 1e-12 * std::max(1.0, rs.weighted));
    EXPECT_NEAR(vs.magnitude_squared, rs.magnitude_squared, 1e-12 * std::max(1.0, rs.power));
    // Logarithms and powers summed in float over blocks of 64: relative 64·2^-24 ≈ 4e-6 each.
    EXPECT_NEAR(vs.log_power, rs.log_power, 4e-6 * std::max(1.0, std::abs(rs.log_power)));
    EXPECT_NEAR(vs.power, rs.power, 4e-6 * std::max(1.0, rs.power));

    std::vector<float> out_ref(n), out_vec(n);
    const double d_ref = ref.scaled_diff_squared(a.data(), 0.37, b.data(), out_ref.data(), n);
    const double d_vec = vec.scaled_diff_squared(a.data(), 0.37, b.data(), out_vec.data(), n);
    EXPECT_NEAR(d_vec, d_ref, 1e-12 * std::max(1.0, d_ref));
    EXPECT_EQ(out_vec, out_ref);  // one rounding of an exact double product: identical
  }
}

TEST_P(SimdTargets, ElementwiseKernelsMatchScalar) {
  const auto& ref = reference();
  const auto& vec = target();
  for (std::size_t n : kLengths) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const auto x = uniform(n, -1, 1, 4);
    const auto w = as_double(uniform(n, 0, 1, 5));
    std::vector<double> wr(n), wv(n);
    ref.window(x.data(), w.data(), wr.data(), n);
    vec.window(x.data(), w.data(), wv.data(), n);
    EXPECT_EQ(wv, wr);  // one double product per value: identical

    const auto X = as_double(uniform(2 * n, -100, 100, 6));
    std::vector<float> spec_r(2 * n), spec_v(2 * n), pow_r(n), pow_v(n), mag_r(n), mag_v(n);
    ref.power_magnitude(X.data(), n, spec_r.data(), pow_r.data(), mag_r.data());
    vec.power_magnitude(X.data(), n, spec_v.data(), pow_v.data(), mag_v.data());
    EXPECT_EQ(spec_v, spec_r);
    for (std::size_t k = 0; k < n; ++k) {
      // re² + im² may be fused (one rounding instead of two): within 2 ulp.
      EXPECT_NEAR(pow_v[k], pow_r[k], 2.4e-7f * pow_r[k]) << k;
      EXPECT_NEAR(mag_v[k], mag_r[k], 1.2e-7f * mag_r[k]) << k;
    }
  }
}

TEST_P(SimdTargets, InterpolatorPeakMatchesScalar) {
  const auto& ref = reference();
  const auto& vec = target();
  const auto h = uniform(12, -0.5f, 1, 7);
  for (std::size_t n : kLengths) {
    SCOPED_TRACE("n = " + std::to_string(n));
    const auto x = uniform(n + h.size() - 1, -1, 1, 8);
    const float r = ref.fir_max_abs(x.data(), n, h.data(), h.size());
    const float v = vec.fir_max_abs(x.data(), n, h.data(), h.size());
    // 12 float products and sums, fused or not: within 12 roundings of the sum of |terms|.
    EXPECT_NEAR(v, r, 12 * 6e-8f * 12);
  }
}

TEST_P(SimdTargets, SpectralPeaksMatchScalar) {
  const auto& ref = reference();
  const auto& vec = target();
  for (std::size_t n : kLengths) {
    if (n < 3) continue;
    SCOPED_TRACE("n = " + std::to_string(n));
    // A spectrum with plateaus (equal neighbours) and values at the floor.
    auto x = uniform(n, 0.0f, 1.0f, 10);
    for (std::size_t k = 0; k < n; k += 11) x[k] = x[k / 2];
    for (std::size_t k = 3; k + 1 < n; k += 17) x[k + 1] = x[k];  // equal neighbours
    for (std::size_t k = 5; k < n; k += 13) x[k] = 0.25f;
    const std::size_t last = n - 1;
    auto by_definition = [&](std::size_t first) {  // the definition, directly
      std::vector<std::uint32_t> expected;
      for (std::size_t k = first; k < last; ++k)
        if (x[k] > x[k - 1] && x[k] >= x[k + 1] && x[k] > 0.25f)
          expected.push_back(std::uint32_t(k));
      return expected;
    };
    for (std::size_t first : {std::size_t(2), std::size_t(7)}) {  // a start off the vector grid
      if (first >= last) continue;
      std::vector<std::uint32_t> found(last - first);
      found.resize(vec.local_maxima(x.data(), first, last, 0.25f, found.data()));
      EXPECT_EQ(found, by_definition(first)) << "first " << first;
    }
    const std::size_t first = 1;
    const std::vector<std::uint32_t> expected = by_definition(first);
    std::vector<std::uint32_t> r(last - first), v(last - first);
    r.resize(ref.local_maxima(x.data(), first, last, 0.25f, r.data()));
    v.resize(vec.local_maxima(x.data(), first, last, 0.25f, v.data()));
    EXPECT_EQ(r, expected);
    EXPECT_EQ(v, expected);

    // The refined pitches: libmvec's logarithms (within 4 ulp) against libm's. Away from flat
    // peaks (|a − 2b + c| ≳ 1e-3 here), δ moves by about 1e-14 bins; 1e-9 semitones is ample.
    std::vector<double> pr(r.size()), pv(r.size());
    ref.peak_pitches(x.data(), r.data(), r.size(), 1e-30, 1e-12, 10.7666, pr.data());
    vec.peak_pitches(x.data(), r.data(), r.size(), 1e-30, 1e-12, 10.7666, pv.data());
    for (std::size_t i = 0; i < r.size(); ++i) {
      const std::size_t k = r[i];
      const double a = std::log(double(x[k - 1]) + 1e-30), b = std::log(double(x[k])),
                   c = std::log(double(x[k + 1]) + 1e-30);
      const double den = a - 2 * b + c;
      const double delta = std::abs(den) > 1e-12 ? 0.5 * (a - c) / den : 0.0;
      EXPECT_LE(std::abs(delta), 0.5 + 1e-12);  // exactly ½ at a plateau, up to rounding
      EXPECT_EQ(pr[i], 69.0 + 12.0 * std::log2((double(k) + delta) * 10.7666 / 440.0)) << k;
      if (std::abs(den) > 1e-3) {
        EXPECT_NEAR(pv[i], pr[i], 1e-9) << k;
      }
    }
  }
}

TEST_P(SimdTargets, ScaledRowSumsAreTheSequentialSums) {
  // Each output is its own sum over the rows in order: identical on every target.
  const auto& vec = target();
  for (std::size_t rows : {std::size_t(1), std::size_t(7), std::size_t(128)})
    for (std::size_t cols :
         {std::size_t(1), std::size_t(3), std::size_t(13), std::size_t(20), std::size_t(33)}) {
      SCOPED_TRACE(std::to_string(rows) + " × " + std::to_string(cols));
      const auto v = uniform(rows, -80, 10, 11);
      // Full-precision weights (as the DCT's): a product of two doubles is inexact, so a fused
      // multiply-add would differ from a rounded product added.
      std::mt19937 rng(12);
      std::uniform_real_distribution<double> weight(-1, 1);
      std::vector<double> a(rows * cols);
      for (double& w : a) w = weight(rng);
      std::vector<double> expected(cols, 0.0), out(cols, -1.0);
      for (std::size_t i = 0; i < rows; ++i)
        for (std::size_t j = 0; j < cols; ++j) {
          volatile double product = a[i * cols + j] * double(v[i]);  // rounded, never fused
          expected[j] += product;
        }
      vec.sum_scaled_rows(a.data(), v.data(), rows, cols, out.data());
      EXPECT_EQ(out, expected);
    }
}

TEST_P(SimdTargets, ProfileMatchesScalar) {
  // A chord over noise with a pulse: every processor of the default profile has work to do.
  const int rate = 44100;
  auto x = test::sine(261.63, 0.2, rate, rate * 6);
  const auto e = test::sine(329.63, 0.2, rate, rate * 6);
  const auto noise = test::white_noise(std::size_t(rate) * 6, 0.02, 9);
  for (std::size_t i = 0; i < x.size(); ++i)
    x[i] += e[i] + noise[i] + ((i % (rate / 2)) < 200 ? 0.5f : 0.0f);
  test::TempDir dir;
  test::write_audio(dir / "mix.wav", x, 1, rate, SF_FORMAT_WAV | SF_FORMAT_FLOAT);

  set_simd_target(SimdTarget::scalar);
  const auto ref = to_json(analyze_file(dir / "mix.wav"));
  set_simd_target(GetParam());
  const auto vec = to_json(analyze_file(dir / "mix.wav"));
  // Every number within 1e-4 relative (float rounding grown through the features' arithmetic),
  // every string and null the same.
  const auto flat_ref = ref.flatten(), flat_vec = vec.flatten();
  ASSERT_EQ(flat_ref.size(), flat_vec.size());
  for (auto it = flat_ref.begin(); it != flat_ref.end(); ++it) {
    if (it.key() == "/analysis/elapsed_s") continue;  // wall time
    const auto& other = flat_vec.at(it.key());
    if (it->is_number() && other.is_number()) {
      const double a = it->get<double>(), b = other.get<double>();
      EXPECT_NEAR(b, a, 1e-4 * std::max(1.0, std::abs(a))) << it.key();
    } else {
      EXPECT_EQ(other, *it) << it.key();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(EveryTarget, SimdTargets, ::testing::ValuesIn(vector_targets()),
                         [](const auto& info) {
                           return std::string(simd_target_name(info.param));
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SimdTargets);

TEST(Simd, TargetNamesRoundTripAndUnsupportedTargetsAreRefused) {
  for (SimdTarget t : {SimdTarget::scalar, SimdTarget::sse2, SimdTarget::avx2, SimdTarget::avx512})
    EXPECT_EQ(parse_simd_target(simd_target_name(t)), t);
  EXPECT_FALSE(parse_simd_target("neon9000").has_value());
  const auto supported = supported_simd_targets();
  ASSERT_FALSE(supported.empty());
  EXPECT_EQ(supported.front(), SimdTarget::scalar);
  for (SimdTarget t : {SimdTarget::sse2, SimdTarget::avx2, SimdTarget::avx512})
    if (std::find(supported.begin(), supported.end(), t) == supported.end()) {
      EXPECT_THROW(set_simd_target(t), Error);
    }
}

TEST(Simd, FastLogIsWithinItsStatedError) {
  for (float x :
       {1e-10f, 1e-7f, 0.001f, 0.5f, 0.70710677f, 0.70710683f, 1.0f, 2.0f, 3.14159f, 1e6f, 3e38f}) {
    const double exact = std::log(double(x));
    EXPECT_NEAR(simd::fast_log(x), exact, 2e-7 * std::max(1.0, std::abs(exact))) << x;
  }
}

}  // namespace
}  // namespace herscan
