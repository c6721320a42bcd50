// herscan-loudness — a loudness meter for mastering and ReplayGain work: integrated loudness,
// loudness range, maximum momentary and short-term loudness, sample and true peak, ReplayGain 2.0
// gain, per file and (--album) over all files. It decodes and measures at the native rate and
// computes nothing else: no resampling, no FFT. docs/loudness.md is the manual.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
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

constexpr const char* kHeader =
    "  I LUFS  LRA LU  M max  S max  peak dBFS  TP dBTP   RG dB  file\n";

std::string cell(const json& loudness, const char* key, int width) {
  char buf[32];
  const auto it = loudness.find(key);
  if (it == loudness.end() || !it->is_number())
    std::snprintf(buf, sizeof buf, "%*s", width, "-");
  else
    std::snprintf(buf, sizeof buf, "%*.2f", width, it->get<double>());
  return buf;
}

// One table row: the numbers, then the file name (long names do not break the alignment).
std::string table_row(const json& record) {
  const json& l = record.at("loudness");
  std::string name = record.contains("album")
                         ? "(album of " + std::to_string(record["album"].size()) + " files)"
                         : record.value("file", "?");
  return cell(l, "integrated_lufs", 8) + cell(l, "range_lu", 8) + cell(l, "momentary_max_lufs", 7) +
         cell(l, "short_term_max_lufs", 7) + cell(l, "sample_peak_dbfs", 11) +
         cell(l, "true_peak_dbtp", 9) + cell(l, "replaygain_db", 8) + "  " + name + "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"herscan-loudness " HERSCAN_VERSION_STRING
               " — EBU R128 / BS.1770-4 loudness and ReplayGain 2.0,\n"
               "per file and per album. Measures at the native rate; computes nothing else.",
               "herscan-loudness"};
  app.footer(
      "Columns: integrated loudness (LUFS), loudness range (LU, EBU Tech 3342), maximum\n"
      "momentary (400 ms) and short-term (3 s) loudness (LUFS), sample peak (dBFS), true peak\n"
      "(dBTP, 4x oversampled), ReplayGain 2.0 gain (dB, to -18 LUFS). '-' marks an undefined\n"
      "value (silence, or shorter than the window); JSON gives the reason in null_reasons.\n"
      "\n"
      "Examples:\n"
      "  herscan-loudness master.wav                       a table on a terminal\n"
      "  herscan-loudness --album disc1/*.flac             per track, then the album\n"
      "  herscan-loudness track.flac --frames | jq .frames.short_term_lufs\n"
      "\n"
      "Exit status: 0 all files measured, 1 some files failed, 2 usage error.");
  std::vector<std::string> paths;
  std::string format_name, output_path;
  bool album = false, frames = false, no_true_peak = false, strict = false;
  app.add_option("FILE", paths, "Audio files")->required();
  app.add_flag("--album", album,
               "Add a record with the album values over all files (ReplayGain album gain)");
  app.add_flag("--frames", frames,
               "Add momentary and short-term loudness every 100 ms under \"frames\"");
  app.add_flag("--no-true-peak", no_true_peak, "Skip the oversampled true peak (faster)");
  app.add_flag("--strict", strict,
               "Refuse damaged files (cut, misstated header, corrupt frames, NaN samples) instead "
               "of measuring what decodes with a warning");
  app.add_option("-f,--format", format_name,
                 "text, json, jsonl or csv (default: text on a terminal, jsonl otherwise)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}));
  app.add_option("-o,--output", output_path,
                 "Write results to FILE atomically (.json, .jsonl, .csv, .txt)");
  app.set_version_flag("-V,--version", "herscan-loudness " HERSCAN_VERSION_STRING);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  herscan::ProfileOptions options;
  options.features = herscan::FeatureSet(herscan::Feature::loudness);
  options.true_peak = !no_true_peak;
  options.frames = frames;
  options.strict = strict;

  herscan::app::Output::Options out_options;
  out_options.tool = "herscan-loudness";
  out_options.format_name = format_name;
  out_options.output_path = output_path;
  out_options.single_object = paths.size() == 1 && !album;
  out_options.skeleton = herscan::app::skeleton(options);
  out_options.text = &table_row;
  out_options.text_header = kHeader;
  auto output = herscan::app::Output::open(out_options);
  if (!output) return kExitUsage;

  int failed = 0;
  std::vector<herscan::LoudnessResult> tracks;
  json album_files = json::array();
  for (const std::string& path : paths) {
    json record = herscan::app::analyze_record(path, options);
    if (record.contains("error")) {
      ++failed;
    } else if (album) {
      tracks.push_back(*herscan::app::last_profile().loudness);
      album_files.push_back(path);
    }
    if (!output->write(record)) return failed ? kExitSomeFailed : kExitOk;
  }
  if (album && !tracks.empty()) {
    json record = {{"schema", herscan::profile_schema_id},
                   {"album", album_files},
                   {"loudness", herscan::to_json(herscan::album_loudness(tracks))}};
    if (!output->write(record)) return failed ? kExitSomeFailed : kExitOk;
  }
  if (!output->close()) return kExitSomeFailed;
  return failed ? kExitSomeFailed : kExitOk;
}
