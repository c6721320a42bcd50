// What a cheaper resampler would save and what it would change (issue 8; docs/performance.md,
// "The resampler's quality"). For each soxr quality herscan offers, over the files given:
//   resample   CPU time of decode + downmix + resample to the analysis rate (best of R per file)
//   profile    CPU time of the full default profile at that quality (best of R per file)
//   changes    against the profile at soxr HQ (librosa's "soxr_hq", herscan's default): files
//              whose key (tonic and mode) differs, files whose tempo differs by more than 1 %,
//              and for each block of summary numbers the largest absolute and the largest
//              relative difference, each with the number's place
// bench/, not CI.
//   resample_quality [--runs R] FILE...
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "timing.h"

namespace {

using herscan::ResampleQuality;
using herscan::bench::best_of;
using herscan::bench::decode_and_resample;
using Json = nlohmann::ordered_json;

// The largest differences between two profiles' numbers in one block: absolute, and relative
// to the reference's magnitude (at least 1e-3, so that numbers near 0 do not dominate), each
// with its place.
struct Largest {
  double absolute = 0, relative = 0;
  std::string absolute_at, relative_at;
};

void compare(const Json& a, const Json& b, const std::string& path, Largest& largest) {
  if (a.is_number() && b.is_number()) {
    const double x = a.get<double>(), y = b.get<double>();
    const double d = std::abs(x - y), r = d / std::max(std::abs(y), 1e-3);
    if (d > largest.absolute) largest.absolute = d, largest.absolute_at = path;
    if (r > largest.relative) largest.relative = r, largest.relative_at = path;
  } else if (a.is_object() && b.is_object()) {
    for (auto it = b.begin(); it != b.end(); ++it)
      if (a.contains(it.key())) compare(a.at(it.key()), it.value(), path + "." + it.key(), largest);
  } else if (a.is_array() && b.is_array()) {
    for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
      compare(a[i], b[i], path + "[" + std::to_string(i) + "]", largest);
  }
}

// profile[block][field], or null where the block is null (a file shorter than one frame).
Json field(const Json& profile, const char* block, const char* name) {
  if (!profile.contains(block) || !profile.at(block).is_object()) return Json();
  return profile.at(block).value(name, Json());
}

const char* kBlocks[] = {"spectral", "mfcc", "chroma", "key", "tempo"};

struct Quality {
  ResampleQuality quality;
  const char* name;
};
const Quality kQualities[] = {
    {ResampleQuality::high, "HQ (default)"}, {ResampleQuality::very_high, "VHQ"},
    {ResampleQuality::medium, "MQ"},         {ResampleQuality::low, "LQ"},
    {ResampleQuality::quick, "QQ (cubic)"},
};

herscan::ProfileOptions at_quality(ResampleQuality quality) {
  herscan::ProfileOptions options;
  options.resample_quality = quality;
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  const auto args = herscan::bench::parse_arguments(argc, argv, "resample_quality");
  if (!args) return 2;
  const int runs = args->runs;
  const std::vector<std::string>& files = args->files;
  try {
    // The reference: every file's profile at HQ, and the audio's length.
    std::vector<Json> reference;
    double audio_s = 0;
    for (const auto& file : files) {
      reference.push_back(herscan::to_json(herscan::analyze_file(file)));
      audio_s += reference.back()["format"]["duration_s"].get<double>();
    }
    // Warm up at every quality: a heap grown to the largest buffers, so that no row pays for
    // fresh pages the others do not (measured: without it the first rows' resampling cost 3 ms
    // more per file, soxr's buffers faulting in anew after each run).
    for (const auto& q : kQualities) herscan::analyze_file(files[0], at_quality(q.quality));

    std::printf(
        "| soxr quality | decode + resample | full profile | keys changed | tempi changed > 1 %% "
        "| per block: largest absolute difference, at; largest relative difference, at |\n");
    std::printf("|---|---|---|---|---|---|\n");
    for (const auto& q : kQualities) {
      const auto options = at_quality(q.quality);
      double resample_cpu_s = 0, profile_cpu_s = 0;
      int keys = 0, tempi = 0;
      Largest largest[std::size(kBlocks)];
      for (std::size_t f = 0; f < files.size(); ++f) {
        resample_cpu_s += best_of(runs, [&] { decode_and_resample(files[f], q.quality); });
        herscan::Profile result;
        profile_cpu_s += best_of(runs, [&] { result = herscan::analyze_file(files[f], options); });
        const Json json = herscan::to_json(result);
        const Json& hq = reference[f];
        if (field(json, "key", "tonic") != field(hq, "key", "tonic") ||
            field(json, "key", "mode") != field(hq, "key", "mode"))
          ++keys;
        const Json bpm = field(json, "tempo", "bpm"), hq_bpm = field(hq, "tempo", "bpm");
        if (bpm.is_number() != hq_bpm.is_number() ||
            (bpm.is_number() &&
             std::abs(bpm.get<double>() - hq_bpm.get<double>()) > 0.01 * hq_bpm.get<double>()))
          ++tempi;
        for (std::size_t b = 0; b < std::size(kBlocks); ++b)
          if (json.contains(kBlocks[b]) && hq.contains(kBlocks[b]))
            compare(json.at(kBlocks[b]), hq.at(kBlocks[b]), files[f] + ": " + kBlocks[b],
                    largest[b]);
      }
      std::string differences;
      for (std::size_t b = 0; b < std::size(kBlocks); ++b) {
        const Largest& l = largest[b];
        char text[1024];
        if (l.absolute_at.empty())
          std::snprintf(text, sizeof text, "%s: identical", kBlocks[b]);
        else
          std::snprintf(text, sizeof text, "%.3g at %s; %.2g at %s", l.absolute,
                        l.absolute_at.c_str(), l.relative, l.relative_at.c_str());
        differences += (b == 0 ? "" : "<br>") + std::string(text);
      }
      std::printf("| %s | %.3f CPU-s (%.0fx) | %.3f CPU-s (%.0fx) | %d of %zu | %d of %zu | %s |\n",
                  q.name, resample_cpu_s, audio_s / resample_cpu_s, profile_cpu_s,
                  audio_s / profile_cpu_s, keys, files.size(), tempi, files.size(),
                  differences.c_str());
      std::fflush(stdout);
    }
  } catch (const herscan::Error& e) {
    std::fprintf(stderr, "resample_quality: %s\n", e.what());
    return 1;
  }
  return 0;
}
