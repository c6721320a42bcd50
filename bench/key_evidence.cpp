// Dumps the key's evidence (herscan::KeyEvidence: the key chroma of the whole recording and of its
// opening and closing seconds) of audio files as JSON Lines, for fitting the key model
// (scripts/train_key.py; bench/, not CI):
//   key_evidence FILE... > key_evidence.jsonl
// Each line: {"file", "global": [12], "opening": [12], "closing": [12], "blocks": [[12]...],
// "block_s", "start_s"}, chroma C first, unnormalised;
// an unreadable file is reported on stderr and skipped (exit 1 at the end).
#include <cstdio>
#include <exception>

#include <nlohmann/json.hpp>

#include "herscan/chroma.h"
#include "herscan/profile.h"
#include "herscan/stft.h"

int main(int argc, char** argv) {
  int status = 0;
  for (int a = 1; a < argc; ++a) {
    try {
      herscan::StftConfig stft;
      herscan::TonalConfig config;
      config.want_chroma = false;
      herscan::TonalProcessor tonal(stft, config);
      herscan::Stft transform(stft);
      transform.add_consumer(tonal);
      herscan::stream_analysis_signal(argv[a], stft.sample_rate_hz,
                                      [&](std::span<const float> y) { transform.push(y); });
      transform.finish();
      const auto& e = tonal.result().key_evidence;
      const nlohmann::json line = {{"file", argv[a]},      {"global", e.global},
                                   {"opening", e.opening}, {"closing", e.closing},
                                   {"blocks", e.blocks},   {"block_s", e.block_s},
                                   {"start_s", e.start_s}};
      std::printf("%s\n", line.dump().c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "key_evidence: %s: %s\n", argv[a], e.what());
      status = 1;
    }
  }
  return status;
}
