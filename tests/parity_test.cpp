// Parity with librosa 0.11.0 on the shared reference excerpts (../shared/reference: eight pieces,
// each as the published 44.1 kHz FLAC and as a 22.05 kHz mono WAV; librosa's outputs in JSON,
// recipe in that folder's README). Skipped, with a message, where the folder is absent: a
// user's clone has no ../shared.
//
// Tolerances, per feature, over all frames of a file (statistics of the per-frame error):
//   mel dB       median |err| ≤ 0.001 dB, 99th percentile ≤ 0.01 dB, on entries above −60 dB
//   MFCC         median |err| ≤ 0.001, 99th percentile ≤ 0.01
//   contrast     median |err| ≤ 0.001 dB, 99th percentile ≤ 0.01 dB
//   centroid, bandwidth, rolloff   median relative error ≤ 1e-5, 99th percentile ≤ 1e-4
//   flatness     median relative error ≤ 1e-4, 99th percentile ≤ 1e-3 (frames with flatness ≥ 1e-4)
//   zcr, rms     median relative error ≤ 1e-5, 99th percentile ≤ 1e-4
//   STFT power   first 8 frames: relative error of each frame's total ≤ 1e-5
// The reference arrays carry 7 significant digits; herscan's measured errors sit at that level
// (docs/features.md). The issue suggested 0.05 dB / 0.5 dB for mel dB, 0.1 for MFCC and 0.5 %
// for centroid, bandwidth and rolloff; the asserted bounds are far tighter to catch regressions.
// Two things make this possible: the STFT runs in double precision as numpy's does (the top
// contrast band measures bins 120 dB below the frame's peak, beyond a float FFT's noise floor),
// and the resampler feeds soxr the same input chunks as python-soxr.
// The 22.05 kHz files need no resampling, so herscan sees librosa's samples exactly; the 44.1 kHz
// files go through soxr HQ on both sides (librosa.load's default). The measured figures are in
// docs/features.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "herscan/audio_file.h"
#include "herscan/chroma.h"
#include "herscan/mel.h"
#include "herscan/profile.h"
#include "herscan/resample.h"
#include "herscan/stft.h"
#include "herscan/tempo.h"

namespace herscan {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

const fs::path kReference = fs::path(HERSCAN_SOURCE_DIR) / ".." / "shared" / "reference";

std::vector<std::string> reference_names() {
  std::vector<std::string> names;
  if (!fs::is_directory(kReference / "librosa")) return names;
  for (const auto& e : fs::directory_iterator(kReference / "librosa"))
    if (e.path().extension() == ".json") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Quantile of |values| (q in [0, 1]), nearest rank.
double quantile(std::vector<double> v, double q) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, std::size_t(q * double(v.size() - 1) + 0.5))];
}

struct Errors {
  std::vector<double> values;
  void add(double e) { values.push_back(std::abs(e)); }
  double median() const { return quantile(values, 0.5); }
  double p99() const { return quantile(values, 0.99); }
};

// herscan's analysis signal of a file: decoded, downmixed, resampled to 22050 Hz.
std::vector<float> analysis_signal(const fs::path& audio) {
  std::vector<float> mono;
  stream_analysis_signal(
      audio, 22050, [&](std::span<const float> y) { mono.insert(mono.end(), y.begin(), y.end()); });
  return mono;
}

std::vector<double> array1(const json& frames, const char* name) {
  return frames[name]["data"].get<std::vector<double>>();
}

class LibrosaParity : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (!fs::is_directory(kReference))
      GTEST_SKIP() << "no reference outputs at " << kReference
                   << " (they live beside the repository, in ../shared/reference)";
    std::ifstream in(kReference / "librosa" / (GetParam() + ".json"));
    reference_ = json::parse(in);
    audio_ = kReference / reference_["file"].get<std::string>();
    ProfileOptions options;
    options.frames = true;
    options.frames_mel = true;
    profile_ = analyze_file(audio_, options);
    ASSERT_TRUE(profile_.frames);
    T_ = reference_["frames"]["centroid_hz"]["shape"][0].get<std::size_t>();
    ASSERT_EQ(profile_.frames->stft_frames, T_) << "frame count";
  }
  void record(const std::string& what, double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", value);
    RecordProperty(what, text);
  }
  json reference_;
  fs::path audio_;
  Profile profile_;
  std::size_t T_ = 0;
};

TEST_P(LibrosaParity, MelSpectrogramDb) {
  const auto ref = array1(reference_["frames"], "mel_db");  // 128 × T
  const auto& ours = profile_.frames->mel_db;               // T × 128
  Errors e;
  for (std::size_t m = 0; m < 128; ++m)
    for (std::size_t t = 0; t < T_; ++t)
      if (ref[m * T_ + t] > -60) e.add(ours[t * 128 + m] - ref[m * T_ + t]);
  record("mel_db median", e.median());
  record("mel_db p99", e.p99());
  EXPECT_LE(e.median(), 0.001);
  EXPECT_LE(e.p99(), 0.01);
}

TEST_P(LibrosaParity, Mfcc) {
  const auto ref = array1(reference_["frames"], "mfcc");  // 20 × T
  const auto& ours = profile_.frames->mfcc;               // T × 20
  Errors e;
  for (std::size_t q = 0; q < 20; ++q)
    for (std::size_t t = 0; t < T_; ++t) e.add(ours[t * 20 + q] - ref[q * T_ + t]);
  record("mfcc median", e.median());
  record("mfcc p99", e.p99());
  EXPECT_LE(e.median(), 0.001);
  EXPECT_LE(e.p99(), 0.01);
}

TEST_P(LibrosaParity, SpectralShape) {
  const auto& f = profile_.frames->spectral;
  struct Feature {
    const char* name;
    double SpectralFrame::*field;
    double median;  // tolerated median relative error
    double p99;     // tolerated 99th percentile (1 = not asserted)
    double floor;   // frames whose reference value is below are not compared
  };
  for (const Feature& feature :
       {Feature{"centroid_hz", &SpectralFrame::centroid_hz, 1e-5, 1e-4, 1e-9},
        Feature{"bandwidth_hz", &SpectralFrame::bandwidth_hz, 1e-5, 1e-4, 1e-9},
        Feature{"rolloff_hz", &SpectralFrame::rolloff_hz, 1e-5, 1e-4, 1e-9},
        Feature{"flatness", &SpectralFrame::flatness, 1e-4, 1e-3, 1e-4},
        Feature{"zcr", &SpectralFrame::zero_crossing_rate, 1e-5, 1e-4, 1e-9},
        Feature{"rms", &SpectralFrame::rms, 1e-5, 1e-4, 1e-9}}) {
    const auto ref = array1(reference_["frames"], feature.name);
    Errors e;
    for (std::size_t t = 0; t < T_; ++t)
      if (ref[t] >= feature.floor) e.add((f[t].*feature.field - ref[t]) / ref[t]);
    record(std::string(feature.name) + " median rel", e.median());
    record(std::string(feature.name) + " p99 rel", e.p99());
    EXPECT_LE(e.median(), feature.median) << feature.name;
    EXPECT_LE(e.p99(), feature.p99) << feature.name;
  }
}

TEST_P(LibrosaParity, SpectralContrast) {
  const auto ref = array1(reference_["frames"], "contrast");  // 7 × T
  const auto& ours = profile_.frames->contrast_db;            // T × 7
  Errors e;
  for (std::size_t b = 0; b < 7; ++b)
    for (std::size_t t = 0; t < T_; ++t) e.add(ours[t * 7 + b] - ref[b * T_ + t]);
  record("contrast median", e.median());
  record("contrast p99", e.p99());
  EXPECT_LE(e.median(), 0.001);
  EXPECT_LE(e.p99(), 0.01);
}

// The STFT power of the first 8 frames, computed from herscan's analysis signal (decode,
// downmix, soxr): tests the signal path and the transform together.
TEST_P(LibrosaParity, StftPowerOfFirstFrames) {
  const auto ref = array1(reference_["frames"], "stft_power_first_frames");  // 1025 × 8
  const std::vector<float> mono = analysis_signal(audio_);
  struct First8 : FrameConsumer {
    std::vector<std::vector<float>> power;
    void consume(const StftFrame& f) override {
      if (power.size() < 8) power.emplace_back(f.power.begin(), f.power.end());
    }
  } first;
  Stft stft(StftConfig{});
  stft.add_consumer(first);
  stft.push(mono);
  stft.finish();
  double worst = 0;
  for (std::size_t t = 0; t < 8; ++t) {
    double ours = 0, theirs = 0;
    for (std::size_t k = 0; k < 1025; ++k) {
      ours += first.power[t][k];
      theirs += ref[k * 8 + t];
    }
    if (theirs > 1e-12) worst = std::max(worst, std::abs(ours - theirs) / theirs);
  }
  record("stft power worst frame rel", worst);
  EXPECT_LE(worst, 1e-5);
}

// chroma_stft with librosa's own tuning estimate (from the power spectrogram, as chroma_stft
// makes it): per-frame |err| median ≤ 1e-6, 99th percentile ≤ 1e-5 (chroma is in [0, 1]).
// And librosa.estimate_tuning(y) (magnitudes) reproduces the reference's tuning scalar exactly:
// both are left edges of 0.01-semitone histogram bins.
TEST_P(LibrosaParity, ChromaStftAndTuning) {
  const std::vector<float> mono = analysis_signal(audio_);
  const double tuning = estimate_tuning(mono, StftConfig{}, TuningMethod::librosa_magnitude);
  EXPECT_NEAR(tuning, reference_["scalars"]["tuning"].get<double>(), 1e-9) << "estimate_tuning(y)";
  record("tuning herscan librosa-method", tuning);
  record("tuning herscan method", estimate_tuning(mono, StftConfig{}, TuningMethod::herscan));

  const auto ours =
      chroma_stft(mono, StftConfig{}, std::nullopt, TuningMethod::librosa_power);  // T × 12
  const auto ref = array1(reference_["frames"], "chroma_stft");                    // 12 × T
  ASSERT_EQ(ours.size(), 12 * T_);
  Errors e;
  for (std::size_t c = 0; c < 12; ++c)
    for (std::size_t t = 0; t < T_; ++t) e.add(ours[t * 12 + c] - ref[c * T_ + t]);
  record("chroma median", e.median());
  record("chroma p99", e.p99());
  EXPECT_LE(e.median(), 1e-6);
  EXPECT_LE(e.p99(), 1e-5);
}

// Onset strength (mean and median aggregate): per-frame relative error of the envelope (relative to
// its maximum) median ≤ 1e-5, max ≤ 1e-3; librosa.feature.tempo (mean envelope) and beat_track's
// tempo (median envelope) equal; beat_track's beats on the same frames.
TEST_P(LibrosaParity, OnsetTempoAndBeats) {
  const std::vector<float> mono = analysis_signal(audio_);
  StftConfig stft;
  MelProcessor mel(stft, {}, {},
                   MelKeep{.mel_db = false, .mfcc = false, .onset = true, .onset_median = true});
  Stft transform(stft);
  transform.add_consumer(mel);
  transform.push(mono);
  transform.finish();
  for (const auto& [name, ours] : {std::pair{"onset_mean", &mel.onset_mean()},
                                   std::pair{"onset_median", &mel.onset_median()}}) {
    const auto ref = array1(reference_["frames"], name);
    ASSERT_EQ(ours->size(), ref.size()) << name;
    const double scale = *std::max_element(ref.begin(), ref.end());
    Errors e;
    for (std::size_t t = 0; t < ref.size(); ++t) e.add(((*ours)[t] - ref[t]) / scale);
    record(std::string(name) + " median rel", e.median());
    record(std::string(name) + " max rel", quantile(e.values, 1.0));
    EXPECT_LE(e.median(), 1e-5) << name;
    EXPECT_LE(quantile(e.values, 1.0), 1e-3) << name;
  }
  const double frame_rate = 22050.0 / 512;
  EXPECT_DOUBLE_EQ(librosa_tempo(mel.onset_mean(), frame_rate),
                   reference_["scalars"]["tempo_bpm"].get<double>());
  const double bpm = librosa_tempo(mel.onset_median(), frame_rate);
  EXPECT_DOUBLE_EQ(bpm, reference_["scalars"]["beat_track_bpm"].get<double>());
  const auto beats = librosa_beats(mel.onset_median(), frame_rate, bpm);
  const auto ref_beats = reference_["beats_s"].get<std::vector<double>>();
  ASSERT_EQ(beats.size(), ref_beats.size());
  for (std::size_t i = 0; i < beats.size(); ++i)
    EXPECT_NEAR(double(beats[i]) * 512 / 22050, ref_beats[i], 1e-6) << "beat " << i;
}

INSTANTIATE_TEST_SUITE_P(Reference, LibrosaParity, ::testing::ValuesIn(reference_names()),
                         [](const auto& info) { return info.param; });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LibrosaParity);

// Visible in every run: says whether the parity suite ran.
TEST(LibrosaParityData, Present) {
  if (!fs::is_directory(kReference))
    GTEST_SKIP() << "no reference outputs at " << kReference << ": parity tests skipped";
  EXPECT_EQ(reference_names().size(), 16u);
}

}  // namespace
}  // namespace herscan
