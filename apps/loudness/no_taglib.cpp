// TagEditor in a build without TagLib (-DHERSCAN_TAGLIB=OFF): herscan-loudness measures, and
// refuses --tag with a usage error (tagging_available()).
#include "herscan/error.h"
#include "loudness/tag_editor.h"

namespace herscan::app {

bool tagging_available() {
  return false;
}

struct TagEditor::Impl {};

TagEditor::TagEditor(const TagFormat&, std::string, int) {
  throw Error(ErrorCode::internal, "built without TagLib (HERSCAN_TAGLIB=OFF): cannot tag");
}
TagEditor::~TagEditor() = default;
int TagEditor::id3v2_version() const {
  return 4;
}
TagValues TagEditor::replaygain() const {
  return {};
}
void TagEditor::apply(const TagValues&, const std::vector<std::string>&) {}
std::string TagEditor::save() {
  return {};
}
TagDigest TagEditor::others() const {
  return {};
}

}  // namespace herscan::app
