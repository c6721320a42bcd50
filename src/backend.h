// backend.h — the decoding backends behind AudioFileReader (internal).
//
// AudioFileReader owns the file, the warnings and what every backend shares (the input limits,
// NaN/Inf zeroing, the duration cap, truncation against a declared length); a backend turns
// the bytes into interleaved float frames. Two exist: libsndfile (sndfile_decoder.cpp), the
// first choice for what it reads, and FFmpeg's libraries (ffmpeg_decoder.cpp; a build without
// them compiles no_ffmpeg.cpp instead), for what libsndfile refuses. Which one reads a file is
// decided by probing its content, never by its name (docs/cli.md, "Formats").
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "byte_source.h"
#include "herscan/audio_file.h"
#include "herscan/error.h"
#include "herscan/warning.h"

namespace herscan::detail {

/// What a backend may report while it opens and reads. `warn` records a warning (in strict
/// mode a damage warning is thrown as its error instead).
struct DecodeContext {
  const std::filesystem::path& path;
  const ReadOptions& options;
  std::function<void(WarningCode, std::string)> warn;
};

class Backend {
 public:
  virtual ~Backend() = default;
  /// Filled by the backend when it opens.
  AudioInfo info;
  Tags tags;

  /// The length in frames that the header declares, where it is exact: the reader reports a
  /// shorter stream as truncated.
  virtual std::optional<std::int64_t> declared_length() const { return std::nullopt; }

  /// Decodes up to `max_frames` frames into `interleaved` (info.channels floats per frame).
  /// Returns the count; 0 at the end of the stream. When decoding stopped for good on an error,
  /// sets `stopped` to the decoder's reason (frames decoded before it may still be returned).
  virtual std::size_t read(float* interleaved, std::size_t max_frames, std::string& stopped) = 0;
};

/// Throws Error(code) with the message "PATH: why".
[[noreturn]] void fail(ErrorCode code, const std::filesystem::path& path, const std::string& why);

/// Throws Error(invalid_format) for a channel count or sample rate outside the input limits
/// (herscan/audio_file.h).
void check_limits(const std::filesystem::path& path, std::int64_t channels, std::int64_t rate_hz);

/// libsndfile. Throws Error(not_audio) with libsndfile's reason when it refuses the bytes.
std::unique_ptr<Backend> open_sndfile(ByteSource& source, DecodeContext& context);

/// Whether the bytes start with the signature of a container that libsndfile reads (RIFF WAVE,
/// RF64, Wave64, AIFF, FLAC, CAF, Sun .snd): where FFmpeg cannot read such a file either, why
/// libsndfile refused it is the better reason.
bool has_sndfile_signature(ByteSource& source);

/// Whether this build has the FFmpeg backend (-DHERSCAN_FFMPEG).
bool ffmpeg_available() noexcept;

/// FFmpeg's libraries. Throws Error: not_audio (no container recognised), no_audio_stream,
/// encrypted, unsupported_codec, invalid_format, truncated (nothing decodes), empty_stream.
/// `why_not_sndfile` is libsndfile's reason for refusing the file, for the not_audio message.
std::unique_ptr<Backend> open_ffmpeg(ByteSource& source, DecodeContext& context,
                                     const std::string& why_not_sndfile);

/// The tags FFmpeg's demuxers read in a file that libsndfile decodes (libsndfile reads only a
/// few text fields, and no ReplayGain values). nullopt when FFmpeg cannot read the container.
std::optional<Tags> read_tags_ffmpeg(ByteSource& source);

}  // namespace herscan::detail
