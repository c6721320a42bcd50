// The batch helpers of the Python module (batch.cpp): bound only when the command-line tools'
// common code (apps/common) is built.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <string>

#include "herscan/profile.h"

namespace herscan::python {

/// Turns analyze()'s keyword arguments into ProfileOptions (throws herscan::Error).
using OptionsFactory =
    std::function<ProfileOptions(const pybind11::object& features, const pybind11::object& frames,
                                 const std::string& key_profile, bool strict)>;

void bind_batch(pybind11::module_& m, const OptionsFactory& options_of);

}  // namespace herscan::python
