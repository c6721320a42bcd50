#include "herscan/stft.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "herscan/error.h"
#include "herscan/fft.h"
#include "simd/kernels.h"

namespace herscan {

void StftConfig::validate() const {
  if (n_fft < 16 || n_fft > 65536 || n_fft % 2 != 0)
    throw Error(ErrorCode::invalid_argument,
                "StftConfig.n_fft must be even and in 16..65536, got " + std::to_string(n_fft));
  if (hop_frames < 1 || hop_frames > n_fft)
    throw Error(ErrorCode::invalid_argument, "StftConfig.hop_frames must be in 1..n_fft (" +
                                                 std::to_string(n_fft) + "), got " +
                                                 std::to_string(hop_frames));
  if (!(sample_rate_hz > 0) || !std::isfinite(sample_rate_hz))
    throw Error(ErrorCode::invalid_argument, "StftConfig.sample_rate_hz must be > 0");
}

std::vector<float> periodic_hann(std::size_t n) {
  std::vector<float> w(n);
  for (std::size_t t = 0; t < n; ++t)
    w[t] = float(0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * double(t) / double(n)));
  return w;
}

std::vector<double> fft_frequencies(double sample_rate_hz, std::size_t n_fft) {
  std::vector<double> f(n_fft / 2 + 1);
  // numpy.fft.rfftfreq: k / (n · d) with d = 1/sr
  for (std::size_t k = 0; k < f.size(); ++k) f[k] = double(k) * sample_rate_hz / double(n_fft);
  return f;
}

std::int64_t stft_frame_count(std::int64_t samples, std::size_t hop_frames) {
  return 1 + samples / std::int64_t(hop_frames);
}

struct Stft::Impl {
  StftConfig config;
  // Double precision, as numpy's rfft inside librosa.stft: the window (float64 in scipy) and the
  // transform; the spectrum is then stored in single precision, as librosa's complex64 matrix.
  RealFftDouble fft;
  std::vector<double> window;
  std::vector<std::complex<float>> spectrum;
  std::vector<FrameConsumer*> consumers;

  // The centre-padded signal, from padded index `base` on; frames start at buf[head].
  std::vector<float> buf;
  std::size_t head = 0;
  std::int64_t pushed = 0;
  std::int64_t emitted = 0;
  bool finished = false;

  std::vector<float> magnitude, power;

  explicit Impl(const StftConfig& c)
      : config(c),
        fft(c.n_fft),
        window(c.n_fft),
        spectrum(c.n_fft / 2 + 1),
        magnitude(c.n_fft / 2 + 1),
        power(c.n_fft / 2 + 1) {
    for (std::size_t t = 0; t < c.n_fft; ++t)
      window[t] = 0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * double(t) / double(c.n_fft));
    buf.assign(c.n_fft / 2, 0.0f);  // left centre padding
    buf.reserve(4 * c.n_fft);
  }

  void emit_frame() {
    const std::size_t n = config.n_fft;
    const float* src = buf.data() + head;  // the frame's samples, in place until the next push
    const auto& k = simd::kernels();
    k.window(src, window.data(), fft.input(), n);
    fft.execute();
    // The float spectrum, its power, and numpy's |complex64| (hypotf; in double, re² + im²
    // cannot overflow, so a plain square root gives the same float at a fraction of the cost).
    k.power_magnitude(reinterpret_cast<const double*>(fft.output()), n / 2 + 1,
                      reinterpret_cast<float*>(spectrum.data()), power.data(), magnitude.data());
    // Real signal occupies padded indices [n/2, n/2 + pushed); this frame starts at t·hop.
    const std::int64_t start = emitted * std::int64_t(config.hop_frames);
    const std::int64_t half = std::int64_t(n / 2);
    StftFrame f;
    f.index = emitted;
    f.samples = std::span<const float>(src, n);
    f.valid_begin = std::size_t(std::clamp<std::int64_t>(half - start, 0, std::int64_t(n)));
    f.valid_end = std::size_t(std::clamp<std::int64_t>(
        half + pushed - start, std::int64_t(f.valid_begin), std::int64_t(n)));
    f.spectrum = spectrum;
    f.magnitude = magnitude;
    f.power = power;
    for (FrameConsumer* c : consumers) c->consume(f);
    ++emitted;
    head += config.hop_frames;
  }

  void drain(std::int64_t max_frames) {
    while (emitted < max_frames && buf.size() - head >= config.n_fft) emit_frame();
    if (head >= 2 * config.n_fft) {  // keep the buffer small: drop consumed samples
      buf.erase(buf.begin(), buf.begin() + std::ptrdiff_t(head));
      head = 0;
    }
  }
};

Stft::Stft(const StftConfig& config) {
  config.validate();
  impl_ = std::make_unique<Impl>(config);
}

Stft::~Stft() = default;

const StftConfig& Stft::config() const noexcept {
  return impl_->config;
}
void Stft::add_consumer(FrameConsumer& consumer) {
  impl_->consumers.push_back(&consumer);
}
std::int64_t Stft::frames_emitted() const noexcept {
  return impl_->emitted;
}
std::int64_t Stft::samples_pushed() const noexcept {
  return impl_->pushed;
}

void Stft::push(std::span<const float> samples) {
  Impl& s = *impl_;
  if (s.finished) throw Error(ErrorCode::invalid_argument, "Stft::push after finish");
  // Append in slices so the buffer never grows beyond a few frames, whatever the block size.
  const std::size_t slice = 2 * s.config.n_fft;
  for (std::size_t off = 0; off < samples.size(); off += slice) {
    const std::size_t n = std::min(slice, samples.size() - off);
    s.buf.insert(s.buf.end(), samples.begin() + std::ptrdiff_t(off),
                 samples.begin() + std::ptrdiff_t(off + n));
    s.pushed += std::int64_t(n);
    s.drain(INT64_MAX);
  }
}

void Stft::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  s.buf.insert(s.buf.end(), s.config.n_fft / 2, 0.0f);  // right centre padding
  s.drain(stft_frame_count(s.pushed, s.config.hop_frames));
  for (FrameConsumer* c : s.consumers) c->finish();
}

}  // namespace herscan
