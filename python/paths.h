// File names between Python and herscan: herscan takes a name as its bytes (Linux names need not
// be UTF-8); Python has str (undecodable bytes as surrogates, PEP 383), bytes and os.PathLike.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

namespace herscan::python {

/// The bytes of a str, bytes or os.PathLike file name (os.fsencode).
inline std::string fs_bytes(const pybind11::handle& path) {
  // Not cached in a static: a Python object must not outlive the interpreter.
  return pybind11::module_::import("os").attr("fsencode")(path).cast<std::string>();
}

/// A file name's bytes as Python's str for it (os.fsdecode): what os.listdir would return.
inline pybind11::object fs_str(const std::string& bytes) {
  return pybind11::module_::import("os").attr("fsdecode")(pybind11::bytes(bytes));
}

}  // namespace herscan::python
