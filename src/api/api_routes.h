// The REST API's routes (everything under /api/v1 but the OpenAPI document, plus /metrics and
// /healthz), as a table for the server (api_server.h). Handlers read the HubStore and never
// write to it, except the token routes, enrolment and the desired state.
//
// Thread-safe: handlers may run concurrently; they share only the store, the registry and
// the health callback, which are thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "api/route.h"
#include "core/metrics.h"
#include "hub/store/hub_store.h"
#include "uplink/enrolment.h"

namespace strata::api {

// Bounds of list parameters.
inline constexpr int64_t kMaxObservations = 10000;
inline constexpr int64_t kDefaultObservations = 1000;
inline constexpr int64_t kMaxListItems = 1000;
inline constexpr int64_t kDefaultListItems = 100;
inline constexpr int64_t kMaxSeriesPoints = 2000;
inline constexpr int64_t kDefaultSeriesPoints = 500;
// How far back the alert and decision records are scanned to find open alerts and the model in
// use (newest first).
inline constexpr size_t kAlertScanRecords = 10000;
// A range that is not given covers this much time, ending now.
inline constexpr int64_t kDefaultSpanNs = 3600LL * 1'000'000'000;

// Gives an enrolling edge its own broker login (the hub's BrokerProvisioner).
using ProvisionEdge =
    std::function<StatusOr<MqttCredentials>(std::string_view tenant, std::string_view edge_id)>;

struct RouteDeps {
  HubStore& store;
  MetricsRegistry& metrics;
  std::function<std::string()> health;  // "" = healthy; may be empty
  // The broker side of POST /api/v1/enrol; empty: this hub does not enrol edges.
  ProvisionEdge provision_edge;
  // Called after a desired state changed in the store (the hub's DesiredPublisher publishes it
  // now rather than at its next look); may be empty.
  std::function<void()> desired_changed;
};

std::vector<Route> MakeApiRoutes(const RouteDeps& deps);

// ns since the epoch -> RFC 3339 UTC with 9 fraction digits, the time format of responses.
std::string ApiTime(int64_t ns);

}  // namespace strata::api
