// TagEditor on TagLib: the file is parsed from a ByteVectorStream and saved back into it, so
// that TagLib never touches the disk (the caller writes, verifies and renames; safe_rewrite.h).
#include <algorithm>
#include <cctype>
#include <cstdint>

#include <taglib/aifffile.h>
#include <taglib/apefile.h>
#include <taglib/apeitem.h>
#include <taglib/apetag.h>
#include <taglib/attachedpictureframe.h>
#include <taglib/flacfile.h>
#include <taglib/flacpicture.h>
#include <taglib/id3v1tag.h>
#include <taglib/id3v2header.h>
#include <taglib/id3v2tag.h>
#include <taglib/infotag.h>
#include <taglib/mp4file.h>
#include <taglib/mp4tag.h>
#include <taglib/mpegfile.h>
#include <taglib/opusfile.h>
#include <taglib/tbytevectorstream.h>
#include <taglib/textidentificationframe.h>
#include <taglib/tpropertymap.h>
#include <taglib/vorbisfile.h>
#include <taglib/wavfile.h>
#include <taglib/wavpackfile.h>
#include <taglib/xiphcomment.h>

#include "herscan/error.h"
#include "loudness/tag_editor.h"

namespace herscan::app {
namespace {

constexpr const char* kItunesPrefix = "----:com.apple.iTunes:";
// How the ReplayGain items of an MP3's APEv2 tag are named in TagValues (always removed).
const std::string kMp3ApePrefix = "APEv2:";

std::string upper(std::string s) {
  for (char& c : s) c = char(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool is_replaygain_name(const std::string& name) {
  const auto& names = replaygain_tag_names();
  return std::find(names.begin(), names.end(), upper(name)) != names.end();
}

std::string utf8(const TagLib::String& s) {
  return s.to8Bit(true);
}

TagLib::String tl(const std::string& s) {
  return TagLib::String(s, TagLib::String::UTF8);
}

// The digest of the other items: FNV-1a over length-prefixed fields (no field boundary is
// ambiguous), one hash per named item.
class Digest {
 public:
  /// Starts the item `name` (a repeated name gets " #2", " #3", ...).
  void item(const std::string& name) {
    std::string key = name;
    for (int k = 2; items_.count(key); ++k) key = name + " #" + std::to_string(k);
    current_ = &items_[key];
    *current_ = kOffset;
  }
  void add(const char* data, std::size_t n) {
    if (!current_) item("");
    std::uint64_t h = *current_;
    for (int i = 0; i < 8; ++i) h = (h ^ ((std::uint64_t(n) >> (8 * i)) & 0xff)) * kPrime;
    for (std::size_t i = 0; i < n; ++i) h = (h ^ static_cast<unsigned char>(data[i])) * kPrime;
    *current_ = h;
  }
  void add(const std::string& s) { add(s.data(), s.size()); }
  void add(const TagLib::ByteVector& v) { add(v.data(), v.size()); }
  TagDigest items() && { return std::move(items_); }

 private:
  static constexpr std::uint64_t kPrime = 1099511628211ull, kOffset = 14695981039346656037ull;
  TagDigest items_;
  std::uint64_t* current_ = nullptr;
};

// TagLib 1.13's ByteVectorStream does not clamp: a tag whose stated size runs past the end of
// the file (a damaged or hostile ID3v2 header) makes MPEG::File::save() insert with a replace
// length beyond the data, a negative memmove (found by fuzz/tag_editor_fuzzer.cpp). The disk
// stream clamps; this one does the same.
class ClampedStream : public TagLib::ByteVectorStream {
 public:
  using TagLib::ByteVectorStream::ByteVectorStream;
  void insert(const TagLib::ByteVector& data, unsigned long start, unsigned long replace) override {
    const auto size = static_cast<unsigned long>(length());
    start = std::min(start, size);
    TagLib::ByteVectorStream::insert(data, start, std::min(replace, size - start));
  }
  void removeBlock(unsigned long start, unsigned long length) override {
    const auto size = static_cast<unsigned long>(this->length());
    if (start >= size) return;
    TagLib::ByteVectorStream::removeBlock(start, std::min(length, size - start));
  }
};

std::uint64_t be(const std::string& b, std::size_t at, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = v << 8 | static_cast<unsigned char>(b[at + std::size_t(i)]);
  return v;
}

// TagLib 1.13 rewrites every chunk offset of an MP4 file when the tags grow, looping over the
// count an `stco`/`co64` box claims; a count far beyond the box (found by the fuzzer: 929
// million entries in a 20-byte box) keeps it busy for minutes. Such a file is refused before.
void check_mp4_offset_tables(const std::string& b, std::size_t begin, std::size_t end, int depth) {
  static const std::string containers[] = {"moov", "trak", "mdia", "minf", "stbl",
                                           "moof", "traf", "udta", "edts"};
  std::size_t at = begin;
  while (depth < 16 && at + 8 <= end) {
    std::uint64_t size = be(b, at, 4), header = 8;
    const std::string type = b.substr(at + 4, 4);
    if (size == 1 && at + 16 <= end) size = be(b, at + 8, 8), header = 16;
    if (size == 0) size = end - at;
    if (size < header) return;                       // TagLib stops there too
    size = std::min<std::uint64_t>(size, end - at);  // a box past its parent: TagLib reads on
    if (std::find(std::begin(containers), std::end(containers), type) != std::end(containers))
      check_mp4_offset_tables(b, at + header, at + size, depth + 1);
    if ((type == "stco" || type == "co64") && size >= header + 8) {
      const std::uint64_t count = be(b, at + header + 4, 4);
      const std::uint64_t entry = type == "stco" ? 4 : 8;
      if (count * entry > size - header - 8)
        throw Error(ErrorCode::not_taggable, "its MP4 chunk-offset table (" + type + ") claims " +
                                                 std::to_string(count) + " entries in a box of " +
                                                 std::to_string(size) + " bytes");
    }
    at += size;
  }
}

}  // namespace

bool tagging_available() {
  return true;
}

struct TagEditor::Impl {
  TagFormat format;
  int id3v2_version = 4;
  ClampedStream stream;
  std::unique_ptr<TagLib::File> file;

  Impl(const TagFormat& f, const std::string& bytes, int version)
      : format(f),
        id3v2_version(version),
        stream(TagLib::ByteVector(bytes.data(), static_cast<unsigned>(bytes.size()))) {}

  // The comment block of a Vorbis-comment format (created when absent).
  TagLib::Ogg::XiphComment* xiph() const {
    if (auto* f = dynamic_cast<TagLib::FLAC::File*>(file.get())) return f->xiphComment(true);
    if (auto* f = dynamic_cast<TagLib::Ogg::Vorbis::File*>(file.get())) return f->tag();
    if (auto* f = dynamic_cast<TagLib::Ogg::Opus::File*>(file.get())) return f->tag();
    return nullptr;
  }
  TagLib::ID3v2::Tag* id3v2() const {
    if (auto* f = dynamic_cast<TagLib::MPEG::File*>(file.get())) return f->ID3v2Tag(true);
    if (auto* f = dynamic_cast<TagLib::RIFF::WAV::File*>(file.get())) return f->ID3v2Tag();
    if (auto* f = dynamic_cast<TagLib::RIFF::AIFF::File*>(file.get())) return f->tag();
    return nullptr;
  }
  TagLib::MP4::Tag* mp4() const {
    auto* f = dynamic_cast<TagLib::MP4::File*>(file.get());
    return f ? f->tag() : nullptr;
  }
  TagLib::APE::Tag* ape() const {
    if (auto* f = dynamic_cast<TagLib::WavPack::File*>(file.get())) return f->APETag(true);
    if (auto* f = dynamic_cast<TagLib::APE::File*>(file.get())) return f->APETag(true);
    return nullptr;
  }
  // An MP3's APEv2 tag (mp3gain and foobar2000 put ReplayGain there), when it has one.
  TagLib::APE::Tag* mp3_ape() const {
    auto* f = dynamic_cast<TagLib::MPEG::File*>(file.get());
    return f && f->hasAPETag() ? f->APETag(false) : nullptr;
  }

  // The ReplayGain TXXX frames, any spelling of the description.
  std::vector<TagLib::ID3v2::UserTextIdentificationFrame*> txxx(TagLib::ID3v2::Tag* tag,
                                                                const std::string* name) const {
    std::vector<TagLib::ID3v2::UserTextIdentificationFrame*> found;
    for (TagLib::ID3v2::Frame* frame : tag->frameList("TXXX")) {
      auto* t = dynamic_cast<TagLib::ID3v2::UserTextIdentificationFrame*>(frame);
      if (!t) continue;
      const std::string description = upper(utf8(t->description()));
      if (name ? description == *name : is_replaygain_name(description)) found.push_back(t);
    }
    return found;
  }
};

TagEditor::TagEditor(const TagFormat& format, std::string bytes, int id3v2_version)
    : impl_(std::make_unique<Impl>(format, bytes, id3v2_version)) {
  if (format.flavour == TagFlavour::mp4) check_mp4_offset_tables(bytes, 0, bytes.size(), 0);
  bytes.clear();
  bytes.shrink_to_fit();
  TagLib::IOStream* s = &impl_->stream;
  switch (format.flavour) {
    case TagFlavour::vorbis_comment:
      if (format.kind == "FLAC")
        impl_->file =
            std::make_unique<TagLib::FLAC::File>(s, TagLib::ID3v2::FrameFactory::instance(), false);
      else
        impl_->file = std::make_unique<TagLib::Ogg::Vorbis::File>(s, false);
      break;
    case TagFlavour::opus:
      impl_->file = std::make_unique<TagLib::Ogg::Opus::File>(s, false);
      break;
    case TagFlavour::id3v2:
      if (format.kind == "WAV")
        impl_->file = std::make_unique<TagLib::RIFF::WAV::File>(s, false);
      else if (format.kind == "AIFF")
        impl_->file = std::make_unique<TagLib::RIFF::AIFF::File>(s, false);
      else
        impl_->file =
            std::make_unique<TagLib::MPEG::File>(s, TagLib::ID3v2::FrameFactory::instance(), false);
      break;
    case TagFlavour::mp4:
      impl_->file = std::make_unique<TagLib::MP4::File>(s, false);
      break;
    case TagFlavour::apev2:
      if (format.kind == "APE")
        impl_->file = std::make_unique<TagLib::APE::File>(s, false);
      else
        impl_->file = std::make_unique<TagLib::WavPack::File>(s, false);
      break;
  }
  if (!impl_->file || !impl_->file->isValid())
    throw Error(ErrorCode::not_audio, "TagLib cannot parse it as " + format.kind);
  // ID3v2: keep the version the file has (saving a v2.3 tag as v2.4 would convert, and can
  // drop, other programs' frames), v2.4 for a new tag, unless one was asked for.
  if (impl_->id3v2_version != 3 && impl_->id3v2_version != 4) {
    TagLib::ID3v2::Tag* existing = nullptr;
    if (auto* f = dynamic_cast<TagLib::MPEG::File*>(impl_->file.get()))
      existing = f->hasID3v2Tag() ? f->ID3v2Tag() : nullptr;
    if (auto* f = dynamic_cast<TagLib::RIFF::WAV::File*>(impl_->file.get()))
      existing = f->hasID3v2Tag() ? f->ID3v2Tag() : nullptr;
    if (auto* f = dynamic_cast<TagLib::RIFF::AIFF::File*>(impl_->file.get()))
      existing = f->hasID3v2Tag() ? f->tag() : nullptr;
    impl_->id3v2_version = existing && existing->header()->majorVersion() == 3 ? 3 : 4;
  }
}

int TagEditor::id3v2_version() const {
  return impl_->id3v2_version;
}

TagEditor::~TagEditor() = default;

TagValues TagEditor::replaygain() const {
  TagValues values;
  auto keep = [&](const std::string& name, const std::string& value) {
    const std::string key = upper(name);
    if (is_replaygain_name(key) && !values.count(key)) values[key] = value;
  };
  if (auto* x = impl_->xiph()) {
    for (const auto& [name, list] : x->fieldListMap())
      if (!list.isEmpty()) keep(utf8(name), utf8(list.front()));
  } else if (auto* id3 = impl_->id3v2()) {
    for (auto* t : impl_->txxx(id3, nullptr)) {
      const TagLib::StringList fields = t->fieldList();  // description, then the values
      if (fields.size() >= 2) keep(utf8(t->description()), utf8(fields[1]));
    }
    if (auto* ape = impl_->mp3_ape())
      for (const auto& [name, item] : ape->itemListMap())
        if (item.type() == TagLib::APE::Item::Text && !item.values().isEmpty() &&
            is_replaygain_name(utf8(name)))
          values.try_emplace(kMp3ApePrefix + upper(utf8(name)), utf8(item.values().front()));
  } else if (auto* mp4 = impl_->mp4()) {
    const std::string prefix = kItunesPrefix;
    for (const auto& [name, item] : mp4->itemMap()) {
      const std::string key = utf8(name);
      if (key.size() > prefix.size() && upper(key.substr(0, prefix.size())) == upper(prefix) &&
          !item.toStringList().isEmpty())
        keep(key.substr(prefix.size()), utf8(item.toStringList().front()));
    }
  } else if (auto* ape = impl_->ape()) {
    for (const auto& [name, item] : ape->itemListMap())
      if (item.type() == TagLib::APE::Item::Text && !item.values().isEmpty())
        keep(utf8(name), utf8(item.values().front()));
  }
  return values;
}

void TagEditor::apply(const TagValues& set, const std::vector<std::string>& remove) {
  std::vector<std::string> names = remove;
  for (const auto& entry : set) names.push_back(entry.first);
  if (auto* x = impl_->xiph()) {
    for (const auto& name : names) x->removeFields(tl(name));
    for (const auto& [name, value] : set) x->addField(tl(name), tl(value), true);
  } else if (auto* id3 = impl_->id3v2()) {
    for (const auto& name : names)
      for (auto* t : impl_->txxx(id3, &name)) id3->removeFrame(t, true);
    if (auto* ape = impl_->mp3_ape())
      for (const auto& name : names)
        if (name.starts_with(kMp3ApePrefix)) ape->removeItem(tl(name.substr(kMp3ApePrefix.size())));
    for (const auto& [name, value] : set) {
      auto* frame = new TagLib::ID3v2::UserTextIdentificationFrame(TagLib::String::UTF8);
      frame->setDescription(tl(name));
      frame->setText(tl(value));
      id3->addFrame(frame);
    }
  } else if (auto* mp4 = impl_->mp4()) {
    const std::string prefix = kItunesPrefix;
    std::vector<TagLib::String> doomed;
    for (const auto& [key, item] : mp4->itemMap()) {
      const std::string k = utf8(key);
      if (k.size() <= prefix.size() || upper(k.substr(0, prefix.size())) != upper(prefix)) continue;
      const std::string name = upper(k.substr(prefix.size()));
      if (std::find(names.begin(), names.end(), name) != names.end()) doomed.push_back(key);
    }
    for (const auto& key : doomed) mp4->removeItem(key);
    for (const auto& [name, value] : set) {
      std::string lower = name;
      for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
      mp4->setItem(tl(prefix + lower), TagLib::MP4::Item(TagLib::StringList(tl(value))));
    }
  } else if (auto* ape = impl_->ape()) {
    for (const auto& name : names) ape->removeItem(tl(name));
    for (const auto& [name, value] : set) ape->addValue(tl(name), tl(value), true);
  }
}

std::string TagEditor::save() {
  bool ok = false;
  if (auto* f = dynamic_cast<TagLib::MPEG::File*>(impl_->file.get()))
    ok = f->save(TagLib::MPEG::File::ID3v2 | (f->hasAPETag() ? TagLib::MPEG::File::APE : 0),
                 TagLib::File::StripNone,
                 impl_->id3v2_version == 3 ? TagLib::ID3v2::v3 : TagLib::ID3v2::v4,
                 TagLib::File::DoNotDuplicate);
  else if (auto* f = dynamic_cast<TagLib::RIFF::WAV::File*>(impl_->file.get()))
    ok = f->save(TagLib::RIFF::WAV::File::AllTags, TagLib::File::StripNone,  // keep RIFF INFO
                 impl_->id3v2_version == 3 ? TagLib::ID3v2::v3 : TagLib::ID3v2::v4);
  else if (auto* f = dynamic_cast<TagLib::RIFF::AIFF::File*>(impl_->file.get()))
    ok = f->save(impl_->id3v2_version == 3 ? TagLib::ID3v2::v3 : TagLib::ID3v2::v4);
  else
    ok = impl_->file->save();
  if (!ok)
    throw Error(ErrorCode::internal,
                "TagLib could not write the tags of this " + impl_->format.kind + " file");
  const TagLib::ByteVector* data = impl_->stream.data();
  return std::string(data->data(), data->size());
}

// The digest: every tag of the file on its own (a file can carry several: an MP3 ID3v2, ID3v1
// and APEv2, a FLAC file an ID3v2 tag before its comment block), each item with its name and
// values, pictures with their type, MIME type, description and bytes. The ReplayGain items are
// left out (they are what changes).
namespace {

void digest_properties(Digest& d, const TagLib::Tag* tag, const char* label) {
  if (!tag) return;
  const TagLib::PropertyMap properties = tag->properties();
  for (const auto& [name, values] : properties) {
    if (is_replaygain_name(utf8(name))) continue;
    d.item(std::string(label) + " " + utf8(name));
    for (const auto& v : values) d.add(utf8(v));
  }
}

void digest_picture(Digest& d, const TagLib::FLAC::Picture* p, const char* label) {
  d.item(std::string(label) + " picture");
  d.add(std::to_string(int(p->type())));
  d.add(utf8(p->mimeType()));
  d.add(utf8(p->description()));
  d.add(p->data());
}

void digest_id3v2(Digest& d, TagLib::ID3v2::Tag* tag) {
  if (!tag) return;
  for (TagLib::ID3v2::Frame* frame : tag->frameList()) {
    if (auto* t = dynamic_cast<TagLib::ID3v2::UserTextIdentificationFrame*>(frame))
      if (is_replaygain_name(utf8(t->description()))) continue;
    const TagLib::ByteVector id = frame->frameID();
    d.item("ID3v2 " + std::string(id.data(), id.size()));
    d.add(utf8(frame->toString()));
    if (auto* p = dynamic_cast<TagLib::ID3v2::AttachedPictureFrame*>(frame)) {
      d.add(std::to_string(int(p->type())));
      d.add(utf8(p->mimeType()));
      d.add(utf8(p->description()));
      d.add(p->picture());
    }
  }
}

void digest_ape(Digest& d, TagLib::APE::Tag* tag) {
  if (!tag) return;
  for (const auto& [name, item] : tag->itemListMap()) {
    if (item.type() == TagLib::APE::Item::Text && is_replaygain_name(utf8(name))) continue;
    d.item("APEv2 " + utf8(name));
    d.add(std::to_string(int(item.type())));
    if (item.type() == TagLib::APE::Item::Binary)
      d.add(item.binaryData());
    else
      for (const auto& v : item.values()) d.add(utf8(v));
  }
}

void digest_xiph(Digest& d, TagLib::Ogg::XiphComment* x) {
  if (!x) return;
  for (const auto& [name, values] : x->fieldListMap()) {
    if (is_replaygain_name(utf8(name))) continue;
    d.item("Vorbis comment " + utf8(name));
    for (const auto& v : values) d.add(utf8(v));
  }
  for (const auto* p : x->pictureList()) digest_picture(d, p, "Vorbis comment");
}

void digest_mp4(Digest& d, TagLib::MP4::Tag* tag) {
  const std::string prefix = kItunesPrefix;
  for (const auto& [key, item] : tag->itemMap()) {
    const std::string k = utf8(key);
    if (k.size() > prefix.size() && upper(k.substr(0, prefix.size())) == upper(prefix) &&
        is_replaygain_name(k.substr(prefix.size())))
      continue;
    d.item("MP4 " + k);
    // An item's value by the kind TagLib parsed it as (by atom name, as mp4tag.cpp does): the
    // other accessors of an item read a union and return whatever is in it.
    if (k == "trkn" || k == "disk") {
      d.add(std::to_string(item.toIntPair().first) + "/" + std::to_string(item.toIntPair().second));
    } else if (k == "tmpo" || k == "\xc2\xa9mvi" || k == "\xc2\xa9mvc") {
      d.add(std::to_string(item.toInt()));
    } else if (k == "cpil" || k == "pgap" || k == "pcst" || k == "hdvd" || k == "shwm") {
      d.add(std::to_string(item.toBool()));
    } else if (k == "rtng" || k == "stik" || k == "akID") {
      d.add(std::to_string(int(item.toByte())));
    } else if (k == "plID") {
      d.add(std::to_string(item.toLongLong()));
    } else if (k == "tvsn" || k == "tves" || k == "cnID" || k == "atID" || k == "sfID" ||
               k == "geID") {
      d.add(std::to_string(item.toUInt()));
    } else if (k == "covr") {
      for (const auto& art : item.toCoverArtList()) {
        d.add(std::to_string(int(art.format())));
        d.add(art.data());
      }
    } else {
      for (const auto& v : item.toStringList()) d.add(utf8(v));
      for (const auto& v : item.toByteVectorList()) d.add(v);
    }
  }
}

}  // namespace

TagDigest TagEditor::others() const {
  Digest d;
  TagLib::File* file = impl_->file.get();
  if (auto* f = dynamic_cast<TagLib::FLAC::File*>(file)) {
    digest_xiph(d, f->xiphComment(false));
    for (const auto* p : f->pictureList()) digest_picture(d, p, "FLAC");
    digest_id3v2(d, f->hasID3v2Tag() ? f->ID3v2Tag(false) : nullptr);
    digest_properties(d, f->hasID3v1Tag() ? f->ID3v1Tag(false) : nullptr, "ID3v1");
  } else if (auto* f = dynamic_cast<TagLib::Ogg::Vorbis::File*>(file)) {
    digest_xiph(d, f->tag());
  } else if (auto* f = dynamic_cast<TagLib::Ogg::Opus::File*>(file)) {
    digest_xiph(d, f->tag());
  } else if (auto* f = dynamic_cast<TagLib::MPEG::File*>(file)) {
    digest_id3v2(d, f->hasID3v2Tag() ? f->ID3v2Tag(false) : nullptr);
    digest_ape(d, f->hasAPETag() ? f->APETag(false) : nullptr);
    digest_properties(d, f->hasID3v1Tag() ? f->ID3v1Tag(false) : nullptr, "ID3v1");
  } else if (auto* f = dynamic_cast<TagLib::RIFF::WAV::File*>(file)) {
    digest_id3v2(d, f->hasID3v2Tag() ? f->ID3v2Tag() : nullptr);
    digest_properties(d, f->hasInfoTag() ? f->InfoTag() : nullptr, "RIFF INFO");
  } else if (auto* f = dynamic_cast<TagLib::RIFF::AIFF::File*>(file)) {
    digest_id3v2(d, f->hasID3v2Tag() ? f->tag() : nullptr);
  } else if (auto* f = dynamic_cast<TagLib::MP4::File*>(file)) {
    digest_mp4(d, f->tag());
  } else if (auto* f = dynamic_cast<TagLib::WavPack::File*>(file)) {
    digest_ape(d, f->hasAPETag() ? f->APETag(false) : nullptr);
    digest_properties(d, f->hasID3v1Tag() ? f->ID3v1Tag(false) : nullptr, "ID3v1");
  } else if (auto* f = dynamic_cast<TagLib::APE::File*>(file)) {
    digest_ape(d, f->hasAPETag() ? f->APETag(false) : nullptr);
    digest_properties(d, f->hasID3v1Tag() ? f->ID3v1Tag(false) : nullptr, "ID3v1");
  }
  return std::move(d).items();
}

}  // namespace herscan::app
