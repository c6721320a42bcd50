// The hot loops of the analysis, one table of functions per SIMD target (herscan/simd.h).
// Internal to the library. Every kernel has the same contract on every target; the scalar
// target is the reference (tests/simd_test.cpp compares the others with it).
#pragma once

#include <cstddef>
#include <cstdint>

namespace herscan::simd {

/// Sums over one frame's spectrum (spectral features), accumulated in double.
struct SpectrumSums {
  double magnitude = 0;          ///< Σ S[k]
  double weighted = 0;           ///< Σ f[k]·S[k]
  double log_power = 0;          ///< Σ ln(max(P[k], 1e-10))
  double power = 0;              ///< Σ max(P[k], 1e-10)
  double magnitude_squared = 0;  ///< Σ S[k]²
};

struct Kernels {
  /// max |y[i]| over i < n of the FIR y[i] = Σ_{j<taps} h[j]·x[i + taps − 1 − j] (x holds
  /// n + taps − 1 samples). The true-peak interpolator's phases.
  float (*fir_max_abs)(const float* x, std::size_t n, const float* h, std::size_t taps);
  /// out[i] = double(x[i]) · w[i].
  void (*window)(const float* x, const double* w, double* out, std::size_t n);
  /// From a double-precision complex spectrum X (re, im interleaved, `bins` values): the float
  /// spectrum (interleaved), power re² + im² of the float values, and magnitude
  /// float(sqrt(re² + im²)) computed in double (numpy's |complex64|).
  void (*power_magnitude)(const double* X, std::size_t bins, float* spectrum, float* power,
                          float* magnitude);
  /// The spectral sums of one frame (magnitude S, power P, bin frequencies f).
  SpectrumSums (*spectrum_sums)(const float* S, const float* P, const double* f, std::size_t n);
  /// Σ S[k]·(f[k] − centre)².
  double (*spread)(const float* S, const double* f, double centre, std::size_t n);
  /// Σ (a[k]·scale − b[k])², with out[k] = a[k]·scale (as float) written on the way.
  double (*scaled_diff_squared)(const float* a, double scale, const float* b, float* out,
                                std::size_t n);
  /// Σ x[k]² in double.
  double (*sum_squares)(const float* x, std::size_t n);
  /// sign · (the sum of the q largest values of sign · x[0..n)), 1 ≤ q ≤ n, sign ±1: the q
  /// largest (1) or smallest (−1) values' sum, in double, the values summed in ascending order
  /// (spectral contrast). `scratch` holds n floats. `hint` carries the q-th value from one
  /// call to the next for the same band and direction (start with −∞): a good guess saves work,
  /// any value gives the same result.
  double (*sum_of_extremes)(const float* x, std::size_t n, std::size_t q, float sign,
                            float* scratch, float* hint);
  /// How many of x[0..n) are NaN or ±Inf (the exponent bits all set).
  std::size_t (*count_non_finite)(const float* x, std::size_t n);
  /// max |x[k]| (0 for n = 0): sample peaks, and the largest bin of a power spectrum.
  float (*max_abs)(const float* x, std::size_t n);
  /// Σ x[k] in double.
  double (*sum)(const float* x, std::size_t n);
  /// Σ a[k]·b[k], the products of the floats exact in double and summed in double (the mel and
  /// chroma filterbanks).
  double (*dot)(const float* a, const float* b, std::size_t n);
  /// How many i in 1..n−1 have negative(x[i]) ≠ negative(x[i−1]), where negative(v) means
  /// |v| > 1e-10 and v's sign bit set (librosa's zero crossings).
  std::size_t (*sign_changes)(const float* x, std::size_t n);
  /// The k in [first, last) with x[k] > x[k−1], x[k] ≥ x[k+1] and x[k] > floor (spectral peaks),
  /// written to out in increasing order; returns how many. first ≥ 1; x[last] is read; out holds
  /// last − first values.
  std::size_t (*local_maxima)(const float* x, std::size_t first, std::size_t last, float floor,
                              std::uint32_t* out);
  /// The MIDI pitch 69 + 12·log2(f / 440 Hz) of each peak bins[i] of x (from local_maxima), its
  /// frequency f = (k + δ)·hz_per_bin refined by a parabola through ln(x[k−1] + epsilon),
  /// ln x[k], ln(x[k+1] + epsilon): δ = ½(a − c)/(a − 2b + c), 0 where |a − 2b + c| ≤ den_min.
  /// Vector targets take glibc's vector logarithms (libmvec, within 4 ulp of libm's).
  void (*peak_pitches)(const float* x, const std::uint32_t* bins, std::size_t n, double epsilon,
                       double den_min, double hz_per_bin, double* pitch);
  /// out[j] = Σ_i v[i]·A[i·cols + j] for j < cols (A row-major, rows × cols), each sum over i in
  /// order, in double: a matrix–vector product by rows (the MFCC's DCT over the mel bands). The
  /// same sums on every target (vectorised across j, never reassociated).
  void (*sum_scaled_rows)(const double* A, const float* v, std::size_t rows, std::size_t cols,
                          double* out);
};

/// The table of the active target.
const Kernels& kernels();

/// ln(x) for normal positive floats, branch-free (vectorises): Cephes' logf polynomial,
/// relative error below 2e-7. Shared by every target so that they differ only in summation
/// order.
float fast_log(float x) noexcept;

}  // namespace herscan::simd
