#include "common/progress.h"

#include <cmath>
#include <cstdio>

namespace herscan::app {
namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

std::string hours_text(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, seconds < 36000 ? "%.2f h" : "%.1f h", seconds / 3600);
  return buf;
}

double duration_of(const nlohmann::ordered_json& record) {
  const auto format = record.find("format");
  if (format == record.end() || !format->is_object()) return 0;
  const auto d = format->find("duration_s");
  return d != format->end() && d->is_number() ? d->get<double>() : 0;
}

}  // namespace

Progress::Progress(std::string tool, std::size_t total, bool bar)
    : tool_(std::move(tool)), total_(total), bar_(bar), start_(std::chrono::steady_clock::now()) {}

double Progress::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::add_resumed(const nlohmann::ordered_json& record) {
  ++resumed_;
  resumed_failed_ += record.contains("error");
  resumed_warned_ += record.contains("warnings");
  resumed_audio_s_ += duration_of(record);
}

void Progress::add(const nlohmann::ordered_json& record) {
  ++done_;
  failed_ += record.contains("error");
  warned_ += record.contains("warnings");
  audio_s_ += duration_of(record);
}

void Progress::draw(bool force) {
  if (!bar_) return;
  const auto now = std::chrono::steady_clock::now();
  if (!force && drawn_ && now - last_draw_ < std::chrono::milliseconds(200)) return;
  last_draw_ = now;
  const double elapsed = elapsed_s();
  constexpr int kWidth = 20;
  const double fraction = total_ ? double(done_) / double(total_) : 1.0;
  const int filled = int(fraction * kWidth);
  std::string bar(std::size_t(filled), '#');
  bar.resize(kWidth, '.');
  std::string line = tool_ + ": [" + bar + "] " + std::to_string(done_) + "/" +
                     std::to_string(total_) + " files, " + hours_text(audio_s_) + " audio";
  char buf[64];
  if (elapsed > 0.5 && audio_s_ > 0) {
    std::snprintf(buf, sizeof buf, ", %.0fx realtime", audio_s_ / elapsed);
    line += buf;
  }
  if (done_ > 0 && done_ < total_)
    line += ", ETA " + clock_text(elapsed / double(done_) * double(total_ - done_));
  if (failed_ > 0) line += ", " + std::to_string(failed_) + " failed";
  std::fprintf(stderr, "\r%s\033[K", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::clear() {
  if (!bar_ || !drawn_) return;
  std::fprintf(stderr, "\r\033[K");
  std::fflush(stderr);
  drawn_ = false;
}

std::string Progress::summary() const {
  const std::size_t files = done_ + resumed_, failed = failed_ + resumed_failed_,
                    warned = warned_ + resumed_warned_;
  const double elapsed = elapsed_s();
  std::string line = tool_ + ": " + std::to_string(files) + (files == 1 ? " file: " : " files: ") +
                     std::to_string(files - failed) + " analysed";
  if (warned > 0) line += " (" + std::to_string(warned) + " with warnings)";
  line += ", " + std::to_string(failed) + " failed";
  if (resumed_ > 0) line += " (" + std::to_string(resumed_) + " written by the earlier run)";
  line += "; " + hours_text(audio_s_) + " of audio in " + clock_text(elapsed);
  if (elapsed > 0 && audio_s_ > 0) {
    char buf[48];
    std::snprintf(buf, sizeof buf, " (%.0fx realtime)", audio_s_ / elapsed);
    line += buf;
  }
  return line;
}

}  // namespace herscan::app
