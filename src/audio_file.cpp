#include "herscan/audio_file.h"

#include <fcntl.h>
#include <sndfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "container_scan.h"
#include "herscan/error.h"
#include "simd/kernels.h"

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
  ReadOptions options;
  int fd = -1;
  SNDFILE* file = nullptr;
  AudioInfo info;
  std::int64_t frames_read = 0;
  bool header_frames_exact = true;  // false for MPEG, whose length libsndfile estimates
  bool ended = false;
  std::vector<Warning> warnings;
  std::optional<std::int64_t>
      declared_frames;  // what the header declares, where libsndfile hides it
  std::vector<detail::ContainerScan::Gap> gaps;  // silence put back for frames cut out, in order
  std::size_t next_gap = 0;
  // Non-finite samples replaced by 0: how many, and the first.
  std::int64_t non_finite = 0, first_bad_frame = 0;
  int first_bad_channel = 0;
  bool first_bad_nan = false;

  // The source: `memory` (an in-memory file), or `fd` read through `buffer` (libsndfile's FLAC
  // decoder asks for 8 KB at a time and the position twice per read: about 8000 system calls
  // for a 4-minute track, against 100 here).
  std::span<const std::byte> memory;
  std::uint64_t source_size = 0;
  std::vector<std::byte> buffer;
  std::uint64_t buffer_start = 0;  // the source offset of buffer[0]; buffer.size() bytes valid
  static constexpr std::size_t kBufferBytes = std::size_t(256) << 10;

  // libsndfile reads a view of the source (detail::scan_container): by default the source
  // itself; for a damaged file, the source without the damage.
  std::vector<detail::ByteRange> ranges;  // never empty once opened
  std::vector<detail::BytePatch> patches;
  sf_count_t size = 0;      // of the view
  sf_count_t position = 0;  // libsndfile's read position in the view

  /// Bytes of the source at `offset`; short at its end.
  std::size_t source_read(std::uint64_t offset, std::size_t n, std::byte* dst) {
    if (offset >= source_size) return 0;
    n = std::size_t(std::min<std::uint64_t>(n, source_size - offset));
    if (!memory.empty()) {
      std::memcpy(dst, memory.data() + offset, n);
      return n;
    }
    std::size_t done = 0;
    while (done < n) {
      const std::uint64_t at = offset + done;
      if (at >= buffer_start && at < buffer_start + buffer.size()) {  // from the buffer
        const std::size_t k = std::min(n - done, std::size_t(buffer_start + buffer.size() - at));
        std::memcpy(dst + done, buffer.data() + (at - buffer_start), k);
        done += k;
        continue;
      }
      buffer.resize(kBufferBytes);
      ssize_t got;
      do {
        got = ::pread(fd, buffer.data(), kBufferBytes, off_t(at));
      } while (got < 0 && errno == EINTR);
      buffer_start = at;
      buffer.resize(got > 0 ? std::size_t(got) : 0);
      if (got <= 0) break;  // a read error: a short read, which libsndfile reports
    }
    return done;
  }

  /// Bytes of the view at `offset`.
  std::size_t view_read(std::uint64_t offset, std::size_t n, std::byte* dst) {
    std::size_t done = 0;
    std::uint64_t range_start = 0;  // view offset of the range
    for (const auto& r : ranges) {
      if (done == n) break;
      const std::uint64_t at = offset + done;
      if (at < range_start + r.length) {
        const std::size_t k =
            std::size_t(std::min<std::uint64_t>(n - done, range_start + r.length - at));
        const std::size_t got = source_read(r.offset + (at - range_start), k, dst + done);
        done += got;
        if (got < k) break;
      }
      range_start += r.length;
    }
    for (const auto& p : patches)
      for (std::size_t i = 0; i < p.bytes.size(); ++i)
        if (p.view_offset + i >= offset && p.view_offset + i < offset + done)
          dst[p.view_offset + i - offset] = p.bytes[i];
    return done;
  }

  /// Scans the source (detail::scan_container) and sets the view and the warnings it found.
  void scan() {
    auto scanned =
        detail::scan_container([this](std::uint64_t offset, std::size_t n,
                                      std::byte* dst) { return source_read(offset, n, dst); },
                               source_size);
    ranges = scanned.ranges.empty() ? std::vector<detail::ByteRange>{{0, source_size}}
                                    : std::move(scanned.ranges);
    patches = std::move(scanned.patches);
    declared_frames = scanned.declared_frames;
    gaps = std::move(scanned.gaps);
    size = 0;
    for (const auto& r : ranges) size += sf_count_t(r.length);
    for (auto& w : scanned.warnings) warn(w.code, std::move(w.message));
  }

  /// Records a warning; in strict mode a damage warning is thrown as its error instead.
  void warn(WarningCode code, std::string message) {
    if (options.strict && is_damage(code)) fail(strict_error_code(code), path, message);
    warnings.push_back({code, std::move(message)});
  }

  /// Replaces NaN and ±Inf in a block by 0, counting them (strict mode: the first is an error).
  void zero_non_finite(float* samples, std::size_t frames, std::int64_t first_frame);

  /// The length the header declares, where it is exact: the scan's (WAV, AIFF), else
  /// libsndfile's but for MPEG (an estimate) and lengths beyond the duration limit (libsndfile
  /// says 2^63 - 1 for some Ogg).
  std::optional<std::int64_t> declared_length() const {
    if (declared_frames) return declared_frames;
    if (!header_frames_exact ||
        info.frames > std::int64_t(kMaxDurationS) * std::int64_t(info.sample_rate_hz))
      return std::nullopt;
    return info.frames;
  }

  /// The end of the stream: what the length and the samples read say.
  void finish_stream();

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
  static sf_count_t read(void* out, sf_count_t count, void* user) {
    auto& s = *static_cast<Impl*>(user);
    const sf_count_t n = std::clamp<sf_count_t>(count, 0, s.size - s.position);
    const std::size_t got =
        n > 0 ? s.view_read(std::uint64_t(s.position), std::size_t(n), static_cast<std::byte*>(out))
              : 0;
    s.position += sf_count_t(got);
    return sf_count_t(got);
  }
  static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t tell(void* user) { return static_cast<Impl*>(user)->position; }

  ~Impl() {
    if (file) sf_close(file);
    if (fd >= 0) ::close(fd);
  }
};

AudioFileReader::AudioFileReader(const std::filesystem::path& path, const ReadOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->options = options;
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

  impl_->source_size = std::uint64_t(st.st_size);
  impl_->scan();
  static SF_VIRTUAL_IO io{Impl::length, Impl::seek, Impl::read, Impl::write, Impl::tell};
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
                                 const std::filesystem::path& name, const ReadOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = name;
  impl_->options = options;
  impl_->memory = bytes;
  impl_->source_size = bytes.size();
  if (bytes.empty()) fail(ErrorCode::empty_file, name, "empty file (0 bytes)");
  impl_->scan();
  static SF_VIRTUAL_IO io{Impl::length, Impl::seek, Impl::read, Impl::write, Impl::tell};
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
const std::vector<Warning>& AudioFileReader::warnings() const noexcept {
  return impl_->warnings;
}

namespace {
std::string where(std::int64_t frame, double rate_hz, int channel) {
  char buf[96];
  std::snprintf(buf, sizeof buf, "frame %lld (%.3f s), channel %d", static_cast<long long>(frame),
                double(frame) / rate_hz, channel + 1);
  return buf;
}
}  // namespace

void AudioFileReader::Impl::zero_non_finite(float* samples, std::size_t frames,
                                            std::int64_t first_frame) {
  const std::size_t n = frames * std::size_t(info.channels);
  if (simd::kernels().count_non_finite(samples, n) == 0) [[likely]]
    return;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(samples[i])) [[likely]]
      continue;
    if (non_finite++ == 0) {
      first_bad_frame = first_frame + std::int64_t(i / std::size_t(info.channels));
      first_bad_channel = int(i % std::size_t(info.channels));
      first_bad_nan = std::isnan(samples[i]);
      if (options.strict)  // the message herscan gave before it had warnings
        fail(ErrorCode::non_finite, path,
             std::string(first_bad_nan ? "NaN" : "infinite") + " sample at " +
                 where(first_bad_frame, info.sample_rate_hz, first_bad_channel));
    }
    samples[i] = 0;
  }
}

void AudioFileReader::Impl::finish_stream() {
  ended = true;
  const double rate = info.sample_rate_hz;
  const std::int64_t samples = frames_read * info.channels;
  if (non_finite > 0) {
    char msg[256];
    std::snprintf(msg, sizeof msg,
                  "%lld of %lld samples (%.3g %%) were NaN or infinite and are replaced by 0; the "
                  "first, %s, at %s",
                  static_cast<long long>(non_finite), static_cast<long long>(samples),
                  100.0 * double(non_finite) / double(samples),
                  first_bad_nan ? "a NaN" : "an infinity",
                  where(first_bad_frame, rate, first_bad_channel).c_str());
    if (non_finite == samples)
      fail(ErrorCode::non_finite, path,
           "no sample is finite: every one of the " + std::to_string(samples) +
               " is NaN or infinite");
    warn(WarningCode::non_finite_samples_zeroed, msg);
  }
  const std::optional<std::int64_t> declared = declared_length();
  const bool noted = std::any_of(warnings.begin(), warnings.end(),
                                 [](const Warning& w) { return w.code == WarningCode::truncated; });
  if (declared && frames_read < *declared && !noted) {
    if (frames_read == 0)
      fail(ErrorCode::truncated, path,
           "truncated: nothing decodes of the " + std::to_string(*declared) +
               " frames the header declares");
    char msg[192];
    std::snprintf(msg, sizeof msg,
                  "decoded %lld of the %lld frames the header declares: %.3f s of %.3f s are "
                  "missing",
                  static_cast<long long>(frames_read), static_cast<long long>(*declared),
                  double(*declared - frames_read) / rate, double(*declared) / rate);
    warn(WarningCode::truncated, msg);
  }
}

std::size_t AudioFileReader::read(float* interleaved, std::size_t max_frames) {
  Impl& s = *impl_;
  if (s.ended) return 0;
  // Silence where corrupt frames were cut out (detail::ContainerScan::gaps).
  if (s.next_gap < s.gaps.size() && s.frames_read >= s.gaps[s.next_gap].at_frame) {
    auto& gap = s.gaps[s.next_gap];
    const std::int64_t n = std::min<std::int64_t>(gap.frames, std::int64_t(max_frames));
    std::fill_n(interleaved, std::size_t(n) * std::size_t(s.info.channels), 0.0f);
    s.frames_read += n;
    gap.frames -= n;
    gap.at_frame += n;
    if (gap.frames == 0) ++s.next_gap;
    return std::size_t(n);
  }
  if (s.next_gap < s.gaps.size())
    max_frames =
        std::min<std::size_t>(max_frames, std::size_t(s.gaps[s.next_gap].at_frame - s.frames_read));
  const sf_count_t got = sf_readf_float(s.file, interleaved, sf_count_t(max_frames));
  if (got < 0) fail(ErrorCode::truncated, s.path, "read error");
  const std::int64_t first = s.frames_read;
  s.frames_read += got;
  if (s.frames_read > std::int64_t(kMaxDurationS) * s.info.sample_rate_hz) {
    fail(ErrorCode::invalid_format, s.path,
         "longer than " + std::to_string(kMaxDurationS / 3600) +
             " hours of audio: a corrupt stream, or not one track");
  }
  if (got > 0) s.zero_non_finite(interleaved, std::size_t(got), first);
  if (std::size_t(got) < max_frames) {
    const int err = sf_error(s.file);
    if (err != SF_ERR_NO_ERROR) {
      // The decoder gave up mid-file (a FLAC cut or corrupt): what decoded is the stream.
      const std::string reason = std::string("libsndfile: ") + sf_strerror(s.file);
      if (s.frames_read == 0)
        fail(ErrorCode::truncated, s.path, "nothing decodes (" + reason + ")");
      char msg[256];
      std::snprintf(msg, sizeof msg, "decoding stopped after %lld frames (%.3f s)",
                    static_cast<long long>(s.frames_read),
                    double(s.frames_read) / s.info.sample_rate_hz);
      std::string text = msg;
      if (const auto declared = s.declared_length(); declared && *declared > s.frames_read)
        text += " of the " + std::to_string(*declared) + " the header declares";
      s.warn(WarningCode::truncated, text + " (" + reason + ")");
      s.finish_stream();
    } else if (got == 0) {
      s.finish_stream();
    }
  }
  return std::size_t(got);
}

}  // namespace herscan
