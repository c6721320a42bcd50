// The FFmpeg backend (src/ffmpeg_decoder.cpp): synthesised signals are written as WAV and encoded
// by the ffmpeg command-line tool (a test-only dependency, scripts/setup.sh installs it) into
// the formats a music library holds; what herscan decodes is compared with the source.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_helpers.h"
#include "herscan/audio_file.h"
#include "herscan/error.h"
#include "herscan/loudness.h"
#include "herscan/profile.h"
#include "test_signals.h"

namespace herscan {
namespace {

using json = nlohmann::json;
using namespace test::cli;
using test::TempDir;

constexpr int kRate = 44100;

#define REQUIRE_FFMPEG()                                                                      \
  do {                                                                                        \
    if (!HERSCAN_HAS_FFMPEG) GTEST_SKIP() << "built with -DHERSCAN_FFMPEG=OFF";               \
    if (!have_ffmpeg_tool()) GTEST_SKIP() << "no ffmpeg tool (scripts/setup.sh installs it)"; \
  } while (0)

// ffmpeg -i in ARGS out; fails the test when ffmpeg does.
void encode(const std::filesystem::path& in, const std::string& args,
            const std::filesystem::path& out) {
  const std::string command = "ffmpeg -nostdin -loglevel error -y -i " + quote(in.string()) + " " +
                              args + " " + quote(out.string());
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
}

// Every frame of a file, interleaved.
std::vector<float> decode_all(AudioFileReader& reader) {
  std::vector<float> all, block(4096 * std::size_t(reader.info().channels));
  while (const std::size_t n = reader.read(block.data(), 4096))
    all.insert(all.end(), block.begin(),
               block.begin() + std::ptrdiff_t(n) * reader.info().channels);
  return all;
}

// Stereo test audio: two sines and a little noise, so that a lossless codec has work to do.
std::vector<float> stereo_music(double seconds) {
  const auto n = std::size_t(seconds * kRate);
  auto left = test::sine(440, 0.4, kRate, n), right = test::sine(660, 0.3, kRate, n);
  const auto noise = test::white_noise(n, 0.02, 7);
  for (std::size_t i = 0; i < n; ++i) {
    left[i] += noise[i];
    right[i] -= noise[i];
  }
  return test::interleave({left, right});
}

Error error_of(const std::filesystem::path& path) {
  try {
    AudioFileReader reader(path);
    std::vector<float> block(4096 * std::size_t(reader.info().channels));
    while (reader.read(block.data(), 4096) > 0) {
    }
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << path << " is read without an error";
  return Error(ErrorCode::internal, "no error");
}

TEST(Ffmpeg, AlacInMp4DecodesBitExactly) {
  REQUIRE_FFMPEG();
  TempDir dir;
  for (const int bits : {16, 24}) {
    const auto wav = dir.path() / ("source" + std::to_string(bits) + ".wav");
    const auto m4a = dir.path() / ("alac" + std::to_string(bits) + ".m4a");
    test::write_audio(wav, stereo_music(3), 2, kRate,
                      SF_FORMAT_WAV | (bits == 16 ? SF_FORMAT_PCM_16 : SF_FORMAT_PCM_24));
    encode(wav, "-c:a alac", m4a);
    AudioFileReader source(wav), alac(m4a);
    EXPECT_EQ(source.info().decoder, Decoder::libsndfile);
    EXPECT_EQ(alac.info().decoder, Decoder::ffmpeg);
    EXPECT_EQ(alac.info().container, "MP4");
    EXPECT_EQ(alac.info().codec, "alac");
    EXPECT_EQ(alac.info().bit_depth, bits);
    EXPECT_EQ(alac.info().channels, 2);
    EXPECT_EQ(alac.info().sample_rate_hz, kRate);
    const auto expected = decode_all(source), decoded = decode_all(alac);
    ASSERT_EQ(decoded.size(), expected.size()) << bits << "-bit";
    EXPECT_TRUE(decoded == expected) << bits << "-bit ALAC differs from its source";
    EXPECT_TRUE(alac.warnings().empty());
  }
}

// Every sample format FFmpeg's decoders give, packed (PCM in Matroska) or planar (WavPack,
// TTA, ALAC above), becomes libsndfile's floats: 16-bit PCM stored at any width decodes to
// exactly the source's values; 8-bit to within its step.
TEST(Ffmpeg, EverySampleFormatConvertsAsLibsndfileDoes) {
  REQUIRE_FFMPEG();
  TempDir dir;
  const auto wav = dir.path() / "source.wav";
  test::write_audio(wav, stereo_music(1), 2, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  AudioFileReader source(wav);
  const auto expected = decode_all(source);
  for (const char* codec : {"pcm_s16le", "pcm_s16be", "pcm_s24le", "pcm_s32le", "pcm_f32le",
                            "pcm_f64le", "wavpack", "tta", "flac", "pcm_u8"}) {
    const auto path = dir.path() / (std::string(codec) + ".mka");
    encode(wav, std::string("-c:a ") + codec, path);
    AudioFileReader reader(path);
    EXPECT_EQ(reader.info().decoder, Decoder::ffmpeg) << codec;
    const auto decoded = decode_all(reader);
    ASSERT_EQ(decoded.size(), expected.size()) << codec;
    const double tolerance = std::string(codec) == "pcm_u8" ? 1.0 / 128 : 0.0;  // absolute
    double worst = 0;
    for (std::size_t i = 0; i < decoded.size(); ++i)
      worst = std::max(worst, double(std::abs(decoded[i] - expected[i])));
    EXPECT_LE(worst, tolerance) << codec;
  }
}

// The profile of the same piece from its WAV and through AAC: the encoder delay and padding
// are honoured (duration within one AAC frame, 1024 samples), loudness within 0.1 LU, the same
// tempo (MIREX Acc1, 4 %) and key.
TEST(Ffmpeg, AacInM4aKeepsDurationLoudnessTempoAndKey) {
  REQUIRE_FFMPEG();
  TempDir dir;
  const auto wav = dir.path() / "piece.wav", m4a = dir.path() / "piece.m4a";
  const auto mono = test::chord_piece(16, kRate, 120);
  test::write_audio(wav, test::interleave({mono, mono}), 2, kRate,
                    SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  encode(wav,
         "-c:a aac -b:a 192k -metadata title=Photograph -metadata artist=Arcade\\ Fire "
         "-metadata album=Her -metadata album_artist=Various -metadata track=3/12 "
         "-metadata disc=1/2 -metadata date=2013 -metadata genre=Soundtrack",
         m4a);
  ProfileOptions options;
  options.features = FeatureSet::all();
  const Profile clean = analyze_file(wav, options), aac = analyze_file(m4a, options);
  EXPECT_EQ(aac.format.decoder, Decoder::ffmpeg);
  EXPECT_EQ(aac.format.codec, "aac");
  EXPECT_EQ(aac.format.container, "MP4");
  EXPECT_FALSE(aac.format.bit_depth);
  EXPECT_LE(std::abs(aac.format.frames - clean.format.frames), 1024);
  ASSERT_TRUE(aac.loudness && clean.loudness);
  EXPECT_NEAR(aac.loudness->integrated_lufs, clean.loudness->integrated_lufs, 0.1);
  ASSERT_TRUE(aac.tempo && clean.tempo && aac.tempo->defined && clean.tempo->defined);
  EXPECT_NEAR(aac.tempo->bpm, clean.tempo->bpm, 0.04 * clean.tempo->bpm);
  EXPECT_NEAR(aac.tempo->bpm, 120, 2.0);
  ASSERT_TRUE(aac.tonal && clean.tonal);
  EXPECT_EQ(aac.tonal->key.tonic, clean.tonal->key.tonic);
  EXPECT_EQ(aac.tonal->key.minor, clean.tonal->key.minor);
  EXPECT_TRUE(aac.warnings.empty()) << aac.warnings.front().message;
  // The tags the encoder wrote.
  EXPECT_EQ(aac.tags.title, "Photograph");
  EXPECT_EQ(aac.tags.artist, "Arcade Fire");
  EXPECT_EQ(aac.tags.album, "Her");
  EXPECT_EQ(aac.tags.album_artist, "Various");
  EXPECT_EQ(aac.tags.track, 3);
  EXPECT_EQ(aac.tags.track_total, 12);
  EXPECT_EQ(aac.tags.disc, 1);
  EXPECT_EQ(aac.tags.disc_total, 2);
  EXPECT_EQ(aac.tags.date, "2013");
  EXPECT_EQ(aac.tags.genre, "Soundtrack");
}

// 5.1 AC-3: the layout is reported and BS.1770's weights are applied (LFE excluded, surrounds
// +1.5 dB): the loudness equals the meter's on the source samples with that layout.
TEST(Ffmpeg, SurroundAc3ReportsItsLayoutAndWeightsIt) {
  REQUIRE_FFMPEG();
  TempDir dir;
  const auto wav = dir.path() / "surround.wav", ac3 = dir.path() / "surround.ac3";
  const std::size_t n = 5 * 48000;
  std::vector<std::vector<float>> channels;
  const double amplitudes[6] = {0.3, 0.3, 0.2, 0.5, 0.25, 0.25};  // FL FR FC LFE SL SR
  for (int c = 0; c < 6; ++c)
    channels.push_back(test::sine(c == 3 ? 60 : 300 + 110 * c, amplitudes[c], 48000, n));
  const auto interleaved = test::interleave(channels);
  test::write_audio(wav, interleaved, 6, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_24);
  encode(wav, "-c:a ac3 -b:a 448k -channel_layout 5.1", ac3);
  const Profile p = analyze_file(ac3);
  EXPECT_EQ(p.format.decoder, Decoder::ffmpeg);
  EXPECT_EQ(p.format.container, "AC-3");
  EXPECT_EQ(p.format.codec, "ac3");
  ASSERT_EQ(p.format.channels, 6);
  using P = ChannelPosition;
  EXPECT_EQ(p.format.layout, (std::vector<P>{P::front_left, P::front_right, P::front_center, P::lfe,
                                             P::side_left, P::side_right}));
  LoudnessConfig config;
  config.sample_rate_hz = 48000;
  config.channels = 6;
  config.layout = p.format.layout;
  LoudnessMeter meter(config);
  meter.push(interleaved.data(), n);
  meter.finish();
  const double expected = meter.result().integrated_lufs;
  ASSERT_TRUE(p.loudness);
  EXPECT_NEAR(p.loudness->integrated_lufs, expected, 0.2);  // lossy at 448 kb/s
  // With the LFE counted as a full channel the loudness would be off by far more.
  config.layout = {P::front_left,   P::front_right, P::front_center,
                   P::front_center, P::side_left,   P::side_right};
  LoudnessMeter wrong(config);
  wrong.push(interleaved.data(), n);
  wrong.finish();
  EXPECT_GT(std::abs(wrong.result().integrated_lufs - expected), 1.0);
}

TEST(Ffmpeg, OpusInWebmAndTheSoundtrackOfAVideo) {
  REQUIRE_FFMPEG();
  TempDir dir;
  const auto wav = dir.path() / "source.wav";
  test::write_audio(wav, stereo_music(4), 2, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const Profile source = analyze_file(wav);

  const auto webm = dir.path() / "song.webm";
  encode(wav, "-c:a libopus -b:a 160k -metadata R128_TRACK_GAIN=-512", webm);
  const Profile opus = analyze_file(webm);
  EXPECT_EQ(opus.format.decoder, Decoder::ffmpeg);
  EXPECT_EQ(opus.format.container, "WebM");
  EXPECT_EQ(opus.format.codec, "opus");
  EXPECT_EQ(opus.format.sample_rate_hz, 48000);      // Opus decodes at 48 kHz
  EXPECT_NEAR(opus.format.duration_s(), 4.0, 0.02);  // pre-skip and end trim honoured
  EXPECT_NEAR(opus.loudness->integrated_lufs, source.loudness->integrated_lufs, 0.2);

  // A video (MPEG-4 Part 2 picture, AAC sound) whose soundtrack is the music.
  const auto mp4 = dir.path() / "concert.mp4";
  const std::string video =
      "ffmpeg -nostdin -loglevel error -y -f lavfi -i "
      "color=c=blue:s=64x48:r=10:d=4 -i " +
      quote(wav.string()) + " -c:v mpeg4 -c:a aac -b:a 192k -shortest " + quote(mp4.string());
  ASSERT_EQ(std::system(video.c_str()), 0);
  const Profile soundtrack = analyze_file(mp4);
  EXPECT_EQ(soundtrack.format.decoder, Decoder::ffmpeg);
  EXPECT_EQ(soundtrack.format.codec, "aac");
  EXPECT_NEAR(soundtrack.format.duration_s(), 4.0, 1024.0 / kRate);
  EXPECT_NEAR(soundtrack.loudness->integrated_lufs, source.loudness->integrated_lufs, 0.1);
}

// Tags from both backends: Vorbis comments of a FLAC (decoded by libsndfile), ID3v2 TXXX frames
// of an MP3, Opus tags with R128 gains, WavPack's APEv2; ReplayGain values parsed.
TEST(Ffmpeg, TagsAreReadFromEveryContainer) {
  REQUIRE_FFMPEG();
  TempDir dir;
  const auto wav = dir.path() / "source.wav";
  test::write_audio(wav, stereo_music(2), 2, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  const std::string tags =
      "-metadata title=Dimensions -metadata artist=Owen\\ Pallett -metadata track=7 "
      "-metadata REPLAYGAIN_TRACK_GAIN=-6.52\\ dB -metadata REPLAYGAIN_TRACK_PEAK=0.988547 "
      "-metadata REPLAYGAIN_ALBUM_GAIN=-7.01\\ dB -metadata REPLAYGAIN_ALBUM_PEAK=1.000000";
  struct Case {
    const char* name;
    const char* args;
    Decoder decoder;
  };
  for (const Case& c : {Case{"a.flac", "-c:a flac", Decoder::libsndfile},
                        Case{"a.mp3", "-c:a libmp3lame -b:a 128k", Decoder::libsndfile},
                        Case{"a.ogg", "-c:a libvorbis", Decoder::libsndfile},
                        Case{"a.wv", "-c:a wavpack", Decoder::ffmpeg},
                        // ffmpeg writes keys it has no iTunes atom for only when asked.
                        Case{"a.m4a", "-c:a aac -movflags use_metadata_tags", Decoder::ffmpeg}}) {
    const auto path = dir.path() / c.name;
    encode(wav, std::string(c.args) + " " + tags, path);
    AudioFileReader reader(path);
    const Tags& t = reader.tags();
    EXPECT_EQ(reader.info().decoder, c.decoder) << c.name;
    EXPECT_EQ(t.title, "Dimensions") << c.name;
    EXPECT_EQ(t.artist, "Owen Pallett") << c.name;
    EXPECT_EQ(t.track, 7) << c.name;
    EXPECT_EQ(t.replaygain_track_gain_db, -6.52) << c.name;
    EXPECT_EQ(t.replaygain_track_peak, 0.988547) << c.name;
    EXPECT_EQ(t.replaygain_album_gain_db, -7.01) << c.name;
    EXPECT_EQ(t.replaygain_album_peak, 1.0) << c.name;
  }
  // The command line's views: a `tags` line in text, a column per tag field in CSV.
  const auto text = herscan(
      dir, {(dir.path() / "a.flac").string(), "--features", "loudness", "--format", "text"});
  EXPECT_NE(text.out.find("tags      Owen Pallett – Dimensions"), std::string::npos) << text.out;
  const auto csv =
      herscan(dir, {(dir.path() / "a.m4a").string(), (dir.path() / "source.wav").string(),
                    "--features", "loudness", "--format", "csv"});
  std::istringstream lines(csv.out);
  std::string header, m4a_row, wav_row;
  std::getline(lines, header);
  std::getline(lines, m4a_row);
  std::getline(lines, wav_row);
  const auto columns = csv_fields(header), m4a_cells = csv_fields(m4a_row),
             wav_cells = csv_fields(wav_row);
  const auto column = std::find(columns.begin(), columns.end(), "tags.replaygain.track_gain_db");
  ASSERT_NE(column, columns.end()) << header;
  const auto at = std::size_t(column - columns.begin());
  ASSERT_EQ(m4a_cells.size(), columns.size());
  ASSERT_EQ(wav_cells.size(), columns.size());
  EXPECT_EQ(m4a_cells[at], "-6.52");
  EXPECT_EQ(wav_cells[at], "");  // untagged: an empty cell

  const auto opus = dir.path() / "a.opus";
  encode(wav, "-c:a libopus -metadata R128_TRACK_GAIN=-512 -metadata R128_ALBUM_GAIN=256", opus);
  AudioFileReader reader(opus);
  EXPECT_EQ(reader.tags().r128_track_gain_db, -2.0);
  EXPECT_EQ(reader.tags().r128_album_gain_db, 1.0);
}

// Damaged and unreadable files: each gets its own error code, or a profile with a warning where
// what decodes is music.
TEST(Ffmpeg, BadInputGetsItsOwnErrorCode) {
  REQUIRE_FFMPEG();
  TempDir dir;
  const auto wav = dir.path() / "source.wav";
  test::write_audio(wav, stereo_music(4), 2, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);

  // DRM: FairPlay's sample entry is 'drms' where a plain file has 'mp4a'.
  const auto m4a = dir.path() / "plain.m4a";
  encode(wav, "-c:a aac -movflags +faststart", m4a);
  std::string bytes = read_file(m4a);
  const auto entry = bytes.find("mp4a");
  ASSERT_NE(entry, std::string::npos);
  std::string drm = bytes;
  drm.replace(entry, 4, "drms");
  write_file(dir.path() / "fairplay.m4a", drm);
  EXPECT_EQ(error_of(dir.path() / "fairplay.m4a").code(), ErrorCode::encrypted);

  // A video without sound.
  const auto silent_video = dir.path() / "silent.mp4";
  ASSERT_EQ(std::system(("ffmpeg -nostdin -loglevel error -y -f lavfi -i "
                         "color=c=red:s=64x48:r=10:d=2 -c:v mpeg4 " +
                         quote(silent_video.string()))
                            .c_str()),
            0);
  const Error no_audio = error_of(silent_video);
  EXPECT_EQ(no_audio.code(), ErrorCode::no_audio_stream);
  EXPECT_NE(std::string(no_audio.what()).find("none of them audio"), std::string::npos);

  // An audio stream with no samples: the sample tables of the MP4 emptied (entry counts 0).
  std::string empty = bytes;
  for (const auto& [box, count_at] :
       {std::pair<const char*, std::size_t>{"stts", 8}, {"stsz", 12}, {"stsc", 8}, {"stco", 8}}) {
    const auto at = empty.find(box);
    ASSERT_NE(at, std::string::npos) << box;
    empty.replace(at + count_at, 4, std::string(4, '\0'));
  }
  write_file(dir.path() / "empty.m4a", empty);
  EXPECT_EQ(error_of(dir.path() / "empty.m4a").code(), ErrorCode::empty_stream);

  // Matroska with PCM: its header's rate, channel count and codec patched to absurd values.
  const auto mka = dir.path() / "pcm.mka";
  encode(wav, "-c:a pcm_s16le", mka);
  const std::string pcm = read_file(mka);
  std::string rate = pcm;  // SamplingFrequency (0xB5), an 8-byte float: 44100 → 5 Hz
  const auto rate_at = rate.find("\xB5\x88\x40\xE5\x88\x80", 0, 6);
  ASSERT_NE(rate_at, std::string::npos);
  rate.replace(rate_at + 2, 8, std::string("\x40\x14\x00\x00\x00\x00\x00\x00", 8));
  write_file(dir.path() / "rate.mka", rate);
  const Error bad_rate = error_of(dir.path() / "rate.mka");
  EXPECT_EQ(bad_rate.code(), ErrorCode::invalid_format) << bad_rate.what();
  std::string channels = pcm;  // Channels (0x9F), one byte: 2 → 100
  const auto channels_at = channels.find("\x9F\x81\x02", 0, 3);
  ASSERT_NE(channels_at, std::string::npos);
  channels[channels_at + 2] = char(100);
  write_file(dir.path() / "channels.mka", channels);
  EXPECT_EQ(error_of(dir.path() / "channels.mka").code(), ErrorCode::invalid_format);
  std::string codec = pcm;  // CodecID "A_PCM/INT/LIT" → a codec nobody has
  const auto codec_at = codec.find("A_PCM/INT/LIT");
  ASSERT_NE(codec_at, std::string::npos);
  codec.replace(codec_at, 13, "A_HERSCAN/XYZ");
  write_file(dir.path() / "codec.mka", codec);
  EXPECT_EQ(error_of(dir.path() / "codec.mka").code(), ErrorCode::unsupported_codec);

  // An M4A cut short: what decodes is profiled with a truncated warning; without its index
  // (the moov box at the end, cut off) there is nothing to read.
  write_file(dir.path() / "cut.m4a", bytes.substr(0, bytes.size() / 2));
  const Profile cut = analyze_file(dir.path() / "cut.m4a");
  EXPECT_TRUE(std::any_of(cut.warnings.begin(), cut.warnings.end(),
                          [](const Warning& w) { return w.code == WarningCode::truncated; }));
  EXPECT_LT(cut.format.duration_s(), 3.0);
  EXPECT_GT(cut.format.duration_s(), 1.0);
  const auto indexed_last = dir.path() / "moov-last.m4a";
  encode(wav, "-c:a aac", indexed_last);
  const std::string last = read_file(indexed_last);
  write_file(dir.path() / "no-index.m4a", last.substr(0, last.size() / 2));
  EXPECT_EQ(error_of(dir.path() / "no-index.m4a").code(), ErrorCode::not_audio);

  // Corrupt AAC frames: skipped with a warning, their time kept.
  std::string corrupt = bytes;
  std::mt19937 rng(3);
  const auto mdat = corrupt.find("mdat");
  ASSERT_NE(mdat, std::string::npos);
  for (std::size_t i = mdat + 20000; i < mdat + 24000; ++i) corrupt[i] = char(rng());
  write_file(dir.path() / "corrupt.m4a", corrupt);
  const Profile damaged = analyze_file(dir.path() / "corrupt.m4a");
  const Profile clean = analyze_file(m4a);
  EXPECT_EQ(damaged.format.frames, clean.format.frames);
  EXPECT_NEAR(damaged.loudness->integrated_lufs, clean.loudness->integrated_lufs, 0.5);

  // Bytes that no demuxer takes for audio, and text.
  write_file(dir.path() / "text.m4a", "this is a text file, not music\n");
  EXPECT_EQ(error_of(dir.path() / "text.m4a").code(), ErrorCode::not_audio);
  // Forcing libsndfile on an M4A refuses it.
  ReadOptions sndfile_only;
  sndfile_only.decoder = Decoder::libsndfile;
  EXPECT_THROW(AudioFileReader(m4a, sndfile_only), Error);
}

// A folder of mixed formats: the walker picks every extension up, each profile names its
// decoder, bad files get their error records and the rest of the batch goes on.
TEST(Ffmpeg, MixedFolderThroughTheCommandLine) {
  REQUIRE_FFMPEG();
  TempDir dir;
  const auto music = dir.path() / "Music";
  std::filesystem::create_directories(music / "album");
  const auto wav = dir.path() / "source.wav";
  test::write_audio(wav, stereo_music(2), 2, kRate, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
  encode(wav, "-c:a flac", music / "album" / "01.flac");
  encode(wav, "-c:a aac", music / "album" / "02.m4a");
  encode(wav, "-c:a alac", music / "album" / "03.m4a");
  encode(wav, "-c:a wmav2", music / "album" / "04.wma");
  encode(wav, "-c:a libvorbis", music / "album" / "05.mka");
  encode(wav, "-c:a tta", music / "album" / "06.tta");
  write_file(music / "album" / "07.m4a", "not an m4a at all");
  const auto out = dir.path() / "profiles.jsonl";
  const auto r = herscan(dir, {music.string(), "--features", "loudness", "-o", out.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;  // one file failed
  const auto records = json_lines(read_file(out));
  ASSERT_EQ(records.size(), 7u) << read_file(out);
  std::map<std::string, json> by_name;
  for (const auto& rec : records)
    by_name[std::filesystem::path(rec["file"].get<std::string>()).filename().string()] = rec;
  EXPECT_EQ(by_name["01.flac"]["format"]["decoder"], "libsndfile");
  for (const char* name : {"02.m4a", "03.m4a", "04.wma", "05.mka", "06.tta"}) {
    EXPECT_EQ(by_name[name]["format"]["decoder"], "ffmpeg") << name;
    EXPECT_NEAR(by_name[name]["loudness"]["integrated_lufs"].get<double>(),
                by_name["01.flac"]["loudness"]["integrated_lufs"].get<double>(), 0.2)
        << name;
  }
  EXPECT_EQ(by_name["07.m4a"]["error"]["code"], "not_audio");
  expect_valid_against_schema(out);
  // --exclude still applies.
  const auto r2 = herscan(dir, {music.string(), "--features", "loudness", "--exclude", "*.m4a"});
  EXPECT_EQ(json_lines(r2.out).size(), 4u);
}

}  // namespace
}  // namespace herscan
