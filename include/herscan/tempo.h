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

}  // namespace herscan
