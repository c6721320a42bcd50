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
/// numpy.fft.rfft), in single (float) or double precision. Thread-safety: one thread per object.
template <class T>
class BasicRealFft {
 public:
  explicit BasicRealFft(std::size_t n);  ///< n ≥ 2; throws Error(invalid_argument) otherwise
  ~BasicRealFft();
  BasicRealFft(const BasicRealFft&) = delete;
  BasicRealFft& operator=(const BasicRealFft&) = delete;

  std::size_t size() const noexcept { return n_; }
  std::size_t bins() const noexcept { return n_ / 2 + 1; }

  /// The aligned input buffer (size()) and output buffer (bins()) used by execute().
  T* input() noexcept { return in_; }
  const std::complex<T>* output() const noexcept { return out_; }
  /// Transforms input() into output().
  void execute() noexcept;

  /// Convenience: copies `in` (size()) to input(), executes, copies output() to `out` (bins()).
  void forward(std::span<const T> in, std::span<std::complex<T>> out);

 private:
  std::size_t n_;
  T* in_ = nullptr;
  std::complex<T>* out_ = nullptr;
  void* plan_ = nullptr;  // fftwf_plan / fftw_plan owned by the process-wide cache
};

/// Single precision (FFTW's fftwf_*): the default for herscan's transforms.
using RealFft = BasicRealFft<float>;
/// Double precision (FFTW's fftw_*): the STFT uses it, as numpy does, so that bins 120 dB and
/// more below a frame's peak (a resampler's stop band) keep their values (docs/design.md).
using RealFftDouble = BasicRealFft<double>;

extern template class BasicRealFft<float>;
extern template class BasicRealFft<double>;

/// O(n²) real DFT in double precision with exactly reduced twiddle angles. The test oracle.
std::vector<std::complex<double>> reference_rdft(std::span<const double> x);

}  // namespace herscan
