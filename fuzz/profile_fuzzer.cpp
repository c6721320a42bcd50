// libFuzzer target: arbitrary bytes as an audio file, through libsndfile's virtual I/O
// (AudioFileReader over memory) into the full default profile and its JSON. Built twice:
// profile_fuzzer picks the backend as herscan does (libsndfile, then FFmpeg), ffmpeg_fuzzer
// (HERSCAN_FUZZ_FFMPEG) sends every input to FFmpeg's demuxers and decoders, its largest
// attack surface. The only
// acceptable failure is a herscan::Error (the file refused with a reason); anything else (a
// crash, a sanitizer report, another exception, a hang, NaN in the JSON) is a finding.
// docs/robustness.md: building, the seed corpus, running it longer.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "herscan/audio_file.h"
#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    herscan::ReadOptions read_options;
#ifdef HERSCAN_FUZZ_FFMPEG
    read_options.decoder = herscan::Decoder::ffmpeg;
#endif
    herscan::AudioFileReader reader(bytes, "fuzz-input", read_options);
    // The fuzzer's inputs are small; a header may still claim hours of audio that the decoder
    // then produces from a few bytes (silence or noise). Cap the work, not the input.
    if (reader.info().frames > 48000 * 60) return 0;
    herscan::ProfileOptions options;
    options.features = herscan::FeatureSet::all();
    const herscan::Profile profile = herscan::analyze(reader, options);
    // Every number in the profile finite (nlohmann would print NaN as null: look before).
    const auto json = herscan::to_json(profile);
    const auto check = [](const auto& self, const auto& node) -> void {
      if (node.is_number_float() && !std::isfinite(node.template get<double>())) std::abort();
      if (node.is_structured())
        for (const auto& child : node) self(self, child);
    };
    check(check, json);
    (void)json.dump();
  } catch (const herscan::Error&) {
  }
  return 0;
}
