#include "herscan/profile.h"

#include <chrono>
#include <cmath>
#include <optional>
#include <string>

#include "herscan/bars.h"
#include "herscan/beat_net.h"
#include "herscan/error.h"
#include "herscan/version.h"

namespace herscan {
namespace {

struct FeatureName {
  Feature feature;
  const char* name;
};
constexpr FeatureName kFeatureNames[] = {
    {Feature::loudness, "loudness"}, {Feature::spectral, "spectral"}, {Feature::mfcc, "mfcc"},
    {Feature::key, "key"},           {Feature::chroma, "chroma"},     {Feature::tempo, "tempo"},
    {Feature::beats, "beats"},
};

}  // namespace

FeatureSet FeatureSet::summaries() {
  FeatureSet s = all();
  s.bits_ &= ~unsigned(Feature::beats);
  return s;
}

FeatureSet FeatureSet::all() {
  FeatureSet s;
  for (const auto& f : kFeatureNames) s.add(f.feature);
  return s;
}

const std::vector<std::string>& FeatureSet::known_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v;
    for (const auto& f : kFeatureNames) v.emplace_back(f.name);
    return v;
  }();
  return names;
}

FeatureSet FeatureSet::parse(std::string_view list) {
  FeatureSet set;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    std::string_view item = list.substr(pos, comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) {
      bool found = false;
      for (const auto& f : kFeatureNames) {
        if (item == f.name) {
          set.add(f.feature);
          found = true;
        }
      }
      if (!found) {
        std::string valid;
        for (const auto& name : known_names()) valid += (valid.empty() ? "" : ", ") + name;
        throw Error(ErrorCode::invalid_argument,
                    "unknown feature '" + std::string(item) + "' (valid: " + valid + ")");
      }
    }
    pos = comma + 1;
  }
  if (set.empty()) throw Error(ErrorCode::invalid_argument, "the feature list is empty");
  return set;
}

std::vector<std::string> FeatureSet::names() const {
  std::vector<std::string> v;
  for (const auto& f : kFeatureNames)
    if (has(f.feature)) v.emplace_back(f.name);
  return v;
}

void ProfileOptions::validate() const {
  if (!(analysis_rate_hz >= 1000 && analysis_rate_hz <= 384000))
    throw Error(ErrorCode::invalid_argument,
                "ProfileOptions.analysis_rate_hz must be in 1000..384000, got " +
                    std::to_string(analysis_rate_hz));
  if (block_frames < 1 || block_frames > (1u << 20))
    throw Error(
        ErrorCode::invalid_argument,
        "ProfileOptions.block_frames must be in 1..1048576, got " + std::to_string(block_frames));
  if (features.empty())
    throw Error(ErrorCode::invalid_argument, "ProfileOptions.features is empty");
  StftConfig stft_at_rate = stft;
  stft_at_rate.sample_rate_hz = analysis_rate_hz;
  stft_at_rate.validate();
  mel.validate(analysis_rate_hz);
  tempo.validate();
  mfcc.validate(mel.n_mels);
  if (frames_mel && !frames)
    throw Error(ErrorCode::invalid_argument, "ProfileOptions.frames_mel needs frames");
}

double minimum_duration_s(const ProfileOptions& options) {
  return double(options.stft.n_fft) / options.analysis_rate_hz;
}

namespace {

Profile analyze(AudioFileReader& reader, const ProfileOptions& options,
                std::chrono::steady_clock::time_point started);

}  // namespace

Profile analyze_file(const std::filesystem::path& path, const ProfileOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  options.validate();
  AudioFileReader reader(path, ReadOptions{.strict = options.strict});
  return analyze(reader, options, started);
}

Profile analyze(AudioFileReader& reader, const ProfileOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  options.validate();
  return analyze(reader, options, started);
}

namespace {

Profile analyze(AudioFileReader& reader, const ProfileOptions& options,
                std::chrono::steady_clock::time_point started) {
  const std::filesystem::path& path = reader.path();
  const AudioInfo& info = reader.info();
  const int channels = info.channels;

  StftConfig stft_config = options.stft;
  stft_config.sample_rate_hz = options.analysis_rate_hz;
  const bool want_tonal =
      options.features.has(Feature::key) || options.features.has(Feature::chroma);
  const bool want_tempo =
      options.features.has(Feature::tempo) || options.features.has(Feature::beats);
  const bool need_analysis_signal = options.features.has(Feature::spectral) ||
                                    options.features.has(Feature::mfcc) || options.frames_mel ||
                                    want_tonal || want_tempo;

  // Native-rate processors see the decoded interleaved blocks.
  std::optional<LoudnessMeter> loudness;
  if (options.features.has(Feature::loudness)) {
    LoudnessConfig lc;
    lc.sample_rate_hz = info.sample_rate_hz;
    lc.channels = channels;
    lc.layout = info.layout;
    lc.true_peak = options.true_peak;
    lc.keep_series = options.frames;
    loudness.emplace(lc);
  }

  // The analysis chain: downmix → resample → STFT → frame consumers.
  std::optional<Stft> stft;
  std::optional<SpectralProcessor> spectral;
  std::optional<MelProcessor> mel;
  std::optional<MelProcessor> onset_mel;  // the onset envelope when `mel` has other settings
  std::optional<TonalProcessor> tonal;
  std::optional<Resampler> resampler;
  if (need_analysis_signal) {
    stft.emplace(stft_config);
    if (options.features.has(Feature::spectral)) {
      SpectralConfig sc;
      sc.keep_frames = options.frames;
      spectral.emplace(stft_config, sc);
      stft->add_consumer(*spectral);
    }
    // The onset envelope is librosa's: the flux of the default (Slaney, 128-band) mel
    // spectrogram. It shares the MFCC's mel processor when that has the default settings.
    const MelConfig default_mel;
    const bool mel_is_default =
        options.mel.n_mels == default_mel.n_mels && options.mel.fmin_hz == default_mel.fmin_hz &&
        options.mel.fmax_hz == default_mel.fmax_hz && options.mel.htk == default_mel.htk &&
        options.mel.slaney_norm == default_mel.slaney_norm;
    if (options.features.has(Feature::mfcc) || options.frames_mel) {
      const MelProcessor::Keep keep{.mel_db = options.frames && options.frames_mel,
                                    .mfcc = options.frames && options.features.has(Feature::mfcc),
                                    .onset = want_tempo && mel_is_default,
                                    .beat_features = want_tempo && mel_is_default};
      mel.emplace(stft_config, options.mel, options.mfcc, keep);
      stft->add_consumer(*mel);
    }
    if (want_tempo && !(mel && mel_is_default)) {
      onset_mel.emplace(
          stft_config, default_mel, options.mfcc,
          MelKeep{.mel_db = false, .mfcc = false, .onset = true, .beat_features = true});
      stft->add_consumer(*onset_mel);
    }
    if (want_tonal) {
      TonalConfig tc;
      tc.key_profile = options.key_profile;
      tc.want_key = options.features.has(Feature::key);
      tc.want_chroma = options.features.has(Feature::chroma);
      tc.keep_chroma_frames = options.frames && tc.want_chroma;
      tonal.emplace(stft_config, tc);
      stft->add_consumer(*tonal);
    }
    resampler.emplace(
        ResamplerConfig{info.sample_rate_hz, options.analysis_rate_hz, options.resample_quality},
        [&](std::span<const float> out) { stft->push(out); });
  }

  ContentChecker content(info.sample_rate_hz, channels);
  std::vector<float> block(options.block_frames * std::size_t(channels));
  std::vector<float> mono(need_analysis_signal ? options.block_frames : 0);
  for (;;) {
    const std::size_t got = reader.read(block.data(), options.block_frames);
    if (got == 0) break;
    content.push(block.data(), got);
    if (options.on_samples)
      options.on_samples(std::span<const float>(block.data(), got * std::size_t(channels)));
    if (loudness) loudness->push(block.data(), got);
    if (resampler) {
      downmix_mean(block.data(), got, channels, mono.data());
      resampler->push(std::span<const float>(mono.data(), got));
    }
  }

  const std::int64_t decoded = reader.frames_read();
  const double duration_s = double(decoded) / info.sample_rate_hz;
  Profile profile;
  profile.analysis.resampler =
      resampler ? resampler->description() : "none (no analysis-rate feature requested)";
  std::string too_short;
  if (need_analysis_signal && duration_s < minimum_duration_s(options)) {
    // A degenerate profile: statistics over frames that are mostly padding would describe the
    // padding, so every block that needs the analysis frames is null, with the reason.
    char msg[192];
    std::snprintf(msg, sizeof msg,
                  "too short: %.4f s (%lld frames); the frame-based features need at least "
                  "%.4f s, one %zu-sample frame at %g Hz",
                  duration_s, static_cast<long long>(decoded), minimum_duration_s(options),
                  options.stft.n_fft, options.analysis_rate_hz);
    const std::pair<const char*, bool> blocks[] = {
        {"spectral", options.features.has(Feature::spectral)},
        {"mfcc", options.features.has(Feature::mfcc)},
        {"key", options.features.has(Feature::key)},
        {"chroma", options.features.has(Feature::chroma)},
        {"tempo", want_tempo}};
    for (const auto& [name, requested] : blocks)
      if (requested) profile.undefined[name] = msg;
    too_short = msg;
    resampler.reset();  // its callback feeds the STFT
    stft.reset();
    spectral.reset();
    mel.reset();
    onset_mel.reset();
    tonal.reset();
  }

  if (loudness) loudness->finish();
  if (resampler) resampler->finish();
  if (stft) stft->finish();

  profile.file = path.string();
  profile.format = info;
  profile.format.frames = decoded;  // what was actually decoded (MP3 headers only estimate)
  profile.tags = reader.tags();
  profile.warnings = reader.warnings();
  if (!too_short.empty()) profile.warnings.push_back({WarningCode::too_short, too_short});
  for (auto& note : content.finish()) profile.warnings.push_back(std::move(note));
  if (loudness) profile.loudness = loudness->result();
  if (spectral) profile.spectral = spectral->summary();
  if (mel && options.features.has(Feature::mfcc)) profile.mfcc = mel->mfcc_summary();
  if (tonal) profile.tonal = tonal->result();
  const MelProcessor* onsets = onset_mel ? &*onset_mel : mel ? &*mel : nullptr;
  if (want_tempo && onsets) {
    // The beats (and through them the refined BPM) come from the beat network's activation.
    const double frame_rate = options.analysis_rate_hz / double(options.stft.hop_frames);
    const auto activation = beat_activation(onsets->beat_features());
    profile.tempo = analyze_tempo(onsets->onset_mean(), frame_rate, options.tempo,
                                  options.features.has(Feature::beats), options.frames, activation);
    profile.tempo_beats = options.features.has(Feature::beats);
    if (profile.tempo_beats) {  // the bars over those beats, from the downbeat network
      profile.tempo->bars =
          track_bars(profile.tempo->beats_s,
                     beat_activation(onsets->beat_features(), default_downbeat_net()), frame_rate);
    }
  }
  profile.key_profile = options.key_profile;
  if (options.frames) {
    profile.frames = Profile::Frames{};  // not emplace(): clang 14 rejects it for this nested type
    Profile::Frames& f = *profile.frames;
    if (stft) f.stft_frames = std::size_t(stft->frames_emitted());
    if (spectral) {
      f.spectral = spectral->frames();
      f.contrast_db = spectral->contrast_db();
      f.contrast_width = profile.spectral->contrast_db.size();
    }
    if (mel) {
      f.mfcc = mel->mfcc();
      f.mfcc_width = options.mfcc.n_mfcc;
      f.mel_db = mel->mel_db();
      f.mel_width = options.mel.n_mels;
    }
    if (tonal) f.chroma = tonal->result().chroma_frames;
    if (want_tempo && onsets) {
      f.onset_strength = onsets->onset_mean();
      f.tempo_bpm = profile.tempo->local_bpm;
    }
  }

  AnalysisInfo& a = profile.analysis;
  a.version = version_string;
  a.analysis_rate_hz = options.analysis_rate_hz;
  a.n_fft = options.stft.n_fft;
  a.hop_frames = options.stft.hop_frames;
  a.window = "hann (periodic)";
  a.mel_scale = options.mel.htk ? "htk" : "slaney";
  a.features = options.features.names();
  a.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return profile;
}
}  // namespace

void stream_analysis_signal(const std::filesystem::path& path, double rate_hz,
                            const std::function<void(std::span<const float>)>& sink,
                            ResampleQuality quality, const ReadOptions& read_options) {
  AudioFileReader reader(path, read_options);
  const int channels = reader.info().channels;
  Resampler resampler({reader.info().sample_rate_hz, rate_hz, quality}, sink);
  constexpr std::size_t kBlock = 8192;
  std::vector<float> block(kBlock * std::size_t(channels)), mono(kBlock);
  while (const std::size_t got = reader.read(block.data(), kBlock)) {
    downmix_mean(block.data(), got, channels, mono.data());
    resampler.push(std::span<const float>(mono.data(), got));
  }
  resampler.finish();
}

}  // namespace herscan
