// Helpers of the uplink's end-to-end tests (tests/uplink_e2e_test.cc, enrolment_e2e_test.cc,
// desired_state_e2e_test.cc): edge and hub configs on a test broker, readings published into
// the plant side, and the zero-loss / zero-duplicate comparison of an edge's store with the
// hub's.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "cli/child_process.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "edge/edge_agent.h"
#include "edge/edge_config.h"
#include "hub/hub_config.h"
#include "hub/store/hub_store.h"
#include "testing/testing.h"
#include "uplink/uplink_batch.h"

namespace strata::testing {

inline constexpr char kTenant[] = "acme";

int64_t NowNs();

// An edge that reads JSON readings of "<edge_id>/<machine>/process" from the broker on `port`
// and uplinks to the same broker; its store is <dir>/<edge_id>.db. `uplink_extra` is appended
// to the uplink section (indented lines).
std::string EdgeYaml(const std::string& edge_id, int port, const std::string& dir,
                     const std::string& uplink_extra = "");
// A hub with an SQLite store in `dir`, ingesting from the broker on `port`, API on a free port.
std::string HubYaml(int port, const std::string& dir);

EdgeConfig MustEdgeConfig(const std::string& yaml);
HubConfig MustHubConfig(const std::string& yaml);
std::unique_ptr<HubStore> MustOpenHubStore(const HubConfig& config);
// Registers `edge_id` of kTenant by hand (strata hub edge add).
void Enrol(HubStore& hub, const std::string& edge_id);

std::unique_ptr<MqttPublisher> MustPublisher(int port);
// Publishes `n` messages of three readings each for pump-01 of `edge_id`, source times one ms
// apart from `t0_ms`, and waits until the broker has them all.
void PublishReadings(MqttPublisher& pub, const std::string& edge_id, int64_t t0_ms, int n);

// What one store says about one edge's observations: (asset, signal, ts, value) by seq.
using Content = std::map<uint64_t, std::tuple<std::string, std::string, int64_t, double>>;
Content EdgeContent(const std::string& db_path);
// The hub's copy of one edge's observations; fails the test on a duplicate (edge, seq).
Content HubContent(HubStore& hub, const std::string& edge_id, const std::string& asset);
uint64_t HubThrough(HubStore& hub, const std::string& edge_id, const std::string& stream);
uint64_t EdgeLastObsSeq(const std::string& db_path);
// Zero loss, zero duplicates: the hub holds exactly the edge's observations.
void ExpectHubMirrorsEdge(HubStore& hub, const std::string& edge_id, const std::string& db);

// Waits until the edge's MQTT connector has its subscriptions: readings published before that
// would not reach it.
void WaitReceiving(EdgeAgent& edge);
void WaitReceiving(const std::string& log_file);  // of a `strata edge` process

// A broker and a directory for one test.
struct Plant {
  std::unique_ptr<MosquittoBroker> broker;
  TempDir dir;
};
Plant MustPlant();

std::unique_ptr<ChildProcess> SpawnStrata(const std::vector<std::string>& args,
                                          const std::string& log,
                                          const std::vector<std::string>& env = {});

// An uplink batch of one observation of pump-01 with `seq`.
UplinkBatch OneObservationBatch(const std::string& edge_id, uint64_t seq);

}  // namespace strata::testing
