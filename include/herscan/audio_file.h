// herscan/audio_file.h — streaming audio decoding over libsndfile and FFmpeg's libraries.
//
// Reads WAV, AIFF, FLAC, Ogg Vorbis, Opus and MP3 with libsndfile, and what libsndfile refuses
// (AAC and ALAC in MP4/M4A, WMA, APE, WavPack, TrueAudio, AC-3, DTS, Matroska/WebM, the first
// audio stream of a video file, ...) with FFmpeg's libavformat/libavcodec, chosen by probing
// the content (docs/cli.md, "Formats"). Block by block: the whole file is never held in memory.
// Samples are 32-bit floats, interleaved, integer formats normalised to [-1, 1) as libsndfile
// does (x / 2^(bits-1)), whichever backend decodes them.
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
#include <string_view>
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

/// The library that decodes a file.
enum class Decoder {
  automatic,   ///< ReadOptions only: libsndfile when it reads the file, else FFmpeg
  libsndfile,  ///< WAV, AIFF, FLAC, Ogg, MP3, CAF, ...
  ffmpeg,      ///< everything else FFmpeg's libraries read (absent with -DHERSCAN_FFMPEG=OFF)
};

/// "libsndfile", "ffmpeg" (as written in the profile's format.decoder), "automatic".
const char* decoder_name(Decoder decoder) noexcept;

/// What the container says about the stream.
struct AudioInfo {
  Decoder decoder = Decoder::libsndfile;  ///< the backend that decodes it
  std::string container;  ///< "WAV", "AIFF", "FLAC", "Ogg", "MPEG", "MP4", "Matroska", ...
  std::string codec;      ///< "pcm_s16", "flac", "vorbis", "opus", "mp3", "aac", "alac", ...
  double sample_rate_hz = 0;
  int channels = 0;
  std::int64_t frames = 0;              ///< per channel; as the header states it (MP3: an estimate)
  std::optional<int> bit_depth;         ///< for PCM and FLAC; none for lossy codecs
  std::vector<ChannelPosition> layout;  ///< one per channel, or empty when the file has none

  double duration_s() const { return sample_rate_hz > 0 ? double(frames) / sample_rate_hz : 0; }
};

/// The tags a file carries (ID3v2, Vorbis comments, MP4 atoms, APEv2, ASF, RIFF INFO, as the
/// decoding library reads them): what the file says, unchecked. Absent fields are not tagged.
struct Tags {
  std::optional<std::string> title, artist, album, album_artist, date, genre;
  std::optional<int> track, track_total, disc, disc_total;  ///< "3/12" → 3 and 12
  /// ReplayGain 2.0 values as tagged (REPLAYGAIN_TRACK_GAIN "-6.52 dB" → -6.52; peaks linear).
  std::optional<double> replaygain_track_gain_db, replaygain_track_peak;
  std::optional<double> replaygain_album_gain_db, replaygain_album_peak;
  std::optional<double> replaygain_reference_loudness_lufs;
  /// Opus R128_TRACK_GAIN / R128_ALBUM_GAIN (RFC 7845: Q7.8 relative to -23 LUFS), in dB.
  std::optional<double> r128_track_gain_db, r128_album_gain_db;

  bool empty() const noexcept;
  /// Sets the field that a tag `key` names (case-insensitive; ID3, Vorbis, iTunes and FFmpeg's
  /// generic names: "TITLE", "TIT2", "ALBUMARTIST", "album_artist", "TRACKNUMBER", "trkn",
  /// "REPLAYGAIN_TRACK_GAIN", "R128_TRACK_GAIN", ...) from its text. An unknown key, or a value
  /// that does not parse (a gain without a number), is ignored; the first value of a key wins.
  void set(std::string_view key, std::string_view value);
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
  /// The backend: automatic (libsndfile, then FFmpeg for what libsndfile refuses), or one of
  /// them forced (a file the forced backend cannot read is refused; FFmpeg forced in a build
  /// without it: Error(invalid_argument)).
  Decoder decoder = Decoder::automatic;
};

/// Opens an audio file for streaming. Throws herscan::Error (not_found, not_a_file,
/// unreadable, empty_file, not_audio, invalid_format; from the FFmpeg backend also
/// no_audio_stream, encrypted, unsupported_codec, empty_stream) naming the path and the
/// decoders' reasons.
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
  /// The file's tags (empty when it has none).
  const Tags& tags() const noexcept;
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
