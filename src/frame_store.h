// Rows of per-frame values kept until the end of a file, for the features whose definition
// needs the whole file first (librosa's top_db clips against the maximum of the whole matrix).
// Rows stay in memory up to a budget, then go to an unlinked temporary file, so resident memory
// stays bounded for any length (a 3-hour track has 500 000 frames; 128 mel bands of float are
// 256 MB). Internal to the library.
#pragma once

#include <cstdio>
#include <cstring>
#include <span>
#include <string>
#include <vector>

#include "herscan/error.h"

namespace herscan::detail {

/// Rows of T (float for spectra and features; double where a computation must be repeatable
/// exactly).
template <class T>
class BasicFrameStore {
 public:
  /// `width` values per row; at most `memory_budget_bytes` in memory before spilling. The default
  /// 4 MB holds 4 minutes of 128 mel bands; a file's several stores stay well under the 100 MB
  /// that a 3-hour track may use (docs/performance.md).
  explicit BasicFrameStore(std::size_t width, std::size_t memory_budget_bytes = std::size_t(4)
                                                                                << 20)
      : width_(width),
        budget_rows_(std::max<std::size_t>(1, memory_budget_bytes / (width * sizeof(T)))) {}
  ~BasicFrameStore() {
    if (spill_) std::fclose(spill_);
  }
  BasicFrameStore(const BasicFrameStore&) = delete;
  BasicFrameStore& operator=(const BasicFrameStore&) = delete;

  std::size_t width() const noexcept { return width_; }
  std::size_t rows() const noexcept { return rows_; }

  void append(std::span<const T> row) {
    if (memory_.size() / width_ >= budget_rows_) flush_to_disk();
    if (memory_.capacity() == 0) memory_.reserve(std::min(budget_rows_, std::size_t(64)) * width_);
    if (memory_.size() + width_ > memory_.capacity())  // grow in place of doubling past the budget
      memory_.reserve(std::min(budget_rows_ * width_, 2 * memory_.capacity()));
    memory_.insert(memory_.end(), row.begin(), row.end());
    ++rows_;
  }

  /// Calls f(row index, row) for every row in order. Rows on disk are read back in chunks.
  template <class F>
  void for_each(F&& f) const {
    std::size_t index = 0;
    if (spill_) {
      std::rewind(spill_);
      // Read back 256 rows at a time (1 MB for a 1025-bin spectrum): small enough to stay in
      // cache and not to fault in fresh pages on every pass.
      constexpr std::size_t kChunkRows = 256;
      std::vector<T> chunk(width_ * kChunkRows);
      while (index < spilled_rows_) {
        const std::size_t want = std::min<std::size_t>(kChunkRows, spilled_rows_ - index);
        if (std::fread(chunk.data(), sizeof(T) * width_, want, spill_) != want)
          throw Error(ErrorCode::internal, "frame store: reading back the temporary file failed");
        for (std::size_t r = 0; r < want; ++r, ++index)
          f(index, std::span<const T>(chunk.data() + r * width_, width_));
      }
      std::fseek(spill_, 0, SEEK_END);
    }
    for (std::size_t r = 0; r * width_ < memory_.size(); ++r, ++index)
      f(index, std::span<const T>(memory_.data() + r * width_, width_));
  }

 private:
  void flush_to_disk() {
    if (!spill_) {
      spill_ = std::tmpfile();  // unlinked: vanishes with the process
      if (!spill_) throw Error(ErrorCode::internal, "frame store: cannot create a temporary file");
    }
    const std::size_t n = memory_.size() / width_;
    if (std::fwrite(memory_.data(), sizeof(T) * width_, n, spill_) != n)
      throw Error(ErrorCode::internal,
                  "frame store: writing the temporary file failed (disk full?)");
    spilled_rows_ += n;
    memory_.clear();
  }

  std::size_t width_;
  std::size_t budget_rows_;
  std::size_t rows_ = 0;
  std::size_t spilled_rows_ = 0;
  std::vector<T> memory_;
  std::FILE* spill_ = nullptr;
};

using FrameStore = BasicFrameStore<float>;

}  // namespace herscan::detail
