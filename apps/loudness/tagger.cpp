#include "loudness/tagger.h"

#include <bit>
#include <filesystem>
#include <vector>

#include "common/records.h"
#include "herscan/audio_file.h"
#include "herscan/error.h"
#include "herscan/json.h"

namespace herscan::app {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

json changes_json(const std::vector<TagChange>& changes) {
  json list = json::array();
  for (const auto& c : changes)
    list.push_back({{"tag", c.name},
                    {"old", c.old_value ? json(*c.old_value) : json(nullptr)},
                    {"new", c.new_value ? json(*c.new_value) : json(nullptr)}});
  return list;
}

// The tags a run would give a file of `flavour`: their names, whatever the values.
std::vector<std::string> names_written(TagFlavour flavour, const TagOptions& options, bool album) {
  LoudnessResult any;
  any.integrated_lufs = -20;
  any.sample_peak = any.true_peak = 0.5;
  std::vector<std::string> names;
  for (const auto& [name, value] :
       planned_tags(flavour, any, album ? &any : nullptr, options.policy))
    names.push_back(name);
  return names;
}

// Decodes and re-reads the tagged copy: the same audio, the planned tags, nothing else changed.
void verify_copy(const std::string& temporary, const Measured& m, const TagValues& planned,
                 const std::vector<std::string>& removed, const TagDigest& others,
                 int id3v2_version) {
  std::uint64_t hash = 0;
  try {
    hash = decoded_audio_hash(temporary);
  } catch (const Error& e) {
    throw Error(ErrorCode::verify_failed, std::string("the tagged copy does not decode (") +
                                              strip_path(e.what(), temporary) + ")");
  }
  if (hash != m.audio_hash)
    throw Error(ErrorCode::verify_failed,
                "the tagged copy decodes to different audio; the file was left as it was");
  const FileState state = file_state(temporary);
  const TagEditor copy(*m.format, read_file_bytes(temporary, state), id3v2_version);
  if (!tags_current(copy.replaygain(), planned, removed))
    throw Error(ErrorCode::verify_failed, "the tagged copy does not read back the new tags");
  const TagDigest now = copy.others();
  if (now != others) {
    std::string lost;
    int listed = 0;
    auto note = [&](const std::string& name) {
      if (listed++ < 6) lost += (lost.empty() ? "" : ", ") + name;
    };
    for (const auto& [name, hash] : others) {
      const auto it = now.find(name);
      if (it == now.end() || it->second != hash) note(name);
    }
    for (const auto& entry : now)
      if (!others.count(entry.first)) note(entry.first);
    if (listed > 6) lost += ", ...";
    throw Error(ErrorCode::verify_failed,
                "writing the tags would have changed or dropped other tags (" + lost +
                    "; TagLib cannot keep them); the file was left as it was");
  }
}

}  // namespace

void AudioHash::push(const float* interleaved, std::size_t samples) {
  std::uint64_t h = h_;
  for (std::size_t i = 0; i < samples; ++i) {
    h = (h ^ std::bit_cast<std::uint32_t>(interleaved[i])) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  h_ = h;
}

std::uint64_t AudioHash::value(std::int64_t frames, int channels) const {
  std::uint64_t h = h_;
  h = (h ^ std::uint64_t(frames)) * 0x9e3779b97f4a7c15ull;
  h = (h ^ std::uint64_t(channels)) * 0x9e3779b97f4a7c15ull;
  return h ^ (h >> 31);
}

std::uint64_t decoded_audio_hash(const std::string& path) {
  AudioFileReader reader(path, ReadOptions{.strict = true});
  const int channels = reader.info().channels;
  std::vector<float> block(8192 * std::size_t(channels));
  AudioHash hash;
  while (const std::size_t got = reader.read(block.data(), 8192))
    hash.push(block.data(), got * std::size_t(channels));
  return hash.value(reader.frames_read(), channels);
}

Measured measure(const std::string& path, const ProfileOptions& options,
                 const TagOptions* tagging) {
  Measured m;
  if (!tagging) {
    m.record = analyze_record(path, options);
    if (!m.record.contains("error")) m.loudness = last_profile().loudness;
    return m;
  }
  try {
    std::error_code ec;
    if (fs::is_directory(path, ec)) throw Error(ErrorCode::not_a_file, "is a directory");
    m.real_path = fs::canonical(path, ec).string();
    if (ec) throw Error(ErrorCode::not_found, ec.message());
    m.state = file_state(m.real_path);
    if (!tagging->dry_run) check_replaceable(m.real_path, m.state);
  } catch (const Error& e) {
    m.record = error_record(path, e.code(), e.what());
    return m;
  }
  // Strict: a damaged file (cut, corrupt frames) is an error record here and is never written.
  ProfileOptions o = options;
  o.strict = true;
  AudioHash hash;
  o.on_samples = [&](std::span<const float> s) { hash.push(s.data(), s.size()); };
  m.record = analyze_record(path, o);
  if (m.record.contains("error")) return m;
  const Profile& p = last_profile();
  m.loudness = p.loudness;
  m.audio_hash = hash.value(p.loudness->frames, p.format.channels);
  m.format = tag_format(p.format);
  if (!m.format) {
    m.loudness.reset();  // not part of its folder's album either
    m.record = error_record(path, ErrorCode::not_taggable,
                            p.format.container + " (" + p.format.codec +
                                ") files are not tagged: FLAC, Ogg Vorbis, Opus, MP3, M4A, "
                                "WavPack, APE, WAV and AIFF are");
  }
  return m;
}

bool has_every_tag(const std::string& path, const TagOptions& tagging, bool album) {
  try {
    const std::string real = fs::canonical(path).string();
    const FileState state = file_state(real);
    std::optional<TagFormat> format;
    {
      AudioFileReader header(real);
      format = tag_format(header.info());
    }
    if (!format) return false;
    const TagEditor editor(*format, read_file_bytes(real, state), tagging.policy.id3v2_version);
    const TagValues present = editor.replaygain();
    // Album and reference tags must be there; the track tags all there, or, in album mode, all
    // absent (a track too short or silent for a loudness of its own gets only the album tags).
    // An MP3's APEv2 ReplayGain copy would be removed: not tagged yet.
    for (const auto& entry : present)
      if (entry.first.starts_with("APEv2:")) return false;
    std::size_t track_names = 0, track_present = 0;
    for (const auto& name : names_written(format->flavour, tagging, album)) {
      const bool track_tag = name.find("_TRACK_") != std::string::npos;
      track_names += track_tag;
      track_present += track_tag && present.count(name);
      if (!track_tag && !present.count(name)) return false;
    }
    return track_present == track_names || (album && track_present == 0);
  } catch (const std::exception&) {
    return false;  // measured, and its error reported, as any other file
  }
}

json skipped_record(const std::string& path, const std::string& same_as) {
  return {{"schema", profile_schema_id},
          {"file", path},
          {"replaygain_tags",
           {{"action", "skipped"},
            {"reason", same_as.empty() ? "already tagged" : "the same file as " + same_as}}}};
}

json tag(const Measured& m, const LoudnessResult* album, const TagOptions& options) {
  if (m.record.contains("error")) return m.record;
  const std::string path = m.record.value("file", m.real_path);
  try {
    if (!options.dry_run) remove_stale_temporaries(m.real_path);
    TagEditor editor(*m.format, read_file_bytes(m.real_path, m.state),
                     options.policy.id3v2_version);
    const int version = editor.id3v2_version();
    const TagValues present = editor.replaygain();
    TagValues planned;
    std::vector<std::string> removed;
    const bool removing = options.action == TagAction::remove;
    if (removing) {
      for (const auto& entry : present) removed.push_back(entry.first);
    } else {
      planned = planned_tags(m.format->flavour, *m.loudness, album, options.policy);
      removed = stale_tags(m.format->flavour, present, planned, options.policy);
    }
    json block = {{"action", "unchanged"},
                  {"tags", flavour_name(m.format->flavour, version)},
                  {"changes", json::array()}};
    if (!removing && planned.empty()) {
      block["action"] = "none";
      block["reason"] = "integrated loudness undefined (silence): no gain to write";
    } else if (!tags_current(present, planned, removed)) {
      block["changes"] = changes_json(tag_changes(present, planned, removed));
      if (options.dry_run) {
        block["action"] = removing ? "would_remove" : "would_write";
      } else {
        const TagDigest others = editor.others();
        editor.apply(planned, removed);
        const std::string bytes = editor.save();
        replace_file(m.real_path, bytes, m.state, [&](const std::string& temporary) {
          verify_copy(temporary, m, planned, removed, others, version);
        });
        block["action"] = removing ? "removed" : "written";
      }
    }
    json record = m.record;
    record["replaygain_tags"] = std::move(block);
    return record;
  } catch (const Error& e) {
    return error_record(path, e.code(), e.what());
  } catch (const std::exception& e) {
    return error_record(path, ErrorCode::internal, e.what());
  }
}

}  // namespace herscan::app
