// herscan — profile audio files: format, spectral shape (and, as they land, loudness, tempo,
// key) as JSON Lines, JSON, CSV or a readable summary. docs/cli.md is the manual.
#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/cli.h"
#include "common/inputs.h"
#include "common/output.h"
#include "common/progress.h"
#include "common/records.h"
#include "common/runner.h"
#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "herscan/version.h"
#include "report.h"
#include "similar.h"

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

constexpr int kExitOk = 0;
constexpr int kExitSomeFailed = 1;
constexpr int kExitUsage = 2;

// SIGINT or SIGTERM: the batch stops at the next record (main loop) and keeps its output
// consistent; a second signal ends the process at once.
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_signal(int sig) {
  if (g_signal) std::_Exit(128 + sig);
  g_signal = sig;
}

std::string self_executable() {
  std::error_code ec;
  const auto p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);  // a closed pipe becomes EPIPE on write: we stop quietly
  // Each file's analysis allocates and frees tens of MB. By default glibc serves such blocks
  // with mmap and returns them at once, and with -j N the threads' page faults then queue on the
  // process's one memory-map lock; keeping freed memory in the heap lets the next file reuse it.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);

  // The subcommands on a collection's profiles: `herscan similar PROFILES TRACK` and `herscan
  // report PROFILES -o page.html` (files of those names are profiled as ./similar, ./report).
  if (argc >= 2 && std::string(argv[1]) == "similar")
    return herscan::app::run_similar(argc - 1, argv + 1);
  if (argc >= 2 && std::string(argv[1]) == "report")
    return herscan::app::run_report(argc - 1, argv + 1);

  CLI::App app{"herscan " HERSCAN_VERSION_STRING
               " — profile audio files and folders: format, loudness, tempo, key, spectral\n"
               "shape, as JSON Lines, JSON, CSV or a readable summary.",
               "herscan"};
  app.footer(
      "Examples:\n"
      "  herscan track.flac                        readable summary on a terminal\n"
      "  herscan track.flac | jq .tempo.bpm        JSON Lines when piped\n"
      "  herscan ~/Music -o profiles.jsonl         a whole library, on every core\n"
      "  herscan ~/Music -o profiles.jsonl --resume   continue after an interruption\n"
      "  herscan ~/Music --shard 3/8 -o part3.jsonl    one of 8 machines' parts\n"
      "  herscan *.wav --format csv > table.csv    one row per file\n"
      "  herscan track.flac --features loudness    compute only what is asked\n"
      "  herscan track.flac --features beats       the tempo with its beats and bars\n"
      "  herscan similar profiles.jsonl track.flac   tracks that mix with it (Camelot, tempo)\n"
      "  herscan report profiles.jsonl -o report.html  one page to browse the collection\n"
      "\n"
      "Exit status: 0 all files analysed (some perhaps with warnings), 1 some files failed (each "
      "has an error record),\n"
      "2 usage error, 130 interrupted (SIGINT; 143 for SIGTERM).");
  std::vector<std::string> paths;
  std::string format_name, output_path, features = "", shard_text;
  bool quiet = false, frames = false, frames_mel = false, resume = false, isolate = false,
       worker = false, strict = false;
  unsigned jobs = 0;
  herscan::app::InputFilters filters;
  app.add_option(
      "PATH", paths,
      "Audio files and folders (walked recursively): WAV, AIFF, FLAC, Ogg Vorbis, Opus, MP3");
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
      "Add frame-level series under \"frames\" for plotting: the spectral features, MFCC, "
      "chroma, onset envelope and local tempo per STFT frame (time_s), momentary and "
      "short-term loudness every 100 ms (loudness_time_s). `--frames mel` (or --frames=mel) "
      "adds the mel spectrogram in dB");
  app.add_flag("--frames-mel", frames_mel)->group("");  // what `--frames mel` becomes
  std::string mel_scale = "slaney", key_profile = "herscan";
  app.add_option(
         "--key-profile", key_profile,
         "Key profile: herscan (default: the model fitted on the development sets), temperley, "
         "krumhansl, edma (electronic dance music) or shaath")
      ->check(CLI::IsMember({"herscan", "temperley", "krumhansl", "edma", "shaath"}));
  app.add_option("--mel-scale", mel_scale,
                 "Mel scale of the MFCC and mel_db: slaney (librosa's default) or htk")
      ->check(CLI::IsMember({"slaney", "htk"}));
  app.add_option("-j,--jobs", jobs, "Files analysed at once (default: every core)");
  app.add_option("--include", filters.include,
                 "In folders, only files matching this glob (repeatable; e.g. '*.flac')");
  app.add_option("--exclude", filters.exclude,
                 "In folders, leave out files matching this glob (repeatable; e.g. 'demos/*')");
  app.add_flag(
      "--resume", resume,
      "Continue an interrupted -o FILE.jsonl: analyse only the files it does not have yet");
  app.add_option("--shard", shard_text,
                 "K/N: analyse only the K-th of N disjoint parts of the file list (for clusters)");
  app.add_flag("--isolate", isolate,
               "Analyse in worker processes, so that a decoder crash costs one error record, not "
               "the run");
  app.add_flag("--strict", strict,
               "Refuse damaged files (cut, misstated header, corrupt frames, NaN samples) with an "
               "error record instead of profiling what decodes with a warning");
  app.add_flag("--worker", worker)->group("");  // a worker process of --isolate
  app.add_flag("-q,--quiet", quiet, "No progress bar or summary (errors are still reported)");
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
    options.strict = strict;
    options.validate();
  } catch (const herscan::Error& e) {
    std::fprintf(stderr, "herscan: --features: %s\n", e.what());
    return kExitUsage;
  }
  if (worker)
    return herscan::app::run_worker(
        [&](const std::string& path) { return herscan::app::analyze_record(path, options); });
  if (paths.empty()) {
    std::fprintf(stderr, "herscan: no PATH given (files or folders; --help shows usage)\n");
    return kExitUsage;
  }
  std::optional<herscan::app::Shard> shard;
  if (!shard_text.empty() && !(shard = herscan::app::parse_shard(shard_text))) {
    std::fprintf(stderr, "herscan: --shard %s: use K/N with 1 <= K <= N\n", shard_text.c_str());
    return kExitUsage;
  }

  // The file list: folders walked, then this machine's shard.
  std::vector<std::string> empty_folders;
  std::vector<herscan::app::Input> inputs =
      herscan::app::collect_inputs(paths, filters, &empty_folders);
  for (const auto& folder : empty_folders)
    std::fprintf(
        stderr, "herscan: %s: no audio files found%s\n", folder.c_str(),
        filters.include.empty() && filters.exclude.empty() ? "" : " (after --include/--exclude)");
  if (shard)
    std::erase_if(inputs, [&](const auto& in) { return !herscan::app::in_shard(in, *shard); });

  herscan::app::Output::Options out_options;
  out_options.tool = "herscan";
  out_options.format_name = format_name;
  out_options.output_path = output_path;
  out_options.resume = resume;
  std::error_code ec;
  out_options.single_object = paths.size() == 1 && !fs::is_directory(paths.front(), ec);
  out_options.skeleton = herscan::app::skeleton(options);
  auto output = herscan::app::Output::open(out_options);
  if (!output) return kExitUsage;

  // --resume: the files the earlier run wrote are done.
  std::set<std::string> done;
  for (const auto& record : output->resumed()) done.insert(herscan::record_file(record));
  const std::size_t before = inputs.size();
  if (!done.empty()) std::erase_if(inputs, [&](const auto& in) { return done.count(in.path) > 0; });
  herscan::app::Progress progress("herscan", inputs.size(), !quiet && ::isatty(STDERR_FILENO));
  for (const auto& record : output->resumed()) progress.add_resumed(record);
  const bool summarise = !quiet && (before > 1 || inputs.size() != paths.size() || !done.empty());

  herscan::app::RunnerOptions run;
  run.jobs = jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
  if (isolate) {
    run.worker_command = {self_executable(), "--worker",    "--key-profile",
                          key_profile,       "--mel-scale", mel_scale};
    if (!features.empty())
      run.worker_command.insert(run.worker_command.end(), {"--features", features});
    if (frames || frames_mel) run.worker_command.push_back("--frames");
    if (frames_mel) run.worker_command.push_back("--frames-mel");
    if (strict) run.worker_command.push_back("--strict");
  }
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;  // writes in progress complete; the main loop notices the flag
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  herscan::app::Runner runner(
      std::move(inputs),
      [&](const herscan::app::Input& in) { return herscan::app::analyze_record(in.path, options); },
      run);
  progress.draw(true);
  while (!runner.finished()) {
    if (g_signal) {
      // Interrupted: what is written stays consistent (a resumable file keeps its partial file,
      // any other output file is removed); files in flight are abandoned.
      runner.cancel();
      output->interrupt();
      progress.clear();
      if (!output_path.empty() && output->format() == herscan::app::OutputFormat::jsonl)
        std::fprintf(
            stderr,
            "herscan: interrupted; %s.partial keeps the finished files: run again with --resume\n",
            output_path.c_str());
      else
        std::fprintf(stderr, "herscan: interrupted\n");
      if (summarise) std::fprintf(stderr, "%s\n", progress.summary().c_str());
      std::_Exit(128 + g_signal);
    }
    auto record = runner.next(std::chrono::milliseconds(100));
    if (!record) {
      progress.draw();
      continue;
    }
    progress.clear();
    if (!output->write(*record)) {  // `| head`: the reader left; stop quietly
      runner.cancel();
      std::_Exit((progress.failed() > 0 || record->contains("error")) ? kExitSomeFailed : kExitOk);
    }
    progress.add(*record);
    progress.draw();
  }
  progress.clear();
  if (!output->close()) return kExitSomeFailed;
  if (summarise) std::fprintf(stderr, "%s\n", progress.summary().c_str());
  return progress.failed() ? kExitSomeFailed : kExitOk;
}
