#include "herscan/fft.h"

#include <fftw3.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <mutex>
#include <numbers>

#include "herscan/error.h"

namespace herscan {
namespace {

// FFTW's single- and double-precision APIs behind one name.
template <class T>
struct Fftw;
template <>
struct Fftw<float> {
  using plan = fftwf_plan;
  using complex = fftwf_complex;
  static float* alloc_real(std::size_t n) { return fftwf_alloc_real(n); }
  static complex* alloc_complex(std::size_t n) { return fftwf_alloc_complex(n); }
  static void free(void* p) { fftwf_free(p); }
  static plan plan_r2c(int n, float* in, complex* out) {
    return fftwf_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  }
  static void execute(plan p, float* in, complex* out) { fftwf_execute_dft_r2c(p, in, out); }
};
template <>
struct Fftw<double> {
  using plan = fftw_plan;
  using complex = fftw_complex;
  static double* alloc_real(std::size_t n) { return fftw_alloc_real(n); }
  static complex* alloc_complex(std::size_t n) { return fftw_alloc_complex(n); }
  static void free(void* p) { fftw_free(p); }
  static plan plan_r2c(int n, double* in, complex* out) {
    return fftw_plan_dft_r2c_1d(n, in, out, FFTW_ESTIMATE);
  }
  static void execute(plan p, double* in, complex* out) { fftw_execute_dft_r2c(p, in, out); }
};

// Process-wide cache of r2c plans, one per (precision, size). FFTW's planner is not thread-safe
// (in either precision), so every planner call happens under one mutex; execution (new-array
// API) needs no lock. Plans live for the whole process: they are small and reused across files.
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

template <class T>
typename Fftw<T>::plan cached_plan(std::size_t n) {
  static auto* plans = new std::map<std::size_t, typename Fftw<T>::plan>;  // never destroyed
  std::lock_guard lock(planner_mutex());
  auto it = plans->find(n);
  if (it != plans->end()) return it->second;
  // Plan on scratch buffers with FFTW's own (SIMD) alignment; every BasicRealFft buffer comes
  // from FFTW's allocator too, so the new-array execute's alignment requirement holds.
  T* in = Fftw<T>::alloc_real(n);
  auto* out = Fftw<T>::alloc_complex(n / 2 + 1);
  auto plan = Fftw<T>::plan_r2c(int(n), in, out);
  Fftw<T>::free(in);
  Fftw<T>::free(out);
  if (!plan)
    throw Error(ErrorCode::internal, "FFTW could not plan a real FFT of size " + std::to_string(n));
  plans->emplace(n, plan);
  return plan;
}

}  // namespace

template <class T>
BasicRealFft<T>::BasicRealFft(std::size_t n) : n_(n) {
  if (n < 2 || n > (std::size_t(1) << 26))
    throw Error(ErrorCode::invalid_argument,
                "RealFft size must be in 2..2^26, got " + std::to_string(n));
  plan_ = cached_plan<T>(n);
  in_ = Fftw<T>::alloc_real(n);
  out_ = reinterpret_cast<std::complex<T>*>(Fftw<T>::alloc_complex(n / 2 + 1));
  if (!in_ || !out_) throw Error(ErrorCode::internal, "out of memory for an FFT buffer");
  std::fill(in_, in_ + n, T(0));
}

template <class T>
BasicRealFft<T>::~BasicRealFft() {
  Fftw<T>::free(in_);
  Fftw<T>::free(out_);
}

template <class T>
void BasicRealFft<T>::execute() noexcept {
  Fftw<T>::execute(static_cast<typename Fftw<T>::plan>(plan_), in_,
                   reinterpret_cast<typename Fftw<T>::complex*>(out_));
}

template <class T>
void BasicRealFft<T>::forward(std::span<const T> in, std::span<std::complex<T>> out) {
  if (in.size() != n_ || out.size() != bins())
    throw Error(ErrorCode::invalid_argument, "RealFft::forward: wrong buffer sizes");
  std::copy(in.begin(), in.end(), in_);
  execute();
  std::copy(out_, out_ + bins(), out.begin());
}

template class BasicRealFft<float>;
template class BasicRealFft<double>;

std::vector<std::complex<double>> reference_rdft(std::span<const double> x) {
  const std::size_t n = x.size();
  std::vector<std::complex<double>> twiddle(n);
  for (std::size_t m = 0; m < n; ++m) {
    const double angle = -2.0 * std::numbers::pi * double(m) / double(n);
    twiddle[m] = {std::cos(angle), std::sin(angle)};
  }
  std::vector<std::complex<double>> X(n / 2 + 1);
  for (std::size_t k = 0; k <= n / 2; ++k) {
    std::complex<double> sum = 0;
    for (std::size_t t = 0; t < n; ++t) sum += x[t] * twiddle[(k * t) % n];  // exact reduction
    X[k] = sum;
  }
  return X;
}

}  // namespace herscan
