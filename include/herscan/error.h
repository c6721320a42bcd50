// herscan/error.h — the one exception type herscan throws, with a stable machine-readable code.
//
// Data conditions that still allow a result (silence, a feature undefined on some frames) are
// reported as documented values, never as exceptions. Exceptions are for misuse (bad
// configuration) and for input that cannot be analysed (not audio, nothing decodes); damage a
// file can be read past is a Warning (herscan/warning.h), an Error only in strict mode. The
// code strings are part of the JSON contract (docs/profile-schema.md).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace herscan {

enum class ErrorCode {
  invalid_argument,   // misuse: a configuration field out of range, a bad call sequence
  not_found,          // the path does not exist
  not_a_file,         // the path is a directory or another non-regular file
  unreadable,         // permission denied or another OS-level open/read failure
  empty_file,         // zero bytes
  not_audio,          // neither libsndfile nor FFmpeg recognises an audio format in the bytes
  no_audio_stream,    // a container FFmpeg reads (a video, say) with no audio stream in it
  encrypted,          // the audio is encrypted (DRM: FairPlay, CENC, ASF content encryption)
  unsupported_codec,  // the container is read but no decoder here decodes its audio codec
  empty_stream,       // the audio stream holds no samples at all
  invalid_format,     // a header with zero channels, zero rate or absurd values
  truncated,          // nothing decodes; strict mode: a cut stream, a decode error, corrupt frames
  non_finite,         // no sample is finite; strict mode: any NaN or infinite sample
  too_short,          // not produced: short files get degenerate profiles (codes stay stable)
  internal,           // a bug in herscan or a library it uses
  crashed,            // the analysis process died on this file (herscan --isolate, docs/scaling.md)
  // Tagging (herscan-loudness --tag, docs/loudness.md): the file is left as it was.
  not_taggable,   // a format herscan does not tag (WAV, AIFF, ...), or a hard-linked file
  read_only,      // the file, or its folder, is not writable
  changed,        // the file changed while it was being measured and tagged
  write_failed,   // writing the tagged copy failed (a full disk, an I/O error)
  verify_failed,  // the tagged copy did not decode to the same audio or lost other tags
};

/// Stable snake_case name of a code, as written in JSON error records ("not_audio", ...).
std::string_view error_code_name(ErrorCode code) noexcept;

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const noexcept { return code_; }

 private:
  ErrorCode code_;
};

}  // namespace herscan
