// The kernels for the scalar target: the reference: compiled without vectorisation
// (-fno-tree-vectorize), pragmas empty.
#define HERSCAN_SIMD_NS scalar
#define HERSCAN_SIMD(clauses)
#define HERSCAN_SIMD_SCALAR 1
#include "simd/kernels_impl.inc"
