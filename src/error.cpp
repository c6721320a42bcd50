#include "herscan/error.h"

namespace herscan {

std::string_view error_code_name(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::invalid_argument:
      return "invalid_argument";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::not_a_file:
      return "not_a_file";
    case ErrorCode::unreadable:
      return "unreadable";
    case ErrorCode::empty_file:
      return "empty_file";
    case ErrorCode::not_audio:
      return "not_audio";
    case ErrorCode::no_audio_stream:
      return "no_audio_stream";
    case ErrorCode::encrypted:
      return "encrypted";
    case ErrorCode::unsupported_codec:
      return "unsupported_codec";
    case ErrorCode::empty_stream:
      return "empty_stream";
    case ErrorCode::invalid_format:
      return "invalid_format";
    case ErrorCode::truncated:
      return "truncated";
    case ErrorCode::non_finite:
      return "non_finite";
    case ErrorCode::too_short:
      return "too_short";
    case ErrorCode::internal:
      return "internal";
    case ErrorCode::crashed:
      return "crashed";
    case ErrorCode::not_taggable:
      return "not_taggable";
    case ErrorCode::read_only:
      return "read_only";
    case ErrorCode::changed:
      return "changed";
    case ErrorCode::write_failed:
      return "write_failed";
    case ErrorCode::verify_failed:
      return "verify_failed";
  }
  return "internal";
}

}  // namespace herscan
