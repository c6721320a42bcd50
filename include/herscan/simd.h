// herscan/simd.h — which vector instruction set herscan's hot loops use.
//
// The loops around FFTW (windowing, power spectrum, spectral sums, filterbanks, the true-peak
// interpolator, ...) are compiled once per target and chosen at run time, at one seam
// (src/simd/). `scalar` is always built and is the reference: every other target computes the
// same sums in another order (and with fused multiply-adds), so results agree to float
// rounding, within the tolerances tests/simd_test.cpp states. docs/performance.md.
//
// The target is chosen at the first analysis: the environment variable HERSCAN_SIMD
// (scalar, sse2, avx2, avx512) if it names a target this build has and this CPU runs, else the
// best supported one.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace herscan {

enum class SimdTarget { scalar, sse2, avx2, avx512 };

std::string_view simd_target_name(SimdTarget target) noexcept;
std::optional<SimdTarget> parse_simd_target(std::string_view name) noexcept;

/// The targets this build contains and this CPU runs, scalar first, best last.
std::vector<SimdTarget> supported_simd_targets();

/// The target in use (chosen at the first call, see above).
SimdTarget active_simd_target();

/// Switches every kernel to `target` (for tests and benchmarks; not thread-safe against running
/// analyses). Throws Error(invalid_argument) for a target that is not supported.
void set_simd_target(SimdTarget target);

}  // namespace herscan
