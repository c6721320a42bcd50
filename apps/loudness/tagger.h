// herscan-loudness's two steps per file: measure (the loudness record, and for tagging the
// decoded audio's hash, the file's state and its tag format), then tag (plan the ReplayGain
// tags, and write them through safe_rewrite.h after verifying the rewritten copy). Album values
// come between the steps (main.cpp groups the files). Both steps are thread-safe on distinct
// files. docs/loudness.md "Tagging".
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "herscan/loudness.h"
#include "herscan/profile.h"
#include "loudness/replaygain_tags.h"
#include "loudness/safe_rewrite.h"

namespace herscan::app {

enum class TagAction { write, remove };

struct TagOptions {
  TagAction action = TagAction::write;
  TagPolicy policy;
  bool dry_run = false;      ///< plan and report, change nothing
  bool skip_tagged = false;  ///< a file with every tag it would get is neither measured nor written
};

/// A file after the first step.
struct Measured {
  nlohmann::ordered_json record;           ///< the loudness record, or the error record
  std::optional<LoudnessResult> loudness;  ///< when measured
  // For tagging:
  std::string real_path;  ///< symbolic links resolved: the file that is replaced
  FileState state;
  std::optional<TagFormat> format;
  std::uint64_t audio_hash = 0;  ///< of the decoded samples, frame count and channel count
};

/// Measures `path` (loudness only, at the native rate). With `tagging`, also what tag() needs:
/// a file that cannot be tagged (its format, a read-only or hard-linked file) gets its error
/// record here, before it is decoded; damaged files are refused (strict decoding: a cut or
/// corrupt file is never rewritten). `options` are the profile options (loudness feature).
Measured measure(const std::string& path, const ProfileOptions& options, const TagOptions* tagging);

/// True when --skip-tagged would skip the file: it carries every tag the run would write
/// (names only: values are not compared, the file is not decoded); in album mode a file with
/// the album tags and none of the track tags also counts (a track too short or silent for a
/// loudness of its own is tagged so). Errors count as not tagged.
bool has_every_tag(const std::string& path, const TagOptions& tagging, bool album);

/// The second step: the record of `measured` with its "replaygain_tags" block, after writing
/// (or, with dry_run, planning) the tags of its track and `album` values (null: track only).
/// An error record (nothing written) when it fails.
nlohmann::ordered_json tag(const Measured& measured, const LoudnessResult* album,
                           const TagOptions& options);

/// The record of a file --skip-tagged left alone, or (`same_as`: its first path) of a file the
/// run reached twice and tags at its first path only.
nlohmann::ordered_json skipped_record(const std::string& path, const std::string& same_as = "");

/// The hash of decoded audio (64-bit, over the samples' bits in order, the frame count and the
/// channel count), as measure() computes it.
class AudioHash {
 public:
  void push(const float* interleaved, std::size_t samples);
  std::uint64_t value(std::int64_t frames, int channels) const;

 private:
  std::uint64_t h_ = 0x9e3779b97f4a7c15ull;
};

/// The hash of a file's decoded audio, decoded strictly (throws herscan::Error as the reader).
std::uint64_t decoded_audio_hash(const std::string& path);

}  // namespace herscan::app
