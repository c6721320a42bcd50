// What herscan.dask shares with the CLI, so that a cluster run writes what `herscan DIR -o
// FILE` writes: the folder walk (collect_inputs), the record of one file (analyze_record, error
// records included) and the resumable JSON Lines output (ResumableFileSink). Private to the
// package (names with a leading underscore); docs/python.md, docs/scaling.md.
#include "batch.h"

#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "common/inputs.h"
#include "common/output.h"
#include "common/records.h"
#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/key.h"
#include "paths.h"

namespace py = pybind11;

namespace herscan::python {
namespace {

using json = nlohmann::ordered_json;

std::string dump(const json& record) {
  return record.dump(-1, ' ', false, json::error_handler_t::replace);  // as the CLI's writer
}

class ResumableOutput {
 public:
  ResumableOutput(const py::object& path, bool resume) {
    try {
      sink_ = std::make_unique<app::ResumableFileSink>(fs_bytes(path), resume);
    } catch (const std::exception& e) {
      throw py::value_error(e.what());
    }
  }
  // The files an earlier run finished (their records are in the file already).
  py::list done() const {
    py::list files;
    for (const auto& record : sink_->records()) files.append(fs_str(record_file(record)));
    return files;
  }
  std::size_t resumed() const { return sink_->records().size(); }
  std::size_t resumed_failed() const {
    std::size_t n = 0;
    for (const auto& record : sink_->records()) n += record.contains("error");
    return n;
  }
  void write(const std::string& line) {
    if (!sink_->write(line + "\n")) throw py::value_error("cannot write the output");
    sink_->flush();
  }
  void commit() {
    try {
      sink_->commit();
    } catch (const std::exception& e) {
      throw py::value_error(e.what());
    }
  }
  void keep() { sink_->keep(); }
  py::object partial_path() const { return fs_str(sink_->partial_path().string()); }

 private:
  std::unique_ptr<app::ResumableFileSink> sink_;
};

}  // namespace

void bind_batch(py::module_& m, const OptionsFactory& options_of) {
  m.def(
      "_collect_inputs",
      [](const py::list& path_objects, const std::vector<std::string>& include,
         const std::vector<std::string>& exclude) {
        std::vector<std::string> paths, empty;
        for (const auto& p : path_objects) paths.push_back(fs_bytes(p));
        const auto inputs = app::collect_inputs(paths, {include, exclude}, &empty);
        py::list out, empty_out;
        for (const auto& in : inputs)
          out.append(
              py::make_tuple(fs_str(in.path),
                             in.error ? py::object(py::str(std::string(error_code_name(*in.error))))
                                      : py::object(py::none()),
                             valid_utf8(in.error_message)));
        for (const auto& folder : empty) empty_out.append(fs_str(folder));
        return py::make_tuple(out, empty_out);
      },
      py::arg("paths"), py::arg("include") = std::vector<std::string>{},
      py::arg("exclude") = std::vector<std::string>{},
      "([(path, error code or None, message)], [empty folders]): herscan's walk of PATH "
      "arguments.");
  m.def(
      "_record_line",
      [options_of](const py::object& path_object, const py::object& features,
                   const py::object& frames, const std::string& key_profile) {
        const std::string path = fs_bytes(path_object);
        const ProfileOptions options = options_of(features, frames, key_profile, false);
        py::gil_scoped_release release;
        return dump(app::analyze_record(path, options));
      },
      py::arg("path"), py::arg("features") = py::none(), py::arg("frames") = false,
      py::arg("key_profile") = "herscan",
      "The JSON line `herscan PATH` writes: the profile, or the error record (never raises for "
      "the file's sake).");
  m.def(
      "_error_line",
      [](const py::object& path_object, const std::string& code, const std::string& message) {
        const std::string path = fs_bytes(path_object);
        for (int c = 0; c <= int(ErrorCode::verify_failed); ++c)
          if (error_code_name(ErrorCode(c)) == code)
            return dump(error_record(path, ErrorCode(c), message));
        return dump(error_record(path, ErrorCode::internal, message));
      },
      py::arg("path"), py::arg("code"), py::arg("message"), "An error record's JSON line.");
  py::class_<ResumableOutput>(m, "_ResumableOutput",
                              "The CLI's resumable JSON Lines output (-o FILE [--resume]).")
      .def(py::init<const py::object&, bool>(), py::arg("path"), py::arg("resume"))
      .def("done", &ResumableOutput::done)
      .def("resumed", &ResumableOutput::resumed)
      .def("resumed_failed", &ResumableOutput::resumed_failed)
      .def("write", &ResumableOutput::write, py::arg("line"))
      .def("commit", &ResumableOutput::commit)
      .def("keep", &ResumableOutput::keep)
      .def_property_readonly("partial_path", &ResumableOutput::partial_path);
}

}  // namespace herscan::python
