// `herscan similar PROFILES.jsonl TRACK`: the tracks of a collection that mix harmonically with
// one of them (Camelot neighbours, tempo within a tolerance, half and double tempo), ordered
// by closeness, as JSON Lines. docs/report.md "Mixing rules".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace herscan::app {

/// A Camelot code: 1..12 and A (minor) or B (major). nullopt for anything else.
struct Camelot {
  int number = 0;
  bool major = false;
};
std::optional<Camelot> parse_camelot(const std::string& code);

struct MixOptions {
  double bpm_tolerance_pct = 6;  ///< |Δ tempo| / the selected track's tempo, in percent
  bool half_double = true;       ///< also match at half and double tempo
};

/// How a candidate mixes with the selected track, or nullopt when it does not.
struct Mix {
  std::string relation;           ///< "same", "+1", "-1", "relative"
  double tempo_ratio = 1;         ///< 1, 2 (the candidate at double tempo matches) or 0.5
  double bpm_difference_pct = 0;  ///< signed, candidate × ratio against the selected tempo
  double distance = 0;            ///< the ordering: key cost + |Δ| / tolerance + ratio cost
};
std::optional<Mix> mixes_with(const Camelot& selected, double selected_bpm,
                              const Camelot& candidate, double candidate_bpm,
                              const MixOptions& options);

/// The tool: parses its arguments (argv[0] is "similar"), prints JSON Lines, returns the exit
/// status (0, 1 when TRACK is not found or has no key or tempo, 2 usage).
int run_similar(int argc, char** argv);

}  // namespace herscan::app
