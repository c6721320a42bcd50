// herscan/loudness.h — loudness per ITU-R BS.1770-4 and EBU R128 (Tech 3341, Tech 3342), and
// ReplayGain 2.0, streaming, at the signal's native sample rate, all channels.
//
// What is measured (docs/loudness.md has the definitions and the conformance table):
//   momentary    400 ms window, evaluated every 10 ms (every window position on a 10 ms grid)
//   short-term   3 s window, every 10 ms
//   integrated   400 ms blocks every 100 ms, absolute gate −70 LUFS, relative gate −10 LU
//   range (LRA)  3 s short-term values every 100 ms, gates −70 LUFS and −20 LU,
//                95th − 10th percentile (EBU Tech 3342)
//   sample peak  max |x| over all channels, in dBFS
//   true peak    BS.1770-4 Annex 2: oversampled 4× below 96 kHz, 2× up to 192 kHz, in dBTP
//   ReplayGain   2.0: −18 LUFS − integrated loudness, in dB
//
// The K-weighting filters are re-derived for any sample rate from their analogue prototypes.
// Channel weights come from the layout (channel_weights()). Memory is constant in the length
// of the signal: gating uses histograms of 0.01 LU resolution that keep exact energy sums per
// bin.
//
// Silence and too-short input are values, not errors: a quantity that is undefined is NaN in
// LoudnessResult and null in JSON, with the reason in LoudnessResult::undefined.
//
// Thread-safety: one thread per LoudnessMeter; results are plain values.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "herscan/audio_file.h"

namespace herscan {

struct LoudnessConfig {
  double sample_rate_hz = 48000;        ///< 1000..768000
  int channels = 2;                     ///< 1..64
  std::vector<ChannelPosition> layout;  ///< one per channel, or empty for the default layout
  bool true_peak = true;                ///< oversampled true peak (costs ~48 MACs per sample)
  bool keep_series = false;             ///< keep M and S series (for --frames)
  double series_interval_s = 0.1;       ///< series step: a multiple of 0.01 s in 0.01..10
  void validate() const;                ///< throws Error(invalid_argument) naming the field
};

/// BS.1770-4 weights G_i for each channel: 1.0 for front channels, 1.41 for surround channels
/// (azimuth 60°–120°), 0 for LFE. Without a layout: 1 ch mono; 2 L R; 3 L R C; 4 L R Ls Rs;
/// 5 L R C Ls Rs; 6 L R C LFE Ls Rs (SMPTE 5.1); 7 L R C LFE BC SL SR (6.1); 8 L R C LFE BL BR SL
/// SR (SMPTE 7.1); more: 1.0 each. With a layout: the surround pair of a 5.x layout (back or
/// side) weighs 1.41; in a 7.x layout with both pairs the side pair (90°) weighs 1.41 and the
/// back pair (135°–150°) 1.0, as BS.1770-4 Table 4 assigns by azimuth.
std::vector<double> channel_weights(int channels, const std::vector<ChannelPosition>& layout);

/// The gating state behind integrated loudness and LRA, mergeable across tracks (album values).
struct LoudnessHistograms;

struct LoudnessResult {
  double integrated_lufs = NAN;
  double range_lu = NAN;
  double momentary_max_lufs = NAN;
  double short_term_max_lufs = NAN;
  double sample_peak_dbfs = NAN;
  double true_peak_dbtp = NAN;  ///< NaN when true peak was not requested
  double replaygain_db = NAN;   ///< −18 − integrated_lufs
  double sample_peak = 0;       ///< linear, for ReplayGain peak tags
  double true_peak = 0;         ///< linear
  std::int64_t frames = 0;      ///< input frames measured
  /// Why a field is NaN, keyed by its JSON name: {"integrated_lufs": "below absolute gate"}.
  std::map<std::string, std::string> undefined;

  /// Momentary and short-term loudness every series_interval_s (with keep_series): entry i is
  /// the window ending at (i + 1) · series_interval_s; NaN where the window is incomplete or
  /// silent (−∞).
  std::vector<float> momentary_series_lufs, short_term_series_lufs;

  std::shared_ptr<const LoudnessHistograms> histograms;  ///< for album_loudness()
};

/// Streaming meter. push() interleaved frames of any count; finish() once; then result().
class LoudnessMeter {
 public:
  explicit LoudnessMeter(const LoudnessConfig& config);
  ~LoudnessMeter();
  LoudnessMeter(LoudnessMeter&&) noexcept;
  LoudnessMeter& operator=(LoudnessMeter&&) noexcept;

  void push(const float* interleaved, std::size_t frames);
  void finish();
  /// Valid after finish().
  const LoudnessResult& result() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Batch convenience: the loudness of a whole interleaved signal.
LoudnessResult measure_loudness(std::span<const float> interleaved, const LoudnessConfig& config);

/// Album values over several tracks (ReplayGain 2.0 album gain): integrated loudness and LRA
/// gated over the union of all tracks' blocks, peaks and maxima as the maximum over tracks.
LoudnessResult album_loudness(std::span<const LoudnessResult> tracks);

/// Loudness in LUFS of a mean square energy z: −0.691 + 10·log10(z) (BS.1770-4 eq. 2).
double energy_to_lufs(double z);

}  // namespace herscan
