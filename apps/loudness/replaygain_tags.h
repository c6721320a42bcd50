// What herscan-loudness --tag writes: the ReplayGain 2.0 (and Opus R128) tag values of a track
// from its loudness, the clipping protection of rsgain's -c, the written precision, and whether
// a file's present tags are already current. No file access here (tag_editor.h writes).
// docs/loudness.md "Tagging".
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "herscan/loudness.h"
#include "loudness/tag_editor.h"

namespace herscan::app {

/// rsgain's -c: n never lowers a gain for the peak, p lowers only positive gains (never below
/// 0 dB), a lowers any gain so that peak + gain ≤ max_peak_db.
enum class ClipMode { none, positive, always };

struct TagPolicy {
  double target_lufs = -18;  ///< ReplayGain 2.0 reference loudness (REPLAYGAIN_* gains)
  bool true_peak = false;    ///< peaks from the 4× oversampled true peak, not sample peak
  ClipMode clip = ClipMode::none;
  double max_peak_db = 0;        ///< clipping protection's ceiling (dBFS, or dBTP with true_peak)
  bool album = false;            ///< also the album tags
  bool opus_replaygain = false;  ///< Opus: REPLAYGAIN_* as well as R128_* (else none)
  int id3v2_version = 0;         ///< 3 or 4; 0: the file's own, 4 for a new ID3v2 tag
};

/// The gain (dB) that brings `loudness` to `target_lufs`, lowered by `clip` so that the peak
/// (sample or true, linear) after the gain stays under max_peak_db. NaN where the integrated
/// loudness is undefined (silence).
double replaygain_gain_db(const LoudnessResult& loudness, const TagPolicy& policy);

/// The linear peak written (sample or true peak).
double replaygain_peak(const LoudnessResult& loudness, const TagPolicy& policy);

/// "-6.52 dB", "0.988553", "-18.00 LUFS"; R128 Q7.8: "-1669" (256 × dB relative to -23 LUFS,
/// rounded, clamped to int16).
std::string format_gain(double db);
std::string format_peak(double linear);
std::string format_reference(double lufs);
std::string format_q78(double db);

/// The tags to write for a track (and its album, or null), in `flavour`. Throws nothing; an
/// undefined gain leaves its tags out.
TagValues planned_tags(TagFlavour flavour, const LoudnessResult& track, const LoudnessResult* album,
                       const TagPolicy& policy);

/// The names to delete among those `present` and not `planned`: an MP3's APEv2 copies
/// ("APEv2:…"), an Opus file's REPLAYGAIN_* (unless opus_replaygain), and a tag of the run's
/// own set that it has no value for (the track tags of a track too short or silent for its own
/// loudness, in an album). Left alone: album tags in a track-only run, R128_* outside Opus.
std::vector<std::string> stale_tags(TagFlavour flavour, const TagValues& present,
                                    const TagValues& planned, const TagPolicy& policy);

/// True when `present` already holds `planned` to the written precision (numbers compared as
/// numbers: "-6.5 dB" and "-6.50 dB" agree) and nothing in `stale` is present.
bool tags_current(const TagValues& present, const TagValues& planned,
                  const std::vector<std::string>& stale);

/// One change for the record and the dry-run: name, old value (nullopt: absent), new (nullopt:
/// removed).
struct TagChange {
  std::string name;
  std::optional<std::string> old_value, new_value;
};
std::vector<TagChange> tag_changes(const TagValues& present, const TagValues& planned,
                                   const std::vector<std::string>& removed);

}  // namespace herscan::app
