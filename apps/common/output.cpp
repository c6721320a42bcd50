#include "common/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <stdexcept>

#include "common/text_summary.h"

namespace herscan::app {

using json = nlohmann::ordered_json;

std::optional<OutputFormat> parse_format(std::string_view name) {
  if (name == "text") return OutputFormat::text;
  if (name == "json") return OutputFormat::json;
  if (name == "jsonl") return OutputFormat::jsonl;
  if (name == "csv") return OutputFormat::csv;
  return std::nullopt;
}

std::optional<OutputFormat> format_from_extension(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".json") return OutputFormat::json;
  if (ext == ".jsonl" || ext == ".ndjson") return OutputFormat::jsonl;
  if (ext == ".csv") return OutputFormat::csv;
  if (ext == ".txt") return OutputFormat::text;
  return std::nullopt;
}

bool Sink::write(std::string_view bytes) {
  if (!ok_) return false;
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    ok_ = false;
    broken_pipe_ = errno == EPIPE;
  }
  return ok_;
}

void StdoutSink::flush() {
  if (ok_ && std::fflush(file_) != 0) {
    ok_ = false;
    broken_pipe_ = errno == EPIPE;
  }
}

AtomicFileSink::AtomicFileSink(const std::filesystem::path& path)
    : Sink(nullptr), path_(path), temp_(path) {
  temp_ += ".tmp-" + std::to_string(::getpid());
  file_ = std::fopen(temp_.c_str(), "wb");
  if (!file_) throw std::runtime_error(temp_.string() + ": cannot create: " + std::strerror(errno));
}

AtomicFileSink::~AtomicFileSink() {
  if (file_) std::fclose(file_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicFileSink::commit() {
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int err = errno;
  std::fclose(file_);
  file_ = nullptr;
  if (!ok_ || !flushed)
    throw std::runtime_error(temp_.string() + ": write failed: " + std::strerror(ok_ ? err : EIO));
  if (std::rename(temp_.c_str(), path_.c_str()) != 0)
    throw std::runtime_error(path_.string() +
                             ": cannot rename into place: " + std::strerror(errno));
  committed_ = true;
}

namespace {

std::string dump(const json& j, int indent = -1) {
  // Invalid UTF-8 (possible in file names) is replaced by U+FFFD rather than aborting.
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

class JsonLinesWriter : public RecordWriter {
 public:
  explicit JsonLinesWriter(Sink& sink) : sink_(sink) {}
  void write(const json& record) override {
    sink_.write(dump(record) + "\n");
    sink_.flush();  // one line per finished file, visible at once to `| jq` and tail -f
  }

 private:
  Sink& sink_;
};

class JsonWriter : public RecordWriter {
 public:
  JsonWriter(Sink& sink, bool single_object) : sink_(sink), single_(single_object) {}
  void write(const json& record) override {
    if (single_) {
      sink_.write(dump(record, 2) + "\n");
      return;
    }
    std::string text = dump(record, 2);
    // Indent the record one level inside the array.
    std::string indented = "  ";
    for (char c : text) {
      indented += c;
      if (c == '\n') indented += "  ";
    }
    sink_.write(count_++ == 0 ? "[\n" : ",\n");
    sink_.write(indented);
  }
  void close() override {
    if (single_) return;
    sink_.write(count_ == 0 ? "[]\n" : "\n]\n");
  }

 private:
  Sink& sink_;
  bool single_;
  std::size_t count_ = 0;
};

std::string csv_cell(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

class CsvWriter : public RecordWriter {
 public:
  CsvWriter(Sink& sink, std::vector<std::string> columns)
      : sink_(sink), columns_(std::move(columns)) {
    std::string header;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i) header += ',';
      header += csv_cell(columns_[i]);
    }
    sink_.write(header + "\n");
  }
  void write(const json& record) override {
    std::map<std::string, std::string> cells;
    for (auto& [key, value] : flatten(record)) cells[key] = std::move(value);
    std::string line;
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      if (i) line += ',';
      auto it = cells.find(columns_[i]);
      if (it != cells.end()) line += csv_cell(it->second);
    }
    sink_.write(line + "\n");
    sink_.flush();
  }

 private:
  Sink& sink_;
  std::vector<std::string> columns_;
};

class TextWriter : public RecordWriter {
 public:
  TextWriter(Sink& sink, TextRenderer render, std::string header)
      : sink_(sink), render_(render ? render : &text_summary), header_(std::move(header)) {}
  void write(const json& record) override {
    // Failures are reported on stderr by the caller; the text view is for results only.
    if (record.contains("error")) return;
    if (count_++ == 0)
      sink_.write(header_);
    else if (header_.empty())
      sink_.write("\n");  // blank line between multi-line summaries
    sink_.write(render_(record));
    sink_.flush();
  }

 private:
  Sink& sink_;
  TextRenderer render_;
  std::string header_;
  std::size_t count_ = 0;
};

std::string scalar_text(const json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return dump(v);
}

void flatten_into(const json& value, const std::string& prefix,
                  std::vector<std::pair<std::string, std::string>>& out) {
  if (value.is_object()) {
    for (auto it = value.begin(); it != value.end(); ++it)
      flatten_into(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
    return;
  }
  if (value.is_array()) {
    bool scalars = true;
    for (const auto& e : value) scalars = scalars && !e.is_structured();
    if (!scalars) {
      out.emplace_back(prefix, dump(value));
      return;
    }
    std::string joined;
    for (std::size_t i = 0; i < value.size(); ++i) {
      if (i) joined += ';';
      joined += scalar_text(value[i]);
    }
    out.emplace_back(prefix, joined);
    return;
  }
  out.emplace_back(prefix, scalar_text(value));
}

}  // namespace

std::vector<std::pair<std::string, std::string>> flatten(const json& record) {
  std::vector<std::pair<std::string, std::string>> out;
  flatten_into(record, "", out);
  return out;
}

std::vector<std::string> csv_columns(const json& skeleton) {
  std::vector<std::string> columns = {"file", "error.code", "error.message"};
  for (auto& [key, value] : flatten(skeleton))
    if (key != "file" && key != "schema") columns.push_back(key);
  return columns;
}

std::unique_ptr<RecordWriter> make_writer(OutputFormat format, Sink& sink,
                                          const WriterOptions& options) {
  switch (format) {
    case OutputFormat::text:
      return std::make_unique<TextWriter>(sink, options.text, options.text_header);
    case OutputFormat::json:
      return std::make_unique<JsonWriter>(sink, options.single_object);
    case OutputFormat::jsonl:
      return std::make_unique<JsonLinesWriter>(sink);
    case OutputFormat::csv:
      return std::make_unique<CsvWriter>(sink, options.csv_columns);
  }
  return nullptr;
}

std::unique_ptr<Output> Output::open(const Options& options) {
  std::unique_ptr<Output> out(new Output);
  out->options_ = options;
  const char* tool = options.tool.c_str();
  OutputFormat format = ::isatty(STDOUT_FILENO) ? OutputFormat::text : OutputFormat::jsonl;
  if (!options.output_path.empty()) {
    auto from_ext = format_from_extension(options.output_path);
    if (!from_ext && options.format_name.empty()) {
      std::fprintf(
          stderr,
          "%s: -o %s: unknown extension; use .json, .jsonl, .csv or .txt, or give --format\n", tool,
          options.output_path.c_str());
      return nullptr;
    }
    if (from_ext) format = *from_ext;
  }
  if (!options.format_name.empty()) {
    auto named = parse_format(options.format_name);
    if (!named) {
      std::fprintf(stderr, "%s: --format %s: use text, json, jsonl or csv\n", tool,
                   options.format_name.c_str());
      return nullptr;
    }
    format = *named;
  }
  out->format_ = format;
  out->sink_ = &out->stdout_sink_;
  if (!options.output_path.empty()) {
    try {
      out->file_sink_ = std::make_unique<AtomicFileSink>(options.output_path);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", tool, e.what());
      return nullptr;
    }
    out->sink_ = out->file_sink_.get();
  }
  WriterOptions wo;
  wo.single_object = options.single_object && options.output_path.empty();
  if (format == OutputFormat::csv) wo.csv_columns = csv_columns(options.skeleton);
  wo.text = options.text;
  wo.text_header = options.text_header;
  out->writer_ = make_writer(format, *out->sink_, wo);
  return out;
}

bool Output::write(const json& record) {
  if (auto it = record.find("error"); it != record.end()) {
    std::fprintf(stderr, "%s: %s: %s\n", options_.tool.c_str(), record.value("file", "?").c_str(),
                 it->value("message", "?").c_str());
  }
  writer_->write(record);
  return !sink_->broken_pipe();
}

bool Output::close() {
  writer_->close();
  sink_->flush();
  if (sink_->broken_pipe()) return true;  // the reader left: nothing to report
  if (file_sink_) {
    try {
      file_sink_->commit();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", options_.tool.c_str(), e.what());
      return false;
    }
  } else if (!sink_->ok()) {
    std::fprintf(stderr, "%s: cannot write to standard output\n", options_.tool.c_str());
    return false;
  }
  return true;
}

}  // namespace herscan::app
