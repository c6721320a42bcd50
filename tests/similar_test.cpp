// `herscan similar` (apps/herscan/similar.cpp): a known collection written as JSON Lines, the
// expected neighbours derived here from the mixing rules (docs/report.md), not from the tool.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_helpers.h"

namespace herscan {
namespace {

using namespace test::cli;

json profile(const std::string& file, const char* camelot, double bpm) {
  json r = {{"schema", "herscan.profile/1"}, {"file", file}};
  r["key"] = {{"camelot", camelot}};
  r["tempo"] = {{"bpm", bpm}};
  return r;
}

// The collection: the selected track in 8A at 120 BPM, and what each other track is to it.
std::string collection() {
  std::string lines;
  for (const json& r : {
           profile("music/sel.flac", "8A", 120),
           profile("music/a.flac", "8A", 121),     // same key, +0.83 %
           profile("music/b.flac", "9A", 118),     // +1, -1.67 %
           profile("music/c.flac", "7A", 60),      // -1, at double tempo exactly
           profile("music/d.flac", "8B", 126),     // relative major, +5 %
           profile("music/e.flac", "8A", 130),     // same key, +8.3 %: too far
           profile("music/f.flac", "3B", 120),     // unrelated key
           profile("music/g.flac", "8A", 240),     // same key, at half tempo exactly
           profile("music/h.flac", "12A", 117.6),  // 8A -> 12A: four steps, no
           profile("music/i.flac", "9B", 120),     // +1 and relative at once: not a neighbour
       })
    lines += r.dump() + "\n";
  lines +=
      R"({"schema":"herscan.profile/1","file":"music/j.flac","key":{"camelot":null},"tempo":{"bpm":null}})"
      "\n";
  lines +=
      R"({"schema":"herscan.profile/1","file":"music/k.flac","error":{"code":"not_audio","message":"x"}})"
      "\n";
  lines += R"({"schema":"herscan.profile/1","album":["music/a.flac"],"loudness":{}})"
           "\n";
  lines += "this line is not JSON\n";
  return lines;
}

TEST(Similar, CamelotNeighboursWithinTheTempoToleranceClosestFirst) {
  TempDir dir;
  write_file(dir / "p.jsonl", collection());
  const Result r = herscan(dir, {"similar", (dir / "p.jsonl").string(), "sel.flac"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Distance = key cost (0 same, 0.5 for ±1 or relative) + |Δ| / 6 % + 0.25 at half/double.
  // a 0 + 0.83/6 = 0.139; g 0 + 0 + 0.25; c 0.5 + 0 + 0.25; b 0.5 + 1.67/6 = 0.778;
  // d 0.5 + 5/6 = 1.333.
  const auto out = json_lines(r.out);
  std::vector<std::string> files;
  for (const auto& m : out) files.push_back(m["file"]);
  EXPECT_EQ(files, (std::vector<std::string>{"music/a.flac", "music/g.flac", "music/c.flac",
                                             "music/b.flac", "music/d.flac"}));
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(out[0]["relation"], "same");
  EXPECT_NEAR(out[0]["bpm_difference_pct"].get<double>(), 100.0 / 120, 0.01);
  EXPECT_EQ(out[1]["tempo_ratio"], 0.5);
  EXPECT_EQ(out[2]["relation"], "-1");
  EXPECT_EQ(out[2]["tempo_ratio"], 2);
  EXPECT_EQ(out[3]["relation"], "+1");
  EXPECT_EQ(out[4]["relation"], "relative");
  EXPECT_NEAR(out[4]["distance"].get<double>(), 0.5 + 5.0 / 6, 0.001);
  for (const auto& m : out) EXPECT_EQ(m["to"], "music/sel.flac");
  EXPECT_NE(r.err.find("p.jsonl:14: not JSON"), std::string::npos) << r.err;

  // Without half and double tempo, and with a tolerance of 1 %.
  const Result same_level = herscan(dir, {"similar", (dir / "p.jsonl").string(), "music/sel.flac",
                                          "--no-half-double", "--bpm-tolerance", "1"});
  const auto strict = json_lines(same_level.out);
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0]["file"], "music/a.flac");
  // -n limits the list.
  EXPECT_EQ(
      json_lines(herscan(dir, {"similar", (dir / "p.jsonl").string(), "sel.flac", "-n", "2"}).out)
          .size(),
      2u);
}

TEST(Similar, UnknownAmbiguousOrKeylessTracksAreErrors) {
  TempDir dir;
  write_file(dir / "p.jsonl", collection() + profile("other/a.flac", "8A", 120).dump() + "\n");
  EXPECT_EQ(herscan(dir, {"similar", (dir / "p.jsonl").string(), "nothing.flac"}).exit_code, 1);
  const Result two = herscan(dir, {"similar", (dir / "p.jsonl").string(), "a.flac"});
  EXPECT_EQ(two.exit_code, 1);
  EXPECT_NE(two.err.find("names 2 tracks"), std::string::npos) << two.err;
  EXPECT_EQ(herscan(dir, {"similar", (dir / "p.jsonl").string(), "j.flac"}).exit_code, 1);
  EXPECT_EQ(herscan(dir, {"similar", (dir / "missing.jsonl").string(), "a.flac"}).exit_code, 1);
  EXPECT_EQ(herscan(dir, {"similar", (dir / "p.jsonl").string()}).exit_code, 2);
}

// Real profiles: two synthesised pieces analysed by herscan, then `similar` on its output.
TEST(Similar, WorksOnHerscansOwnProfiles) {
  TempDir dir;
  const auto x = test::chord_piece(12, 22050, 120);
  test::write_audio(dir / "one.wav", x, 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  test::write_audio(dir / "two.wav", x, 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  ASSERT_EQ(herscan(dir, {dir.path().string(), "-o", (dir / "p.jsonl").string(), "-q"}).exit_code,
            0);
  const Result r = herscan(dir, {"similar", (dir / "p.jsonl").string(), "one.wav"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto out = json_lines(r.out);
  ASSERT_EQ(out.size(), 1u);  // the same audio: same key, same tempo
  EXPECT_EQ(out[0]["relation"], "same");
  EXPECT_EQ(out[0]["bpm_difference_pct"], 0);
}

}  // namespace
}  // namespace herscan
