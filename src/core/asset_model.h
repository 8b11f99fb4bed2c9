// AssetModel: the schema that validation enforces.
//
// Asset types declare their signals (unit, kind, valid range, expected sample period,
// semantic tag); assets instantiate types at an ISA-95 path. Every (asset, signal) pair gets a
// dense SignalId at load time.
//
// Immutable after Load, hence safe for concurrent reads without synchronization.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bearing.h"
#include "core/config_node.h"
#include "core/ids.h"
#include "core/status.h"
#include "core/units.h"

namespace strata {

enum class SignalKind : uint8_t { kScalar, kWaveform };

struct SignalSpec {
  std::string name;  // e.g. "bearing_de.temp"
  std::string unit;  // UCUM code of the stored value
  Unit parsed_unit;
  SignalKind kind = SignalKind::kScalar;
  double min = -std::numeric_limits<double>::infinity();  // valid range, in `unit`
  double max = std::numeric_limits<double>::infinity();
  int64_t period_ns = 0;  // expected sample period; 0 = no staleness check
  std::string tag;        // semantic tag: "temperature", "vibration", "current", ...
  std::string description;
};

// A rolling-element bearing of an asset type, for vibration features at its defect
// frequencies (core/bearing.h). Declared under the type's `bearings:`, e.g.
//   bearings:
//     bearing_de: {rolling_elements: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04,
//                  contact_angle_deg: 0, speed: speed}
struct BearingSpec {
  std::string name;  // e.g. "bearing_de"
  BearingGeometry geometry;
  // The type's scalar signal that gives the shaft speed (a rotational frequency, e.g. in
  // {rev}/min), and the factor that turns its value into the shaft frequency in Hz.
  std::string speed_signal;
  double speed_to_hz = 1.0;
};

struct AssetType {
  std::string name;
  std::string description;
  std::vector<SignalSpec> signals;
  std::unordered_map<std::string, size_t> signal_index;  // name -> index in `signals`
  std::vector<BearingSpec> bearings;

  // nullptr when the type has no such signal / bearing.
  const SignalSpec* FindSignal(std::string_view signal) const;
  const BearingSpec* FindBearing(std::string_view bearing) const;
};

struct Asset {
  std::string path;  // ISA-95 path, e.g. "acme/plant-1/line-2/pump-07"
  const AssetType* type = nullptr;
  SignalId first_signal = 0;  // ids first_signal .. first_signal + type->signals.size() - 1

  // The id of this asset's signal `name`, or kInvalidSignal.
  SignalId FindSignal(std::string_view name) const;
};

// What a SignalId stands for.
struct SignalInfo {
  const Asset* asset = nullptr;
  const SignalSpec* spec = nullptr;
};

class AssetModel {
 public:
  // Reads `asset_types:` and `assets:` from `node` (a whole document or a sub-mapping).
  // Throws ConfigError; use LoadFile or ConfigDocument::Read at a boundary.
  static std::shared_ptr<const AssetModel> Read(ConfigNode& node);
  static StatusOr<std::shared_ptr<const AssetModel>> LoadFile(const std::string& path);

  const Asset* FindAsset(std::string_view path) const;
  const AssetType* FindType(std::string_view name) const;
  // kInvalidSignal when the asset or its signal is unknown.
  SignalId Find(std::string_view asset_path, std::string_view signal) const;

  const SignalInfo& signal(SignalId id) const { return signals_[id]; }
  size_t signal_count() const { return signals_.size(); }
  const std::vector<std::unique_ptr<Asset>>& assets() const { return assets_; }
  const std::vector<std::unique_ptr<AssetType>>& types() const { return types_; }

  AssetModel(const AssetModel&) = delete;
  AssetModel& operator=(const AssetModel&) = delete;

 private:
  AssetModel() = default;

  std::vector<std::unique_ptr<AssetType>> types_;
  std::vector<std::unique_ptr<Asset>> assets_;
  std::unordered_map<std::string, const Asset*> asset_index_;
  std::vector<SignalInfo> signals_;
};

// Expands "pump-{01..12}" into pump-01 … pump-12 (zero-padded to the width written).
// At most one range per pattern; a pattern without a range is returned as is.
StatusOr<std::vector<std::string>> ExpandRange(std::string_view pattern);

}  // namespace strata
