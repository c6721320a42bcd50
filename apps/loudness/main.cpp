// herscan-loudness — a loudness meter for mastering and ReplayGain work: integrated loudness,
// loudness range, maximum momentary and short-term loudness, sample and true peak, ReplayGain 2.0
// gain, per file and per album (all files, or one album per folder), and with --tag the
// ReplayGain tags written safely into the files. It decodes and measures at the native rate and
// computes nothing else: no resampling, no FFT. docs/loudness.md is the manual.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/cli.h"
#include "common/inputs.h"
#include "common/output.h"
#include "common/progress.h"
#include "common/records.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "herscan/version.h"
#include "loudness/tagger.h"

namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;
namespace app = herscan::app;

constexpr int kExitOk = 0;
constexpr int kExitSomeFailed = 1;
constexpr int kExitUsage = 2;

constexpr const char* kHeader =
    "  I LUFS  LRA LU  M max  S max  peak dBFS  TP dBTP   RG dB  file\n";

// SIGINT or SIGTERM: no new file is started; files being tagged finish (their rename is atomic
// anyway), the output stays consistent. A second signal ends the process at once.
// (A lock-free atomic: the worker threads read it too.)
std::atomic<int> g_signal{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void on_signal(int sig) {
  if (g_signal.load()) std::_Exit(128 + sig);
  g_signal.store(sig);
}

std::string cell(const json& loudness, const char* key, int width) {
  char buf[32];
  const auto it = loudness.find(key);
  if (it == loudness.end() || !it->is_number())
    std::snprintf(buf, sizeof buf, "%*s", width, "-");
  else
    std::snprintf(buf, sizeof buf, "%*.2f", width, it->get<double>());
  return buf;
}

// One table row: the numbers, then the file name (long names do not break the alignment); with
// --tag, a line per tag change under it.
std::string table_row(const json& record) {
  std::string name =
      record.contains("album")
          ? "(album of " + std::to_string(record["album"].size()) + " files" +
                (record.contains("folder") ? " in " + record["folder"].get<std::string>()
                                           : std::string()) +
                ")"
          : record.value("file", "?");
  std::string row;
  if (record.contains("loudness")) {
    const json& l = record.at("loudness");
    row = cell(l, "integrated_lufs", 8) + cell(l, "range_lu", 8) +
          cell(l, "momentary_max_lufs", 7) + cell(l, "short_term_max_lufs", 7) +
          cell(l, "sample_peak_dbfs", 11) + cell(l, "true_peak_dbtp", 9) +
          cell(l, "replaygain_db", 8) + "  " + name + "\n";
  } else {
    row = std::string(58, ' ') + name + "\n";
  }
  if (const auto t = record.find("replaygain_tags"); t != record.end()) {
    row += "      tags " + t->value("action", "") +
           (t->contains("tags") ? " (" + t->value("tags", "") + ")" : "") +
           (t->contains("reason") ? ": " + t->value("reason", "") : "") + "\n";
    for (const auto& c : t->value("changes", json::array()))
      row += "        " + c.value("tag", "") + ": " +
             (c["old"].is_string() ? c["old"].get<std::string>() : "(none)") + " -> " +
             (c["new"].is_string() ? c["new"].get<std::string>() : "(removed)") + "\n";
  }
  return row;
}

// Runs work(i) for i in [0, n) on `jobs` threads; the main thread hands each result to
// done(i, record) in index order as soon as it and every earlier one are ready, and draws the
// progress bar. Returns false when interrupted (SIGINT/SIGTERM): no new file starts, the files
// in flight finish, and every finished file's record is handed over (in order: every index
// taken is finished once the threads are joined, so there is no gap).
bool run_parallel(std::size_t n, unsigned jobs, const std::function<json(std::size_t)>& work,
                  const std::function<void(std::size_t, const json&)>& done,
                  app::Progress& progress) {
  std::mutex mutex;
  std::condition_variable ready_cv;
  std::vector<std::optional<json>> results(n);
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < std::min<std::size_t>(jobs, n); ++t)
    threads.emplace_back([&] {
      for (std::size_t i; !g_signal.load() && (i = next++) < n;) {
        json record = work(i);
        std::lock_guard lock(mutex);
        results[i] = std::move(record);
        ready_cv.notify_one();
      }
    });
  std::size_t given = 0;
  auto hand_over = [&](std::unique_lock<std::mutex>& lock) {
    while (given < n && results[given]) {
      json record = std::move(*results[given]);
      results[given].reset();
      lock.unlock();
      progress.clear();
      done(given, record);
      progress.add(record);
      ++given;
      lock.lock();
    }
  };
  bool interrupted = false;
  progress.draw(true);
  std::unique_lock lock(mutex);
  while (given < n) {
    ready_cv.wait_for(lock, std::chrono::milliseconds(100),
                      [&] { return results[given].has_value(); });
    hand_over(lock);
    if (g_signal.load()) {
      interrupted = true;
      break;
    }
    lock.unlock();
    progress.draw();
    lock.lock();
  }
  lock.unlock();
  for (auto& t : threads) t.join();
  if (interrupted) {
    lock.lock();
    hand_over(lock);
    lock.unlock();
  }
  progress.clear();
  return !interrupted;
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);

  CLI::App app{"herscan-loudness " HERSCAN_VERSION_STRING
               " — EBU R128 / BS.1770-4 loudness and ReplayGain 2.0,\n"
               "per file and per album, and ReplayGain tags written safely (--tag).\n"
               "Measures at the native rate; computes nothing else.",
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
      "  herscan-loudness ~/Music --album-per-folder       every folder an album\n"
      "  herscan-loudness --tag --album-per-folder ~/Music ReplayGain tags, rsgain's easy mode\n"
      "  herscan-loudness --tag --dry-run track.flac       what would be written, old -> new\n"
      "  herscan-loudness track.flac --frames | jq .frames.short_term_lufs\n"
      "\n"
      "Exit status: 0 all files measured (and tagged), 1 some files failed (each has an error\n"
      "record; a file that failed is never changed), 2 usage error, 130/143 interrupted.");
  std::vector<std::string> paths;
  std::string format_name, output_path, clip = "n";
  bool album = false, album_per_folder = false, frames = false, no_true_peak = false,
       strict = false, quiet = false;
  bool tag = false, remove = false, dry_run = false, skip_tagged = false, tag_true_peak = false,
       opus_replaygain = false;
  double target_lufs = -18, max_peak_db = 0;
  int id3v2_version = 0;  // the file's own
  unsigned jobs = 0;
  app::InputFilters filters;
  app.add_option("PATH", paths, "Audio files and folders (walked recursively)")->required();
  app.add_flag("--album", album,
               "Add a record with the album values over all files (ReplayGain album gain)");
  app.add_flag("--album-per-folder", album_per_folder,
               "Every folder of audio files is one album: album values per folder, never "
               "across folders");
  app.add_flag("--frames", frames,
               "Add momentary and short-term loudness every 100 ms under \"frames\"");
  app.add_flag("--no-true-peak", no_true_peak, "Skip the oversampled true peak (faster)");
  app.add_flag("--strict", strict,
               "Refuse damaged files (cut, misstated header, corrupt frames, NaN samples) instead "
               "of measuring what decodes with a warning (always so with --tag)");
  app.add_option("-f,--format", format_name,
                 "text, json, jsonl or csv (default: text on a terminal, jsonl otherwise)")
      ->check(CLI::IsMember({"text", "json", "jsonl", "csv"}));
  app.add_option("-o,--output", output_path,
                 "Write results to FILE atomically (.json, .jsonl, .csv, .txt)");
  app.add_option("-j,--jobs", jobs, "Files measured at once (default: every core)");
  app.add_option("--include", filters.include,
                 "In folders, only files matching this glob (repeatable; e.g. '*.flac')");
  app.add_option("--exclude", filters.exclude,
                 "In folders, leave out files matching this glob (repeatable)");
  app.add_flag("-q,--quiet", quiet, "No progress bar or summary (errors are still reported)");
  auto* tagging = app.add_option_group("Tagging", "ReplayGain tags (docs/loudness.md)");
  tagging->add_flag("--tag", tag,
                    "Write ReplayGain 2.0 tags (REPLAYGAIN_*; Opus: R128_* Q7.8) into the files; "
                    "with --album or --album-per-folder also the album tags");
  tagging->add_flag("--remove", remove,
                    "Remove the ReplayGain and R128 tags herscan writes (REPLAYGAIN_*, R128_*)");
  tagging->add_flag("--dry-run", dry_run,
                    "With --tag or --remove: report what would change (old -> new per tag), "
                    "change nothing");
  tagging->add_flag("--skip-tagged", skip_tagged,
                    "With --tag: leave files that carry every tag this run would write "
                    "untouched, unmeasured (an album folder only when all its files do)");
  tagging
      ->add_option("--target-lufs", target_lufs,
                   "ReplayGain reference loudness (default -18, ReplayGain 2.0)")
      ->check(CLI::Range(-70.0, 0.0));
  tagging->add_flag("--true-peak", tag_true_peak,
                    "Peak tags (and --clip) from the true peak instead of the sample peak");
  tagging
      ->add_option("--clip", clip,
                   "Clipping protection, as rsgain -c: n none (default), p lower positive "
                   "gains only, a lower any gain, so that peak + gain <= --max-peak")
      ->check(CLI::IsMember({"n", "p", "a"}));
  tagging
      ->add_option("--max-peak", max_peak_db,
                   "Clipping protection's ceiling in dB (default 0; dBTP with --true-peak)")
      ->check(CLI::Range(-30.0, 6.0));
  tagging
      ->add_option("--id3v2-version", id3v2_version,
                   "MP3: save the ID3v2 tag as v2.3 or v2.4 (default: the version it has, v2.4 for "
                   "a new tag)")
      ->check(CLI::IsMember({3, 4}));
  tagging->add_flag("--opus-replaygain", opus_replaygain,
                    "Opus: write REPLAYGAIN_* as well as R128_* (RFC 7845 advises against it)");
  app.set_version_flag("-V,--version", "herscan-loudness " HERSCAN_VERSION_STRING);
  try {
    app::NormalisedArgs args(argc, argv);
    app.parse(args.argc(), args.argv());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  auto usage = [](const char* message) {
    std::fprintf(stderr, "herscan-loudness: %s\n", message);
    return kExitUsage;
  };
  if (album && album_per_folder) return usage("--album and --album-per-folder exclude each other");
  if (tag && remove) return usage("--tag and --remove exclude each other");
  const bool tagging_run = tag || remove;
  if (!tagging_run && (dry_run || skip_tagged || tag_true_peak))
    return usage("--dry-run, --skip-tagged and --true-peak go with --tag (or --remove)");
  if (remove && skip_tagged) return usage("--skip-tagged goes with --tag, not --remove");
  if (tag_true_peak && no_true_peak) return usage("--true-peak needs the true peak measured");
  if (tagging_run && !app::tagging_available())
    return usage("this build has no TagLib (built with -DHERSCAN_TAGLIB=OFF): cannot tag");

  herscan::ProfileOptions options;
  options.features = herscan::FeatureSet(herscan::Feature::loudness);
  options.true_peak = !no_true_peak;
  options.frames = frames;
  options.strict = strict;

  app::TagOptions tag_options;
  tag_options.action = remove ? app::TagAction::remove : app::TagAction::write;
  tag_options.dry_run = dry_run;
  tag_options.skip_tagged = skip_tagged;
  app::TagPolicy& policy = tag_options.policy;
  policy.target_lufs = target_lufs;
  policy.true_peak = tag_true_peak;
  policy.clip = clip == "a"   ? app::ClipMode::always
                : clip == "p" ? app::ClipMode::positive
                              : app::ClipMode::none;
  policy.max_peak_db = max_peak_db;
  policy.album = album || album_per_folder;
  policy.opus_replaygain = opus_replaygain;
  policy.id3v2_version = id3v2_version;

  std::vector<std::string> empty_folders;
  const std::vector<app::Input> inputs = app::collect_inputs(paths, filters, &empty_folders);
  for (const auto& folder : empty_folders)
    std::fprintf(stderr, "herscan-loudness: %s: no audio files found\n", folder.c_str());
  const std::size_t n = inputs.size();

  // The same file reached twice (a symbolic link, overlapping arguments) is tagged and counted
  // in an album once, at its first path; its albums are the folders files really are in.
  std::vector<std::optional<std::string>> same_as(n);
  std::vector<std::string> real_folder(n);
  if (tagging_run || album || album_per_folder) {
    std::map<std::pair<dev_t, ino_t>, std::size_t> seen;
    for (std::size_t i = 0; i < n; ++i) {
      struct stat st {};
      if (inputs[i].error || ::stat(inputs[i].path.c_str(), &st) != 0) continue;
      const auto [it, fresh] = seen.try_emplace({st.st_dev, st.st_ino}, i);
      if (!fresh) same_as[i] = inputs[it->second].path;
      std::error_code ec;
      const fs::path real = fs::canonical(inputs[i].path, ec);
      if (!ec) real_folder[i] = real.parent_path().string();
    }
  }

  // Albums: group g of each input (-1: none), in the order the groups first appear.
  std::vector<int> group(n, -1);
  std::vector<std::string> group_folder;
  std::vector<std::vector<std::size_t>> group_members;  // each group's inputs, in order
  if (album || album_per_folder) {
    std::map<std::string, int> ids;
    for (std::size_t i = 0; i < n; ++i) {
      if (inputs[i].error || same_as[i]) continue;
      const std::string folder = fs::path(inputs[i].path).parent_path().string();
      const std::string key = album ? "" : real_folder[i].empty() ? folder : real_folder[i];
      auto [it, fresh] = ids.try_emplace(key, int(group_folder.size()));
      if (fresh) {
        // Named as the arguments name it, unless the file was reached through a link to
        // another folder (then the real folder).
        std::error_code ec;
        const bool direct = fs::equivalent(folder.empty() ? "." : folder, key, ec);
        group_folder.push_back(album                                ? ""
                               : !direct && !real_folder[i].empty() ? key
                               : folder.empty()                     ? "."
                                                                    : folder);
        group_members.emplace_back();
      }
      group[i] = it->second;
      group_members[std::size_t(it->second)].push_back(i);
    }
  }

  app::Output::Options out_options;
  out_options.tool = "herscan-loudness";
  out_options.format_name = format_name;
  out_options.output_path = output_path;
  std::error_code ec;
  out_options.single_object =
      paths.size() == 1 && !fs::is_directory(paths.front(), ec) && group_folder.empty();
  out_options.skeleton = app::skeleton(options);
  out_options.text = &table_row;
  out_options.text_header = kHeader;
  auto output = app::Output::open(out_options);
  if (!output) return kExitUsage;

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  const unsigned threads = jobs ? jobs : std::max(1u, std::thread::hardware_concurrency());
  const bool bar = !quiet && ::isatty(STDERR_FILENO);
  const bool summarise = !quiet && (n > 1 || n != paths.size());
  const app::TagOptions* tagging_options = tagging_run ? &tag_options : nullptr;
  auto input_error = [&](std::size_t i) {
    return herscan::error_record(inputs[i].path, *inputs[i].error, inputs[i].error_message);
  };

  // --skip-tagged: which files (or, per album, which albums) already carry every tag.
  std::vector<bool> skip(n, false);
  bool interrupted = false;
  if (skip_tagged) {
    std::vector<char> tagged(n, 0);  // not vector<bool>: the threads write neighbouring entries
    app::Progress checking("herscan-loudness", n, bar);
    interrupted = !run_parallel(
        n, threads,
        [&](std::size_t i) {
          tagged[i] =
              !inputs[i].error && app::has_every_tag(inputs[i].path, tag_options, group[i] >= 0);
          return json::object();
        },
        [](std::size_t, const json&) {}, checking);
    std::vector<bool> group_tagged(group_folder.size(), true);
    for (std::size_t i = 0; i < n; ++i)
      if (group[i] >= 0 && !tagged[i]) group_tagged[std::size_t(group[i])] = false;
    for (std::size_t i = 0; i < n; ++i)
      skip[i] = tagged[i] && (group[i] < 0 || group_tagged[std::size_t(group[i])]);
  }

  // Step 1: measure (and, without albums, tag at once). Step 2 (albums): album values, then tag.
  std::vector<app::Measured> measured(group_folder.empty() ? 0 : n);
  int exit_code = kExitOk;
  auto emit = [&](const json& record) {
    if (record.contains("error")) exit_code = kExitSomeFailed;
    if (!output->write(record)) std::_Exit(exit_code);  // `| head`: the reader left
  };
  // Each album's values once its files are measured (none when none of them could be).
  std::vector<std::optional<herscan::LoudnessResult>> albums(group_folder.size());
  // The group whose last file is input i (its album is complete there), or -1.
  auto closing_group = [&](std::size_t i) {
    return group[i] >= 0 && group_members[std::size_t(group[i])].back() == i ? group[i] : -1;
  };
  auto album_record = [&](std::size_t g) {
    json files = json::array();
    for (const std::size_t i : group_members[g])
      if (measured[i].loudness) files.push_back(inputs[i].path);
    json record = {{"schema", herscan::profile_schema_id}, {"album", files}};
    if (album_per_folder) record["folder"] = group_folder[g];
    record["loudness"] = herscan::to_json(*albums[g]);
    return record;
  };

  app::Progress progress("herscan-loudness", n, bar);
  if (interrupted) {
    // Stopped while checking the tags: nothing measured, nothing written.
  } else if (group_folder.empty()) {
    interrupted = !run_parallel(
        n, threads,
        [&](std::size_t i) -> json {
          if (inputs[i].error) return input_error(i);
          if (skip[i]) return app::skipped_record(inputs[i].path);
          if (same_as[i] && tagging_run) return app::skipped_record(inputs[i].path, *same_as[i]);
          app::Measured m = app::measure(inputs[i].path, options, tagging_options);
          return tagging_run ? app::tag(m, nullptr, tag_options) : m.record;
        },
        [&](std::size_t, const json& record) { emit(record); }, progress);
  } else {
    const bool measure_only = !tagging_run;
    app::Progress measuring("herscan-loudness", n, bar && !measure_only);
    app::Progress& first = measure_only ? progress : measuring;
    auto close_album = [&](std::size_t g) {
      std::vector<herscan::LoudnessResult> tracks;
      for (const std::size_t k : group_members[g])
        if (measured[k].loudness) tracks.push_back(*measured[k].loudness);
      if (!tracks.empty()) albums[g] = herscan::album_loudness(tracks);
    };
    interrupted = !run_parallel(
        n, threads,
        [&](std::size_t i) -> json {
          if (inputs[i].error) return measured[i].record = input_error(i);
          if (skip[i]) return measured[i].record = app::skipped_record(inputs[i].path);
          if (same_as[i] && tagging_run)
            return measured[i].record = app::skipped_record(inputs[i].path, *same_as[i]);
          measured[i] = app::measure(inputs[i].path, options, tagging_options);
          return measured[i].record;
        },
        [&](std::size_t i, const json& record) {
          if (!measure_only) return;
          emit(record);
          if (const int g = closing_group(i); g >= 0) {
            close_album(std::size_t(g));
            if (albums[std::size_t(g)]) emit(album_record(std::size_t(g)));
          }
        },
        first);
    if (!measure_only && !interrupted) {
      for (std::size_t g = 0; g < group_folder.size(); ++g) close_album(g);
      interrupted = !run_parallel(
          n, threads,
          [&](std::size_t i) -> json {
            const app::Measured& m = measured[i];
            if (!m.loudness || m.record.contains("replaygain_tags")) return m.record;
            const int g = group[i];
            const auto* album =
                g >= 0 && albums[std::size_t(g)] ? &*albums[std::size_t(g)] : nullptr;
            return app::tag(m, album, tag_options);
          },
          [&](std::size_t i, const json& record) {
            emit(record);
            if (const int g = closing_group(i); g >= 0 && albums[std::size_t(g)] && !skip[i])
              emit(album_record(std::size_t(g)));
          },
          progress);
    }
  }
  if (interrupted) {
    output->interrupt();
    std::fprintf(stderr, "herscan-loudness: interrupted\n");
    if (summarise) std::fprintf(stderr, "%s\n", progress.summary().c_str());
    return 128 + (g_signal.load() ? g_signal.load() : SIGINT);
  }
  if (!output->close()) return kExitSomeFailed;
  if (summarise) std::fprintf(stderr, "%s\n", progress.summary().c_str());
  return exit_code;
}
