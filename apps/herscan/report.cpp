#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <random>
#include <string_view>

#include <CLI/CLI.hpp>

#include "common/output.h"
#include "herscan/json.h"
#include "herscan/version.h"

namespace herscan::app {
namespace assets {
extern const char kReportHtml[];
extern const char kReportCss[];
extern const char kReportJs[];
}  // namespace assets

namespace {

using json = nlohmann::ordered_json;

// A number rounded to `decimals` places (shorter JSON), or null for what is not a finite number.
json rounded(const json* value, int decimals) {
  if (!value || !value->is_number()) return nullptr;
  const double x = value->get<double>();
  if (!std::isfinite(x)) return nullptr;
  const double scale = std::pow(10.0, decimals);
  return std::round(x * scale) / scale;
}

// record[a][b]... or nullptr.
const json* at(const json& record, std::initializer_list<std::string_view> path) {
  const json* node = &record;
  for (const auto key : path) {
    if (!node->is_object()) return nullptr;
    const auto it = node->find(key);
    if (it == node->end()) return nullptr;
    node = &*it;
  }
  return node;
}

json text(const json* value) {
  if (value && value->is_string()) return *value;
  if (value && value->is_number()) return value->dump();
  return nullptr;
}

// A series pooled to at most kReportMaxColumns values: groups of `factor` consecutive values
// averaged (or their maximum), nulls ignored, a group of nulls null.
json pooled(const json* series, std::size_t factor, bool maximum, int decimals) {
  if (!series || !series->is_array()) return nullptr;
  json out = json::array();
  for (std::size_t start = 0; start < series->size(); start += factor) {
    double sum = 0, best = -INFINITY;
    std::size_t n = 0;
    for (std::size_t i = start; i < std::min(series->size(), start + factor); ++i) {
      const json& v = (*series)[i];
      if (!v.is_number() || !std::isfinite(v.get<double>())) continue;
      sum += v.get<double>(), best = std::max(best, v.get<double>()), ++n;
    }
    const json value = n ? json(maximum ? best : sum / static_cast<double>(n)) : json(nullptr);
    out.push_back(rounded(&value, decimals));
  }
  return out;
}

// A series of vectors (frames × bins) pooled in time like pooled(), as bytes: each mean mapped
// linearly from [lo, hi] to 0…255 (a missing value to 0), column after column, in base64. hi is
// the largest mean, lo the smallest, but at most `range` below hi when `range` > 0 (the mel
// spectrogram's 80 dB, as librosa's specshow). {"bins", "lo", "hi", "u8"} or null.
json pooled_matrix_u8(const json* series, std::size_t factor, double range) {
  if (!series || !series->is_array() || series->empty() || !(*series)[0].is_array()) return nullptr;
  const std::size_t bins = (*series)[0].size();
  std::vector<double> means;  // NaN where a bin has no value in the group
  std::vector<double> sum(bins);
  std::vector<std::size_t> count(bins);
  for (std::size_t start = 0; start < series->size(); start += factor) {
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = start; i < std::min(series->size(), start + factor); ++i) {
      const json& row = (*series)[i];
      if (!row.is_array()) continue;
      for (std::size_t b = 0; b < std::min(bins, row.size()); ++b)
        if (row[b].is_number() && std::isfinite(row[b].get<double>()))
          sum[b] += row[b].get<double>(), ++count[b];
    }
    for (std::size_t b = 0; b < bins; ++b)
      means.push_back(count[b] ? sum[b] / static_cast<double>(count[b]) : NAN);
  }
  double lo = INFINITY, hi = -INFINITY;
  for (const double m : means)
    if (std::isfinite(m)) lo = std::min(lo, m), hi = std::max(hi, m);
  if (!(hi >= lo)) lo = hi = 0;
  if (range > 0) lo = std::max(lo, hi - range);
  std::string bytes;
  bytes.reserve(means.size());
  for (const double m : means) {
    const double k = std::isfinite(m) && hi > lo ? std::clamp((m - lo) / (hi - lo), 0.0, 1.0) : 0.0;
    bytes += static_cast<char>(static_cast<unsigned char>(std::lround(255 * k)));
  }
  const json jlo = lo, jhi = hi;
  return {
      {"bins", bins}, {"lo", rounded(&jlo, 2)}, {"hi", rounded(&jhi, 2)}, {"u8", base64(bytes)}};
}

std::size_t pool_factor(const json* series) {
  if (!series || !series->is_array()) return 1;
  return std::max<std::size_t>(1, (series->size() + kReportMaxColumns - 1) / kReportMaxColumns);
}

// The time of each pooled column: every `factor`-th value of a time axis.
json column_starts(const json& axis, std::size_t factor, int decimals) {
  json out = json::array();
  for (std::size_t i = 0; i < axis.size(); i += factor) out.push_back(rounded(&axis[i], decimals));
  return out;
}

// What the track view draws, when the record has frames: pooled series and the beat times.
json frames_of(const json& record) {
  const json* frames = at(record, {"frames"});
  if (!frames || !frames->is_object()) return nullptr;
  json out = json::object();
  const json* time = at(*frames, {"time_s"});
  const std::size_t factor = pool_factor(time);
  if (time && time->is_array() && !time->empty()) {
    out["pooled"] = factor;
    out["time_s"] = column_starts(*time, factor, 3);
    if (json mel = pooled_matrix_u8(at(*frames, {"mel_db"}), factor, 80); !mel.is_null())
      out["mel_db"] = std::move(mel);
    if (json chroma = pooled_matrix_u8(at(*frames, {"chroma"}), factor, 0); !chroma.is_null())
      out["chroma"] = std::move(chroma);
    if (json onset = pooled(at(*frames, {"onset_strength"}), factor, true, 3); !onset.is_null())
      out["onset_strength"] = std::move(onset);
  }
  const json* loudness_time = at(*frames, {"loudness_time_s"});
  if (loudness_time && loudness_time->is_array() && !loudness_time->empty()) {
    const std::size_t lf = pool_factor(loudness_time);
    out["loudness_time_s"] = column_starts(*loudness_time, lf, 2);
    for (const char* name : {"momentary_lufs", "short_term_lufs"})
      if (json s = pooled(at(*frames, {name}), lf, false, 1); !s.is_null())
        out[name] = std::move(s);
  }
  for (const char* name : {"beats", "downbeats"})
    if (const json* times = at(record, {"tempo", name}); times && times->is_array()) {
      json b = json::array();
      for (const auto& t : *times) b.push_back(rounded(&t, 3));
      out[name] = std::move(b);
    }
  return out.empty() ? json(nullptr) : out;
}

// Escapes what could end the <script> element or open markup inside it: JSON allows \u escapes
// anywhere in a string, and these characters never occur outside strings in JSON text.
std::string script_safe(const std::string& json_text) {
  std::string out;
  out.reserve(json_text.size() + json_text.size() / 64);
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    const char c = json_text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json_text.size() && json_text[i + 1] == '\x80' &&
               (json_text[i + 2] == '\xA8' || json_text[i + 2] == '\xA9')) {
      out += json_text[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";  // line separators
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_escaped(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Replaces the one occurrence of `marker` in `page`.
void fill(std::string& page, std::string_view marker, const std::string& content) {
  const auto at = page.find(marker);
  if (at == std::string::npos) throw std::logic_error("report template lacks a marker");
  page.replace(at, marker.size(), content);
}

}  // namespace

constexpr const char* kColumns[] = {"line",
                                    "file",
                                    "title",
                                    "artist",
                                    "album",
                                    "duration_s",
                                    "bpm",
                                    "tempo_confidence",
                                    "key",
                                    "camelot",
                                    "key_confidence",
                                    "integrated_lufs",
                                    "range_lu",
                                    "true_peak_dbtp",
                                    "replaygain_db",
                                    "centroid_hz"};

ReportData::ReportData()
    : tracks_(json::object()), frames_(json::object()), errors_(json::array()) {
  for (const char* c : kColumns) tracks_[c] = json::array();
}

void ReportData::add(std::size_t line, const json& record) {
  if (record.contains("album") && !record.contains("file")) {
    ++albums_;
    return;
  }
  const json file = text(at(record, {"file"}));
  if (file.is_null()) {
    unnamed_.push_back({line, "a JSON object without \"file\" (not a profile)"});
    return;
  }
  if (const json* error = at(record, {"error"}); error && error->is_object()) {
    errors_.push_back({{"line", line},
                       {"file", file},
                       {"code", text(at(*error, {"code"}))},
                       {"message", text(at(*error, {"message"}))}});
    return;
  }
  json key = nullptr;
  if (const json tonic = text(at(record, {"key", "tonic"})); tonic.is_string()) {
    const json mode = text(at(record, {"key", "mode"}));
    key = tonic.get<std::string>() + (mode.is_string() ? " " + mode.get<std::string>() : "");
  }
  const json values[] = {line,
                         file,
                         text(at(record, {"tags", "title"})),
                         text(at(record, {"tags", "artist"})),
                         text(at(record, {"tags", "album"})),
                         rounded(at(record, {"format", "duration_s"}), 2),
                         rounded(at(record, {"tempo", "bpm"}), 2),
                         rounded(at(record, {"tempo", "confidence"}), 3),
                         key,
                         text(at(record, {"key", "camelot"})),
                         rounded(at(record, {"key", "confidence"}), 3),
                         rounded(at(record, {"loudness", "integrated_lufs"}), 2),
                         rounded(at(record, {"loudness", "range_lu"}), 2),
                         rounded(at(record, {"loudness", "true_peak_dbtp"}), 2),
                         rounded(at(record, {"loudness", "replaygain_db"}), 2),
                         rounded(at(record, {"spectral", "centroid_hz", "mean"}), 0)};
  for (std::size_t c = 0; c < std::size(kColumns); ++c) tracks_[kColumns[c]].push_back(values[c]);
  if (json f = frames_of(record); !f.is_null()) frames_[std::to_string(count_)] = std::move(f);
  ++count_;
}

json ReportData::finish(const CollectionReport& read, const std::string& source) && {
  std::vector<LineProblem> all = read.problems;
  all.insert(all.end(), unnamed_.begin(), unnamed_.end());
  std::stable_sort(all.begin(), all.end(),
                   [](const LineProblem& a, const LineProblem& b) { return a.line < b.line; });
  json problems = json::array();
  for (const auto& p : all) problems.push_back({{"line", p.line}, {"reason", p.reason}});
  return {{"generator", "herscan " HERSCAN_VERSION_STRING " report"},
          {"source", valid_utf8(source)},
          {"count", count_},
          {"tracks", std::move(tracks_)},
          {"frames", std::move(frames_)},
          {"errors", std::move(errors_)},
          {"problems", std::move(problems)},
          {"albums", albums_},
          {"invalid_utf8_lines", read.invalid_utf8_lines}};
}

std::string report_page(const json& data, const std::string& title) {
  std::string page = assets::kReportHtml;
  // The page's policy runs only scripts that carry this page's nonce: markup that got into the
  // page some other way could not run even if the escaping below failed.
  std::random_device random;
  char nonce[33];
  std::snprintf(nonce, sizeof nonce, "%08x%08x%08x%08x", random(), random(), random(), random());
  fill(page, "HERSCAN_NONCE", nonce);
  fill(page, "HERSCAN_NONCE", nonce);
  fill(page, "<!--HERSCAN_TITLE-->", html_escaped(valid_utf8(title)));
  fill(page, "/*HERSCAN_STYLE*/", assets::kReportCss);
  // The script is ours; it must not hold "</script" (checked by the tests).
  fill(page, "/*HERSCAN_SCRIPT*/", assets::kReportJs);
  fill(page, "<!--HERSCAN_DATA-->",
       script_safe(data.dump(-1, ' ', false, json::error_handler_t::replace)));
  return page;
}

int run_report(int argc, char** argv) {
  CLI::App app{
      "herscan report — one self-contained HTML page to browse a collection: a sortable, "
      "filterable table, tempo histogram, Camelot key wheel, loudness vs loudness range, the "
      "tracks that mix with a selected one, and its spectrogram, chroma, loudness and beats when "
      "the profiles carry --frames series.",
      "herscan report"};
  std::string profiles, output, title;
  app.add_option("PROFILES", profiles, "JSON Lines written by herscan (-o profiles.jsonl)")
      ->required();
  app.add_option("-o,--output", output, "The page to write (- for standard output)")->required();
  app.add_option("--title", title, "The page's title (default: the profiles' file name)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  ReportData gathered;
  const auto collection = read_collection(
      profiles, [&](std::size_t line, json&& record) { gathered.add(line, record); });
  if (!collection) {
    std::fprintf(stderr, "herscan report: %s: cannot read it\n", profiles.c_str());
    return 1;
  }
  if (title.empty()) title = std::filesystem::path(profiles).filename().string();
  json data = std::move(gathered).finish(*collection, profiles);
  data["title"] = valid_utf8(title);
  for (const auto& problem : data["problems"])
    std::fprintf(stderr, "herscan report: %s:%zu: %s; skipped (listed in the page)\n",
                 profiles.c_str(), problem["line"].get<std::size_t>(),
                 problem["reason"].get<std::string>().c_str());
  const std::string page = report_page(data, title);
  try {
    if (output == "-") {
      StdoutSink sink;
      if (!sink.write(page)) return 1;
      sink.flush();
      return sink.ok() ? 0 : 1;
    }
    AtomicFileSink sink(output);
    if (!sink.write(page)) throw std::runtime_error("cannot write it");
    sink.commit();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "herscan report: %s: %s\n", output.c_str(), e.what());
    return 1;
  }
  std::fprintf(stderr, "herscan report: %s: %zu tracks, %zu errors, %zu lines skipped\n",
               output.c_str(), data["count"].get<std::size_t>(), data["errors"].size(),
               data["problems"].size());
  return 0;
}

}  // namespace herscan::app
