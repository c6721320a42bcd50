// herscan — profile audio files: format, spectral shape (and, as they land, loudness, tempo,
// key) as JSON Lines, JSON, CSV or a readable summary. docs/cli.md is the manual.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/cli.h"
#include "common/output.h"
#include "common/records.h"
#include "herscan/error.h"
#include "herscan/profile.h"
#include "herscan/version.h"

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitSomeFailed = 1;
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes EPIPE on write: we stop quietly

  CLI::App app{"herscan " HERSCAN_VERSION_STRING
               " — profile audio files: format, loudness, spectral shape\n"
               "as JSON Lines, JSON, CSV or a readable summary.",
               "herscan"};
  app.footer(
      "Examples:\n"
      "  herscan track.flac                        readable summary on a terminal\n"
      "  herscan track.flac | jq .tempo.bpm        JSON Lines when piped\n"
      "  herscan a.flac b.mp3 -o profiles.jsonl    one line per file, written atomically\n"
      "  herscan *.wav --format csv > table.csv    one row per file\n"
      "  herscan track.flac --features loudness    compute only what is asked\n"
      "  herscan track.flac --features beats       the tempo with its beat times\n"
      "\n"
      "Exit status: 0 all files analysed, 1 some files failed (each has an error record),\n"
      "2 usage error.");
  std::vector<std::string> paths;
  std::string format_name, output_path, features = "";
  bool quiet = false, frames = false, frames_mel = false;
  app.add_option("PATH", paths, "Audio files (WAV, AIFF, FLAC, Ogg Vorbis, Opus, MP3)")->required();
  app.add_option("-f,--format", format_name,
                 "text, json, jsonl or csv (default: text on a terminal, jsonl otherwise, or from "
                 "-o's extension)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}));
  app.add_option("-o,--output", output_path,
                 "Write results to FILE atomically (.json, .jsonl, .csv, .txt)");
  std::string feature_help = "Comma-separated features to compute (default: all but beats):";
  for (const auto& name : herscan::FeatureSet::known_names()) feature_help += " " + name;
  app.add_option("--features", features, feature_help);
  app.add_flag(
      "--frames", frames,
      "Add frame-level series under \"frames\" for plotting: the spectral features and MFCC "
      "per STFT frame (time_s), momentary and short-term loudness every 100 ms "
      "(loudness_time_s). `--frames mel` (or --frames=mel) adds the mel spectrogram in dB");
  app.add_flag("--frames-mel", frames_mel)->group("");  // what `--frames mel` becomes
  std::string mel_scale = "slaney", key_profile = "temperley";
  app.add_option(
         "--key-profile", key_profile,
         "Key profile: temperley (default), krumhansl, edma (electronic dance music) or shaath")
      ->check(CLI::IsMember({"temperley", "krumhansl", "edma", "shaath"}));
  app.add_option("--mel-scale", mel_scale,
                 "Mel scale of the MFCC and mel_db: slaney (librosa's default) or htk")
      ->check(CLI::IsMember({"slaney", "htk"}));
  app.add_flag("-q,--quiet", quiet, "No progress output (errors are still reported on stderr)");
  app.set_version_flag("-V,--version", "herscan " HERSCAN_VERSION_STRING);

  try {
    herscan::app::NormalisedArgs args(argc, argv);
    app.parse(args.argc(), args.argv());
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  herscan::ProfileOptions options;
  try {
    if (!features.empty()) options.features = herscan::FeatureSet::parse(features);
    options.frames = frames || frames_mel;
    options.frames_mel = frames_mel;
    options.mel.htk = mel_scale == "htk";
    options.key_profile = *herscan::parse_key_profile(key_profile);
    options.validate();
  } catch (const herscan::Error& e) {
    std::fprintf(stderr, "herscan: --features: %s\n", e.what());
    return kExitUsage;
  }

  herscan::app::Output::Options out_options;
  out_options.tool = "herscan";
  out_options.format_name = format_name;
  out_options.output_path = output_path;
  std::error_code ec;
  out_options.single_object = paths.size() == 1 && !fs::is_directory(paths.front(), ec);
  out_options.skeleton = herscan::app::skeleton(options);
  auto output = herscan::app::Output::open(out_options);
  if (!output) return kExitUsage;

  int failed = 0;
  for (const std::string& path : paths) {
    json record = herscan::app::analyze_record(path, options);
    failed += record.contains("error");
    if (!output->write(record))
      return failed ? kExitSomeFailed : kExitOk;  // `| head`: stop quietly
  }
  if (!output->close()) return kExitSomeFailed;
  (void)quiet;  // progress output arrives with batch mode; -q already silences it
  return failed ? kExitSomeFailed : kExitOk;
}
