// librosa 0.11's beat_track on audio files, through herscan's exact reimplementation
// (tests/parity_test.cpp checks it against librosa's own outputs): the baseline of
// docs/accuracy.md. JSON Lines {"file", "tempo": {"bpm", "beats"}} like herscan's, so
// scripts/eval_tempo.py --method librosa can score it. bench/, not CI.
#include <cstdio>
#include <vector>

#include <nlohmann/json.hpp>

#include "herscan/mel.h"
#include "herscan/profile.h"
#include "herscan/stft.h"
#include "herscan/tempo.h"

int main(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    herscan::StftConfig stft;
    herscan::MelProcessor mel(
        stft, {}, {},
        herscan::MelKeep{.mel_db = false, .mfcc = false, .onset = true, .onset_median = true});
    herscan::Stft transform(stft);
    transform.add_consumer(mel);
    herscan::stream_analysis_signal(argv[a], stft.sample_rate_hz,
                                    [&](std::span<const float> y) { transform.push(y); });
    transform.finish();
    const double frame_rate = stft.sample_rate_hz / double(stft.hop_frames);
    // beat_track: the tempo and the beats both from the median-aggregate envelope.
    const double bpm = herscan::librosa_tempo(mel.onset_median(), frame_rate);
    std::vector<double> beats;
    for (auto frame : herscan::librosa_beats(mel.onset_median(), frame_rate, bpm))
      beats.push_back(double(frame) / frame_rate);
    const nlohmann::json line = {{"file", argv[a]}, {"tempo", {{"bpm", bpm}, {"beats", beats}}}};
    std::printf("%s\n", line.dump().c_str());
  }
  return 0;
}
