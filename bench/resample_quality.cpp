// What a cheaper resampler would save and what it would change (issue 8; docs/performance.md,
// "The resampler's quality"). For each soxr quality herscan offers, over the files given:
//   resample   CPU time of decode + downmix + resample to 22050 Hz (best of R runs per file)
//   profile    CPU time of the full default profile at that quality (best of R)
//   changes    against the profile at soxr HQ (librosa's "soxr_hq", herscan's default): files
//              whose key (tonic and mode) differs, files whose tempo differs by more than 1 %,
//              and the largest relative difference of each block's summary numbers, where it is
// bench/, not CI.
//   resample_quality [--runs R] FILE...
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "herscan/json.h"
#include "herscan/profile.h"
#include "timing.h"

namespace {

using herscan::ResampleQuality;
using herscan::bench::best_of;
using herscan::bench::decode_and_resample;
using Json = nlohmann::ordered_json;

// The largest relative difference between two profiles' numbers in one block (relative to the
// reference's magnitude, at least 1e-3), and where.
struct Largest {
  double absolute = 0, relative = 0;
  std::string where;
};

void compare(const Json& a, const Json& b, const std::string& path, Largest& largest) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    const double d = std::abs(x - y), r = d / std::max(std::abs(y), 1e-3);
    if (r > largest.relative) {
      largest.absolute = d;
      largest.relative = r;
      largest.where = path;
    }
  } else if (a.is_object() && b.is_object()) {
    for (auto it = b.begin(); it != b.end(); ++it)
      if (a.contains(it.key())) compare(a[it.key()], it.value(), path + "." + it.key(), largest);
  } else if (a.is_array() && b.is_array()) {
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
      compare(a[i], b[i], path + "[" + std::to_string(i) + "]", largest);
  }
}

const char* kBlocks[] = {"spectral", "mfcc", "chroma", "key", "tempo"};

}  // namespace

int main(int argc, char** argv) {
  int runs = 3;
  std::vector<std::string> files;
  for (int a = 1; a < argc; ++a) {
    if (std::strcmp(argv[a], "--runs") == 0 && a + 1 < argc)
      runs = std::atoi(argv[++a]);
    else
      files.emplace_back(argv[a]);
  }
  const std::pair<ResampleQuality, const char*> qualities[] = {
      {ResampleQuality::high, "HQ (default)"}, {ResampleQuality::very_high, "VHQ"},
      {ResampleQuality::medium, "MQ"},         {ResampleQuality::low, "LQ"},
      {ResampleQuality::quick, "QQ (cubic)"},
  };
  // Warm up at every quality: FFTW's plans, and a heap grown to the largest buffers, so that no
  // row pays for fresh pages the others do not (measured: without it the first rows' resampling
  // cost 3 ms more per file, soxr's buffers faulting in anew after each run).
  if (!files.empty())
    for (const auto& [quality, name] : qualities) {
      herscan::ProfileOptions options;
      options.resample_quality = quality;
      herscan::analyze_file(files[0], options);
    }
  std::vector<Json> reference;  // the HQ profiles
  double audio_s = 0;
  std::printf(
      "| soxr quality | resample (decode + downmix + soxr) | full profile | keys changed | tempi "
      "changed > 1 %% | largest relative difference per block (absolute, relative, where) |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& [quality, name] : qualities) {
    double resample = 0, profile = 0;
    int keys = 0, tempi = 0;
    Largest largest[std::size(kBlocks)];
    for (std::size_t f = 0; f < files.size(); ++f) {
      resample += best_of(runs, [&] { decode_and_resample(files[f], quality); });
      herscan::ProfileOptions options;
      options.resample_quality = quality;
      herscan::Profile result;
      profile += best_of(runs, [&] { result = herscan::analyze_file(files[f], options); });
      const Json json = herscan::to_json(result);
      if (quality == ResampleQuality::high) {
        reference.push_back(json);
        audio_s += json["format"]["duration_s"].get<double>();
        continue;
      }
      const Json& hq = reference[f];
      if (json["key"]["tonic"] != hq["key"]["tonic"] || json["key"]["mode"] != hq["key"]["mode"])
        ++keys;
      const Json &bpm = json["tempo"]["bpm"], &hq_bpm = hq["tempo"]["bpm"];
      if (bpm.is_number() != hq_bpm.is_number() ||
          (bpm.is_number() &&
           std::abs(bpm.get<double>() - hq_bpm.get<double>()) > 0.01 * hq_bpm.get<double>()))
        ++tempi;
      for (std::size_t b = 0; b < std::size(kBlocks); ++b)
        compare(json[kBlocks[b]], hq[kBlocks[b]], files[f] + ": " + kBlocks[b], largest[b]);
    }
    std::string differences;
    if (quality != ResampleQuality::high)
      for (const auto& l : largest) {
        char text[512];
        std::snprintf(text, sizeof text, "%s%.3g (%.2g) %s", differences.empty() ? "" : "; ",
                      l.absolute, l.relative, l.where.c_str());
        differences += text;
      }
    std::printf("| %s | %.3f CPU-s (%.0fx) | %.3f CPU-s (%.0fx) | %d of %zu | %d of %zu | %s |\n",
                name, resample, audio_s / resample, profile, audio_s / profile, keys, files.size(),
                tempi, files.size(), differences.empty() ? "(the reference)" : differences.c_str());
    std::fflush(stdout);
  }
  return 0;
}
