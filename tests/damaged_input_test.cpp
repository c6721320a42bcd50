// Damaged but playable files are profiled with warnings (docs/robustness.md): each damage is
// made here from a synthesised piece, and the profile of what decodes is compared with the
// profile of the same audio without the damage.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "test_signals.h"

namespace herscan {
namespace {

using json = nlohmann::json;
using namespace test::cli;
using test::TempDir;

constexpr int kRate = 44100;
constexpr double kBpm = 120;

std::vector<float> piece(double seconds = 16) {
  return test::chord_piece(seconds, kRate, kBpm);
}

std::vector<std::string> codes(const Profile& p) {
  std::vector<std::string> out;
  for (const auto& w : p.warnings) out.emplace_back(warning_code_name(w.code));
  return out;
}

ProfileOptions strict_options() {
  ProfileOptions o;
  o.strict = true;
  return o;
}

// The error strict mode raises for `path` (a test failure, and `internal`, when it raises none).
Error strict_error(const std::filesystem::path& path) {
  try {
    analyze_file(path, strict_options());
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << path << ": strict mode profiled a damaged file";
  return Error(ErrorCode::internal, "");
}

// The profile of what decodes matches the profile of the same audio without the damage:
// integrated loudness within 0.1 LU (absolute), the same tempo (within 4 %, the tolerance of
// MIREX tempo accuracy) and key.
void expect_same_music(const Profile& damaged, const Profile& clean) {
  ASSERT_TRUE(damaged.loudness && clean.loudness);
  EXPECT_NEAR(damaged.loudness->integrated_lufs, clean.loudness->integrated_lufs, 0.1);
  ASSERT_TRUE(damaged.tempo && clean.tempo && damaged.tempo->defined && clean.tempo->defined);
  EXPECT_NEAR(damaged.tempo->bpm, clean.tempo->bpm, 0.04 * clean.tempo->bpm);  // MIREX Acc1
  ASSERT_TRUE(damaged.tonal && clean.tonal);
  EXPECT_EQ(damaged.tonal->key.tonic, clean.tonal->key.tonic);
  EXPECT_EQ(damaged.tonal->key.minor, clean.tonal->key.minor);
}

TEST(DamagedInput, ThePieceHasItsTempoAndKey) {  // the comparisons below mean something
  TempDir dir;
  test::write_audio(dir / "piece.wav", piece(), 1, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Profile p = analyze_file(dir / "piece.wav");
  ASSERT_TRUE(p.tempo && p.tempo->defined);
  EXPECT_NEAR(p.tempo->bpm, kBpm, 2.0);
  EXPECT_EQ(p.tonal->key.tonic, 0);  // C
  EXPECT_FALSE(p.tonal->key.minor);
  EXPECT_TRUE(p.warnings.empty()) << codes(p).front();
}

// A FLAC and a WAV cut mid-stream: the profile of what was read, with `truncated`; the same as
// the profile of the audio up to the cut, written whole.
TEST(DamagedInput, CutFlacAndWavAreProfiledUpToTheCut) {
  TempDir dir;
  const auto x = piece();
  for (const int format : {SF_FORMAT_FLAC | SF_FORMAT_PCM_16, SF_FORMAT_WAV | SF_FORMAT_PCM_16}) {
    const auto path = dir / (format & SF_FORMAT_FLAC ? "cut.flac" : "cut.wav");
    test::write_audio(path, x, 1, kRate, format);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) * 6 / 10);
    const Profile damaged = analyze_file(path);
    ASSERT_EQ(codes(damaged), std::vector<std::string>{"truncated"}) << path;
    EXPECT_NE(damaged.warnings[0].message.find("of the 705600"), std::string::npos)
        << damaged.warnings[0].message;
    const std::int64_t got = damaged.format.frames;
    EXPECT_GT(got, std::int64_t(x.size()) / 2);
    EXPECT_LT(got, std::int64_t(x.size()) * 6 / 10 + 1);
    const auto whole = dir / "whole.wav";
    test::write_audio(whole, std::vector<float>(x.begin(), x.begin() + got), 1, kRate,
                      SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    expect_same_music(damaged, analyze_file(whole));
    const Error e = strict_error(path);
    EXPECT_EQ(e.code(), ErrorCode::truncated) << e.what();
  }
}

// Ogg's page CRC (RFC 3533): polynomial 0x04c11db7, MSB first, initial 0, over the page with
// its CRC field zeroed.
std::uint32_t ogg_crc(const std::string& page) {
  std::uint32_t crc = 0;
  for (unsigned char byte : page) {
    crc ^= std::uint32_t(byte) << 24;
    for (int i = 0; i < 8; ++i) crc = crc & 0x80000000u ? (crc << 1) ^ 0x04c11db7u : crc << 1;
  }
  return crc;
}

// The file: an Ogg Vorbis whose last page's granule position declares more frames than
// its packets hold. Profiled, with `truncated` naming the missing duration.
TEST(DamagedInput, OggThatOverDeclaresItsLengthIsProfiled) {
  TempDir dir;
  const auto x = piece();
  test::write_audio(dir / "clean.ogg", x, 1, kRate, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  std::string bytes = read_file(dir / "clean.ogg");
  const std::size_t last = bytes.rfind("OggS");
  ASSERT_NE(last, std::string::npos);
  std::int64_t granule = 0;
  std::memcpy(&granule, bytes.data() + last + 6, 8);  // little-endian, as x86 stores it
  ASSERT_EQ(granule, std::int64_t(x.size()));
  granule += 4410;  // 100 ms more than the packets hold
  std::memcpy(bytes.data() + last + 6, &granule, 8);
  std::memset(bytes.data() + last + 22, 0, 4);
  const std::uint32_t crc = ogg_crc(bytes.substr(last));
  for (int i = 0; i < 4; ++i) bytes[last + 22 + std::size_t(i)] = char((crc >> (8 * i)) & 0xFF);
  write_file(dir / "long.ogg", bytes);

  const Profile damaged = analyze_file(dir / "long.ogg");
  const Profile clean = analyze_file(dir / "clean.ogg");
  ASSERT_EQ(codes(damaged), std::vector<std::string>{"truncated"});
  EXPECT_NE(damaged.warnings[0].message.find("of the 710010 frames the header declares"),
            std::string::npos)
      << damaged.warnings[0].message;
  // The decoder no longer trims the last packet's padding (at most one 2048-sample block).
  EXPECT_NEAR(double(damaged.format.frames), double(clean.format.frames), 2048);
  expect_same_music(damaged, clean);
}

// An Ogg cut inside a page (libsndfile alone declares 2^63 - 1 frames and decodes nothing): the
// audio up to the last whole page.
TEST(DamagedInput, OggCutInsideAPageIsProfiledUpToTheLastWholePage) {
  TempDir dir;
  const auto x = piece();
  test::write_audio(dir / "cut.ogg", x, 1, kRate, SF_FORMAT_OGG | SF_FORMAT_VORBIS);
  std::filesystem::resize_file(dir / "cut.ogg",
                               std::filesystem::file_size(dir / "cut.ogg") * 6 / 10);
  const Profile damaged = analyze_file(dir / "cut.ogg");
  ASSERT_EQ(codes(damaged), std::vector<std::string>{"truncated"});
  EXPECT_NE(damaged.warnings[0].message.find("inside an Ogg page"), std::string::npos);
  EXPECT_GT(damaged.format.frames, std::int64_t(x.size()) / 2);
  const auto whole = dir / "whole.wav";
  test::write_audio(whole, std::vector<float>(x.begin(), x.begin() + damaged.format.frames), 1,
                    kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  expect_same_music(damaged, analyze_file(whole));
}

// An MP3 with a corrupt frame in the middle: the corrupt bytes are cut out of what the decoder
// sees (libsndfile's decoder alone stops there for good), with `decoder_errors_skipped`.
TEST(DamagedInput, Mp3WithACorruptFrameIsDecodedPastIt) {
  TempDir dir;
  const auto x = piece();
  test::write_audio(dir / "clean.mp3", x, 1, kRate, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  std::string bytes = read_file(dir / "clean.mp3");
  std::uint32_t state = 12345;
  for (std::size_t i = bytes.size() * 45 / 100; i < bytes.size() * 45 / 100 + 700; ++i) {
    state = state * 1664525u + 1013904223u;
    bytes[i] = char(state >> 24);
  }
  write_file(dir / "corrupt.mp3", bytes);
  const Profile damaged = analyze_file(dir / "corrupt.mp3");
  const Profile clean = analyze_file(dir / "clean.mp3");
  ASSERT_EQ(codes(damaged), std::vector<std::string>{"decoder_errors_skipped"});
  EXPECT_NE(damaged.warnings[0].message.find("1 corrupt region"), std::string::npos)
      << damaged.warnings[0].message;
  // The silence put back keeps the time of what follows within 0.2 s (the decoder
  // also drops frames whose bit reservoir was in the damage).
  EXPECT_NEAR(double(damaged.format.frames), double(clean.format.frames), 8 * 1152);
  expect_same_music(damaged, clean);
  const Error e = strict_error(dir / "corrupt.mp3");
  EXPECT_EQ(e.code(), ErrorCode::truncated) << e.what();
}

// A WAV as streaming writers leave it: the RIFF and data sizes 0 (libsndfile alone reads no
// frame) or 0xFFFFFFFF. Every sample is read; the profile equals the intact file's.
TEST(DamagedInput, WavWithPlaceholderSizesIsReadWhole) {
  TempDir dir;
  test::write_audio(dir / "clean.wav", piece(8), 1, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::string clean_bytes = read_file(dir / "clean.wav");
  const std::size_t data = clean_bytes.find("data");
  ASSERT_NE(data, std::string::npos);
  const Profile clean = analyze_file(dir / "clean.wav");
  for (const char placeholder : {'\0', '\xff'}) {
    std::string bytes = clean_bytes;
    for (std::size_t at : {std::size_t(4), data + 4}) bytes.replace(at, 4, 4, placeholder);
    write_file(dir / "streamed.wav", bytes);
    const Profile p = analyze_file(dir / "streamed.wav");
    ASSERT_EQ(codes(p), std::vector<std::string>{"header_size_mismatch"});
    EXPECT_EQ(p.format.frames, clean.format.frames);
    EXPECT_EQ(p.loudness->integrated_lufs, clean.loudness->integrated_lufs);
    EXPECT_EQ(p.tempo->bpm, clean.tempo->bpm);
    const Error e = strict_error(dir / "streamed.wav");
    EXPECT_EQ(e.code(), ErrorCode::invalid_format) << e.what();
  }
}

// A 10-sample file: a degenerate profile (loudness peaks, frame-based blocks null) with
// `too_short`, never an error, strict or not.
TEST(DamagedInput, TenSamplesGiveADegenerateProfile) {
  TempDir dir;
  test::write_audio(dir / "ten.wav", test::sine(1000, 0.5, kRate, 10), 1, kRate,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  for (const ProfileOptions& options : {ProfileOptions{}, strict_options()}) {
    const Profile p = analyze_file(dir / "ten.wav", options);
    ASSERT_EQ(codes(p), std::vector<std::string>{"too_short"});
    EXPECT_FALSE(p.tempo || p.spectral);
    ASSERT_TRUE(p.loudness);
    EXPECT_TRUE(std::isfinite(p.loudness->sample_peak_dbfs));
    const auto j = to_json(p);
    EXPECT_TRUE(j["tempo"].is_null());
    EXPECT_EQ(j["warnings"][0]["code"], "too_short");
  }
}

// NaN and ±Inf samples in a float file are replaced by 0 with a warning that counts them and
// names the first; the profile equals that of the file with zeros written there. Strict mode
// refuses the file as before (non_finite).
TEST(DamagedInput, NonFiniteSamplesAreZeroedWithAWarning) {
  TempDir dir;
  auto x = piece(8);
  std::vector<float> zeroed = x;
  for (std::size_t i : {std::size_t(30000), std::size_t(30001), std::size_t(200000)}) {
    x[i] = i == 30001 ? -INFINITY : NAN;
    zeroed[i] = 0;
  }
  test::write_audio(dir / "nan.wav", x, 1, kRate, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  test::write_audio(dir / "zero.wav", zeroed, 1, kRate, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Profile p = analyze_file(dir / "nan.wav");
  ASSERT_EQ(codes(p), std::vector<std::string>{"non_finite_samples_zeroed"});
  EXPECT_NE(p.warnings[0].message.find("3 of 352800 samples"), std::string::npos)
      << p.warnings[0].message;
  EXPECT_NE(p.warnings[0].message.find("a NaN, at frame 30000 (0.680 s), channel 1"),
            std::string::npos)
      << p.warnings[0].message;
  const Profile z = analyze_file(dir / "zero.wav");
  EXPECT_EQ(p.loudness->integrated_lufs, z.loudness->integrated_lufs);
  EXPECT_EQ(p.tempo->bpm, z.tempo->bpm);
  EXPECT_EQ(p.spectral->centroid_hz.mean, z.spectral->centroid_hz.mean);
  const Error e = strict_error(dir / "nan.wav");
  EXPECT_EQ(e.code(), ErrorCode::non_finite);
  EXPECT_NE(std::string(e.what()).find("NaN sample at frame 30000"), std::string::npos);
  // Nothing finite: nothing usable decodes.
  test::write_audio(dir / "all-nan.wav", std::vector<float>(5000, NAN), 1, kRate,
                    SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  try {
    analyze_file(dir / "all-nan.wav");
    ADD_FAILURE() << "a file of NaNs was profiled";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::non_finite) << e.what();
  }
}

// Notes on the content: clipping (runs of 3+ samples at full scale), a DC offset, silence.
// They are notes, not damage: strict mode profiles such files too.
TEST(DamagedInput, ContentNotes) {
  TempDir dir;
  auto clipped = piece(4);
  for (auto& v : clipped) v = std::clamp(v * 8.0f, -1.0f, 1.0f);
  test::write_audio(dir / "clipped.wav", clipped, 1, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  auto offset = piece(4);
  for (auto& v : offset) v += 0.05f;
  test::write_audio(dir / "dc.wav", offset, 1, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  test::write_audio(dir / "silence.wav", std::vector<float>(kRate * 2, 0.0f), 1, kRate,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Profile c = analyze_file(dir / "clipped.wav", strict_options());
  EXPECT_EQ(codes(c), std::vector<std::string>{"clipped_samples"});
  const Profile d = analyze_file(dir / "dc.wav", strict_options());
  ASSERT_EQ(codes(d), std::vector<std::string>{"dc_offset"});
  EXPECT_NE(d.warnings[0].message.find("channel 1 mean +0.05"), std::string::npos)
      << d.warnings[0].message;
  const Profile s = analyze_file(dir / "silence.wav", strict_options());
  EXPECT_EQ(codes(s), std::vector<std::string>{"silence_only"});
  // A single full-scale peak, or two samples, is no clipping.
  ContentChecker checker(kRate, 2);
  const float peaks[] = {1.0f, 0.0f, 1.0f, 0.0f, 0.5f, -1.0f, 0.1f, -1.0f, 0.1f, 0.1f};
  checker.push(peaks, 5);
  EXPECT_TRUE(checker.finish().empty());
  // Block boundaries do not matter: a run of 4 split 1 + 3 is one run of 4 samples.
  ContentChecker split(kRate, 1);
  const float run[] = {0.2f, 1.0f, -1.0f, 1.0f, 1.0f, 0.2f};
  split.push(run, 2);
  split.push(run + 2, 4);
  const auto notes = split.finish();
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].message.find("4 samples"), std::string::npos) << notes[0].message;
  EXPECT_NE(notes[0].message.find("in 1 runs"), std::string::npos) << notes[0].message;
}

// The command line: warnings in JSON, on one line of the text view, as a CSV column, counted
// in the batch summary; --strict turns the damage into error records (exit 1).
TEST(DamagedInput, CommandLineShowsWarningsAndStrictRefuses) {
  TempDir dir;
  test::write_audio(dir / "good.wav", piece(6), 1, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  test::write_audio(dir / "cut.flac", piece(6), 1, kRate, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  std::filesystem::resize_file(dir / "cut.flac", std::filesystem::file_size(dir / "cut.flac") / 2);
  const std::string cut = (dir / "cut.flac").string(), good = (dir / "good.wav").string();

  const Result batch = herscan(dir, {good, cut, "--features", "loudness"});
  EXPECT_EQ(batch.exit_code, 0) << batch.err;
  const auto records = json_lines(batch.out);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[0].contains("warnings"));
  EXPECT_EQ(records[1]["warnings"][0]["code"], "truncated");
  EXPECT_NE(batch.err.find("2 analysed (1 with warnings), 0 failed"), std::string::npos)
      << batch.err;
  std::ofstream(dir / "records.jsonl") << batch.out;
  expect_valid_against_schema(dir / "records.jsonl");

  const Result text = herscan(dir, {cut, "--format", "text", "--features", "loudness"});
  EXPECT_NE(text.out.find("  warnings  truncated (decoding stopped after"), std::string::npos)
      << text.out;

  const Result csv = herscan(dir, {good, cut, "--format", "csv", "--features", "loudness", "-q"});
  const auto header_end = csv.out.find('\n');
  EXPECT_EQ(csv.out.substr(0, header_end).find("file,error.code,error.message,warnings,"), 0u)
      << csv.out.substr(0, header_end);
  EXPECT_NE(csv.out.find(cut + ",,,truncated,"), std::string::npos) << csv.out;
  EXPECT_NE(csv.out.find(good + ",,,,"), std::string::npos) << csv.out;

  const Result strict = herscan(dir, {good, cut, "--strict", "--features", "loudness", "-q"});
  EXPECT_EQ(strict.exit_code, 1);
  const auto strict_records = json_lines(strict.out);
  ASSERT_EQ(strict_records.size(), 2u);
  EXPECT_FALSE(strict_records[0].contains("error"));
  EXPECT_EQ(strict_records[1]["error"]["code"], "truncated");

  const Result loud = herscan_loudness(dir, {cut, "--strict", "-f", "jsonl"});
  EXPECT_EQ(loud.exit_code, 1);
  const Result isolated = herscan(dir, {cut, "--strict", "--isolate", "-f", "jsonl"});
  EXPECT_EQ(isolated.exit_code, 1) << "--strict reaches the worker processes";
}

}  // namespace
}  // namespace herscan
