// The FFmpeg backend's entry points in a build without FFmpeg (-DHERSCAN_FFMPEG=OFF): what
// libsndfile refuses stays refused (not_audio), and tags are libsndfile's few text fields.
#include "backend.h"
#include "herscan/error.h"

namespace herscan::detail {

bool ffmpeg_available() noexcept {
  return false;
}

std::unique_ptr<Backend> open_ffmpeg(ByteSource&, DecodeContext& context,
                                     const std::string& why_not_sndfile) {
  throw Error(ErrorCode::not_audio,
              context.path.string() + ": not a readable audio file (libsndfile: " +
                  why_not_sndfile + "; this herscan is built without FFmpeg)");
}

std::optional<Tags> read_tags_ffmpeg(ByteSource&) {
  return std::nullopt;
}

}  // namespace herscan::detail
