#include "core/asset_model.h"

#include <charconv>

#include <fmt/format.h>

namespace strata {

const SignalSpec* AssetType::FindSignal(std::string_view signal) const {
  auto it = signal_index.find(std::string(signal));
  return it == signal_index.end() ? nullptr : &signals[it->second];
}

const BearingSpec* AssetType::FindBearing(std::string_view bearing) const {
  for (const auto& b : bearings) {
    if (b.name == bearing) return &b;
  }
  return nullptr;
}

SignalId Asset::FindSignal(std::string_view name) const {
  auto it = type->signal_index.find(std::string(name));
  if (it == type->signal_index.end()) return kInvalidSignal;
  return first_signal + static_cast<SignalId>(it->second);
}

StatusOr<std::vector<std::string>> ExpandRange(std::string_view pattern) {
  const size_t open = pattern.find('{');
  if (open == std::string_view::npos) return std::vector<std::string>{std::string(pattern)};
  const size_t close = pattern.find('}', open);
  const size_t dots = pattern.find("..", open);
  if (close == std::string_view::npos || dots == std::string_view::npos || dots > close) {
    return InvalidArgumentError(fmt::format(
        "'{}': a range is written {{first..last}}, e.g. pump-{{01..12}}", pattern));
  }
  const std::string_view first_text = pattern.substr(open + 1, dots - open - 1);
  const std::string_view last_text = pattern.substr(dots + 2, close - dots - 2);
  int first = 0, last = 0;
  auto r1 = std::from_chars(first_text.data(), first_text.data() + first_text.size(), first);
  auto r2 = std::from_chars(last_text.data(), last_text.data() + last_text.size(), last);
  if (r1.ec != std::errc() || r1.ptr != first_text.data() + first_text.size() ||
      r2.ec != std::errc() || r2.ptr != last_text.data() + last_text.size() || first > last ||
      first < 0) {
    return InvalidArgumentError(fmt::format(
        "'{}': a range is written {{first..last}} with first <= last, e.g. pump-{{01..12}}",
        pattern));
  }
  if (last - first >= 100000) {
    return InvalidArgumentError(fmt::format("'{}': range of more than 100000 names", pattern));
  }
  if (pattern.find('{', close) != std::string_view::npos) {
    return InvalidArgumentError(fmt::format("'{}': only one {{first..last}} range per name", pattern));
  }
  const size_t width = first_text.size();
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(last - first + 1));
  for (int i = first; i <= last; ++i) {
    out.push_back(fmt::format("{}{:0{}}{}", pattern.substr(0, open), i, width,
                              pattern.substr(close + 1)));
  }
  return out;
}

namespace {

SignalSpec ReadSignal(const std::string& name, ConfigNode& node) {
  SignalSpec s;
  s.name = name;
  if (name.empty() || name.find_first_of(" \t/{}#+") != std::string::npos) {
    node.Fail(fmt::format("signal name '{}' must be non-empty and must not contain spaces or "
                          "any of / {{ }} # +",
                          name));
  }
  ConfigNode unit_node = node.Get("unit");
  s.unit = unit_node.AsString();
  auto unit = ParseUnit(s.unit);
  if (!unit.ok()) unit_node.Fail(unit.status().message());
  s.parsed_unit = *unit;
  const std::string kind = node.Choice("kind", {"scalar", "waveform"}, "scalar");
  s.kind = kind == "waveform" ? SignalKind::kWaveform : SignalKind::kScalar;
  if (auto range = node.Find("range")) {
    auto bounds = range->Elements();
    if (bounds.size() != 2) range->Fail("range is written [min, max]");
    s.min = bounds[0].AsDouble();
    s.max = bounds[1].AsDouble();
    if (!(s.min <= s.max)) range->Fail("range must have min <= max");
  }
  s.period_ns = node.Duration("period", 0);
  s.tag = node.String("tag", "");
  s.description = node.String("description", "");
  return s;
}

std::vector<std::string> SignalNames(const AssetType& type) {
  std::vector<std::string> names;
  for (const auto& s : type.signals) names.push_back(s.name);
  return names;
}

BearingSpec ReadBearing(const std::string& name, ConfigNode& node, const AssetType& type) {
  BearingSpec b;
  b.name = name;
  if (name.empty() || name.find_first_of(" \t/{}#+") != std::string::npos) {
    node.Fail(
        fmt::format("bearing name '{}' must be non-empty and must not contain spaces or "
                    "any of / {{ }} # +",
                    name));
  }
  b.geometry = ReadBearingGeometry(node);
  ConfigNode speed_node = node.Get("speed");
  b.speed_signal = speed_node.AsString();
  const SignalSpec* speed = type.FindSignal(b.speed_signal);
  if (speed == nullptr) {
    const std::string hint = ClosestMatch(b.speed_signal, SignalNames(type));
    speed_node.Fail(fmt::format(
        "bearing '{}': speed names signal '{}', which asset type '{}' does not declare{}; "
        "name the scalar shaft-speed signal (e.g. speed, in {{rev}}/min)",
        name, b.speed_signal, type.name,
        hint.empty() ? "" : fmt::format(" (did you mean '{}'?)", hint)));
  }
  if (speed->kind != SignalKind::kScalar) {
    speed_node.Fail(
        fmt::format("bearing '{}': speed signal '{}' is a waveform; name a scalar "
                    "shaft-speed signal",
                    name, b.speed_signal));
  }
  auto to_hz = ConvertUnits(speed->parsed_unit, *ParseUnit("Hz"));
  if (!to_hz.ok() || to_hz->offset != 0) {
    speed_node.Fail(
        fmt::format("bearing '{}': speed signal '{}' has unit '{}', not a rotational "
                    "speed; give it a unit like {{rev}}/min or Hz",
                    name, b.speed_signal, speed->unit));
  }
  b.speed_to_hz = to_hz->scale;
  return b;
}

}  // namespace

std::shared_ptr<const AssetModel> AssetModel::Read(ConfigNode& node) {
  std::shared_ptr<AssetModel> model(new AssetModel());
  std::unordered_map<std::string, const AssetType*> type_index;

  for (auto& [type_name, type_node] : node.Get("asset_types").Entries()) {
    auto type = std::make_unique<AssetType>();
    type->name = type_name;
    type->description = type_node.String("description", "");
    for (auto& [signal_name, signal_node] : type_node.Get("signals").Entries()) {
      type->signal_index.emplace(signal_name, type->signals.size());
      type->signals.push_back(ReadSignal(signal_name, signal_node));
    }
    if (auto bearings = type_node.Find("bearings")) {
      for (auto& [bearing_name, bearing_node] : bearings->Entries()) {
        type->bearings.push_back(ReadBearing(bearing_name, bearing_node, *type));
      }
    }
    type_index.emplace(type_name, type.get());
    model->types_.push_back(std::move(type));
  }

  std::vector<std::string> type_names;
  for (const auto& t : model->types_) type_names.push_back(t->name);

  for (auto& asset_node : node.Get("assets").Elements()) {
    ConfigNode path_node = asset_node.Get("path");
    auto paths = ExpandRange(path_node.AsString());
    if (!paths.ok()) path_node.Fail(paths.status().message());
    ConfigNode type_node = asset_node.Get("type");
    const std::string type_name = type_node.AsString();
    auto type_it = type_index.find(type_name);
    if (type_it == type_index.end()) {
      const std::string hint = ClosestMatch(type_name, type_names);
      type_node.Fail(fmt::format("unknown asset type '{}'{}", type_name,
                                 hint.empty() ? fmt::format(" (declared: {})",
                                                            fmt::join(type_names, ", "))
                                              : fmt::format(" (did you mean '{}'?)", hint)));
    }
    for (auto& path : *paths) {
      if (path.empty() || path.front() == '/' || path.back() == '/' ||
          path.find("//") != std::string::npos ||
          path.find_first_of(" \t#+{}") != std::string::npos) {
        path_node.Fail(
            fmt::format("asset path '{}' must look like site/area/line/asset, "
                        "without empty levels, spaces or any of # + {{ }}",
                        path));
      }
      if (model->asset_index_.count(path)) {
        path_node.Fail(fmt::format("asset '{}' is declared twice", path));
      }
      auto asset = std::make_unique<Asset>();
      asset->path = path;
      asset->type = type_it->second;
      asset->first_signal = static_cast<SignalId>(model->signals_.size());
      for (const auto& spec : asset->type->signals) {
        model->signals_.push_back(SignalInfo{asset.get(), &spec});
      }
      model->asset_index_.emplace(asset->path, asset.get());
      model->assets_.push_back(std::move(asset));
    }
  }
  return model;
}

StatusOr<std::shared_ptr<const AssetModel>> AssetModel::LoadFile(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto doc, ConfigDocument::LoadFile(path));
  return doc->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return Read(root); });
}

const Asset* AssetModel::FindAsset(std::string_view path) const {
  auto it = asset_index_.find(std::string(path));
  return it == asset_index_.end() ? nullptr : it->second;
}

const AssetType* AssetModel::FindType(std::string_view name) const {
  for (const auto& t : types_) {
    if (t->name == name) return t.get();
  }
  return nullptr;
}

SignalId AssetModel::Find(std::string_view asset_path, std::string_view signal) const {
  const Asset* asset = FindAsset(asset_path);
  return asset ? asset->FindSignal(signal) : kInvalidSignal;
}

}  // namespace strata
