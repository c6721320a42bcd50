#include "herscan/beat_net.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "herscan/error.h"

namespace herscan {
namespace {

#include "beat_net.inc"

void require(bool ok, const std::string& what) {
  if (!ok) throw Error(ErrorCode::invalid_argument, "beat network: " + what);
}

float elu(float v) {
  return v > 0 ? v : std::expm1(v);
}

}  // namespace

void BeatNet::validate() const {
  const std::size_t c = channels;
  require(c > 0, "no channels");
  require(in_w.size() == c * kBeatFeatures && in_b.size() == c, "input layer shape");
  require(out_w.size() == c, "output layer shape");
  for (const Block& b : blocks) {
    require(b.dilation >= 1 && b.dilation < (1u << 20), "dilation");
    require(b.conv_w.size() == c * c * 3 && b.conv_b.size() == c && b.mix_w.size() == c * c &&
                b.mix_b.size() == c,
            "block shape");
  }
}

const BeatNet& default_beat_net() {
  static const BeatNet net = [] {
    BeatNet n = shipped_beat_net();
    n.validate();
    return n;
  }();
  return net;
}

BeatNet read_beat_net(const std::string& path) {
  std::ifstream in(path);
  require(bool(in), "cannot open " + path);
  std::string magic;
  int version = 0;
  std::size_t blocks = 0;
  BeatNet n;
  in >> magic >> version >> n.channels >> blocks;
  require(in && magic == "herscan-beat-net" && version == 1 && n.channels > 0 &&
              n.channels <= 256 && blocks <= 24,
          path + ": not a herscan-beat-net 1 file");
  auto read = [&](std::vector<float>& v, std::size_t count) {
    v.resize(count);
    for (float& x : v) in >> x;
    require(bool(in), path + ": too few values");
  };
  const std::size_t c = n.channels;
  read(n.in_w, c * kBeatFeatures);
  read(n.in_b, c);
  n.blocks.resize(blocks);
  for (BeatNet::Block& b : n.blocks) {
    in >> b.dilation;
    read(b.conv_w, c * c * 3);
    read(b.conv_b, c);
    read(b.mix_w, c * c);
    read(b.mix_b, c);
  }
  read(n.out_w, c);
  in >> n.out_b;
  require(bool(in), path + ": too few values");
  n.validate();
  return n;
}

namespace {

// The activation of `features` (frames × kBeatFeatures) into `out` (frames values), the
// convolutions reading zeros beyond the ends (beat_activation keeps those out of reach).
void activation_of(std::span<const float> features, const BeatNet& net, std::span<float> out) {
  const std::size_t frames = out.size(), c = net.channels;
  // Channel-major state: h[i * frames + t].
  std::vector<float> h(c * frames), u(c * frames), x(kBeatFeatures);
  for (std::size_t t = 0; t < frames; ++t) {
    for (std::size_t f = 0; f < kBeatFeatures; ++f) {
      const float v = features[t * kBeatFeatures + f];
      x[f] = f < kBeatBands ? std::log1p(std::max(0.0f, v)) : v;
    }
    for (std::size_t o = 0; o < c; ++o) {
      float sum = net.in_b[o];
      for (std::size_t f = 0; f < kBeatFeatures; ++f) sum += net.in_w[o * kBeatFeatures + f] * x[f];
      h[o * frames + t] = sum;
    }
  }
  for (const BeatNet::Block& b : net.blocks) {
    const std::size_t d = b.dilation;
    for (std::size_t o = 0; o < c; ++o) {
      float* y = &u[o * frames];
      std::fill(y, y + frames, b.conv_b[o]);
      for (std::size_t i = 0; i < c; ++i) {
        const float* in = &h[i * frames];
        const float w0 = b.conv_w[(o * c + i) * 3], w1 = b.conv_w[(o * c + i) * 3 + 1],
                    w2 = b.conv_w[(o * c + i) * 3 + 2];
        for (std::size_t t = 0; t < frames; ++t) y[t] += w1 * in[t];
        for (std::size_t t = d; t < frames; ++t) y[t] += w0 * in[t - d];
        for (std::size_t t = 0; t + d < frames; ++t) y[t] += w2 * in[t + d];
      }
      for (std::size_t t = 0; t < frames; ++t) y[t] = elu(y[t]);
    }
    for (std::size_t o = 0; o < c; ++o) {
      float* y = &h[o * frames];
      for (std::size_t t = 0; t < frames; ++t) y[t] += b.mix_b[o];
      for (std::size_t i = 0; i < c; ++i) {
        const float w = b.mix_w[o * c + i];
        const float* in = &u[i * frames];
        for (std::size_t t = 0; t < frames; ++t) y[t] += w * in[t];
      }
    }
  }
  for (std::size_t t = 0; t < frames; ++t) {
    float z = net.out_b;
    for (std::size_t i = 0; i < c; ++i) z += net.out_w[i] * h[i * frames + t];
    out[t] = 1.0f / (1.0f + std::exp(-z));
  }
}

}  // namespace

std::vector<float> beat_activation(std::span<const float> features, const BeatNet& net) {
  net.validate();
  require(features.size() % kBeatFeatures == 0, "features are not rows of kBeatFeatures");
  const std::size_t frames = features.size() / kBeatFeatures;
  // In chunks with the receptive field's reach of context on each side (the sum of the
  // dilations), silent frames beyond the ends: each chunk's own frames see exactly what they would
  // over the whole sequence in silence, and the state stays 2 × channels × (chunk + 2 reach)
  // floats however long the file.
  constexpr std::size_t kChunk = 8192;
  std::size_t reach = 0;
  for (const BeatNet::Block& b : net.blocks) reach += b.dilation;
  std::vector<float> a(frames), part, window;
  for (std::size_t start = 0; start < frames; start += kChunk) {
    const std::size_t end = std::min(frames, start + kChunk), width = end - start + 2 * reach;
    window.resize(width * kBeatFeatures);
    for (std::size_t w = 0; w < width; ++w) {
      const std::ptrdiff_t t = std::ptrdiff_t(start + w) - std::ptrdiff_t(reach);
      float* row = &window[w * kBeatFeatures];
      if (t >= 0 && t < std::ptrdiff_t(frames)) {
        std::copy_n(&features[std::size_t(t) * kBeatFeatures], kBeatFeatures, row);
      } else {
        std::fill(row, row + kBeatBands, 0.0f);                   // no flux
        std::fill(row + kBeatBands, row + kBeatFeatures, -1.0f);  // the floor level
      }
    }
    part.assign(width, 0.0f);
    activation_of(window, net, part);
    std::copy_n(part.begin() + std::ptrdiff_t(reach), end - start,
                a.begin() + std::ptrdiff_t(start));
  }
  return a;
}

}  // namespace herscan
