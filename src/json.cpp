#include "herscan/json.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace herscan {
namespace {

using json = nlohmann::ordered_json;

// A finite number rounded to 7 significant digits (the precision of the float arithmetic
// behind it), or null. NaN and ±Inf never reach the output.
json number(double x) {
  if (!std::isfinite(x)) return nullptr;
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", x);
  const double rounded = std::strtod(buf, nullptr);
  // Integral values print without a fraction (44100, not 44100.0).
  if (rounded == std::trunc(rounded) && std::abs(rounded) < 9.0e15) return std::int64_t(rounded);
  return rounded;
}

json summary(const Summary& s) {
  return {{"mean", number(s.mean)}, {"std", number(s.std)}};
}

json format_json(const AudioInfo& info) {
  json layout = nullptr;
  if (!info.layout.empty()) {
    layout = json::array();
    for (ChannelPosition p : info.layout) layout.push_back(channel_position_name(p));
  }
  return {
      {"container", info.container},
      {"codec", info.codec},
      {"sample_rate_hz", number(info.sample_rate_hz)},
      {"channels", info.channels},
      {"frames", info.frames},
      {"duration_s", number(info.duration_s())},
      {"bit_depth", info.bit_depth ? json(*info.bit_depth) : json(nullptr)},
      {"channel_layout", layout},
  };
}

json spectral_json(const SpectralSummary& s) {
  return {
      {"frames", s.frames},
      {"centroid_hz", summary(s.centroid_hz)},
      {"bandwidth_hz", summary(s.bandwidth_hz)},
      {"rolloff_hz", summary(s.rolloff_hz)},
      {"flatness", summary(s.flatness)},
      {"flux", summary(s.flux)},
      {"zero_crossing_rate", summary(s.zero_crossing_rate)},
      {"rms", summary(s.rms)},
  };
}

json analysis_json(const AnalysisInfo& a) {
  return {
      {"version", a.version},   {"analysis_rate_hz", number(a.analysis_rate_hz)},
      {"n_fft", a.n_fft},       {"hop_frames", a.hop_frames},
      {"window", a.window},     {"resampler", a.resampler},
      {"features", a.features}, {"elapsed_s", number(a.elapsed_s)},
  };
}

}  // namespace

nlohmann::ordered_json to_json(const Profile& p) {
  json j = {{"schema", profile_schema_id}, {"file", p.file}, {"format", format_json(p.format)}};
  if (p.spectral) j["spectral"] = spectral_json(*p.spectral);
  j["analysis"] = analysis_json(p.analysis);
  return j;
}

nlohmann::ordered_json error_record(const std::string& file, ErrorCode code,
                                    const std::string& message) {
  return {{"schema", profile_schema_id},
          {"file", file},
          {"error", {{"code", std::string(error_code_name(code))}, {"message", message}}}};
}

}  // namespace herscan
