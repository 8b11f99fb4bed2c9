// Something that happened to a signal or a component, worth keeping beside the data:
// a signal went stale or recovered, a connector lost its broker, data was dropped by policy.
#pragma once

#include <cstdint>
#include <string>

#include "core/ids.h"

namespace strata {

struct Event {
  int64_t ts_ns = 0;
  std::string kind;    // stable names: "signal.stale", "signal.fresh", "connector.down", ...
  std::string subject; // what it is about: "acme/plant-1/pump-01 bearing_de.temp", "mqtt:plant"
  std::string detail;  // for a person
};

}  // namespace strata
