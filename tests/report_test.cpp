// `herscan report` (apps/herscan/report.cpp) without a browser: the page it writes, its embedded
// data read back as JSON, the escaping, the pooling of frames series, bad input. The page's
// behaviour is tested in Chromium by tests/report/report_browser_test.py.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_helpers.h"
#include "herscan/json.h"

namespace herscan {
namespace {

using namespace test::cli;

constexpr const char* kDataOpen = R"(<script id="herscan-data" type="application/json">)";

// The JSON the page embeds, parsed.
json page_data(const std::string& page) {
  const auto from = page.find(kDataOpen);
  EXPECT_NE(from, std::string::npos);
  const auto start = from + std::string(kDataOpen).size();
  const auto end = page.find("</script>", start);
  EXPECT_NE(end, std::string::npos);
  const std::string text = page.substr(start, end - start);
  EXPECT_EQ(text.find('<'), std::string::npos) << "markup inside the data";
  return json::parse(text);
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(Report, EmbedsTracksErrorsAndSkippedLines) {
  TempDir dir;
  const std::string hostile = "</script><script>alert(1)</script> & \xE2\x80\xA8";
  std::string lines;
  lines += json{{"schema", "herscan.profile/1"},
                {"file", "music/a.flac"},
                {"tags", {{"title", hostile}, {"artist", "Arcade Fire"}}},
                {"format", {{"duration_s", 183.456}}},
                {"tempo", {{"bpm", 120.0049}, {"confidence", 0.91234}}},
                {"key", {{"tonic", "A"}, {"mode", "minor"}, {"camelot", "8A"}}},
                {"loudness", {{"integrated_lufs", -14.236}, {"range_lu", 6.5}}},
                {"spectral", {{"centroid_hz", {{"mean", 1523.6}}}}}}
               .dump() +
           "\n";
  lines += "\n";  // blank lines are not problems
  lines += "{not json\n";
  lines += "[1, 2]\n";
  lines +=
      R"({"schema":"herscan.profile/1","file":"music/<b>.wav","error":{"code":"truncated","message":"cut <here>"}})"
      "\n";
  lines += R"({"schema":"herscan.profile/1","album":["music/a.flac"],"loudness":{}})"
           "\n";
  lines += "{\"file\":\"music/caf\xE9.wav\"}\n";                           // Latin-1, not UTF-8
  lines += "{\"schema\":\"herscan.profile/1\",\"tempo\":{\"bpm\":90}}\n";  // no file
  write_file(dir / "p.jsonl", lines);
  const Result r =
      herscan(dir, {"report", (dir / "p.jsonl").string(), "-o", (dir / "r.html").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("p.jsonl:3: not JSON"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("p.jsonl:4: not a JSON object"), std::string::npos) << r.err;

  const std::string page = read_file(dir / "r.html");
  EXPECT_EQ(count(page, "<script"), 2u);  // the data and the page's one script
  EXPECT_EQ(count(page, "</script>"), 2u);
  EXPECT_EQ(page.find("http://"), std::string::npos);  // nothing fetched at view time
  EXPECT_EQ(page.find("https://"), std::string::npos);
  // The policy's nonce is the script's, and it differs from page to page.
  const auto nonce_at = page.find("'nonce-") + 7;
  const std::string nonce = page.substr(nonce_at, page.find('\'', nonce_at) - nonce_at);
  EXPECT_EQ(nonce.size(), 32u);
  EXPECT_NE(page.find("<script nonce=\"" + nonce + "\">"), std::string::npos);
  ASSERT_EQ(herscan(dir, {"report", (dir / "p.jsonl").string(), "-o", (dir / "s.html").string()})
                .exit_code,
            0);
  EXPECT_EQ(read_file(dir / "s.html").find(nonce), std::string::npos);

  const json data = page_data(page);
  EXPECT_EQ(data["count"], 2);
  const json& t = data["tracks"];
  EXPECT_EQ(t["file"], (json{"music/a.flac", "music/caf\xEF\xBF\xBD.wav"}));
  EXPECT_EQ(t["line"], (json{1, 7}));
  EXPECT_EQ(t["title"][0], hostile);  // intact once parsed: the escaping is JSON's own
  EXPECT_EQ(t["artist"][0], "Arcade Fire");
  EXPECT_EQ(t["bpm"][0], 120.0);
  EXPECT_EQ(t["tempo_confidence"][0], 0.912);
  EXPECT_EQ(t["duration_s"][0], 183.46);
  EXPECT_EQ(t["key"][0], "A minor");
  EXPECT_EQ(t["camelot"][0], "8A");
  EXPECT_EQ(t["integrated_lufs"][0], -14.24);
  EXPECT_EQ(t["centroid_hz"][0], 1524.0);
  EXPECT_TRUE(t["bpm"][1].is_null());
  EXPECT_TRUE(t["title"][1].is_null());
  ASSERT_EQ(data["errors"].size(), 1u);
  EXPECT_EQ(data["errors"][0]["file"], "music/<b>.wav");
  EXPECT_EQ(data["errors"][0]["code"], "truncated");
  EXPECT_EQ(data["errors"][0]["line"], 5);
  ASSERT_EQ(data["problems"].size(), 3u);
  EXPECT_EQ(data["problems"][0]["line"], 3);
  EXPECT_EQ(data["problems"][1]["reason"], "not a JSON object");
  EXPECT_EQ(data["problems"][2]["line"], 8);
  EXPECT_NE(r.err.find("p.jsonl:8: a JSON object without \"file\""), std::string::npos) << r.err;
  EXPECT_EQ(data["albums"], 1);
  EXPECT_EQ(data["invalid_utf8_lines"], 1);
  EXPECT_TRUE(data["frames"].empty());
  // The title (the profiles' name) is escaped as HTML.
  EXPECT_NE(page.find("<title>p.jsonl · herscan report</title>"), std::string::npos);
}

// Frames series are pooled to at most 1200 columns: groups of ceil(n / 1200) frames averaged
// (the onset envelope: their maximum; matrices as bytes over their range), beat times kept.
TEST(Report, PoolsFramesSeries) {
  TempDir dir;
  const std::size_t n = 3000, factor = 3;  // ceil(3000 / 1200)
  json frames = {{"time_s", json::array()},
                 {"onset_strength", json::array()},
                 {"mel_db", json::array()},
                 {"loudness_time_s", {0.0, 0.1, 0.2}},
                 {"momentary_lufs", {-20.0, nullptr, -30.0}}};
  for (std::size_t i = 0; i < n; ++i) {
    frames["time_s"].push_back(static_cast<double>(i) * 0.02);
    frames["onset_strength"].push_back(static_cast<double>(i % 3));
    frames["mel_db"].push_back({-static_cast<double>(i % 3) * 10, 5.0});
  }
  const json record = {{"schema", "herscan.profile/1"},
                       {"file", "x.wav"},
                       {"tempo", {{"bpm", 100.0}, {"beats", {0.5, 1.1, 1.7}}}},
                       {"frames", frames}};
  write_file(dir / "p.jsonl", record.dump() + "\n");
  ASSERT_EQ(herscan(dir, {"report", (dir / "p.jsonl").string(), "-o", (dir / "r.html").string()})
                .exit_code,
            0);
  const json f = page_data(read_file(dir / "r.html"))["frames"]["0"];
  EXPECT_EQ(f["pooled"], factor);
  ASSERT_EQ(f["time_s"].size(), n / factor);
  EXPECT_EQ(f["time_s"][1], 0.06);
  ASSERT_EQ(f["onset_strength"].size(), n / factor);
  for (const auto& v : f["onset_strength"]) EXPECT_EQ(v, 2.0);  // max of 0, 1, 2
  // mel: columns of (mean of 0, -10, -20; 5) = (-10, 5), as bytes over [-10, 5]: 0 and 255.
  EXPECT_EQ(f["mel_db"]["bins"], 2);
  EXPECT_EQ(f["mel_db"]["lo"], -10.0);
  EXPECT_EQ(f["mel_db"]["hi"], 5.0);
  std::string bytes;
  for (std::size_t c = 0; c < n / factor; ++c) bytes += std::string{'\x00', '\xff'};
  EXPECT_EQ(f["mel_db"]["u8"], base64(bytes));
  EXPECT_EQ(f["momentary_lufs"], (json{-20.0, nullptr, -30.0}));  // 3 values: not pooled
  EXPECT_EQ(f["beats"], (json{0.5, 1.1, 1.7}));
}

TEST(Report, EmptyAndBadInput) {
  TempDir dir;
  write_file(dir / "empty.jsonl", "");
  ASSERT_EQ(
      herscan(dir, {"report", (dir / "empty.jsonl").string(), "-o", (dir / "e.html").string()})
          .exit_code,
      0);
  const json data = page_data(read_file(dir / "e.html"));
  EXPECT_EQ(data["count"], 0);
  EXPECT_TRUE(data["errors"].empty());
  // To standard output with -o -.
  const Result out = herscan(dir, {"report", (dir / "empty.jsonl").string(), "-o", "-"});
  EXPECT_EQ(out.exit_code, 0);
  EXPECT_EQ(page_data(out.out)["count"], 0);
  EXPECT_EQ(herscan(dir, {"report", (dir / "missing.jsonl").string(), "-o", "x.html"}).exit_code,
            1);
  EXPECT_EQ(herscan(dir, {"report", (dir / "empty.jsonl").string()}).exit_code, 2);  // no -o
  EXPECT_EQ(herscan(dir, {"report", (dir / "empty.jsonl").string(), "-o",
                          (dir / "no" / "such" / "folder.html").string()})
                .exit_code,
            1);
}

}  // namespace
}  // namespace herscan
