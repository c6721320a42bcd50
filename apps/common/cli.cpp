#include "common/cli.h"

namespace herscan::app {

NormalisedArgs::NormalisedArgs(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--") {  // everything after is a path
      for (; i < argc; ++i) args_.emplace_back(argv[i]);
      break;
    }
    if (a == "--frames=mel" ||
        (a == "--frames" && i + 1 < argc && std::string(argv[i + 1]) == "mel")) {
      args_.emplace_back("--frames-mel");
      if (a == "--frames") ++i;
      continue;
    }
    args_.push_back(a);
  }
  for (auto& a : args_) pointers_.push_back(a.data());
}

}  // namespace herscan::app
