// Rows of per-frame values kept until the end of a file, for the features whose definition
// needs the whole file first (librosa's top_db clips against the maximum of the whole matrix).
// Rows are buffered in memory up to a budget, then written to an unlinked temporary file, so
// resident memory stays bounded for any length (a 3-hour track has 500 000 frames; 128 mel bands
// of float are 256 MB). Internal to the library.
#pragma once

#include <algorithm>
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
  /// `width` values per row, buffered in at most `memory_budget_bytes` (at least one row). The
  /// buffer is allocated once at its full size and reused: on this kind of machine a fresh page
  /// costs more than writing it to the page cache, so a small buffer that is written out whenever
  /// it fills beats a large one (docs/performance.md). Files that fit stay in memory.
  static constexpr std::size_t kDefaultBudgetBytes = std::size_t(256) << 10;

  explicit BasicFrameStore(std::size_t width, std::size_t memory_budget_bytes = kDefaultBudgetBytes)
      : width_(width),
        budget_rows_(std::max<std::size_t>(1, memory_budget_bytes / (width * sizeof(T)))) {}
  ~BasicFrameStore() {
    if (spill_) std::fclose(spill_);
  }
  BasicFrameStore(const BasicFrameStore&) = delete;
  BasicFrameStore& operator=(const BasicFrameStore&) = delete;

  std::size_t width() const noexcept { return width_; }
  std::size_t rows() const noexcept { return rows_; }

  void append(std::span<const T> row) { append_rows(row.data(), 1); }

  /// `n` rows, contiguous.
  void append_rows(const T* data, std::size_t n) {
    if (memory_.empty()) memory_.resize(budget_rows_ * width_);
    while (n > 0) {
      if (buffered_ == budget_rows_) flush_to_disk();
      const std::size_t take = std::min(n, budget_rows_ - buffered_);
      std::memcpy(memory_.data() + buffered_ * width_, data, take * width_ * sizeof(T));
      buffered_ += take, rows_ += take, n -= take;
      data += take * width_;
    }
  }

  /// Calls f(row index, row) for every row in order. Rows on disk are read back through the
  /// same buffer's worth of memory at a time.
  template <class F>
  void for_each(F&& f) const {
    std::size_t index = 0;
    if (spill_) {
      if (std::fflush(spill_) != 0)
        throw Error(ErrorCode::internal,
                    "frame store: writing the temporary file failed (disk full?)");
      std::rewind(spill_);
      std::vector<T> chunk(width_ * std::min(budget_rows_, spilled_rows_));
      const std::size_t chunk_rows = chunk.size() / width_;
      while (index < spilled_rows_) {
        const std::size_t want = std::min(chunk_rows, spilled_rows_ - index);
        if (std::fread(chunk.data(), sizeof(T) * width_, want, spill_) != want)
          throw Error(ErrorCode::internal, "frame store: reading back the temporary file failed");
        for (std::size_t r = 0; r < want; ++r, ++index)
          f(index, std::span<const T>(chunk.data() + r * width_, width_));
      }
      std::fseek(spill_, 0, SEEK_END);
    }
    for (std::size_t r = 0; r < buffered_; ++r, ++index)
      f(index, std::span<const T>(memory_.data() + r * width_, width_));
  }

 private:
  void flush_to_disk() {
    if (!spill_) {
      spill_ = std::tmpfile();  // unlinked: vanishes with the process
      if (!spill_) throw Error(ErrorCode::internal, "frame store: cannot create a temporary file");
      std::setvbuf(spill_, nullptr, _IONBF, 0);  // whole buffers go straight to write(2)
    }
    if (std::fwrite(memory_.data(), sizeof(T) * width_, buffered_, spill_) != buffered_)
      throw Error(ErrorCode::internal,
                  "frame store: writing the temporary file failed (disk full?)");
    spilled_rows_ += buffered_;
    buffered_ = 0;
  }

  std::size_t width_;
  std::size_t budget_rows_;
  std::size_t rows_ = 0;
  std::size_t buffered_ = 0;
  std::size_t spilled_rows_ = 0;
  std::vector<T> memory_;
  std::FILE* spill_ = nullptr;
};

using FrameStore = BasicFrameStore<float>;

}  // namespace herscan::detail
