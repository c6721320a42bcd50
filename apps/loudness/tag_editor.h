// The ReplayGain tags of one file, read and rewritten in memory with TagLib: which tag flavour a
// format carries, the ReplayGain and R128 values it has now, and the file's bytes with new ones.
// Everything else in the file (other tags, pictures, the audio) is left as TagLib found it; the
// caller verifies that (others(), and the decoded audio) before anything reaches the disk.
// docs/loudness.md "Tagging".
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "herscan/audio_file.h"

namespace herscan::app {

/// Where a format keeps ReplayGain values.
enum class TagFlavour {
  vorbis_comment,  ///< FLAC, Ogg Vorbis: REPLAYGAIN_* Vorbis comments
  opus,            ///< Ogg Opus: R128_TRACK_GAIN / R128_ALBUM_GAIN comments (RFC 7845)
  id3v2,           ///< MP3, and WAV/AIFF (an ID3v2 chunk): TXXX frames (v2.3 or v2.4)
  mp4,             ///< M4A/MP4: iTunes freeform atoms ----:com.apple.iTunes:replaygain_*
  apev2,           ///< WavPack, Monkey's Audio: APEv2 items
};

/// What a file is for tagging: the flavour and the TagLib file type that writes it.
struct TagFormat {
  TagFlavour flavour;
  std::string
      kind;  ///< "FLAC", "Ogg Vorbis", "Opus", "MP3", "MP4", "WavPack", "APE", "WAV", "AIFF"
};

/// The tag format of decoded audio (its container and codec), or nullopt for a format herscan
/// does not tag (CAF, AAC in ADTS, Matroska, ...).
std::optional<TagFormat> tag_format(const AudioInfo& info);

/// "Vorbis comments", "R128 Vorbis comments", "ID3v2.4", "iTunes freeform atoms", "APEv2".
std::string flavour_name(TagFlavour flavour, int id3v2_version);

/// Tag name (upper case: REPLAYGAIN_TRACK_GAIN, R128_TRACK_GAIN, ...) → value text.
using TagValues = std::map<std::string, std::string>;

/// Every other item of a file's tags ("ID3v2 TIT2", "Vorbis comment ARTIST", "FLAC picture",
/// "MP4 covr", "APEv2 CATALOG", ...; a repeated one "… #2") → a 64-bit hash of its values.
using TagDigest = std::map<std::string, std::uint64_t>;

/// The names herscan writes and removes (the five REPLAYGAIN_* and the two R128_*).
const std::vector<std::string>& replaygain_tag_names();

/// True when herscan was built with TagLib (HERSCAN_TAGLIB).
bool tagging_available();

/// One file's bytes opened with TagLib. Not thread-safe; distinct editors may run concurrently.
class TagEditor {
 public:
  /// Parses `bytes` as `format`. Throws herscan::Error(not_audio) when TagLib cannot parse
  /// them, (internal) when built without TagLib. `id3v2_version` (3 or 4) is what save()
  /// writes; 0: the version of the file's ID3v2 tag, 4 for a new one.
  TagEditor(const TagFormat& format, std::string bytes, int id3v2_version = 0);
  ~TagEditor();
  TagEditor(const TagEditor&) = delete;
  TagEditor& operator=(const TagEditor&) = delete;

  /// The ID3v2 version save() writes (MP3; 4 otherwise).
  int id3v2_version() const;
  /// The ReplayGain/R128 tags present (names matched case-insensitively, reported upper case;
  /// the first value of a repeated tag). An MP3's ReplayGain items in an APEv2 tag are
  /// reported as "APEv2:REPLAYGAIN_…" (herscan writes ID3v2 and removes those).
  TagValues replaygain() const;
  /// Sets each tag in `set` (replacing every other spelling of its name) and removes each name
  /// in `remove`.
  void apply(const TagValues& set, const std::vector<std::string>& remove);
  /// The file's bytes with the changes. Throws herscan::Error(internal) when TagLib refuses.
  std::string save();
  /// Everything but the ReplayGain tags: each tag the file carries (ID3v2 frames,
  /// ID3v1, APEv2 items, Vorbis comments, MP4 atoms), every item's name and values, and every
  /// embedded picture (type, MIME type, description, bytes). Equal before and after
  /// apply()+save() (re-parsed) when nothing else was touched.
  TagDigest others() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herscan::app
