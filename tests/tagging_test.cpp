// herscan-loudness --tag (apps/loudness/): synthesised tracks encoded to FLAC, Ogg Vorbis, Opus
// and MP3 with libsndfile (M4A and WavPack with the ffmpeg tool), given other tags and an
// embedded picture with TagLib, then tagged by the tool. The values are checked against the
// tool's own measurement, read back through FFmpeg's tag readers (the herscan reader's Tags), not
// through the code that wrote them; pictures and other tags through TagLib; the audio decoded
// before and after. The fault cases check that the original stays byte-identical.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <taglib/aifffile.h>
#include <taglib/apefile.h>
#include <taglib/apetag.h>
#include <taglib/attachedpictureframe.h>
#include <taglib/flacfile.h>
#include <taglib/id3v1tag.h>
#include <taglib/id3v2header.h>
#include <taglib/id3v2tag.h>
#include <taglib/mp4file.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/wavpackfile.h>

#include "cli_helpers.h"
#include "herscan/audio_file.h"
#include "loudness/replaygain_tags.h"

namespace herscan {
namespace {

namespace fs = std::filesystem;
using test::TempDir;
using namespace test::cli;

// A WAV or AIFF file opened with TagLib, and its ID3v2 tag (created when `create`, else null
// when it has none).
struct RiffId3 {
  std::unique_ptr<TagLib::File> file;
  TagLib::ID3v2::Tag* tag = nullptr;
};
RiffId3 riff_id3(const fs::path& path, bool create) {
  RiffId3 r;
  if (path.extension() == ".wav") {
    auto* w = new TagLib::RIFF::WAV::File(path.c_str());
    r.file.reset(w);
    r.tag = create || w->hasID3v2Tag() ? w->ID3v2Tag() : nullptr;
  } else {
    auto* a = new TagLib::RIFF::AIFF::File(path.c_str());
    r.file.reset(a);
    r.tag = create || a->hasID3v2Tag() ? a->tag() : nullptr;
  }
  return r;
}

// A picture's bytes: a PNG signature, then bytes no encoder would invent.
TagLib::ByteVector picture() {
  std::string bytes = "\x89PNG\r\n\x1a\n";
  for (int i = 0; i < 3000; ++i) bytes += char((i * 7919) % 251);
  return TagLib::ByteVector(bytes.data(), unsigned(bytes.size()));
}

TagLib::FLAC::Picture* flac_picture() {
  auto* p = new TagLib::FLAC::Picture;
  p->setData(picture());
  p->setMimeType("image/png");
  p->setType(TagLib::FLAC::Picture::FrontCover);
  return p;
}

// Title, artist, a comment and the picture, in the file's own tag format.
void decorate(const fs::path& path) {
  const std::string ext = path.extension().string();
  auto common = [](TagLib::Tag* t) {
    t->setTitle("Photograph");
    t->setArtist("Arcade Fire & Owen Pallett");
    t->setComment("a test <comment>");
  };
  if (ext == ".flac") {
    TagLib::FLAC::File f(path.c_str());
    common(f.xiphComment(true));
    f.addPicture(flac_picture());
    ASSERT_TRUE(f.save());
  } else if (ext == ".ogg") {
    TagLib::Ogg::Vorbis::File f(path.c_str());
    common(f.tag());
    f.tag()->addPicture(flac_picture());
    ASSERT_TRUE(f.save());
  } else if (ext == ".opus") {
    TagLib::Ogg::Opus::File f(path.c_str());
    common(f.tag());
    f.tag()->addPicture(flac_picture());
    ASSERT_TRUE(f.save());
  } else if (ext == ".mp3") {
    TagLib::MPEG::File f(path.c_str());
    common(f.ID3v2Tag(true));
    auto* apic = new TagLib::ID3v2::AttachedPictureFrame;
    apic->setMimeType("image/png");
    apic->setPicture(picture());
    f.ID3v2Tag()->addFrame(apic);
    ASSERT_TRUE(f.save(TagLib::MPEG::File::ID3v2));
  } else if (ext == ".wav" || ext == ".aiff") {
    auto [file, tag] = riff_id3(path, true);
    common(tag);
    auto* apic = new TagLib::ID3v2::AttachedPictureFrame;
    apic->setMimeType("image/png");
    apic->setPicture(picture());
    tag->addFrame(apic);
    ASSERT_TRUE(file->save());
  } else if (ext == ".m4a") {
    TagLib::MP4::File f(path.c_str());
    common(f.tag());
    f.tag()->setItem("covr", TagLib::MP4::CoverArtList().append(
                                 TagLib::MP4::CoverArt(TagLib::MP4::CoverArt::PNG, picture())));
    ASSERT_TRUE(f.save());
  } else if (ext == ".wv") {
    TagLib::WavPack::File f(path.c_str());
    common(f.APETag(true));
    TagLib::APE::Item item;
    item.setKey("Cover Art (Front)");
    item.setType(TagLib::APE::Item::Binary);
    item.setBinaryData(TagLib::ByteVector("cover.png\0", 10) + picture());
    f.APETag()->setItem("Cover Art (Front)", item);
    ASSERT_TRUE(f.save());
  }
}

// The embedded picture's bytes as TagLib reads them (empty when there is none).
TagLib::ByteVector read_picture(const fs::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".flac") {
    TagLib::FLAC::File f(path.c_str());
    return f.pictureList().isEmpty() ? TagLib::ByteVector() : f.pictureList().front()->data();
  }
  if (ext == ".ogg" || ext == ".opus") {
    std::unique_ptr<TagLib::Ogg::File> f;
    TagLib::Ogg::XiphComment* x = nullptr;
    if (ext == ".ogg") {
      auto* v = new TagLib::Ogg::Vorbis::File(path.c_str());
      x = v->tag(), f.reset(v);
    } else {
      auto* o = new TagLib::Ogg::Opus::File(path.c_str());
      x = o->tag(), f.reset(o);
    }
    return x->pictureList().isEmpty() ? TagLib::ByteVector() : x->pictureList().front()->data();
  }
  if (ext == ".mp3") {
    TagLib::MPEG::File f(path.c_str());
    if (!f.ID3v2Tag()) return {};
    for (auto* frame : f.ID3v2Tag()->frameList("APIC"))
      if (auto* p = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(frame)) return p->picture();
    return {};
  }
  if (ext == ".wav" || ext == ".aiff") {
    const auto [file, tag] = riff_id3(path, false);
    if (!tag) return {};
    for (auto* frame : tag->frameList("APIC"))
      if (auto* p = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(frame)) return p->picture();
    return {};
  }
  if (ext == ".m4a") {
    TagLib::MP4::File f(path.c_str());
    const auto& items = f.tag()->itemMap();
    if (!items.contains("covr")) return {};
    return items["covr"].toCoverArtList().front().data();
  }
  if (ext == ".wv") {
    TagLib::WavPack::File f(path.c_str());
    if (!f.APETag()) return {};
    const auto& items = f.APETag()->itemListMap();
    return items.contains("COVER ART (FRONT)") ? items["COVER ART (FRONT)"].binaryData()
                                               : TagLib::ByteVector();
  }
  return {};
}

std::vector<float> decoded(const fs::path& path) {
  AudioFileReader reader(path);
  std::vector<float> all, block(4096 * std::size_t(reader.info().channels));
  while (const std::size_t got = reader.read(block.data(), 4096))
    all.insert(all.end(), block.begin(), block.begin() + long(got) * reader.info().channels);
  return all;
}

Tags tags_of(const fs::path& path) {
  return AudioFileReader(path).tags();
}

// A two-channel track: a quiet chord-like tone at `amplitude`, 3 s.
std::vector<float> track(double amplitude, double f0 = 220) {
  const std::size_t n = 3 * 48000;
  std::vector<float> l(n), r(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double t = double(i) / 48000;
    l[i] = float(amplitude *
                 (0.6 * std::sin(2 * M_PI * f0 * t) + 0.4 * std::sin(2 * M_PI * 1.5 * f0 * t)));
    r[i] = float(amplitude * (0.5 * std::sin(2 * M_PI * 1.25 * f0 * t + 0.3) +
                              0.5 * std::sin(2 * M_PI * 2 * f0 * t)));
  }
  return test::interleave({l, r});
}

// Writes a track as `ext` (libsndfile; m4a and wv through the ffmpeg tool), then decorates it.
// Returns false when this machine cannot make the format.
bool make_track(const fs::path& path, double amplitude, double f0 = 220) {
  const std::string ext = path.extension().string();
  const auto x = track(amplitude, f0);
  if (ext == ".m4a" || ext == ".wv") {
    if (!HERSCAN_HAS_FFMPEG || !have_ffmpeg_tool()) return false;
    const fs::path wav = path.string() + ".src.wav";
    test::write_audio(wav, x, 2, 48000, SF_FORMAT_WAV | SF_FORMAT_PCM_16);
    const std::string codec = ext == ".m4a" ? "-c:a aac -b:a 128k" : "-c:a wavpack";
    const std::string command = "ffmpeg -loglevel error -y -i " + quote(wav.string()) + " " +
                                codec + " " + quote(path.string());
    EXPECT_EQ(std::system(command.c_str()), 0) << command;
    fs::remove(wav);
  } else {
    const int format = ext == ".wav"    ? SF_FORMAT_WAV | SF_FORMAT_PCM_16
                       : ext == ".aiff" ? SF_FORMAT_AIFF | SF_FORMAT_PCM_16
                       : ext == ".flac" ? SF_FORMAT_FLAC | SF_FORMAT_PCM_16
                       : ext == ".ogg"  ? SF_FORMAT_OGG | SF_FORMAT_VORBIS
                       : ext == ".opus" ? SF_FORMAT_OGG | SF_FORMAT_OPUS
                                        : SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III;
    test::write_audio(path, x, 2, 48000, format);
  }
  decorate(path);
  return true;
}

json measure_only(const TempDir& dir, const fs::path& path) {
  const Result r = herscan_loudness(dir, {"-f", "jsonl", path.string()});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return json_lines(r.out).at(0);
}

std::vector<std::string> hidden_files(const fs::path& folder) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(folder))
    if (e.path().filename().string().starts_with(".")) names.push_back(e.path().filename());
  return names;
}

std::int64_t mtime_ns(const fs::path& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

// ---- the values (no files) ----

TEST(ReplayGainValues, FormatsAtTheWrittenPrecision) {
  using app::format_gain, app::format_peak, app::format_q78, app::format_reference;
  EXPECT_EQ(format_gain(-6.524), "-6.52 dB");
  EXPECT_EQ(format_gain(3.1), "3.10 dB");
  EXPECT_EQ(format_gain(-0.001), "0.00 dB");  // never "-0.00"
  EXPECT_EQ(format_peak(0.98855321), "0.988553");
  EXPECT_EQ(format_reference(-18), "-18.00 LUFS");
  // Q7.8: 256 steps per dB, rounded, clamped to int16 (RFC 7845 §5.2.1).
  EXPECT_EQ(format_q78(-1.0), "-256");
  EXPECT_EQ(format_q78(2.0 / 256 + 0.4 / 256), "2");
  EXPECT_EQ(format_q78(500), "32767");
  EXPECT_EQ(format_q78(-500), "-32768");
}

TEST(ReplayGainValues, ClippingProtectionAsRsgain) {
  LoudnessResult l;
  l.integrated_lufs = -24;        // gain +6 dB to -18 LUFS
  l.sample_peak = 0.5;            // -6.02 dBFS: +6 dB would reach -0.02 dBFS
  l.true_peak = 0.7079457843841;  // -3.00 dBTP
  app::TagPolicy p;
  EXPECT_DOUBLE_EQ(app::replaygain_gain_db(l, p), 6.0);
  p.clip = app::ClipMode::always;
  EXPECT_DOUBLE_EQ(app::replaygain_gain_db(l, p), 6.0);  // peak + gain = -0.02 ≤ 0
  p.true_peak = true;                                    // -3 dBTP + 6 > 0: lowered to 3
  EXPECT_NEAR(app::replaygain_gain_db(l, p), 3.0, 1e-9);
  p.max_peak_db = -1;
  EXPECT_NEAR(app::replaygain_gain_db(l, p), 2.0, 1e-9);
  // p lowers only positive gains, never below 0; a lowers any gain.
  l.integrated_lufs = -17;  // gain -1 dB; true peak -3 + -1 = -4 ≤ -1: untouched either way
  p.clip = app::ClipMode::positive;
  EXPECT_NEAR(app::replaygain_gain_db(l, p), -1.0, 1e-9);
  l.true_peak = 1.4125375446;                              // +3 dBTP
  EXPECT_NEAR(app::replaygain_gain_db(l, p), -1.0, 1e-9);  // negative: p leaves it
  p.clip = app::ClipMode::always;
  EXPECT_NEAR(app::replaygain_gain_db(l, p), -4.0, 1e-9);  // -1 - 3 = -4 dB
  l.integrated_lufs = -20;                                 // +2 dB wanted, +3 dBTP peak
  p.clip = app::ClipMode::positive;
  EXPECT_NEAR(app::replaygain_gain_db(l, p), 0.0, 1e-9);  // limit -4, clamped at 0
  l.integrated_lufs = NAN;                                // silence: no gain
  EXPECT_TRUE(std::isnan(app::replaygain_gain_db(l, p)));
}

TEST(ReplayGainValues, OpusGetsR128RelativeToMinus23AndNoReplayGain) {
  LoudnessResult t, a;
  t.integrated_lufs = -14.3;
  a.integrated_lufs = -15.1;
  t.sample_peak = a.sample_peak = 0.9;
  app::TagPolicy p;
  p.album = true;
  const auto tags = app::planned_tags(app::TagFlavour::opus, t, &a, p);
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags.at("R128_TRACK_GAIN"), std::to_string(int(std::round(256 * (-23 + 14.3)))));
  EXPECT_EQ(tags.at("R128_ALBUM_GAIN"), std::to_string(int(std::round(256 * (-23 + 15.1)))));
  p.opus_replaygain = true;
  EXPECT_EQ(app::planned_tags(app::TagFlavour::opus, t, &a, p).size(), 7u);
  // Existing REPLAYGAIN_* in an Opus file are stale (RFC 7845 advises against them).
  p.opus_replaygain = false;
  const app::TagValues present = {{"REPLAYGAIN_TRACK_GAIN", "1.00 dB"}, {"R128_TRACK_GAIN", "5"}};
  EXPECT_EQ(app::stale_tags(app::TagFlavour::opus, present, tags, p),
            std::vector<std::string>{"REPLAYGAIN_TRACK_GAIN"});
}

TEST(ReplayGainValues, CurrentTagsCompareAsNumbers) {
  const app::TagValues planned = {{"REPLAYGAIN_TRACK_GAIN", "-6.50 dB"},
                                  {"REPLAYGAIN_TRACK_PEAK", "0.500000"}};
  EXPECT_TRUE(app::tags_current(
      {{"REPLAYGAIN_TRACK_GAIN", "-6.5 dB"}, {"REPLAYGAIN_TRACK_PEAK", "0.5"}}, planned, {}));
  EXPECT_FALSE(app::tags_current(
      {{"REPLAYGAIN_TRACK_GAIN", "-6.51 dB"}, {"REPLAYGAIN_TRACK_PEAK", "0.5"}}, planned, {}));
  EXPECT_FALSE(app::tags_current({{"REPLAYGAIN_TRACK_GAIN", "-6.50 dB"}}, planned, {}));
  EXPECT_FALSE(app::tags_current({{"REPLAYGAIN_TRACK_GAIN", "-6.50 dB"},
                                  {"REPLAYGAIN_TRACK_PEAK", "0.5"},
                                  {"REPLAYGAIN_ALBUM_GAIN", "1 dB"}},
                                 planned, {"REPLAYGAIN_ALBUM_GAIN"}));
}

// Found by fuzz/tag_editor_fuzzer.cpp: an ID3v2 header whose size runs past the end of the
// bytes made TagLib's memory stream memmove a negative length on save (ClampedStream).
TEST(TagEditorBytes, AnID3SizePastTheEndSavesSafely) {
  const std::string bytes("\xff~\xff~\xa1\xe6\x1eID3a\x01\x00t", 14);
  try {
    app::TagEditor editor({app::TagFlavour::id3v2, "MP3"}, bytes, 3);
    editor.apply({{"REPLAYGAIN_TRACK_GAIN", "-6.52 dB"}}, {});
    const std::string saved = editor.save();
    EXPECT_FALSE(saved.empty());
  } catch (const Error&) {
    // refused: as good
  }
}

// Found by the fuzzer too: an MP4 chunk-offset table claiming 929 million entries in a 20-byte
// box kept TagLib's offset update busy for minutes. Refused before TagLib sees it.
TEST(TagEditorBytes, AnMp4OffsetTableLargerThanItsBoxIsRefused) {
  auto be32 = [](std::uint32_t v) {
    return std::string{char(v >> 24), char(v >> 16 & 0xff), char(v >> 8 & 0xff), char(v & 0xff)};
  };
  auto box = [&](const std::string& type, const std::string& payload) {
    return be32(std::uint32_t(8 + payload.size())) + type + payload;
  };
  const std::string stco = box("stco", std::string(4, '\0') + be32(929317384) + be32(36));
  const std::string bytes = box("ftyp", std::string("M4A ") + std::string(4, '\0')) +
                            box("moov", box("trak", box("mdia", box("minf", box("stbl", stco)))));
  try {
    app::TagEditor editor({app::TagFlavour::mp4, "MP4"}, bytes);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::not_taggable);
    EXPECT_NE(std::string(e.what()).find("stco"), std::string::npos) << e.what();
  }
}

// ---- every format, end to end ----

class TagFormats : public ::testing::TestWithParam<std::string> {};

TEST_P(TagFormats, WritesHerscansValuesAndKeepsEverythingElse) {
  TempDir dir;
  const fs::path file = dir / ("track" + GetParam());
  if (!make_track(file, 0.2)) GTEST_SKIP() << "no ffmpeg tool to encode " << GetParam();
  const json measured = measure_only(dir, file);
  const Tags before_tags = tags_of(file);
  const std::vector<float> before_audio = decoded(file);
  const TagLib::ByteVector before_picture = read_picture(file);
  ASSERT_FALSE(before_picture.isEmpty());

  const Result r = herscan_loudness(dir, {"--tag", "-f", "jsonl", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json record = json_lines(r.out).at(0);
  EXPECT_EQ(record["replaygain_tags"]["action"], "written") << record.dump();
  EXPECT_EQ(hidden_files(dir.path()), std::vector<std::string>{});  // no temporary left

  const Tags t = tags_of(file);
  const double gain = measured["loudness"]["replaygain_db"];
  if (GetParam() == ".opus") {
    // Q7.8 relative to -23 LUFS; no REPLAYGAIN_* (RFC 7845).
    const double lufs = measured["loudness"]["integrated_lufs"];
    ASSERT_TRUE(t.r128_track_gain_db.has_value());
    EXPECT_EQ(std::lround(*t.r128_track_gain_db * 256), std::lround(256 * (-23 - lufs)));
    EXPECT_FALSE(t.replaygain_track_gain_db.has_value());
  } else {
    ASSERT_TRUE(t.replaygain_track_gain_db.has_value()) << GetParam();
    EXPECT_NEAR(*t.replaygain_track_gain_db, gain, 0.005 + 1e-9);  // written as %.2f
    const double peak = std::pow(10.0, measured["loudness"]["sample_peak_dbfs"].get<double>() / 20);
    ASSERT_TRUE(t.replaygain_track_peak.has_value());
    EXPECT_NEAR(*t.replaygain_track_peak, peak, 5e-7 + 1e-9);  // written as %.6f
    EXPECT_NEAR(t.replaygain_reference_loudness_lufs.value_or(0), -18, 1e-9);
    EXPECT_FALSE(t.replaygain_album_gain_db.has_value());  // track mode
  }
  EXPECT_EQ(t.title, before_tags.title);
  EXPECT_EQ(t.artist, before_tags.artist);
  EXPECT_TRUE(read_picture(file) == before_picture);
  EXPECT_EQ(decoded(file), before_audio);  // bit for bit

  // A second run finds the tags current: no rewrite, the mtime kept.
  const auto mtime = mtime_ns(file);
  const std::string bytes = read_file(file);
  const Result again = herscan_loudness(dir, {"--tag", "-f", "jsonl", file.string()});
  EXPECT_EQ(json_lines(again.out).at(0)["replaygain_tags"]["action"], "unchanged");
  EXPECT_EQ(mtime_ns(file), mtime);
  EXPECT_EQ(read_file(file), bytes);

  // --remove takes them out again and keeps the rest.
  const Result removed = herscan_loudness(dir, {"--remove", "-f", "jsonl", file.string()});
  EXPECT_EQ(json_lines(removed.out).at(0)["replaygain_tags"]["action"], "removed");
  const Tags after = tags_of(file);
  EXPECT_FALSE(after.replaygain_track_gain_db || after.r128_track_gain_db);
  EXPECT_EQ(after.title, before_tags.title);
  EXPECT_TRUE(read_picture(file) == before_picture);
  EXPECT_EQ(decoded(file), before_audio);
}

INSTANTIATE_TEST_SUITE_P(Formats, TagFormats,
                         ::testing::Values(".flac", ".ogg", ".opus", ".mp3", ".m4a", ".wv", ".wav",
                                           ".aiff"),
                         [](const auto& info) { return info.param.substr(1); });

TEST(Tagging, Id3v23OnRequest) {
  TempDir dir;
  const fs::path file = dir / "track.mp3";
  make_track(file, 0.2);
  ASSERT_EQ(herscan_loudness(dir, {"--tag", "--id3v2-version", "3", file.string()}).exit_code, 0);
  TagLib::MPEG::File f(file.c_str());
  ASSERT_TRUE(f.ID3v2Tag());
  EXPECT_EQ(f.ID3v2Tag()->header()->majorVersion(), 3u);
  EXPECT_TRUE(tags_of(file).replaygain_track_gain_db.has_value());
}

TEST(Tagging, DryRunChangesNoByte) {
  TempDir dir;
  const fs::path file = dir / "track.flac";
  make_track(file, 0.2);
  const std::string bytes = read_file(file);
  const auto mtime = mtime_ns(file);
  const Result r = herscan_loudness(dir, {"--tag", "--dry-run", "-f", "jsonl", file.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json block = json_lines(r.out).at(0)["replaygain_tags"];
  EXPECT_EQ(block["action"], "would_write");
  ASSERT_EQ(block["changes"].size(), 3u);  // track gain, peak, reference loudness
  EXPECT_TRUE(block["changes"][0]["old"].is_null());
  EXPECT_EQ(read_file(file), bytes);
  EXPECT_EQ(mtime_ns(file), mtime);
  // The text view shows old -> new per tag.
  const Result text = herscan_loudness(dir, {"--tag", "--dry-run", "-f", "text", file.string()});
  EXPECT_NE(text.out.find("REPLAYGAIN_TRACK_GAIN: (none) -> "), std::string::npos) << text.out;
}

TEST(Tagging, SkipTaggedKeepsTheMtimeAndDoesNotMeasure) {
  TempDir dir;
  const fs::path a = dir / "a.flac", b = dir / "b.flac";
  make_track(a, 0.2);
  make_track(b, 0.1);
  ASSERT_EQ(herscan_loudness(dir, {"--tag", a.string()}).exit_code, 0);
  const auto mtime = mtime_ns(a);
  const Result r =
      herscan_loudness(dir, {"--tag", "--skip-tagged", "-f", "jsonl", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0]["replaygain_tags"]["action"], "skipped");
  EXPECT_FALSE(records[0].contains("loudness"));  // not measured
  EXPECT_EQ(records[1]["replaygain_tags"]["action"], "written");
  EXPECT_EQ(mtime_ns(a), mtime);
  write_file(dir / "out.jsonl", r.out);
  expect_valid_against_schema(dir / "out.jsonl");
}

TEST(Tagging, AlbumValuesPerFolderNeverAcross) {
  TempDir dir;
  fs::create_directories(dir / "loud");
  fs::create_directories(dir / "quiet");
  const fs::path l1 = dir / "loud/1.flac", l2 = dir / "loud/2.ogg";
  const fs::path q1 = dir / "quiet/1.flac", q2 = dir / "quiet/2.mp3";
  make_track(l1, 0.5, 220);
  make_track(l2, 0.3, 330);
  make_track(q1, 0.05, 220);
  make_track(q2, 0.02, 440);
  // The albums as the existing --album computes them, one folder at a time.
  auto album_of = [&](const fs::path& x, const fs::path& y) {
    const Result r = herscan_loudness(dir, {"--album", "-f", "jsonl", x.string(), y.string()});
    return json_lines(r.out).at(2)["loudness"];
  };
  const json loud = album_of(l1, l2), quiet = album_of(q1, q2);
  const Result r = herscan_loudness(
      dir, {"--tag", "--album-per-folder", "-j", "2", "-f", "jsonl", dir.path().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), 6u);  // two tracks and an album record per folder
  EXPECT_EQ(records[2]["folder"], (dir / "loud").string());
  EXPECT_EQ(records[5]["folder"], (dir / "quiet").string());
  EXPECT_EQ(records[2]["loudness"], loud);
  EXPECT_EQ(records[5]["loudness"], quiet);
  for (const auto& [file, album] : {std::pair{l1, loud}, {l2, loud}, {q1, quiet}, {q2, quiet}}) {
    const Tags t = tags_of(file);
    ASSERT_TRUE(t.replaygain_album_gain_db.has_value()) << file;
    EXPECT_NEAR(*t.replaygain_album_gain_db, album["replaygain_db"].get<double>(), 0.005 + 1e-9)
        << file;
    EXPECT_NEAR(*t.replaygain_album_peak,
                std::pow(10.0, album["sample_peak_dbfs"].get<double>() / 20), 5e-7 + 1e-9);
  }
  EXPECT_GT(std::abs(loud["replaygain_db"].get<double>() - quiet["replaygain_db"].get<double>()),
            10.0);
  write_file(dir / "out.jsonl", r.out);
  expect_valid_against_schema(dir / "out.jsonl");

  // --skip-tagged skips both albums now; untagging one file makes its folder measured again.
  const Result skip = herscan_loudness(
      dir, {"--tag", "--album-per-folder", "--skip-tagged", "-f", "jsonl", dir.path().string()});
  const auto skipped = json_lines(skip.out);
  ASSERT_EQ(skipped.size(), 4u);
  for (const auto& rec : skipped) EXPECT_EQ(rec["replaygain_tags"]["action"], "skipped");
}

TEST(Tagging, TruePeakTargetAndClip) {
  TempDir dir;
  const fs::path file = dir / "hot.flac";
  make_track(file, 0.9);
  const json m = measure_only(dir, file);
  ASSERT_EQ(herscan_loudness(dir, {"--tag", "--true-peak", "--target-lufs", "-14", "--clip", "a",
                                   "--max-peak", "-1", file.string()})
                .exit_code,
            0);
  const Tags t = tags_of(file);
  const double tp = m["loudness"]["true_peak_dbtp"], lufs = m["loudness"]["integrated_lufs"];
  const double expected = std::min(-14 - lufs, -1 - tp);
  EXPECT_NEAR(*t.replaygain_track_gain_db, expected, 0.005 + 1e-9);
  EXPECT_NEAR(*t.replaygain_track_peak, std::pow(10.0, tp / 20), 5e-7 + 1e-9);
  EXPECT_NEAR(*t.replaygain_reference_loudness_lufs, -14, 1e-9);
}

// ---- what must leave the original intact ----

TEST(TaggingSafety, UnsupportedCorruptAndReadOnlyFilesAreNeverWritten) {
  TempDir dir;
  const fs::path wav = dir / "a.caf", cut = dir / "cut.flac", ro = dir / "ro.flac";
  test::write_audio(wav, track(0.2), 2, 48000, SF_FORMAT_CAF | SF_FORMAT_PCM_16);
  make_track(cut, 0.2);
  std::string bytes = read_file(cut);
  write_file(cut, bytes.substr(0, bytes.size() / 2));
  make_track(ro, 0.2);
  fs::permissions(ro, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
  const std::string wav_bytes = read_file(wav), cut_bytes = read_file(cut),
                    ro_bytes = read_file(ro);
  const Result r =
      herscan_loudness(dir, {"--tag", "-f", "jsonl", wav.string(), cut.string(), ro.string()});
  EXPECT_EQ(r.exit_code, 1);
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[0]["error"]["code"], "not_taggable");
  EXPECT_EQ(records[1]["error"]["code"], "truncated");  // damaged: never rewritten
  EXPECT_EQ(records[2]["error"]["code"], "read_only");
  EXPECT_EQ(read_file(wav), wav_bytes);
  EXPECT_EQ(read_file(cut), cut_bytes);
  EXPECT_EQ(read_file(ro), ro_bytes);
  EXPECT_EQ(hidden_files(dir.path()), std::vector<std::string>{});
}

TEST(TaggingSafety, FullDiskAndABadCopyLeaveTheOriginal) {
  TempDir dir;
  const fs::path file = dir / "track.flac";
  make_track(file, 0.2);
  const std::string bytes = read_file(file);
  // ENOSPC half-way through the copy (the fault seam of safe_rewrite.cpp).
  Result r = shell(dir, "HERSCAN_TEST_FAULT=enospc " + quote(HERSCAN_LOUDNESS_EXE) +
                            " --tag -f jsonl " + quote(file.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json_lines(r.out).at(0)["error"]["code"], "write_failed");
  EXPECT_NE(r.err.find("No space left on device"), std::string::npos) << r.err;
  EXPECT_EQ(read_file(file), bytes);
  EXPECT_EQ(hidden_files(dir.path()), std::vector<std::string>{});
  // A copy whose audio differs from what was measured is refused by the verification.
  r = shell(dir, "HERSCAN_TEST_FAULT=corrupt " + quote(HERSCAN_LOUDNESS_EXE) + " --tag -f jsonl " +
                     quote(file.string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json_lines(r.out).at(0)["error"]["code"], "verify_failed") << r.out;
  EXPECT_EQ(read_file(file), bytes);
  EXPECT_EQ(hidden_files(dir.path()), std::vector<std::string>{});
}

// A real full disk: a tmpfs with room for the file and half of it again, mounted in a private
// mount namespace (`unshare -rm`: the mount vanishes with the shell, whatever happens).
TEST(TaggingSafety, ARealFullDiskLeavesTheOriginal) {
  TempDir dir;
  const fs::path original = dir / "original.flac", disk = dir / "disk";
  make_track(original, 0.2);
  fs::create_directories(disk);
  const auto size_kb = fs::file_size(original) * 3 / 2 / 1024 + 4;
  const std::string mount =
      "mount -t tmpfs -o size=" + std::to_string(size_kb) + "k tmpfs " + quote(disk.string());
  if (shell(dir, "unshare -rm sh -c " + quote(mount)).exit_code != 0)
    GTEST_SKIP() << "cannot mount a tmpfs in a private namespace here (unshare -rm); the "
                    "ENOSPC seam test covers the same path";
  const fs::path copy = disk / "track.flac";
  const std::string script =
      mount + " && cp " + quote(original.string()) + " " + quote(copy.string()) + " && " +
      quote(HERSCAN_LOUDNESS_EXE) + " --tag -f jsonl " + quote(copy.string()) + " > " +
      quote((dir / "out.jsonl").string()) + " 2> " + quote((dir / "err.txt").string()) +
      "; echo $? > " + quote((dir / "rc.txt").string()) + "; cmp -s " + quote(original.string()) +
      " " + quote(copy.string()) + " && echo same > " + quote((dir / "cmp.txt").string()) +
      "; ls -A " + quote(disk.string()) + " > " + quote((dir / "listing.txt").string());
  ASSERT_EQ(shell(dir, "unshare -rm sh -c " + quote(script)).exit_code, 0);
  EXPECT_EQ(read_file(dir / "rc.txt"), "1\n");
  const auto records = json_lines(read_file(dir / "out.jsonl"));
  ASSERT_EQ(records.size(), 1u) << read_file(dir / "err.txt");
  EXPECT_EQ(records[0]["error"]["code"], "write_failed");
  EXPECT_NE(read_file(dir / "err.txt").find("No space left on device"), std::string::npos);
  EXPECT_EQ(read_file(dir / "cmp.txt"), "same\n");            // the original, byte for byte
  EXPECT_EQ(read_file(dir / "listing.txt"), "track.flac\n");  // and no temporary left
}

// Waits until `count` hidden temporaries are in `folder` (a run is between its write and its
// rename: HERSCAN_TEST_FAULT=pause holds it there), at most 30 s.
bool wait_for_temporaries(const fs::path& folder, std::size_t count) {
  for (int i = 0; i < 3000; ++i) {
    if (hidden_files(folder).size() >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Starts herscan-loudness with `args` and HERSCAN_TEST_FAULT=`fault`, stdout to `out`.
pid_t start_tool(const std::string& fault, const std::vector<std::string>& args,
                 const fs::path& out) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("HERSCAN_TEST_FAULT", fault.c_str(), 1);
    const int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(fd, 1), ::dup2(null, 2);
    std::vector<char*> argv = {const_cast<char*>(HERSCAN_LOUDNESS_EXE)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(HERSCAN_LOUDNESS_EXE, argv.data());
    ::_exit(127);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(TaggingSafety, AFileChangedDuringTheRunIsLeftAsTheOtherWriterLeftIt) {
  TempDir dir;
  fs::create_directories(dir / "music");
  const fs::path file = dir / "music/track.flac";
  make_track(file, 0.2);
  // The tool holds before its rename (its temporary exists: measured, written, verified);
  // another writer appends then.
  const pid_t pid =
      start_tool("pause:1500", {"--tag", "-f", "jsonl", file.string()}, dir / "out.jsonl");
  ASSERT_TRUE(wait_for_temporaries(dir / "music", 1));
  const std::string edited = read_file(file) + "appended by another program";
  write_file(file, edited);
  EXPECT_EQ(wait_status(pid), 1);
  EXPECT_EQ(json_lines(read_file(dir / "out.jsonl")).at(0)["error"]["code"], "changed");
  EXPECT_EQ(read_file(file), edited);
  EXPECT_EQ(hidden_files(dir / "music"), std::vector<std::string>{});
}

TEST(TaggingSafety, SigkillDuringABatchLeavesEveryFileWholeAndARerunFinishes) {
  TempDir dir;
  fs::create_directories(dir / "album");
  std::vector<fs::path> files;
  std::vector<std::string> originals;
  std::vector<std::vector<float>> audio;
  for (int i = 0; i < 8; ++i) {
    files.push_back(dir / "album" / ("t" + std::to_string(i) + ".flac"));
    make_track(files.back(), 0.05 + 0.05 * i, 200 + 30 * i);
    originals.push_back(read_file(files.back()));
    audio.push_back(decoded(files.back()));
  }
  // Killed while files are tagged, waiting before their renames (-j 2, 300 ms each): once one
  // file is renamed and the next one's temporary exists.
  const pid_t pid = start_tool("pause:300", {"--tag", "-j", "2", "-q", (dir / "album").string()},
                               dir / "out.jsonl");
  auto tagged = [&] {
    std::size_t n = 0;
    for (std::size_t i = 0; i < files.size(); ++i) n += read_file(files[i]) != originals[i];
    return n;
  };
  bool mid_batch = false;
  for (int i = 0; i < 3000 && !mid_batch; ++i) {
    mid_batch = tagged() >= 1 && !hidden_files(dir / "album").empty();
    if (!mid_batch) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(pid, SIGKILL);
  EXPECT_EQ(wait_status(pid), 128 + SIGKILL);
  ASSERT_TRUE(mid_batch);
  const std::size_t done = tagged();
  EXPECT_GE(done, 1u);
  EXPECT_LT(done, files.size());  // some were still their originals
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (read_file(files[i]) == originals[i]) continue;  // not reached, or killed before rename
    EXPECT_TRUE(tags_of(files[i]).replaygain_track_gain_db.has_value()) << files[i];
    EXPECT_EQ(decoded(files[i]), audio[i]) << files[i];
  }
  // A rerun tags what is left and removes the temporaries the kill left behind.
  const Result r = herscan_loudness(dir, {"--tag", "-f", "jsonl", (dir / "album").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (std::size_t i = 0; i < files.size(); ++i) {
    EXPECT_TRUE(tags_of(files[i]).replaygain_track_gain_db.has_value()) << files[i];
    EXPECT_EQ(decoded(files[i]), audio[i]) << files[i];
  }
  EXPECT_EQ(hidden_files(dir / "album"), std::vector<std::string>{});
}

TEST(TaggingSafety, SigintFinishesTheFilesInFlightAndReportsThem) {
  TempDir dir;
  fs::create_directories(dir / "album");
  const fs::path a = dir / "album/a.flac", b = dir / "album/b.flac";
  make_track(a, 0.2);
  make_track(b, 0.1);
  const pid_t pid =
      start_tool("pause:800", {"--tag", "-j", "4", "-f", "jsonl", (dir / "album").string()},
                 dir / "out.jsonl");
  ASSERT_TRUE(wait_for_temporaries(dir / "album", 2));
  ::kill(pid, SIGINT);
  EXPECT_EQ(wait_status(pid), 130);
  const auto records = json_lines(read_file(dir / "out.jsonl"));
  ASSERT_EQ(records.size(), 2u);  // both files were written: both are reported
  for (const auto& r : records) EXPECT_EQ(r["replaygain_tags"]["action"], "written") << r.dump();
  EXPECT_TRUE(tags_of(a).replaygain_track_gain_db && tags_of(b).replaygain_track_gain_db);
}

TEST(TaggingSafety, ALinkedFileIsTaggedOnceWithItsOwnFoldersAlbum) {
  TempDir dir;
  fs::create_directories(dir / "lib/album");
  fs::create_directories(dir / "lib/a-mix");
  const fs::path one = dir / "lib/album/1.flac", two = dir / "lib/album/2.flac";
  make_track(one, 0.5);
  make_track(two, 0.05, 330);
  fs::create_symlink("../album/1.flac", dir / "lib/a-mix/1.flac");  // walked first
  const json album =
      json_lines(herscan_loudness(dir, {"--album", "-f", "jsonl", one.string(), two.string()}).out)
          .at(2)["loudness"];
  const Result r = herscan_loudness(
      dir, {"--tag", "--album-per-folder", "-j", "4", "-f", "jsonl", (dir / "lib").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  const auto records = json_lines(r.out);
  ASSERT_EQ(records.size(), 4u) << r.out;  // the link, the two files, the album
  EXPECT_EQ(records[1]["replaygain_tags"]["action"], "skipped");
  EXPECT_NE(records[1]["replaygain_tags"]["reason"].get<std::string>().find("the same file"),
            std::string::npos);
  EXPECT_EQ(records[3]["loudness"], album);
  EXPECT_NEAR(*tags_of(one).replaygain_album_gain_db, album["replaygain_db"].get<double>(),
              0.005 + 1e-9);
  EXPECT_TRUE(fs::is_symlink(dir / "lib/a-mix/1.flac"));  // the link stays a link
}

TEST(TaggingSafety, ExtendedAttributesAndPermissionsAreKept) {
  TempDir dir;
  const fs::path file = dir / "track.flac";
  make_track(file, 0.2);
  const std::string value = "kept";
  if (::setxattr(file.c_str(), "user.herscan-test", value.data(), value.size(), 0) != 0)
    GTEST_SKIP() << "this file system has no user extended attributes";
  fs::permissions(file, fs::perms(0640));
  ASSERT_EQ(herscan_loudness(dir, {"--tag", file.string()}).exit_code, 0);
  char buf[16] = {};
  EXPECT_EQ(::getxattr(file.c_str(), "user.herscan-test", buf, sizeof buf), 4);
  EXPECT_EQ(std::string(buf), value);
  EXPECT_EQ(fs::status(file).permissions(), fs::perms(0640));
  EXPECT_TRUE(tags_of(file).replaygain_track_gain_db.has_value());
}

// An ID3v2.3 tag (frames TDAT and TIME exist only in v2.3), written by hand.
std::string id3v23(const std::vector<std::pair<std::string, std::string>>& frames) {
  std::string body;
  for (const auto& [id, text] : frames) {
    const std::string data = std::string(1, '\0') + text;  // ISO-8859-1
    const auto n = std::uint32_t(data.size());
    body += id + char(n >> 24) + char(n >> 16 & 0xff) + char(n >> 8 & 0xff) + char(n & 0xff);
    body += std::string(2, '\0') + data;
  }
  const auto n = std::uint32_t(body.size());
  std::string header = "ID3\x03";
  header += std::string(2, '\0');
  for (int shift : {21, 14, 7, 0}) header += char(n >> shift & 0x7f);
  return header + body;
}

TEST(TaggingSafety, OtherProgramsTagsSurviveOrTheFileIsRefused) {
  TempDir dir;
  const std::string v23 =
      id3v23({{"TIT2", "Dimensions"}, {"TPE1", "Arcade Fire"}, {"TYER", "2013"}});
  // An MP3 with an ID3v2.3 tag: kept as v2.3, its frames with it.
  const fs::path mp3 = dir / "v23.mp3";
  test::write_audio(mp3, track(0.2), 2, 48000, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  const std::string audio_bytes = read_file(mp3);
  write_file(mp3, v23 + audio_bytes);
  const Result kept = herscan_loudness(dir, {"--tag", "-f", "jsonl", mp3.string()});
  ASSERT_EQ(kept.exit_code, 0) << kept.out;
  EXPECT_EQ(json_lines(kept.out).at(0)["replaygain_tags"]["tags"], "ID3v2.3");
  {
    TagLib::MPEG::File f(mp3.c_str());
    ASSERT_TRUE(f.ID3v2Tag());
    EXPECT_EQ(f.ID3v2Tag()->header()->majorVersion(), 3u);
    EXPECT_EQ(f.ID3v2Tag()->title(), "Dimensions");
    EXPECT_EQ(f.ID3v2Tag()->artist(), "Arcade Fire");
    EXPECT_EQ(f.ID3v2Tag()->year(), 2013u);
  }
  EXPECT_TRUE(tags_of(mp3).replaygain_track_gain_db.has_value());

  // v2.3-only frames (TDAT, TIME) that TagLib drops on saving: refused, named, untouched.
  const std::string v23_date = id3v23({{"TIT2", "Dimensions"}, {"TDAT", "0512"}, {"TIME", "1200"}});
  const fs::path dated = dir / "dated.mp3";
  write_file(dated, v23_date + audio_bytes);
  const Result refused = herscan_loudness(dir, {"--tag", "-f", "jsonl", dated.string()});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_EQ(json_lines(refused.out).at(0)["error"]["code"], "verify_failed");
  EXPECT_NE(refused.err.find("ID3v2 TDAT"), std::string::npos) << refused.err;
  EXPECT_EQ(read_file(dated), v23_date + audio_bytes);

  // The same tag before FLAC data: TagLib would save it as v2.4 and drop TDAT/TIME; the
  // verification notices and refuses, or (a TagLib that keeps them) the tag survives whole.
  const fs::path flac = dir / "id3.flac";
  test::write_audio(flac, track(0.2), 2, 48000, SF_FORMAT_FLAC | SF_FORMAT_PCM_16);
  write_file(flac, v23_date + read_file(flac));
  const std::string before = read_file(flac);
  const Result r = herscan_loudness(dir, {"--tag", "-f", "jsonl", flac.string()});
  const json record = json_lines(r.out).at(0);
  if (record.contains("error")) {
    EXPECT_EQ(record["error"]["code"], "verify_failed") << record.dump();
    EXPECT_EQ(read_file(flac), before);
  } else {
    TagLib::FLAC::File f(flac.c_str());
    ASSERT_TRUE(f.ID3v2Tag());
    EXPECT_FALSE(f.ID3v2Tag()->frameList("TDAT").isEmpty());
  }

  // An MP3 with only an ID3v1 tag, and with ReplayGain in an APEv2 tag (mp3gain's habit): the
  // ID3v1 and the other APE items stay, the APE ReplayGain items go (players that prefer APE
  // would apply the old gain).
  const fs::path ape = dir / "ape.mp3";
  test::write_audio(ape, track(0.2), 2, 48000, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III);
  {
    TagLib::MPEG::File f(ape.c_str());
    f.ID3v1Tag(true)->setTitle("Photograph");
    f.APETag(true)->addValue("REPLAYGAIN_TRACK_GAIN", "+9.99 dB");
    f.APETag()->addValue("Catalog", "HER-2013");
    ASSERT_TRUE(f.save(TagLib::MPEG::File::ID3v1 | TagLib::MPEG::File::APE));
  }
  const Result t = herscan_loudness(dir, {"--tag", "-f", "jsonl", ape.string()});
  ASSERT_EQ(t.exit_code, 0) << t.out << t.err;
  const json changes = json_lines(t.out).at(0)["replaygain_tags"]["changes"];
  EXPECT_NE(changes.dump().find("APEv2:REPLAYGAIN_TRACK_GAIN"), std::string::npos);
  TagLib::MPEG::File f(ape.c_str());
  ASSERT_TRUE(f.ID3v1Tag());
  EXPECT_EQ(f.ID3v1Tag()->title(), "Photograph");
  ASSERT_TRUE(f.APETag());
  EXPECT_FALSE(f.APETag()->itemListMap().contains("REPLAYGAIN_TRACK_GAIN"));
  EXPECT_TRUE(f.APETag()->itemListMap().contains("CATALOG"));
  EXPECT_TRUE(tags_of(ape).replaygain_track_gain_db.has_value());
}

TEST(Tagging, UsageErrors) {
  TempDir dir;
  const auto good = write_good(dir);
  EXPECT_EQ(herscan_loudness(dir, {"--dry-run", good.string()}).exit_code, 2);
  EXPECT_EQ(herscan_loudness(dir, {"--tag", "--remove", good.string()}).exit_code, 2);
  EXPECT_EQ(herscan_loudness(dir, {"--tag", "--clip", "x", good.string()}).exit_code, 2);
  EXPECT_EQ(herscan_loudness(dir, {"--tag", "--id3v2-version", "2", good.string()}).exit_code, 2);
  EXPECT_EQ(herscan_loudness(dir, {"--album", "--album-per-folder", good.string()}).exit_code, 2);
}

}  // namespace
}  // namespace herscan
