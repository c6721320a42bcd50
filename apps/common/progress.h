// Progress of a batch run: a one-line progress bar on a terminal's stderr, and the closing
// summary line.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include <nlohmann/json.hpp>

namespace herscan::app {

class Progress {
 public:
  /// `total`: files this run will write (without those resumed); `bar`: draw the bar.
  Progress(std::string tool, std::size_t total, bool bar);
  /// A record an earlier run wrote (--resume): counted in the summary, not in the rate.
  void add_resumed(const nlohmann::ordered_json& record);
  /// A record this run wrote.
  void add(const nlohmann::ordered_json& record);
  /// Redraws the bar (at most five times a second unless `force`).
  void draw(bool force = false);
  /// Erases the bar, so that another stderr line can be written.
  void clear();
  /// "herscan: 120 files: 118 analysed, 2 failed; 9.8 h of audio in 0:02:31 (233× realtime)".
  std::string summary() const;
  std::size_t failed() const noexcept { return failed_ + resumed_failed_; }
  std::size_t written() const noexcept { return done_; }

 private:
  double elapsed_s() const;
  std::string tool_;
  std::size_t total_, done_ = 0, failed_ = 0, resumed_ = 0, resumed_failed_ = 0, warned_ = 0,
                      resumed_warned_ = 0;
  double audio_s_ = 0, resumed_audio_s_ = 0;
  bool bar_, drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace herscan::app
