// From paths to records: the profile of a file, or its error record. Shared by the tools.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "herscan/profile.h"

namespace herscan::app {

/// `message` without a leading "PATH: " (a record names its file separately).
std::string strip_path(const std::string& message, const std::string& path);

/// The profile record of `path`, or its error record (never throws).
nlohmann::ordered_json analyze_record(const std::string& path, const ProfileOptions& options);

/// The profile analyze_record() returned for the last successful call on this thread (for tools
/// that need the typed values, e.g. album loudness).
const Profile& last_profile();

/// A profile with every block `options` requests, values null: its flattened keys are the CSV
/// columns.
nlohmann::ordered_json skeleton(const ProfileOptions& options);

}  // namespace herscan::app
