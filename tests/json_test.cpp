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

}  // namespace
}  // namespace herscan
