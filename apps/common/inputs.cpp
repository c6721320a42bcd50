#include "common/inputs.h"

#include <dirent.h>
#include <fnmatch.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <utility>

namespace herscan::app {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return out;
}

bool matches(const std::string& pattern, const std::string& relative) {
  const auto slash = relative.rfind('/');
  const std::string name = slash == std::string::npos ? relative : relative.substr(slash + 1);
  return ::fnmatch(pattern.c_str(), relative.c_str(), 0) == 0 ||
         ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

bool wanted(const std::string& relative, const InputFilters& filters) {
  if (!filters.include.empty() &&
      std::none_of(filters.include.begin(), filters.include.end(),
                   [&](const std::string& g) { return matches(g, relative); }))
    return false;
  return std::none_of(filters.exclude.begin(), filters.exclude.end(),
                      [&](const std::string& g) { return matches(g, relative); });
}

std::string join(const std::string& folder, const std::string& name) {
  if (folder.empty()) return name;
  return folder.back() == '/' ? folder + name : folder + "/" + name;
}

// Depth-first walk of `dir` (its path relative to the root argument: `relative`), children in
// byte order. `visited` holds the (device, inode) of every folder entered: a folder reached
// again through a symbolic link is not entered twice, which ends link loops.
class Walker {
 public:
  Walker(const InputFilters& filters, std::vector<Input>& out) : filters_(filters), out_(out) {}

  void walk(const std::string& dir, const std::string& relative) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) return;
    if (!visited_.insert({st.st_dev, st.st_ino}).second) return;  // a link back: already walked
    DIR* d = ::opendir(dir.c_str());
    if (!d) {
      Input bad{dir, relative.empty() ? dir : relative, ErrorCode::unreadable,
                std::string("folder cannot be read: ") + std::strerror(errno)};
      out_.push_back(std::move(bad));
      return;
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d))
      if (e->d_name[0] != '.') names.emplace_back(e->d_name);  // also skips "." and ".."
    ::closedir(d);
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string path = join(dir, name);
      const std::string rel = relative.empty() ? name : relative + "/" + name;
      struct stat s {};
      if (::stat(path.c_str(), &s) != 0) {
        // A dangling link or a file that vanished: report it when it looks like audio by name.
        if (has_audio_extension(name) && wanted(rel, filters_))
          out_.push_back({path, rel, std::nullopt, {}});
        continue;
      }
      if (S_ISDIR(s.st_mode)) {
        walk(path, rel);
      } else if (S_ISREG(s.st_mode) && wanted(rel, filters_) &&
                 (has_audio_extension(name) || looks_like_audio(path))) {
        out_.push_back({path, rel, std::nullopt, {}});
      }
    }
  }

 private:
  const InputFilters& filters_;
  std::vector<Input>& out_;
  std::set<std::pair<dev_t, ino_t>> visited_;
};

}  // namespace

bool has_audio_extension(std::string_view path) {
  static const std::set<std::string, std::less<>> kExtensions = {
      // libsndfile's formats
      "wav", "wave", "bwf", "rf64", "w64", "aif", "aiff", "aifc", "flac", "ogg", "oga", "opus",
      "mp3", "mp2", "mpga", "caf", "au", "snd", "paf", "svx", "8svx", "nist", "sph", "voc", "ircam",
      "sf", "w64", "mat4", "mat5", "pvf", "xi", "htk", "sds", "avr", "wve", "sd2", "mpc",
      // what FFmpeg's libraries decode (src/ffmpeg_decoder.cpp), soundtracks of videos included
      "m4a", "m4b", "m4p", "m4r", "mp4", "m4v", "mov", "3gp", "aac", "adts", "alac", "wma", "asf",
      "wmv", "ape", "wv", "tta", "mka", "mkv", "webm", "ac3", "eac3", "ec3", "dts", "dtshd", "thd",
      "mlp", "amr", "mpc", "tak", "shn", "dsf", "avi", "mpg", "mpeg", "vob", "ts", "m2ts", "mts",
      "flv", "ra", "rm", "oma", "aa3", "spx", "mxf", "nut",
      // not decoded here: reported as not audio rather than skipped
      "dff"};
  const auto slash = path.rfind('/');
  const auto dot = path.rfind('.');
  if (dot == std::string_view::npos || (slash != std::string_view::npos && dot < slash))
    return false;
  return kExtensions.count(lower(path.substr(dot + 1))) > 0;
}

bool looks_like_audio(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char b[12] = {};
  if (!f.read(b, sizeof b)) return false;
  auto is = [&](std::size_t at, const char* tag) {
    return std::memcmp(b + at, tag, std::strlen(tag)) == 0;
  };
  const auto u = [&](std::size_t i) { return static_cast<unsigned char>(b[i]); };
  if ((is(0, "RIFF") || is(0, "RF64") || is(0, "BW64")) && is(8, "WAVE")) return true;
  if (is(0, "FORM") && (is(8, "AIFF") || is(8, "AIFC"))) return true;
  if (is(0, "riff") && u(4) == 0x2E && u(5) == 0x91) return true;  // Wave64's RIFF GUID
  if (is(0, "fLaC") || is(0, "OggS") || is(0, "caff") || is(0, ".snd") || is(0, "ID3")) return true;
  // FFmpeg's containers: MP4/MOV, Matroska/WebM, ASF, APE, WavPack, TrueAudio, AC-3.
  if (is(4, "ftyp") || is(0, "MAC ") || is(0, "wvpk") || is(0, "TTA1")) return true;
  if (u(0) == 0x1A && u(1) == 0x45 && u(2) == 0xDF && u(3) == 0xA3) return true;
  if (u(0) == 0x30 && u(1) == 0x26 && u(2) == 0xB2 && u(3) == 0x75) return true;
  if (u(0) == 0x0B && u(1) == 0x77) return true;
  return u(0) == 0xFF && (u(1) & 0xE0) == 0xE0 && (u(1) & 0x06) != 0;  // an MPEG audio frame
}

std::vector<Input> collect_inputs(const std::vector<std::string>& arguments,
                                  const InputFilters& filters,
                                  std::vector<std::string>* empty_folders) {
  std::vector<Input> inputs;
  for (const std::string& argument : arguments) {
    struct stat st {};
    if (::stat(argument.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      const std::size_t before = inputs.size();
      Walker(filters, inputs).walk(argument, "");
      if (inputs.size() == before && empty_folders) empty_folders->push_back(argument);
    } else {
      inputs.push_back({argument, argument, std::nullopt, {}});  // its record says what it is
    }
  }
  return inputs;
}

std::optional<Shard> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto number = [](std::string_view s) -> std::optional<std::uint64_t> {
    if (s.empty() || s.size() > 9) return std::nullopt;
    std::uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + std::uint64_t(c - '0');
    }
    return v;
  };
  const auto k = number(text.substr(0, slash)), n = number(text.substr(slash + 1));
  if (!k || !n || *n == 0 || *k == 0 || *k > *n) return std::nullopt;
  return Shard{*k - 1, *n};
}

bool in_shard(const Input& input, const Shard& shard) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64 bit
  for (unsigned char c : input.relative) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h % shard.count == shard.index;
}

}  // namespace herscan::app
