// Synthesised test signals and helpers. Every expectation in the tests is derived from how
// these signals are built, never copied from a tool's output.
#pragma once

#include <sndfile.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "herscan/mel.h"
#include "herscan/stft.h"

namespace herscan::test {

/// A·sin(2π f n / rate + phase), n = 0..frames-1.
inline std::vector<float> sine(double freq_hz, double amplitude, double rate_hz, std::size_t frames,
                               double phase = 0) {
  std::vector<float> x(frames);
  for (std::size_t n = 0; n < frames; ++n)
    x[n] =
        float(amplitude * std::sin(2 * std::numbers::pi * freq_hz * double(n) / rate_hz + phase));
  return x;
}

/// Gaussian white noise with standard deviation `sigma`, reproducible from `seed`.
inline std::vector<float> white_noise(std::size_t frames, double sigma, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> dist(0.0, sigma);
  std::vector<float> x(frames);
  for (auto& v : x) v = float(dist(rng));
  return x;
}

/// Interleaves equal-length channels.
inline std::vector<float> interleave(const std::vector<std::vector<float>>& channels) {
  const std::size_t frames = channels.front().size();
  std::vector<float> out(frames * channels.size());
  for (std::size_t n = 0; n < frames; ++n)
    for (std::size_t c = 0; c < channels.size(); ++c) out[n * channels.size() + c] = channels[c][n];
  return out;
}

/// `seconds` of a I-IV-V-I progression in C major: a plucked triad on every beat (`bpm`) over
/// a bass note on every bar, harmonics decaying. Tempo, key and loudness are all well defined.
inline std::vector<float> chord_piece(double seconds, int rate_hz, double bpm) {
  std::vector<float> x(std::size_t(seconds * rate_hz), 0.0f);
  const int chords[4][3] = {{60, 64, 67}, {65, 69, 72}, {67, 71, 74}, {60, 64, 67}};
  const double beat_s = 60.0 / bpm;
  for (int beat = 0; beat * beat_s < seconds; ++beat) {
    const int* chord = chords[(beat / 4) % 4];
    auto note = [&](double midi, double gain, double decay_s) {
      const double hz = 440 * std::pow(2.0, (midi - 69) / 12);
      const auto start = std::size_t(beat * beat_s * rate_hz);
      for (std::size_t n = 0; n < std::size_t(1.5 * rate_hz) && start + n < x.size(); ++n) {
        const double t = double(n) / rate_hz;
        double v = 0;
        for (int h = 1; h <= 4; ++h) v += std::sin(2 * M_PI * hz * h * t) / (h * h);
        x[start + n] += float(gain * std::exp(-t / decay_s) * v);
      }
    };
    for (int i = 0; i < 3; ++i) note(chord[i], 0.12, 0.25);
    if (beat % 4 == 0) note(chord[0] - 24, 0.2, 0.8);
  }
  return x;
}

/// Adds a metronome click at `t_s` seconds to a mono signal at `rate_hz`: 30 ms of a decaying
/// 1.5 kHz tone (time constant 6 ms), cut at the signal's end.
inline void add_click(std::vector<float>& x, double t_s, double rate_hz, double gain = 0.5) {
  const auto at = std::size_t(t_s * rate_hz);
  for (std::size_t i = 0; i < std::size_t(0.03 * rate_hz) && at + i < x.size(); ++i) {
    const double s = double(i) / rate_hz;
    x[at + i] += float(gain * std::sin(2 * std::numbers::pi * 1500 * s) * std::exp(-s / 0.006));
  }
}

/// The onset envelope and the beat network's features (herscan/beat_net.h) of a mono signal at
/// the default STFT's 22050 Hz, as the profile computes them.
struct OnsetFeatures {
  std::vector<float> envelope, features;
};
inline OnsetFeatures onset_features(const std::vector<float>& x) {
  StftConfig stft;
  MelProcessor mel(stft, {}, {}, MelKeep{.onset = true, .beat_features = true});
  Stft transform(stft);
  transform.add_consumer(mel);
  transform.push(x);
  transform.finish();
  return {mel.onset_mean(), mel.beat_features()};
}

/// Writes interleaved float samples with libsndfile in `format` (SF_FORMAT_* major | subtype).
inline void write_audio(const std::filesystem::path& path, const std::vector<float>& interleaved,
                        int channels, int rate_hz, int format) {
  SF_INFO info{};
  info.samplerate = rate_hz;
  info.channels = channels;
  info.format = format;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  if (!f) throw std::runtime_error("cannot write " + path.string() + ": " + sf_strerror(nullptr));
  // Float input is clipped to ±1 for integer formats, never wrapped.
  sf_command(f, SFC_SET_CLIPPING, nullptr, SF_TRUE);
  const sf_count_t frames = sf_count_t(interleaved.size() / std::size_t(channels));
  const sf_count_t written = sf_writef_float(f, interleaved.data(), frames);
  sf_close(f);
  if (written != frames) throw std::runtime_error("short write to " + path.string());
}

/// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "herscan-test-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace herscan::test
