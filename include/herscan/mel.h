// herscan/mel.h — mel spectrogram, power-to-dB and MFCC with librosa 0.11's definitions.
//
//   mel filterbank   librosa.filters.mel: n_mels triangles on the Hz axis between mel-spaced
//                    edges (Slaney's mel scale by default, HTK's on request), fmin 0, fmax sr/2,
//                    Slaney area normalisation (2 / bandwidth in Hz). Stored sparse: only the
//                    non-zero weights of each band (~2 per FFT bin in all).
//   mel power        Σ_k W[m,k] · |X_k|²                 librosa.feature.melspectrogram
//   mel dB           10·log10(max(1e-10, mel)) (ref 1.0), then clipped at the maximum of the
//                    whole file − 80 dB                  librosa.power_to_db(top_db=80)
//   MFCC             orthonormal DCT-II of each frame's mel dB, first 20   librosa.feature.mfcc
//
// Because top_db clips against the whole file, the processor keeps each frame's mel dB until
// finish() (a 256 KB buffer in memory, the rest in an unlinked temporary file: bounded memory).
//
// Thread-safety: one thread per object.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "herscan/onset.h"
#include "herscan/stats.h"
#include "herscan/stft.h"

namespace herscan {

/// Slaney's mel scale (librosa's default): linear below 1 kHz (200/3 Hz per mel), logarithmic
/// above; or HTK's 2595·log10(1 + f/700).
double hz_to_mel(double hz, bool htk = false);
double mel_to_hz(double mel, bool htk = false);

struct MelConfig {
  std::size_t n_mels = 128;  ///< 1..1024
  double fmin_hz = 0;        ///< ≥ 0
  double fmax_hz = 0;        ///< 0 means sample_rate / 2; otherwise fmin < fmax ≤ sample_rate / 2
  bool htk = false;          ///< HTK mel scale instead of Slaney's
  bool slaney_norm = true;   ///< area normalisation (librosa norm="slaney")
  void validate(double sample_rate_hz) const;
};

/// A sparse mel filterbank for one (rate, n_fft).
class MelFilterbank {
 public:
  MelFilterbank(double sample_rate_hz, std::size_t n_fft, const MelConfig& config = {});
  std::size_t bands() const noexcept { return bands_.size(); }
  std::size_t bins() const noexcept { return bins_; }
  /// Number of stored (non-zero) weights.
  std::size_t nonzeros() const noexcept;
  /// The centre frequency of each band in Hz (librosa.mel_frequencies(n_mels + 2)[1:-1]).
  const std::vector<double>& centres_hz() const noexcept { return centres_hz_; }
  /// mel[m] = Σ_k W[m,k] · power[k]; power has bins() entries, mel bands().
  void apply(std::span<const float> power, std::span<float> mel) const;
  /// The dense weight W[m,k] (for tests).
  float weight(std::size_t band, std::size_t bin) const;

 private:
  struct Band {
    std::size_t first_bin;
    std::vector<float> weights;
  };
  std::size_t bins_;
  std::vector<Band> bands_;
  std::vector<double> centres_hz_;
};

/// librosa.power_to_db of one value without clipping: 10·log10(max(amin, x)) − 10·log10(ref).
float power_to_db(float power, float amin = 1e-10f, float ref = 1.0f);

struct MfccConfig {
  std::size_t n_mfcc = 20;  ///< 1..n_mels
  double top_db = 80;       ///< clip at the file's maximum − top_db; ≤ 0 disables clipping
  void validate(std::size_t n_mels) const;
};

/// Orthonormal DCT-II matrix rows 0..n_out−1 for inputs of length n (scipy.fft.dct norm="ortho").
std::vector<double> dct_ortho_matrix(std::size_t n_out, std::size_t n);

/// Which per-frame rows a MelProcessor keeps (memory O(frames)).
struct MelKeep {
  bool mel_db = false;  ///< keep the clipped mel dB rows (frames × n_mels)
  bool mfcc = false;    ///< keep the MFCC rows (frames × n_mfcc)
  bool onset =
      false;  ///< compute the onset strength envelope (herscan/onset.h), one value per frame
  bool onset_median = false;   ///< with onset: also the median-aggregate envelope (librosa's
                               ///< beat_track default; herscan's tempo uses the mean)
  bool beat_features = false;  ///< the beat activation's input rows (herscan/beat_net.h)
};

/// Streaming mel / MFCC processor; attach to an Stft. Results after finish().
class MelProcessor : public FrameConsumer {
 public:
  using Keep = MelKeep;
  MelProcessor(const StftConfig& stft, const MelConfig& mel = {}, const MfccConfig& mfcc = {},
               Keep keep = {});
  ~MelProcessor() override;

  void consume(const StftFrame& frame) override;
  void finish() override;

  const MelFilterbank& filterbank() const noexcept;
  /// Mean and std of each MFCC coefficient over all frames.
  const std::vector<Summary>& mfcc_summary() const;
  /// Row-major frames × n_mels (with Keep::mel_db).
  const std::vector<float>& mel_db() const;
  /// Row-major frames × n_mfcc (with Keep::mfcc).
  const std::vector<float>& mfcc() const;
  /// librosa.onset.onset_strength with the mean (default) and the median aggregate, one value per
  /// frame (with Keep::onset; the median with Keep::onset_median, else empty).
  const std::vector<float>& onset_mean() const;
  const std::vector<float>& onset_median() const;
  /// With Keep::beat_features: row-major frames × kBeatFeatures, per frame the flux (as the onset
  /// envelope's, mean over the bands of a group) of kBeatBands equal groups of mel bands, then
  /// those groups' mean clipped level in dB below the file's peak, divided by top_db (0 loudest,
  /// −1 at the floor); aligned with onset_mean(), rows 0..2 without flux and at the floor.
  const std::vector<float>& beat_features() const;
  std::size_t frames() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Batch convenience: clipped mel dB (frames × n_mels, row-major) of a mono signal.
std::vector<float> mel_spectrogram_db(std::span<const float> mono, const StftConfig& stft,
                                      const MelConfig& mel = {});
/// Batch convenience: MFCC (frames × n_mfcc, row-major) of a mono signal.
std::vector<float> mfcc(std::span<const float> mono, const StftConfig& stft,
                        const MelConfig& mel = {}, const MfccConfig& config = {});

}  // namespace herscan
