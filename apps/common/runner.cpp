#include "common/runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "herscan/json.h"

extern char** environ;

namespace herscan::app {

using json = nlohmann::ordered_json;

namespace {

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= std::size_t(n);
  }
  return true;
}

// Reads from a pipe through a small buffer.
class PipeReader {
 public:
  explicit PipeReader(int fd) : fd_(fd) {}
  // The bytes up to (not including) `delimiter`; nullopt at end of input.
  std::optional<std::string> until(char delimiter) {
    std::string out;
    for (;;) {
      if (pos_ == end_ && !fill()) return std::nullopt;
      const char* start = buffer_ + pos_;
      const void* hit = std::memchr(start, delimiter, end_ - pos_);
      if (hit) {
        const auto n = std::size_t(static_cast<const char*>(hit) - start);
        out.append(start, n);
        pos_ += n + 1;
        return out;
      }
      out.append(start, end_ - pos_);
      pos_ = end_;
    }
  }
  // Exactly `size` bytes; nullopt if the input ends first.
  std::optional<std::string> exactly(std::size_t size) {
    std::string out;
    out.reserve(size);
    while (out.size() < size) {
      if (pos_ == end_ && !fill()) return std::nullopt;
      const std::size_t n = std::min(size - out.size(), end_ - pos_);
      out.append(buffer_ + pos_, n);
      pos_ += n;
    }
    return out;
  }

 private:
  bool fill() {
    for (;;) {
      const ssize_t n = ::read(fd_, buffer_, sizeof buffer_);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      pos_ = 0;
      end_ = std::size_t(n);
      return true;
    }
  }
  int fd_;
  char buffer_[65536];
  std::size_t pos_ = 0, end_ = 0;
};

}  // namespace

struct Worker {
  pid_t pid = -1;
  int to_child = -1, from_child = -1;
  std::optional<PipeReader> reader;
};

namespace {

// Starts `command` with its stdin and stdout on pipes (close-on-exec everywhere else, so that no
// worker holds another's pipe open).
bool spawn(const std::vector<std::string>& command, Worker& w) {
  int in[2], out[2];
  if (::pipe2(in, O_CLOEXEC) != 0) return false;
  if (::pipe2(out, O_CLOEXEC) != 0) {
    ::close(in[0]);
    ::close(in[1]);
    return false;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  std::vector<char*> argv;
  for (const auto& a : command) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(in[0]);
  ::close(out[1]);
  if (rc != 0) {
    ::close(in[1]);
    ::close(out[0]);
    return false;
  }
  w.pid = pid;
  w.to_child = in[1];
  w.from_child = out[0];
  w.reader.emplace(out[0]);
  return true;
}

// Closes the pipes and reaps the worker; its wait status.
int retire(Worker& w) {
  if (w.to_child >= 0) ::close(w.to_child);
  if (w.from_child >= 0) ::close(w.from_child);
  int status = 0;
  if (w.pid > 0)
    while (::waitpid(w.pid, &status, 0) < 0 && errno == EINTR) {
    }
  w = Worker{};
  return status;
}

std::string describe(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return "the analysis process died on signal " + std::to_string(sig) + " (" + ::strsignal(sig) +
           "): a crash in a decoder or library while reading this file";
  }
  return "the analysis process exited with status " + std::to_string(WEXITSTATUS(status)) +
         " before finishing this file";
}

}  // namespace

Runner::Runner(std::vector<Input> inputs, Analyze analyze, const RunnerOptions& options)
    : inputs_(std::move(inputs)), analyze_(std::move(analyze)), options_(options) {
  options_.jobs = std::max(1u, options_.jobs);
  if (options_.window == 0) options_.window = 4 * std::size_t(options_.jobs) + 4;
  const auto slots = std::min<std::size_t>(options_.jobs, std::max<std::size_t>(1, inputs_.size()));
  for (std::size_t i = 0; i < slots; ++i) slots_.emplace_back([this] { slot_thread(); });
}

Runner::~Runner() {
  cancel();
  for (auto& t : slots_) t.join();
}

void Runner::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  for (pid_t pid : worker_pids_) ::kill(pid, SIGKILL);
  work_cv_.notify_all();
}

bool Runner::finished() const {
  std::lock_guard lock(mutex_);
  return next_give_ == inputs_.size();
}

std::optional<json> Runner::next(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  if (!ready_cv_.wait_for(lock, timeout, [&] { return ready_.count(next_give_) > 0; }))
    return std::nullopt;
  auto node = ready_.extract(next_give_++);
  work_cv_.notify_all();
  return std::move(node.mapped());
}

json Runner::run_in_worker(Worker& worker, const Input& input) {
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (worker.pid < 0) {
      if (!spawn(options_.worker_command, worker))
        return error_record(input.path, ErrorCode::internal,
                            std::string("cannot start a worker process: ") + std::strerror(errno));
      std::lock_guard lock(mutex_);
      worker_pids_.push_back(worker.pid);
    }
    const std::string request = input.path + '\0';
    const bool sent = write_all(worker.to_child, request.data(), request.size());
    std::optional<std::string> reply;
    if (sent)
      if (auto length = worker.reader->until('\n'))
        reply = worker.reader->exactly(std::stoull(*length));
    if (reply) {
      try {
        return json::parse(*reply);
      } catch (const json::exception&) {
        // A garbled reply: treat the worker as broken.
      }
    }
    const pid_t pid = worker.pid;
    const int status = retire(worker);
    {
      std::lock_guard lock(mutex_);
      worker_pids_.erase(std::remove(worker_pids_.begin(), worker_pids_.end(), pid),
                         worker_pids_.end());
      if (cancelled_) return json();
    }
    // A worker that died before reading the request (e.g. killed while idle) gets one retry.
    if (sent || attempt == 1) return error_record(input.path, ErrorCode::crashed, describe(status));
  }
  return json();
}

void Runner::slot_thread() {
  Worker worker;
  for (;;) {
    std::size_t i;
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [&] {
        return cancelled_ || next_take_ >= inputs_.size() ||
               next_take_ < next_give_ + options_.window;
      });
      if (cancelled_ || next_take_ >= inputs_.size()) break;
      i = next_take_++;
    }
    const Input& input = inputs_[i];
    json record;
    if (input.error)
      record = error_record(input.path, *input.error, input.error_message);
    else if (options_.worker_command.empty())
      record = analyze_(input);
    else
      record = run_in_worker(worker, input);
    std::lock_guard lock(mutex_);
    if (cancelled_) break;
    ready_.emplace(i, std::move(record));
    ready_cv_.notify_all();
  }
  if (worker.pid > 0) {
    const pid_t pid = worker.pid;
    retire(worker);  // closing its stdin ends it
    std::lock_guard lock(mutex_);
    worker_pids_.erase(std::remove(worker_pids_.begin(), worker_pids_.end(), pid),
                       worker_pids_.end());
  }
}

int run_worker(const std::function<json(const std::string&)>& analyze) {
  ::signal(SIGINT, SIG_IGN);  // the parent decides what an interruption means
  PipeReader in(STDIN_FILENO);
  while (auto path = in.until('\0')) {
    const std::string body = dump(analyze(*path));
    const std::string header = std::to_string(body.size()) + "\n";
    if (!write_all(STDOUT_FILENO, header.data(), header.size()) ||
        !write_all(STDOUT_FILENO, body.data(), body.size()))
      return 1;
  }
  return 0;
}

}  // namespace herscan::app
