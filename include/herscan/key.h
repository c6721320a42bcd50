// herscan/key.h — musical key from a 12-bin chroma vector (C first).
//
// The default profile, herscan, is a model fitted on the development sets (scripts/train_key.py,
// docs/accuracy.md): each of the 24 keys gets the probability softmax(w · x) over the keys, where x
// holds the Pearson correlations of the recording's chroma with the key's Temperley, EDMA and
// fitted profiles (major or minor, rotated to the tonic), of the opening and of the closing chroma
// (the first and last 2 s of music) with the key's tonic triad (pieces begin and end on their tonic
// far more often than on any other chord: that tells a minor key from its relative major when both
// use the same chords), and a minor bias. Its candidates' scores are those probabilities and the
// strength is the winner's. With a published profile, each key's score is the profile's
// correlation plus half of each tonic-triad correlation, divided by 2 (the sum of the weights) and
// clipped to [0, 1] for the strength. Either way the confidence is the calibrated probability that
// the chosen key is right, from the model's probability for it. Profiles:
//   herscan    the fitted model (default)
//   krumhansl  Krumhansl & Kessler (1982), probe-tone ratings
//   temperley  Temperley (1999/2007), corpus-derived
//   edma       Faraldo et al. (2016), electronic dance music (major: EDMA; minor: EDMA)
//   shaath     İbrahim Şahbaz Shaath's (KeyFinder) major/minor
// docs/accuracy.md gives each profile's measured accuracy and why the default is the default.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace herscan {

enum class KeyProfile { krumhansl, temperley, edma, shaath, herscan };

/// "herscan", "krumhansl", "temperley", "edma", "shaath" → profile; nullopt otherwise.
std::optional<KeyProfile> parse_key_profile(std::string_view name);
const char* key_profile_name(KeyProfile profile) noexcept;
/// The profile's major and minor weights for tonic C (index 0 = C); for herscan, the profile fitted
/// on the real development set (one of the model's three).
const std::array<double, 12>& key_profile_weights(KeyProfile profile, bool minor);

struct KeyCandidate {
  int tonic = 0;  ///< pitch class, 0 = C
  bool minor = false;
  double score = 0;  ///< herscan: the key's probability; else the weighted mean correlation, −1..1
};

/// A stretch of the recording in one key (KeyResult::segments).
struct KeySegment {
  double start_s = 0;
  double end_s = 0;
  int tonic = 0;  ///< pitch class, 0 = C
  bool minor = false;
};

struct KeyResult {
  bool defined = false;  ///< false: no tonal content (silence); see reason
  std::string reason;    ///< why the key is undefined
  int tonic = 0;         ///< pitch class, 0 = C
  bool minor = false;
  double strength = 0;                   ///< the winner's score, clipped to [0, 1]
  double confidence = 0;                 ///< 0..1: the calibrated probability that the key is
                                         ///< right (a logistic function of the model's
                                         ///< probability for it, fitted on the development
                                         ///< sets: docs/accuracy.md)
  std::vector<KeyCandidate> candidates;  ///< all 24 keys, best first
  std::vector<KeySegment> segments;      ///< the key over time, from KeyEvidence::blocks (empty
                                         ///< without them); one segment where the key stays
};

/// What the key is estimated from: pitch-class weights (C first) over the whole recording and over
/// its opening and closing seconds. An all-zero opening or closing chroma contributes nothing.
struct KeyEvidence {
  std::array<double, 12> global{};
  std::array<double, 12> opening{};
  std::array<double, 12> closing{};
  std::vector<std::array<double, 12>> blocks;  ///< the chroma of consecutive blocks of music
  double block_s = 0;                          ///< each block's duration (the last may be shorter)
  double start_s = 0;                          ///< where the first block begins
  double end_s = 0;                            ///< where the last block ends (the music's end)
};

/// The key segments (modulations): the model (the herscan profile's, whatever the profile) reads
/// the chroma of each block of kKeyBlockSeconds with kKeySegmentContext blocks on either side
/// (none: each block alone), and a Viterbi path through the 24 keys, where a change of key costs
/// kKeySegmentSwitchCost (in nats of log-probability), joins the blocks into segments. Chosen by
/// nested cross-validation on the development sets (scripts/cv_key_segments.py, docs/accuracy.md):
/// 3 of 175 single-key files get a spurious change; 18 of 36 joins of two pieces in different keys
/// are found with both keys right.
inline constexpr double kKeyBlockSeconds = 4.0;
inline constexpr std::size_t kKeySegmentContext = 0;
inline constexpr double kKeySegmentSwitchCost = 20.0;

/// Weights of the opening and closing evidence against a published profile's correlation (1).
inline constexpr double kKeyOpeningWeight = 0.5;
inline constexpr double kKeyClosingWeight = 0.5;

/// The key from the evidence. A global chroma whose entries are all (nearly) equal or zero has no
/// key (KeyResult::defined false, with the reason).
KeyResult estimate_key(const KeyEvidence& evidence, KeyProfile profile);
/// The key of a single chroma (global evidence only).
KeyResult estimate_key(std::span<const double, 12> chroma, KeyProfile profile);

/// "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B".
const char* tonic_name(int pitch_class) noexcept;
/// Camelot wheel code for DJs: "8B" = C major, "8A" = A minor, ...
std::string camelot(int tonic, bool minor);
/// "A minor", "C major" (mir_eval's key format).
std::string key_name(int tonic, bool minor);

}  // namespace herscan
