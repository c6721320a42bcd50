// Chooses the kernels' target (herscan/simd.h): the one seam between the analysis and the
// per-target builds of src/simd/kernels_impl.inc.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <string>

#include "herscan/error.h"
#include "herscan/simd.h"
#include "simd/kernels.h"

namespace herscan::simd {
// Each target's table (src/simd/kernels_<target>.cpp); the x86 ones exist only in x86 builds.
namespace scalar {
const Kernels& table();
float log_reference(float x);
}  // namespace scalar
#if HERSCAN_SIMD_X86
namespace sse2 {
const Kernels& table();
}
namespace avx2 {
const Kernels& table();
}
namespace avx512 {
const Kernels& table();
}
#endif

namespace {

bool runs(SimdTarget t) {
  switch (t) {
    case SimdTarget::scalar:
      return true;
#if HERSCAN_SIMD_X86
    case SimdTarget::sse2:
      return true;  // the x86-64 baseline
    case SimdTarget::avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case SimdTarget::avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
#endif
    default:
      return false;
  }
}

const Kernels& table_of(SimdTarget t) {
  switch (t) {
#if HERSCAN_SIMD_X86
    case SimdTarget::sse2:
      return sse2::table();
    case SimdTarget::avx2:
      return avx2::table();
    case SimdTarget::avx512:
      return avx512::table();
#endif
    default:
      return scalar::table();
  }
}

std::atomic<const Kernels*> g_table{nullptr};
std::atomic<SimdTarget> g_target{SimdTarget::scalar};
std::once_flag g_chosen;

void choose() {
  std::call_once(g_chosen, [] {
    SimdTarget target = supported_simd_targets().back();
    if (const char* forced = std::getenv("HERSCAN_SIMD")) {
      const auto named = parse_simd_target(forced);
      if (named && runs(*named)) target = *named;
    }
    g_target = target;
    g_table = &table_of(target);
  });
}

}  // namespace

const Kernels& kernels() {
  const Kernels* t = g_table.load(std::memory_order_acquire);
  if (!t) {
    choose();
    t = g_table.load(std::memory_order_acquire);
  }
  return *t;
}

float fast_log(float x) noexcept {
  return scalar::log_reference(x);
}

}  // namespace herscan::simd

namespace herscan {

std::string_view simd_target_name(SimdTarget target) noexcept {
  switch (target) {
    case SimdTarget::scalar:
      return "scalar";
    case SimdTarget::sse2:
      return "sse2";
    case SimdTarget::avx2:
      return "avx2";
    case SimdTarget::avx512:
      return "avx512";
  }
  return "scalar";
}

std::optional<SimdTarget> parse_simd_target(std::string_view name) noexcept {
  for (SimdTarget t : {SimdTarget::scalar, SimdTarget::sse2, SimdTarget::avx2, SimdTarget::avx512})
    if (simd_target_name(t) == name) return t;
  return std::nullopt;
}

std::vector<SimdTarget> supported_simd_targets() {
  std::vector<SimdTarget> targets;
  for (SimdTarget t : {SimdTarget::scalar, SimdTarget::sse2, SimdTarget::avx2, SimdTarget::avx512})
    if (simd::runs(t)) targets.push_back(t);
  return targets;
}

SimdTarget active_simd_target() {
  simd::kernels();
  return simd::g_target.load();
}

void set_simd_target(SimdTarget target) {
  if (!simd::runs(target))
    throw Error(ErrorCode::invalid_argument,
                "SIMD target " + std::string(simd_target_name(target)) + " is not supported here");
  simd::choose();
  simd::g_target = target;
  simd::g_table.store(&simd::table_of(target), std::memory_order_release);
}

}  // namespace herscan
