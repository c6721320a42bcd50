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

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream(p, std::ios::binary) << bytes;
}

// The ffmpeg command-line tool, which some tests use to encode their files.
inline bool have_ffmpeg_tool() {
  static const bool found = std::system("ffmpeg -version >/dev/null 2>&1") == 0;
  return found;
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

// Every output of the tools the tests run is checked here (docs/robustness.md, JSON safety):
// JSON must parse (strict UTF-8, no NaN) into herscan.profile/1 records, JSON Lines line by
// line, and CSV must be rectangular under RFC 4180 quoting.
inline void expect_parseable_json(const std::string& text, bool lines, const std::string& what) {
  auto check_record = [&](const json& r) {
    EXPECT_TRUE(r.is_object() && r.value("schema", "") == "herscan.profile/1")
        << what << ": not a herscan record: " << r.dump().substr(0, 200);
  };
  try {
    if (lines) {
      std::istringstream in(text);
      std::size_t n = 0;
      for (std::string line; std::getline(in, line); ++n) {
        EXPECT_FALSE(line.empty()) << what << ": empty line " << n;
        if (!line.empty()) check_record(json::parse(line));
      }
      EXPECT_TRUE(text.empty() || text.back() == '\n') << what << ": last line not terminated";
    } else {
      const json doc = json::parse(text);
      if (doc.is_array())
        for (const json& r : doc) check_record(r);
      else
        check_record(doc);
    }
  } catch (const json::exception& e) {
    ADD_FAILURE() << what << ": invalid JSON: " << e.what();
  }
}

inline void expect_rectangular_csv(const std::string& text, const std::string& what) {
  std::size_t width = 0, row = 0, fields = 1;
  bool quoted = false, after_quote = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"')
        ++i;
      else if (c == '"')
        quoted = false, after_quote = true;
      continue;
    }
    if (c == '"') {
      EXPECT_TRUE(i == 0 || text[i - 1] == ',' || text[i - 1] == '\n')
          << what << ": a quote inside an unquoted field, row " << row;
      quoted = true;
    } else if (c == ',') {
      ++fields, after_quote = false;
    } else if (c == '\n') {
      if (row == 0) width = fields;
      EXPECT_EQ(fields, width) << what << ": row " << row << " has another number of fields";
      ++row, fields = 1, after_quote = false;
    } else {
      EXPECT_FALSE(after_quote) << what << ": text after a closing quote, row " << row;
    }
  }
  EXPECT_FALSE(quoted) << what << ": unterminated quote";
  EXPECT_TRUE(text.empty() || text.back() == '\n') << what << ": last row not terminated";
}

// Checks one output by its format: "json", "jsonl", "csv" (anything else is not checked).
inline void expect_valid_output(const std::string& text, const std::string& format,
                                const std::string& what) {
  if (format == "json") expect_parseable_json(text, false, what);
  if (format == "jsonl") expect_parseable_json(text, true, what);
  if (format == "csv") expect_rectangular_csv(text, what);
}

// Runs a tool and checks what it wrote: stdout in the format it was asked for (or the tool's
// default off a terminal: JSON Lines; CSV for herscan-frames), and the -o file by its extension.
inline Result run(const TempDir& dir, const char* exe, const std::vector<std::string>& args) {
  std::string command = quote(exe);
  for (const auto& a : args) command += " " + quote(a);
  const Result r = shell(dir, command);
  if (r.exit_code == 2) return r;  // a usage error writes no output
  const bool frames_tool = std::string(exe).ends_with("herscan-frames");
  std::string format = frames_tool ? "csv" : "jsonl", output;
  bool not_records = false;  // the worker protocol, --help, --version, `herscan similar/report`
  for (std::size_t i = 0; i < args.size(); ++i) {
    if ((args[i] == "--format" || args[i] == "-f") && i + 1 < args.size()) format = args[i + 1];
    if (args[i] == "-o" && i + 1 < args.size()) output = args[i + 1];
    not_records = not_records || args[i] == "--worker" || args[i] == "--help" ||
                  args[i] == "--version" ||
                  (i == 0 && (args[i] == "similar" || args[i] == "report"));
  }
  if (not_records) return r;
  if (output.empty()) {
    expect_valid_output(r.out, format, command);
  } else if (std::filesystem::is_regular_file(output)) {
    const std::string ext = std::filesystem::path(output).extension().string();
    expect_valid_output(read_file(output), ext.empty() ? "" : ext.substr(1), output);
  }
  return r;
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
