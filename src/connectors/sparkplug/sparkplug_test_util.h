// Builds Sparkplug B payloads for tests with the generated protobuf classes. (End-to-end tests
// use an independent encoder, npm sparkplug-payload.)
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "connectors/sparkplug/sparkplug_codec.h"
#include "sparkplug_b.pb.h"

namespace strata::testing_sparkplug {

using PbPayload = sparkplug::pb::Payload;
using PbMetric = sparkplug::pb::Payload::Metric;

inline PbMetric* AddMetric(PbPayload& p, const std::string& name, SparkplugType type,
                           std::optional<uint64_t> alias = std::nullopt) {
  PbMetric* m = p.add_metrics();
  if (!name.empty()) m->set_name(name);
  if (type != SparkplugType::kUnknown) m->set_datatype(static_cast<uint32_t>(type));
  if (alias) m->set_alias(*alias);
  return m;
}

inline std::string Bytes(const PbPayload& p) { return p.SerializeAsString(); }

}  // namespace strata::testing_sparkplug
