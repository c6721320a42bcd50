// The kernels for the avx512 target: compiled with this target's flags and -fopenmp-simd
// (src/CMakeLists.txt).
#define HERSCAN_SIMD_NS avx512
#define HERSCAN_SIMD(clauses) HERSCAN_PRAGMA(omp simd clauses)
#include "simd/kernels_impl.inc"
