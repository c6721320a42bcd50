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

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "herscan/bars.h"

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
  double local_window_s = 4.0;     ///< the local tempogram for the tempo curve, 1..16 s
  double curve_smoothness = 3000;  ///< Viterbi penalty on (Δ log period)² between frames
  double tightness = 100;          ///< the beat DP's penalty on (log interval − log period)²
                                   ///< (the beats of an envelope without an activation)
  void validate() const;           ///< throws Error(invalid_argument) naming the field
};

/// Below this confidence the tempo is reported but is more likely wrong than right at the level
/// chosen: the text summary says "no reliable pulse" (the confidence is a probability; white noise
/// and music without a pulse score below it, docs/accuracy.md has the reliability table).
inline constexpr double kNoReliablePulse = 0.3;

/// The evidence the metrical-level model weighs for one candidate tempo, a peak of the mean
/// tempogram (lag L, refined period p frames). `x`, in order:
///   0 log1p(100·tg(p))        the periodicity at the candidate
///   1 log2(bpm / 140)         its metrical level, and
///   2 its square              (a log-normal preference, learned)
///   3 log1p(100·tg(2p))       the periodicity of groups of two beats (bars, half bars)
///   4 log1p(100·tg(p/2))      of the subdivision
///   5 log1p(100·tg(3p))       of groups of three
///   6 pulse clarity           the peak's height above the valleys beside it (0..1)
///   7 x1 · onset density      the level's preference moved by how busy the envelope is (the
///                             onset peaks per second, log2, centred on 4 per second)
///   8 phase contrast          how much of the envelope falls on one phase of the candidate's
///                             beat: the envelope folded at period p in 8 s windows, log of the
///                             strongest of 8 phase bins over the mean (0 where nothing recurs)
///   9 log1p(100·tg(4p/3))     the periodicity of a beat 4/3 as long (the candidate would be a
///                             dotted subdivision of it)
///  10 log1p(100·tg(2p/3))     of a triplet subdivision
///  11 peak height             x0 minus log1p(100·mean of tg across the lags searched): near 0
///                             for noise, whose tempogram is flat, however high it lies (the
///                             confidence's evidence only: its weight in the level model is 0)
/// tg(·) is the mean tempogram's largest value within ±3 % of the lag (interpolated between
/// lags; lags beyond it read 0).
inline constexpr std::size_t kTempoFeatures = 12;
struct TempoEvidence {
  double bpm = 0;
  double period_frames = 0;  ///< the refined lag
  std::size_t lag = 0;       ///< the peak's integer lag
  double score = 0;          ///< the model's score, w · x
  std::array<double, kTempoFeatures> x{};
};

/// The candidates of the global tempo: every local maximum of the mean tempogram (8 s windows)
/// between min_bpm and max_bpm, with its evidence and the model's score, in lag order. Empty for
/// an envelope without onsets. For training the model (scripts/train_tempo.py) and inspection.
std::vector<TempoEvidence> tempo_candidates(std::span<const float> envelope, double frame_rate_hz,
                                            const TempoConfig& config = {});

/// A metrical level of the global tempo with the model's probability that it is the one
/// listeners tap (the softmax of the candidates' scores).
struct TempoCandidate {
  double bpm = 0;
  double probability = 0;
};

struct TempoResult {
  bool defined = false;  ///< false for an envelope without onsets (silence); see reason
  std::string reason;
  double bpm = 0;            ///< the global tempo, at the chosen metrical level
  double confidence = 0;     ///< 0..1: the calibrated probability that bpm is right (within 4 %
                             ///< of the tempo listeners tap); below kNoReliablePulse: no reliable
                             ///< pulse. Fitted on the development sets (docs/accuracy.md)
  double pulse_clarity = 0;  ///< 0..1: how clearly the tempogram peaks at bpm (its height above
                             ///< the valleys beside it, as a fraction of the room above them)
  std::vector<TempoCandidate> candidates;  ///< the metrical levels, most probable first
  std::vector<double> beats_s;             ///< with want_beats: beat times in seconds
  BarResult bars;  ///< the bars over beats_s (herscan/bars.h); analyze_file fills it with the beats
  std::vector<float> local_bpm;  ///< with want_curve: the tempo curve, one per frame
};

/// herscan's tempo, beats and tempo curve from an onset envelope (the mean-aggregate log-mel flux)
/// at `frame_rate_hz` envelope values per second:
///   tempo   the candidate (tempo_candidates) with the highest score of the metrical-level model,
///           refined between lags (parabola); its probability, calibrated, is the confidence
///   curve   a Viterbi path through the local tempogram (local_window_s), within 0.6..1.6 × the
///           global beat period, smooth in log period
///   beats   librosa's dynamic programme with each beat interval measured against the local
///           period instead of one fixed period, so the beats follow tempo changes
///   With `activation` (herscan/beat_net.h, one value per frame, as the profile passes it) the
///   beats come from a beat-pointer hidden Markov model on the activation instead (intervals
///   within ×1.5 of the chosen period and pulled towards it, so the level stays the model's while
///   the beats follow rubato and steps; docs/accuracy.md), placed where it peaks (the envelope
///   peaks kOnsetLatencyFrames late); the tempo and the curve stay the envelope's.
TempoResult analyze_tempo(std::span<const float> envelope, double frame_rate_hz,
                          const TempoConfig& config = {}, bool want_beats = true,
                          bool want_curve = false, std::span<const float> activation = {});

}  // namespace herscan
