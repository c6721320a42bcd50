#include "herscan/audio_file.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <fstream>
#include <thread>
#include <vector>

#include "herscan/error.h"
#include "herscan/fft.h"
#include "herscan/json.h"
#include "herscan/profile.h"
#include "test_signals.h"

namespace herscan {
namespace {

using test::TempDir;

std::vector<float> read_all(AudioFileReader& reader, std::size_t block = 1000) {
  std::vector<float> all, buf(block * std::size_t(reader.info().channels));
  while (std::size_t got = reader.read(buf.data(), block))
    all.insert(all.end(), buf.begin(),
               buf.begin() + std::ptrdiff_t(got * std::size_t(reader.info().channels)));
  return all;
}

// Stereo test signal: a 440 Hz sine on the left, 1 kHz on the right, both at 0.5.
std::vector<float> stereo_tones(int rate, std::size_t frames) {
  return test::interleave(
      {test::sine(440, 0.5, rate, frames), test::sine(1000, 0.5, rate, frames)});
}

struct LosslessCase {
  const char* name;
  int format;
  const char* container;
  const char* codec;
  int bits;
  double tolerance;  // absolute, per sample
};

class LosslessRoundTrip : public ::testing::TestWithParam<LosslessCase> {};

TEST_P(LosslessRoundTrip, ReadsBackWhatWasWritten) {
  const LosslessCase& c = GetParam();
  TempDir dir;
  const auto path = dir / (std::string("tones.") + c.name);
  const int rate = 44100;
  const std::size_t frames = 10000;
  const auto written = stereo_tones(rate, frames);
  test::write_audio(path, written, 2, rate, c.format);

  AudioFileReader reader(path);
  const AudioInfo& info = reader.info();
  EXPECT_EQ(info.container, c.container);
  EXPECT_EQ(info.codec, c.codec);
  EXPECT_EQ(info.sample_rate_hz, rate);
  EXPECT_EQ(info.channels, 2);
  EXPECT_EQ(info.frames, std::int64_t(frames));
  ASSERT_TRUE(info.bit_depth.has_value());
  EXPECT_EQ(*info.bit_depth, c.bits);
  EXPECT_NEAR(info.duration_s(), double(frames) / rate, 1e-12);

  const auto read = read_all(reader, 777);  // a block size that does not divide the length
  ASSERT_EQ(read.size(), written.size());
  EXPECT_EQ(reader.frames_read(), std::int64_t(frames));
  double worst = 0;
  for (std::size_t i = 0; i < read.size(); ++i)
    worst = std::max(worst, double(std::abs(read[i] - written[i])));
  EXPECT_LE(worst, c.tolerance) << "largest absolute difference";
}

// Integer formats: libsndfile scales by 2^(bits-1) on read and by 2^(bits-1)−1 on write, so a
// round trip of |x| ≤ 0.5 is off by at most x/2^(bits−1) + half an LSB: two LSBs bound it.
INSTANTIATE_TEST_SUITE_P(
    Formats, LosslessRoundTrip,
    ::testing::Values(
        LosslessCase{"wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, "WAV", "pcm_s16", 16, 2.0 / 32768},
        LosslessCase{"24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, "WAV", "pcm_s24", 24,
                     2.0 / 8388608},
        LosslessCase{"f32.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, "WAV", "pcm_f32", 32, 0.0},
        LosslessCase{"aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, "AIFF", "pcm_s16", 16, 2.0 / 32768},
        LosslessCase{"flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, "FLAC", "flac", 16, 2.0 / 32768},
        LosslessCase{"24.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, "FLAC", "flac", 24,
                     2.0 / 8388608}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& ch : name)
        if (ch == '.') ch = '_';
      return name;
    });

// Frequency of the strongest DFT bin of `x`, in Hz.
double dominant_frequency(const std::vector<float>& x, double rate) {
  const std::size_t n = 8192;
  RealFft fft(n);
  for (std::size_t i = 0; i < n; ++i) fft.input()[i] = x[x.size() / 2 - n / 2 + i];
  fft.execute();
  std::size_t best = 1;
  for (std::size_t k = 1; k < fft.bins(); ++k)
    if (std::abs(fft.output()[k]) > std::abs(fft.output()[best])) best = k;
  return double(best) * rate / double(n);
}

struct LossyCase {
  const char* name;
  int format;
  int rate;
  const char* container;
  const char* codec;
  std::int64_t max_length_error;  // frames; lossy decoders may keep encoder padding
};

class LossyRoundTrip : public ::testing::TestWithParam<LossyCase> {};

// Lossy codecs: the same tone comes back at the same level (±1 dB) and frequency (±1 bin).
TEST_P(LossyRoundTrip, KeepsLevelAndFrequency) {
  const LossyCase& c = GetParam();
  TempDir dir;
  const auto path = dir / (std::string("tone.") + c.name);
  const std::size_t frames = std::size_t(c.rate) * 2;
  const auto mono = test::sine(1000, 0.5, c.rate, frames);
  test::write_audio(path, test::interleave({mono, mono}), 2, c.rate, c.format);

  AudioFileReader reader(path);
  EXPECT_EQ(reader.info().container, c.container);
  EXPECT_EQ(reader.info().codec, c.codec);
  EXPECT_EQ(reader.info().sample_rate_hz, c.rate);
  EXPECT_EQ(reader.info().channels, 2);
  EXPECT_FALSE(reader.info().bit_depth.has_value());
  const auto read = read_all(reader, 4096);
  const std::int64_t got_frames = std::int64_t(read.size() / 2);
  EXPECT_NEAR(double(got_frames), double(frames), double(c.max_length_error));

  std::vector<float> left(static_cast<std::size_t>(got_frames));
  for (std::size_t i = 0; i < left.size(); ++i) left[i] = read[2 * i];
  double energy = 0;
  for (std::size_t i = left.size() / 4; i < 3 * left.size() / 4; ++i)
    energy += double(left[i]) * left[i];
  const double rms = std::sqrt(energy / double(left.size() / 2));
  EXPECT_NEAR(20 * std::log10(rms / (0.5 / std::sqrt(2.0))), 0.0, 1.0) << "level in dB";
  EXPECT_NEAR(dominant_frequency(left, c.rate), 1000.0, double(c.rate) / 8192) << "one bin";
}

INSTANTIATE_TEST_SUITE_P(
    Formats, LossyRoundTrip,
    ::testing::Values(LossyCase{"ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, "Ogg", "vorbis", 0},
                      LossyCase{"opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, 48000, "Ogg", "opus", 0},
                      LossyCase{"mp3", SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 44100, "MPEG",
                                "mp3", 2304}),
    [](const auto& info) { return std::string(info.param.name); });

ErrorCode open_error(const std::filesystem::path& path) {
  try {
    AudioFileReader reader(path);
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos)
        << "message names the path: " << e.what();
    return e.code();
  }
  ADD_FAILURE() << "no error for " << path;
  return ErrorCode::internal;
}

TEST(AudioFileReaderErrors, NameThePathAndTheProblem) {
  TempDir dir;
  EXPECT_EQ(open_error(dir / "missing.flac"), ErrorCode::not_found);
  EXPECT_EQ(open_error(dir.path()), ErrorCode::not_a_file);
  std::ofstream(dir / "empty.wav").close();
  EXPECT_EQ(open_error(dir / "empty.wav"), ErrorCode::empty_file);
  std::ofstream(dir / "text.flac") << "this is not audio, just text with an audio extension\n";
  EXPECT_EQ(open_error(dir / "text.flac"), ErrorCode::not_audio);
}

TEST(AudioFileReaderErrors, NotAudioMessageCarriesLibsndfileReason) {
  TempDir dir;
  std::ofstream(dir / "text.wav") << "RIFF but not really\n";
  try {
    AudioFileReader reader(dir / "text.wav");
    FAIL() << "opened a text file";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("libsndfile:"), std::string::npos) << e.what();
  }
}

// libsndfile closes the descriptor of a file it refuses; closing it once more ourselves used to
// close, at random, a file another thread had just opened under the same number (a batch run
// then reported a good file as not audio). Threads refusing files and threads reading good ones
// at once must not disturb each other.
TEST(AudioFileReaderErrors, RefusedFilesDoNotDisturbFilesOpenInOtherThreads) {
  // (and keep their own reason: libsndfile's is a global that every open resets)
  TempDir dir;
  std::ofstream(dir / "bad.wav") << "RIFF but not really\n";
  const auto tone = test::sine(440, 0.5, 22050, 2205);
  test::write_audio(dir / "good.wav", tone, 1, 22050, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  // The refusal alone, for its message: libsndfile's reason, which must name this file's
  // problem however many other files open meanwhile.
  std::string refusal;
  try {
    AudioFileReader reader(dir / "bad.wav");
  } catch (const Error& e) {
    refusal = e.what();
  }
  ASSERT_NE(refusal.find("libsndfile: "), std::string::npos) << refusal;
  ASSERT_EQ(refusal.find("No Error"), std::string::npos) << refusal;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 300; ++i) {
        try {
          if (t % 2 == 0) {
            AudioFileReader reader(dir / "bad.wav");
            ++wrong;  // a refused file must stay refused
          } else {
            AudioFileReader reader(dir / "good.wav");
            if (read_all(reader).size() != tone.size()) ++wrong;
          }
        } catch (const Error& e) {
          if (t % 2 == 1 || e.code() != ErrorCode::not_audio || e.what() != refusal) ++wrong;
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

// A file in memory (libsndfile's virtual I/O, the fuzzer's way in) reads exactly as from disk,
// and analyze() on it gives analyze_file()'s profile.
TEST(AudioFileReader, ReadsAFileHeldInMemoryAsFromDisk) {
  TempDir dir;
  const auto path = dir / "tones.flac";
  test::write_audio(path, stereo_tones(44100, 44100 * 3), 2, 44100,
                    SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  std::ifstream in(path, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(text.data()),
                                         text.size());
  AudioFileReader disk(path), memory(bytes, path);
  EXPECT_EQ(memory.info().container, "FLAC");
  EXPECT_EQ(memory.info().frames, disk.info().frames);
  EXPECT_EQ(read_all(memory, 777), read_all(disk, 1000));

  AudioFileReader again(bytes, path);
  auto from_memory = to_json(analyze(again));
  auto from_disk = to_json(analyze_file(path));
  from_memory["analysis"].erase("elapsed_s");
  from_disk["analysis"].erase("elapsed_s");
  EXPECT_EQ(from_memory, from_disk);

  const auto error_of = [](std::span<const std::byte> b) {
    try {
      AudioFileReader r(b, "in-memory");
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("in-memory"), std::string::npos) << e.what();
      return e.code();
    }
    return ErrorCode::internal;
  };
  EXPECT_EQ(error_of({}), ErrorCode::empty_file);
  EXPECT_EQ(error_of(bytes.first(20)), ErrorCode::not_audio);  // STREAMINFO cut short
}

// A FLAC cut in half: what decodes is read, with a `truncated` warning once the stream ends;
// in strict mode the cut is an error naming the file.
TEST(AudioFileReaderErrors, TruncatedFlacIsAWarningOrAStrictError) {
  TempDir dir;
  const auto path = dir / "long.flac";
  const auto noise = test::white_noise(44100 * 2, 0.2, 7);  // noise: FLAC cannot shrink it much
  test::write_audio(path, noise, 1, 44100, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
  {
    AudioFileReader reader(path);
    read_all(reader);
    ASSERT_EQ(reader.warnings().size(), 1u);
    EXPECT_EQ(reader.warnings()[0].code, WarningCode::truncated);
    EXPECT_NE(reader.warnings()[0].message.find("of the 88200 the header declares"),
              std::string::npos)
        << reader.warnings()[0].message;
    EXPECT_GT(reader.frames_read(), 30000);
    EXPECT_LT(reader.frames_read(), 88200 / 2 + 1);
    float more[64];
    EXPECT_EQ(reader.read(more, 16), 0u) << "the stream stays ended";
  }
  try {
    AudioFileReader reader(path, ReadOptions{.strict = true});
    read_all(reader);
    FAIL() << "a FLAC cut in half read without error in strict mode";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::truncated) << e.what();
    EXPECT_NE(std::string(e.what()).find(path.string()), std::string::npos);
  }
}

TEST(AudioFileReader, ReportsTheChannelLayoutWhenTheFileHasOne) {
  TempDir dir;
  const auto path = dir / "layout.wav";
  SF_INFO info{};
  info.samplerate = 48000;
  info.channels = 6;
  info.format = SF_FORMAT_WAVEX | SF_FORMAT_PCM_16;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr);
  int map[6] = {SF_CHANNEL_MAP_FRONT_LEFT, SF_CHANNEL_MAP_FRONT_RIGHT, SF_CHANNEL_MAP_FRONT_CENTER,
                SF_CHANNEL_MAP_LFE,        SF_CHANNEL_MAP_REAR_LEFT,   SF_CHANNEL_MAP_REAR_RIGHT};
  // libsndfile 1.2.0 returns 0 here although it stores the map; the read-back below is the test.
  sf_command(f, SFC_SET_CHANNEL_MAP_INFO, map, sizeof map);
  std::vector<float> frames(6 * 1000, 0.1f);
  sf_writef_float(f, frames.data(), 1000);
  sf_close(f);

  AudioFileReader reader(path);
  const std::vector<ChannelPosition> expected = {
      ChannelPosition::front_left, ChannelPosition::front_right, ChannelPosition::front_center,
      ChannelPosition::lfe,        ChannelPosition::back_left,   ChannelPosition::back_right};
  EXPECT_EQ(reader.info().layout, expected);
}

}  // namespace
}  // namespace herscan
