#include "herscan/resample.h"

#include <soxr.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "herscan/error.h"

namespace herscan {

void downmix_mean(const float* interleaved, std::size_t frames, int channels, float* mono) {
  if (channels == 1) {
    std::copy(interleaved, interleaved + frames, mono);
    return;
  }
  const float scale = 1.0f / float(channels);
  if (channels == 2) {  // the common case, with a constant stride the compiler vectorises
    for (std::size_t i = 0; i < frames; ++i) {
      float sum = 0;
      sum += interleaved[2 * i];
      sum += interleaved[2 * i + 1];
      mono[i] = sum * scale;
    }
    return;
  }
  for (std::size_t i = 0; i < frames; ++i) {
    const float* frame = interleaved + i * std::size_t(channels);
    float sum = 0;
    for (int c = 0; c < channels; ++c) sum += frame[c];
    mono[i] = sum * scale;
  }
}

namespace {

unsigned long soxr_recipe(ResampleQuality q) {
  switch (q) {
    case ResampleQuality::quick:
      return SOXR_QQ;
    case ResampleQuality::low:
      return SOXR_LQ;
    case ResampleQuality::medium:
      return SOXR_MQ;
    case ResampleQuality::high:
      return SOXR_HQ;
    case ResampleQuality::very_high:
      return SOXR_VHQ;
  }
  return SOXR_HQ;
}

const char* quality_name(ResampleQuality q) {
  switch (q) {
    case ResampleQuality::quick:
      return "QQ";
    case ResampleQuality::low:
      return "LQ";
    case ResampleQuality::medium:
      return "MQ";
    case ResampleQuality::high:
      return "HQ";
    case ResampleQuality::very_high:
      return "VHQ";
  }
  return "HQ";
}

}  // namespace

struct Resampler::Impl {
  ResamplerConfig config;
  Sink sink;
  soxr_t soxr = nullptr;  // null when the rates are equal (pass-through)
  std::vector<float> out;
  std::vector<float> pending;  // input waiting for a whole chunk
  std::size_t chunk = 0;       // input samples per soxr_process call
  std::int64_t consumed = 0;   // input samples pushed
  std::int64_t emitted = 0;    // output samples handed to the sink
  bool finished = false;

  ~Impl() {
    if (soxr) soxr_delete(soxr);
  }

  // One soxr_process call that consumes all of `n` input samples (idone = null, as python-soxr
  // calls it), then drains whatever output soxr holds beyond the buffer.
  void process(const float* in, std::size_t n) {
    std::size_t odone = 0;
    if (soxr_error_t err = soxr_process(soxr, in, n, nullptr, out.data(), out.size(), &odone))
      throw Error(ErrorCode::internal, std::string("soxr_process failed: ") + err);
    emit(out.data(), odone, INT64_MAX);
    while (odone == out.size()) {  // the buffer was full: more may be waiting
      if (soxr_error_t err = soxr_process(soxr, in, 0, nullptr, out.data(), out.size(), &odone))
        throw Error(ErrorCode::internal, std::string("soxr_process failed: ") + err);
      emit(out.data(), odone, INT64_MAX);
    }
  }

  // Hands output to the sink, never beyond `limit` samples in total.
  void emit(const float* data, std::size_t n, std::int64_t limit) {
    const std::int64_t room = std::max<std::int64_t>(0, limit - emitted);
    const std::size_t take = std::size_t(std::min<std::int64_t>(room, std::int64_t(n)));
    if (take == 0) return;
    sink(std::span<const float>(data, take));
    emitted += std::int64_t(take);
  }
};

Resampler::Resampler(const ResamplerConfig& config, Sink sink) : impl_(std::make_unique<Impl>()) {
  if (!(config.input_rate_hz > 0) || !std::isfinite(config.input_rate_hz))
    throw Error(ErrorCode::invalid_argument, "ResamplerConfig.input_rate_hz must be > 0");
  if (!(config.output_rate_hz > 0) || !std::isfinite(config.output_rate_hz))
    throw Error(ErrorCode::invalid_argument, "ResamplerConfig.output_rate_hz must be > 0");
  if (!sink) throw Error(ErrorCode::invalid_argument, "Resampler needs a sink");
  impl_->config = config;
  impl_->sink = std::move(sink);
  if (config.input_rate_hz != config.output_rate_hz) {
    soxr_error_t err = nullptr;
    const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    const soxr_quality_spec_t quality = soxr_quality_spec(soxr_recipe(config.quality), 0);
    const soxr_runtime_spec_t runtime = soxr_runtime_spec(1);  // herscan owns the threads
    impl_->soxr =
        soxr_create(config.input_rate_hz, config.output_rate_hz, 1, &err, &io, &quality, &runtime);
    if (err || !impl_->soxr)
      throw Error(ErrorCode::internal, std::string("soxr_create failed: ") + (err ? err : "?"));
    // python-soxr (librosa's resampler) feeds ⌊48000 · in / out⌋ input samples per call.
    impl_->chunk = std::max<std::size_t>(
        1, std::size_t(48000.0 * config.input_rate_hz / config.output_rate_hz));
    impl_->pending.reserve(impl_->chunk);
    impl_->out.resize(
        std::size_t(2.0 * double(impl_->chunk) * config.output_rate_hz / config.input_rate_hz) +
        4096);
  }
}

Resampler::~Resampler() = default;

std::int64_t Resampler::output_length(std::int64_t input_frames) const {
  const auto& c = impl_->config;
  if (c.input_rate_hz == c.output_rate_hz) return input_frames;
  // ceil(n · out / in), as librosa.resample sizes its output; long double keeps it exact for
  // any realistic length (n < 2^53) with integral rates.
  const long double exact =
      (long double)input_frames * (long double)c.output_rate_hz / (long double)c.input_rate_hz;
  return std::int64_t(std::ceil(exact - 1e-9L));
}

std::string Resampler::description() const {
  if (!impl_->soxr) return "none (rates equal)";
  // soxr_version() reads "libsoxr-0.1.3".
  std::string version = soxr_version();
  if (version.starts_with("lib")) version.erase(0, 3);
  std::replace(version.begin(), version.end(), '-', ' ');
  return version + " " + quality_name(impl_->config.quality);
}

void Resampler::push(std::span<const float> input) {
  Impl& s = *impl_;
  if (s.finished) throw Error(ErrorCode::invalid_argument, "Resampler::push after finish");
  s.consumed += std::int64_t(input.size());
  if (!s.soxr) {
    if (!input.empty()) s.sink(input);
    s.emitted += std::int64_t(input.size());
    return;
  }
  // Re-chunk: soxr's float rounding depends on how its input is split, so it always gets the
  // same chunks whatever the caller's block size.
  std::size_t used = 0;
  while (used < input.size()) {
    if (s.pending.empty() && input.size() - used >= s.chunk) {  // a whole chunk: no copy
      s.process(input.data() + used, s.chunk);
      used += s.chunk;
      continue;
    }
    const std::size_t take = std::min(s.chunk - s.pending.size(), input.size() - used);
    s.pending.insert(s.pending.end(), input.begin() + std::ptrdiff_t(used),
                     input.begin() + std::ptrdiff_t(used + take));
    used += take;
    if (s.pending.size() == s.chunk) {
      s.process(s.pending.data(), s.pending.size());
      s.pending.clear();
    }
  }
}

void Resampler::finish() {
  Impl& s = *impl_;
  if (s.finished) return;
  s.finished = true;
  const std::int64_t target = output_length(s.consumed);
  if (s.soxr) {
    if (!s.pending.empty()) s.process(s.pending.data(), s.pending.size());
    s.pending.clear();
    for (;;) {  // drain the filter tail: a null input tells soxr the stream has ended
      std::size_t odone = 0;
      if (soxr_error_t err =
              soxr_process(s.soxr, nullptr, 0, nullptr, s.out.data(), s.out.size(), &odone))
        throw Error(ErrorCode::internal, std::string("soxr_process failed: ") + err);
      if (odone == 0) break;
      s.emit(s.out.data(), odone, target);
    }
  }
  // Pad with zeros to the exact length (librosa's fix_length); emit() already trimmed.
  if (s.emitted < target) {
    std::fill(s.out.begin(), s.out.end(), 0.0f);
    while (s.emitted < target) s.emit(s.out.data(), s.out.size(), target);
  }
}

}  // namespace herscan
