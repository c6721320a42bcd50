// herscan/json.h — the profile as JSON, schema "herscan.profile/1" (docs/profile-schema.md).
//
// Non-finite numbers never reach JSON: they become null (docs/profile-schema.md lists where
// and why). Numbers are rounded to 7 significant digits, the precision of the float
// computations behind them.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "herscan/error.h"
#include "herscan/profile.h"

namespace herscan {

inline constexpr const char* profile_schema_id = "herscan.profile/1";

nlohmann::ordered_json to_json(const Profile& profile);

/// The loudness block alone (as in a profile), e.g. for album values.
nlohmann::ordered_json to_json(const LoudnessResult& loudness);

/// {"schema":…, "file": file, "error": {"code": …, "message": …}}
nlohmann::ordered_json error_record(const std::string& file, ErrorCode code,
                                    const std::string& message);

/// The file a record names, byte for byte. Records name it in `file`; a name that is not UTF-8
/// (a Latin-1 name on a Linux disk, say) is also given exactly, in base64, in `file_bytes`,
/// because JSON strings are Unicode and the dump shows each invalid byte as U+FFFD.
std::string record_file(const nlohmann::ordered_json& record);

/// `text` with each byte that does not start a well-formed UTF-8 sequence (RFC 3629: no
/// overlong forms, surrogates or code points above U+10FFFF) replaced by U+FFFD; `*valid`,
/// when given, says whether there was none.
std::string valid_utf8(std::string_view text, bool* valid = nullptr);

/// Base64 (RFC 4648, with padding) of `bytes`.
std::string base64(std::string_view bytes);

}  // namespace herscan
