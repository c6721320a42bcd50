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

// Process-wide cache of r2c plans, one per size. FFTW's planner is not thread-safe, so every
// planner call happens under this mutex; execution (new-array API) needs no lock. The cache
// lives for the whole process: plans are small and reused across files.
class PlanCache {
 public:
  static PlanCache& instance() {
    static PlanCache* cache = new PlanCache;  // never destroyed: usable until exit
    return *cache;
  }

  fftwf_plan r2c(std::size_t n) {
    std::lock_guard lock(mutex_);
    auto it = plans_.find(n);
    if (it != plans_.end()) return it->second;
    // Plan on scratch buffers with FFTW's own (SIMD) alignment; RealFft buffers come from
    // fftwf_malloc too, so the new-array execute's alignment requirement holds.
    float* in = fftwf_alloc_real(n);
    fftwf_complex* out = fftwf_alloc_complex(n / 2 + 1);
    fftwf_plan plan = fftwf_plan_dft_r2c_1d(int(n), in, out, FFTW_ESTIMATE);
    fftwf_free(in);
    fftwf_free(out);
    if (!plan)
      throw Error(ErrorCode::internal,
                  "FFTW could not plan a real FFT of size " + std::to_string(n));
    plans_.emplace(n, plan);
    return plan;
  }

 private:
  std::mutex mutex_;
  std::map<std::size_t, fftwf_plan> plans_;
};

}  // namespace

RealFft::RealFft(std::size_t n) : n_(n) {
  if (n < 2 || n > (std::size_t(1) << 26))
    throw Error(ErrorCode::invalid_argument,
                "RealFft size must be in 2..2^26, got " + std::to_string(n));
  plan_ = PlanCache::instance().r2c(n);
  in_ = fftwf_alloc_real(n);
  out_ = reinterpret_cast<std::complex<float>*>(fftwf_alloc_complex(n / 2 + 1));
  if (!in_ || !out_) throw Error(ErrorCode::internal, "out of memory for an FFT buffer");
  std::fill(in_, in_ + n, 0.0f);
}

RealFft::~RealFft() {
  fftwf_free(in_);
  fftwf_free(out_);
}

void RealFft::execute() noexcept {
  fftwf_execute_dft_r2c(static_cast<fftwf_plan>(plan_), in_,
                        reinterpret_cast<fftwf_complex*>(out_));
}

void RealFft::forward(std::span<const float> in, std::span<std::complex<float>> out) {
  if (in.size() != n_ || out.size() != bins())
    throw Error(ErrorCode::invalid_argument, "RealFft::forward: wrong buffer sizes");
  std::copy(in.begin(), in.end(), in_);
  execute();
  std::copy(out_, out_ + bins(), out.begin());
}

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
