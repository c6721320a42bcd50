// Writes the fuzzer's seed corpus: short, valid files of every container and codec libsndfile
// reads (a chord with a click, 0.3 s, mono and stereo), so that mutations start from real
// headers and frames. Usage: make_corpus DIR
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_corpus DIR\n");
    return 2;
  }
  const std::filesystem::path dir = argv[1];
  std::filesystem::create_directories(dir);
  struct Kind {
    const char* name;
    int format;
  };
  const Kind kinds[] = {
      {"pcm16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16},
      {"float.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT},
      {"pcm24.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24},
      {"pcm16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16},
      {"vorbis.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS},
      {"opus.opus", SF_FORMAT_OGG | SF_FORMAT_OPUS},
      {"mp3.mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III},
      {"double.caf", SF_FORMAT_CAF | SF_FORMAT_DOUBLE},
      {"ulaw.au", SF_FORMAT_AU | SF_FORMAT_ULAW},
      {"pcm16.w64", SF_FORMAT_W64 | SF_FORMAT_PCM_16},
      {"pcm16.rf64", SF_FORMAT_RF64 | SF_FORMAT_PCM_16},
  };
  int written = 0;
  for (const Kind& kind : kinds) {
    for (int channels : {1, 2}) {
      const int rate = (kind.format & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS ? 48000 : 22050;
      const int frames = rate * 3 / 10;
      std::vector<float> x(std::size_t(frames) * std::size_t(channels));
      for (int n = 0; n < frames; ++n)
        for (int c = 0; c < channels; ++c)
          x[std::size_t(n * channels + c)] =
              0.2f * float(std::sin(2 * M_PI * 261.63 * n / rate) +
                           std::sin(2 * M_PI * (329.63 + 60 * c) * n / rate)) +
              (n % (rate / 4) < 40 ? 0.4f : 0.0f);
      SF_INFO info{};
      info.samplerate = rate;
      info.channels = channels;
      info.format = kind.format;
      const auto path = dir / (std::to_string(channels) + "ch-" + kind.name);
      SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
      if (!f) {
        std::fprintf(stderr, "make_corpus: skipped %s (%s)\n", path.c_str(), sf_strerror(nullptr));
        continue;
      }
      sf_writef_float(f, x.data(), frames);
      sf_close(f);
      ++written;
    }
  }
  std::printf("make_corpus: %d seed files in %s\n", written, dir.c_str());
  return written > 0 ? 0 : 1;
}
