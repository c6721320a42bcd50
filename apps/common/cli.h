// Command-line vocabulary shared by herscan's tools.
#pragma once

#include <string>
#include <vector>

namespace herscan::app {

/// The arguments with "--frames mel" and "--frames=mel" rewritten as the hidden flag
/// "--frames-mel", so that `--frames` stays a flag (`herscan --frames track.flac` works) while
/// `herscan --frames mel track.flac` asks for the mel spectrogram too.
class NormalisedArgs {
 public:
  NormalisedArgs(int argc, char** argv);
  int argc() const noexcept { return int(pointers_.size()); }
  char** argv() noexcept { return pointers_.data(); }

 private:
  std::vector<std::string> args_;
  std::vector<char*> pointers_;
};

}  // namespace herscan::app
