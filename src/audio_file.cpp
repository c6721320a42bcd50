#include "herscan/audio_file.h"

#include <fcntl.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "herscan/error.h"

namespace herscan {
namespace {

std::string describe(const std::filesystem::path& path) {
  return path.string();
}

[[noreturn]] void fail(ErrorCode code, const std::filesystem::path& path, const std::string& why) {
  throw Error(code, describe(path) + ": " + why);
}

std::string container_name(int format) {
  switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
      return "WAV";
    case SF_FORMAT_WAVEX:
      return "WAV";
    case SF_FORMAT_RF64:
      return "RF64";
    case SF_FORMAT_W64:
      return "W64";
    case SF_FORMAT_AIFF:
      return "AIFF";
    case SF_FORMAT_AU:
      return "AU";
    case SF_FORMAT_CAF:
      return "CAF";
    case SF_FORMAT_FLAC:
      return "FLAC";
    case SF_FORMAT_OGG:
      return "Ogg";
    case SF_FORMAT_MPEG:
      return "MPEG";
    case SF_FORMAT_RAW:
      return "RAW";
    case SF_FORMAT_PAF:
      return "PAF";
    case SF_FORMAT_SVX:
      return "SVX";
    case SF_FORMAT_NIST:
      return "NIST";
    case SF_FORMAT_VOC:
      return "VOC";
    case SF_FORMAT_IRCAM:
      return "IRCAM";
    case SF_FORMAT_MAT4:
      return "MAT4";
    case SF_FORMAT_MAT5:
      return "MAT5";
    case SF_FORMAT_PVF:
      return "PVF";
    case SF_FORMAT_XI:
      return "XI";
    case SF_FORMAT_HTK:
      return "HTK";
    case SF_FORMAT_SDS:
      return "SDS";
    case SF_FORMAT_AVR:
      return "AVR";
    case SF_FORMAT_SD2:
      return "SD2";
    case SF_FORMAT_WVE:
      return "WVE";
    case SF_FORMAT_MPC2K:
      return "MPC2K";
    default:
      return "unknown";
  }
}

// Codec name and bit depth of a libsndfile subtype. FLAC reports its depth as PCM_16/24.
std::pair<std::string, std::optional<int>> codec_of(int format) {
  const bool flac = (format & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC;
  const int sub = format & SF_FORMAT_SUBMASK;
  auto pcm = [&](const char* name, int bits) {
    return std::pair<std::string, std::optional<int>>(flac ? "flac" : name, bits);
  };
  switch (sub) {
    case SF_FORMAT_PCM_S8:
      return pcm("pcm_s8", 8);
    case SF_FORMAT_PCM_U8:
      return pcm("pcm_u8", 8);
    case SF_FORMAT_PCM_16:
      return pcm("pcm_s16", 16);
    case SF_FORMAT_PCM_24:
      return pcm("pcm_s24", 24);
    case SF_FORMAT_PCM_32:
      return pcm("pcm_s32", 32);
    case SF_FORMAT_FLOAT:
      return {"pcm_f32", 32};
    case SF_FORMAT_DOUBLE:
      return {"pcm_f64", 64};
    case SF_FORMAT_ULAW:
      return {"mulaw", 8};
    case SF_FORMAT_ALAW:
      return {"alaw", 8};
    case SF_FORMAT_IMA_ADPCM:
      return {"ima_adpcm", 4};
    case SF_FORMAT_MS_ADPCM:
      return {"ms_adpcm", 4};
    case SF_FORMAT_GSM610:
      return {"gsm610", std::nullopt};
    case SF_FORMAT_VORBIS:
      return {"vorbis", std::nullopt};
    case SF_FORMAT_OPUS:
      return {"opus", std::nullopt};
    case SF_FORMAT_ALAC_16:
      return {"alac", 16};
    case SF_FORMAT_ALAC_20:
      return {"alac", 20};
    case SF_FORMAT_ALAC_24:
      return {"alac", 24};
    case SF_FORMAT_ALAC_32:
      return {"alac", 32};
    case SF_FORMAT_MPEG_LAYER_I:
      return {"mp1", std::nullopt};
    case SF_FORMAT_MPEG_LAYER_II:
      return {"mp2", std::nullopt};
    case SF_FORMAT_MPEG_LAYER_III:
      return {"mp3", std::nullopt};
    default:
      return {"unknown", std::nullopt};
  }
}

ChannelPosition position_of(int sf_channel) {
  switch (sf_channel) {
    case SF_CHANNEL_MAP_MONO:
      return ChannelPosition::mono;
    case SF_CHANNEL_MAP_LEFT:
      return ChannelPosition::front_left;
    case SF_CHANNEL_MAP_RIGHT:
      return ChannelPosition::front_right;
    case SF_CHANNEL_MAP_CENTER:
      return ChannelPosition::front_center;
    case SF_CHANNEL_MAP_FRONT_LEFT:
      return ChannelPosition::front_left;
    case SF_CHANNEL_MAP_FRONT_RIGHT:
      return ChannelPosition::front_right;
    case SF_CHANNEL_MAP_FRONT_CENTER:
      return ChannelPosition::front_center;
    case SF_CHANNEL_MAP_REAR_CENTER:
      return ChannelPosition::back_center;
    case SF_CHANNEL_MAP_REAR_LEFT:
      return ChannelPosition::back_left;
    case SF_CHANNEL_MAP_REAR_RIGHT:
      return ChannelPosition::back_right;
    case SF_CHANNEL_MAP_LFE:
      return ChannelPosition::lfe;
    case SF_CHANNEL_MAP_FRONT_LEFT_OF_CENTER:
      return ChannelPosition::front_left_of_center;
    case SF_CHANNEL_MAP_FRONT_RIGHT_OF_CENTER:
      return ChannelPosition::front_right_of_center;
    case SF_CHANNEL_MAP_SIDE_LEFT:
      return ChannelPosition::side_left;
    case SF_CHANNEL_MAP_SIDE_RIGHT:
      return ChannelPosition::side_right;
    case SF_CHANNEL_MAP_TOP_CENTER:
    case SF_CHANNEL_MAP_TOP_FRONT_LEFT:
    case SF_CHANNEL_MAP_TOP_FRONT_RIGHT:
    case SF_CHANNEL_MAP_TOP_FRONT_CENTER:
    case SF_CHANNEL_MAP_TOP_REAR_LEFT:
    case SF_CHANNEL_MAP_TOP_REAR_RIGHT:
    case SF_CHANNEL_MAP_TOP_REAR_CENTER:
      return ChannelPosition::top;
    default:
      return ChannelPosition::unknown;
  }
}

}  // namespace

const char* channel_position_name(ChannelPosition position) noexcept {
  switch (position) {
    case ChannelPosition::unknown:
      return "?";
    case ChannelPosition::mono:
      return "M";
    case ChannelPosition::front_left:
      return "FL";
    case ChannelPosition::front_right:
      return "FR";
    case ChannelPosition::front_center:
      return "FC";
    case ChannelPosition::lfe:
      return "LFE";
    case ChannelPosition::back_left:
      return "BL";
    case ChannelPosition::back_right:
      return "BR";
    case ChannelPosition::back_center:
      return "BC";
    case ChannelPosition::front_left_of_center:
      return "FLC";
    case ChannelPosition::front_right_of_center:
      return "FRC";
    case ChannelPosition::side_left:
      return "SL";
    case ChannelPosition::side_right:
      return "SR";
    case ChannelPosition::top:
      return "T";
  }
  return "?";
}

struct AudioFileReader::Impl {
  std::filesystem::path path;
  int fd = -1;
  SNDFILE* file = nullptr;
  AudioInfo info;
  std::int64_t frames_read = 0;
  bool header_frames_exact = true;  // false for MPEG, whose length libsndfile estimates
  // libsndfile reads through virtual I/O: from `memory` (an in-memory file), or from `fd`
  // through `buffer` (its FLAC decoder asks for 8 KB at a time and the position twice per read:
  // about 8000 system calls for a 4-minute track, against 100 here).
  std::span<const std::byte> memory;
  sf_count_t size = 0;      // of the file or memory
  sf_count_t position = 0;  // libsndfile's read position
  std::vector<std::byte> buffer;
  sf_count_t buffer_start = 0;  // the file offset of buffer[0]; buffer.size() bytes are valid
  static constexpr std::size_t kBufferBytes = std::size_t(256) << 10;

  /// Opens through the virtual I/O `io` (user data: this Impl): refuses what libsndfile cannot
  /// open as not_audio (with libsndfile's reason), checks the header against the limits and
  /// fills `info`.
  void open(SF_VIRTUAL_IO& io);

  // libsndfile's virtual I/O (user data: this Impl).
  static sf_count_t length(void* user) { return static_cast<Impl*>(user)->size; }
  static sf_count_t seek(sf_count_t offset, int whence, void* user) {
    auto& s = *static_cast<Impl*>(user);
    const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s.position : s.size;
    // Clamped into the file: libsndfile seeks to absurd offsets that a corrupt header states.
    s.position = std::clamp<sf_count_t>(base > s.size || offset > s.size ? s.size : base + offset,
                                        0, s.size);
    return s.position;
  }
  static sf_count_t memory_read(void* out, sf_count_t count, void* user) {
    auto& s = *static_cast<Impl*>(user);
    const sf_count_t n = std::clamp<sf_count_t>(count, 0, s.size - s.position);
    if (n > 0) std::memcpy(out, s.memory.data() + s.position, std::size_t(n));
    s.position += n;
    return n;
  }
  static sf_count_t file_read(void* out, sf_count_t count, void* user) {
    auto& s = *static_cast<Impl*>(user);
    auto* dst = static_cast<std::byte*>(out);
    sf_count_t done = 0;
    while (done < count) {
      const sf_count_t offset = s.position - s.buffer_start;
      if (offset >= 0 && offset < sf_count_t(s.buffer.size())) {  // from the buffer
        const sf_count_t n = std::min(count - done, sf_count_t(s.buffer.size()) - offset);
        std::memcpy(dst + done, s.buffer.data() + offset, std::size_t(n));
        done += n, s.position += n;
        continue;
      }
      s.buffer.resize(kBufferBytes);
      ssize_t got;
      do {
        got = ::pread(s.fd, s.buffer.data(), kBufferBytes, off_t(s.position));
      } while (got < 0 && errno == EINTR);
      s.buffer_start = s.position;
      s.buffer.resize(got > 0 ? std::size_t(got) : 0);
      if (got <= 0) break;  // the end, or a read error: a short read, which libsndfile reports
    }
    return done;
  }
  static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t tell(void* user) { return static_cast<Impl*>(user)->position; }

  ~Impl() {
    if (file) sf_close(file);
    if (fd >= 0) ::close(fd);
  }
};

AudioFileReader::AudioFileReader(const std::filesystem::path& path)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    if (ec && ec != std::errc::no_such_file_or_directory)
      fail(ErrorCode::unreadable, path, ec.message());
    fail(ErrorCode::not_found, path, "no such file");
  }
  if (std::filesystem::is_directory(status)) fail(ErrorCode::not_a_file, path, "is a directory");
  if (!std::filesystem::is_regular_file(status))
    fail(ErrorCode::not_a_file, path, "not a regular file");

  impl_->fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (impl_->fd < 0) fail(ErrorCode::unreadable, path, std::strerror(errno));
  struct stat st {};
  if (::fstat(impl_->fd, &st) != 0) fail(ErrorCode::unreadable, path, std::strerror(errno));
  if (st.st_size == 0) fail(ErrorCode::empty_file, path, "empty file (0 bytes)");

  impl_->size = sf_count_t(st.st_size);
  static SF_VIRTUAL_IO io{Impl::length, Impl::seek, Impl::file_read, Impl::write, Impl::tell};
  impl_->open(io);
}

void AudioFileReader::Impl::open(SF_VIRTUAL_IO& io) {
  SF_INFO sfinfo{};
  std::string reason;
  {
    // Why an open failed is in one global of libsndfile's (sf_strerror(nullptr)), which every
    // open resets: opens are serialised so that the reason read back is this file's, whatever
    // other threads open meanwhile (reading a header is a small part of a file's work).
    static std::mutex mutex;
    const std::lock_guard lock(mutex);
    file = sf_open_virtual(&io, SFM_READ, &sfinfo, this);
    if (!file) reason = sf_strerror(nullptr);
  }
  if (!file)
    fail(ErrorCode::not_audio, path, "not a readable audio file (libsndfile: " + reason + ")");
  if (sfinfo.channels <= 0) fail(ErrorCode::invalid_format, path, "header declares 0 channels");
  if (sfinfo.channels > kMaxChannels) {
    fail(ErrorCode::invalid_format, path,
         "header declares " + std::to_string(sfinfo.channels) + " channels; at most " +
             std::to_string(kMaxChannels) + " are analysed");
  }
  if (sfinfo.samplerate <= 0)
    fail(ErrorCode::invalid_format, path, "header declares a sample rate of 0 Hz");
  if (sfinfo.samplerate < kMinSampleRateHz || sfinfo.samplerate > kMaxSampleRateHz) {
    fail(ErrorCode::invalid_format, path,
         "header declares a sample rate of " + std::to_string(sfinfo.samplerate) +
             " Hz; herscan analyses " + std::to_string(kMinSampleRateHz) + " to " +
             std::to_string(kMaxSampleRateHz) + " Hz");
  }

  info.container = container_name(sfinfo.format);
  std::tie(info.codec, info.bit_depth) = codec_of(sfinfo.format);
  info.sample_rate_hz = sfinfo.samplerate;
  info.channels = sfinfo.channels;
  info.frames = sfinfo.frames;
  header_frames_exact = (sfinfo.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG;

  std::vector<int> map(std::size_t(sfinfo.channels), 0);
  if (sf_command(file, SFC_GET_CHANNEL_MAP_INFO, map.data(), int(map.size() * sizeof(int))) ==
      SF_TRUE) {
    info.layout.reserve(map.size());
    for (int c : map) info.layout.push_back(position_of(c));
  }
}

AudioFileReader::AudioFileReader(std::span<const std::byte> bytes,
                                 const std::filesystem::path& name)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = name;
  impl_->memory = bytes;
  impl_->size = sf_count_t(bytes.size());
  if (bytes.empty()) fail(ErrorCode::empty_file, name, "empty file (0 bytes)");
  static SF_VIRTUAL_IO io{Impl::length, Impl::seek, Impl::memory_read, Impl::write, Impl::tell};
  impl_->open(io);
}

AudioFileReader::~AudioFileReader() = default;
AudioFileReader::AudioFileReader(AudioFileReader&&) noexcept = default;
AudioFileReader& AudioFileReader::operator=(AudioFileReader&&) noexcept = default;

const AudioInfo& AudioFileReader::info() const noexcept {
  return impl_->info;
}
const std::filesystem::path& AudioFileReader::path() const noexcept {
  return impl_->path;
}
std::int64_t AudioFileReader::frames_read() const noexcept {
  return impl_->frames_read;
}

std::size_t AudioFileReader::read(float* interleaved, std::size_t max_frames) {
  Impl& s = *impl_;
  const sf_count_t got = sf_readf_float(s.file, interleaved, sf_count_t(max_frames));
  if (got < 0) fail(ErrorCode::truncated, s.path, "read error");
  s.frames_read += got;
  if (s.frames_read > std::int64_t(kMaxDurationS) * s.info.sample_rate_hz) {
    fail(ErrorCode::invalid_format, s.path,
         "longer than " + std::to_string(kMaxDurationS / 3600) +
             " hours of audio: a corrupt stream, or not one track");
  }
  if (std::size_t(got) < max_frames) {
    const int err = sf_error(s.file);
    if (err != SF_ERR_NO_ERROR) {
      fail(ErrorCode::truncated, s.path,
           "decoding failed after " + std::to_string(s.frames_read) +
               " frames (libsndfile: " + sf_strerror(s.file) + ")");
    }
    if (got == 0 && s.header_frames_exact && s.frames_read < s.info.frames) {
      fail(ErrorCode::truncated, s.path,
           "truncated: decoded " + std::to_string(s.frames_read) + " of the " +
               std::to_string(s.info.frames) + " frames the header declares");
    }
  }
  return std::size_t(got);
}

}  // namespace herscan
