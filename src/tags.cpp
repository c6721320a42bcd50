// Tags::set: one table of the names that formats give the same tag, and the parsing of its text.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "herscan/audio_file.h"

namespace herscan {
namespace {

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.back())) || s.back() == '\0'))
    s.remove_suffix(1);
  return s;
}

// A leading decimal number ("-6.52 dB", "+0.30", "0.988547"): nullopt when there is none.
std::optional<double> leading_number(std::string_view s) {
  s = trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  const std::string text(s);  // strtod: std::from_chars for double is not in every libstdc++
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(v)) return std::nullopt;
  return v;
}

std::optional<int> leading_int(std::string_view s) {
  s = trim(s);
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  return v;
}

// "3/12" → 3 and 12, "3" → 3; zero and negative numbers are not numbers of a track.
void set_position(std::string_view text, std::optional<int>& number, std::optional<int>& total) {
  const auto slash = text.find('/');
  const auto n = leading_int(text.substr(0, slash));
  if (!number && n && *n > 0) number = n;
  if (slash != std::string_view::npos) {
    const auto t = leading_int(text.substr(slash + 1));
    if (!total && t && *t > 0) total = t;
  }
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80         ? 1
                          : (c >> 5) == 6  ? 2
                          : (c >> 4) == 14 ? 3
                          : (c >> 3) == 30 ? 4
                                           : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += n;
  }
  return true;
}

// Text as UTF-8: tags that are not (RIFF INFO and ID3v1 are often Latin-1) are read as Latin-1.
void set_text(std::optional<std::string>& field, std::string_view value) {
  if (field || value.empty()) return;
  if (valid_utf8(value)) {
    field = std::string(value);
    return;
  }
  std::string out;
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x80) {
      out += ch;
    } else {
      out += char(0xC0 | (c >> 6));
      out += char(0x80 | (c & 0x3F));
    }
  }
  field = std::move(out);
}

void set_number(std::optional<double>& field, std::optional<double> value) {
  if (!field && value) field = value;
}

}  // namespace

const char* decoder_name(Decoder decoder) noexcept {
  switch (decoder) {
    case Decoder::automatic:
      return "automatic";
    case Decoder::libsndfile:
      return "libsndfile";
    case Decoder::ffmpeg:
      return "ffmpeg";
  }
  return "automatic";
}

bool Tags::empty() const noexcept {
  return !title && !artist && !album && !album_artist && !date && !genre && !track &&
         !track_total && !disc && !disc_total && !replaygain_track_gain_db &&
         !replaygain_track_peak && !replaygain_album_gain_db && !replaygain_album_peak &&
         !replaygain_reference_loudness_lufs && !r128_track_gain_db && !r128_album_gain_db;
}

void Tags::set(std::string_view key_text, std::string_view value_text) {
  const std::string key = upper(trim(key_text));
  const std::string_view value = trim(value_text);
  if (value.empty()) return;
  // iTunes freeform atoms reach FFmpeg's dictionary by their name alone; ID3 TXXX frames by
  // their description; both are matched by the part after the last ':'.
  const std::string name = key.substr(key.rfind(':') == std::string::npos ? 0 : key.rfind(':') + 1);
  if (name == "TITLE" || name == "TIT2" || name == "INAM" || name == "©NAM") {
    set_text(title, value);
  } else if (name == "ARTIST" || name == "TPE1" || name == "IART" || name == "©ART" ||
             name == "AUTHOR") {
    set_text(artist, value);
  } else if (name == "ALBUM" || name == "TALB" || name == "IPRD" || name == "©ALB") {
    set_text(album, value);
  } else if (name == "ALBUM_ARTIST" || name == "ALBUMARTIST" || name == "ALBUM ARTIST" ||
             name == "TPE2" || name == "AART" || name == "WM/ALBUMARTIST") {
    set_text(album_artist, value);
  } else if (name == "DATE" || name == "YEAR" || name == "TDRC" || name == "TYER" ||
             name == "ICRD" || name == "©DAY" || name == "WM/YEAR") {
    set_text(date, value);
  } else if (name == "GENRE" || name == "TCON" || name == "IGNR" || name == "©GEN" ||
             name == "WM/GENRE") {
    set_text(genre, value);
  } else if (name == "TRACK" || name == "TRACKNUMBER" || name == "TRCK" || name == "ITRK" ||
             name == "TRKN" || name == "WM/TRACKNUMBER") {
    set_position(value, track, track_total);
  } else if (name == "TRACKTOTAL" || name == "TOTALTRACKS") {
    std::optional<int> unused;
    set_position("0/" + std::string(value), unused, track_total);
  } else if (name == "DISC" || name == "DISCNUMBER" || name == "TPOS" || name == "DISK" ||
             name == "WM/PARTOFSET") {
    set_position(value, disc, disc_total);
  } else if (name == "DISCTOTAL" || name == "TOTALDISCS") {
    std::optional<int> unused;
    set_position("0/" + std::string(value), unused, disc_total);
  } else if (name == "REPLAYGAIN_TRACK_GAIN") {
    set_number(replaygain_track_gain_db, leading_number(value));
  } else if (name == "REPLAYGAIN_TRACK_PEAK") {
    set_number(replaygain_track_peak, leading_number(value));
  } else if (name == "REPLAYGAIN_ALBUM_GAIN") {
    set_number(replaygain_album_gain_db, leading_number(value));
  } else if (name == "REPLAYGAIN_ALBUM_PEAK") {
    set_number(replaygain_album_peak, leading_number(value));
  } else if (name == "REPLAYGAIN_REFERENCE_LOUDNESS") {
    set_number(replaygain_reference_loudness_lufs, leading_number(value));
  } else if (name == "R128_TRACK_GAIN" || name == "R128_ALBUM_GAIN") {
    // RFC 7845 §5.2.1: a signed Q7.8 integer in decimal, nothing else.
    const auto q = leading_int(value);
    if (q && *q >= -32768 && *q <= 32767)
      set_number(name == "R128_TRACK_GAIN" ? r128_track_gain_db : r128_album_gain_db,
                 double(*q) / 256.0);
  }
}

}  // namespace herscan
