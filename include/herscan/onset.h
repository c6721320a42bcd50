// herscan/onset.h — onset strength envelopes.
//
// librosa.onset.onset_strength: the spectral flux of the mel spectrogram in dB (128 Slaney bands,
// power_to_db with the whole file's top_db = 80): o[t] = AGG_m max(0, M[m, t−2] − M[m, t−3]) for
// t ≥ 3 and o[0..2] = 0 (lag 1, shifted by n_fft / (2·hop) frames so that o[t] belongs to frame
// t's centre), AGG = mean (librosa's default) or median (what librosa.beat.beat_track uses).
// MelProcessor computes both from the mel dB rows it keeps (MelKeep::onset).
#pragma once

#include <span>
#include <vector>

namespace herscan {

enum class OnsetAggregate { mean, median };

/// The aggregate of one frame's positive differences across bands, as librosa computes it (the
/// median of an even count is the mean of the two middle values). `scratch` is reused.
float onset_aggregate(std::span<const float> previous, std::span<const float> current,
                      OnsetAggregate aggregate, std::vector<float>& scratch);

}  // namespace herscan
