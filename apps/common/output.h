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

/// Writes records (profiles and error records) in one format.
class RecordWriter {
 public:
  virtual ~RecordWriter() = default;
  virtual void write(const nlohmann::ordered_json& record) = 0;
  /// Writes any closing bytes (the array's "]").
  virtual void close() {}
};

struct WriterOptions {
  /// --format json with one input file: a bare object instead of a one-element array.
  bool single_object = false;
  /// CSV columns, in order (see csv_columns()).
  std::vector<std::string> csv_columns;
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
