// End-to-end tests of the herscan command: formats, -o, exit codes, bad input, pipes.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "herscan/version.h"
#include "test_signals.h"

namespace herscan {
namespace {

using json = nlohmann::json;
using namespace test::cli;
using test::TempDir;

TEST(Cli, DemoTrackProfileIsValidJson) {
  TempDir dir;
  const Result r = herscan(dir, {kDemo, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const json p = json::parse(r.out);
  ASSERT_TRUE(p.is_object()) << "one file: a bare object";
  EXPECT_EQ(p["schema"], "herscan.profile/1");
  EXPECT_EQ(p["file"], kDemo);
  EXPECT_EQ(p["format"]["container"], "FLAC");
  EXPECT_EQ(p["analysis"]["version"], HERSCAN_VERSION_STRING);
  EXPECT_GT(p["spectral"]["centroid_hz"]["mean"].get<double>(), 0);
  std::ofstream(dir / "demo.json") << r.out;
  expect_valid_against_schema(dir / "demo.json");
}

TEST(Cli, JsonLinesWhenStdoutIsNotATerminal) {
  TempDir dir;
  const auto good = write_good(dir);
  const Result r = herscan(dir, {good.string(), good.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["file"], good.string());
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 2);
}

TEST(Cli, JsonWithSeveralFilesIsAnArray) {
  TempDir dir;
  const auto good = write_good(dir);
  const Result r = herscan(dir, {"--format", "json", good.string(), good.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json a = json::parse(r.out);
  ASSERT_TRUE(a.is_array());
  EXPECT_EQ(a.size(), 2u);
}

TEST(Cli, TextSummaryIsReadable) {
  TempDir dir;
  const auto good = write_good(dir);
  const Result r = herscan(dir, {"--format", "text", good.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("FLAC (flac), 44100 Hz, 2 ch, 16-bit, 1.00 s"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("centroid"), std::string::npos) << r.out;
}

TEST(Cli, CsvHasOneRowPerFileAndStableColumns) {
  TempDir dir;
  const auto good = write_good(dir, "a, \"quoted\" name.flac");
  const Result r = herscan(dir, {"--format", "csv", good.string(), (dir / "missing.wav").string()});
  EXPECT_EQ(r.exit_code, 1);
  std::istringstream in(r.out);
  std::string header, row1, row2, extra;
  ASSERT_TRUE(std::getline(in, header));
  ASSERT_TRUE(std::getline(in, row1));
  ASSERT_TRUE(std::getline(in, row2));
  EXPECT_FALSE(std::getline(in, extra));
  const auto columns = csv_fields(header);
  EXPECT_EQ(columns[0], "file");
  EXPECT_NE(std::find(columns.begin(), columns.end(), "spectral.centroid_hz.mean"), columns.end());
  EXPECT_NE(std::find(columns.begin(), columns.end(), "error.code"), columns.end());
  const auto good_row = csv_fields(row1), bad_row = csv_fields(row2);
  ASSERT_EQ(good_row.size(), columns.size());
  ASSERT_EQ(bad_row.size(), columns.size());
  EXPECT_EQ(good_row[0], good.string()) << "quoting round-trips the file name";
  const auto code = std::find(columns.begin(), columns.end(), "error.code") - columns.begin();
  EXPECT_EQ(bad_row[std::size_t(code)], "not_found");
  EXPECT_EQ(good_row[std::size_t(code)], "");
}

TEST(Cli, OutputFileIsWrittenAtomicallyInTheFormatOfItsExtension) {
  TempDir dir;
  const auto good = write_good(dir);
  const auto out = dir / "profiles.json";
  const Result r = herscan(dir, {good.string(), "-o", out.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "") << "results go to the file, not stdout";
  const json a = json::parse(read_file(out));
  ASSERT_TRUE(a.is_array()) << ".json output is always an array";
  EXPECT_EQ(a.size(), 1u);
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << "temporary left behind";
  expect_valid_against_schema(out);

  const auto csv = dir / "t.csv";
  ASSERT_EQ(herscan(dir, {good.string(), "-o", csv.string()}).exit_code, 0);
  EXPECT_EQ(read_file(csv).rfind("file,", 0), 0u);
  const auto jsonl = dir / "t.jsonl";
  ASSERT_EQ(herscan(dir, {good.string(), "-o", jsonl.string()}).exit_code, 0);
  EXPECT_EQ(json_lines(read_file(jsonl)).size(), 1u);
}

// Every bad input gets an error record and a stderr line (with --strict, the damaged files
// too); the good file is still analysed; the exit status is 1.
TEST(Cli, BadInputsGetErrorRecordsAndTheRestIsAnalysed) {
  TempDir dir;
  const auto good = write_good(dir);
  std::ofstream(dir / "empty.flac").close();
  std::ofstream(dir / "text.flac") << "not audio at all, just words\n";
  const auto noise = test::white_noise(44100 * 2, 0.3, 1);
  test::write_audio(dir / "truncated.flac", noise, 1, 44100, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  std::filesystem::resize_file(dir / "truncated.flac",
                               std::filesystem::file_size(dir / "truncated.flac") / 2);
  auto nan_signal = test::sine(440, 0.5, 44100, 44100);
  nan_signal[1000] = NAN;
  test::write_audio(dir / "nan.wav", nan_signal, 1, 44100, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0644), 0);  // opened for reading it would block

  const std::vector<std::pair<std::string, std::string>> cases = {
      {"empty.flac", "empty_file"},    {"text.flac", "not_audio"},
      {"truncated.flac", "truncated"}, {"nan.wav", "non_finite"},
      {"fifo", "not_a_file"},          {"does-not-exist.mp3", "not_found"}};
  std::vector<std::string> args = {good.string()};
  for (const auto& [name, code] : cases) args.push_back((dir / name).string());
  args.push_back(good.string());
  args.push_back("-q");        // stderr: the error lines only, no summary
  args.push_back("--strict");  // the cut FLAC and the NaN are errors (warnings otherwise)
  const Result r = herscan(dir, args);
  EXPECT_EQ(r.exit_code, 1);
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), cases.size() + 2);
  EXPECT_FALSE(records.front().contains("error"));
  EXPECT_FALSE(records.back().contains("error")) << "files after the failures are still analysed";
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const json& rec = records[i + 1];
    const std::string path = (dir / cases[i].first).string();
    EXPECT_EQ(rec["file"], path);
    ASSERT_TRUE(rec.contains("error")) << cases[i].first;
    EXPECT_EQ(rec["error"]["code"], cases[i].second) << cases[i].first << ": " << rec.dump();
    EXPECT_FALSE(rec["error"]["message"].get<std::string>().empty());
    EXPECT_NE(r.err.find("herscan: " + path + ": "), std::string::npos)
        << "stderr line for " << path;
  }
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), std::ptrdiff_t(cases.size())) << r.err;
  std::ofstream(dir / "all.jsonl") << r.out;
  expect_valid_against_schema(dir / "all.jsonl");
}

// `herscan a.flac ... | head -c 10`: herscan stops at the closed pipe, silently.
TEST(Cli, ClosedPipeExitsQuietly) {
  TempDir dir;
  const auto good = write_good(dir);
  std::string command = quote(HERSCAN_EXE);
  for (int i = 0; i < 40; ++i) command += " " + quote(good.string());
  const Result r = shell(dir, command + " | head -c 10 >/dev/null; exit ${PIPESTATUS[0]}");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");
}

TEST(Cli, UsageErrorsExitTwo) {
  TempDir dir;
  EXPECT_EQ(herscan(dir, {}).exit_code, 2);
  EXPECT_EQ(herscan(dir, {"--format", "xml", kDemo}).exit_code, 2);
  const Result bad_feature = herscan(dir, {"--features", "spectral,bogus", kDemo});
  EXPECT_EQ(bad_feature.exit_code, 2);
  EXPECT_NE(bad_feature.err.find("bogus"), std::string::npos);
  EXPECT_EQ(herscan(dir, {"-o", (dir / "out.unknown").string(), kDemo}).exit_code, 2);
  EXPECT_EQ(herscan(dir, {"-o", (dir / "no" / "such" / "dir.json").string(), kDemo}).exit_code, 2);
  EXPECT_EQ(herscan(dir, {"--no-such-option", kDemo}).exit_code, 2);
}

// A stereo 1 kHz sine at −23 dBFS per channel reads −23 LUFS (EBU calibration).
std::filesystem::path write_tone(const TempDir& dir, const std::string& name, double seconds,
                                 double dbfs) {
  const auto path = dir / name;
  const auto x = test::sine(1000, std::pow(10.0, dbfs / 20), 48000, std::size_t(seconds * 48000));
  test::write_audio(path, test::interleave({x, x}), 2, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  return path;
}

TEST(Cli, ProfileCarriesLoudness) {
  TempDir dir;
  const auto tone = write_tone(dir, "tone.wav", 10, -23);
  const Result r = herscan(dir, {tone.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json p = json::parse(r.out);
  EXPECT_NEAR(p["loudness"]["integrated_lufs"].get<double>(), -23.0, 0.1);
  EXPECT_NEAR(p["loudness"]["replaygain_db"].get<double>(), 5.0, 0.1);
  EXPECT_NEAR(p["loudness"]["true_peak_dbtp"].get<double>(), -23.0, 0.05)
      << "dBFS levels are sine peaks";
  EXPECT_TRUE(p.contains("spectral"));
}

// --features loudness computes loudness alone: no resampler, no spectral block.
TEST(Cli, FeaturesSelectTheBlocks) {
  TempDir dir;
  const auto tone = write_tone(dir, "tone.wav", 5, -20);
  const json p = json::parse(herscan(dir, {tone.string(), "--features", "loudness"}).out);
  EXPECT_TRUE(p.contains("loudness"));
  EXPECT_FALSE(p.contains("spectral"));
  EXPECT_EQ(p["analysis"]["features"], json::array({"loudness"}));
  EXPECT_EQ(p["analysis"]["resampler"].get<std::string>().rfind("none", 0), 0u);
  const json q = json::parse(herscan(dir, {tone.string(), "--features", "spectral"}).out);
  EXPECT_FALSE(q.contains("loudness"));
}

TEST(Cli, SilenceGivesNullsWithReasonsNeverNaN) {
  TempDir dir;
  const auto path = dir / "silence.wav";
  test::write_audio(path, std::vector<float>(2 * 48000 * 4, 0.0f), 2, 48000,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Result r = herscan(dir, {path.string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.find("nan"), std::string::npos);
  EXPECT_EQ(r.out.find("inf"), std::string::npos);
  const json p = json::parse(r.out);
  EXPECT_TRUE(p["loudness"]["integrated_lufs"].is_null());
  EXPECT_EQ(p["loudness"]["null_reasons"]["integrated_lufs"], "below absolute gate (-70 LUFS)");
  EXPECT_EQ(p["loudness"]["null_reasons"]["sample_peak_dbfs"], "digital silence");
  std::ofstream(dir / "silence.json") << r.out;
  expect_valid_against_schema(dir / "silence.json");
}

TEST(Cli, FramesCarryLoudnessAndSpectralSeries) {
  TempDir dir;
  const auto tone = write_tone(dir, "tone.wav", 4, -23);
  const Result r = herscan(dir, {tone.string(), "--frames"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json f = json::parse(r.out)["frames"];
  ASSERT_EQ(f["loudness_time_s"].size(), 40u);
  EXPECT_DOUBLE_EQ(f["loudness_time_s"][0].get<double>(), 0.1);
  EXPECT_TRUE(f["momentary_lufs"][2].is_null()) << "the first 400 ms window ends at 0.4 s";
  EXPECT_NEAR(f["momentary_lufs"][3].get<double>(), -23.0, 0.1);
  EXPECT_NEAR(f["short_term_lufs"][29].get<double>(), -23.0, 0.1);
  // 4 s at 22050 Hz: 1 + 88200 / 512 STFT frames, centred at t · 512 / 22050 s.
  ASSERT_EQ(f["time_s"].size(), 1u + 88200u / 512u);
  EXPECT_NEAR(f["time_s"][1].get<double>(), 512.0 / 22050, 1e-6);
  EXPECT_EQ(f["centroid_hz"].size(), f["time_s"].size());
  std::ofstream(dir / "frames.json") << r.out;
  expect_valid_against_schema(dir / "frames.json");
}

TEST(CliLoudness, TableOnTextAndRecordsInJson) {
  TempDir dir;
  const auto a = write_tone(dir, "a.wav", 10, -20);
  const auto b = write_tone(dir, "b.wav", 10, -30);
  const Result text = herscan_loudness(dir, {"--format", "text", a.string(), b.string()});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_EQ(text.out.rfind("  I LUFS", 0), 0u) << text.out;
  EXPECT_NE(text.out.find(" -20.00 "), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(" -30.00 "), std::string::npos) << text.out;

  const Result one = herscan_loudness(dir, {a.string(), "--format", "json"});
  const json p = json::parse(one.out);
  EXPECT_NEAR(p["loudness"]["integrated_lufs"].get<double>(), -20.0, 0.1);
  EXPECT_FALSE(p.contains("spectral")) << "herscan-loudness computes nothing but loudness";
}

// --album adds one record gated over both files: 10·log10((10^−2 + 10^−3) / 2) LUFS.
TEST(CliLoudness, AlbumRecord) {
  TempDir dir;
  const auto a = write_tone(dir, "a.wav", 10, -20);
  const auto b = write_tone(dir, "b.wav", 10, -30);
  const Result r = herscan_loudness(
      dir, {"--album", a.string(), b.string(), "-o", (dir / "out.jsonl").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = json_lines(read_file(dir / "out.jsonl"));
  ASSERT_EQ(records.size(), 3u);
  const json& album = records[2];
  EXPECT_EQ(album["album"], json::array({a.string(), b.string()}));
  const double expected = 10 * std::log10((0.01 + 0.001) / 2);
  EXPECT_NEAR(album["loudness"]["integrated_lufs"].get<double>(), expected, 0.1);
  EXPECT_NEAR(album["loudness"]["replaygain_db"].get<double>(), -18 - expected, 0.1);
  expect_valid_against_schema(dir / "out.jsonl");
}

// Loudness alone has no minimum length: a 10 ms file is measured, its windows undefined.
TEST(CliLoudness, ShortFileGivesUndefinedValuesNotAnError) {
  TempDir dir;
  const auto path = write_tone(dir, "10ms.wav", 0.01, -6);
  const Result r = herscan_loudness(dir, {path.string(), "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json p = json::parse(r.out);
  EXPECT_TRUE(p["loudness"]["integrated_lufs"].is_null());
  EXPECT_NEAR(p["loudness"]["sample_peak_dbfs"].get<double>(), -6.0, 0.05);
}

TEST(CliLoudness, CsvAndBadInput) {
  TempDir dir;
  const auto a = write_tone(dir, "a.wav", 5, -20);
  const Result r =
      herscan_loudness(dir, {"--format", "csv", a.string(), (dir / "missing.flac").string()});
  EXPECT_EQ(r.exit_code, 1);
  std::istringstream in(r.out);
  std::string header;
  std::getline(in, header);
  EXPECT_NE(header.find("loudness.integrated_lufs"), std::string::npos) << header;
  EXPECT_NE(r.err.find("herscan-loudness: " + (dir / "missing.flac").string() + ": "),
            std::string::npos)
      << r.err;
  EXPECT_EQ(herscan_loudness(dir, {}).exit_code, 2);
}

// --frames mel adds the mel spectrogram (128 bands per frame); the profile carries MFCC
// summaries and contrast per band; --frames alone has no mel_db.
TEST(Cli, FramesMelAndMfcc) {
  TempDir dir;
  const auto tone = write_tone(dir, "tone.wav", 2, -20);
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--frames", "mel", tone.string()},
        {"--frames=mel", tone.string()}}) {
    const Result r = herscan(dir, args);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json p = json::parse(r.out);
    const json& f = p["frames"];
    ASSERT_EQ(f["mel_db"].size(), f["time_s"].size());
    EXPECT_EQ(f["mel_db"][0].size(), 128u);
    EXPECT_EQ(f["mfcc"][0].size(), 20u);
    EXPECT_EQ(f["contrast_db"][0].size(), 7u);
    EXPECT_EQ(p["mfcc"]["mean"].size(), 20u);
    EXPECT_EQ(p["spectral"]["contrast_db"]["mean"].size(), 7u);
  }
  const json plain = json::parse(herscan(dir, {"--frames", tone.string()}).out);
  EXPECT_FALSE(plain["frames"].contains("mel_db"));
  EXPECT_EQ(plain["analysis"]["mel_scale"], "slaney");
  const json htk = json::parse(herscan(dir, {"--mel-scale", "htk", tone.string()}).out);
  EXPECT_EQ(htk["analysis"]["mel_scale"], "htk");
  EXPECT_NE(htk["mfcc"]["mean"][1], plain["mfcc"]["mean"][1])
      << "another scale, other coefficients";
}

TEST(CliFrames, CsvOneRowPerFrame) {
  TempDir dir;
  const auto tone = write_tone(dir, "tone.wav", 2, -20);
  const Result r = herscan_frames(dir, {tone.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::istringstream in(r.out);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header,
            "time_s,centroid_hz,bandwidth_hz,rolloff_hz,flatness,flux,zero_crossing_rate,rms");
  std::size_t rows = 0;
  while (std::getline(in, line)) {
    ++rows;
    EXPECT_EQ(csv_fields(line).size(), 8u);
  }
  // 2 s at 22050 Hz: 1 + 44100 / 512 frames.
  EXPECT_EQ(rows, 1u + 44100u / 512u);

  const Result mfcc = herscan_frames(dir, {"--series", "mfcc", tone.string()});
  std::istringstream m(mfcc.out);
  std::getline(m, header);
  EXPECT_EQ(csv_fields(header).size(), 21u) << header;
  EXPECT_EQ(csv_fields(header)[20], "mfcc_19");

  const Result loud =
      herscan_frames(dir, {"--series", "momentary_lufs,short_term_lufs", tone.string()});
  EXPECT_EQ(loud.out.rfind("loudness_time_s,momentary_lufs,short_term_lufs\n", 0), 0u)
      << loud.out.substr(0, 80);
}

TEST(CliFrames, JsonAndUsageErrors) {
  TempDir dir;
  const auto tone = write_tone(dir, "tone.wav", 2, -20);
  const Result r = herscan_frames(
      dir, {"--series", "rms,momentary_lufs,mel_db", "--format", "json", tone.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json p = json::parse(r.out);
  EXPECT_EQ(p["frames"]["mel_db"].size(), p["frames"]["time_s"].size());
  EXPECT_EQ(p["frames"]["momentary_lufs"].size(), p["frames"]["loudness_time_s"].size());
  EXPECT_FALSE(p["frames"].contains("centroid_hz")) << "only the series asked for";
  std::ofstream(dir / "frames.json") << r.out;
  expect_valid_against_schema(dir / "frames.json");

  const Result mixed = herscan_frames(dir, {"--series", "rms,momentary_lufs", tone.string()});
  EXPECT_EQ(mixed.exit_code, 2);
  EXPECT_NE(mixed.err.find("time axes"), std::string::npos) << mixed.err;
  EXPECT_EQ(herscan_frames(dir, {"--series", "bogus", tone.string()}).exit_code, 2);
  const Result missing = herscan_frames(dir, {(dir / "missing.wav").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("herscan-frames: "), std::string::npos);
}

bool have_matplotlib() {
  const std::string command =
      std::string(HERSCAN_PYTHON3) + " -c 'import matplotlib' >/dev/null 2>&1";
  return std::system(command.c_str()) == 0;
}

// A PNG starts with the 8-byte signature 89 50 4E 47 0D 0A 1A 0A.
void expect_png(const std::filesystem::path& path) {
  const std::string bytes = read_file(path);
  ASSERT_GT(bytes.size(), 1000u) << path;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << path;
}

TEST(Plots, ProfilePictureFromPipedOutput) {
  if (!have_matplotlib())
    GTEST_SKIP() << "python3-matplotlib is not installed (scripts/setup.sh --plots)";
  TempDir dir;
  const auto tone = write_tone(dir, "tone.wav", 4, -20);
  const auto png = dir / "profile.png";
  const Result r = shell(dir, quote(HERSCAN_EXE) + " --frames mel " + quote(tone.string()) + " | " +
                                  std::string(HERSCAN_PYTHON3) + " " + HERSCAN_SOURCE_DIR +
                                  "/scripts/plot_profile.py -o " + quote(png.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_png(png);
}

TEST(Plots, CollectionPictureFromJsonLines) {
  if (!have_matplotlib())
    GTEST_SKIP() << "python3-matplotlib is not installed (scripts/setup.sh --plots)";
  TempDir dir;
  std::vector<std::string> args;
  for (int i = 0; i < 3; ++i)
    args.push_back(write_tone(dir, "t" + std::to_string(i) + ".wav", 2, -30 + 5 * i).string());
  args.push_back("-o");
  args.push_back((dir / "all.jsonl").string());
  ASSERT_EQ(herscan(dir, args).exit_code, 0);
  const auto png = dir / "collection.png";
  const Result r =
      shell(dir, std::string(HERSCAN_PYTHON3) + " " + HERSCAN_SOURCE_DIR +
                     "/scripts/plot_collection.py " + quote((dir / "all.jsonl").string()) + " -o " +
                     quote(png.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  expect_png(png);
}

// A G major triad with its root in the bass (harmonic tones): key G major (9B), chroma peaks on
// G, B and D; --key-profile is recorded; silence has no key, with the reason.
TEST(Cli, KeyAndChroma) {
  TempDir dir;
  const auto path = dir / "g_major.wav";
  std::vector<float> x(48000 * 4, 0.0f);
  for (double midi : {43.0, 55.0, 59.0, 62.0}) {
    const double f = 440.0 * std::pow(2.0, (midi - 69) / 12);
    for (std::size_t i = 0; i < x.size(); ++i)
      for (int h = 1; h <= 6; ++h)
        x[i] += float(0.08 / h * std::sin(2 * M_PI * f * h * double(i) / 48000));
  }
  test::write_audio(path, test::interleave({x, x}), 2, 48000, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Result r =
      herscan(dir, {path.string(), "--features", "key,chroma", "--key-profile", "krumhansl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json p = json::parse(r.out);
  EXPECT_EQ(p["key"]["tonic"], "G");
  EXPECT_EQ(p["key"]["mode"], "major");
  EXPECT_EQ(p["key"]["camelot"], "9B");
  EXPECT_EQ(p["key"]["profile"], "krumhansl");
  EXPECT_EQ(p["key"]["candidates"].size(), 4u);
  EXPECT_NEAR(p["key"]["tuning_cents"].get<double>(), 0.0, 3.0);
  const auto& mean = p["chroma"]["mean"];
  ASSERT_EQ(mean.size(), 12u);
  for (int pc : {7, 11, 2})
    for (int other : {0, 1, 3, 4, 5, 6, 8, 9, 10})
      EXPECT_GT(mean[pc].get<double>(), mean[other].get<double>());
  std::ofstream(dir / "key.json") << r.out;
  expect_valid_against_schema(dir / "key.json");

  const auto silence = dir / "silence.wav";
  test::write_audio(silence, std::vector<float>(48000 * 2, 0.0f), 1, 48000,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const json s = json::parse(herscan(dir, {silence.string(), "--features", "key"}).out);
  EXPECT_TRUE(s["key"]["tonic"].is_null());
  EXPECT_EQ(s["key"]["null_reasons"]["tonic"], "no tonal content (silence)");
  EXPECT_EQ(herscan(dir, {path.string(), "--key-profile", "bogus"}).exit_code, 2);
}

// The beat F-measure (±70 ms, each reference beat matched at most once), as mir_eval computes it.
double beat_f_measure(const std::vector<double>& estimated, const std::vector<double>& reference) {
  if (estimated.empty() || reference.empty()) return 0.0;
  std::vector<bool> used(estimated.size(), false);
  double hits = 0;
  for (double r : reference) {
    for (std::size_t j = 0; j < estimated.size(); ++j) {
      if (!used[j] && std::abs(estimated[j] - r) <= 0.07) {
        used[j] = true;
        ++hits;
        break;
      }
    }
  }
  const double precision = hits / double(estimated.size()),
               recall = hits / double(reference.size());
  return hits > 0 ? 2 * precision * recall / (precision + recall) : 0.0;
}

// A 126 BPM click track: the tempo within 1 %, a confident pulse, beats on the clicks, beats only
// with --features beats, the text summary line, the frame series; silence has no tempo, with the
// reason; the demo track keeps the tempo, beats and bars it was made with (data/demo_truth.json).
TEST(Cli, TempoAndBeats) {
  TempDir dir;
  const auto path = dir / "clicks.wav";
  const double bpm = 126, rate = 44100;
  std::vector<float> x(std::size_t(12 * rate), 0.0f);
  std::vector<double> clicks;
  for (double t = 0.75; t < 11.5; t += 60 / bpm) {
    clicks.push_back(t);
    test::add_click(x, t, rate);
  }
  test::write_audio(path, test::interleave({x, x}), 2, int(rate), SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Result r = herscan(dir, {path.string(), "--features", "tempo,beats"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json p = json::parse(r.out);
  EXPECT_NEAR(p["tempo"]["bpm"].get<double>(), bpm, 0.01 * bpm);
  EXPECT_GT(p["tempo"]["confidence"].get<double>(), 0.5);
  const auto beats = p["tempo"]["beats"].get<std::vector<double>>();
  EXPECT_GE(beats.size() + 2, clicks.size());
  for (double b : beats) {
    double nearest = 1e9;
    for (double c : clicks) nearest = std::min(nearest, std::abs(b - c));
    EXPECT_LE(nearest, 0.02) << "beat at " << b;
  }
  std::ofstream(dir / "tempo.json") << r.out;
  expect_valid_against_schema(dir / "tempo.json");
  EXPECT_FALSE(
      json::parse(herscan(dir, {path.string(), "--features", "tempo"}).out)["tempo"].contains(
          "beats"));
  const Result text =
      herscan(dir, {path.string(), "--features", "tempo,beats", "--format", "text"});
  EXPECT_NE(text.out.find("tempo     126."), std::string::npos) << text.out;
  EXPECT_NE(text.out.find(std::to_string(beats.size()) + " beats"), std::string::npos) << text.out;
  // The bars over the beats: a position per beat within the meter, the downbeats those at 1.
  const auto positions = p["tempo"]["beat_positions"].get<std::vector<int>>();
  const auto per_bar = p["tempo"]["beats_per_bar"].get<int>();
  ASSERT_EQ(positions.size(), beats.size());
  std::vector<double> ones;
  for (std::size_t i = 0; i < beats.size(); ++i) {
    EXPECT_GE(positions[i], 1);
    EXPECT_LE(positions[i], per_bar);
    if (positions[i] == 1) ones.push_back(beats[i]);
  }
  EXPECT_EQ(p["tempo"]["downbeats"].get<std::vector<double>>(), ones);
  EXPECT_NE(text.out.find(std::to_string(per_bar) + " a bar (confidence "), std::string::npos)
      << text.out;

  const Result frames =
      herscan_frames(dir, {"--series", "onset_strength,tempo_bpm", path.string()});
  ASSERT_EQ(frames.exit_code, 0) << frames.err;
  std::istringstream in(frames.out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "time_s,onset_strength,tempo_bpm");
  std::vector<double> curve;
  while (std::getline(in, line)) curve.push_back(std::stod(csv_fields(line)[2]));
  EXPECT_EQ(curve.size(), 1 + std::size_t(12 * 22050) / 512);
  std::nth_element(curve.begin(), curve.begin() + std::ptrdiff_t(curve.size() / 2), curve.end());
  EXPECT_NEAR(curve[curve.size() / 2], bpm, 0.02 * bpm);

  const auto silence = dir / "silence.wav";
  test::write_audio(silence, std::vector<float>(44100 * 3, 0.0f), 1, 44100,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Result s = herscan(dir, {silence.string(), "--features", "beats"});
  const json st = json::parse(s.out)["tempo"];
  EXPECT_TRUE(st["bpm"].is_null());
  EXPECT_EQ(st["confidence"], 0);
  EXPECT_TRUE(st["beats"].empty());
  EXPECT_TRUE(st["beats_per_bar"].is_null());
  EXPECT_TRUE(st["beat_positions"].empty());
  EXPECT_TRUE(st["downbeats"].empty());
  EXPECT_EQ(st["bar_confidence"], 0);
  EXPECT_EQ(st["null_reasons"]["bpm"], "no onsets (silence)");
  std::ofstream(dir / "silence.json") << s.out;
  expect_valid_against_schema(dir / "silence.json");

  const json truth =
      json::parse(read_file(std::string(HERSCAN_SOURCE_DIR) + "/data/demo_truth.json"));
  const json demo = json::parse(herscan(dir, {kDemo, "--features", "beats"}).out)["tempo"];
  EXPECT_NEAR(demo["bpm"].get<double>(), truth["tempo_bpm"].get<double>(),
              0.01 * truth["tempo_bpm"].get<double>());
  EXPECT_GE(beat_f_measure(demo["beats"].get<std::vector<double>>(),
                           truth["beats_s"].get<std::vector<double>>()),
            0.9);
  EXPECT_EQ(demo["beats_per_bar"], 4);
  EXPECT_GE(beat_f_measure(demo["downbeats"].get<std::vector<double>>(),
                           truth["downbeats_s"].get<std::vector<double>>()),
            0.9);
}

TEST(Cli, VersionAndHelp) {
  TempDir dir;
  const Result v = herscan(dir, {"--version"});
  EXPECT_EQ(v.exit_code, 0);
  EXPECT_NE(v.out.find(HERSCAN_VERSION_STRING), std::string::npos);
  const Result h = herscan(dir, {"--help"});
  EXPECT_EQ(h.exit_code, 0);
  EXPECT_NE(h.out.find("Examples"), std::string::npos);
}

}  // namespace
}  // namespace herscan
