// herscan/bars.h — bars: where the downbeats fall among the beats, and how many beats a bar has.
//
//   downbeat activation   the beat network's architecture (herscan/beat_net.h) on the same
//                         features, trained on downbeats instead of beats (scripts/
//                         train_downbeats.py); its weights ship in src/downbeat_net.inc. Per
//                         frame, how likely a bar starts there.
//   track_bars            a hidden Markov model over each beat's position in its bar, run on the
//                         beats herscan reports: the activation read at each beat (the largest
//                         value within ±kBarWindowFrames frames, clamped to 1e-4..1 − 1e-4) is
//                         the evidence, log a where the beat is a downbeat, log(1 − a) where it
//                         is not. From one beat to the next the position moves on by one (after
//                         the last, back to 1), or with probability `jump` to any other position
//                         (a beat the tracker missed or added, a bar of another length: the bars
//                         pick up again after it). The first beat is a downbeat with the prior
//                         log-odds `first` against each other position. The meter is one per
//                         file, 3 or 4 beats a bar, 4 with the prior log-odds `prior4`; the
//                         Viterbi path of the likelier meter gives the positions.
//                         The confidence is a logistic function, fitted on the development sets,
//                         of the mean posterior of the chosen positions and the chosen meter's
//                         posterior (both as log-odds): the probability that the downbeats are
//                         right (a downbeat F-measure of 0.5 or more against the notated bars).
//
// Meters other than 3 and 4 (5/4, 7/8, compound 6/8 at the dotted-quarter beat is 2) are read as
// one of the two; docs/accuracy.md has the measurements and the limits.
// Thread-safety: all functions are reentrant.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "herscan/beat_net.h"

namespace herscan {

inline constexpr std::size_t kBarWindowFrames = 2;

/// The bar tracker's parameters; the defaults are the ones chosen by cross-validation
/// (scripts/train_downbeats.py) and shipped.
struct BarConfig {
  double jump;    ///< the probability that a beat does not move one position on, (0, 1)
  double prior4;  ///< the prior log-odds of 4 beats a bar over 3
  double first;   ///< the prior log-odds that the first beat is a downbeat, against each other
                  ///< position (0: every start position equally likely), within ±50
  BarConfig();
  void validate() const;  ///< throws Error(invalid_argument) naming the field
};

struct BarResult {
  std::size_t beats_per_bar = 0;  ///< 3 or 4; 0 without beats
  std::vector<int> positions;     ///< per beat its position in the bar, 1 = the downbeat
  double confidence = 0;         ///< the probability that the downbeats are right (0 without beats)
  double meter_probability = 0;  ///< the posterior of beats_per_bar against the other meter
  double mean_posterior = 0;     ///< the mean posterior of the chosen positions
};

/// The network herscan ships for downbeats (src/downbeat_net.inc).
const BeatNet& default_downbeat_net();

/// Bars over `beats_s` (seconds, ascending) from a downbeat activation (one value per frame at
/// `frame_rate_hz`, as beat_activation(features, default_downbeat_net()) gives it). No beats: an
/// empty result.
BarResult track_bars(std::span<const double> beats_s, std::span<const float> activation,
                     double frame_rate_hz, const BarConfig& config = {});

}  // namespace herscan
