#include "container_scan.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

namespace herscan::detail {
namespace {

std::uint32_t le32(const std::byte* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}
std::uint32_t be32(const std::byte* p) {
  return std::uint32_t(p[0]) << 24 | std::uint32_t(p[1]) << 16 | std::uint32_t(p[2]) << 8 |
         std::uint32_t(p[3]);
}
std::uint16_t le16(const std::byte* p) {
  return std::uint16_t(std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8);
}
bool tag_is(const std::byte* p, const char* tag) {
  return std::memcmp(p, tag, 4) == 0;
}

BytePatch le32_patch(std::uint64_t offset, std::uint32_t value) {
  BytePatch patch{offset, {}};
  for (int i = 0; i < 4; ++i) patch.bytes[std::size_t(i)] = std::byte((value >> (8 * i)) & 0xFF);
  return patch;
}

std::string format(const char* fmt, auto... args) {
  char buf[320];
  std::snprintf(buf, sizeof buf, fmt, args...);
  return buf;
}

// --- RIFF WAVE: placeholder sizes, data chunks that run past the end ------------------------

void scan_wav(const SourceRead& read, std::uint64_t size, ContainerScan& scan) {
  std::byte head[12];
  if (read(0, 12, head) < 12) return;
  const std::uint32_t riff_size = le32(head + 4);
  std::uint64_t pos = 12;
  std::uint16_t block_align = 0;
  for (int chunks = 0; chunks < 1000 && pos + 8 <= size; ++chunks) {
    std::byte chunk[8];
    if (read(pos, 8, chunk) < 8) return;
    const std::uint32_t chunk_size = le32(chunk + 4);
    if (tag_is(chunk, "fmt ")) {
      std::byte fmt[16];
      if (chunk_size < 16 || read(pos + 8, 16, fmt) < 16) return;
      block_align = le16(fmt + 12);
    } else if (tag_is(chunk, "data")) {
      if (block_align == 0) return;  // no format yet: libsndfile decides
      const std::uint64_t data_offset = pos + 8;
      const std::uint64_t present = size - data_offset;
      const bool placeholder = chunk_size == 0xFFFFFFFFu || (chunk_size == 0 && present > 0);
      if (placeholder) {
        const std::uint64_t bytes =
            std::min<std::uint64_t>(present - present % block_align, 0xFFFFFFF0u);
        scan.patches.push_back(le32_patch(pos + 4, std::uint32_t(bytes)));
        if (riff_size == 0 || riff_size == 0xFFFFFFFFu)
          scan.patches.push_back(
              le32_patch(4, std::uint32_t(std::min<std::uint64_t>(size - 8, 0xFFFFFFF0u))));
        scan.warnings.push_back(
            {WarningCode::header_size_mismatch,
             format("the data chunk declares %u bytes, a placeholder a streaming writer left; "
                    "read the %llu bytes (%llu frames) up to the end of the file",
                    chunk_size, static_cast<unsigned long long>(bytes),
                    static_cast<unsigned long long>(bytes / block_align))});
      } else if (data_offset + chunk_size > size) {
        scan.declared_frames = std::int64_t(chunk_size / block_align);  // cut: libsndfile shortens
      } else if (riff_size == 0 || riff_size == 0xFFFFFFFFu ||
                 std::uint64_t(riff_size) + 8 > size) {
        scan.warnings.push_back(
            {WarningCode::header_size_mismatch,
             format("the RIFF header declares %u bytes, the file holds %llu; the data chunk is "
                    "whole",
                    riff_size, static_cast<unsigned long long>(size - 8))});
      }
      return;
    }
    pos += 8 + std::uint64_t(chunk_size) + (chunk_size & 1);
  }
}

// --- AIFF: the COMM chunk declares the length; libsndfile shortens a cut SSND silently -----

void scan_aiff(const SourceRead& read, std::uint64_t size, ContainerScan& scan) {
  std::uint64_t pos = 12;
  for (int chunks = 0; chunks < 1000 && pos + 8 <= size; ++chunks) {
    std::byte chunk[14];
    if (read(pos, 14, chunk) < 14) return;
    const std::uint32_t chunk_size = be32(chunk + 4);
    if (tag_is(chunk, "COMM")) {
      scan.declared_frames = std::int64_t(be32(chunk + 10));
      return;
    }
    pos += 8 + std::uint64_t(chunk_size) + (chunk_size & 1);
  }
}

// --- Ogg: a stream cut inside a page --------------------------------------------------------

void scan_ogg(const SourceRead& read, std::uint64_t size, ContainerScan& scan) {
  std::uint64_t pos = 0;
  while (pos + 27 <= size) {
    std::byte head[27 + 255];
    if (read(pos, 27, head) < 27 || !tag_is(head, "OggS")) return;  // not ours to judge
    const std::size_t segments = std::size_t(head[26]);
    std::uint64_t page = 27 + segments;
    if (pos + page <= size) {
      if (read(pos + 27, segments, head + 27) < segments) return;
      for (std::size_t i = 0; i < segments; ++i) page += std::uint64_t(head[27 + i]);
    }
    if (pos + page > size) {
      scan.ranges = {{0, pos}};
      scan.warnings.push_back(
          {WarningCode::truncated,
           format("the stream ends inside an Ogg page (byte %llu of a page that needs %llu): the "
                  "file is cut; the audio up to the last whole page is analysed",
                  static_cast<unsigned long long>(size),
                  static_cast<unsigned long long>(pos + page))});
      return;
    }
    pos += page;
  }
}

// --- MPEG audio: corrupt frames cut out, a cut last frame -------------------------------

struct MpegHeader {
  int version = 0;  // 1, 2, or 25 (MPEG 2.5)
  int layer = 0;
  int sample_rate_hz = 0;
  int channel_mode = 0;
  bool crc = false;
  std::uint32_t length = 0;  // bytes
  int samples = 0;           // per frame
};

std::optional<MpegHeader> parse_mpeg(const std::byte* p) {
  const std::uint32_t h = be32(p);
  if ((h & 0xFFE00000u) != 0xFFE00000u) return std::nullopt;
  const int version_bits = int(h >> 19) & 3, layer_bits = int(h >> 17) & 3;
  const int bitrate_index = int(h >> 12) & 15, rate_index = int(h >> 10) & 3;
  if (version_bits == 1 || layer_bits == 0 || bitrate_index == 0 || bitrate_index == 15 ||
      rate_index == 3)
    return std::nullopt;  // reserved values, or free format (whose length no header states)
  static constexpr int kBitrates[5][15] = {
      {0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},  // V1 L1
      {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},     // V1 L2
      {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320},      // V1 L3
      {0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},     // V2 L1
      {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},          // V2 L2, L3
  };
  static constexpr int kRates[3] = {44100, 48000, 32000};
  MpegHeader m;
  m.version = version_bits == 3 ? 1 : version_bits == 2 ? 2 : 25;
  m.layer = 4 - layer_bits;
  m.sample_rate_hz = kRates[rate_index] / (m.version == 1 ? 1 : m.version == 2 ? 2 : 4);
  m.channel_mode = int(h >> 6) & 3;
  m.crc = ((h >> 16) & 1) == 0;
  const int table = m.version == 1 ? m.layer - 1 : m.layer == 1 ? 3 : 4;
  const std::uint32_t bitrate = std::uint32_t(kBitrates[table][bitrate_index]) * 1000;
  const std::uint32_t padding = (h >> 9) & 1;
  const auto rate = std::uint32_t(m.sample_rate_hz);
  if (m.layer == 1) {
    m.length = (12 * bitrate / rate + padding) * 4;
    m.samples = 384;
  } else if (m.layer == 3 && m.version != 1) {
    m.length = 72 * bitrate / rate + padding;
    m.samples = 576;
  } else {
    m.length = 144 * bitrate / rate + padding;
    m.samples = 1152;
  }
  return m;
}

bool same_stream(const MpegHeader& a, const MpegHeader& b) {
  return a.version == b.version && a.layer == b.layer && a.sample_rate_hz == b.sample_rate_hz;
}

void scan_mpeg(const SourceRead& read, std::uint64_t size, ContainerScan& scan) {
  std::byte b[10];
  std::uint64_t pos = 0;
  // ID3v2 tags before the audio (several, sometimes).
  while (read(pos, 10, b) == 10 && std::memcmp(b, "ID3", 3) == 0) {
    const std::uint64_t tag = (std::uint64_t(b[6]) & 0x7F) << 21 |
                              (std::uint64_t(b[7]) & 0x7F) << 14 |
                              (std::uint64_t(b[8]) & 0x7F) << 7 | (std::uint64_t(b[9]) & 0x7F);
    pos += 10 + tag + ((std::uint32_t(b[5]) & 0x10) ? 10 : 0);
  }
  auto header_at = [&](std::uint64_t at) -> std::optional<MpegHeader> {
    std::byte h[4];
    if (at + 4 > size || read(at, 4, h) < 4) return std::nullopt;
    return parse_mpeg(h);
  };
  // A frame boundary is believed when the frame after it starts with a header too (or the
  // file ends there): one header alone is too easily found in random bytes.
  auto confirmed = [&](std::uint64_t at, const MpegHeader* like) -> std::optional<MpegHeader> {
    const auto h = header_at(at);
    if (!h || (like && !same_stream(*h, *like))) return std::nullopt;
    if (at + h->length == size) return h;
    const auto next = header_at(at + h->length);
    if (!next || !same_stream(*h, *next)) return std::nullopt;
    return h;
  };
  constexpr std::uint64_t kFirstFrameSearch = 1 << 16;
  std::optional<MpegHeader> first;
  for (const std::uint64_t end = std::min(size, pos + kFirstFrameSearch); pos < end; ++pos)
    if ((first = confirmed(pos, nullptr))) break;
  if (!first) return;  // libsndfile decides

  // The Xing/Info frame of an encoder (LAME, FFmpeg) declares the stream's frame count.
  std::optional<std::uint32_t> xing_frames;
  {
    std::byte f[64];
    const std::size_t got = read(pos, std::min<std::size_t>(sizeof f, first->length), f);
    for (std::size_t i = 4; i + 12 <= got; ++i) {
      if (tag_is(f + i, "Xing") || tag_is(f + i, "Info")) {
        if (be32(f + i + 4) & 1) xing_frames = be32(f + i + 8);
        break;
      }
    }
  }

  struct Region {
    std::uint64_t begin, end;
    std::int64_t frame;  // audio frames before it
  };
  std::vector<Region> bad;
  std::int64_t frames = 0;         // whole frames kept
  std::uint64_t last_frame = pos;  // start of the last frame kept
  std::uint64_t audio_end = size;  // where the view ends
  bool cut = false;
  while (pos < size) {
    const auto h = header_at(pos);
    if (h && same_stream(*h, *first)) {
      if (pos + h->length > size) {  // the last frame is cut short
        cut = true;
        audio_end = pos;
        break;
      }
      ++frames;
      last_frame = pos;
      pos += h->length;
      continue;
    }
    std::byte tag[4] = {};
    read(pos, 4, tag);
    if (std::memcmp(tag, "TAG", 3) == 0 || tag_is(tag, "APET") || tag_is(tag, "LYRI") ||
        std::memcmp(tag, "ID3", 3) == 0)
      break;  // tags after the audio
    // Corrupt bytes: resynchronise on the next confirmed frame. The frame before them goes too:
    // its end may be part of the damage.
    std::uint64_t next = pos + 1;
    while (next < size && !confirmed(next, &*first)) ++next;
    if (next >= size) break;  // no audio after them: trailing bytes of another kind
    const std::uint64_t begin = frames > 0 ? last_frame : pos;
    if (frames > 0) --frames;
    bad.push_back({begin, next, frames});
    pos = next;
    last_frame = next;
  }

  if (!bad.empty() || cut) {
    std::uint64_t from = 0;
    for (const Region& r : bad) {
      if (r.begin > from) scan.ranges.push_back({from, r.begin - from});
      from = r.end;
    }
    if (audio_end > from) scan.ranges.push_back({from, audio_end - from});
    if (scan.ranges.empty()) scan.ranges.push_back({0, 0});
  }
  const double frame_s = double(first->samples) / first->sample_rate_hz;
  if (!bad.empty()) {
    std::uint64_t bytes = 0;
    std::int64_t inserted = 0;  // frames of silence put back, all regions
    const std::int64_t audio_frames_before_xing = xing_frames ? 1 : 0;
    for (const Region& r : bad) {
      bytes += r.end - r.begin;
      const auto lost =
          std::max<std::int64_t>(1, std::llround(double(r.end - r.begin) / double(first->length)));
      const std::int64_t at =
          std::max<std::int64_t>(0, r.frame - audio_frames_before_xing) * first->samples;
      scan.gaps.push_back({at + inserted, lost * first->samples});
      inserted += lost * first->samples;
    }
    const double lost_frames = double(inserted / first->samples);
    scan.warnings.push_back(
        {WarningCode::decoder_errors_skipped,
         format("%zu corrupt region%s of the MPEG stream skipped (%llu bytes, about %.0f frames, "
                "%.3f s of audio), the first at %.3f s",
                bad.size(), bad.size() == 1 ? "" : "s", static_cast<unsigned long long>(bytes),
                lost_frames, lost_frames * frame_s, double(bad.front().frame) * frame_s)});
  }
  std::string declared;
  if (xing_frames)
    declared = format("; the Xing header declares %u frames (%.3f s), %lld are present (%.3f s)",
                      *xing_frames, *xing_frames * frame_s, static_cast<long long>(frames - 1),
                      double(frames - 1) * frame_s);
  if (cut) {
    scan.warnings.push_back(
        {WarningCode::truncated,
         format("the stream ends inside an MPEG frame (at byte %llu): the file is cut",
                static_cast<unsigned long long>(size)) +
             declared});
  } else if (xing_frames && bad.empty() && frames - 1 < std::int64_t(*xing_frames) * 99 / 100) {
    scan.warnings.push_back({WarningCode::truncated, "the stream ends early" + declared});
  }
}

}  // namespace

ContainerScan scan_container(const SourceRead& read, std::uint64_t size) {
  ContainerScan scan;
  std::byte magic[12] = {};
  const std::size_t got = read(0, sizeof magic, magic);
  if (got >= 12 && tag_is(magic, "RIFF") && tag_is(magic + 8, "WAVE"))
    scan_wav(read, size, scan);
  else if (got >= 12 && tag_is(magic, "FORM") &&
           (tag_is(magic + 8, "AIFF") || tag_is(magic + 8, "AIFC")))
    scan_aiff(read, size, scan);
  else if (got >= 4 && tag_is(magic, "OggS"))
    scan_ogg(read, size, scan);
  else if (got >= 3 &&
           (std::memcmp(magic, "ID3", 3) == 0 ||
            (magic[0] == std::byte(0xFF) && (magic[1] & std::byte(0xE0)) == std::byte(0xE0))))
    scan_mpeg(read, size, scan);
  return scan;
}

}  // namespace herscan::detail
