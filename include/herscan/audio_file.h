// herscan/audio_file.h — streaming audio decoding over libsndfile.
//
// Reads WAV, AIFF, FLAC, Ogg Vorbis, Opus and MP3 (whatever the system's libsndfile decodes),
// block by block: the whole file is never held in memory. Samples are 32-bit floats,
// interleaved, integer formats normalised to [-1, 1) as libsndfile does (x / 2^(bits-1)).
//
// Damaged files that players play are read, not refused: a stream cut short, a header whose
// sizes are placeholders, corrupt MPEG frames (cut out of what the decoder sees), NaN or ±Inf
// samples (replaced by 0) each become a Warning (herscan/warning.h; docs/robustness.md gives
// the policy per format). ReadOptions::strict makes them errors instead.
//
// Thread-safety: an AudioFileReader is used by one thread at a time; distinct readers are
// independent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "herscan/warning.h"

namespace herscan {

/// Loudspeaker position of a channel, as far as the file tells it (BS.1770 weighting needs
/// it). `unknown` when the file carries no layout. Names follow WAVE_FORMAT_EXTENSIBLE's
/// (a 5.1 file's surround pair is usually back_left/back_right, sometimes side_left/right).
enum class ChannelPosition {
  unknown,
  mono,
  front_left,
  front_right,
  front_center,
  lfe,
  back_left,
  back_right,
  back_center,
  front_left_of_center,
  front_right_of_center,
  side_left,
  side_right,
  top,
};

/// What the container says about the stream.
struct AudioInfo {
  std::string container;  ///< "WAV", "AIFF", "FLAC", "Ogg", "MPEG", "RF64", "CAF", ...
  std::string codec;      ///< "pcm_s16", "pcm_f32", "flac", "vorbis", "opus", "mp3", ...
  double sample_rate_hz = 0;
  int channels = 0;
  std::int64_t frames = 0;              ///< per channel; as the header states it (MP3: an estimate)
  std::optional<int> bit_depth;         ///< for PCM and FLAC; none for lossy codecs
  std::vector<ChannelPosition> layout;  ///< one per channel, or empty when the file has none

  double duration_s() const { return sample_rate_hz > 0 ? double(frames) / sample_rate_hz : 0; }
};

/// Input limits (docs/robustness.md): files outside them are refused with invalid_format.
inline constexpr int kMaxChannels = 64;          ///< 22.2 audio has 24; the loudness meter takes 64
inline constexpr int kMinSampleRateHz = 1000;    ///< below this there is no music to analyse
inline constexpr int kMaxSampleRateHz = 768000;  ///< the highest rate of real converters
inline constexpr std::int64_t kMaxDurationS = 48 * 3600;  ///< decoded audio, checked while reading

struct ReadOptions {
  /// Damage warnings (is_damage()) become errors: Error(strict_error_code(code)), thrown where
  /// the damage is found, with the warning's message (herscan --strict).
  bool strict = false;
};

/// Opens an audio file for streaming. Throws herscan::Error (not_found, not_a_file,
/// unreadable, empty_file, not_audio, invalid_format) naming the path and libsndfile's reason.
class AudioFileReader {
 public:
  explicit AudioFileReader(const std::filesystem::path& path, const ReadOptions& options = {});
  /// Reads an encoded file held in memory (libsndfile's virtual I/O), named `name` in errors
  /// and profiles. `bytes` must outlive the reader. Throws as the path constructor does
  /// (empty_file, not_audio, invalid_format).
  AudioFileReader(std::span<const std::byte> bytes, const std::filesystem::path& name,
                  const ReadOptions& options = {});
  ~AudioFileReader();
  AudioFileReader(AudioFileReader&&) noexcept;
  AudioFileReader& operator=(AudioFileReader&&) noexcept;
  AudioFileReader(const AudioFileReader&) = delete;
  AudioFileReader& operator=(const AudioFileReader&) = delete;

  const AudioInfo& info() const noexcept;
  const std::filesystem::path& path() const noexcept;

  /// Reads up to `max_frames` frames into `interleaved` (room for max_frames × channels
  /// floats). Returns the number of frames read; 0 at the end of the stream. Every sample is
  /// finite. A decoder error mid-file ends the stream with a `truncated` warning; it throws
  /// Error(truncated) only when nothing decodes at all, Error(non_finite) when no sample is
  /// finite, and in strict mode at the first damage.
  std::size_t read(float* interleaved, std::size_t max_frames);

  /// Frames returned by read() so far.
  std::int64_t frames_read() const noexcept;

  /// What was read past, in the order found; complete once read() has returned 0.
  const std::vector<Warning>& warnings() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Short name of a channel position: "FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR", ...
const char* channel_position_name(ChannelPosition position) noexcept;

}  // namespace herscan
