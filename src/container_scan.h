// container_scan.h — what a file's bytes say before libsndfile reads them, and a repaired view
// of damaged files (internal to AudioFileReader).
//
// libsndfile refuses or misreads some files that every player plays: a WAV whose data size is a
// streaming writer's placeholder (0) reads as empty, an Ogg cut inside a page declares
// 2^63 − 1 frames and decodes nothing, and its MP3 decoder stops for good at the first corrupt
// frame. The scan walks the container's structure (RIFF/AIFF chunks, Ogg pages, MPEG audio
// frames) and describes a view of the file without the damage: the source byte ranges to keep,
// in order, and 4-byte patches of size fields. What it repaired becomes a Warning.
// docs/robustness.md gives the policy per format.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "herscan/warning.h"

namespace herscan::detail {

/// Reads up to `n` bytes at `offset` of the source into `dst`; returns the count (short at
/// the end of the source).
using SourceRead = std::function<std::size_t(std::uint64_t offset, std::size_t n, std::byte* dst)>;

struct ByteRange {
  std::uint64_t offset = 0, length = 0;
};

/// Four bytes of the view replaced (a size field rewritten).
struct BytePatch {
  std::uint64_t view_offset = 0;
  std::array<std::byte, 4> bytes{};
};

struct ContainerScan {
  /// The view libsndfile reads: these source ranges, concatenated. Empty: the whole source.
  std::vector<ByteRange> ranges;
  std::vector<BytePatch> patches;
  /// Damage found in the bytes alone (header_size_mismatch, decoder_errors_skipped, truncated).
  std::vector<Warning> warnings;
  /// Silence to put back where corrupt MPEG frames were cut out, so that the time of what
  /// follows stays right: `frames` zero frames before decoded frame `at_frame`. Approximate:
  /// the decoder also drops a frame or two after a cut whose bit reservoir was in the damage.
  struct Gap {
    std::int64_t at_frame = 0, frames = 0;
  };
  std::vector<Gap> gaps;
  /// The length the header declares, in frames, where libsndfile does not report it (a WAV or
  /// AIFF whose data chunk runs past the end: libsndfile shortens it to the bytes present).
  std::optional<std::int64_t> declared_frames;
};

/// Scans a source of `size` bytes. Formats it does not know, and structures it cannot follow,
/// give an empty scan (the file is read as it is).
ContainerScan scan_container(const SourceRead& read, std::uint64_t size);

}  // namespace herscan::detail
