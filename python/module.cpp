// herscan for Python (pybind11): the profile as the CLI writes it (a dict with the same keys and
// values), frame series as numpy arrays, audio already in memory, the streaming processors, and
// herscan's errors as Python exceptions. The GIL is released while audio is analysed.
// docs/python.md.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "batch.h"
#include "herscan/chroma.h"
#include "herscan/error.h"
#include "herscan/json.h"
#include "herscan/key.h"
#include "herscan/loudness.h"
#include "herscan/mel.h"
#include "herscan/profile.h"
#include "herscan/stft.h"
#include "herscan/version.h"
#include "paths.h"

namespace py = pybind11;
using json = nlohmann::ordered_json;

namespace {

// ---- Errors: one Python class per family, each carrying the record's `code`.
struct Exceptions {
  py::object base, decode, unsupported, not_found, invalid;
};
Exceptions& exceptions() {
  static Exceptions& e =
      *new Exceptions;  // never destroyed: Python objects must not outlive Python
  return e;
}

py::object exception_for(herscan::ErrorCode code) {
  using C = herscan::ErrorCode;
  const Exceptions& e = exceptions();
  switch (code) {
    case C::not_found:
    case C::not_a_file:
    case C::unreadable:
      return e.not_found;
    case C::not_audio:
    case C::no_audio_stream:
    case C::encrypted:
    case C::unsupported_codec:
      return e.unsupported;
    case C::empty_file:
    case C::empty_stream:
    case C::invalid_format:
    case C::truncated:
    case C::non_finite:
      return e.decode;
    case C::invalid_argument:
      return e.invalid;
    default:
      return e.base;
  }
}

// herscan::Error thrown anywhere below becomes this Python exception (the translator
// registered in the module).
void set_python_error(const herscan::Error& error) {
  py::object type = exception_for(error.code());
  py::object instance = type(herscan::valid_utf8(error.what()));  // names need not be UTF-8
  instance.attr("code") = std::string(herscan::error_code_name(error.code()));
  PyErr_SetObject(type.ptr(), instance.ptr());
}

// ---- JSON (nlohmann) to Python objects, key order kept.
py::object to_python(const json& j) {
  switch (j.type()) {
    case json::value_t::null:
      return py::none();
    case json::value_t::boolean:
      return py::bool_(j.get<bool>());
    case json::value_t::number_integer:
      return py::int_(j.get<std::int64_t>());
    case json::value_t::number_unsigned:
      return py::int_(j.get<std::uint64_t>());
    case json::value_t::number_float:
      return py::float_(j.get<double>());
    case json::value_t::string:
      return py::str(j.get_ref<const std::string&>());
    case json::value_t::array: {
      py::list list(j.size());
      for (std::size_t i = 0; i < j.size(); ++i) list[i] = to_python(j[i]);
      return list;
    }
    case json::value_t::object: {
      py::dict dict;
      for (const auto& [key, value] : j.items()) dict[py::str(key)] = to_python(value);
      return dict;
    }
    default:
      return py::none();
  }
}

// ---- numpy arrays over a vector's memory: the vector is moved into a capsule that owns it.
py::array_t<float> array_of(std::vector<float>&& values, std::size_t width) {
  auto* owner = new std::vector<float>(std::move(values));
  py::capsule free(owner, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  const auto n = static_cast<py::ssize_t>(owner->size());
  if (width == 0) return py::array_t<float>({n}, {sizeof(float)}, owner->data(), free);
  const auto w = static_cast<py::ssize_t>(width);
  return py::array_t<float>({n / w, w},
                            {w * py::ssize_t(sizeof(float)), py::ssize_t(sizeof(float))},
                            owner->data(), free);
}

// The frame series of a profile as numpy float32 arrays, named as in the JSON `frames` block:
// zero-copy for the series the library keeps as float arrays, one copy for the per-frame
// spectral fields (kept as structs of doubles) and the time axes (computed).
py::dict frames_of(herscan::Profile& p) {
  py::dict out;
  auto& f = *p.frames;
  if (f.stft_frames > 0) {
    std::vector<float> time(f.stft_frames);
    for (std::size_t t = 0; t < f.stft_frames; ++t)
      time[t] = float(double(t) * double(p.analysis.hop_frames) / p.analysis.analysis_rate_hz);
    out["time_s"] = array_of(std::move(time), 0);
  }
  if (p.spectral) {
    auto column = [&](double herscan::SpectralFrame::*field) {
      std::vector<float> v;
      v.reserve(f.spectral.size());
      for (const auto& frame : f.spectral) v.push_back(float(frame.*field));
      return array_of(std::move(v), 0);
    };
    out["centroid_hz"] = column(&herscan::SpectralFrame::centroid_hz);
    out["bandwidth_hz"] = column(&herscan::SpectralFrame::bandwidth_hz);
    out["rolloff_hz"] = column(&herscan::SpectralFrame::rolloff_hz);
    out["flatness"] = column(&herscan::SpectralFrame::flatness);
    out["flux"] = column(&herscan::SpectralFrame::flux);
    out["zero_crossing_rate"] = column(&herscan::SpectralFrame::zero_crossing_rate);
    out["rms"] = column(&herscan::SpectralFrame::rms);
    out["contrast_db"] = array_of(std::move(f.contrast_db), f.contrast_width);
  }
  if (f.mfcc_width && !f.mfcc.empty()) out["mfcc"] = array_of(std::move(f.mfcc), f.mfcc_width);
  if (f.mel_width && !f.mel_db.empty()) out["mel_db"] = array_of(std::move(f.mel_db), f.mel_width);
  if (!f.chroma.empty()) out["chroma"] = array_of(std::move(f.chroma), 12);
  if (!f.onset_strength.empty()) out["onset_strength"] = array_of(std::move(f.onset_strength), 0);
  if (!f.tempo_bpm.empty()) out["tempo_bpm"] = array_of(std::move(f.tempo_bpm), 0);
  if (p.loudness) {
    const std::size_t n = p.loudness->momentary_series_lufs.size();
    std::vector<float> time(n);
    for (std::size_t i = 0; i < n; ++i) time[i] = float(double(i + 1) * 0.1);
    out["loudness_time_s"] = array_of(std::move(time), 0);
    out["momentary_lufs"] = array_of(std::move(p.loudness->momentary_series_lufs), 0);
    out["short_term_lufs"] = array_of(std::move(p.loudness->short_term_series_lufs), 0);
  }
  return out;
}

herscan::ProfileOptions options_of(const py::object& features, const py::object& frames,
                                   const std::string& key_profile, bool strict) {
  herscan::ProfileOptions o;
  if (!features.is_none()) {
    std::string list;
    if (py::isinstance<py::str>(features)) {
      list = features.cast<std::string>();
    } else {
      for (const auto& name : features)
        list += (list.empty() ? "" : ",") + name.cast<std::string>();
    }
    o.features = herscan::FeatureSet::parse(list);
  }
  if (py::isinstance<py::str>(frames)) {
    if (frames.cast<std::string>() != "mel")
      throw herscan::Error(
          herscan::ErrorCode::invalid_argument,
          "frames must be False, True or \"mel\", got \"" + frames.cast<std::string>() + "\"");
    o.frames = o.frames_mel = true;
  } else {
    o.frames = frames.cast<bool>();
  }
  const auto profile = herscan::parse_key_profile(key_profile);
  if (!profile)
    throw herscan::Error(herscan::ErrorCode::invalid_argument,
                         "unknown key_profile \"" + key_profile +
                             "\" (herscan, krumhansl, temperley, edma, shaath)");
  o.key_profile = *profile;
  o.strict = strict;
  o.validate();
  return o;
}

// The profile as the CLI writes it (to_json), frames as arrays instead of lists.
py::dict profile_dict(herscan::Profile& profile, const herscan::ProfileOptions& options) {
  json j = herscan::to_json(profile);
  j.erase("frames");
  py::dict out = to_python(j);
  if (options.frames && profile.frames) out["frames"] = frames_of(profile);
  return out;
}

py::dict analyze(const py::object& path_object, const py::object& features,
                 const py::object& frames, const std::string& key_profile, bool strict) {
  const std::string path = herscan::python::fs_bytes(path_object);
  const auto options = options_of(features, frames, key_profile, strict);
  herscan::Profile profile;
  {
    py::gil_scoped_release release;
    profile = herscan::analyze_file(path, options);
  }
  return profile_dict(profile, options);
}

// ---- Audio in memory: written as a 32-bit float WAV in memory and analysed through the reader
// of files in memory, so a numpy array and a file with the same samples give the same profile.
void put_u16(std::string& b, unsigned v) {
  b += char(v & 255), b += char((v >> 8) & 255);
}
void put_u32(std::string& b, std::uint32_t v) {
  for (int k = 0; k < 4; ++k) b += char((v >> (8 * k)) & 255);
}

std::string float_wav(const float* interleaved, std::size_t frames, int channels, int rate) {
  const std::uint64_t data_bytes = std::uint64_t(frames) * std::uint64_t(channels) * 4;
  if (data_bytes > 0xFFFFFF00ull - 80)
    throw herscan::Error(herscan::ErrorCode::invalid_argument,
                         "analyze_array: more than 4 GB of samples (analyse a file instead)");
  std::string b;
  b.reserve(80 + data_bytes);
  const bool extensible = channels > 2;  // WAVE_FORMAT_EXTENSIBLE for more than two channels
  b += "RIFF";
  put_u32(b, std::uint32_t(4 + (extensible ? 48 : 26) + 8 + data_bytes));
  b += "WAVEfmt ";
  put_u32(b, extensible ? 40 : 18);
  put_u16(b, extensible ? 0xFFFE : 3);  // IEEE float
  put_u16(b, unsigned(channels));
  put_u32(b, std::uint32_t(rate));
  put_u32(b, std::uint32_t(rate) * std::uint32_t(channels) * 4);
  put_u16(b, unsigned(channels) * 4);
  put_u16(b, 32);
  put_u16(b, extensible ? 22 : 0);
  if (extensible) {
    put_u16(b, 32);
    put_u32(b, 0);  // no channel mask: the default layout for the count
    // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT
    const unsigned char guid[16] = {0x03, 0, 0, 0,    0, 0,    0x10, 0,
                                    0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71};
    b.append(reinterpret_cast<const char*>(guid), 16);
  }
  b += "data";
  put_u32(b, std::uint32_t(data_bytes));
  b.append(reinterpret_cast<const char*>(interleaved), data_bytes);
  return b;
}

py::dict analyze_array(py::array samples, double sample_rate, const std::string& layout,
                       const py::object& features, const py::object& frames,
                       const std::string& key_profile, const std::string& name) {
  {
    if (!(sample_rate >= 1000 && sample_rate <= herscan::kMaxSampleRateHz) ||
        sample_rate != std::floor(sample_rate))
      throw herscan::Error(
          herscan::ErrorCode::invalid_argument,
          "analyze_array: sample_rate must be a whole number of Hz in 1000..768000");
    auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(samples);
    if (!a) throw py::type_error("analyze_array: samples must be a numeric array");
    std::size_t channels = 1, frames_n = 0;
    bool channels_first = true;
    if (a.ndim() == 1) {
      frames_n = std::size_t(a.shape(0));
    } else if (a.ndim() == 2) {
      if (layout == "channels_first") {
        channels = std::size_t(a.shape(0)), frames_n = std::size_t(a.shape(1));
      } else if (layout == "channels_last") {
        channels_first = false;
        channels = std::size_t(a.shape(1)), frames_n = std::size_t(a.shape(0));
      } else {
        throw herscan::Error(herscan::ErrorCode::invalid_argument,
                             "analyze_array: layout must be \"channels_first\" (librosa's "
                             "(channels, n)) or \"channels_last\" (soundfile's (n, channels))");
      }
      if (channels < 1 || channels > 64)
        throw herscan::Error(herscan::ErrorCode::invalid_argument,
                             "analyze_array: " + std::to_string(channels) +
                                 " channels with layout=\"" + layout + "\" (1..64)" +
                                 (channels > 64 && layout == "channels_first"
                                      ? "; an (n, channels) array needs layout=\"channels_last\""
                                      : ""));
    } else {
      throw herscan::Error(herscan::ErrorCode::invalid_argument,
                           "analyze_array: samples must be 1-D (mono) or 2-D, got " +
                               std::to_string(a.ndim()) + " dimensions");
    }
    const auto options = options_of(features, frames, key_profile, false);
    const float* data = a.data();
    herscan::Profile profile;
    {
      py::gil_scoped_release release;
      std::vector<float> interleaved;
      if (channels > 1 && channels_first) {
        interleaved.resize(frames_n * channels);
        for (std::size_t c = 0; c < channels; ++c)
          for (std::size_t i = 0; i < frames_n; ++i)
            interleaved[i * channels + c] = data[c * frames_n + i];
        data = interleaved.data();
      }
      const std::string wav = float_wav(data, frames_n, int(channels), int(sample_rate));
      herscan::AudioFileReader reader(
          std::span(reinterpret_cast<const std::byte*>(wav.data()), wav.size()), name);
      profile = herscan::analyze(reader, options);
    }
    py::dict out = profile_dict(profile, options);
    // The format block describes the array, not the WAV it travelled in.
    py::dict format = out["format"];
    format["decoder"] = "numpy";
    format["container"] = "array";
    format["codec"] = "float32";
    format["bit_depth"] = py::none();
    return out;
  }
}

// ---- Streaming processors.
std::vector<float> as_floats(py::array block, std::size_t& frames, int channels) {
  auto a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(block);
  if (!a) throw py::type_error("block must be a numeric array");
  if (channels == 1 && a.ndim() == 1) {
    frames = std::size_t(a.shape(0));
  } else if (a.ndim() == 2 && a.shape(1) == channels) {
    frames = std::size_t(a.shape(0));
  } else {
    throw py::value_error(
        "block must be (n,) for one channel or (n, channels) interleaved, with "
        "channels = " +
        std::to_string(channels));
  }
  return std::vector<float>(a.data(), a.data() + frames * std::size_t(channels));
}

class PyLoudnessMeter {
 public:
  PyLoudnessMeter(double sample_rate, int channels, bool true_peak, bool series) {
    herscan::LoudnessConfig c;
    c.sample_rate_hz = sample_rate, c.channels = channels, c.true_peak = true_peak;
    c.keep_series = series;
    c.validate();
    meter_ = std::make_unique<herscan::LoudnessMeter>(c);
    channels_ = channels;
  }
  void process(py::array block) {
    if (finished_) throw py::value_error("process() after result()");
    std::size_t frames = 0;
    const auto samples = as_floats(block, frames, channels_);
    py::gil_scoped_release release;
    meter_->push(samples.data(), frames);
  }
  py::dict result() {
    if (!finished_) meter_->finish(), finished_ = true;
    const herscan::LoudnessResult& r = meter_->result();
    py::dict out = to_python(herscan::to_json(r));
    if (!r.momentary_series_lufs.empty()) {
      out["momentary_lufs"] = py::array_t<float>(py::ssize_t(r.momentary_series_lufs.size()),
                                                 r.momentary_series_lufs.data());
      out["short_term_lufs"] = py::array_t<float>(py::ssize_t(r.short_term_series_lufs.size()),
                                                  r.short_term_series_lufs.data());
    }
    return out;
  }

 private:
  std::unique_ptr<herscan::LoudnessMeter> meter_;
  int channels_ = 1;
  bool finished_ = false;
};

// A consumer that keeps each frame's magnitude spectrum.
class KeepMagnitude : public herscan::FrameConsumer {
 public:
  void consume(const herscan::StftFrame& frame) override {
    pending.insert(pending.end(), frame.magnitude.begin(), frame.magnitude.end());
  }
  std::vector<float> pending;
};

herscan::StftConfig stft_config(double sample_rate, std::size_t n_fft, std::size_t hop) {
  herscan::StftConfig c;
  c.sample_rate_hz = sample_rate, c.n_fft = n_fft, c.hop_frames = hop;
  c.validate();
  return c;
}

class PyStft {
 public:
  PyStft(double sample_rate, std::size_t n_fft, std::size_t hop) {
    stft_ = std::make_unique<herscan::Stft>(stft_config(sample_rate, n_fft, hop));
    stft_->add_consumer(keep_);
    bins_ = n_fft / 2 + 1;
  }
  // The magnitude frames this block completes: (frames, n_fft / 2 + 1).
  py::array_t<float> process(py::array block) {
    if (finished_) throw py::value_error("process() after finish()");
    std::size_t frames = 0;
    const auto samples = as_floats(block, frames, 1);
    {
      py::gil_scoped_release release;
      stft_->push(samples);
    }
    return take();
  }
  // The remaining frames (those reaching into the end padding).
  py::array_t<float> finish() {
    if (!finished_) stft_->finish(), finished_ = true;
    return take();
  }

 private:
  py::array_t<float> take() {
    std::vector<float> out;
    out.swap(keep_.pending);
    if (out.empty()) return py::array_t<float>(std::vector<py::ssize_t>{0, py::ssize_t(bins_)});
    return array_of(std::move(out), bins_);
  }
  std::unique_ptr<herscan::Stft> stft_;
  KeepMagnitude keep_;
  std::size_t bins_ = 0;
  bool finished_ = false;
};

// Processors that consume STFT frames: an Stft of their own, fed by process(), results after
// result().
template <class Processor>
class Chained {
 public:
  void process(py::array block) {
    if (finished_) throw py::value_error("process() after result()");
    std::size_t frames = 0;
    const auto samples = as_floats(block, frames, 1);
    py::gil_scoped_release release;
    stft_->push(samples);
  }

 protected:
  void finish() {
    if (!finished_) stft_->finish(), finished_ = true;
  }
  std::unique_ptr<herscan::Stft> stft_;
  std::unique_ptr<Processor> processor_;
  bool finished_ = false;
};

class PyMel : public Chained<herscan::MelProcessor> {
 public:
  PyMel(double sample_rate, std::size_t n_fft, std::size_t hop, std::size_t n_mels, bool htk,
        std::size_t n_mfcc) {
    {
      const auto stft = stft_config(sample_rate, n_fft, hop);
      herscan::MelConfig mel;
      mel.n_mels = n_mels, mel.htk = htk;
      mel.validate(sample_rate);
      herscan::MfccConfig mfcc;
      mfcc.n_mfcc = n_mfcc;
      stft_ = std::make_unique<herscan::Stft>(stft);
      processor_ = std::make_unique<herscan::MelProcessor>(
          stft, mel, mfcc, herscan::MelProcessor::Keep{.mel_db = true, .mfcc = true});
      stft_->add_consumer(*processor_);
      n_mels_ = n_mels, n_mfcc_ = n_mfcc;
    }
  }
  py::dict result() {
    finish();
    py::dict out;
    auto mel = processor_->mel_db();
    auto mf = processor_->mfcc();
    out["mel_db"] = array_of(std::move(mel), n_mels_);
    out["mfcc"] = array_of(std::move(mf), n_mfcc_);
    return out;
  }

 private:
  std::size_t n_mels_ = 0, n_mfcc_ = 0;
};

class PyChroma : public Chained<herscan::TonalProcessor> {
 public:
  PyChroma(double sample_rate, std::size_t n_fft, std::size_t hop, const std::string& key_profile) {
    {
      const auto stft = stft_config(sample_rate, n_fft, hop);
      herscan::TonalConfig config;
      const auto profile = herscan::parse_key_profile(key_profile);
      if (!profile)
        throw herscan::Error(herscan::ErrorCode::invalid_argument,
                             "unknown key_profile \"" + key_profile + "\"");
      config.key_profile = *profile;
      config.keep_chroma_frames = true;
      stft_ = std::make_unique<herscan::Stft>(stft);
      processor_ = std::make_unique<herscan::TonalProcessor>(stft, config);
      stft_->add_consumer(*processor_);
    }
  }
  py::dict result() {
    finish();
    const herscan::TonalResult& r = processor_->result();
    py::dict out;
    auto frames = r.chroma_frames;
    out["chroma"] = array_of(std::move(frames), 12);
    out["tuning_semitones"] = r.tuning_semitones;
    if (r.key.defined) {
      py::dict key;
      key["tonic"] = herscan::tonic_name(r.key.tonic);
      key["mode"] = r.key.minor ? "minor" : "major";
      key["camelot"] = herscan::camelot(r.key.tonic, r.key.minor);
      key["strength"] = r.key.strength;
      key["confidence"] = r.key.confidence;
      out["key"] = key;
    } else {
      out["key"] = py::none();
    }
    return out;
  }
};

}  // namespace

PYBIND11_MODULE(_herscan, m) {
  m.doc() = "herscan: fast, accurate audio analysis for music (docs/python.md)";
  m.attr("__version__") = HERSCAN_VERSION_STRING;

  Exceptions& e = exceptions();
  e.base = py::reinterpret_borrow<py::object>(PyErr_NewExceptionWithDoc(
      "herscan.HerscanError", "An error of herscan's; .code is the error record's code.",
      PyExc_RuntimeError, nullptr));
  auto sub = [&](const char* name, const char* doc, PyObject* also) {
    py::tuple bases = also ? py::make_tuple(e.base, py::handle(also)) : py::make_tuple(e.base);
    return py::reinterpret_steal<py::object>(
        PyErr_NewExceptionWithDoc(name, doc, bases.ptr(), nullptr));
  };
  e.decode = sub("herscan.DecodeError",
                 "The file is audio but does not decode (truncated, invalid header, empty, no "
                 "finite sample).",
                 nullptr);
  e.unsupported = sub("herscan.UnsupportedFormat",
                      "Not an audio format herscan reads (or no audio stream, an unsupported "
                      "codec, encrypted audio).",
                      nullptr);
  e.not_found =
      sub("herscan.FileNotFound", "The path does not exist, is not a file, or cannot be read.",
          PyExc_FileNotFoundError);
  e.invalid = sub("herscan.InvalidArgument", "A parameter out of range.", PyExc_ValueError);
  m.attr("HerscanError") = e.base;
  m.attr("DecodeError") = e.decode;
  m.attr("UnsupportedFormat") = e.unsupported;
  m.attr("FileNotFound") = e.not_found;
  m.attr("InvalidArgument") = e.invalid;
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const herscan::Error& error) {
      set_python_error(error);
    }
  });
#ifdef HERSCAN_PYTHON_BATCH
  herscan::python::bind_batch(m, &options_of);
#endif

  m.def("analyze", &analyze, py::arg("path"), py::arg("features") = py::none(),
        py::arg("frames") = false, py::arg("key_profile") = "herscan", py::arg("strict") = false,
        R"(The profile of an audio file, as `herscan FILE` writes it: a dict with the CLI's keys
and values. features: None (every summary) or names ("loudness,tempo" or a list; "beats" adds
the beat times and bars). frames: False, True (frame series) or "mel" (also the mel spectrogram):
frames["..."] are numpy float32 arrays, (n_frames,) or (n_frames, n_bins). Raises
herscan.FileNotFound, UnsupportedFormat, DecodeError or InvalidArgument (each with .code).
path: str, bytes or os.PathLike. The GIL is released during the analysis: threads analyse files in
parallel.)");
  m.def("analyze_array", &analyze_array, py::arg("samples"), py::arg("sample_rate"),
        py::arg("layout") = "channels_first", py::arg("features") = py::none(),
        py::arg("frames") = false, py::arg("key_profile") = "herscan", py::arg("name") = "<array>",
        R"(The profile of audio in memory: samples 1-D (mono) or 2-D, (channels, n) with
layout="channels_first" (librosa's, the default) or (n, channels) with "channels_last"
(soundfile's); any numeric dtype, converted to float32 (full scale ±1). The same profile as
analyze() on a file with these samples, except `format` (decoder "numpy", container "array").)");

  py::class_<PyLoudnessMeter>(m, "LoudnessMeter",
                              "EBU R128 / BS.1770-4 loudness, fed block by block.")
      .def(py::init<double, int, bool, bool>(), py::arg("sample_rate"), py::arg("channels") = 1,
           py::arg("true_peak") = true, py::arg("series") = false)
      .def("process", &PyLoudnessMeter::process, py::arg("block"),
           "Feed (n,) mono or (n, channels) samples.")
      .def("result", &PyLoudnessMeter::result,
           "The loudness block as in a profile (with series=True also momentary_lufs and "
           "short_term_lufs every 100 ms). Ends the stream.");
  py::class_<PyStft>(m, "Stft", "Centred STFT with a periodic Hann window (librosa's).")
      .def(py::init<double, std::size_t, std::size_t>(), py::arg("sample_rate") = 22050,
           py::arg("n_fft") = 2048, py::arg("hop") = 512)
      .def("process", &PyStft::process, py::arg("block"),
           "Feed mono samples; returns the magnitude frames they complete, (k, n_fft/2+1).")
      .def("finish", &PyStft::finish, "Ends the stream; returns the last frames.")
      .def("result", &PyStft::finish,
           "As finish() (the name the other processors use): ends the stream, returns the "
           "frames not yet returned.");
  py::class_<PyMel>(m, "Mel", "Mel spectrogram (dB, librosa's power_to_db top_db=80) and MFCC.")
      .def(py::init<double, std::size_t, std::size_t, std::size_t, bool, std::size_t>(),
           py::arg("sample_rate") = 22050, py::arg("n_fft") = 2048, py::arg("hop") = 512,
           py::arg("n_mels") = 128, py::arg("htk") = false, py::arg("n_mfcc") = 20)
      .def("process", &PyMel::process, py::arg("block"), "Feed mono samples.")
      .def("result", &PyMel::result,
           "{'mel_db': (frames, n_mels), 'mfcc': (frames, n_mfcc)}. Ends the stream.");
  py::class_<PyChroma>(m, "Chroma", "Chroma (librosa's chroma_stft), tuning and key.")
      .def(py::init<double, std::size_t, std::size_t, const std::string&>(),
           py::arg("sample_rate") = 22050, py::arg("n_fft") = 2048, py::arg("hop") = 512,
           py::arg("key_profile") = "herscan")
      .def("process", &PyChroma::process, py::arg("block"), "Feed mono samples.")
      .def("result", &PyChroma::result,
           "{'chroma': (frames, 12), 'tuning_semitones', 'key': {...} or None}. Ends the stream.");
}
