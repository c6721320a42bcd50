// herscan/chroma.h — tuning, chroma and the tonal analysis behind key estimation.
//
//   tuning       herscan's estimate (TuningMethod::herscan, the default, used by both chromas):
//                the magnitude-weighted circular mean of the deviations of spectral peaks
//                (100 Hz–1.2 kHz, above 1 % of the frame's maximum, frequency by log-parabolic
//                interpolation) from the equal-tempered grid of A = 440 Hz; measured within
//                ±1.2 cents on detuned tones and 0.4 cents RMS on the development set
//                (docs/accuracy.md). TuningMethod::librosa is librosa.estimate_tuning exactly
//                (piptrack peaks at or above the median magnitude, the fullest 0.01-semitone bin),
//                for parity. In semitones, −0.5..0.5.
//   chroma       librosa.feature.chroma_stft's definition: the tuning-aware chroma filterbank
//                (Gaussian bumps per pitch class, L2-normalised per FFT bin, octave weighting
//                centred on 880 Hz with σ = 2 octaves, C first) applied to the power spectrum,
//                each frame divided by its maximum, built for herscan's tuning estimate (librosa
//                estimates its own; with TuningMethod::librosa the output is librosa's).
//   key chroma   herscan's chroma for key estimation (docs/accuracy.md): a tuning-corrected
//                semitone spectrum of log-compressed magnitudes, a temporal median against
//                percussion, harmonic summation onto fundamentals, folded to 12 pitch classes.
//
// Tuning is a property of the whole recording, known only at the end. TonalProcessor
// accumulates herscan's tuning frame by frame and keeps what needs the final tuning until
// finish(): each frame's spectral peaks (pitch before the tuning correction, magnitude) for the
// key chroma, and, when chroma_stft or librosa's tuning estimator is asked for, each frame's
// power spectrum (a 256 KB buffer in memory, the rest in an unlinked temporary file).
//
// Thread-safety: one thread per object; the free functions are reentrant.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "herscan/key.h"
#include "herscan/stats.h"
#include "herscan/stft.h"

namespace herscan {

/// Pitch class names, C first, as in the profile ("C", "C#", "D", "Eb", ...).
extern const std::array<const char*, 12> kPitchClassNames;

/// How the tuning is estimated: herscan's circular mean of peak deviations (accurate), or
/// librosa.estimate_tuning on the magnitude spectrogram (as estimate_tuning(y=…)) or on the power
/// spectrogram (as chroma_stft does internally).
enum class TuningMethod { herscan, librosa_magnitude, librosa_power };

/// The tuning of a recording from its spectra: `for_each_frame(f)` must call f(power) for every
/// frame's power spectrum (n_fft/2 + 1 bins), in order; it may be called up to three times
/// (librosa's median of all peak magnitudes is exact). Returns semitones (0 without peaks).
double estimate_tuning_from(
    const std::function<void(const std::function<void(std::span<const float>)>&)>& for_each_frame,
    double sample_rate_hz, std::size_t n_fft, TuningMethod method);

/// Batch convenience: the tuning of a mono signal, in semitones.
double estimate_tuning(std::span<const float> mono, const StftConfig& stft,
                       TuningMethod method = TuningMethod::herscan);

/// librosa.filters.chroma for a (rate, n_fft, tuning), stored dense (12 × bins): about half of
/// each row is non-zero, a Gaussian in every octave, so the SIMD dot product beats a sparse walk.
class ChromaFilterbank {
 public:
  ChromaFilterbank(double sample_rate_hz, std::size_t n_fft, double tuning_semitones = 0);
  /// raw[c] = Σ_k W[c,k] · power[k]
  void apply(std::span<const float> power, std::span<float, 12> raw) const;
  float weight(std::size_t chroma, std::size_t bin) const;  ///< W[c,k] (tests)

 private:
  std::size_t bins_;
  std::vector<float> dense_;  // 12 × bins
};

struct TonalConfig {
  std::optional<double> tuning_semitones;  ///< fix the tuning instead of estimating it
  TuningMethod tuning_method = TuningMethod::herscan;
  KeyProfile key_profile = KeyProfile::herscan;
  bool keep_chroma_frames = false;  ///< keep chroma_stft rows (frames × 12)
  bool want_chroma = true;          ///< compute librosa's chroma_stft
  bool want_key = true;             ///< compute the key chroma and the key
};

struct TonalResult {
  bool has_chroma = false;  ///< chroma_stft was computed (TonalConfig::want_chroma)
  bool has_key = false;     ///< the key was estimated (TonalConfig::want_key)
  double tuning_semitones = 0;
  std::size_t frames = 0;
  std::array<Summary, 12> chroma;       ///< chroma_stft mean and std per pitch class
  std::vector<float> chroma_frames;     ///< frames × 12 (keep_chroma_frames)
  std::array<double, 12> key_chroma{};  ///< the global key chroma (sums to 1, or all 0)
  KeyEvidence key_evidence;             ///< what the key was estimated from (unnormalised sums)
  KeyResult key;
};

/// Streaming tonal analysis: attach to an Stft; results after finish().
class TonalProcessor : public FrameConsumer {
 public:
  TonalProcessor(const StftConfig& stft, const TonalConfig& config = {});
  ~TonalProcessor() override;
  void consume(const StftFrame& frame) override;
  void finish() override;
  const TonalResult& result() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Batch convenience: chroma_stft of a mono signal, frames × 12, with the given tuning or the one
/// `method` estimates (TuningMethod::librosa_power reproduces librosa.feature.chroma_stft).
std::vector<float> chroma_stft(std::span<const float> mono, const StftConfig& stft,
                               std::optional<double> tuning_semitones = std::nullopt,
                               TuningMethod method = TuningMethod::herscan);

/// Batch convenience: the whole tonal analysis of a mono signal.
TonalResult analyze_tonality(std::span<const float> mono, const StftConfig& stft,
                             const TonalConfig& config = {});

}  // namespace herscan
