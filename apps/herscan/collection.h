// A collection's profiles as written by `herscan -o profiles.jsonl`: read line by line, what is
// not a JSON object reported with its line number, never fatal. Shared by `herscan similar` and
// `herscan report`.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace herscan::app {

struct LineProblem {
  std::size_t line = 0;
  std::string reason;  ///< e.g. "not JSON (...)", "not a JSON object"
};

/// What reading a collection found besides its records.
struct CollectionReport {
  std::vector<LineProblem> problems;   ///< lines skipped, in file order
  std::size_t invalid_utf8_lines = 0;  ///< lines whose invalid UTF-8 became U+FFFD
};

/// Receives each record (a JSON object) with its 1-based line number, in file order.
using RecordVisitor = std::function<void(std::size_t line, nlohmann::ordered_json&& record)>;

/// Reads a JSON Lines file of profiles one line at a time (a collection of any size in the
/// memory of one record); blank lines are skipped silently. nullopt when the file cannot be
/// opened or read.
std::optional<CollectionReport> read_collection(const std::string& path,
                                                const RecordVisitor& visit);

}  // namespace herscan::app
