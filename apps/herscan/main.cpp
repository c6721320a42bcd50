// herscan — profile audio files: format, spectral shape (and, as they land, loudness, tempo,
// key) as JSON Lines, JSON, CSV or a readable summary. docs/cli.md is the manual.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/output.h"
#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "herscan/version.h"

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;
using herscan::app::OutputFormat;

constexpr int kExitOk = 0;
constexpr int kExitSomeFailed = 1;
constexpr int kExitUsage = 2;

// The message without a leading "PATH: " (the record names the file separately).
std::string strip_path(const std::string& message, const std::string& path) {
  const std::string prefix = path + ": ";
  return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
}

json analyze_one(const std::string& path, const herscan::ProfileOptions& options) {
  std::error_code ec;
  if (fs::is_directory(path, ec))
    return herscan::error_record(
        path, herscan::ErrorCode::not_a_file,
        "is a directory (folder analysis is not supported yet: pass the files)");
  try {
    return herscan::to_json(herscan::analyze_file(path, options));
  } catch (const herscan::Error& e) {
    return herscan::error_record(path, e.code(), strip_path(e.what(), path));
  } catch (const std::bad_alloc&) {
    return herscan::error_record(path, herscan::ErrorCode::internal, "out of memory");
  } catch (const std::exception& e) {
    return herscan::error_record(path, herscan::ErrorCode::internal, e.what());
  }
}

// A profile with every requested block present: its flattened keys are the CSV columns.
json skeleton(const herscan::ProfileOptions& options) {
  herscan::Profile p;
  if (options.features.has(herscan::Feature::spectral)) p.spectral.emplace();
  return herscan::to_json(p);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes EPIPE on write: we stop quietly

  CLI::App app{"herscan " HERSCAN_VERSION_STRING
               " — profile audio files: format, spectral shape\n"
               "as JSON Lines, JSON, CSV or a readable summary.",
               "herscan"};
  app.footer(
      "Examples:\n"
      "  herscan track.flac                        readable summary on a terminal\n"
      "  herscan track.flac | jq .spectral         JSON Lines when piped\n"
      "  herscan a.flac b.mp3 -o profiles.jsonl    one line per file, written atomically\n"
      "  herscan *.wav --format csv > table.csv    one row per file\n"
      "  herscan track.flac --features spectral    compute only what is asked\n"
      "\n"
      "Exit status: 0 all files analysed, 1 some files failed (each has an error record),\n"
      "2 usage error.");
  std::vector<std::string> paths;
  std::string format_name, output_path, features = "";
  bool quiet = false;
  app.add_option("PATH", paths, "Audio files (WAV, AIFF, FLAC, Ogg Vorbis, Opus, MP3)")->required();
  app.add_option("-f,--format", format_name,
                 "text, json, jsonl or csv (default: text on a terminal, jsonl otherwise, or from "
                 "-o's extension)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}));
  app.add_option("-o,--output", output_path,
                 "Write results to FILE atomically (.json, .jsonl, .csv, .txt)");
  std::string feature_help = "Comma-separated features to compute (default: all):";
  for (const auto& name : herscan::FeatureSet::known_names()) feature_help += " " + name;
  app.add_option("--features", features, feature_help);
  app.add_flag("-q,--quiet", quiet, "No progress output (errors are still reported on stderr)");
  app.set_version_flag("-V,--version", "herscan " HERSCAN_VERSION_STRING);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }

  herscan::ProfileOptions options;
  try {
    if (!features.empty()) options.features = herscan::FeatureSet::parse(features);
    options.validate();
  } catch (const herscan::Error& e) {
    std::fprintf(stderr, "herscan: --features: %s\n", e.what());
    return kExitUsage;
  }

  // Format: explicit --format, else -o's extension, else by whether stdout is a terminal.
  OutputFormat format = ::isatty(STDOUT_FILENO) ? OutputFormat::text : OutputFormat::jsonl;
  if (!output_path.empty()) {
    auto from_ext = herscan::app::format_from_extension(output_path);
    if (!from_ext && format_name.empty()) {
      std::fprintf(
          stderr,
          "herscan: -o %s: unknown extension; use .json, .jsonl, .csv or .txt, or give --format\n",
          output_path.c_str());
      return kExitUsage;
    }
    if (from_ext) format = *from_ext;
  }
  if (!format_name.empty()) format = *herscan::app::parse_format(format_name);

  std::unique_ptr<herscan::app::AtomicFileSink> file_sink;
  herscan::app::StdoutSink stdout_sink;
  herscan::app::Sink* sink = &stdout_sink;
  if (!output_path.empty()) {
    try {
      file_sink = std::make_unique<herscan::app::AtomicFileSink>(output_path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "herscan: %s\n", e.what());
      return kExitUsage;
    }
    sink = file_sink.get();
  }

  herscan::app::WriterOptions writer_options;
  std::error_code ec;
  writer_options.single_object =
      output_path.empty() && paths.size() == 1 && !fs::is_directory(paths.front(), ec);
  if (format == OutputFormat::csv)
    writer_options.csv_columns = herscan::app::csv_columns(skeleton(options));
  auto writer = herscan::app::make_writer(format, *sink, writer_options);

  int failed = 0;
  for (const std::string& path : paths) {
    json record = analyze_one(path, options);
    if (record.contains("error")) {
      ++failed;
      std::fprintf(stderr, "herscan: %s: %s\n", path.c_str(),
                   record["error"]["message"].get<std::string>().c_str());
    }
    writer->write(record);
    if (sink->broken_pipe()) return failed ? kExitSomeFailed : kExitOk;  // `| head`: stop quietly
  }
  writer->close();
  sink->flush();
  if (sink->broken_pipe()) return failed ? kExitSomeFailed : kExitOk;
  if (file_sink) {
    try {
      file_sink->commit();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "herscan: %s\n", e.what());
      return kExitSomeFailed;
    }
  } else if (!sink->ok()) {
    std::fprintf(stderr, "herscan: cannot write to standard output\n");
    return kExitSomeFailed;
  }
  (void)quiet;  // progress output arrives with batch mode; -q already silences it
  return failed ? kExitSomeFailed : kExitOk;
}
