#include "collection.h"

#include <fstream>

#include "herscan/json.h"

namespace herscan::app {

std::optional<CollectionReport> read_collection(const std::string& path,
                                                const RecordVisitor& visit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  CollectionReport collection;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    bool valid = true;
    std::string clean = valid_utf8(line, &valid);
    if (!valid) ++collection.invalid_utf8_lines;
    nlohmann::ordered_json record;
    try {
      record = nlohmann::ordered_json::parse(clean);
    } catch (const nlohmann::json::exception& e) {
      collection.problems.push_back({number, std::string("not JSON (") + e.what() + ")"});
      continue;
    }
    if (!record.is_object()) {
      collection.problems.push_back({number, "not a JSON object"});
      continue;
    }
    visit(number, std::move(record));
  }
  if (in.bad()) return std::nullopt;
  return collection;
}

}  // namespace herscan::app
