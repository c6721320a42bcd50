#include "herscan/profile.h"

#include <gtest/gtest.h>

#include <cmath>

#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/version.h"
#include "test_signals.h"

namespace herscan {
namespace {

using test::TempDir;

// A few seconds of "music": two tones and a little noise, left and right different.
std::filesystem::path write_music(const TempDir& dir, int rate, double seconds, int format) {
  const std::size_t n = std::size_t(rate * seconds);
  auto left = test::sine(220, 0.3, rate, n);
  auto right = test::sine(1760, 0.2, rate, n);
  const auto noise = test::white_noise(n, 0.05, 17);
  for (std::size_t i = 0; i < n; ++i) {
    left[i] += noise[i];
    right[i] -= noise[i];
  }
  const auto path = dir / "music.flac";
  test::write_audio(path, test::interleave({left, right}), 2, rate, format);
  return path;
}

void expect_summary_near(const Summary& a, const Summary& b, double rel, const char* what) {
  EXPECT_NEAR(a.mean, b.mean, rel * std::abs(b.mean) + 1e-12) << what << ".mean";
  EXPECT_NEAR(a.std, b.std, rel * std::abs(b.mean) + 1e-12) << what << ".std";
}

// Feeding the pipeline 1, 7 or 4096 frames at a time gives the same profile: every summary
// within 1e-5 relative (the resampler's float rounding is the only source of difference).
TEST(Profile, BlockSizeDoesNotChangeTheResult) {
  TempDir dir;
  const auto path = write_music(dir, 44100, 2.0, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  ProfileOptions options;
  options.block_frames = 4096;
  const Profile reference = analyze_file(path, options);
  ASSERT_TRUE(reference.spectral);
  for (std::size_t block : {1u, 7u}) {
    options.block_frames = block;
    const Profile p = analyze_file(path, options);
    ASSERT_TRUE(p.spectral);
    const SpectralSummary& a = *p.spectral;
    const SpectralSummary& b = *reference.spectral;
    EXPECT_EQ(a.frames, b.frames);
    expect_summary_near(a.centroid_hz, b.centroid_hz, 1e-5, "centroid_hz");
    expect_summary_near(a.bandwidth_hz, b.bandwidth_hz, 1e-5, "bandwidth_hz");
    expect_summary_near(a.rolloff_hz, b.rolloff_hz, 1e-5, "rolloff_hz");
    expect_summary_near(a.flatness, b.flatness, 1e-5, "flatness");
    expect_summary_near(a.flux, b.flux, 1e-5, "flux");
    expect_summary_near(a.zero_crossing_rate, b.zero_crossing_rate, 1e-5, "zero_crossing_rate");
    expect_summary_near(a.rms, b.rms, 1e-5, "rms");
  }
}

// At the analysis rate, mono, the pipeline is exactly the batch function on the same samples.
TEST(Profile, EqualsTheBatchFunctionOnTheSameSignal) {
  TempDir dir;
  const auto x = test::white_noise(22050 * 2, 0.2, 5);
  const auto path = dir / "mono.wav";
  test::write_audio(path, x, 1, 22050, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Profile p = analyze_file(path);
  StftConfig stft;
  const auto frames = spectral_frames(x, stft);
  ASSERT_TRUE(p.spectral);
  ASSERT_EQ(p.spectral->frames, std::int64_t(frames.size()));
  double centroid = 0;
  for (const auto& f : frames) centroid += f.centroid_hz;
  EXPECT_NEAR(p.spectral->centroid_hz.mean, centroid / double(frames.size()), 1e-9 * centroid);
  EXPECT_EQ(p.analysis.resampler, "none (rates equal)");
}

TEST(Profile, RecordsFormatAndProvenance) {
  TempDir dir;
  const auto path = write_music(dir, 48000, 1.0, SF_FORMAT_FLAC | SF_FORMAT_PCM_24);
  const Profile p = analyze_file(path);
  EXPECT_EQ(p.file, path.string());
  EXPECT_EQ(p.format.container, "FLAC");
  EXPECT_EQ(p.format.sample_rate_hz, 48000);
  EXPECT_EQ(p.format.channels, 2);
  EXPECT_EQ(p.format.frames, 48000);
  EXPECT_EQ(p.format.bit_depth, 24);
  EXPECT_EQ(p.analysis.version, version_string);
  EXPECT_EQ(p.analysis.analysis_rate_hz, 22050);
  EXPECT_EQ(p.analysis.n_fft, 2048u);
  EXPECT_EQ(p.analysis.hop_frames, 512u);
  EXPECT_NE(p.analysis.resampler.find("soxr"), std::string::npos);
  EXPECT_EQ(p.analysis.features,
            (std::vector<std::string>{"loudness", "spectral", "mfcc", "key", "chroma", "tempo"}));
  ASSERT_TRUE(p.loudness);
  EXPECT_EQ(p.loudness->frames, 48000);
  EXPECT_GE(p.analysis.elapsed_s, 0.0);
  // 1 s at 22050 Hz: 1 + 22050 / 512 frames.
  EXPECT_EQ(p.spectral->frames, 1 + 22050 / 512);
}

// One analysis frame is n_fft / analysis rate = 2048 / 22050 s ≈ 92.9 ms. A shorter file gets
// a degenerate profile: the frame-based blocks are undefined, with the reason.
TEST(Profile, FilesShorterThanOneFrameGetADegenerateProfile) {
  TempDir dir;
  EXPECT_NEAR(minimum_duration_s(ProfileOptions{}), 2048.0 / 22050, 1e-12);
  const auto short_path = dir / "10ms.wav";
  test::write_audio(short_path, test::sine(440, 0.5, 44100, 441), 1, 44100,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  ProfileOptions options;
  options.features = FeatureSet::all();
  options.frames = true;
  const Profile p = analyze_file(short_path, options);
  EXPECT_EQ(p.format.frames, 441);
  EXPECT_FALSE(p.spectral || p.mfcc || p.tonal || p.tempo);
  ASSERT_EQ(p.undefined.size(), 5u);
  for (const char* block : {"spectral", "mfcc", "key", "chroma", "tempo"}) {
    ASSERT_TRUE(p.undefined.contains(block)) << block;
    EXPECT_NE(p.undefined.at(block).find("0.0100 s (441 frames)"), std::string::npos)
        << p.undefined.at(block);
    EXPECT_NE(p.undefined.at(block).find("0.0929 s"), std::string::npos);
  }
  ASSERT_TRUE(p.loudness);
  EXPECT_NEAR(p.loudness->sample_peak_dbfs, 20 * std::log10(0.5), 1e-3);
  ASSERT_TRUE(p.frames);
  EXPECT_EQ(p.frames->stft_frames, 0u);
  const auto j = to_json(p);
  EXPECT_TRUE(j.at("spectral").is_null());
  EXPECT_TRUE(j.at("tempo").is_null());
  EXPECT_EQ(j.at("null_reasons").size(), 5u);

  // Only the requested blocks are named; loudness alone is never degenerate.
  options.features = FeatureSet::parse("loudness,tempo");
  EXPECT_EQ(analyze_file(short_path, options).undefined.size(), 1u);
  options.features = Feature::loudness;
  EXPECT_TRUE(analyze_file(short_path, options).undefined.empty());

  const auto long_enough = dir / "100ms.wav";
  test::write_audio(long_enough, test::sine(440, 0.5, 44100, 4410), 1, 44100,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Profile whole = analyze_file(long_enough);
  EXPECT_TRUE(whole.undefined.empty());
  EXPECT_TRUE(whole.spectral && whole.tempo);
  EXPECT_FALSE(to_json(whole).contains("null_reasons"));
}

// NaN and ±Inf are zeroed with a warning naming the first (strict mode: rejected, as before).
TEST(Profile, NonFiniteSamplesAreZeroedOrRejectedWithTheirPosition) {
  TempDir dir;
  for (float bad : {NAN, INFINITY}) {
    auto x = test::sine(440, 0.5, 44100, 44100);
    x[30000] = bad;
    const auto path = dir / "bad.wav";
    test::write_audio(path, x, 1, 44100, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
    const Profile p = analyze_file(path);
    ASSERT_EQ(p.warnings.size(), 1u);
    EXPECT_EQ(p.warnings[0].code, WarningCode::non_finite_samples_zeroed);
    EXPECT_NE(p.warnings[0].message.find("frame 30000"), std::string::npos)
        << p.warnings[0].message;
    ProfileOptions strict;
    strict.strict = true;
    try {
      analyze_file(path, strict);
      ADD_FAILURE() << "strict mode zeroed a non-finite sample";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::non_finite);
      EXPECT_NE(std::string(e.what()).find("frame 30000"), std::string::npos) << e.what();
    }
  }
}

// The profile's loudness is the streaming meter's result on the decoded file (one pass), and
// loudness alone needs no minimum length and no analysis signal.
TEST(Profile, LoudnessComesFromTheSamePass) {
  TempDir dir;
  const auto path = write_music(dir, 48000, 4.0, SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  ProfileOptions options;
  const Profile p = analyze_file(path, options);
  ASSERT_TRUE(p.loudness);
  std::vector<float> x;
  {
    AudioFileReader reader(path);
    std::vector<float> block(2 * 1000);
    while (std::size_t got = reader.read(block.data(), 1000))
      x.insert(x.end(), block.begin(), block.begin() + std::ptrdiff_t(2 * got));
  }
  LoudnessConfig c;
  c.sample_rate_hz = 48000;
  const auto direct = measure_loudness(x, c);
  EXPECT_NEAR(p.loudness->integrated_lufs, direct.integrated_lufs, 1e-9);
  EXPECT_EQ(p.loudness->true_peak_dbtp, direct.true_peak_dbtp);

  options.features = FeatureSet(Feature::loudness);
  const auto short_path = dir / "short.wav";
  test::write_audio(short_path, test::sine(440, 0.5, 48000, 480), 1, 48000,
                    SF_FORMAT_WAV | SF_FORMAT_FLOAT);
  const Profile s = analyze_file(short_path, options);
  ASSERT_TRUE(s.loudness);
  EXPECT_FALSE(s.spectral);
  EXPECT_TRUE(std::isnan(s.loudness->integrated_lufs));
  EXPECT_NEAR(s.loudness->sample_peak_dbfs, 20 * std::log10(0.5), 1e-3);
}

TEST(FeatureSet, ParsesListsAndNamesTheValidChoices) {
  EXPECT_EQ(FeatureSet::parse("spectral"), FeatureSet(Feature::spectral));
  FeatureSet both = FeatureSet(Feature::loudness);
  both.add(Feature::spectral);
  EXPECT_EQ(FeatureSet::parse("spectral,loudness"), both);
  EXPECT_EQ(FeatureSet::parse(" spectral , spectral"), FeatureSet(Feature::spectral));
  EXPECT_EQ(FeatureSet::all().names(), FeatureSet::known_names());
  try {
    FeatureSet::parse("spectral,bogus");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("spectral"), std::string::npos);
  }
  EXPECT_THROW(FeatureSet::parse(""), Error);
  EXPECT_THROW(FeatureSet::parse(","), Error);
}

TEST(ProfileOptions, AreValidated) {
  ProfileOptions o;
  o.analysis_rate_hz = 10;
  EXPECT_THROW(o.validate(), Error);
  o = {};
  o.block_frames = 0;
  EXPECT_THROW(o.validate(), Error);
  o = {};
  o.stft.hop_frames = 0;
  EXPECT_THROW(o.validate(), Error);
}

}  // namespace
}  // namespace herscan
