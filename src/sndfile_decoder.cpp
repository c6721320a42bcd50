// The libsndfile backend (backend.h): WAV, AIFF, FLAC, Ogg, MP3, CAF and the rest of
// libsndfile's formats, read through its virtual I/O from a view of the source that
// container_scan.h repairs where the file is damaged.
#include <sndfile.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend.h"
#include "container_scan.h"
#include "herscan/error.h"

namespace herscan::detail {
namespace {

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

class SndfileBackend final : public Backend {
 public:
  SndfileBackend(ByteSource& source, DecodeContext& context) : source_(source), context_(context) {}
  ~SndfileBackend() override {
    if (file_) sf_close(file_);
  }

  /// Scans the source (container_scan.h) for the view and opens it; throws as open_sndfile().
  void open();

  std::optional<std::int64_t> declared_length() const override {
    // The scan's (WAV, AIFF), else libsndfile's but for MPEG (an estimate) and lengths beyond
    // the duration limit (libsndfile says 2^63 - 1 for some Ogg).
    if (declared_frames_) return declared_frames_;
    if (!header_frames_exact_ ||
        info.frames > std::int64_t(kMaxDurationS) * std::int64_t(info.sample_rate_hz))
      return std::nullopt;
    return info.frames;
  }

  std::size_t read(float* interleaved, std::size_t max_frames, std::string& stopped) override;

 private:
  /// Bytes of the view at `offset`.
  std::size_t view_read(std::uint64_t offset, std::size_t n, std::byte* dst);

  void read_tags();

  // libsndfile's virtual I/O (user data: this backend).
  static sf_count_t length(void* user) { return static_cast<SndfileBackend*>(user)->size_; }
  static sf_count_t seek(sf_count_t offset, int whence, void* user) {
    auto& s = *static_cast<SndfileBackend*>(user);
    const sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? s.position_ : s.size_;
    // Clamped into the file: libsndfile seeks to absurd offsets that a corrupt header states.
    s.position_ = std::clamp<sf_count_t>(
        base > s.size_ || offset > s.size_ ? s.size_ : base + offset, 0, s.size_);
    return s.position_;
  }
  static sf_count_t read_bytes(void* out, sf_count_t count, void* user) {
    auto& s = *static_cast<SndfileBackend*>(user);
    const sf_count_t n = std::clamp<sf_count_t>(count, 0, s.size_ - s.position_);
    const std::size_t got = n > 0 ? s.view_read(std::uint64_t(s.position_), std::size_t(n),
                                                static_cast<std::byte*>(out))
                                  : 0;
    s.position_ += sf_count_t(got);
    return sf_count_t(got);
  }
  static sf_count_t write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t tell(void* user) { return static_cast<SndfileBackend*>(user)->position_; }

  ByteSource& source_;
  DecodeContext& context_;
  SNDFILE* file_ = nullptr;
  bool header_frames_exact_ = true;  // false for MPEG, whose length libsndfile estimates
  std::optional<std::int64_t> declared_frames_;  // the header's, where libsndfile hides it
  std::vector<ContainerScan::Gap> gaps_;         // silence put back for frames cut out, in order
  std::size_t next_gap_ = 0;
  std::int64_t frames_out_ = 0;  // frames returned, gaps included

  // libsndfile reads a view of the source (scan_container): by default the source itself; for
  // a damaged file, the source without the damage.
  std::vector<ByteRange> ranges_;  // never empty once opened
  std::vector<BytePatch> patches_;
  sf_count_t size_ = 0;      // of the view
  sf_count_t position_ = 0;  // libsndfile's read position in the view
};

std::size_t SndfileBackend::view_read(std::uint64_t offset, std::size_t n, std::byte* dst) {
  std::size_t done = 0;
  std::uint64_t range_start = 0;  // view offset of the range
  for (const auto& r : ranges_) {
    if (done == n) break;
    const std::uint64_t at = offset + done;
    if (at < range_start + r.length) {
      const std::size_t k =
          std::size_t(std::min<std::uint64_t>(n - done, range_start + r.length - at));
      const std::size_t got = source_.read(r.offset + (at - range_start), k, dst + done);
      done += got;
      if (got < k) break;
    }
    range_start += r.length;
  }
  for (const auto& p : patches_)
    for (std::size_t i = 0; i < p.bytes.size(); ++i)
      if (p.view_offset + i >= offset && p.view_offset + i < offset + done)
        dst[p.view_offset + i - offset] = p.bytes[i];
  return done;
}

void SndfileBackend::open() {
  auto scanned = scan_container([this](std::uint64_t offset, std::size_t n,
                                       std::byte* dst) { return source_.read(offset, n, dst); },
                                source_.size());
  ranges_ = scanned.ranges.empty() ? std::vector<ByteRange>{{0, source_.size()}}
                                   : std::move(scanned.ranges);
  patches_ = std::move(scanned.patches);
  declared_frames_ = scanned.declared_frames;
  gaps_ = std::move(scanned.gaps);
  for (const auto& r : ranges_) size_ += sf_count_t(r.length);

  static SF_VIRTUAL_IO io{length, seek, read_bytes, write, tell};
  SF_INFO sfinfo{};
  std::string reason;
  {
    // Why an open failed is in one global of libsndfile's (sf_strerror(nullptr)), which every
    // open resets: opens are serialised so that the reason read back is this file's, whatever
    // other threads open meanwhile (reading a header is a small part of a file's work).
    static std::mutex mutex;
    const std::lock_guard lock(mutex);
    file_ = sf_open_virtual(&io, SFM_READ, &sfinfo, this);
    if (!file_) reason = sf_strerror(nullptr);
  }
  if (!file_) throw Error(ErrorCode::not_audio, reason);
  // What the scan repaired counts only for a file libsndfile reads.
  for (auto& w : scanned.warnings) context_.warn(w.code, std::move(w.message));
  check_limits(context_.path, sfinfo.channels, sfinfo.samplerate);

  info.decoder = Decoder::libsndfile;
  info.container = container_name(sfinfo.format);
  std::tie(info.codec, info.bit_depth) = codec_of(sfinfo.format);
  info.sample_rate_hz = sfinfo.samplerate;
  info.channels = sfinfo.channels;
  info.frames = sfinfo.frames;
  header_frames_exact_ = (sfinfo.format & SF_FORMAT_TYPEMASK) != SF_FORMAT_MPEG;

  std::vector<int> map(std::size_t(sfinfo.channels), 0);
  if (sf_command(file_, SFC_GET_CHANNEL_MAP_INFO, map.data(), int(map.size() * sizeof(int))) ==
      SF_TRUE) {
    info.layout.reserve(map.size());
    for (int c : map) info.layout.push_back(position_of(c));
  }
  read_tags();
}

void SndfileBackend::read_tags() {
  // FFmpeg's demuxers read every tag of these containers (Vorbis comments whole, ID3v2 TXXX,
  // RIFF INFO); libsndfile, where FFmpeg is not built in, a few text fields.
  if (ffmpeg_available()) {
    if (auto t = read_tags_ffmpeg(source_)) {
      tags = std::move(*t);
      return;
    }
  }
  static const std::pair<int, const char*> kFields[] = {
      {SF_STR_TITLE, "title"}, {SF_STR_ARTIST, "artist"}, {SF_STR_ALBUM, "album"},
      {SF_STR_DATE, "date"},   {SF_STR_GENRE, "genre"},   {SF_STR_TRACKNUMBER, "track"}};
  for (const auto& [field, key] : kFields)
    if (const char* value = sf_get_string(file_, field)) tags.set(key, value);
}

std::size_t SndfileBackend::read(float* interleaved, std::size_t max_frames, std::string& stopped) {
  const int channels = info.channels;
  // Silence where corrupt frames were cut out (ContainerScan::gaps).
  if (next_gap_ < gaps_.size() && frames_out_ >= gaps_[next_gap_].at_frame) {
    auto& gap = gaps_[next_gap_];
    const std::int64_t n = std::min<std::int64_t>(gap.frames, std::int64_t(max_frames));
    std::fill_n(interleaved, std::size_t(n) * std::size_t(channels), 0.0f);
    frames_out_ += n;
    gap.frames -= n;
    gap.at_frame += n;
    if (gap.frames == 0) ++next_gap_;
    return std::size_t(n);
  }
  if (next_gap_ < gaps_.size())
    max_frames =
        std::min<std::size_t>(max_frames, std::size_t(gaps_[next_gap_].at_frame - frames_out_));
  const sf_count_t got = sf_readf_float(file_, interleaved, sf_count_t(max_frames));
  if (got < 0) {
    stopped = "libsndfile: read error";
    return 0;
  }
  frames_out_ += got;
  if (std::size_t(got) < max_frames && sf_error(file_) != SF_ERR_NO_ERROR)
    stopped = std::string("libsndfile: ") + sf_strerror(file_);  // a FLAC cut or corrupt
  return std::size_t(got);
}

}  // namespace

bool has_sndfile_signature(ByteSource& source) {
  std::array<char, 12> b{};
  if (source.read(0, b.size(), reinterpret_cast<std::byte*>(b.data())) < b.size()) return false;
  const std::string_view head(b.data(), b.size());
  const auto at = [&](std::size_t offset, std::string_view tag) {
    return head.substr(offset, tag.size()) == tag;
  };
  return ((at(0, "RIFF") || at(0, "RF64") || at(0, "BW64")) && at(8, "WAVE")) ||
         (at(0, "FORM") && (at(8, "AIFF") || at(8, "AIFC"))) ||
         (at(0, "riff") && static_cast<unsigned char>(b[4]) == 0x2E) || at(0, "fLaC") ||
         at(0, "caff") || at(0, ".snd");
}

std::unique_ptr<Backend> open_sndfile(ByteSource& source, DecodeContext& context) {
  auto backend = std::make_unique<SndfileBackend>(source, context);
  backend->open();
  return backend;
}

}  // namespace herscan::detail
