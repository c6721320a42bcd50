// Helpers of the command-line tests: run a tool in a shell, read its output, validate records.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "test_signals.h"

namespace herscan::test::cli {

using json = nlohmann::json;
using test::TempDir;

struct Result {
  int exit_code = -1;
  std::string out, err;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// Runs a bash command line; stdout and stderr go to files in `dir`.
inline Result shell(const TempDir& dir, const std::string& command) {
  const auto out = dir / "stdout.txt", err = dir / "stderr.txt";
  const std::string line =
      "bash -c " + quote(command) + " >" + quote(out.string()) + " 2>" + quote(err.string());
  const int status = std::system(line.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

inline Result run(const TempDir& dir, const char* exe, const std::vector<std::string>& args) {
  std::string command = quote(exe);
  for (const auto& a : args) command += " " + quote(a);
  return shell(dir, command);
}

inline Result herscan(const TempDir& dir, const std::vector<std::string>& args) {
  return run(dir, HERSCAN_EXE, args);
}

inline Result herscan_loudness(const TempDir& dir, const std::vector<std::string>& args) {
  return run(dir, HERSCAN_LOUDNESS_EXE, args);
}

inline Result herscan_frames(const TempDir& dir, const std::vector<std::string>& args) {
  return run(dir, HERSCAN_FRAMES_EXE, args);
}

inline std::vector<json> json_lines(const std::string& text) {
  std::vector<json> records;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) records.push_back(json::parse(line));
  return records;
}

// Validates a file of herscan output against docs/profile.schema.json with python3-jsonschema.
inline void expect_valid_against_schema(const std::filesystem::path& output) {
  const std::string command = std::string(HERSCAN_PYTHON3) + " " + HERSCAN_SOURCE_DIR +
                              "/tests/validate_json.py " + HERSCAN_SOURCE_DIR +
                              "/docs/profile.schema.json " + quote(output.string()) + " >/dev/null";
  const int status = std::system(command.c_str());
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (code == 77)
    GTEST_SKIP() << "python3-jsonschema is not installed (scripts/setup.sh installs it)";
  EXPECT_EQ(code, 0) << "schema validation failed for " << output;
}

inline std::filesystem::path write_good(const TempDir& dir, const std::string& name = "good.flac") {
  const auto path = dir / name;
  const auto x = test::sine(440, 0.5, 44100, 44100);
  test::write_audio(path, test::interleave({x, x}), 2, 44100, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  return path;
}

inline const std::string kDemo = std::string(HERSCAN_SOURCE_DIR) + "/data/demo.flac";

// Splits one CSV line (RFC 4180 quoting).
inline std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"')
        fields.back() += '"', ++i;
      else if (c == '"')
        quoted = false;
      else
        fields.back() += c;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

}  // namespace herscan::test::cli
