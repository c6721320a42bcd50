// herscan/stats.h — running summaries of per-frame series.
#pragma once

#include <cmath>
#include <cstdint>

namespace herscan {

/// Mean and population standard deviation (ddof = 0, as numpy's std) of a series.
/// Both are NaN for an empty series; serialisers turn NaN into null.
struct Summary {
  double mean = NAN;
  double std = NAN;
};

/// Welford's online mean/variance in double precision: numerically stable for millions of
/// frames, O(1) memory. Thread-safety: one thread per object.
class RunningSummary {
 public:
  void add(double x) noexcept {
    ++count_;
    const double delta = x - mean_;
    mean_ += delta / double(count_);
    m2_ += delta * (x - mean_);
  }
  std::int64_t count() const noexcept { return count_; }
  Summary summary() const noexcept {
    if (count_ == 0) return {};
    return {mean_, std::sqrt(m2_ / double(count_))};
  }

 private:
  std::int64_t count_ = 0;
  double mean_ = 0;
  double m2_ = 0;
};

}  // namespace herscan
