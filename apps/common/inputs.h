// From command-line PATH arguments to the list of files a batch run analyses: folders walked
// recursively (no symlink loops), audio recognised by extension and by content, --include and
// --exclude globs, a stable sorted order, and --shard K/N partitions. docs/scaling.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herscan/error.h"

namespace herscan::app {

struct Input {
  std::string path;      ///< as reported in the record's "file": the argument, or argument/relative
  std::string relative;  ///< relative to its folder argument (the argument itself for a file)
  /// Set when the input cannot be analysed for a reason found while walking (a folder that
  /// cannot be read): its record is this error.
  std::optional<ErrorCode> error;
  std::string error_message;
};

struct InputFilters {
  std::vector<std::string> include;  ///< globs; a file in a folder must match one (if any given)
  std::vector<std::string> exclude;  ///< globs; a file in a folder matching one is left out
};

/// The files to analyse, in order: each argument in turn; a file argument as given (it is
/// analysed even if it is not audio: its record says why); a folder argument walked
/// recursively in byte order of the relative paths, following symbolic links but entering no
/// folder twice (a link loop ends there), skipping hidden names (".*", e.g. macOS "._" files),
/// keeping files with an audio extension (reported even if they turn out unreadable) and other
/// files whose first bytes are an audio container's signature. Globs (fnmatch, `*` also
/// matches `/`) are matched against the path relative to the folder argument and against the
/// file name. A folder that cannot be read adds an Input whose record will report the error.
/// `empty_folders`, if given, receives the folder arguments in which nothing was found.
std::vector<Input> collect_inputs(const std::vector<std::string>& arguments,
                                  const InputFilters& filters,
                                  std::vector<std::string>* empty_folders = nullptr);

/// True for the extensions of audio formats (case-insensitive): those libsndfile reads, those
/// FFmpeg's libraries read (m4a, wma, ape, wv, mka, and video containers: mp4, mkv, webm, mov),
/// and a few neither reads (reported as not audio rather than skipped).
bool has_audio_extension(std::string_view path);

/// True when the file's first bytes are the signature of an audio container herscan reads
/// (RIFF/RF64 WAVE, Wave64, AIFF/AIFC, FLAC, Ogg, CAF, Sun .snd, MP3 with ID3 or a frame sync;
/// MP4/MOV, Matroska/WebM, ASF, APE, WavPack, TrueAudio, AC-3).
bool looks_like_audio(const std::string& path);

/// --shard K/N: K in 1..N, N ≥ 1. nullopt for a malformed value.
struct Shard {
  std::uint64_t index = 0;  ///< K − 1
  std::uint64_t count = 1;  ///< N
};
std::optional<Shard> parse_shard(std::string_view text);

/// Whether an input belongs to a shard: FNV-1a (64-bit) of its relative path, modulo N. Stable
/// under adding or removing other files and across machines with the same folder layout.
bool in_shard(const Input& input, const Shard& shard);

}  // namespace herscan::app
