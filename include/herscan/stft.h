// herscan/stft.h — streaming short-time Fourier transform with librosa's conventions.
//
// librosa.stft(y, n_fft, hop_length, window="hann", center=True, pad_mode="constant"):
// the signal is padded with n_fft/2 zeros on both sides, frame t covers padded samples
// [t·hop, t·hop + n_fft), is multiplied by a periodic Hann window and transformed. A signal of
// N samples gives 1 + floor(N / hop) frames; frame t is centred on sample t·hop.
//
// Streaming: push() blocks of any length; each frame is handed to every FrameConsumer as soon
// as its samples are known; finish() emits the frames that reach into the right padding.
// Frame consumers see a StftFrame view valid only during the call.
#pragma once

#include <complex>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace herscan {

struct StftConfig {
  std::size_t n_fft = 2048;       ///< transform size, even, ≥ 16
  std::size_t hop_frames = 512;   ///< hop in samples, 1..n_fft
  double sample_rate_hz = 22050;  ///< rate of the pushed signal, > 0

  /// Throws Error(invalid_argument) naming the field and its valid range.
  void validate() const;
};

/// One analysis frame as consumers see it.
struct StftFrame {
  std::int64_t index = 0;          ///< frame number t, centred on sample t·hop
  std::span<const float> samples;  ///< the n_fft padded input samples, not windowed
  std::size_t valid_begin = 0;     ///< samples[valid_begin, valid_end) are real signal,
  std::size_t valid_end = 0;       ///< the rest is centre padding (zeros)
  std::span<const std::complex<float>> spectrum;  ///< n_fft/2+1 bins of the windowed frame
  std::span<const float> magnitude;               ///< |spectrum|
  std::span<const float> power;                   ///< |spectrum|²
};

/// Receives STFT frames. Implementations are the per-frame feature processors.
class FrameConsumer {
 public:
  virtual ~FrameConsumer() = default;
  virtual void consume(const StftFrame& frame) = 0;
  /// Called once after the last frame.
  virtual void finish() {}
};

/// Periodic Hann window of length n: w[t] = 0.5 − 0.5 cos(2πt/n) (scipy's fftbins=True).
std::vector<float> periodic_hann(std::size_t n);

/// Frequency of each of the n_fft/2+1 bins in Hz (librosa.fft_frequencies).
std::vector<double> fft_frequencies(double sample_rate_hz, std::size_t n_fft);

/// Number of centred frames for a signal of `samples` samples: 1 + samples / hop.
std::int64_t stft_frame_count(std::int64_t samples, std::size_t hop_frames);

class Stft {
 public:
  explicit Stft(const StftConfig& config);
  ~Stft();
  Stft(const Stft&) = delete;
  Stft& operator=(const Stft&) = delete;

  const StftConfig& config() const noexcept;
  /// Consumers are called in the order added. They must outlive the Stft's use.
  void add_consumer(FrameConsumer& consumer);

  void push(std::span<const float> samples);
  /// Emits the remaining frames and calls finish() on every consumer. Call once.
  void finish();

  std::int64_t frames_emitted() const noexcept;
  std::int64_t samples_pushed() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace herscan
