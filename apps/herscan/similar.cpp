#include "similar.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>

#include "collection.h"

namespace herscan::app {
namespace {

using json = nlohmann::ordered_json;

struct Track {
  std::string file;
  Camelot key;
  std::string camelot;
  double bpm = 0;
};

// The key and tempo of a profile record, or nullopt (an error record, an album record, a
// track without a key or a tempo).
std::optional<Track> track_of(const json& record) {
  if (!record.is_object() || !record.contains("file") || !record["file"].is_string())
    return std::nullopt;
  const auto key = record.find("key");
  const auto tempo = record.find("tempo");
  if (key == record.end() || tempo == record.end() || !key->is_object() || !tempo->is_object())
    return std::nullopt;
  const auto camelot = key->find("camelot");
  const auto bpm = tempo->find("bpm");
  if (camelot == key->end() || !camelot->is_string() || bpm == tempo->end() || !bpm->is_number() ||
      !(bpm->get<double>() > 0))
    return std::nullopt;
  const auto code = parse_camelot(camelot->get<std::string>());
  if (!code) return std::nullopt;
  return Track{record["file"].get<std::string>(), *code, camelot->get<std::string>(),
               bpm->get<double>()};
}

}  // namespace

std::optional<Camelot> parse_camelot(const std::string& code) {
  if (code.size() < 2 || code.size() > 3) return std::nullopt;
  const char letter = code.back();
  if (letter != 'A' && letter != 'B') return std::nullopt;
  int number = 0;
  for (std::size_t i = 0; i + 1 < code.size(); ++i) {
    if (code[i] < '0' || code[i] > '9') return std::nullopt;
    number = number * 10 + (code[i] - '0');
  }
  if (number < 1 || number > 12) return std::nullopt;
  return Camelot{number, letter == 'B'};
}

std::optional<Mix> mixes_with(const Camelot& selected, double selected_bpm,
                              const Camelot& candidate, double candidate_bpm,
                              const MixOptions& options) {
  Mix mix;
  double key_cost = 0;
  const int step = (candidate.number - selected.number + 12) % 12;  // 0..11 round the wheel
  if (candidate.major == selected.major && step == 0) {
    mix.relation = "same";
  } else if (candidate.major == selected.major && step == 1) {
    mix.relation = "+1", key_cost = 0.5;
  } else if (candidate.major == selected.major && step == 11) {
    mix.relation = "-1", key_cost = 0.5;
  } else if (candidate.major != selected.major && step == 0) {
    mix.relation = "relative", key_cost = 0.5;
  } else {
    return std::nullopt;
  }
  // The ratio that brings the candidate's tempo closest to the selected one.
  bool found = false;
  for (const double ratio : {1.0, 2.0, 0.5}) {
    if (ratio != 1 && !options.half_double) continue;
    const double difference = 100 * (candidate_bpm * ratio - selected_bpm) / selected_bpm;
    if (std::abs(difference) > options.bpm_tolerance_pct + 1e-9) continue;
    if (!found || std::abs(difference) < std::abs(mix.bpm_difference_pct)) {
      mix.tempo_ratio = ratio;
      mix.bpm_difference_pct = difference;
      found = true;
    }
  }
  if (!found) return std::nullopt;
  const double tolerance = std::max(options.bpm_tolerance_pct, 1e-9);
  mix.distance =
      key_cost + std::abs(mix.bpm_difference_pct) / tolerance + (mix.tempo_ratio == 1 ? 0.0 : 0.25);
  return mix;
}

int run_similar(int argc, char** argv) {
  CLI::App app{
      "herscan similar — the tracks of a collection that mix with TRACK: Camelot neighbours "
      "(the same code, one step round the wheel, the relative major/minor) within a tempo "
      "tolerance (half and double tempo too), closest first, as JSON Lines.",
      "herscan similar"};
  std::string profiles, wanted;
  MixOptions options;
  bool no_half_double = false;
  std::size_t limit = 0;
  app.add_option("PROFILES", profiles, "JSON Lines written by herscan (-o profiles.jsonl)")
      ->required();
  app.add_option("TRACK", wanted,
                 "The track: its \"file\" as in the profiles, or a unique ending of it (a name)")
      ->required();
  app.add_option("--bpm-tolerance", options.bpm_tolerance_pct,
                 "Tempo difference allowed, in percent of TRACK's tempo (default 6)")
      ->check(CLI::Range(0.0, 50.0));
  app.add_flag("--no-half-double", no_half_double, "Match the tempo only at the same level");
  app.add_option("-n,--limit", limit, "At most N tracks (default: all)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  options.half_double = !no_half_double;

  std::vector<Track> tracks;
  const auto collection = read_collection(profiles, [&](std::size_t, json&& record) {
    if (auto t = track_of(record)) tracks.push_back(std::move(*t));
  });
  if (!collection) {
    std::fprintf(stderr, "herscan similar: %s: cannot read it\n", profiles.c_str());
    return 1;
  }
  for (const auto& problem : collection->problems)
    std::fprintf(stderr, "herscan similar: %s:%zu: %s; skipped\n", profiles.c_str(), problem.line,
                 problem.reason.c_str());

  // TRACK: an exact "file", else the one file ending in "/TRACK" (or equal to it).
  const Track* selected = nullptr;
  for (const auto& t : tracks)
    if (t.file == wanted) selected = &t;
  if (!selected) {
    std::vector<const Track*> endings;
    for (const auto& t : tracks)
      if (t.file.size() > wanted.size() && t.file.ends_with(wanted) &&
          t.file[t.file.size() - wanted.size() - 1] == '/')
        endings.push_back(&t);
    if (endings.size() > 1) {
      std::fprintf(stderr,
                   "herscan similar: %s names %zu tracks (e.g. %s and %s): give more of "
                   "its path\n",
                   wanted.c_str(), endings.size(), endings[0]->file.c_str(),
                   endings[1]->file.c_str());
      return 1;
    }
    if (endings.size() == 1) selected = endings[0];
  }
  if (!selected) {
    std::fprintf(stderr,
                 "herscan similar: %s: no track of that name with a key and a tempo in %s\n",
                 wanted.c_str(), profiles.c_str());
    return 1;
  }

  struct Match {
    const Track* track;
    Mix mix;
  };
  std::vector<Match> matches;
  for (const auto& t : tracks) {
    if (&t == selected || t.file == selected->file) continue;
    if (auto mix = mixes_with(selected->key, selected->bpm, t.key, t.bpm, options))
      matches.push_back({&t, *mix});
  }
  std::stable_sort(matches.begin(), matches.end(), [](const Match& a, const Match& b) {
    return a.mix.distance != b.mix.distance ? a.mix.distance < b.mix.distance
                                            : a.track->file < b.track->file;
  });
  if (limit && matches.size() > limit) matches.resize(limit);
  for (const auto& m : matches) {
    const json out = {{"file", m.track->file},
                      {"bpm", m.track->bpm},
                      {"camelot", m.track->camelot},
                      {"relation", m.mix.relation},
                      {"tempo_ratio", m.mix.tempo_ratio},
                      {"bpm_difference_pct", std::round(m.mix.bpm_difference_pct * 100) / 100},
                      {"distance", std::round(m.mix.distance * 1000) / 1000},
                      {"to", selected->file}};
    std::cout << out.dump() << '\n';
  }
  std::cout.flush();
  return std::cout ? 0 : 1;
}

}  // namespace herscan::app
