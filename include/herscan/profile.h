// herscan/profile.h — the whole profile of a track in one decode pass.
//
// analyze_file() opens the file, decodes it block by block and feeds only the processors the
// requested features need: native-rate processors (loudness) see the interleaved samples,
// analysis-rate processors see the mono, resampled signal through one shared STFT.
// Memory is bounded by the number of frames kept, never by the number of samples.
//
// Thread-safety: analyze_file() may run concurrently on different files.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "herscan/audio_file.h"
#include "herscan/chroma.h"
#include "herscan/loudness.h"
#include "herscan/mel.h"
#include "herscan/resample.h"
#include "herscan/spectral.h"
#include "herscan/stft.h"
#include "herscan/tempo.h"
#include "herscan/warning.h"

namespace herscan {

/// A feature family the profile can contain. Each costs only when requested.
enum class Feature : unsigned {
  loudness = 1u << 0,
  spectral = 1u << 1,
  mfcc = 1u << 2,
  key = 1u << 3,
  chroma = 1u << 4,
  tempo = 1u << 5,
  beats = 1u << 6,  ///< beat times; implies the tempo analysis
};

/// A set of features. Parses "loudness,spectral,..." lists.
class FeatureSet {
 public:
  constexpr FeatureSet() = default;
  constexpr FeatureSet(Feature f) : bits_(unsigned(f)) {}

  static FeatureSet all();
  /// Every summary block: all features but the beat list (the default; SPEC: "all summaries").
  static FeatureSet summaries();
  /// Parses a comma-separated list of feature names. Throws Error(invalid_argument) naming an
  /// unknown entry and the valid names.
  static FeatureSet parse(std::string_view list);
  /// The names of every feature this version computes, in canonical order.
  static const std::vector<std::string>& known_names();

  bool has(Feature f) const noexcept { return (bits_ & unsigned(f)) != 0; }
  void add(Feature f) noexcept { bits_ |= unsigned(f); }
  bool empty() const noexcept { return bits_ == 0; }
  std::vector<std::string> names() const;
  friend bool operator==(FeatureSet, FeatureSet) = default;

 private:
  unsigned bits_ = 0;
};

struct ProfileOptions {
  FeatureSet features = FeatureSet::summaries();
  double analysis_rate_hz = 22050;  ///< mono analysis signal rate, 1000..384000
  ResampleQuality resample_quality = ResampleQuality::high;
  StftConfig stft;                  ///< its sample_rate_hz is set to analysis_rate_hz
  std::size_t block_frames = 8192;  ///< decode block, 1..1048576 frames
  bool true_peak = true;            ///< loudness: oversampled true peak
  bool frames = false;              ///< keep frame-level series (--frames)
  bool frames_mel = false;          ///< with frames: also the mel spectrogram in dB (--frames mel)
  MelConfig mel;                    ///< mel bands for MFCC and mel_db
  MfccConfig mfcc;
  KeyProfile key_profile = KeyProfile::herscan;
  TempoConfig tempo;
  bool strict = false;  ///< analyze_file(): damage warnings are errors (ReadOptions::strict)
  /// Called with every decoded block (interleaved, native rate, as the loudness meter sees it),
  /// in order, on the analysing thread: for tools that also hash or keep the samples (the
  /// ReplayGain tagger hashes them to verify a rewritten file). Empty: not called.
  std::function<void(std::span<const float> interleaved)> on_samples;
  void validate() const;
};

/// Provenance: what produced the numbers.
struct AnalysisInfo {
  std::string version;
  double analysis_rate_hz = 0;
  std::size_t n_fft = 0;
  std::size_t hop_frames = 0;
  std::string window;
  std::string mel_scale;  ///< "slaney" or "htk" (MFCC and mel_db)
  std::string resampler;
  std::vector<std::string> features;
  double elapsed_s = 0;  ///< wall time of analyze_file()
};

struct Profile {
  std::string file;  ///< the path as given
  AudioInfo format;
  Tags tags;  ///< the file's tags (AudioFileReader::tags()); JSON `tags` only when not empty
  std::optional<LoudnessResult> loudness;
  std::optional<SpectralSummary> spectral;
  std::optional<std::vector<Summary>> mfcc;  ///< mean and std of each coefficient
  std::optional<TonalResult> tonal;          ///< tuning, chroma, key (key or chroma requested)
  std::optional<TempoResult> tempo;          ///< tempo (and beats) requested
  bool tempo_beats = false;                  ///< beats were requested (written to JSON)
  KeyProfile key_profile = KeyProfile::herscan;
  /// Frame-level series, present with ProfileOptions::frames. 2-D series are row-major
  /// (frames × width).
  struct Frames {
    std::vector<SpectralFrame> spectral;  ///< one per STFT frame, centred at t · hop / rate
    std::vector<float> contrast_db;       ///< frames × (contrast bands + 1)
    std::vector<float> mfcc;              ///< frames × n_mfcc
    std::vector<float> mel_db;            ///< frames × n_mels (with frames_mel)
    std::vector<float> chroma;            ///< frames × 12 (chroma_stft)
    std::vector<float> onset_strength;    ///< one per frame (the tempo's onset envelope)
    std::vector<float> tempo_bpm;         ///< one per frame (the local tempo curve)
    std::size_t contrast_width = 0, mfcc_width = 0, mel_width = 0;
    std::size_t stft_frames = 0;  ///< rows of the STFT-axis series (time_s)
  };
  std::optional<Frames> frames;
  /// Requested blocks that could not be computed, with the reason: a file shorter than one
  /// analysis frame (minimum_duration_s()) gets a degenerate profile whose spectral, mfcc, key,
  /// chroma and tempo blocks are absent here and null in JSON, the reason in `null_reasons`.
  std::map<std::string, std::string> undefined;
  /// What the file was read past and notes on its content (herscan/warning.h): the reader's
  /// warnings in the order found, then too_short, then the content notes. Empty for a sound
  /// file.
  std::vector<Warning> warnings;
  AnalysisInfo analysis;
};

/// The shortest input whose frame-based features (spectral, mfcc, key, chroma, tempo) are
/// computed: one STFT frame, n_fft / analysis rate seconds (0.0929 s by default). A shorter file
/// gets a degenerate profile (Profile::undefined); loudness has no minimum: its undefined values
/// say why.
double minimum_duration_s(const ProfileOptions& options);

/// Analyses one file. Throws herscan::Error for input that cannot be analysed; damage it could
/// read past is in Profile::warnings (an Error in strict mode).
Profile analyze_file(const std::filesystem::path& path, const ProfileOptions& options = {});

/// analyze_file() on an opened reader (a file in memory, for instance): the profile names the
/// reader's path(). Reads the reader to its end.
Profile analyze(AudioFileReader& reader, const ProfileOptions& options = {});

/// The analysis signal of a file as analyze_file() makes it (the mean of the channels, resampled
/// to `rate_hz` with soxr at `quality`), streamed to `sink` block by block: for tools and tests
/// that feed their own processors. Throws herscan::Error as AudioFileReader does (whose
/// warnings it drops: analyze_file() reports them).
void stream_analysis_signal(const std::filesystem::path& path, double rate_hz,
                            const std::function<void(std::span<const float>)>& sink,
                            ResampleQuality quality = ResampleQuality::high,
                            const ReadOptions& read_options = {});

}  // namespace herscan
