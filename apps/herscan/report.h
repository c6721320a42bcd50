// `herscan report PROFILES.jsonl -o report.html`: one self-contained HTML page to browse a
// collection (sortable, filterable table; tempo histogram, Camelot wheel, loudness scatter;
// the mixing helper; a track view from --frames series; errors). docs/report.md.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "collection.h"

namespace herscan::app {

/// Frames series are pooled to at most this many time columns in the page.
inline constexpr std::size_t kReportMaxColumns = 1200;

/// The data the page embeds, gathered one record at a time: the tracks as columns, pooled
/// frames by track index, the error records; then the skipped lines. A record's summary is
/// kept, the record itself is not.
class ReportData {
 public:
  ReportData();
  void add(std::size_t line, const nlohmann::ordered_json& record);
  /// The whole; `source` is the profiles' path as given.
  nlohmann::ordered_json finish(const CollectionReport& read, const std::string& source) &&;

 private:
  nlohmann::ordered_json tracks_, frames_, errors_;
  std::vector<LineProblem> unnamed_;  ///< objects without a "file": skipped
  std::size_t albums_ = 0, count_ = 0;
};

/// The page: the template with its style, script and `data` inlined. The data are escaped so
/// that no string in them can end the script element or be read as markup.
std::string report_page(const nlohmann::ordered_json& data, const std::string& title);

/// The tool (argv[0] is "report"): returns the exit status (0; 1 when PROFILES cannot be read
/// or the page cannot be written; 2 usage).
int run_report(int argc, char** argv);

}  // namespace herscan::app
