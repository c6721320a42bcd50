// Dumps herscan's onset strength envelopes (librosa's log-mel flux, mean and median aggregate) of
// audio files as JSON Lines, for studying tempo and beat methods in notebooks (bench/, not CI):
//   onset_dump FILE... > envelopes.jsonl
// Each line: {"file", "frame_rate_hz", "onset_mean": [...], "onset_median": [...], "onset_low":
// [...], "onset_mid": [...], "onset_high": [...]}: the last three are the mean flux of the mel
// bands below 200 Hz (bands 0–7), 200 Hz–1 kHz (8–38) and above (39–127), with the same lag and
// centring.
#include <algorithm>
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "herscan/mel.h"
#include "herscan/profile.h"
#include "herscan/stft.h"

int main(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    herscan::StftConfig stft;
    herscan::MelProcessor mel(
        stft, {}, {},
        herscan::MelKeep{.mel_db = true, .mfcc = false, .onset = true, .onset_median = true});
    herscan::Stft transform(stft);
    transform.add_consumer(mel);
    herscan::stream_analysis_signal(argv[a], stft.sample_rate_hz,
                                    [&](std::span<const float> y) { transform.push(y); });
    transform.finish();
    const auto& db = mel.mel_db();
    const std::size_t frames = db.size() / 128;
    std::vector<float> low(frames, 0.0f), mid(frames, 0.0f), high(frames, 0.0f);
    auto band = [&](std::size_t t, std::size_t lo, std::size_t hi) {
      double sum = 0;
      for (std::size_t m = lo; m < hi; ++m)
        sum += std::max(0.0f, db[(t - 2) * 128 + m] - db[(t - 3) * 128 + m]);
      return float(sum / double(hi - lo));
    };
    for (std::size_t t = 3; t < frames; ++t) {
      low[t] = band(t, 0, 8);
      mid[t] = band(t, 8, 39);
      high[t] = band(t, 39, 128);
    }
    const nlohmann::json line = {{"file", argv[a]},
                                 {"onset_low", low},
                                 {"onset_mid", mid},
                                 {"onset_high", high},
                                 {"frame_rate_hz", stft.sample_rate_hz / double(stft.hop_frames)},
                                 {"onset_mean", mel.onset_mean()},
                                 {"onset_median", mel.onset_median()}};
    std::printf("%s\n", line.dump().c_str());
  }
  return 0;
}
