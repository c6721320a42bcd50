// Dumps what the beat network is trained on (scripts/train_beats.py; bench/, not CI):
//   beat_features OUTDIR FILE...
// For the i-th FILE: OUTDIR/i.f32, the beat features (frames × kBeatFeatures float32, row-major,
// MelProcessor::beat_features), and a line on stdout {"file", "index", "frames", "rate_hz"}. An
// unreadable file is reported on stderr and skipped (exit 1 at the end).
#include <cstdio>
#include <exception>
#include <fstream>
#include <string>

#include <nlohmann/json.hpp>

#include "herscan/beat_net.h"
#include "herscan/mel.h"
#include "herscan/profile.h"
#include "herscan/stft.h"

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: beat_features OUTDIR FILE...\n");
    return 2;
  }
  const std::string dir = argv[1];
  int status = 0;
  for (int a = 2; a < argc; ++a) {
    try {
      herscan::StftConfig stft;
      herscan::MelProcessor mel(stft, {}, {}, herscan::MelKeep{.beat_features = true});
      herscan::Stft transform(stft);
      transform.add_consumer(mel);
      herscan::stream_analysis_signal(argv[a], stft.sample_rate_hz,
                                      [&](std::span<const float> y) { transform.push(y); });
      transform.finish();
      const auto& rows = mel.beat_features();
      const std::string path = dir + "/" + std::to_string(a - 2) + ".f32";
      std::ofstream out(path, std::ios::binary);
      out.write(reinterpret_cast<const char*>(rows.data()),
                std::streamsize(rows.size() * sizeof(float)));
      if (!out) throw std::runtime_error("cannot write " + path);
      const nlohmann::json line = {{"file", argv[a]},
                                   {"index", a - 2},
                                   {"frames", rows.size() / herscan::kBeatFeatures},
                                   {"rate_hz", stft.sample_rate_hz / double(stft.hop_frames)}};
      std::printf("%s\n", line.dump().c_str());
    } catch (const std::exception& e) {
      std::fprintf(stderr, "beat_features: %s: %s\n", argv[a], e.what());
      status = 1;
    }
  }
  return status;
}
