// Dumps the metrical-level model's evidence (herscan::tempo_candidates) of audio files as JSON
// Lines, for fitting the model (scripts/train_tempo.py; bench/, not CI):
//   tempo_evidence FILE... > evidence.jsonl
// Each line: {"file", "candidates": [{"bpm", "lag", "x": [...]}, ...]} with the candidates in lag
// order and x as TempoEvidence documents; an unreadable file is reported on stderr and skipped
// (exit 1 at the end).
#include <cstdio>
#include <exception>

#include <nlohmann/json.hpp>

#include "herscan/mel.h"
#include "herscan/profile.h"
#include "herscan/stft.h"
#include "herscan/tempo.h"

int main(int argc, char** argv) {
  int status = 0;
  for (int a = 1; a < argc; ++a) {
    try {
      herscan::StftConfig stft;
      herscan::MelProcessor mel(stft, {}, {}, herscan::MelKeep{.onset = true});
      herscan::Stft transform(stft);
      transform.add_consumer(mel);
      herscan::stream_analysis_signal(argv[a], stft.sample_rate_hz,
                                      [&](std::span<const float> y) { transform.push(y); });
      transform.finish();
      const double rate = stft.sample_rate_hz / double(stft.hop_frames);
      nlohmann::json candidates = nlohmann::json::array();
      for (const auto& c : herscan::tempo_candidates(mel.onset_mean(), rate))
        candidates.push_back({{"bpm", c.bpm}, {"lag", c.lag}, {"x", c.x}});
      const nlohmann::json line = {{"file", argv[a]}, {"candidates", std::move(candidates)}};
      std::printf("%s\n", line.dump().c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "tempo_evidence: %s: %s\n", argv[a], e.what());
      status = 1;
    }
  }
  return status;
}
