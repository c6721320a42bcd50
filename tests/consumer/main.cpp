// Profiles one file through the installed library and prints its spectral centroid.
#include <cstdio>

#include "herscan/json.h"
#include "herscan/profile.h"
#include "herscan/version.h"

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  const herscan::Profile profile = herscan::analyze_file(argv[1]);
  if (!profile.spectral || profile.spectral->frames < 1) return 1;
  std::printf("herscan %s: %s centroid %.1f Hz\n", herscan::version_string, argv[1],
              profile.spectral->centroid_hz.mean);
  return herscan::to_json(profile).contains("spectral") ? 0 : 1;
}
