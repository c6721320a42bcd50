// herscan/tempo.h — tempo and beats from an onset strength envelope.
//
// Two families:
//   librosa_*   librosa 0.11's feature.tempo and beat.beat_track, reproduced exactly (parity-
//               tested on the shared reference files); the baseline in docs/accuracy.md.
//   estimate_tempo / track_beats   herscan's own (docs/accuracy.md has the design and the
//               measurements): tempo with a confidence and a principled metrical level, beats that
//               follow tempo drift, and a local tempo curve.
//
// Envelopes are one value per STFT frame (frame rate = sample rate / hop, 43.07 Hz by default).
// Thread-safety: all functions are reentrant.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace herscan {

/// The autocorrelation tempogram averaged over all frames (librosa.feature.tempogram with a
/// periodic Hann window of `win_length` frames, each column normalised by its lag-0 value, then
/// the mean over frames): entry L is the mean normalised autocorrelation at lag L frames.
std::vector<double> mean_tempogram(std::span<const float> envelope, std::size_t win_length);

/// librosa.feature.tempo(onset_envelope=…, start_bpm=120, std_bpm=1, ac_size=8, max_tempo=320):
/// the BPM on the lag grid 60·frame_rate / L maximising log1p(1e6·mean tempogram) + a log-normal
/// prior (σ = 1 octave around 120 BPM). An all-zero envelope gives the prior's peak.
double librosa_tempo(std::span<const float> envelope, double frame_rate_hz);

/// librosa.beat.beat_track(onset_envelope=…, bpm=…, tightness=100, trim=True): Ellis' dynamic
/// programming beat tracker, in double precision as librosa runs it. Beat frame indices; empty for
/// an all-zero envelope.
std::vector<std::int64_t> librosa_beats(std::span<const float> envelope, double frame_rate_hz,
                                        double bpm, double tightness = 100.0, bool trim = true);

struct TempoConfig {
  double min_bpm = 40;  ///< the range searched, 20..min(max_bpm, 400)
  double max_bpm = 250;
  double prior_center_bpm = 140;   ///< the metrical-level preference: log-normal, centre and
  double prior_octaves = 0.9;      ///< width (σ in octaves); docs/accuracy.md measures the choice
  double local_window_s = 4.0;     ///< the local tempogram for the tempo curve, 1..16 s
  double curve_smoothness = 3000;  ///< Viterbi penalty on (Δ log period)² between frames
  double tightness = 100;          ///< the beat DP's penalty on (log interval − log period)²
  void validate() const;           ///< throws Error(invalid_argument) naming the field
};

/// Below this confidence the tempo is reported but there is no reliable pulse (white noise scores
/// about 0.0–0.1, sparse piano 0.3 and above; docs/accuracy.md).
inline constexpr double kNoReliablePulse = 0.2;

struct TempoResult {
  bool defined = false;  ///< false for an envelope without onsets (silence); see reason
  std::string reason;
  double bpm = 0;                ///< the global tempo, at the chosen metrical level
  double confidence = 0;         ///< 0..1: how clearly the periodicity function peaks at bpm (its
                                 ///< height above the valleys beside the peak, as a fraction of the
                                 ///< room above them); below kNoReliablePulse: no reliable pulse
  std::vector<double> beats_s;   ///< with want_beats: beat times in seconds
  std::vector<float> local_bpm;  ///< with want_curve: the tempo curve, one value per frame
};

/// herscan's tempo, beats and tempo curve from an onset envelope (the mean-aggregate log-mel flux)
/// at `frame_rate_hz` envelope values per second:
///   tempo   the lag maximising log1p(100 · mean tempogram) + a log-normal preference around
///           prior_center_bpm, between min_bpm and max_bpm, refined between lags (parabola)
///   curve   a Viterbi path through the local tempogram (local_window_s), within 0.6..1.6 × the
///           global beat period, smooth in log period
///   beats   librosa's dynamic programme with each beat interval measured against the local
///           period instead of one fixed period, so the beats follow tempo changes
TempoResult analyze_tempo(std::span<const float> envelope, double frame_rate_hz,
                          const TempoConfig& config = {}, bool want_beats = true,
                          bool want_curve = false);

}  // namespace herscan
