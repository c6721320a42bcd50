// The bad-input suite (docs/robustness.md): files a user's folder may hold, made here, each run
// through `herscan` with its expected outcome asserted: the error code and what the message
// names, never a crash, always one valid JSON record per input.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "herscan/error.h"
#include "herscan/profile.h"
#include "test_signals.h"

namespace herscan {
namespace {

using json = nlohmann::json;
using namespace test::cli;
using test::TempDir;

// A canonical 44-byte PCM WAV header with the given fields, then `data_bytes` of a quiet ramp.
std::string wav_bytes(std::uint16_t channels, std::uint32_t rate, std::uint16_t bits,
                      std::uint32_t data_bytes) {
  std::string s;
  const auto u32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
  };
  const auto u16 = [&](std::uint16_t v) {
    s.push_back(char(v & 0xff));
    s.push_back(char(v >> 8));
  };
  s += "RIFF";
  u32(36 + data_bytes);
  s += "WAVEfmt ";
  u32(16);
  u16(1);  // PCM
  u16(channels);
  u32(rate);
  u32(rate * channels * (bits / 8u));
  u16(std::uint16_t(channels * (bits / 8u)));
  u16(bits);
  s += "data";
  u32(data_bytes);
  for (std::uint32_t i = 0; i < data_bytes; ++i) s.push_back(char(i % 7));
  return s;
}

std::string base64_decode(const std::string& text) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  unsigned value = 0;
  int bits = 0;
  for (char c : text) {
    if (c == '=') break;
    const std::size_t digit = alphabet.find(c);
    EXPECT_NE(digit, std::string::npos) << "not base64: " << text;
    value = (value << 6) | unsigned(digit);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((value >> bits) & 0xff));
    }
  }
  EXPECT_EQ(text.size() % 4, 0u) << "base64 is padded to whole quads: " << text;
  return out;
}

// A 2-second noise file in `format`, cut to `fraction` of its size.
void write_cut(const std::filesystem::path& p, int format, double fraction) {
  test::write_audio(p, test::white_noise(44100 * 2, 0.3, 5), 1, 44100, format);
  std::filesystem::resize_file(p, std::uintmax_t(double(std::filesystem::file_size(p)) * fraction));
}

struct Case {
  std::string name;
  std::string code;     // expected error code
  std::string message;  // a part of the message
};

void expect_outcomes(const TempDir& dir, const std::vector<Case>& cases,
                     const std::vector<std::string>& options = {}) {
  std::vector<std::string> args = options;
  for (const auto& c : cases) args.push_back((dir / c.name).string());
  args.push_back("-q");
  const Result r = herscan(dir, args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  const auto records = json_lines(r.out);  // fails the test on invalid JSON
  ASSERT_EQ(records.size(), cases.size()) << r.out;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json& rec = records[i];
    ASSERT_TRUE(rec.contains("error")) << cases[i].name << ": " << rec.dump();
    EXPECT_EQ(rec["error"]["code"], cases[i].code) << cases[i].name << ": " << rec.dump();
    const auto message = rec["error"]["message"].get<std::string>();
    EXPECT_NE(message.find(cases[i].message), std::string::npos)
        << cases[i].name << ": " << message;
  }
  std::ofstream(dir / "records.jsonl") << r.out;
  expect_valid_against_schema(dir / "records.jsonl");
}

TEST(BadInput, HeadersWithImpossibleValuesAreRefusedWithTheReason) {
  TempDir dir;
  write_file(dir / "zero-channels.wav", wav_bytes(0, 44100, 16, 4000));
  write_file(dir / "zero-hz.wav", wav_bytes(1, 0, 16, 4000));
  write_file(dir / "100-channels.wav", wav_bytes(100, 44100, 16, 40000));
  write_file(dir / "1-hz.wav", wav_bytes(1, 1, 16, 4000));
  write_file(dir / "10-mhz.wav", wav_bytes(1, 10000000, 16, 4000));
  expect_outcomes(dir, {
                           {"zero-channels.wav", "not_audio", "libsndfile"},
                           {"zero-hz.wav", "not_audio", "libsndfile"},
                           {"100-channels.wav", "invalid_format", "100 channels; at most 64"},
                           {"1-hz.wav", "invalid_format", "sample rate of 1 Hz"},
                           {"10-mhz.wav", "invalid_format", "10000000 Hz"},
                       });
}

TEST(BadInput, TextAndZeroBytesUnderAudioNames) {
  TempDir dir;
  for (const char* name : {"text.wav", "text.flac", "text.mp3", "text.ogg"})
    std::ofstream(dir / name) << "Photograph / Dimensions: not audio, just words\n";
  std::ofstream(dir / "zero.mp3").close();
  // (A directory named x.wav is walked as a folder by the command line; the library's answer,
  // not_a_file, is asserted in audio_file_test.cpp.)
  expect_outcomes(dir, {{"text.wav", "not_audio", "not a readable audio file"},
                        {"text.flac", "not_audio", "not a readable audio file"},
                        {"text.mp3", "not_audio", "not a readable audio file"},
                        {"text.ogg", "not_audio", "not a readable audio file"},
                        {"zero.mp3", "empty_file", "0 bytes"}});
}

TEST(BadInput, NonFiniteSamples) {
  TempDir dir;
  auto inf_signal = test::sine(440, 0.5, 44100, 44100);
  inf_signal[30000] = -INFINITY;
  test::write_audio(dir / "inf.wav", inf_signal, 1, 44100, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  // Strict mode refuses them (without it they are zeroed with a warning: damaged_input_test).
  expect_outcomes(dir, {{"inf.wav", "non_finite", "infinite sample at frame 30000"}}, {"--strict"});
}

// Shorter than one analysis frame (2048 / 22050 s = 92.9 ms): a degenerate profile, not an
// error. The frame-based blocks are null with the reason; loudness says what it can.
TEST(BadInput, FilesShorterThanOneFrameGetDegenerateProfiles) {
  TempDir dir;
  test::write_audio(dir / "one-sample.wav", {0.25f}, 1, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  test::write_audio(dir / "header-only.wav", {}, 1, 44100, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  test::write_audio(dir / "90ms.flac", test::sine(440, 0.5, 44100, 3969), 1, 44100,
                    SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  const std::vector<std::pair<std::string, std::int64_t>> files = {
      {"one-sample.wav", 1}, {"header-only.wav", 0}, {"90ms.flac", 3969}};
  std::vector<std::string> args;
  for (const auto& f : files) args.push_back((dir / f.first).string());
  for (const char* a : {"-q", "--features", "loudness,spectral,mfcc,key,chroma,tempo,beats"})
    args.push_back(a);
  const Result r = herscan(dir, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), files.size());
  for (std::size_t i = 0; i < files.size(); ++i) {
    const json& rec = records[i];
    SCOPED_TRACE(files[i].first);
    ASSERT_FALSE(rec.contains("error")) << rec.dump();
    EXPECT_EQ(rec["format"]["frames"], files[i].second);
    for (const char* block : {"spectral", "mfcc", "key", "chroma", "tempo"}) {
      ASSERT_TRUE(rec.contains(block)) << block;
      EXPECT_TRUE(rec[block].is_null()) << block;
      const std::string why = rec["null_reasons"][block];
      EXPECT_NE(why.find("too short"), std::string::npos) << why;
      EXPECT_NE(why.find("0.0929 s"), std::string::npos) << why;
      EXPECT_NE(why.find("(" + std::to_string(files[i].second) + " frames)"), std::string::npos)
          << why;
    }
    EXPECT_TRUE(rec["loudness"]["integrated_lufs"].is_null());
    EXPECT_TRUE(rec["loudness"]["null_reasons"].contains("integrated_lufs"));
  }
  // 0.25 = -12.04 dBFS; 0.5 = -6.02 dBFS (the sine reaches its peak within 3969 samples).
  EXPECT_NEAR(records[0]["loudness"]["sample_peak_dbfs"].get<double>(), 20 * std::log10(0.25),
              1e-3);
  EXPECT_NEAR(records[2]["loudness"]["sample_peak_dbfs"].get<double>(), 20 * std::log10(0.5), 1e-3);
  std::ofstream(dir / "records.jsonl") << r.out;
  expect_valid_against_schema(dir / "records.jsonl");

  // The text view says which blocks are missing and why; herscan-frames gives no rows.
  const Result text = herscan(dir, {(dir / "90ms.flac").string(), "--format", "text"});
  EXPECT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("not shown"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("too short"), std::string::npos) << text.out;
  const Result frames = herscan_frames(dir, {(dir / "90ms.flac").string(), "--series", "rms"});
  EXPECT_EQ(frames.exit_code, 0) << frames.err;
  EXPECT_EQ(frames.out, "time_s,rms\n");
  EXPECT_NE(frames.err.find("no analysis frames: too short"), std::string::npos) << frames.err;
}

// Cut files, in every format: the audio up to the cut is profiled with a `truncated` warning;
// a cut in the header (5 %, for a small file) may leave nothing that decodes (truncated or
// not_audio). Never a crash, always one valid record per file.
TEST(BadInput, FilesCutAtSeveralPoints) {
  TempDir dir;
  std::vector<std::string> args;
  for (double fraction : {0.05, 0.3, 0.7, 0.97}) {
    const std::string f = std::to_string(int(fraction * 100));
    write_cut(dir / ("cut" + f + ".flac"), SF_FORMAT_FLAC | SF_FORMAT_PCM_16, fraction);
    write_cut(dir / ("cut" + f + ".wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, fraction);
    write_cut(dir / ("cut" + f + ".ogg"), SF_FORMAT_OGG | SF_FORMAT_VORBIS, fraction);
    write_cut(dir / ("cut" + f + ".mp3"), SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, fraction);
    for (const char* ext : {".flac", ".wav", ".ogg", ".mp3"})
      args.push_back((dir / ("cut" + f + ext)).string());
  }
  args.push_back("-q");
  const Result r = herscan(dir, args);
  EXPECT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.exit_code << r.err;
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), args.size() - 1);
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& rec = records[i];
    const std::string file = rec["file"];
    if (rec.contains("error")) {
      EXPECT_NE(file.find("cut5."), std::string::npos) << file << ": " << rec.dump();
      const std::string code = rec["error"]["code"];
      EXPECT_TRUE(code == "truncated" || code == "not_audio") << file << ": " << rec.dump();
      continue;
    }
    EXPECT_LT(rec["format"]["duration_s"].get<double>(), 2.0) << file;
    ASSERT_TRUE(rec.contains("warnings")) << file << ": a cut file without a warning";
    EXPECT_EQ(rec["warnings"][0]["code"], "truncated") << file << ": " << rec["warnings"].dump();
  }
  std::ofstream(dir / "records.jsonl") << r.out;
  expect_valid_against_schema(dir / "records.jsonl");
}

TEST(BadInput, PathsThatCannotBeOpened) {
  TempDir dir;
  std::filesystem::create_symlink(dir / "loop-a.flac", dir / "loop-b.flac");
  std::filesystem::create_symlink(dir / "loop-b.flac", dir / "loop-a.flac");
  // A path longer than PATH_MAX (4096), through nested directories of 200 characters each.
  std::filesystem::path deep = dir.path();
  const std::string part(200, 'd');
  std::vector<Case> cases = {{"loop-a.flac", "unreadable", "Too many levels of symbolic links"}};
  std::string relative;
  for (int i = 0; i < 22; ++i) relative += part + "/";
  relative += "long.flac";
  cases.push_back({relative, "unreadable", "File name too long"});
  if (::geteuid() != 0) {  // root reads anything
    test::write_audio(dir / "locked.flac", test::sine(440, 0.5, 44100, 44100), 1, 44100,
                      SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    std::filesystem::permissions(dir / "locked.flac", std::filesystem::perms::none);
    cases.push_back({"locked.flac", "unreadable", "Permission denied"});
  }
  expect_outcomes(dir, cases);
}

TEST(BadInput, NamesWithNewlinesQuotesAndInvalidUtf8AreEscapedInJson) {
  TempDir dir;
  const std::vector<std::string> names = {"new\nline.flac", "quote\"back\\slash.flac",
                                          "tab\tand\x01control.flac", "latin1-\xe9t\xe9.flac"};
  std::vector<std::string> args;
  for (const auto& name : names) {
    test::write_audio(dir / name, test::sine(440, 0.5, 22050, 22050), 1, 22050,
                      SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
    args.push_back((dir / name).string());
  }
  args.push_back("-q");
  args.push_back("--features");
  args.push_back("loudness");
  const Result r = herscan(dir, args);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), names.size());
  for (std::size_t i = 0; i + 1 < names.size(); ++i)  // valid UTF-8: the name itself
    EXPECT_EQ(records[i]["file"], (dir / names[i]).string());
  for (std::size_t i = 0; i + 1 < names.size(); ++i)
    EXPECT_FALSE(records[i].contains("file_bytes"));
  // Invalid UTF-8 (a Latin-1 name): in `file` each bad byte becomes U+FFFD, so the JSON stays
  // valid; `file_bytes` holds the exact name in base64 (docs/robustness.md).
  const std::string latin1 = (dir / names.back()).string();
  EXPECT_EQ(records.back()["file"], (dir / "latin1-\xef\xbf\xbdt\xef\xbf\xbd.flac").string());
  EXPECT_EQ(base64_decode(records.back()["file_bytes"]), latin1);

  // --resume recognises the Latin-1 name from file_bytes: nothing is analysed twice.
  const auto out = (dir / "out.jsonl").string();
  const Result first =
      herscan(dir, {latin1, (dir / names[0]).string(), "-q", "--features", "loudness", "-o", out});
  EXPECT_EQ(first.exit_code, 0) << first.err;
  const Result again = herscan(dir, {latin1, (dir / names[0]).string(), "-q", "--features",
                                     "loudness", "-o", out, "--resume"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  const auto resumed = json_lines(read_file(out));
  ASSERT_EQ(resumed.size(), 2u) << read_file(out);
  EXPECT_EQ(base64_decode(resumed[0]["file_bytes"]), latin1);
  expect_valid_against_schema(out);
}

// A directory named like an audio file: the library refuses it as not a file; the command line
// walks it as a folder, given directly or met inside another folder.
TEST(BadInput, DirectoryNamedLikeAnAudioFile) {
  TempDir dir;
  std::filesystem::create_directories(dir / "x.wav" / "inner.flac");
  write_good(dir, "x.wav/inner.flac/song.flac");
  try {
    analyze_file(dir / "x.wav");
    ADD_FAILURE() << "a directory was analysed";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_a_file) << e.what();
  }
  for (const std::string& arg : {(dir / "x.wav").string(), dir.path().string()}) {
    const Result r = herscan(dir, {arg, "-q", "--features", "loudness"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const auto records = json_lines(r.out);
    ASSERT_EQ(records.size(), 1u) << r.out;
    EXPECT_EQ(records[0]["file"], (dir / "x.wav" / "inner.flac" / "song.flac").string());
    EXPECT_FALSE(records[0].contains("error"));
  }
}

}  // namespace
}  // namespace herscan
