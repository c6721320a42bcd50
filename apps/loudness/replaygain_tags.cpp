#include "loudness/replaygain_tags.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace herscan::app {
namespace {

// RFC 7845 §5.2.1: R128 gains are relative to this reference.
constexpr double kR128ReferenceLufs = -23;

double peak_db(double linear) {
  return linear > 0 ? 20 * std::log10(linear) : -INFINITY;
}

bool is_gain(const std::string& name) {
  return name.ends_with("_GAIN") && name.starts_with("REPLAYGAIN_");
}
bool is_peak(const std::string& name) {
  return name.ends_with("_PEAK");
}
bool is_q78(const std::string& name) {
  return name.starts_with("R128_");
}

// A present value in the form herscan would write it (nullopt when it holds no number), so that
// another tool's "-6.5 dB" or "+3.10 dB" compares equal to "-6.50 dB" and "3.10 dB".
std::optional<std::string> normalised(const std::string& tag, const std::string& value) {
  const std::string name = tag.substr(tag.find(':') == std::string::npos ? 0 : tag.find(':') + 1);
  char* end = nullptr;
  const double x = std::strtod(value.c_str(), &end);
  if (end == value.c_str() || !std::isfinite(x)) return std::nullopt;
  if (is_q78(name)) return format_q78(x / 256.0);
  if (is_gain(name)) return format_gain(x);
  if (is_peak(name)) return format_peak(x);
  return format_reference(x);
}

}  // namespace

double replaygain_peak(const LoudnessResult& loudness, const TagPolicy& policy) {
  return policy.true_peak ? loudness.true_peak : loudness.sample_peak;
}

double replaygain_gain_db(const LoudnessResult& loudness, const TagPolicy& policy) {
  if (!std::isfinite(loudness.integrated_lufs)) return NAN;
  double gain = policy.target_lufs - loudness.integrated_lufs;
  if (policy.clip == ClipMode::none || (policy.clip == ClipMode::positive && gain <= 0))
    return gain;
  const double limit = policy.max_peak_db - peak_db(replaygain_peak(loudness, policy));
  if (gain > limit) gain = policy.clip == ClipMode::positive ? std::max(limit, 0.0) : limit;
  return gain;
}

std::string format_gain(double db) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f dB", db == 0 ? 0.0 : db);  // never "-0.00 dB"
  if (std::string(buf) == "-0.00 dB") return "0.00 dB";
  return buf;
}

std::string format_peak(double linear) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.6f", linear);
  return buf;
}

std::string format_reference(double lufs) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.2f LUFS", lufs);
  return buf;
}

std::string format_q78(double db) {
  const double q = std::clamp(std::round(db * 256.0), -32768.0, 32767.0);
  return std::to_string(static_cast<int>(q));
}

TagValues planned_tags(TagFlavour flavour, const LoudnessResult& track, const LoudnessResult* album,
                       const TagPolicy& policy) {
  TagValues tags;
  const double track_gain = replaygain_gain_db(track, policy);
  const double album_gain = album ? replaygain_gain_db(*album, policy) : NAN;
  const bool opus = flavour == TagFlavour::opus;
  if (!opus || policy.opus_replaygain) {
    if (std::isfinite(track_gain)) {
      tags["REPLAYGAIN_TRACK_GAIN"] = format_gain(track_gain);
      tags["REPLAYGAIN_TRACK_PEAK"] = format_peak(replaygain_peak(track, policy));
    }
    if (std::isfinite(album_gain)) {
      tags["REPLAYGAIN_ALBUM_GAIN"] = format_gain(album_gain);
      tags["REPLAYGAIN_ALBUM_PEAK"] = format_peak(replaygain_peak(*album, policy));
    }
    if (!tags.empty()) tags["REPLAYGAIN_REFERENCE_LOUDNESS"] = format_reference(policy.target_lufs);
  }
  if (opus) {
    // Relative to -23 LUFS whatever the ReplayGain target (the RFC fixes the reference); the
    // clipping protection applies as it does to the ReplayGain gain.
    TagPolicy r128 = policy;
    r128.target_lufs = kR128ReferenceLufs;
    const double t = replaygain_gain_db(track, r128);
    if (std::isfinite(t)) tags["R128_TRACK_GAIN"] = format_q78(t);
    if (album) {
      const double a = replaygain_gain_db(*album, r128);
      if (std::isfinite(a)) tags["R128_ALBUM_GAIN"] = format_q78(a);
    }
  }
  return tags;
}

std::vector<std::string> stale_tags(TagFlavour flavour, const TagValues& present,
                                    const TagValues& planned, const TagPolicy& policy) {
  std::vector<std::string> stale;
  for (const auto& [name, value] : present) {
    if (planned.count(name)) continue;
    if (name.starts_with("APEv2:")) {
      stale.push_back(name);  // an MP3's APEv2 copy: players preferring it would use old values
    } else if (name.starts_with("REPLAYGAIN_") && flavour == TagFlavour::opus &&
               !policy.opus_replaygain) {
      stale.push_back(name);  // RFC 7845 §5.2.1: players would apply both
    } else if (name.find("_ALBUM_") != std::string::npos && !policy.album) {
      // A track-only run leaves album tags alone (they may come from an album run).
    } else if (name.starts_with("R128_") && flavour != TagFlavour::opus) {
      // Not a tag of this format's ReplayGain flavour: not herscan's to judge.
    } else if (!planned.empty()) {
      // A tag this run would write but has no value for (a track too short or silent for its
      // own loudness, in an album): the old value would be wrong.
      stale.push_back(name);
    }
  }
  return stale;
}

bool tags_current(const TagValues& present, const TagValues& planned,
                  const std::vector<std::string>& stale) {
  for (const auto& [name, value] : planned) {
    const auto it = present.find(name);
    if (it == present.end() || normalised(name, it->second) != value) return false;
  }
  return std::none_of(stale.begin(), stale.end(),
                      [&](const std::string& name) { return present.count(name) > 0; });
}

std::vector<TagChange> tag_changes(const TagValues& present, const TagValues& planned,
                                   const std::vector<std::string>& removed) {
  std::vector<TagChange> changes;
  auto old_of = [&](const std::string& name) -> std::optional<std::string> {
    const auto it = present.find(name);
    return it == present.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
  for (const auto& [name, value] : planned) changes.push_back({name, old_of(name), value});
  for (const auto& name : removed)
    if (present.count(name)) changes.push_back({name, old_of(name), std::nullopt});
  return changes;
}

const std::vector<std::string>& replaygain_tag_names() {
  static const std::vector<std::string> names = {
      "REPLAYGAIN_TRACK_GAIN", "REPLAYGAIN_TRACK_PEAK",         "REPLAYGAIN_ALBUM_GAIN",
      "REPLAYGAIN_ALBUM_PEAK", "REPLAYGAIN_REFERENCE_LOUDNESS", "R128_TRACK_GAIN",
      "R128_ALBUM_GAIN"};
  return names;
}

std::optional<TagFormat> tag_format(const AudioInfo& info) {
  const std::string& c = info.container;
  const std::string& codec = info.codec;
  if (c == "FLAC" && codec == "flac") return TagFormat{TagFlavour::vorbis_comment, "FLAC"};
  if (c == "Ogg" && codec == "vorbis") return TagFormat{TagFlavour::vorbis_comment, "Ogg Vorbis"};
  if (c == "Ogg" && codec == "opus") return TagFormat{TagFlavour::opus, "Opus"};
  if (c == "MPEG" && (codec == "mp3" || codec == "mp2" || codec == "mp1"))
    return TagFormat{TagFlavour::id3v2, "MP3"};
  if (c == "MP4" && (codec == "aac" || codec == "alac")) return TagFormat{TagFlavour::mp4, "MP4"};
  // WAV and AIFF: an ID3v2 chunk ("id3 " / "ID3 "), as rsgain and loudgain write it.
  if (c == "WAV" && codec.starts_with("pcm_")) return TagFormat{TagFlavour::id3v2, "WAV"};
  if (c == "AIFF" && codec.starts_with("pcm_")) return TagFormat{TagFlavour::id3v2, "AIFF"};
  if (c == "WavPack") return TagFormat{TagFlavour::apev2, "WavPack"};
  if (c == "APE") return TagFormat{TagFlavour::apev2, "APE"};
  return std::nullopt;
}

std::string flavour_name(TagFlavour flavour, int id3v2_version) {
  switch (flavour) {
    case TagFlavour::vorbis_comment:
      return "Vorbis comments";
    case TagFlavour::opus:
      return "Opus comments (R128)";
    case TagFlavour::id3v2:
      return id3v2_version == 3 ? "ID3v2.3" : "ID3v2.4";
    case TagFlavour::mp4:
      return "iTunes freeform atoms";
    case TagFlavour::apev2:
      return "APEv2";
  }
  return "?";
}

}  // namespace herscan::app
