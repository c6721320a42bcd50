// Output for herscan's command-line tools: record writers for every format, an atomic output
// file, and a stdout sink that notices a closed pipe.
#pragma once

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace herscan::app {

enum class OutputFormat { text, json, jsonl, csv };

/// "text", "json", "jsonl", "csv" → format; nullopt otherwise.
std::optional<OutputFormat> parse_format(std::string_view name);
/// Format implied by an output file's extension (.json, .jsonl, .ndjson, .csv, .txt).
std::optional<OutputFormat> format_from_extension(const std::filesystem::path& path);

/// Where bytes go. Stops accepting writes after the first failure; a closed pipe (EPIPE) is
/// remembered so the caller can stop quietly.
class Sink {
 public:
  virtual ~Sink() = default;
  bool write(std::string_view bytes);
  bool ok() const noexcept { return ok_; }
  bool broken_pipe() const noexcept { return broken_pipe_; }
  virtual void flush() {}

 protected:
  explicit Sink(std::FILE* f) : file_(f) {}
  std::FILE* file_;
  bool ok_ = true;
  bool broken_pipe_ = false;
};

class StdoutSink : public Sink {
 public:
  StdoutSink() : Sink(stdout) {}
  void flush() override;
};

/// Writes to `path.tmp-<pid>` beside the target and renames it over the target on commit(),
/// so readers never see a partial file. Without commit() the temporary is removed.
class AtomicFileSink : public Sink {
 public:
  explicit AtomicFileSink(const std::filesystem::path& path);  // throws std::runtime_error
  ~AtomicFileSink() override;
  /// fsyncs and renames; throws std::runtime_error on failure.
  void commit();

 private:
  std::filesystem::path path_, temp_;
  bool committed_ = false;
};

/// JSON Lines into `path`, resumable (docs/scaling.md): records go to `path.partial`, locked
/// against a second writer, each flushed as it is written and fsynced at most once a second;
/// commit() fsyncs it and renames it over `path`. With `resume`, an existing `path.partial` (or,
/// without one, a finished `path`) is continued: its complete lines that parse as JSON are the
/// records already written (records()), and anything after the last of them (a line cut short
/// by a crash or a power loss) is cut off. Without `resume` the partial file starts empty.
class ResumableFileSink : public Sink {
 public:
  ResumableFileSink(const std::filesystem::path& path, bool resume);  // throws std::runtime_error
  ~ResumableFileSink() override;
  const std::vector<nlohmann::ordered_json>& records() const noexcept { return records_; }
  /// A partial file of an earlier run was found and, without `resume`, emptied.
  bool replaced_partial() const noexcept { return replaced_partial_; }
  const std::filesystem::path& partial_path() const noexcept { return partial_; }
  void flush() override;
  /// fsyncs and renames into place; throws std::runtime_error on failure.
  void commit();
  /// For an interruption: flushes and fsyncs what is written, closes, leaves the partial file.
  void keep();

 private:
  std::filesystem::path path_, partial_;
  std::vector<nlohmann::ordered_json> records_;
  bool replaced_partial_ = false;
  double last_sync_s_ = 0;
};

/// Writes records (profiles and error records) in one format.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual void write(const nlohmann::ordered_json& record) = 0;
  /// Writes any closing bytes (the array's "]").
  virtual void close() {}
};

/// Renders one record as text (the `text` format of a tool).
using TextRenderer = std::string (*)(const nlohmann::ordered_json& record);

struct WriterOptions {
  /// --format json with one input file: a bare object instead of a one-element array.
  bool single_object = false;
  /// CSV columns, in order (see csv_columns()).
  std::vector<std::string> csv_columns;
  /// Text format: the renderer (default: the profile summary) and a header before the first.
  TextRenderer text = nullptr;
  std::string text_header;
};

std::unique_ptr<RecordWriter> make_writer(OutputFormat format, Sink& sink,
                                          const WriterOptions& options);

/// Flattens a record into dotted column names → cell text (objects recurse; arrays of scalars
/// are joined with ';'; null is an empty cell).
std::vector<std::pair<std::string, std::string>> flatten(const nlohmann::ordered_json& record);

/// The CSV header for records shaped like `skeleton` (a profile with every requested block):
/// "file", "error.code", "error.message", then the skeleton's flattened columns.
std::vector<std::string> csv_columns(const nlohmann::ordered_json& skeleton);

}  // namespace herscan::app

namespace herscan::app {

/// A tool's whole output: picks the format (--format, else -o's extension, else text on a
/// terminal and JSON Lines otherwise), opens stdout or an atomic file, writes records, and
/// reports how it ended. Diagnostics go to stderr prefixed with the tool's name.
class Output {
 public:
  struct Options {
    std::string tool;                 ///< "herscan", "herscan-loudness"
    std::string format_name;          ///< --format, or empty
    std::string output_path;          ///< -o, or empty
    bool single_object = false;       ///< JSON on stdout for one file: a bare object
    nlohmann::ordered_json skeleton;  ///< for CSV columns
    TextRenderer text = nullptr;      ///< for the text format
    std::string text_header;          ///< printed once before the first text record
    bool resume = false;              ///< --resume: continue -o FILE.jsonl (ResumableFileSink)
  };

  /// Returns null after printing a one-line error (a usage error: exit 2).
  static std::unique_ptr<Output> open(const Options& options);

  /// Writes a record; an error record also gets a stderr line. Returns false when the reader
  /// has gone away (closed pipe): stop quietly.
  bool write(const nlohmann::ordered_json& record);
  /// Finishes the output (closing bracket, rename into place). Returns false on failure
  /// (already reported on stderr).
  bool close();
  /// For an interruption (SIGINT): keeps what is written consistent. A resumable file keeps its
  /// partial file for --resume; another output file is removed (it never replaces the target);
  /// stdout gets the JSON array's closing bracket.
  void interrupt();
  /// With --resume: the records an earlier run already wrote (empty otherwise).
  const std::vector<nlohmann::ordered_json>& resumed() const;
  OutputFormat format() const noexcept { return format_; }
  bool broken_pipe() const noexcept { return sink_->broken_pipe(); }

 private:
  Output() = default;
  Options options_;
  OutputFormat format_ = OutputFormat::jsonl;
  StdoutSink stdout_sink_;
  std::unique_ptr<AtomicFileSink> file_sink_;
  std::unique_ptr<ResumableFileSink> resumable_sink_;
  Sink* sink_ = nullptr;
  std::unique_ptr<RecordWriter> writer_;
};

}  // namespace herscan::app
