// Runs the analysis of many files on N job slots and hands the records back in input order.
//
// Each slot takes the next file from a shared queue. In thread mode the slot thread analyses it
// itself (every slot shares the process's FFTW plan cache). In isolated mode each slot owns a
// worker process (`herscan --worker`, single-threaded) and sends it the path; when a worker dies
// mid-file (a decoder crash), that file gets an error record with code "crashed" and the slot
// starts a new worker. Slots run at most `window` files ahead of the oldest record not yet
// handed back, so memory stays bounded however slow one file is. docs/scaling.md.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/inputs.h"

namespace herscan::app {

struct RunnerOptions {
  unsigned jobs = 1;
  /// Isolated mode: the worker command (argv[0] is the executable), empty for thread mode.
  std::vector<std::string> worker_command;
  /// How far the slots may run ahead of the oldest record not yet taken; 0: 4 × jobs + 4.
  std::size_t window = 0;
};

class Runner {
 public:
  /// `analyze` makes one file's record (thread mode; called concurrently from the slots).
  using Analyze = std::function<nlohmann::ordered_json(const Input&)>;
  Runner(std::vector<Input> inputs, Analyze analyze, const RunnerOptions& options);
  /// Joins the slots (after cancel(), they stop after their current file).
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  /// The next record in input order, waiting at most `timeout`; nullopt on timeout or when all
  /// records have been taken (see finished()).
  std::optional<nlohmann::ordered_json> next(std::chrono::milliseconds timeout);
  bool finished() const;
  /// Stops handing out files; kills the worker processes (their files are abandoned).
  void cancel();

 private:
  void slot_thread();
  nlohmann::ordered_json run_in_worker(struct Worker& worker, const Input& input);

  std::vector<Input> inputs_;
  Analyze analyze_;
  RunnerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable work_cv_, ready_cv_;
  std::size_t next_take_ = 0, next_give_ = 0;
  std::map<std::size_t, nlohmann::ordered_json> ready_;
  bool cancelled_ = false;
  std::vector<pid_t> worker_pids_;  // live workers, for cancel()
  std::vector<std::thread> slots_;
};

/// The worker side of isolated mode: reads NUL-terminated paths on stdin, writes each record
/// as "<bytes>\n<json>" on stdout, until stdin ends. Returns the exit status.
int run_worker(const std::function<nlohmann::ordered_json(const std::string&)>& analyze);

}  // namespace herscan::app
