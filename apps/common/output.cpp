#include "common/output.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
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

double monotonic_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

std::string errno_text() {
  return std::strerror(errno);
}

// All of file descriptor `fd` from its start.
std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  ::lseek(fd, 0, SEEK_SET);
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error("read failed: " + errno_text());
    if (n == 0) return text;
    text.append(buffer, std::size_t(n));
  }
}

}  // namespace

ResumableFileSink::ResumableFileSink(const std::filesystem::path& path, bool resume)
    : Sink(nullptr), path_(path), partial_(path) {
  partial_ += ".partial";
  const int fd = ::open(partial_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(partial_.string() + ": cannot open: " + errno_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    throw std::runtime_error(partial_.string() + ": another herscan is writing it");
  }
  try {
    std::string text = read_all(fd);
    replaced_partial_ = !text.empty();
    if (resume && text.empty()) {
      // No partial file: continue a finished output (new files were added since, say).
      const int done = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (done >= 0) {
        text = read_all(done);
        ::close(done);
      }
    }
    std::size_t keep = 0;  // bytes of complete, parseable lines
    if (resume) {
      for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = text.find('\n', start);
        if (end == std::string::npos) break;  // a last line cut short
        try {
          records_.push_back(json::parse(text.begin() + std::ptrdiff_t(start),
                                         text.begin() + std::ptrdiff_t(end)));
        } catch (const json::exception&) {
          break;  // garbage where a crash cut the file: everything from here is rewritten
        }
        start = keep = end + 1;
      }
    }
    if (::ftruncate(fd, 0) != 0 || ::lseek(fd, 0, SEEK_SET) != 0 ||
        (keep > 0 && ::write(fd, text.data(), keep) != ssize_t(keep)))
      throw std::runtime_error("write failed: " + errno_text());
  } catch (const std::runtime_error& e) {
    ::close(fd);
    throw std::runtime_error(partial_.string() + ": " + e.what());
  }
  file_ = ::fdopen(fd, "w");
  if (!file_) {
    ::close(fd);
    throw std::runtime_error(partial_.string() + ": cannot open: " + errno_text());
  }
  last_sync_s_ = monotonic_s();
}

ResumableFileSink::~ResumableFileSink() {
  if (file_) std::fclose(file_);  // an abandoned run keeps its partial file for --resume
}

void ResumableFileSink::flush() {
  if (!ok_ || !file_) return;
  if (std::fflush(file_) != 0) {
    ok_ = false;
    return;
  }
  const double now = monotonic_s();
  if (now - last_sync_s_ >= 1.0) {
    ::fsync(::fileno(file_));
    last_sync_s_ = now;
  }
}

void ResumableFileSink::keep() {
  if (!file_) return;
  std::fflush(file_);
  ::fsync(::fileno(file_));
  std::fclose(file_);
  file_ = nullptr;
}

void ResumableFileSink::commit() {
  const bool flushed = std::fflush(file_) == 0 && ::fsync(::fileno(file_)) == 0;
  const int err = errno;
  if (!ok_ || !flushed) {
    std::fclose(file_);
    file_ = nullptr;
    throw std::runtime_error(partial_.string() +
                             ": write failed: " + std::strerror(ok_ ? err : EIO));
  }
  // Renamed while still locked, so that no second run can start on the partial in between.
  if (std::rename(partial_.c_str(), path_.c_str()) != 0) {
    const std::string why = errno_text();
    std::fclose(file_);
    file_ = nullptr;
    throw std::runtime_error(path_.string() + ": cannot rename into place: " + why);
  }
  std::fclose(file_);
  file_ = nullptr;
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
    cells.erase("warnings");  // its codes, not the dumped objects
    if (const auto w = record.find("warnings"); w != record.end() && w->is_array()) {
      std::string codes;
      for (const auto& note : *w) codes += (codes.empty() ? "" : ";") + note.value("code", "");
      cells["warnings"] = codes;
    }
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
  std::vector<std::string> columns = {"file", "error.code", "error.message", "warnings"};
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
  if (options.resume && (options.output_path.empty() || format != OutputFormat::jsonl)) {
    std::fprintf(stderr, "%s: --resume continues a JSON Lines output file: give -o FILE.jsonl\n",
                 tool);
    return nullptr;
  }
  if (!options.output_path.empty()) {
    try {
      if (format == OutputFormat::jsonl) {
        out->resumable_sink_ =
            std::make_unique<ResumableFileSink>(options.output_path, options.resume);
        out->sink_ = out->resumable_sink_.get();
        if (out->resumable_sink_->replaced_partial() && !options.resume)
          std::fprintf(
              stderr,
              "%s: starting over: %s from an interrupted run is replaced (--resume continues it)\n",
              tool, out->resumable_sink_->partial_path().c_str());
      } else {
        out->file_sink_ = std::make_unique<AtomicFileSink>(options.output_path);
        out->sink_ = out->file_sink_.get();
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "%s: %s\n", tool, e.what());
      return nullptr;
    }
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
  if (file_sink_ || resumable_sink_) {
    try {
      if (file_sink_) file_sink_->commit();
      if (resumable_sink_) resumable_sink_->commit();
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

void Output::interrupt() {
  if (resumable_sink_) {
    resumable_sink_->keep();
  } else if (file_sink_) {
    file_sink_.reset();  // removes the temporary file: the target is left as it was
  } else {
    writer_->close();
    sink_->flush();
  }
}

const std::vector<json>& Output::resumed() const {
  static const std::vector<json> none;
  return resumable_sink_ ? resumable_sink_->records() : none;
}

}  // namespace herscan::app
