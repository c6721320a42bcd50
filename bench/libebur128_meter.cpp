// A plain libebur128 meter for timing comparisons with herscan-loudness (bench/, not CI):
// decodes with libsndfile in 64 Ki-frame blocks and measures I, LRA, sample and true peak the
// way a typical libebur128 client does (one add_frames call per block, no per-10 ms queries).
// usage: libebur128_meter FILE...
#include <ebur128.h>
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <vector>

int main(int argc, char** argv) {
  for (int a = 1; a < argc; ++a) {
    SF_INFO info{};
    SNDFILE* f = sf_open(argv[a], SFM_READ, &info);
    if (!f) {
      std::fprintf(stderr, "%s: %s\n", argv[a], sf_strerror(nullptr));
      return 1;
    }
    ebur128_state* st = ebur128_init(
        unsigned(info.channels), unsigned(info.samplerate),
        EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_SAMPLE_PEAK | EBUR128_MODE_TRUE_PEAK);
    const sf_count_t block = 65536;
    std::vector<float> buf(std::size_t(block) * std::size_t(info.channels));
    for (sf_count_t n; (n = sf_readf_float(f, buf.data(), block)) > 0;)
      ebur128_add_frames_float(st, buf.data(), std::size_t(n));
    double integrated, range, tp = 0, sp = 0;
    ebur128_loudness_global(st, &integrated);
    ebur128_loudness_range(st, &range);
    for (unsigned c = 0; c < unsigned(info.channels); ++c) {
      double v;
      ebur128_true_peak(st, c, &v);
      tp = std::fmax(tp, v);
      ebur128_sample_peak(st, c, &v);
      sp = std::fmax(sp, v);
    }
    std::printf("I %.2f LUFS  LRA %.2f LU  sample peak %.2f dBFS  true peak %.2f dBTP  %s\n",
                integrated, range, 20 * std::log10(sp), 20 * std::log10(tp), argv[a]);
    ebur128_destroy(&st);
    sf_close(f);
  }
  return 0;
}
