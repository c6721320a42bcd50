#include "common/text_summary.h"

#include <cstdio>
#include <string>

#include "herscan/tempo.h"

namespace herscan::app {
namespace {

using json = nlohmann::ordered_json;

// Member `key` of `o`, or null when absent (const operator[] on a missing key is undefined).
const json& at(const json& o, const char* key) {
  static const json null_value;
  if (!o.is_object()) return null_value;
  auto it = o.find(key);
  return it == o.end() ? null_value : *it;
}

std::string fmt(const char* format, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, value);
  return buf;
}

// "1523 Hz ± 402" from {"mean":…, "std":…}; "–" when null.
std::string mean_std(const json& s, const char* format) {
  if (!at(s, "mean").is_number()) return "–";
  std::string text = fmt(format, at(s, "mean").get<double>());
  if (at(s, "std").is_number()) text += " ± " + fmt(format, at(s, "std").get<double>());
  return text;
}

void line(std::string& out, const char* label, const std::string& text) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "  %-10s", label);
  out += buf + text + "\n";
}

}  // namespace

std::string text_summary(const json& p) {
  std::string out = p.value("file", "") + "\n";
  if (const json& f = at(p, "format"); f.is_object()) {
    std::string text = f.value("container", "?") + " (" + f.value("codec", "?") + "), " +
                       fmt("%g Hz", f.value("sample_rate_hz", 0.0)) + ", " +
                       std::to_string(f.value("channels", 0)) + " ch";
    if (at(f, "bit_depth").is_number())
      text += ", " + std::to_string(at(f, "bit_depth").get<int>()) + "-bit";
    text += ", " + fmt("%.2f s", f.value("duration_s", 0.0));
    if (at(f, "decoder").is_string()) text += " (" + at(f, "decoder").get<std::string>() + ")";
    line(out, "format", text);
  }
  // Who and what, as tagged: "Arcade Fire – Photograph (Her, 2013)".
  if (const json& t = at(p, "tags"); t.is_object()) {
    std::string text = t.value("artist", std::string());
    if (at(t, "title").is_string())
      text += (text.empty() ? "" : " – ") + at(t, "title").get<std::string>();
    std::string more = t.value("album", std::string());
    if (at(t, "date").is_string())
      more += (more.empty() ? "" : ", ") + at(t, "date").get<std::string>();
    if (!more.empty()) text += (text.empty() ? "" : " ") + ("(" + more + ")");
    if (!text.empty()) line(out, "tags", text);
  }
  // What the file was read past, and notes on its content: codes and messages on one line.
  if (const json& w = at(p, "warnings"); w.is_array() && !w.empty()) {
    std::string text;
    for (const auto& note : w)
      text += (text.empty() ? "" : "; ") + note.value("code", std::string("?")) + " (" +
              note.value("message", std::string()) + ")";
    line(out, "warnings", text);
  }
  // A degenerate profile (shorter than one analysis frame): which blocks are null, and why.
  if (const json& why = at(p, "null_reasons"); why.is_object() && !why.empty()) {
    std::string names;
    for (auto it = why.begin(); it != why.end(); ++it)
      names += (names.empty() ? "" : ", ") + it.key();
    const json& first = why.begin().value();
    line(out, "not shown", names + ": " + (first.is_string() ? first.get<std::string>() : "?"));
  }
  if (const json& l = at(p, "loudness"); l.is_object()) {
    auto value = [&](const char* key, const char* format) {
      return at(l, key).is_number() ? fmt(format, at(l, key).get<double>()) : std::string("–");
    };
    line(out, "loudness",
         value("integrated_lufs", "%.1f") + " LUFS, range " + value("range_lu", "%.1f") +
             " LU, true peak " + value("true_peak_dbtp", "%.1f") + " dBTP, max M " +
             value("momentary_max_lufs", "%.1f") + " / S " + value("short_term_max_lufs", "%.1f") +
             " LUFS, ReplayGain " + value("replaygain_db", "%+.1f") + " dB");
  }
  if (const json& t = at(p, "tempo"); t.is_object()) {
    std::string text = "–";
    if (at(t, "bpm").is_number()) {
      const double confidence =
          at(t, "confidence").is_number() ? at(t, "confidence").get<double>() : 0.0;
      text =
          fmt("%.1f BPM", at(t, "bpm").get<double>()) + ", confidence " + fmt("%.2f", confidence);
      if (confidence < herscan::kNoReliablePulse) text += " (no reliable pulse)";
      if (at(t, "beats").is_array())
        text += ", " + std::to_string(at(t, "beats").size()) + " beats";
      if (at(t, "beats_per_bar").is_number())
        text +=
            ", " + std::to_string(at(t, "beats_per_bar").get<int>()) + " a bar (confidence " +
            fmt("%.2f",
                at(t, "bar_confidence").is_number() ? at(t, "bar_confidence").get<double>() : 0.0) +
            ")";
    } else if (at(at(t, "null_reasons"), "bpm").is_string()) {
      text = "none (" + at(at(t, "null_reasons"), "bpm").get<std::string>() + ")";
    }
    line(out, "tempo", text);
  }
  if (const json& k = at(p, "key"); k.is_object()) {
    std::string text = "–";
    if (at(k, "tonic").is_string()) {
      text = at(k, "tonic").get<std::string>() + " " + at(k, "mode").get<std::string>() + " (" +
             at(k, "camelot").get<std::string>() + "), strength " +
             fmt("%.2f", at(k, "strength").get<double>());
      const json& c = at(k, "candidates");
      if (c.is_array() && !c.empty())
        text += ", then " + at(c[0], "tonic").get<std::string>() + " " +
                at(c[0], "mode").get<std::string>();
    } else if (at(at(k, "null_reasons"), "tonic").is_string()) {
      text = "none (" + at(at(k, "null_reasons"), "tonic").get<std::string>() + ")";
    }
    if (at(k, "tuning_cents").is_number())
      text += "; tuning " + fmt("%+.0f", at(k, "tuning_cents").get<double>()) + " cents";
    line(out, "key", text);
  }
  if (const json& s = at(p, "spectral"); s.is_object()) {
    line(out, "spectrum",
         "centroid " + mean_std(at(s, "centroid_hz"), "%.0f") + " Hz, rolloff " +
             mean_std(at(s, "rolloff_hz"), "%.0f") + " Hz, bandwidth " +
             mean_std(at(s, "bandwidth_hz"), "%.0f") + " Hz");
    line(out, "texture",
         "flatness " + mean_std(at(s, "flatness"), "%.3f") + ", flux " +
             mean_std(at(s, "flux"), "%.3f") + ", zcr " +
             mean_std(at(s, "zero_crossing_rate"), "%.3f") + ", rms " +
             mean_std(at(s, "rms"), "%.3f"));
  }
  if (const json& a = at(p, "analysis"); a.is_object()) {
    line(out, "analysis",
         "herscan " + a.value("version", "?") + ", " + fmt("%.2f s", a.value("elapsed_s", 0.0)));
  }
  return out;
}

}  // namespace herscan::app
