// libFuzzer target: arbitrary bytes as a file herscan-loudness --tag would edit, through
// TagEditor (apps/loudness/tag_editor_taglib.cpp, TagLib on a memory stream). The first byte
// picks the format (FLAC, Ogg Vorbis, Opus, MP3, MP4, WavPack, APE, WAV, AIFF), the rest is the
// file: read the ReplayGain tags and the other items, set and remove tags, save, and parse the
// saved bytes again. The only acceptable failure is a herscan::Error (TagLib refused the bytes); a
// crash, a sanitizer report, a hang or another exception is a finding. docs/robustness.md.
#include <cstddef>
#include <cstdint>
#include <string>

#include "herscan/error.h"
#include "loudness/tag_editor.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace herscan::app;
  if (size < 1) return 0;
  static const TagFormat formats[] = {{TagFlavour::vorbis_comment, "FLAC"},
                                      {TagFlavour::vorbis_comment, "Ogg Vorbis"},
                                      {TagFlavour::opus, "Opus"},
                                      {TagFlavour::id3v2, "MP3"},
                                      {TagFlavour::mp4, "MP4"},
                                      {TagFlavour::apev2, "WavPack"},
                                      {TagFlavour::apev2, "APE"},
                                      {TagFlavour::id3v2, "WAV"},
                                      {TagFlavour::id3v2, "AIFF"}};
  const TagFormat& format = formats[data[0] % 9];
  const std::string bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  try {
    TagEditor editor(format, bytes, data[0] & 0x80 ? 3 : 0);
    const TagValues present = editor.replaygain();
    const TagDigest others = editor.others();
    std::vector<std::string> remove;
    for (const auto& entry : present) remove.push_back(entry.first);
    editor.apply({{"REPLAYGAIN_TRACK_GAIN", "-6.52 dB"}, {"R128_TRACK_GAIN", "-1669"}}, remove);
    const std::string saved = editor.save();
    TagEditor again(format, saved, 0);
    (void)again.replaygain();
    (void)again.others();
  } catch (const herscan::Error&) {
    // refused: fine
  }
  return 0;
}
