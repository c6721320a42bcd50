#include "herscan/audio_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "backend.h"
#include "herscan/error.h"
#include "simd/kernels.h"

namespace herscan {
namespace detail {

void fail(ErrorCode code, const std::filesystem::path& path, const std::string& why) {
  throw Error(code, path.string() + ": " + why);
}

}  // namespace detail

using detail::fail;

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

namespace detail {

void check_limits(const std::filesystem::path& path, std::int64_t channels, std::int64_t rate_hz) {
  if (channels <= 0) fail(ErrorCode::invalid_format, path, "header declares 0 channels");
  if (channels > kMaxChannels) {
    fail(ErrorCode::invalid_format, path,
         "header declares " + std::to_string(channels) + " channels; at most " +
             std::to_string(kMaxChannels) + " are analysed");
  }
  if (rate_hz <= 0) fail(ErrorCode::invalid_format, path, "header declares a sample rate of 0 Hz");
  if (rate_hz < kMinSampleRateHz || rate_hz > kMaxSampleRateHz) {
    fail(ErrorCode::invalid_format, path,
         "header declares a sample rate of " + std::to_string(rate_hz) + " Hz; herscan analyses " +
             std::to_string(kMinSampleRateHz) + " to " + std::to_string(kMaxSampleRateHz) + " Hz");
  }
}

}  // namespace detail

struct AudioFileReader::Impl {
  std::filesystem::path path;
  ReadOptions options;
  std::unique_ptr<detail::ByteSource> source;
  detail::DecodeContext context{path, options, [this](WarningCode code, std::string message) {
                                  warn(code, std::move(message));
                                }};
  std::unique_ptr<detail::Backend> backend;
  std::int64_t frames_read = 0;
  bool ended = false;
  std::vector<Warning> warnings;
  // Non-finite samples replaced by 0: how many, and the first.
  std::int64_t non_finite = 0, first_bad_frame = 0;
  int first_bad_channel = 0;
  bool first_bad_nan = false;

  /// Records a warning; in strict mode a damage warning is thrown as its error instead.
  void warn(WarningCode code, std::string message) {
    if (options.strict && is_damage(code)) fail(strict_error_code(code), path, message);
    warnings.push_back({code, std::move(message)});
  }

  /// Picks the backend (ReadOptions::decoder): libsndfile first, FFmpeg for what it refuses.
  void open();

  /// Replaces NaN and ±Inf in a block by 0, counting them (strict mode: the first is an error).
  void zero_non_finite(float* samples, std::size_t frames, std::int64_t first_frame);

  /// The end of the stream: what the length and the samples read say.
  void finish_stream();

  const AudioInfo& info() const { return backend->info; }
};

void AudioFileReader::Impl::open() {
  if (options.decoder == Decoder::ffmpeg && !detail::ffmpeg_available())
    fail(ErrorCode::invalid_argument, path, "this herscan is built without FFmpeg");
  std::string sndfile_reason = "not tried";
  const auto refuse = [&] {
    fail(ErrorCode::not_audio, path,
         "not a readable audio file (libsndfile: " + sndfile_reason + ")");
  };
  if (options.decoder != Decoder::ffmpeg) {
    try {
      backend = detail::open_sndfile(*source, context);
      return;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::not_audio) {
        // An Error from check_limits() or strict mode already names the path.
        throw;
      }
      sndfile_reason = e.what();
    }
    if (options.decoder == Decoder::libsndfile) refuse();
  }
  try {
    backend = detail::open_ffmpeg(*source, context, sndfile_reason);
  } catch (const Error&) {
    // A WAV, AIFF, FLAC, ... that neither reads: libsndfile's reason is the better one.
    if (options.decoder == Decoder::automatic && detail::has_sndfile_signature(*source)) refuse();
    throw;
  }
}

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

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(ErrorCode::unreadable, path, std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail(ErrorCode::unreadable, path, std::strerror(err));
  }
  impl_->source = std::make_unique<detail::ByteSource>(fd, std::uint64_t(st.st_size));
  if (st.st_size == 0) fail(ErrorCode::empty_file, path, "empty file (0 bytes)");
  impl_->open();
}

AudioFileReader::AudioFileReader(std::span<const std::byte> bytes,
                                 const std::filesystem::path& name, const ReadOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->path = name;
  impl_->options = options;
  impl_->source = std::make_unique<detail::ByteSource>(bytes);
  if (bytes.empty()) fail(ErrorCode::empty_file, name, "empty file (0 bytes)");
  impl_->open();
}

AudioFileReader::~AudioFileReader() = default;
AudioFileReader::AudioFileReader(AudioFileReader&&) noexcept = default;
AudioFileReader& AudioFileReader::operator=(AudioFileReader&&) noexcept = default;

const AudioInfo& AudioFileReader::info() const noexcept {
  return impl_->info();
}
const Tags& AudioFileReader::tags() const noexcept {
  return impl_->backend->tags;
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
  const int channels = info().channels;
  const std::size_t n = frames * std::size_t(channels);
  if (simd::kernels().count_non_finite(samples, n) == 0) [[likely]]
    return;
  for (std::size_t i = 0; i < n; ++i) {
    if (std::isfinite(samples[i])) [[likely]]
      continue;
    if (non_finite++ == 0) {
      first_bad_frame = first_frame + std::int64_t(i / std::size_t(channels));
      first_bad_channel = int(i % std::size_t(channels));
      first_bad_nan = std::isnan(samples[i]);
      if (options.strict)  // the message herscan gave before it had warnings
        fail(ErrorCode::non_finite, path,
             std::string(first_bad_nan ? "NaN" : "infinite") + " sample at " +
                 where(first_bad_frame, info().sample_rate_hz, first_bad_channel));
    }
    samples[i] = 0;
  }
}

void AudioFileReader::Impl::finish_stream() {
  ended = true;
  const double rate = info().sample_rate_hz;
  const std::int64_t samples = frames_read * info().channels;
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
  const std::optional<std::int64_t> declared = backend->declared_length();
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
  std::string stopped;
  const std::size_t got = s.backend->read(interleaved, max_frames, stopped);
  const std::int64_t first = s.frames_read;
  s.frames_read += std::int64_t(got);
  const double rate = s.info().sample_rate_hz;
  if (s.frames_read > std::int64_t(kMaxDurationS) * std::int64_t(rate)) {
    fail(ErrorCode::invalid_format, s.path,
         "longer than " + std::to_string(kMaxDurationS / 3600) +
             " hours of audio: a corrupt stream, or not one track");
  }
  if (got > 0) s.zero_non_finite(interleaved, got, first);
  if (!stopped.empty()) {
    // The decoder gave up mid-file (a FLAC cut or corrupt): what decoded is the stream.
    if (s.frames_read == 0) fail(ErrorCode::truncated, s.path, "nothing decodes (" + stopped + ")");
    char msg[256];
    std::snprintf(msg, sizeof msg, "decoding stopped after %lld frames (%.3f s)",
                  static_cast<long long>(s.frames_read), double(s.frames_read) / rate);
    std::string text = msg;
    if (const auto declared = s.backend->declared_length(); declared && *declared > s.frames_read)
      text += " of the " + std::to_string(*declared) + " the header declares";
    s.warn(WarningCode::truncated, text + " (" + stopped + ")");
    s.finish_stream();
  } else if (got == 0) {
    s.finish_stream();
  }
  return got;
}

}  // namespace herscan
