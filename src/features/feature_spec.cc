#include "features/feature_spec.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <set>
#include <utility>

namespace strata::features {
namespace {

constexpr std::array<std::pair<FeatureFunction, std::string_view>, 15> kFunctionNames{{
    {FeatureFunction::kMean, "mean"},
    {FeatureFunction::kStd, "std"},
    {FeatureFunction::kMin, "min"},
    {FeatureFunction::kMax, "max"},
    {FeatureFunction::kSlope, "slope"},
    {FeatureFunction::kLast, "last"},
    {FeatureFunction::kDelta, "delta"},
    {FeatureFunction::kRms, "rms"},
    {FeatureFunction::kPeak, "peak"},
    {FeatureFunction::kPeakToPeak, "peak_to_peak"},
    {FeatureFunction::kCrestFactor, "crest_factor"},
    {FeatureFunction::kKurtosis, "kurtosis"},
    {FeatureFunction::kSkewness, "skewness"},
    {FeatureFunction::kBandEnergy, "band_energy"},
    {FeatureFunction::kEnvelopeAmplitude, "envelope_amplitude"},
}};

constexpr std::array<std::pair<BearingDefect, std::string_view>, 4> kDefectNames{{
    {BearingDefect::kBpfo, "bpfo"},
    {BearingDefect::kBpfi, "bpfi"},
    {BearingDefect::kBsf, "bsf"},
    {BearingDefect::kFtf, "ftf"},
}};

std::vector<std::string> FunctionNames() {
  std::vector<std::string> out;
  for (const auto& [f, name] : kFunctionNames) out.emplace_back(name);
  return out;
}

std::vector<std::string> DefectNames() {
  std::vector<std::string> out;
  for (const auto& [d, name] : kDefectNames) out.emplace_back(name);
  return out;
}

// A duration as the largest exact unit, so that it reads back to the same ns.
std::string DurationText(int64_t ns) {
  if (ns % 1'000'000'000 == 0) return fmt::format("{}s", ns / 1'000'000'000);
  if (ns % 1'000'000 == 0) return fmt::format("{}ms", ns / 1'000'000);
  if (ns % 1'000 == 0) return fmt::format("{}us", ns / 1'000);
  return fmt::format("{}ns", ns);
}

// Shortest text that reads back as the same double.
std::string DoubleText(double v) { return fmt::format("{}", v); }

WindowSpec ReadWindow(ConfigNode& node) {
  WindowSpec w;
  if (!node.IsMap())
    node.Fail(
        "window is a mapping: {length: 60s, step: 60s} or {samples: 4096, signal: <waveform "
        "signal>}");
  const bool by_count = node.Has("samples");
  const bool by_time = node.Has("length");
  if (by_count == by_time) {
    node.Fail(
        "a window has either `length` (time window, e.g. {length: 60s, step: 10s}) or "
        "`samples` (count window, e.g. {samples: 4096, signal: bearing_de.accel})");
  }
  if (by_time) {
    w.kind = WindowSpec::Kind::kTime;
    w.length_ns = node.Duration("length");
    if (w.length_ns <= 0) node.Get("length").Fail("length must be > 0");
    w.step_ns = node.Duration("step", w.length_ns);
    if (w.step_ns <= 0 || w.step_ns > w.length_ns) {
      node.Get("step").Fail(
          "step must be > 0 and <= length (step == length: tumbling; step < length: sliding)");
    }
    if (w.length_ns / w.step_ns > 1000) {
      node.Get("step").Fail("at most 1000 overlapping windows (length / step); use a larger step");
    }
    if (node.Has("signal")) {
      node.Get("signal").Fail("signal belongs to count windows ({samples: N, signal: s})");
    }
    return w;
  }
  w.kind = WindowSpec::Kind::kCount;
  w.length_ns = 0;
  w.step_ns = 0;
  w.samples = node.Int("samples");
  if (w.samples <= 0 || w.samples > (int64_t{1} << 24)) {
    node.Get("samples").Fail("samples must be 1..16777216");
  }
  w.step_samples = node.Int("step", w.samples);
  if (w.step_samples <= 0 || w.step_samples > w.samples) {
    node.Get("step").Fail("step (in samples) must be > 0 and <= samples");
  }
  w.count_signal = node.String("signal");
  if (w.count_signal.empty())
    node.Get("signal").Fail("signal must name a signal of the asset type");
  return w;
}

FeatureDef ReadFeature(ConfigNode& node) {
  FeatureDef f;
  ConfigNode name_node = node.Get("name");
  f.name = name_node.AsString();
  if (f.name.empty() || f.name.find_first_of(" \t,\"'") != std::string::npos) {
    name_node.Fail(fmt::format(
        "feature name '{}' must be non-empty, without spaces, commas or quotes", f.name));
  }
  f.signal = node.String("signal");
  const std::string fn = node.Choice("function", FunctionNames(), "");
  if (fn.empty()) node.Get("function");  // required: throws "missing required key"
  f.function = *ParseFeatureFunction(fn);

  const bool is_delta = f.function == FeatureFunction::kDelta;
  const bool is_band = f.function == FeatureFunction::kBandEnergy;
  const bool is_env = f.function == FeatureFunction::kEnvelopeAmplitude;
  auto only = [&](const char* key, bool applies, const char* which) {
    if (!applies && node.Has(key)) {
      node.Get(key).Fail(fmt::format("{} applies to {} only, not to function {}", key, which, fn));
    }
  };
  only("other", is_delta, "delta");
  only("low_hz", is_band || is_env, "band_energy and envelope_amplitude");
  only("high_hz", is_band || is_env, "band_energy and envelope_amplitude");
  only("bearing", is_env, "envelope_amplitude");
  only("defect", is_env, "envelope_amplitude");
  only("tolerance", is_env, "envelope_amplitude");

  if (is_delta) f.other = node.String("other");
  if (is_band) {
    f.low_hz = node.Double("low_hz");
    f.high_hz = node.Double("high_hz");
  }
  if (is_env) {
    f.bearing = node.String("bearing");
    const std::string defect = node.Choice("defect", DefectNames(), "");
    if (defect.empty()) node.Get("defect");
    f.defect = *ParseBearingDefect(defect);
    if (node.Has("low_hz") != node.Has("high_hz")) {
      node.Fail("an envelope band-pass needs both low_hz and high_hz (or neither: whole band)");
    }
    f.low_hz = node.Double("low_hz", 0);
    f.high_hz = node.Double("high_hz", 0);
    f.tolerance = node.Double("tolerance", f.tolerance);
    if (!(f.tolerance > 0 && f.tolerance <= 0.2)) {
      node.Get("tolerance").Fail("tolerance is a fraction of the defect frequency, in (0, 0.2]");
    }
  }
  if (is_band || (is_env && f.high_hz != 0)) {
    if (!(f.low_hz >= 0 && f.high_hz > f.low_hz)) {
      node.Get("high_hz").Fail(
          fmt::format("feature '{}': the band needs 0 <= low_hz < high_hz (Hz)", f.name));
    }
  }
  return f;
}

Status FeatureError(const FeatureSpec& spec, size_t i, const std::string& key,
                    const std::string& message) {
  return InvalidArgumentError(fmt::format("feature spec for '{}': list[{}] '{}': {}: {}",
                                          spec.asset_type, i, spec.features[i].name, key, message));
}

std::string SignalHint(const AssetType& type, const std::string& name) {
  std::vector<std::string> names;
  for (const auto& s : type.signals) names.push_back(s.name);
  const std::string hint = ClosestMatch(name, names);
  return hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint);
}

}  // namespace

std::string_view FeatureFunctionName(FeatureFunction f) {
  for (const auto& [fn, name] : kFunctionNames) {
    if (fn == f) return name;
  }
  return "?";
}

std::optional<FeatureFunction> ParseFeatureFunction(std::string_view name) {
  for (const auto& [fn, n] : kFunctionNames) {
    if (n == name) return fn;
  }
  return std::nullopt;
}

bool IsWaveformFunction(FeatureFunction f) {
  return static_cast<uint8_t>(f) >= static_cast<uint8_t>(FeatureFunction::kRms);
}

std::string_view BearingDefectName(BearingDefect d) {
  for (const auto& [dk, name] : kDefectNames) {
    if (dk == d) return name;
  }
  return "?";
}

std::optional<BearingDefect> ParseBearingDefect(std::string_view name) {
  for (const auto& [dk, n] : kDefectNames) {
    if (n == name) return dk;
  }
  return std::nullopt;
}

std::vector<std::string> FeatureSpec::InputSignals(const AssetType& type) const {
  std::vector<std::string> out;
  auto add = [&](const std::string& s) {
    if (!s.empty() && std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  if (window.kind == WindowSpec::Kind::kCount) add(window.count_signal);
  for (const auto& f : features) {
    add(f.signal);
    add(f.other);
    if (f.function == FeatureFunction::kEnvelopeAmplitude) {
      if (const BearingSpec* b = type.FindBearing(f.bearing)) add(b->speed_signal);
    }
  }
  return out;
}

FeatureSpec ReadFeatureSpec(ConfigNode& node) {
  if (!node.IsMap()) node.Fail("a feature spec is a mapping with asset_type, window and list");
  FeatureSpec spec;
  spec.asset_type = node.String("asset_type");
  ConfigNode window = node.Get("window");
  spec.window = ReadWindow(window);
  ConfigNode list = node.Get("list");
  if (!list.IsSequence())
    list.Fail("list is a sequence of features ({name, signal, function, ...})");
  std::set<std::string> names;
  for (auto& item : list.Elements()) {
    if (!item.IsMap()) item.Fail("a feature is a mapping {name, signal, function, ...}");
    FeatureDef f = ReadFeature(item);
    if (!names.insert(f.name).second) {
      item.Get("name").Fail(
          fmt::format("feature '{}' is declared twice; names must be unique", f.name));
    }
    spec.features.push_back(std::move(f));
  }
  if (spec.features.empty()) list.Fail("a feature spec needs at least one feature");
  return spec;
}

StatusOr<FeatureSpec> LoadFeatureSpecFile(const std::string& path) {
  auto doc = ConfigDocument::LoadFile(path);
  if (!doc.ok()) return doc.status();
  return (*doc)->Read<FeatureSpec>([](ConfigNode& root) {
    ConfigNode features = root.Get("features");
    return ReadFeatureSpec(features);
  });
}

Status CheckFeatureSpec(const FeatureSpec& spec, const AssetType& type) {
  auto check_signal = [&](size_t i, const std::string& key, const std::string& name,
                          std::optional<SignalKind> kind) -> Status {
    const SignalSpec* s = type.FindSignal(name);
    if (s == nullptr) {
      return FeatureError(spec, i, key,
                          fmt::format("asset type '{}' has no signal '{}'{}; name one of its "
                                      "signals (examples/assets.yaml)",
                                      type.name, name, SignalHint(type, name)));
    }
    if (kind && s->kind != *kind) {
      const bool want_wave = *kind == SignalKind::kWaveform;
      return FeatureError(spec, i, key,
                          fmt::format("signal '{}' is {}, but function {} needs a {} signal", name,
                                      want_wave ? "scalar" : "a waveform",
                                      FeatureFunctionName(spec.features[i].function),
                                      want_wave ? "waveform" : "scalar"));
    }
    return Status::Ok();
  };
  if (spec.asset_type != type.name) {
    return InvalidArgumentError(
        fmt::format("feature spec is for asset type '{}', not '{}'", spec.asset_type, type.name));
  }
  if (spec.window.kind == WindowSpec::Kind::kCount &&
      type.FindSignal(spec.window.count_signal) == nullptr) {
    return InvalidArgumentError(
        fmt::format("feature spec for '{}': window.signal: asset type '{}' has no signal '{}'{}",
                    spec.asset_type, type.name, spec.window.count_signal,
                    SignalHint(type, spec.window.count_signal)));
  }
  for (size_t i = 0; i < spec.features.size(); ++i) {
    const FeatureDef& f = spec.features[i];
    const SignalKind kind =
        IsWaveformFunction(f.function) ? SignalKind::kWaveform : SignalKind::kScalar;
    if (Status s = check_signal(i, "signal", f.signal, kind); !s.ok()) return s;
    if (f.function == FeatureFunction::kDelta) {
      if (Status s = check_signal(i, "other", f.other, SignalKind::kScalar); !s.ok()) return s;
    }
    if (f.function == FeatureFunction::kEnvelopeAmplitude) {
      if (type.FindBearing(f.bearing) == nullptr) {
        std::vector<std::string> names;
        for (const auto& b : type.bearings) names.push_back(b.name);
        return FeatureError(
            spec, i, "bearing",
            fmt::format("asset type '{}' declares no bearing '{}' ({}); declare it under "
                        "asset_types.{}.bearings with its geometry and speed signal",
                        type.name, f.bearing,
                        names.empty() ? std::string("it declares none")
                                      : fmt::format("declared: {}", fmt::join(names, ", ")),
                        type.name));
      }
    }
  }
  return Status::Ok();
}

Status CheckFeatureSpec(const FeatureSpec& spec, const AssetModel& model) {
  const AssetType* type = model.FindType(spec.asset_type);
  if (type == nullptr) {
    std::vector<std::string> names;
    for (const auto& t : model.types()) names.push_back(t->name);
    const std::string hint = ClosestMatch(spec.asset_type, names);
    return InvalidArgumentError(fmt::format(
        "feature spec: asset_type: the asset model declares no type '{}'{}", spec.asset_type,
        hint.empty() ? fmt::format(" (declared: {})", fmt::join(names, ", "))
                     : fmt::format(" (did you mean '{}'?)", hint)));
  }
  return CheckFeatureSpec(spec, *type);
}

std::string WriteFeatureSpecYaml(const FeatureSpec& spec) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "asset_type" << YAML::Value << spec.asset_type;
  out << YAML::Key << "window" << YAML::Value << YAML::Flow << YAML::BeginMap;
  if (spec.window.kind == WindowSpec::Kind::kTime) {
    out << YAML::Key << "length" << YAML::Value << DurationText(spec.window.length_ns);
    out << YAML::Key << "step" << YAML::Value << DurationText(spec.window.step_ns);
  } else {
    out << YAML::Key << "samples" << YAML::Value << spec.window.samples;
    out << YAML::Key << "step" << YAML::Value << spec.window.step_samples;
    out << YAML::Key << "signal" << YAML::Value << spec.window.count_signal;
  }
  out << YAML::EndMap;
  out << YAML::Key << "list" << YAML::Value << YAML::BeginSeq;
  for (const FeatureDef& f : spec.features) {
    out << YAML::Flow << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << f.name;
    out << YAML::Key << "signal" << YAML::Value << f.signal;
    out << YAML::Key << "function" << YAML::Value << std::string(FeatureFunctionName(f.function));
    switch (f.function) {
      case FeatureFunction::kDelta:
        out << YAML::Key << "other" << YAML::Value << f.other;
        break;
      case FeatureFunction::kBandEnergy:
        out << YAML::Key << "low_hz" << YAML::Value << DoubleText(f.low_hz);
        out << YAML::Key << "high_hz" << YAML::Value << DoubleText(f.high_hz);
        break;
      case FeatureFunction::kEnvelopeAmplitude:
        out << YAML::Key << "bearing" << YAML::Value << f.bearing;
        out << YAML::Key << "defect" << YAML::Value << std::string(BearingDefectName(f.defect));
        out << YAML::Key << "tolerance" << YAML::Value << DoubleText(f.tolerance);
        if (f.high_hz != 0) {
          out << YAML::Key << "low_hz" << YAML::Value << DoubleText(f.low_hz);
          out << YAML::Key << "high_hz" << YAML::Value << DoubleText(f.high_hz);
        }
        break;
      default:
        break;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace strata::features
