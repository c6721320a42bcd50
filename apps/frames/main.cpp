// herscan-frames — frame-level series for plotting tools: CSV (a header row, then one row per
// frame) or JSON. docs/cli.md is the manual.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/output.h"
#include "common/records.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "herscan/version.h"

namespace {

using json = nlohmann::ordered_json;

constexpr int kExitOk = 0;
constexpr int kExitSomeFailed = 1;
constexpr int kExitUsage = 2;

// Every series herscan-frames can write, with the feature that computes it and its time axis.
struct SeriesInfo {
  const char* name;
  herscan::Feature feature;
  const char* axis;  // the name of its time column
};
constexpr SeriesInfo kSeries[] = {
    {"centroid_hz", herscan::Feature::spectral, "time_s"},
    {"bandwidth_hz", herscan::Feature::spectral, "time_s"},
    {"rolloff_hz", herscan::Feature::spectral, "time_s"},
    {"flatness", herscan::Feature::spectral, "time_s"},
    {"flux", herscan::Feature::spectral, "time_s"},
    {"zero_crossing_rate", herscan::Feature::spectral, "time_s"},
    {"rms", herscan::Feature::spectral, "time_s"},
    {"contrast_db", herscan::Feature::spectral, "time_s"},
    {"mfcc", herscan::Feature::mfcc, "time_s"},
    {"mel_db", herscan::Feature::mfcc, "time_s"},
    {"chroma", herscan::Feature::chroma, "time_s"},
    {"onset_strength", herscan::Feature::tempo, "time_s"},
    {"tempo_bpm", herscan::Feature::tempo, "time_s"},
    {"momentary_lufs", herscan::Feature::loudness, "loudness_time_s"},
    {"short_term_lufs", herscan::Feature::loudness, "loudness_time_s"},
};
constexpr const char* kDefaultSeries =
    "centroid_hz,bandwidth_hz,rolloff_hz,flatness,flux,zero_crossing_rate,rms";

const SeriesInfo* find_series(const std::string& name) {
  for (const auto& s : kSeries)
    if (name == s.name) return &s;
  return nullptr;
}

std::string cell(const json& v) {
  if (v.is_null()) return "";
  return v.dump();
}

// The CSV of one file: the axis column, then one column per series (2-D series expand to
// name_0, name_1, ...), one row per frame.
std::string to_csv(const json& frames, const std::string& axis,
                   const std::vector<std::string>& series, const std::string& file, bool with_file,
                   bool header) {
  std::string out;
  const json& time = frames.at(axis);
  if (header) {
    if (with_file) out += "file,";
    out += axis;
    for (const auto& s : series) {
      const json& first = frames.at(s).empty() ? json() : frames.at(s)[0];
      if (first.is_array()) {
        for (std::size_t c = 0; c < first.size(); ++c) out += "," + s + "_" + std::to_string(c);
      } else {
        out += "," + s;
      }
    }
    out += "\n";
  }
  std::string quoted_file = file;
  if (with_file && quoted_file.find_first_of(",\"\r\n") != std::string::npos) {
    std::string q = "\"";
    for (char ch : quoted_file) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
    quoted_file = q + "\"";
  }
  for (std::size_t t = 0; t < time.size(); ++t) {
    if (with_file) out += quoted_file + ",";
    out += cell(time[t]);
    for (const auto& s : series) {
      const json& v = frames.at(s)[t];
      if (v.is_array()) {
        for (const auto& x : v) out += "," + cell(x);
      } else {
        out += "," + cell(v);
      }
    }
    out += "\n";
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  CLI::App app{"herscan-frames " HERSCAN_VERSION_STRING
               " — frame-level series for plotting: CSV (one row per frame) or JSON.",
               "herscan-frames"};
  std::string series_help =
      "Comma-separated series (default: " + std::string(kDefaultSeries) + "). Available:";
  for (const auto& s : kSeries) series_help += " " + std::string(s.name);
  app.footer(
      "Series on the STFT axis (time_s, frame centres every 512 / 22050 s) and on the loudness\n"
      "axis (loudness_time_s, every 100 ms) cannot share CSV rows: ask for one axis at a time, or\n"
      "use --format json. 2-D series (mfcc, contrast_db, mel_db, chroma) become columns name_0, "
      "name_1, "
      "...\n"
      "\n"
      "Examples:\n"
      "  herscan-frames track.flac > frames.csv\n"
      "  herscan-frames --series mfcc track.flac -o mfcc.csv\n"
      "  herscan-frames --series momentary_lufs,short_term_lufs track.flac\n"
      "  herscan-frames --series onset_strength,tempo_bpm track.flac > tempo.csv\n"
      "  herscan-frames --series mel_db --format json track.flac | jq '.frames.mel_db | length'\n"
      "\n"
      "Exit status: 0 all files written, 1 some files failed, 2 usage error.");
  std::vector<std::string> paths;
  std::string series_list = kDefaultSeries, format_name = "csv", output_path;
  bool strict = false;
  app.add_option("FILE", paths, "Audio files")->required();
  app.add_option("-s,--series", series_list, series_help);
  app.add_option("-f,--format", format_name, "csv (default), json or jsonl")
      ->check(CLI::IsMember({"csv", "json", "jsonl"}));
  app.add_option("-o,--output", output_path, "Write to FILE atomically instead of stdout");
  app.add_flag("--strict", strict,
               "Refuse damaged files (cut, misstated header, corrupt frames, NaN samples) instead "
               "of analysing what decodes with a warning");
  app.set_version_flag("-V,--version", "herscan-frames " HERSCAN_VERSION_STRING);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  // Parse the series and derive what to compute.
  std::vector<std::string> series;
  std::set<std::string> axes;
  herscan::ProfileOptions options;
  options.features = herscan::FeatureSet();
  options.frames = true;
  options.strict = strict;
  for (std::size_t pos = 0; pos <= series_list.size();) {
    const std::size_t comma = std::min(series_list.find(',', pos), series_list.size());
    const std::string name = series_list.substr(pos, comma - pos);
    pos = comma + 1;
    if (name.empty()) continue;
    const SeriesInfo* info = find_series(name);
    if (!info) {
      std::fprintf(stderr, "herscan-frames: --series: unknown series '%s'\n", name.c_str());
      return kExitUsage;
    }
    series.push_back(name);
    axes.insert(info->axis);
    options.features.add(info->feature);
    if (name == "mel_db") options.frames_mel = true;
  }
  if (series.empty()) {
    std::fprintf(stderr, "herscan-frames: --series: no series given\n");
    return kExitUsage;
  }
  const bool csv = format_name == "csv";
  if (csv && axes.size() > 1) {
    std::fprintf(
        stderr,
        "herscan-frames: the loudness series (every 100 ms) and the STFT series (every 512 "
        "samples) "
        "have different time axes: ask for one axis at a time in CSV, or use --format json\n");
    return kExitUsage;
  }
  const std::string axis = *axes.begin();

  std::unique_ptr<herscan::app::AtomicFileSink> file_sink;
  herscan::app::StdoutSink stdout_sink;
  herscan::app::Sink* sink = &stdout_sink;
  if (!output_path.empty()) {
    try {
      file_sink = std::make_unique<herscan::app::AtomicFileSink>(output_path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "herscan-frames: %s\n", e.what());
      return kExitUsage;
    }
    sink = file_sink.get();
  }
  std::unique_ptr<herscan::app::RecordWriter> writer;
  if (!csv) {
    herscan::app::WriterOptions wo;
    wo.single_object = paths.size() == 1;
    writer = herscan::app::make_writer(format_name == "json" ? herscan::app::OutputFormat::json
                                                             : herscan::app::OutputFormat::jsonl,
                                       *sink, wo);
  }

  int failed = 0;
  bool header = true;
  for (const std::string& path : paths) {
    json record = herscan::app::analyze_record(path, options);
    if (record.contains("error")) {
      ++failed;
      std::fprintf(stderr, "herscan-frames: %s: %s\n", path.c_str(),
                   record["error"]["message"].get<std::string>().c_str());
      if (writer) writer->write(record);
    } else {
      // Keep the chosen series and their axis only. A file shorter than one analysis frame has
      // no STFT frames (a degenerate profile): its series are empty, and stderr says why.
      const json& have = record["frames"];
      auto series_or_empty = [&](const std::string& name) {
        const auto it = have.find(name);
        return it != have.end() && it->is_array() ? *it : json::array();
      };
      json frames = json::object();
      for (const char* a : {"time_s", "loudness_time_s"})
        if (axes.count(a)) frames[a] = series_or_empty(a);
      for (const auto& s : series) frames[s] = series_or_empty(s);
      if (const auto why = record.find("null_reasons"); why != record.end() && !why->empty())
        std::fprintf(stderr, "herscan-frames: %s: no analysis frames: %s\n", path.c_str(),
                     why->begin()->get<std::string>().c_str());
      // Warnings go to stderr (CSV has no place for them) and into JSON records.
      if (const auto w = record.find("warnings"); w != record.end())
        for (const auto& note : *w)
          std::fprintf(stderr, "herscan-frames: %s: warning: %s: %s\n", path.c_str(),
                       note.value("code", "?").c_str(), note.value("message", "").c_str());
      if (csv) {
        sink->write(to_csv(frames, axis, series, path, paths.size() > 1, header));
        header = false;
      } else {
        json out = {{"schema", record["schema"]}, {"file", record["file"]}};
        if (record.contains("file_bytes")) out["file_bytes"] = record["file_bytes"];
        out["format"] = record["format"];
        if (record.contains("warnings")) out["warnings"] = record["warnings"];
        out["frames"] = std::move(frames);
        out["analysis"] = record["analysis"];
        writer->write(out);
      }
    }
    sink->flush();
    if (sink->broken_pipe()) return failed ? kExitSomeFailed : kExitOk;
  }
  if (writer) writer->close();
  sink->flush();
  if (sink->broken_pipe()) return failed ? kExitSomeFailed : kExitOk;
  if (file_sink) {
    try {
      file_sink->commit();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "herscan-frames: %s\n", e.what());
      return kExitSomeFailed;
    }
  }
  return failed ? kExitSomeFailed : kExitOk;
}
