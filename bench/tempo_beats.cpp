// herscan's tempo and beats of audio files with a given beat network (for scoring the folds of
// scripts/train_beats.py; bench/, not CI):
//   tempo_beats [--net FILE | --no-net] [--activation] [--tightness T] FILE...
// --net: a network in read_beat_net's text form (default: the shipped one); --no-net: beats from
// the onset envelope; --activation: the activation too, as "activation"; --tightness: the beat
// programme's (TempoConfig::tightness, default 100). Each line: {"file",
// "tempo": {"bpm", "confidence", "beats_s"}} in the form scripts/eval_tempo.py reads with
// --results.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>

#include <nlohmann/json.hpp>

#include "herscan/beat_net.h"
#include "herscan/mel.h"
#include "herscan/profile.h"
#include "herscan/stft.h"
#include "herscan/tempo.h"

int main(int argc, char** argv) {
  int status = 0;
  std::optional<herscan::BeatNet> net = herscan::default_beat_net();
  int a = 1;
  if (a < argc && std::strcmp(argv[a], "--no-net") == 0) {
    net.reset();
    ++a;
  } else if (a + 1 < argc && std::strcmp(argv[a], "--net") == 0) {
    net = herscan::read_beat_net(argv[a + 1]);
    a += 2;
  }
  bool dump = false;
  if (a < argc && std::strcmp(argv[a], "--activation") == 0) {
    dump = true;
    ++a;
  }
  herscan::TempoConfig config;
  if (a + 1 < argc && std::strcmp(argv[a], "--tightness") == 0) {
    config.tightness = std::atof(argv[a + 1]);
    a += 2;
  }
  for (; a < argc; ++a) {
    try {
      herscan::StftConfig stft;
      herscan::MelProcessor mel(stft, {}, {},
                                herscan::MelKeep{.onset = true, .beat_features = bool(net)});
      herscan::Stft transform(stft);
      transform.add_consumer(mel);
      herscan::stream_analysis_signal(argv[a], stft.sample_rate_hz,
                                      [&](std::span<const float> y) { transform.push(y); });
      transform.finish();
      const double rate = stft.sample_rate_hz / double(stft.hop_frames);
      std::vector<float> activation;
      if (net) activation = herscan::beat_activation(mel.beat_features(), *net);
      const auto t =
          herscan::analyze_tempo(mel.onset_mean(), rate, config, true, false, activation);
      nlohmann::json tempo = {{"bpm", t.defined ? nlohmann::json(t.bpm) : nlohmann::json()},
                              {"confidence", t.confidence},
                              {"beats_s", t.beats_s}};
      nlohmann::json line = {{"file", argv[a]}, {"tempo", std::move(tempo)}};
      if (dump) line["activation"] = activation;
      std::printf("%s\n", line.dump().c_str());
      std::fflush(stdout);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tempo_beats: %s: %s\n", argv[a], e.what());
      status = 1;
    }
  }
  return status;
}
