// The FFmpeg backend (backend.h): libavformat demuxes, libavcodec decodes, and the samples are
// converted to interleaved float here (every integer and float format, planar or packed, with
// libsndfile's normalisation x / 2^(bits-1)). For what libsndfile refuses: AAC and ALAC in
// MP4/M4A, WMA, APE, WavPack, TrueAudio, AC-3/E-AC-3, DTS, Opus/Vorbis in Matroska/WebM, the
// first audio stream of a video file.
//
// FFmpeg reads the bytes through a custom AVIOContext over the ByteSource (the same buffered
// reads as libsndfile's path); the format is found by probing the content (no file name is
// passed), among the demuxers of kFormats only, and a demuxer may open nothing else (no nested
// URLs: an HLS playlist or a QuickTime reference cannot make herscan read other files).
// Gapless playback data (MP4 edit lists, iTunSMPB, Opus pre-skip, Matroska's CodecDelay) is
// honoured by libavformat/libavcodec themselves (AV_PKT_DATA_SKIP_SAMPLES).
extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/channel_layout.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "backend.h"
#include "herscan/error.h"

namespace herscan::detail {
namespace {

// The demuxers herscan lets probe a file: music and video containers. Not subtitles, images,
// playlists or network formats (FFmpeg would find "audio" in a text file or open URLs).
constexpr const char* kFormats =
    "mov,matroska,webm,asf,ape,wv,tta,ac3,eac3,dts,dtshd,truehd,mlp,aac,loas,mp3,mp2,flac,ogg,"
    "wav,w64,aiff,caf,au,amr,amrnb,amrwb,mpc,mpc8,tak,shn,dsf,iff,avi,mpeg,mpegts,flv,rm,nut,mxf,"
    "oma,xwma,wsaud,voc,spdif,aea,ast,gsm";

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

// FFmpeg logs decoder complaints on stderr, per packet; herscan reports damage as warnings.
// HERSCAN_FFMPEG_LOG=1 leaves FFmpeg's log as it is (for debugging a file).
void quiet_ffmpeg_log() {
  static std::once_flag once;
  std::call_once(once, [] {
    const char* keep = std::getenv("HERSCAN_FFMPEG_LOG");
    if (!keep || std::string_view(keep) != "1") av_log_set_level(AV_LOG_QUIET);
  });
}

ChannelPosition position_of(AVChannel channel) {
  switch (channel) {
    case AV_CHAN_FRONT_LEFT:
    case AV_CHAN_STEREO_LEFT:
      return ChannelPosition::front_left;
    case AV_CHAN_FRONT_RIGHT:
    case AV_CHAN_STEREO_RIGHT:
      return ChannelPosition::front_right;
    case AV_CHAN_FRONT_CENTER:
      return ChannelPosition::front_center;
    case AV_CHAN_LOW_FREQUENCY:
    case AV_CHAN_LOW_FREQUENCY_2:
      return ChannelPosition::lfe;
    case AV_CHAN_BACK_LEFT:
      return ChannelPosition::back_left;
    case AV_CHAN_BACK_RIGHT:
      return ChannelPosition::back_right;
    case AV_CHAN_BACK_CENTER:
      return ChannelPosition::back_center;
    case AV_CHAN_FRONT_LEFT_OF_CENTER:
      return ChannelPosition::front_left_of_center;
    case AV_CHAN_FRONT_RIGHT_OF_CENTER:
      return ChannelPosition::front_right_of_center;
    case AV_CHAN_SIDE_LEFT:
    case AV_CHAN_SURROUND_DIRECT_LEFT:
      return ChannelPosition::side_left;
    case AV_CHAN_SIDE_RIGHT:
    case AV_CHAN_SURROUND_DIRECT_RIGHT:
      return ChannelPosition::side_right;
    case AV_CHAN_TOP_CENTER:
    case AV_CHAN_TOP_FRONT_LEFT:
    case AV_CHAN_TOP_FRONT_CENTER:
    case AV_CHAN_TOP_FRONT_RIGHT:
    case AV_CHAN_TOP_BACK_LEFT:
    case AV_CHAN_TOP_BACK_CENTER:
    case AV_CHAN_TOP_BACK_RIGHT:
    case AV_CHAN_TOP_SIDE_LEFT:
    case AV_CHAN_TOP_SIDE_RIGHT:
      return ChannelPosition::top;
    default:
      return ChannelPosition::unknown;
  }
}

std::vector<ChannelPosition> layout_of(const AVChannelLayout& layout) {
  std::vector<ChannelPosition> out;
  if (layout.order != AV_CHANNEL_ORDER_NATIVE && layout.order != AV_CHANNEL_ORDER_CUSTOM)
    return out;  // unspecified: the file does not say
  for (int i = 0; i < layout.nb_channels; ++i)
    out.push_back(position_of(av_channel_layout_channel_from_index(&layout, unsigned(i))));
  if (out.size() == 1 && out[0] == ChannelPosition::front_center) out[0] = ChannelPosition::mono;
  return out;
}

// Interleaved float from a decoded frame of any sample format, libsndfile's normalisation.
template <class T, class ToFloat>
void convert_as(const AVFrame& frame, int channels, bool planar, float* out, ToFloat to_float) {
  const std::size_t n = std::size_t(frame.nb_samples);
  if (planar) {
    for (int c = 0; c < channels; ++c) {
      const T* in = reinterpret_cast<const T*>(frame.extended_data[c]);
      for (std::size_t i = 0; i < n; ++i)
        out[i * std::size_t(channels) + std::size_t(c)] = to_float(in[i]);
    }
  } else {
    const T* in = reinterpret_cast<const T*>(frame.extended_data[0]);
    for (std::size_t i = 0; i < n * std::size_t(channels); ++i) out[i] = to_float(in[i]);
  }
}

bool convert(const AVFrame& frame, int channels, float* out) {
  const auto format = AVSampleFormat(frame.format);
  const bool planar = av_sample_fmt_is_planar(format) != 0;
  switch (av_get_packed_sample_fmt(format)) {
    case AV_SAMPLE_FMT_U8:
      convert_as<std::uint8_t>(frame, channels, planar, out,
                               [](std::uint8_t x) { return float(int(x) - 128) / 128.0f; });
      return true;
    case AV_SAMPLE_FMT_S16:
      convert_as<std::int16_t>(frame, channels, planar, out,
                               [](std::int16_t x) { return float(x) * (1.0f / 32768.0f); });
      return true;
    case AV_SAMPLE_FMT_S32:
      convert_as<std::int32_t>(frame, channels, planar, out, [](std::int32_t x) {
        return float(double(x) * (1.0 / 2147483648.0));
      });
      return true;
    case AV_SAMPLE_FMT_S64:
      convert_as<std::int64_t>(frame, channels, planar, out, [](std::int64_t x) {
        return float(double(x) * (1.0 / 9223372036854775808.0));
      });
      return true;
    case AV_SAMPLE_FMT_FLT:
      convert_as<float>(frame, channels, planar, out, [](float x) { return x; });
      return true;
    case AV_SAMPLE_FMT_DBL:
      convert_as<double>(frame, channels, planar, out, [](double x) { return float(x); });
      return true;
    default:
      return false;
  }
}

std::string container_of(const AVFormatContext& fmt, ByteSource& source) {
  const std::string_view name = fmt.iformat->name;
  if (name.substr(0, 4) == "mov,") {
    const AVDictionaryEntry* brand = av_dict_get(fmt.metadata, "major_brand", nullptr, 0);
    return brand && std::string_view(brand->value).substr(0, 2) == "qt" ? "MOV" : "MP4";
  }
  if (name == "matroska,webm") {
    std::array<std::byte, 64> head{};
    const std::size_t n = source.read(0, head.size(), head.data());
    const std::string_view text(reinterpret_cast<const char*>(head.data()), n);
    return text.find("webm") != std::string_view::npos ? "WebM" : "Matroska";
  }
  static const std::pair<std::string_view, const char*> kNames[] = {
      {"asf", "ASF"},      {"ape", "APE"},       {"wv", "WavPack"},   {"tta", "TTA"},
      {"ac3", "AC-3"},     {"eac3", "E-AC-3"},   {"dts", "DTS"},      {"dtshd", "DTS-HD"},
      {"aac", "ADTS"},     {"loas", "LATM"},     {"mp3", "MPEG"},     {"flac", "FLAC"},
      {"ogg", "Ogg"},      {"wav", "WAV"},       {"w64", "W64"},      {"aiff", "AIFF"},
      {"caf", "CAF"},      {"avi", "AVI"},       {"mpeg", "MPEG-PS"}, {"mpegts", "MPEG-TS"},
      {"flv", "FLV"},      {"rm", "RealMedia"},  {"mxf", "MXF"},      {"truehd", "TrueHD"},
      {"mpc", "Musepack"}, {"mpc8", "Musepack"}, {"tak", "TAK"},      {"shn", "Shorten"},
      {"dsf", "DSF"},      {"amr", "AMR"},       {"nut", "NUT"},      {"au", "AU"}};
  for (const auto& [demuxer, container] : kNames)
    if (name == demuxer) return container;
  return std::string(name);
}

// DRM as the container declares it: FairPlay's sample entries, CENC's schemes, and ASF's
// content-encryption objects (which FFmpeg only logs).
bool declares_encryption(const AVFormatContext& fmt, const AVStream& stream, ByteSource& source) {
  const std::uint32_t tag = stream.codecpar->codec_tag;
  if (tag == MKTAG('d', 'r', 'm', 's') || tag == MKTAG('d', 'r', 'm', 'i') ||
      tag == MKTAG('e', 'n', 'c', 'a') || tag == MKTAG('p', '6', '0', '8'))
    return true;
  if (av_stream_get_side_data(&stream, AV_PKT_DATA_ENCRYPTION_INIT_INFO, nullptr)) return true;
  if (std::string_view(fmt.iformat->name) == "asf") {
    static constexpr std::array<unsigned char, 16> kGuids[] = {
        // ASF_Content_Encryption_Object {2211B3FB-BD23-11D2-B4B7-00A0C955FC6E}
        {0xFB, 0xB3, 0x11, 0x22, 0x23, 0xBD, 0xD2, 0x11, 0xB4, 0xB7, 0x00, 0xA0, 0xC9, 0x55, 0xFC,
         0x6E},
        // ASF_Extended_Content_Encryption_Object {298AE614-2622-4C17-B935-DAE07EE9289C}
        {0x14, 0xE6, 0x8A, 0x29, 0x22, 0x26, 0x17, 0x4C, 0xB9, 0x35, 0xDA, 0xE0, 0x7E, 0xE9, 0x28,
         0x9C}};
    std::vector<std::byte> head(std::size_t(std::min<std::uint64_t>(source.size(), 1 << 18)));
    head.resize(source.read(0, head.size(), head.data()));
    for (const auto& guid : kGuids) {
      const auto* g = reinterpret_cast<const std::byte*>(guid.data());
      if (std::search(head.begin(), head.end(), g, g + guid.size()) != head.end()) return true;
    }
  }
  return false;
}

void add_tags(Tags& tags, const AVDictionary* metadata) {
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(metadata, "", entry, AV_DICT_IGNORE_SUFFIX)))
    tags.set(entry->key, entry->value);
}

/// An open demuxer over a ByteSource: the AVIOContext and the AVFormatContext.
class Demuxer {
 public:
  /// Opens and probes; returns FFmpeg's error (0 on success).
  int open(ByteSource& source) {
    source_ = &source;
    constexpr int kBufferBytes = 1 << 16;
    auto* buffer = static_cast<unsigned char*>(av_malloc(kBufferBytes));
    if (!buffer) return AVERROR(ENOMEM);
    io_ = avio_alloc_context(buffer, kBufferBytes, 0, this, read, nullptr, seek);
    if (!io_) {
      av_free(buffer);
      return AVERROR(ENOMEM);
    }
    fmt_ = avformat_alloc_context();
    if (!fmt_) return AVERROR(ENOMEM);
    fmt_->pb = io_;
    fmt_->flags |= AVFMT_FLAG_CUSTOM_IO;
    fmt_->format_whitelist = av_strdup(kFormats);
    fmt_->io_open = refuse_nested;
    const int err = avformat_open_input(&fmt_, "", nullptr, nullptr);  // frees fmt_ on failure
    return err;
  }
  ~Demuxer() {
    avformat_close_input(&fmt_);
    if (io_) av_freep(&io_->buffer);
    avio_context_free(&io_);
  }
  AVFormatContext* get() const { return fmt_; }

 private:
  static int read(void* user, std::uint8_t* out, int size) {
    auto& d = *static_cast<Demuxer*>(user);
    const std::size_t got = size > 0 ? d.source_->read(d.position_, std::size_t(size),
                                                       reinterpret_cast<std::byte*>(out))
                                     : 0;
    d.position_ += got;
    return got == 0 ? AVERROR_EOF : int(got);
  }
  static std::int64_t seek(void* user, std::int64_t offset, int whence) {
    auto& d = *static_cast<Demuxer*>(user);
    const auto size = std::int64_t(d.source_->size());
    if (whence & AVSEEK_SIZE) return size;
    whence &= ~AVSEEK_FORCE;
    const std::int64_t base = whence == SEEK_SET   ? 0
                              : whence == SEEK_CUR ? std::int64_t(d.position_)
                              : whence == SEEK_END ? size
                                                   : -1;
    if (base < 0 || offset < -base || offset > INT64_MAX - base) return AVERROR(EINVAL);
    d.position_ = std::uint64_t(base + offset);
    return std::int64_t(d.position_);
  }
  static int refuse_nested(AVFormatContext*, AVIOContext**, const char*, int, AVDictionary**) {
    return AVERROR(EPERM);
  }

  ByteSource* source_ = nullptr;
  std::uint64_t position_ = 0;
  AVIOContext* io_ = nullptr;
  AVFormatContext* fmt_ = nullptr;
};

class FfmpegBackend final : public Backend {
 public:
  FfmpegBackend(ByteSource& source, DecodeContext& context) : source_(source), context_(context) {}
  ~FfmpegBackend() override {
    av_packet_free(&packet_);
    av_frame_free(&frame_);
    avcodec_free_context(&codec_);
  }

  void open(const std::string& why_not_sndfile);
  std::size_t read(float* interleaved, std::size_t max_frames, std::string& stopped) override;
  std::optional<std::int64_t> declared_length() const override { return length_; }

 private:
  /// Decodes the next frame into pending_; false at the end of the stream (`stopped_` says
  /// whether it ended on an error).
  bool decode_next();
  /// The end of the stream: the warning for skipped packets.
  void finish();

  ByteSource& source_;
  DecodeContext& context_;
  Demuxer demuxer_;
  AVStream* stream_ = nullptr;
  AVCodecContext* codec_ = nullptr;
  AVPacket* packet_ = nullptr;
  AVFrame* frame_ = nullptr;
  int rate_ = 0, channels_ = 0;
  bool demuxer_done_ = false, decoder_done_ = false;
  std::string demux_error_;         // why the demuxer stopped before the end of the file
  std::string stopped_;             // why decoding stopped for good
  std::vector<float> pending_;      // decoded frames not yet returned (interleaved)
  std::size_t pending_offset_ = 0;  // in floats
  std::int64_t packets_skipped_ = 0, frames_skipped_ = 0, consecutive_errors_ = 0;
  // The stream's length where the container states it exactly (MP4: edit list or iTunSMPB):
  // decoded frames past it are end padding, dropped when they are no more than kMaxPadding.
  std::optional<std::int64_t> length_;
  std::int64_t frames_out_ = 0;
  static constexpr std::int64_t kMaxPaddingFrames = 8192;
  /// At length_: true when what remains is padding (and is dropped); else the cap is off.
  bool only_padding_remains();
};

void FfmpegBackend::open(const std::string& why_not_sndfile) {
  quiet_ffmpeg_log();
  const auto& path = context_.path;
  if (const int err = demuxer_.open(source_); err < 0) {
    fail(ErrorCode::not_audio, path,
         "not a readable audio file (libsndfile: " + why_not_sndfile +
             "; FFmpeg: " + av_error(err) + ")");
  }
  AVFormatContext* fmt = demuxer_.get();
  // A weak guess at the format (a few bytes that look like an MPEG frame header) is not a file.
  if (fmt->probe_score <= AVPROBE_SCORE_RETRY) {
    fail(ErrorCode::not_audio, path,
         "not a readable audio file (libsndfile: " + why_not_sndfile + "; FFmpeg guesses " +
             fmt->iformat->name + " only with a probe score of " +
             std::to_string(fmt->probe_score) + ")");
  }
  avformat_find_stream_info(fmt, nullptr);  // a failure leaves what the headers said
  const std::string container = container_of(*fmt, source_);
  for (unsigned i = 0; i < fmt->nb_streams && !stream_; ++i)
    if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) stream_ = fmt->streams[i];
  if (!stream_) {
    fail(ErrorCode::no_audio_stream, path,
         container + " with " + std::to_string(fmt->nb_streams) +
             (fmt->nb_streams == 1 ? " stream" : " streams") + ", none of them audio");
  }
  for (unsigned i = 0; i < fmt->nb_streams; ++i)
    if (fmt->streams[i] != stream_) fmt->streams[i]->discard = AVDISCARD_ALL;
  if (declares_encryption(*fmt, *stream_, source_))
    fail(ErrorCode::encrypted, path, "the audio is encrypted (DRM); herscan cannot decode it");

  const AVCodecParameters& par = *stream_->codecpar;
  const AVCodec* decoder = avcodec_find_decoder(par.codec_id);
  if (!decoder) {
    char tag[AV_FOURCC_MAX_STRING_SIZE] = {};
    av_fourcc_make_string(tag, par.codec_tag);
    fail(ErrorCode::unsupported_codec, path,
         container + " audio in codec " +
             (par.codec_id != AV_CODEC_ID_NONE ? std::string(avcodec_get_name(par.codec_id))
                                               : "'" + std::string(tag) + "'") +
             ", which no decoder here decodes");
  }
  codec_ = avcodec_alloc_context3(decoder);
  packet_ = av_packet_alloc();
  frame_ = av_frame_alloc();
  if (!codec_ || !packet_ || !frame_) throw std::bad_alloc();
  if (avcodec_parameters_to_context(codec_, &par) < 0) throw std::bad_alloc();
  codec_->pkt_timebase = stream_->time_base;
  codec_->thread_count = 1;  // herscan runs one file per thread
  if (const int err = avcodec_open2(codec_, decoder, nullptr); err < 0) {
    fail(ErrorCode::unsupported_codec, path,
         std::string("FFmpeg cannot open its ") + decoder->name + " decoder for this " + container +
             " stream: " + av_error(err));
  }
  if (par.ch_layout.nb_channels > 0 || par.sample_rate > 0)
    check_limits(path, par.ch_layout.nb_channels, par.sample_rate);

  // The first frame fixes what the reader returns (HE-AAC's rate, say, is known only then).
  if (!decode_next()) {
    if (!stopped_.empty()) fail(ErrorCode::truncated, path, "nothing decodes (" + stopped_ + ")");
    fail(ErrorCode::empty_stream, path,
         "the " + container + " file's " + avcodec_get_name(par.codec_id) +
             " stream holds no samples");
  }

  info.decoder = Decoder::ffmpeg;
  info.container = container;
  info.codec = avcodec_get_name(par.codec_id);
  info.sample_rate_hz = rate_;
  info.channels = channels_;
  const AVCodecDescriptor* descriptor = avcodec_descriptor_get(par.codec_id);
  if (descriptor && (descriptor->props & AV_CODEC_PROP_LOSSLESS)) {
    if (par.bits_per_raw_sample > 0)
      info.bit_depth = par.bits_per_raw_sample;
    else if (const int bits = av_get_bits_per_sample(par.codec_id); bits > 0)
      info.bit_depth = bits;
  }
  if (stream_->duration > 0 && stream_->duration != AV_NOPTS_VALUE)
    info.frames = av_rescale_q(stream_->duration, stream_->time_base, AVRational{1, rate_});
  else if (fmt->duration > 0)
    info.frames = av_rescale(fmt->duration, rate_, AV_TIME_BASE);
  add_tags(tags, fmt->metadata);
  add_tags(tags, stream_->metadata);  // Ogg and Matroska keep them on the stream

  // Gapless: libavcodec drops the encoder delay (MP4 edit list, iTunSMPB, Opus pre-skip), but
  // not an MP4's end padding (the rest of the last AAC frame). The edit list's duration is the
  // stream's; iTunSMPB (iTunes) states the source's length itself.
  if (container == "MP4" || container == "MOV") {
    const AVDictionaryEntry* smpb = av_dict_get(stream_->metadata, "iTunSMPB", nullptr, 0);
    if (!smpb) smpb = av_dict_get(fmt->metadata, "iTunSMPB", nullptr, 0);
    if (smpb) {
      unsigned priming = 0, padding = 0;
      unsigned long long samples = 0;
      if (std::sscanf(smpb->value, "%*x %x %x %llx", &priming, &padding, &samples) == 3 &&
          samples > 0)
        length_ = std::int64_t(samples);
    }
    if (!length_ && stream_->duration > 0 && stream_->duration != AV_NOPTS_VALUE)
      length_ = av_rescale_q(stream_->duration, stream_->time_base, AVRational{1, rate_});
  }
}

bool FfmpegBackend::decode_next() {
  constexpr std::int64_t kMaxConsecutiveErrors = 1000;
  while (!decoder_done_) {
    const int got = avcodec_receive_frame(codec_, frame_);
    if (got == 0) {
      consecutive_errors_ = 0;
      const int channels = frame_->ch_layout.nb_channels;
      if (rate_ == 0) {  // the first frame
        check_limits(context_.path, channels, frame_->sample_rate);
        rate_ = frame_->sample_rate;
        channels_ = channels;
        info.layout = layout_of(frame_->ch_layout);
      } else if (frame_->sample_rate != rate_ || channels != channels_) {
        stopped_ = "the stream changes from " + std::to_string(channels_) + " channels at " +
                   std::to_string(rate_) + " Hz to " + std::to_string(channels) + " channels at " +
                   std::to_string(frame_->sample_rate) + " Hz; herscan analyses the part before";
        decoder_done_ = true;
        return false;
      }
      pending_.resize(std::size_t(frame_->nb_samples) * std::size_t(channels_));
      pending_offset_ = 0;
      if (!convert(*frame_, channels_, pending_.data())) {
        stopped_ = std::string("FFmpeg: sample format ") +
                   av_get_sample_fmt_name(AVSampleFormat(frame_->format)) + " is not converted";
        decoder_done_ = true;
        return false;
      }
      av_frame_unref(frame_);
      if (!pending_.empty()) return true;
      continue;
    }
    if (got == AVERROR_EOF) {
      decoder_done_ = true;
      if (!demux_error_.empty() && stopped_.empty()) stopped_ = demux_error_;
      return false;
    }
    if (got != AVERROR(EAGAIN)) {  // a frame the decoder could not decode: skipped
      ++packets_skipped_;
      if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        stopped_ = "FFmpeg: " + av_error(got) + " (" + std::to_string(kMaxConsecutiveErrors) +
                   " packets in a row do not decode)";
        decoder_done_ = true;
        return false;
      }
      continue;
    }
    // The decoder wants a packet.
    if (demuxer_done_) {
      decoder_done_ = true;  // flushed earlier and still EAGAIN: nothing more
      return false;
    }
    const int read = av_read_frame(demuxer_.get(), packet_);
    if (read < 0) {
      if (read != AVERROR_EOF) demux_error_ = "FFmpeg demuxer: " + av_error(read);
      demuxer_done_ = true;
      avcodec_send_packet(codec_, nullptr);  // drain what the decoder holds
      continue;
    }
    if (packet_->stream_index != stream_->index) {
      av_packet_unref(packet_);
      continue;
    }
    if (av_packet_get_side_data(packet_, AV_PKT_DATA_ENCRYPTION_INFO, nullptr))
      fail(ErrorCode::encrypted, context_.path,
           "the audio is encrypted (DRM); herscan cannot decode it");
    const std::int64_t duration = packet_->duration;
    const int sent = avcodec_send_packet(codec_, packet_);
    av_packet_unref(packet_);
    if (sent < 0 && sent != AVERROR(EAGAIN)) {
      ++packets_skipped_;
      if (++consecutive_errors_ > kMaxConsecutiveErrors) {
        stopped_ = "FFmpeg: " + av_error(sent) + " (" + std::to_string(kMaxConsecutiveErrors) +
                   " packets in a row do not decode)";
        decoder_done_ = true;
        return false;
      }
      // Silence for the packet's duration keeps the time of what follows.
      if (rate_ > 0 && duration > 0) {
        const std::int64_t frames =
            av_rescale_q(duration, stream_->time_base, AVRational{1, rate_});
        if (frames > 0 && frames <= rate_) {
          frames_skipped_ += frames;
          pending_.assign(std::size_t(frames) * std::size_t(channels_), 0.0f);
          pending_offset_ = 0;
          return true;
        }
      }
    }
  }
  return false;
}

void FfmpegBackend::finish() {
  if (packets_skipped_ == 0) return;
  char msg[192];
  std::snprintf(msg, sizeof msg,
                "%lld packets of the %s stream could not be decoded and were skipped (%.3f s of "
                "silence put in their place)",
                static_cast<long long>(packets_skipped_), info.codec.c_str(),
                double(frames_skipped_) / double(rate_));
  packets_skipped_ = 0;
  context_.warn(WarningCode::decoder_errors_skipped, msg);
}

bool FfmpegBackend::only_padding_remains() {
  // Decode up to kMaxPaddingFrames more: a stream that ends within them ends at length_; one
  // that goes on has a length that is not a padding's, and is read whole.
  std::vector<float> held(pending_.begin() + std::ptrdiff_t(pending_offset_), pending_.end());
  while (std::int64_t(held.size()) <= kMaxPaddingFrames * channels_ && decode_next()) {
    held.insert(held.end(), pending_.begin(), pending_.end());
    pending_offset_ = pending_.size();
  }
  if (decoder_done_ && std::int64_t(held.size()) <= kMaxPaddingFrames * channels_) {
    pending_.clear();
    pending_offset_ = 0;
    return true;
  }
  pending_ = std::move(held);
  pending_offset_ = 0;
  length_.reset();
  return false;
}

std::size_t FfmpegBackend::read(float* interleaved, std::size_t max_frames, std::string& stopped) {
  const auto channels = std::size_t(channels_);
  if (length_ && frames_out_ + std::int64_t(max_frames) > *length_) {
    if (frames_out_ >= *length_) {
      if (only_padding_remains()) {
        finish();
        stopped = stopped_;
        return 0;
      }
    } else {
      max_frames = std::size_t(*length_ - frames_out_);
    }
  }
  std::size_t done = 0;
  while (done < max_frames) {
    if (pending_offset_ == pending_.size()) {
      if (!decode_next()) {
        finish();
        stopped = stopped_;
        break;
      }
    }
    const std::size_t n =
        std::min(max_frames - done, (pending_.size() - pending_offset_) / channels);
    std::memcpy(interleaved + done * channels, pending_.data() + pending_offset_,
                n * channels * sizeof(float));
    pending_offset_ += n * channels;
    done += n;
  }
  frames_out_ += std::int64_t(done);
  return done;
}

}  // namespace

bool ffmpeg_available() noexcept {
  return true;
}

std::unique_ptr<Backend> open_ffmpeg(ByteSource& source, DecodeContext& context,
                                     const std::string& why_not_sndfile) {
  auto backend = std::make_unique<FfmpegBackend>(source, context);
  backend->open(why_not_sndfile);
  return backend;
}

std::optional<Tags> read_tags_ffmpeg(ByteSource& source) {
  quiet_ffmpeg_log();
  Demuxer demuxer;
  if (demuxer.open(source) < 0) return std::nullopt;
  const AVFormatContext* fmt = demuxer.get();
  Tags tags;
  add_tags(tags, fmt->metadata);
  for (unsigned i = 0; i < fmt->nb_streams; ++i) {
    if (fmt->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_AUDIO) {
      add_tags(tags, fmt->streams[i]->metadata);
      break;
    }
  }
  return tags;
}

}  // namespace herscan::detail
