#include "common/records.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "herscan/error.h"
#include "herscan/json.h"

namespace herscan::app {
namespace {

thread_local Profile last;

// Fault injection for the batch tests (docs/scaling.md): with HERSCAN_TEST_CRASH=TEXT the
// analysis of a path containing TEXT dies on SIGSEGV (a stand-in for a decoder crash); with
// HERSCAN_TEST_DELAY_MS=N every analysis first sleeps N ms (so that a test can interrupt a run).
void test_hooks(const std::string& path) {
  static const char* crash = std::getenv("HERSCAN_TEST_CRASH");
  static const char* delay = std::getenv("HERSCAN_TEST_DELAY_MS");
  if (delay) std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(delay)));
  if (crash && *crash && path.find(crash) != std::string::npos) std::raise(SIGSEGV);
}

}  // namespace

std::string strip_path(const std::string& message, const std::string& path) {
  const std::string prefix = path + ": ";
  return message.starts_with(prefix) ? message.substr(prefix.size()) : message;
}

nlohmann::ordered_json analyze_record(const std::string& path, const ProfileOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return error_record(path, ErrorCode::not_a_file, "is a directory (only herscan walks folders)");
  test_hooks(path);
  try {
    last = analyze_file(path, options);
    return to_json(last);
  } catch (const Error& e) {
    return error_record(path, e.code(), strip_path(e.what(), path));
  } catch (const std::bad_alloc&) {
    return error_record(path, ErrorCode::internal, "out of memory");
  } catch (const std::exception& e) {
    return error_record(path, ErrorCode::internal, e.what());
  }
}

const Profile& last_profile() {
  return last;
}

nlohmann::ordered_json skeleton(const ProfileOptions& options) {
  Profile p;
  // Every tag field, so that CSV has a column for each (empty where a file lacks the tag).
  Tags& t = p.tags;
  t.title = t.artist = t.album = t.album_artist = t.date = t.genre = "";
  t.track = t.track_total = t.disc = t.disc_total = 1;
  t.replaygain_track_gain_db = t.replaygain_track_peak = t.replaygain_album_gain_db =
      t.replaygain_album_peak = t.replaygain_reference_loudness_lufs = t.r128_track_gain_db =
          t.r128_album_gain_db = 0.0;
  if (options.features.has(Feature::loudness)) p.loudness.emplace();
  if (options.features.has(Feature::spectral)) p.spectral.emplace();
  if (options.features.has(Feature::mfcc)) p.mfcc.emplace(options.mfcc.n_mfcc);
  if (options.features.has(Feature::tempo) || options.features.has(Feature::beats)) {
    p.tempo.emplace().defined = true;
    p.tempo_beats = options.features.has(Feature::beats);
  }
  if (options.features.has(Feature::key) || options.features.has(Feature::chroma)) {
    TonalResult& t = p.tonal.emplace();
    t.has_key = options.features.has(Feature::key);
    t.has_chroma = options.features.has(Feature::chroma);
    t.key.defined = true;  // a skeleton with every key column
    t.key.candidates.resize(5);
  }
  return to_json(p);
}

}  // namespace herscan::app
