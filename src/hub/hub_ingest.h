// HubIngest: the hub's end of the uplink (docs/uplink.md). Subscribes to every edge's uplink
// topic — as an MQTT 5 shared subscription when several hubs split the load — checks each
// batch, stores it idempotently (HubStore::IngestBatch commits durably), and only then acks the
// highest contiguous seq on strata/v1/<tenant>/edge/<edge-id>/ack.
//
// A batch is refused — counted in strata_hub_batches_rejected_total{reason}, logged, nothing
// stored, no ack — when it does not decode or its checksum does not match (forged, damaged),
// is larger than max_batch_bytes, names another edge or stream than its topic, or comes from an
// edge that is not enrolled (or is enrolled under another tenant). A replayed batch is a
// duplicate: nothing is stored twice, and it is acked again.
//
// It also records what edges report on .../reported: heartbeats (version, uptime, queue depths,
// store size, acked seqs) and the state they applied, each kept as the edge's last one.
//
// Messages arrive on the MQTT network thread and are handed to one ingest thread through a
// bounded queue. When the queue is full the batch is dropped and counted: the edge sends it again
// after its ack timeout (the network thread never blocks, so keepalive holds).
//
// Threading: Start/Stop from one controlling thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "connectors/mqtt/mqtt_config.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "hub/store/hub_store.h"
#include "uplink/uplink_topics.h"

namespace strata {

struct HubIngestOptions {
  MqttBrokerConfig broker;
  std::string hub_id = "hub-1";
  std::string shared_group = "strata-hubs";  // "" = a plain subscription (one hub)
  size_t max_batch_bytes = 16u << 20;
  size_t queue_batches = 64;
  bool require_enrolment = true;
  // Fault injection for tests: the process kills itself (SIGKILL) after receiving this many
  // batches, before committing the last one (0 = never). From $STRATA_HUB_CRASH_BEFORE_COMMIT.
  uint64_t crash_before_commit = 0;
};

class HubIngest {
 public:
  HubIngest(HubIngestOptions options, HubStore& store, const Clock& clock,
            MetricsRegistry& metrics);
  ~HubIngest();
  HubIngest(const HubIngest&) = delete;
  HubIngest& operator=(const HubIngest&) = delete;

  // Connects (in the background when the broker is away) and starts the ingest thread.
  Status Start();
  void Stop();

  bool connected() const { return client_ && client_->connected(); }

 private:
  struct Received {
    std::string topic;
    std::string payload;
  };

  void OnMessage(std::string_view topic, std::string_view payload);
  void Run();
  void Handle(const Received& message);
  // A heartbeat or a state report on .../reported: kept as the edge's last one.
  void HandleReported(const EdgeTopic& topic, const Received& message);
  void Reject(std::string_view reason, std::string_view topic, const std::string& why);
  // The enrolled edge's tenant, cached for a few seconds; "" when not enrolled.
  std::string EnrolledTenant(const std::string& edge_id);

  HubIngestOptions options_;
  HubStore& store_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  std::unique_ptr<MqttPublisher> client_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Received> queue_;
  bool stop_ = false;
  std::thread thread_;
  uint64_t received_ = 0;  // ingest thread

  struct CachedEdge {
    std::string tenant;
    int64_t checked_ns = 0;
  };
  std::map<std::string, CachedEdge> edges_;  // ingest thread

  Counter& overflow_;
  Counter& dedupe_hits_;
  Counter& store_errors_;
  Gauge& ingest_seconds_;
  Gauge& connected_gauge_;
};

}  // namespace strata
