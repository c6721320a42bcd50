// herscan/beat_net.h — a beat activation: the probability, frame by frame, that a beat falls there.
//
// A small temporal convolutional network (after Davies & Böck, "Temporal convolutional networks
// for musical audio beat tracking", EUSIPCO 2019, much reduced) over the beat features that
// MelProcessor keeps (Keep::beat_features): per frame the flux and the level of kBeatBands groups
// of mel bands. The flux enters as log1p(flux), the level as it is. Then
//   h   = W_in · x + b_in                                     (channels values per frame)
//   h  += W_mix,k · elu(conv_k(h) + b_k) + b_mix,k            for each block k: a 3-tap
//                                                             convolution at taps t − d_k, t, t +
//                                                             d_k d_k = 2^k
//   a   = σ(w_out · h + b_out)
// over the features extended at both ends by silence (flux 0, level −1) as far as the network
// sees (the sum of the d_k): a file's first beat is heard after silence, as when it is played.
// Trained by scripts/train_beats.py (python3-torch) on the development sets' beat annotations with
// folds grouped by piece; its weights ship in src/beat_net.inc. docs/accuracy.md has the results.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

namespace herscan {

inline constexpr std::size_t kBeatBands = 16;
inline constexpr std::size_t kBeatFeatures = 2 * kBeatBands;

struct BeatNet {
  struct Block {
    std::size_t dilation = 1;
    std::vector<float> conv_w;  ///< channels × channels × 3 (out, in, tap)
    std::vector<float> conv_b;  ///< channels
    std::vector<float> mix_w;   ///< channels × channels (out, in)
    std::vector<float> mix_b;   ///< channels
  };
  std::size_t channels = 0;
  std::vector<float> in_w;  ///< channels × kBeatFeatures (out, in)
  std::vector<float> in_b;  ///< channels
  std::vector<Block> blocks;
  std::vector<float> out_w;  ///< channels
  float out_b = 0;
  void validate() const;  ///< throws Error(invalid_argument) when the shapes disagree
};

/// The network herscan ships (src/beat_net.inc).
const BeatNet& default_beat_net();

/// A network in the text form scripts/train_beats.py writes (for evaluating folds; bench/):
/// "herscan-beat-net 1", then `channels blocks`, then each array's values, whitespace-separated,
/// in the order of the struct (a block: dilation, conv_w, conv_b, mix_w, mix_b). Throws
/// Error(invalid_argument) on a malformed file.
BeatNet read_beat_net(const std::string& path);

/// The activation (0..1, one value per frame) of `features` (frames × kBeatFeatures, row-major).
std::vector<float> beat_activation(std::span<const float> features,
                                   const BeatNet& net = default_beat_net());

}  // namespace herscan
