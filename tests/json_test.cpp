#include "herscan/json.h"

#include <gtest/gtest.h>

#include <cmath>

namespace herscan {
namespace {

Profile sample_profile() {
  Profile p;
  p.file = "a.flac";
  p.format.container = "FLAC";
  p.format.codec = "flac";
  p.format.sample_rate_hz = 44100;
  p.format.channels = 2;
  p.format.frames = 441000;
  p.format.bit_depth = 16;
  p.spectral.emplace();
  p.spectral->frames = 10;
  p.spectral->centroid_hz = {1234.567891234, 12.3456789};
  p.spectral->flatness = {NAN, INFINITY};
  p.analysis.version = "0.1.0";
  return p;
}

TEST(Json, ProfileHasSchemaFileAndBlocks) {
  const auto j = to_json(sample_profile());
  EXPECT_EQ(j["schema"], "herscan.profile/1");
  EXPECT_EQ(j["file"], "a.flac");
  EXPECT_EQ(j["format"]["sample_rate_hz"], 44100);
  EXPECT_EQ(j["format"]["duration_s"], 10);
  EXPECT_EQ(j["format"]["bit_depth"], 16);
  EXPECT_TRUE(j["format"]["channel_layout"].is_null());
  EXPECT_TRUE(j.contains("spectral"));
  EXPECT_TRUE(j.contains("analysis"));
  // Keys keep a reading order: schema and file first.
  EXPECT_EQ(j.begin().key(), "schema");
}

TEST(Json, NonFiniteBecomesNullNeverNaN) {
  const auto j = to_json(sample_profile());
  EXPECT_TRUE(j["spectral"]["flatness"]["mean"].is_null());
  EXPECT_TRUE(j["spectral"]["flatness"]["std"].is_null());
  const std::string text = j.dump();
  EXPECT_EQ(text.find("nan"), std::string::npos);
  EXPECT_EQ(text.find("inf"), std::string::npos);
  EXPECT_EQ(text.find("NaN"), std::string::npos);
}

TEST(Json, NumbersCarrySevenSignificantDigits) {
  const auto j = to_json(sample_profile());
  EXPECT_DOUBLE_EQ(j["spectral"]["centroid_hz"]["mean"].get<double>(), 1234.568);
  EXPECT_DOUBLE_EQ(j["spectral"]["centroid_hz"]["std"].get<double>(), 12.34568);
}

TEST(Json, ErrorRecord) {
  const auto j = error_record("x.wav", ErrorCode::not_audio, "not a readable audio file");
  EXPECT_EQ(j["schema"], "herscan.profile/1");
  EXPECT_EQ(j["file"], "x.wav");
  EXPECT_EQ(j["error"]["code"], "not_audio");
  EXPECT_EQ(j["error"]["message"], "not a readable audio file");
}

// A name that is not UTF-8 is kept exactly in file_bytes (base64); UTF-8 names have none.
TEST(Json, FileNamesThatAreNotUtf8AreKeptExactlyInFileBytes) {
  const std::vector<std::string> utf8 = {"",
                                         "plain.flac",
                                         "caf\xc3\xa9.flac",
                                         "\xe2\x82\xac.wav",
                                         "\xf0\x9f\x8e\xb9.flac",
                                         "\xf4\x8f\xbf\xbf"};
  for (const auto& name : utf8) {
    const auto j = error_record(name, ErrorCode::not_audio, "m");
    EXPECT_FALSE(j.contains("file_bytes")) << name;
    EXPECT_EQ(record_file(j), name);
  }
  // Latin-1, a lone continuation byte, overlong '/', a UTF-16 surrogate, above U+10FFFF, a
  // sequence cut short, and names of 1, 2 and 3 bytes (every base64 padding).
  const std::vector<std::string> not_utf8 = {
      "caf\xe9.flac", "\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
      "ab\xe2\x82",   "\xff", "\xff\xfe", "\xff\xfe\xfd"};
  for (const auto& name : not_utf8) {
    const auto j = error_record(name, ErrorCode::not_audio, "cannot open " + name);
    ASSERT_TRUE(j.contains("file_bytes")) << name;
    EXPECT_EQ(j["file_bytes"].get<std::string>().size() % 4, 0u);
    EXPECT_EQ(record_file(j), name);
    // Every string is valid UTF-8: a plain dump() works (it throws on invalid UTF-8), and the
    // record parses back to the same bytes.
    const auto back = nlohmann::ordered_json::parse(j.dump());
    EXPECT_EQ(record_file(back), name);
    EXPECT_NE(back["file"].get<std::string>().find("\xef\xbf\xbd"), std::string::npos);
  }
  EXPECT_EQ(error_record("caf\xe9", ErrorCode::not_audio, "m")["file_bytes"], "Y2Fm6Q==");
  EXPECT_EQ(error_record("\xff\xfe\xfd", ErrorCode::not_audio, "m")["file_bytes"], "//79");
}

}  // namespace
}  // namespace herscan
