// Batch runs of the herscan command (docs/scaling.md): folders, -j, order, resume after SIGKILL
// and SIGINT, shards, crash isolation, formats and pipes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "cli_helpers.h"
#include "test_signals.h"

namespace herscan {
namespace {

using json = nlohmann::json;
using namespace test::cli;
using test::TempDir;
namespace fs = std::filesystem;

// A short tone as a file: `seconds` of a sine at `hz`.
void write_tone_file(const fs::path& path, double hz, double seconds, int format) {
  const auto x = test::sine(hz, 0.3, 22050, std::size_t(seconds * 22050));
  test::write_audio(path, x, 1, 22050, format);
}

// A library with good files, bad files, nested folders, a symlink loop, odd names (spaces,
// unicode, a newline), a hidden file, a non-audio file and an audio file without an extension.
// Returns the paths herscan must report, in the order it must report them.
std::vector<std::string> make_library(const fs::path& root) {
  fs::create_directories(root / "a b" / "deep");
  fs::create_directories(root / "z");
  write_tone_file(root / "01 first.wav", 220, 0.5, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  write_tone_file(root / "a b" / "deep" / "é ünïcode.flac", 330, 0.5,
                  SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  write_tone_file(root / "a b" / "new\nline.wav", 440, 0.5, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  write_tone_file(root / "a b" / "no_extension", 550, 0.5, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  write_tone_file(root / "z" / "last.aiff", 660, 0.5, SF_FORMAT_AIFF | SF_FORMAT_PCM_16);
  std::ofstream(root / "a b" / "broken.mp3") << "this is not an mp3";
  std::ofstream(root / "empty.flac");
  std::ofstream(root / "notes.txt") << "not audio, no audio extension: skipped";
  std::ofstream(root / ".hidden.wav") << "hidden: skipped";
  fs::create_directory_symlink("..", root / "a b" / "loop");  // a symlink loop
  const std::string r = root.string();
  return {r + "/01 first.wav",      r + "/a b/broken.mp3",   r + "/a b/deep/é ünïcode.flac",
          r + "/a b/new\nline.wav", r + "/a b/no_extension", r + "/empty.flac",
          r + "/z/last.aiff"};
}

std::vector<json> without_timing(std::vector<json> records) {
  for (auto& r : records)
    if (r.contains("analysis")) r["analysis"].erase("elapsed_s");
  return records;
}

std::vector<std::string> files_of(const std::vector<json>& records) {
  std::vector<std::string> files;
  for (const auto& r : records) files.push_back(r["file"].get<std::string>());
  return files;
}

TEST(Batch, FolderGivesOneRecordPerFileInOrderForAnyJobs) {
  TempDir dir;
  const auto expected = make_library(dir / "lib");
  const Result one =
      herscan(dir, {(dir / "lib").string(), "-j", "1", "--features", "spectral,loudness"});
  EXPECT_EQ(one.exit_code, 1) << one.err;  // two bad files
  const auto records = json_lines(one.out);
  EXPECT_EQ(files_of(records), expected);
  EXPECT_EQ(records[1]["error"]["code"], "not_audio");
  EXPECT_EQ(records[5]["error"]["code"], "empty_file");
  for (std::size_t i : {0u, 2u, 3u, 4u, 6u})
    EXPECT_FALSE(records[i].contains("error")) << expected[i];
  const Result four =
      herscan(dir, {(dir / "lib").string(), "-j", "4", "--features", "spectral,loudness"});
  EXPECT_EQ(without_timing(json_lines(four.out)), without_timing(records));
  // The summary line on stderr (not a terminal: no progress bar).
  EXPECT_NE(one.err.find("herscan: 7 files: 5 analysed, 2 failed"), std::string::npos) << one.err;
  EXPECT_EQ(one.err.find('\r'), std::string::npos);
  EXPECT_EQ(herscan(dir, {(dir / "lib").string(), "-q"}).err.find("files:"), std::string::npos);
}

TEST(Batch, IncludeAndExcludeGlobs) {
  TempDir dir;
  make_library(dir / "lib");
  const auto lib = (dir / "lib").string();
  EXPECT_EQ(files_of(json_lines(herscan(dir, {lib, "--include", "*.wav", "-q"}).out)),
            (std::vector<std::string>{lib + "/01 first.wav", lib + "/a b/new\nline.wav"}));
  EXPECT_EQ(files_of(json_lines(
                herscan(dir, {lib, "--exclude", "a b/*", "--exclude", "*.flac", "-q"}).out)),
            (std::vector<std::string>{lib + "/01 first.wav", lib + "/z/last.aiff"}));
}

TEST(Batch, ShardsPartitionTheRun) {
  TempDir dir;
  const auto expected = make_library(dir / "lib");
  std::multiset<std::string> all;
  for (const char* shard : {"1/3", "2/3", "3/3"}) {
    const Result r = herscan(dir, {(dir / "lib").string(), "--shard", shard, "-q"});
    for (const auto& f : files_of(json_lines(r.out))) all.insert(f);
  }
  EXPECT_EQ(all, std::multiset<std::string>(expected.begin(), expected.end()));
  EXPECT_EQ(herscan(dir, {(dir / "lib").string(), "--shard", "4/3"}).exit_code, 2);
  EXPECT_EQ(herscan(dir, {(dir / "lib").string(), "--shard", "x"}).exit_code, 2);
}

TEST(Batch, CsvAndJsonArrayOfAFolder) {
  TempDir dir;
  const auto expected = make_library(dir / "lib");
  const auto lib = (dir / "lib").string();
  herscan(dir, {lib, "-o", (dir / "all.csv").string(), "-q"});
  std::ifstream csv(dir / "all.csv");
  std::string header, line, text;
  std::getline(csv, header);
  EXPECT_EQ(csv_fields(header)[0], "file");
  EXPECT_NE(header.find("loudness.integrated_lufs"), std::string::npos);
  // One row per file: a quoted file name may hold a newline, so count records, not lines.
  std::size_t rows = 0;
  std::string record;
  while (std::getline(csv, line)) {
    record += record.empty() ? line : "\n" + line;
    if (std::count(record.begin(), record.end(), '"') % 2 == 0) {
      ++rows;
      EXPECT_EQ(csv_fields(record).size(), csv_fields(header).size()) << record;
      record.clear();
    }
  }
  EXPECT_EQ(rows, expected.size());
  herscan(dir, {lib, "-o", (dir / "all.json").string(), "-q"});
  const json array = json::parse(read_file(dir / "all.json"));
  ASSERT_TRUE(array.is_array());
  EXPECT_EQ(array.size(), expected.size());
  expect_valid_against_schema(dir / "all.json");
}

// Many small files, slowed down by the test hook so that a run can be stopped midway.
std::string make_many(const fs::path& root, int n) {
  fs::create_directories(root);
  for (int i = 0; i < n; ++i) {
    char name[32];
    std::snprintf(name, sizeof name, "t%02d.wav", i);
    write_tone_file(root / name, 200 + 20 * i, 0.3, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  }
  return root.string();
}

// Waits until `path` has at least `lines` lines (or ~20 s pass).
void wait_for_lines(const fs::path& path, std::size_t lines) {
  for (int i = 0; i < 2000; ++i) {
    const std::string text = read_file(path);
    if (std::size_t(std::count(text.begin(), text.end(), '\n')) >= lines) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

TEST(Batch, ResumeAfterSigkillAndATornLineEqualsAFullRun) {
  TempDir dir;
  const auto lib = make_many(dir / "lib", 16);
  const auto out = (dir / "out.jsonl").string();
  const Result full =
      herscan(dir, {lib, "-o", (dir / "full.jsonl").string(), "-q", "--features", "spectral"});
  ASSERT_EQ(full.exit_code, 0) << full.err;
  const auto reference = without_timing(json_lines(read_file(dir / "full.jsonl")));
  ASSERT_EQ(reference.size(), 16u);

  // Start a slow run in the background, kill it with SIGKILL once a few records are written.
  const Result started =
      shell(dir, "HERSCAN_TEST_DELAY_MS=150 " + quote(HERSCAN_EXE) + " " + quote(lib) + " -o " +
                     quote(out) + " -q -j 2 --features spectral & echo $!");
  const pid_t pid = std::stoi(started.out);
  wait_for_lines(out + ".partial", 3);
  ::kill(pid, SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(fs::exists(out)) << "an interrupted run never leaves the final file";
  const std::string partial = read_file(out + ".partial");
  const auto written = std::count(partial.begin(), partial.end(), '\n');
  EXPECT_GE(written, 3);
  EXPECT_LT(written, 16);
  // A power loss can leave half a line: resume cuts it off.
  std::ofstream(out + ".partial", std::ios::app) << "{\"schema\": \"herscan.profile/1\", \"fi";

  const Result resumed =
      herscan(dir, {lib, "-o", out, "--resume", "-q", "-j", "2", "--features", "spectral"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_FALSE(fs::exists(out + ".partial"));
  EXPECT_EQ(without_timing(json_lines(read_file(out))), reference);

  // Resuming a finished run analyses only what was added since.
  write_tone_file(dir / "lib" / "t99.wav", 990, 0.3, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Result more = herscan(dir, {lib, "-o", out, "--resume", "--features", "spectral"});
  EXPECT_NE(more.err.find("17 files: 17 analysed, 0 failed (16 written by the earlier run)"),
            std::string::npos)
      << more.err;
  EXPECT_EQ(json_lines(read_file(out)).size(), 17u);
  EXPECT_EQ(herscan(dir, {lib, "--resume"}).exit_code, 2) << "--resume needs -o FILE.jsonl";
}

TEST(Batch, SigintStopsCleanlyAndTheRunCanBeResumed) {
  TempDir dir;
  const auto lib = make_many(dir / "lib", 12);
  const auto out = (dir / "out.jsonl").string();
  // A subshell runs herscan in the background, tells its PID and waits for its exit status.
  shell(dir, "(HERSCAN_TEST_DELAY_MS=150 " + quote(HERSCAN_EXE) + " " + quote(lib) + " -o " +
                 quote(out) + " -j 2 --features spectral 2>" + quote((dir / "err.txt").string()) +
                 " & p=$!; echo $p > " + quote((dir / "pid.txt").string()) +
                 "; wait $p; echo $? > " + quote((dir / "rc.txt").string()) +
                 ") >/dev/null 2>&1 &");
  wait_for_lines(out + ".partial", 2);
  wait_for_lines(dir / "pid.txt", 1);
  ::kill(std::stoi(read_file(dir / "pid.txt")), SIGINT);
  for (int i = 0; i < 500 && read_file(dir / "rc.txt").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(read_file(dir / "rc.txt"), "130\n");
  EXPECT_NE(read_file(dir / "err.txt").find("run again with --resume"), std::string::npos)
      << read_file(dir / "err.txt");
  const std::string partial = read_file(out + ".partial");
  ASSERT_FALSE(partial.empty());
  EXPECT_EQ(partial.back(), '\n');
  EXPECT_NO_THROW(json_lines(partial));
  const Result resumed = herscan(dir, {lib, "-o", out, "--resume", "-q", "--features", "spectral"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_EQ(json_lines(read_file(out)).size(), 12u);
}

TEST(Batch, IsolationTurnsACrashIntoAnErrorRecord) {
  TempDir dir;
  const auto lib = make_many(dir / "lib", 6);
  const Result r = shell(dir, "HERSCAN_TEST_CRASH=t03 " + quote(HERSCAN_EXE) + " " + quote(lib) +
                                  " --isolate -j 2 -q --features spectral");
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[3]["error"]["code"], "crashed");
#ifndef __SANITIZE_ADDRESS__
  EXPECT_NE(records[3]["error"]["message"].get<std::string>().find("signal 11"), std::string::npos);
#endif  // (under AddressSanitizer the worker reports the SIGSEGV itself and exits with 1)
  for (int i : {0, 1, 2, 4, 5}) EXPECT_FALSE(records[std::size_t(i)].contains("error")) << i;
  const Result plain = herscan(dir, {lib, "-q", "--features", "spectral", "-j", "1"});
  auto expected = without_timing(json_lines(plain.out));
  auto got = without_timing(records);
  expected.erase(expected.begin() + 3);
  got.erase(got.begin() + 3);
  EXPECT_EQ(got, expected) << "the other files' records do not depend on the mode";
}

TEST(Batch, HeadClosesThePipeQuietly) {
  TempDir dir;
  const auto lib = make_many(dir / "lib", 8);
  // With --frames the records outgrow the pipe's buffer, so herscan meets the closed pipe.
  for (const char* frames : {"", "--frames"}) {
    const Result r = shell(dir, quote(HERSCAN_EXE) + " " + quote(lib) + " --features spectral " +
                                    frames + " | head -1; exit ${PIPESTATUS[0]}");
    EXPECT_EQ(r.exit_code, 0) << frames;
    EXPECT_EQ(json_lines(r.out).size(), 1u);
    for (const char* noise : {"rror", "annot", "ipe"})
      EXPECT_EQ(r.err.find(noise), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace herscan
