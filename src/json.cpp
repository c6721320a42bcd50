#include "herscan/json.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

namespace herscan {
namespace {

using json = nlohmann::ordered_json;

// The length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, surrogates
// or code points above U+10FFFF), or 0 when the bytes there are not one.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto b = static_cast<unsigned char>(s[i]);
  std::size_t len;
  unsigned lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (b < 0x80) {
    return 1;
  } else if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  for (std::size_t k = 1; k < len; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if (c < (k == 1 ? lo : 0x80u) || c > (k == 1 ? hi : 0xBFu)) return 0;
  }
  return len;
}

// `"file": name`, and, when the name is not UTF-8, `"file_bytes"` (its bytes in base64): JSON
// strings are Unicode, so `file` then shows each invalid byte as U+FFFD and the base64 copy
// keeps the name exactly (docs/robustness.md). Every string of a record is then valid UTF-8, so
// any dump() of it works.
void add_file(nlohmann::ordered_json& j, const std::string& file) {
  bool valid = true;
  j["file"] = valid_utf8(file, &valid);
  if (!valid) j["file_bytes"] = base64(file);
}

// A finite number rounded to 7 significant digits (the precision of the float arithmetic
// behind it), or null. NaN and ±Inf never reach the output.
json number(double x) {
  if (!std::isfinite(x)) return nullptr;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", x);
  const double rounded = std::strtod(buf, nullptr);
  // Integral values print without a fraction (44100, not 44100.0).
  if (rounded == std::trunc(rounded) && std::abs(rounded) < 9.0e15) return std::int64_t(rounded);
  return rounded;
}

json summary(const Summary& s) {
  return {{"mean", number(s.mean)}, {"std", number(s.std)}};
}

json format_json(const AudioInfo& info) {
  json layout = nullptr;
  if (!info.layout.empty()) {
    layout = json::array();
    for (ChannelPosition p : info.layout) layout.push_back(channel_position_name(p));
  }
  return {
      {"decoder", decoder_name(info.decoder)},
      {"container", info.container},
      {"codec", info.codec},
      {"sample_rate_hz", number(info.sample_rate_hz)},
      {"channels", info.channels},
      {"frames", info.frames},
      {"duration_s", number(info.duration_s())},
      {"bit_depth", info.bit_depth ? json(*info.bit_depth) : json(nullptr)},
      {"channel_layout", layout},
  };
}

// The tags a file carries, only the fields it has.
json tags_json(const Tags& t) {
  json j = json::object();
  const auto text = [&](const char* key, const std::optional<std::string>& v) {
    if (v) j[key] = *v;
  };
  const auto integer = [&](const char* key, const std::optional<int>& v) {
    if (v) j[key] = *v;
  };
  const auto real = [&](json& into, const char* key, const std::optional<double>& v) {
    if (v) into[key] = number(*v);
  };
  text("title", t.title);
  text("artist", t.artist);
  text("album", t.album);
  text("album_artist", t.album_artist);
  integer("track", t.track);
  integer("track_total", t.track_total);
  integer("disc", t.disc);
  integer("disc_total", t.disc_total);
  text("date", t.date);
  text("genre", t.genre);
  json rg = json::object();
  real(rg, "track_gain_db", t.replaygain_track_gain_db);
  real(rg, "track_peak", t.replaygain_track_peak);
  real(rg, "album_gain_db", t.replaygain_album_gain_db);
  real(rg, "album_peak", t.replaygain_album_peak);
  real(rg, "reference_loudness_lufs", t.replaygain_reference_loudness_lufs);
  if (!rg.empty()) j["replaygain"] = std::move(rg);
  json r128 = json::object();
  real(r128, "track_gain_db", t.r128_track_gain_db);
  real(r128, "album_gain_db", t.r128_album_gain_db);
  if (!r128.empty()) j["r128"] = std::move(r128);
  return j;
}

// {"mean": [...], "std": [...]} for a vector-valued feature.
json summaries(const std::vector<Summary>& v) {
  json mean = json::array(), std = json::array();
  for (const Summary& s : v) {
    mean.push_back(number(s.mean));
    std.push_back(number(s.std));
  }
  return {{"mean", std::move(mean)}, {"std", std::move(std)}};
}

// A row-major frames × width matrix as a list of per-frame rows.
json rows(const std::vector<float>& values, std::size_t width) {
  json a = json::array();
  if (width == 0) return a;
  for (std::size_t r = 0; r * width < values.size(); ++r) {
    json row = json::array();
    for (std::size_t c = 0; c < width; ++c) row.push_back(number(values[r * width + c]));
    a.push_back(std::move(row));
  }
  return a;
}

json spectral_json(const SpectralSummary& s) {
  return {
      {"frames", s.frames},
      {"centroid_hz", summary(s.centroid_hz)},
      {"bandwidth_hz", summary(s.bandwidth_hz)},
      {"rolloff_hz", summary(s.rolloff_hz)},
      {"flatness", summary(s.flatness)},
      {"flux", summary(s.flux)},
      {"zero_crossing_rate", summary(s.zero_crossing_rate)},
      {"rms", summary(s.rms)},
      {"contrast_db", summaries(s.contrast_db)},
  };
}

json loudness_json(const LoudnessResult& r) {
  json j = {
      {"integrated_lufs", number(r.integrated_lufs)},
      {"range_lu", number(r.range_lu)},
      {"momentary_max_lufs", number(r.momentary_max_lufs)},
      {"short_term_max_lufs", number(r.short_term_max_lufs)},
      {"sample_peak_dbfs", number(r.sample_peak_dbfs)},
      {"true_peak_dbtp", number(r.true_peak_dbtp)},
      {"replaygain_db", number(r.replaygain_db)},
  };
  if (!r.undefined.empty()) {
    json reasons = json::object();
    for (const auto& [field, why] : r.undefined) reasons[field] = why;
    j["null_reasons"] = std::move(reasons);
  }
  return j;
}

template <class T>
json series(const std::vector<T>& values) {
  json a = json::array();
  for (T v : values) a.push_back(number(double(v)));
  return a;
}

json frames_json(const Profile& p) {
  json j = json::object();
  if (p.frames->stft_frames > 0) {
    json time = json::array();
    for (std::size_t t = 0; t < p.frames->stft_frames; ++t)
      time.push_back(
          number(double(t) * double(p.analysis.hop_frames) / p.analysis.analysis_rate_hz));
    j["time_s"] = std::move(time);
  }
  if (p.spectral) {
    const auto& f = p.frames->spectral;
    auto column = [&](double SpectralFrame::*field) {
      json a = json::array();
      for (const auto& frame : f) a.push_back(number(frame.*field));
      return a;
    };
    j["centroid_hz"] = column(&SpectralFrame::centroid_hz);
    j["bandwidth_hz"] = column(&SpectralFrame::bandwidth_hz);
    j["rolloff_hz"] = column(&SpectralFrame::rolloff_hz);
    j["flatness"] = column(&SpectralFrame::flatness);
    j["flux"] = column(&SpectralFrame::flux);
    j["zero_crossing_rate"] = column(&SpectralFrame::zero_crossing_rate);
    j["rms"] = column(&SpectralFrame::rms);
    j["contrast_db"] = rows(p.frames->contrast_db, p.frames->contrast_width);
  }
  if (p.frames->mfcc_width && !p.frames->mfcc.empty())
    j["mfcc"] = rows(p.frames->mfcc, p.frames->mfcc_width);
  if (p.frames->mel_width && !p.frames->mel_db.empty())
    j["mel_db"] = rows(p.frames->mel_db, p.frames->mel_width);
  if (!p.frames->chroma.empty()) j["chroma"] = rows(p.frames->chroma, 12);
  if (!p.frames->onset_strength.empty()) j["onset_strength"] = series(p.frames->onset_strength);
  if (!p.frames->tempo_bpm.empty()) j["tempo_bpm"] = series(p.frames->tempo_bpm);
  if (p.loudness) {
    const auto& m = p.loudness->momentary_series_lufs;
    json time = json::array();
    for (std::size_t i = 0; i < m.size(); ++i) time.push_back(number(double(i + 1) * 0.1));
    j["loudness_time_s"] = std::move(time);
    j["momentary_lufs"] = series(m);
    j["short_term_lufs"] = series(p.loudness->short_term_series_lufs);
  }
  return j;
}

json key_json(const TonalResult& t, KeyProfile profile) {
  const KeyResult& k = t.key;
  json candidates = json::array();
  for (std::size_t i = 1; i < k.candidates.size() && i <= 4; ++i) {  // the runners-up
    const KeyCandidate& c = k.candidates[i];
    candidates.push_back({{"tonic", tonic_name(c.tonic)},
                          {"mode", c.minor ? "minor" : "major"},
                          {"camelot", camelot(c.tonic, c.minor)},
                          {"score", number(c.score)}});
  }
  json j = {
      {"tonic", k.defined ? json(tonic_name(k.tonic)) : json(nullptr)},
      {"mode", k.defined ? json(k.minor ? "minor" : "major") : json(nullptr)},
      {"strength", k.defined ? number(k.strength) : json(nullptr)},
      {"confidence", k.defined ? number(k.confidence) : json(nullptr)},
      {"tuning_cents", number(std::round(t.tuning_semitones * 100.0))},
      {"camelot", k.defined ? json(camelot(k.tonic, k.minor)) : json(nullptr)},
      {"profile", key_profile_name(profile)},
      {"candidates", std::move(candidates)},
  };
  if (k.defined && !k.segments.empty()) {
    json segments = json::array();
    for (const KeySegment& s : k.segments)
      segments.push_back({{"start_s", number(s.start_s)},
                          {"end_s", number(s.end_s)},
                          {"tonic", tonic_name(s.tonic)},
                          {"mode", s.minor ? "minor" : "major"},
                          {"camelot", camelot(s.tonic, s.minor)}});
    j["segments"] = std::move(segments);
  }
  if (!k.defined)
    j["null_reasons"] = {{"tonic", k.reason},
                         {"mode", k.reason},
                         {"strength", k.reason},
                         {"confidence", k.reason},
                         {"camelot", k.reason}};
  return j;
}

json chroma_json(const TonalResult& t) {
  json mean = json::array(), std = json::array();
  for (const Summary& s : t.chroma) {
    mean.push_back(number(s.mean));
    std.push_back(number(s.std));
  }
  return {{"mean", std::move(mean)}, {"std", std::move(std)}};
}

json tempo_json(const TempoResult& t, bool with_beats) {
  json j = {{"bpm", t.defined ? number(t.bpm) : json(nullptr)},
            {"confidence", number(t.confidence)},
            {"pulse_clarity", number(t.pulse_clarity)}};
  json candidates = json::array();
  for (std::size_t i = 1; i < t.candidates.size() && i <= 3; ++i)  // the runners-up
    candidates.push_back({{"bpm", number(t.candidates[i].bpm)},
                          {"probability", number(t.candidates[i].probability)}});
  j["candidates"] = std::move(candidates);
  if (with_beats) {
    json beats = json::array();
    for (double b : t.beats_s) beats.push_back(number(b));
    j["beats"] = std::move(beats);
    const BarResult& bars = t.bars;
    json positions = json::array(), downbeats = json::array();
    for (std::size_t i = 0; i < bars.positions.size() && i < t.beats_s.size(); ++i) {
      positions.push_back(bars.positions[i]);
      if (bars.positions[i] == 1) downbeats.push_back(number(t.beats_s[i]));
    }
    j["beats_per_bar"] = bars.beats_per_bar ? json(bars.beats_per_bar) : json(nullptr);
    j["beat_positions"] = std::move(positions);
    j["downbeats"] = std::move(downbeats);
    j["bar_confidence"] = number(bars.confidence);
  }
  if (!t.defined) j["null_reasons"] = {{"bpm", t.reason}};
  return j;
}

json analysis_json(const AnalysisInfo& a) {
  return {
      {"version", a.version},
      {"analysis_rate_hz", number(a.analysis_rate_hz)},
      {"n_fft", a.n_fft},
      {"hop_frames", a.hop_frames},
      {"window", a.window},
      {"mel_scale", a.mel_scale},
      {"resampler", a.resampler},
      {"features", a.features},
      {"elapsed_s", number(a.elapsed_s)},
  };
}

}  // namespace

std::string valid_utf8(std::string_view s, bool* valid) {
  std::string out;
  out.reserve(s.size());
  if (valid) *valid = true;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t len = utf8_length(s, i);
    if (len == 0) {
      out += "\xEF\xBF\xBD";
      if (valid) *valid = false;
      ++i;
    } else {
      out.append(s.substr(i, len));
      i += len;
    }
  }
  return out;
}

namespace {
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

}  // namespace

std::string base64(std::string_view bytes) {
  std::string out;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, bytes.size() - i);
    std::uint32_t v = 0;
    for (std::size_t k = 0; k < 3; ++k)
      v = (v << 8) | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (std::size_t k = 0; k < 4; ++k) out += k <= n ? kBase64[(v >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

nlohmann::ordered_json to_json(const Profile& p) {
  json j = {{"schema", profile_schema_id}};
  add_file(j, p.file);
  j["format"] = format_json(p.format);
  if (!p.tags.empty()) j["tags"] = tags_json(p.tags);
  if (!p.warnings.empty()) {
    json warnings = json::array();
    for (const Warning& w : p.warnings)
      warnings.push_back(
          {{"code", std::string(warning_code_name(w.code))}, {"message", w.message}});
    j["warnings"] = std::move(warnings);
  }
  // A block that was requested but could not be computed is null (Profile::undefined).
  auto block = [&](const char* name, bool present, auto&& make) {
    if (present)
      j[name] = make();
    else if (p.undefined.contains(name))
      j[name] = nullptr;
  };
  if (p.loudness) j["loudness"] = loudness_json(*p.loudness);
  block("spectral", p.spectral.has_value(), [&] { return spectral_json(*p.spectral); });
  block("mfcc", p.mfcc.has_value(), [&] { return summaries(*p.mfcc); });
  block("key", p.tonal && p.tonal->has_key, [&] { return key_json(*p.tonal, p.key_profile); });
  block("chroma", p.tonal && p.tonal->has_chroma, [&] { return chroma_json(*p.tonal); });
  block("tempo", p.tempo.has_value(), [&] { return tempo_json(*p.tempo, p.tempo_beats); });
  if (p.frames) j["frames"] = frames_json(p);
  if (!p.undefined.empty()) {
    json reasons = json::object();
    for (const auto& [name, why] : p.undefined) reasons[name] = why;
    j["null_reasons"] = std::move(reasons);
  }
  j["analysis"] = analysis_json(p.analysis);
  return j;
}

nlohmann::ordered_json to_json(const LoudnessResult& loudness) {
  return loudness_json(loudness);
}

nlohmann::ordered_json error_record(const std::string& file, ErrorCode code,
                                    const std::string& message) {
  json j = {{"schema", profile_schema_id}};
  add_file(j, file);
  bool valid = true;  // a message may quote a file name
  j["error"] = {{"code", std::string(error_code_name(code))},
                {"message", valid_utf8(message, &valid)}};
  return j;
}

std::string record_file(const nlohmann::ordered_json& record) {
  const auto bytes = record.find("file_bytes");
  if (bytes == record.end() || !bytes->is_string()) return record.value("file", "");
  const std::string& text = bytes->get_ref<const std::string&>();
  std::string out;
  std::uint32_t v = 0;
  int bits = 0;
  for (char c : text) {
    const char* at = c ? std::strchr(kBase64, c) : nullptr;
    if (!at) break;  // '=' padding (or anything else) ends the data
    v = (v << 6) | std::uint32_t(at - kBase64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((v >> bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace herscan
