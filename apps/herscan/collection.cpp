#include "collection.h"

#include <fstream>

namespace herscan::app {

std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = byte(i);
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) {
      length = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // no overlong forms
      if (c == 0xED) high = 0x9F;  // no surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;
      if (c == 0xF4) high = 0x8F;  // nothing above U+10FFFF
    }
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const unsigned char b = byte(i + k);
      ok = k == 1 ? (b >= low && b <= high) : (b >= 0x80 && b <= 0xBF);
    }
    if (ok) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
}

std::optional<CollectionReport> read_collection(const std::string& path,
                                                const RecordVisitor& visit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  CollectionReport collection;
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::string clean = valid_utf8(line);
    if (clean.size() != line.size() || clean != line) ++collection.invalid_utf8_lines;
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
