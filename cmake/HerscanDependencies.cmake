# Third-party libraries, all from Debian 12 packages (scripts/setup.sh installs them).
# FFTW3 (float), libsndfile and libsoxr ship pkg-config files; nlohmann_json, CLI11 and
# GoogleTest ship CMake packages.
find_package(PkgConfig REQUIRED)
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
pkg_check_modules(FFTW3 REQUIRED IMPORTED_TARGET fftw3)
pkg_check_modules(SNDFILE REQUIRED IMPORTED_TARGET sndfile)
pkg_check_modules(SOXR REQUIRED IMPORTED_TARGET soxr)
# FFmpeg's libraries: the second decoding backend (src/ffmpeg_decoder.cpp), for the formats
# libsndfile does not read (M4A/AAC, ALAC, WMA, APE, WavPack, Matroska, video soundtracks).
option(HERSCAN_FFMPEG "Decode what libsndfile cannot with FFmpeg's libavformat/libavcodec" ON)
if(HERSCAN_FFMPEG)
  pkg_check_modules(FFMPEG REQUIRED IMPORTED_TARGET libavformat libavcodec libavutil)
endif()
# TagLib writes the ReplayGain tags of herscan-loudness --tag (the tools only, not the library).
option(HERSCAN_TAGLIB "Write ReplayGain tags with TagLib (herscan-loudness --tag)" ON)
if(HERSCAN_TAGLIB AND HERSCAN_BUILD_APPS)
  pkg_check_modules(TAGLIB REQUIRED IMPORTED_TARGET taglib)
endif()
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
