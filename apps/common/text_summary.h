// The human-readable view of a profile: a few aligned lines, for `herscan track.flac` on a
// terminal.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace herscan::app {

/// Renders a profile record (herscan.profile/1) as aligned text lines ending in '\n'.
std::string text_summary(const nlohmann::ordered_json& profile);

}  // namespace herscan::app
