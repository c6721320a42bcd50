// herscan/fft.h — the one FFT interface: real-to-complex transforms over FFTW3 (single
// precision), plus a slow double-precision DFT that is always built and serves as the oracle.
//
// Plans are created once per size (FFTW_ESTIMATE; see docs/design.md for the measurement that
// chose it) under a process-wide mutex, because FFTW's planner is not thread-safe, and cached
// for the life of the process. Execution uses FFTW's new-array API on buffers owned by each
// RealFft, so any number of RealFft objects of the same size run concurrently.
#pragma once

#include <complex>
#include <cstddef>
#include <span>
#include <vector>

namespace herscan {

/// Forward real DFT of size n: X[k] = sum_t x[t] e^{-2πi kt/n}, k = 0..n/2 (unnormalised, as
/// numpy.fft.rfft). Thread-safety: one thread per object.
class RealFft {
 public:
  explicit RealFft(std::size_t n);  ///< n ≥ 2; throws Error(invalid_argument) otherwise
  ~RealFft();
  RealFft(const RealFft&) = delete;
  RealFft& operator=(const RealFft&) = delete;

  std::size_t size() const noexcept { return n_; }
  std::size_t bins() const noexcept { return n_ / 2 + 1; }

  /// The aligned input buffer (size()) and output buffer (bins()) used by execute().
  float* input() noexcept { return in_; }
  const std::complex<float>* output() const noexcept { return out_; }
  /// Transforms input() into output().
  void execute() noexcept;

  /// Convenience: copies `in` (size()) to input(), executes, copies output() to `out` (bins()).
  void forward(std::span<const float> in, std::span<std::complex<float>> out);

 private:
  std::size_t n_;
  float* in_ = nullptr;
  std::complex<float>* out_ = nullptr;
  void* plan_ = nullptr;  // fftwf_plan owned by the process-wide cache
};

/// O(n²) real DFT in double precision with exactly reduced twiddle angles. The test oracle.
std::vector<std::complex<double>> reference_rdft(std::span<const double> x);

}  // namespace herscan
