#include "core/signal_target.h"

#include <fmt/format.h>

#include <vector>

#include "core/units.h"

namespace strata {
namespace {

std::vector<std::string> AssetPaths(const AssetModel& model) {
  std::vector<std::string> out;
  for (const auto& a : model.assets()) out.push_back(a->path);
  return out;
}

}  // namespace

void CheckSignalTarget(const AssetModel& model, ConfigNode& entry, const std::string& asset_path,
                       const std::string& signal, const std::string& unit,
                       std::string_view sources) {
  const Asset* asset = model.FindAsset(asset_path);
  if (asset == nullptr) {
    const std::string hint = ClosestMatch(asset_path, AssetPaths(model));
    (entry.Has("asset") ? entry.Get("asset") : entry)
        .Fail(fmt::format("asset '{}' is not in the asset model{}", asset_path,
                          hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
  }
  const SignalId id = asset->FindSignal(signal);
  if (id == kInvalidSignal) {
    std::vector<std::string> names;
    for (const auto& s : asset->type->signals) names.push_back(s.name);
    const std::string hint = ClosestMatch(signal, names);
    entry.Get("signal").Fail(
        fmt::format("asset '{}' (type '{}') has no signal '{}'{}", asset_path, asset->type->name,
                    signal, hint.empty() ? "" : fmt::format("; did you mean '{}'?", hint)));
  }
  const SignalSpec& spec = *model.signal(id).spec;
  if (spec.kind != SignalKind::kScalar) {
    entry.Get("signal").Fail(fmt::format(
        "signal '{}' of '{}' is a waveform; {} feed scalar signals", signal, asset_path, sources));
  }
  if (!unit.empty() && unit != spec.unit) {
    auto conversion = ConvertUnits(unit, spec.unit);
    if (!conversion.ok()) {
      entry.Get("unit").Fail(
          fmt::format("unit '{}' cannot convert to '{}', the unit of '{}' {}: {}", unit, spec.unit,
                      asset_path, signal, conversion.status().message()));
    }
  }
}

}  // namespace strata
