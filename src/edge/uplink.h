// Uplink: forwards everything the edge committed to the hub, with no loss and no duplicates
// whatever fails in between (docs/uplink.md).
//
// For each stream (obs, dlq, dec, alr) the uplink reads the outbox oldest first, cuts batches
// of consecutive seqs (uplink/uplink_batch.h) and publishes them QoS 1 on
// strata/v1/<tenant>/edge/<edge-id>/up/<stream>. The hub stores a batch idempotently, commits,
// then acks the highest contiguous seq it has on .../ack; only then does the edge trim its
// outbox (through the pipeline's writer). At-least-once delivery + an idempotent store = no
// loss, no duplicates.
//
// Flow control: at most `max_inflight` unacknowledged batches per stream; a backlog drains
// oldest first, capped at `rate` records/s. When nothing is acked for `ack_timeout` (a hub that
// died between receive and commit, a lost ack, a broker restart), the uplink goes back to the
// last ack and sends again, waiting twice as long each time (up to max_ack_timeout) so a long
// outage does not flood the broker.
//
// Threading: one sender thread; acks arrive on the MQTT network thread and are handed over.
// Start/Stop from one controlling thread; Wake and the accessors from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "connectors/mqtt/mqtt_config.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "edge/enrolment_client.h"
#include "store/store.h"

namespace strata {

struct UplinkOptions {
  MqttBrokerConfig broker;
  std::string tenant = "default";
  std::string edge_id = "edge-1";
  size_t batch_records = 5000;  // records per batch, at most
  size_t max_inflight = 4;      // unacknowledged batches per stream
  double rate = 0;              // records/s while draining; 0 = no cap
  int64_t ack_timeout_ns = 10 * kNsPerSec;
  int64_t max_ack_timeout_ns = 300 * kNsPerSec;
  int64_t poll_ns = 200 * kNsPerMs;       // how often to look for new data without a Wake
  int64_t heartbeat_ns = 30 * kNsPerSec;  // how often to report health on .../reported
  // Set: the broker login comes from enrolment (the credentials file, or the hub's API the first
  // time) instead of broker.username/password.
  std::optional<EnrolOptions> enrol;
};

class Uplink {
 public:
  // Called (on the sender thread) when the hub acknowledged `stream` through `through_seq`.
  using AckSink = std::function<void(std::string_view stream, uint64_t through_seq)>;
  // The edge's state for a heartbeat, as JSON members (called on the sender thread).
  using HealthSource = std::function<std::string()>;
  // A message on .../desired (retained; again after every reconnect): the report to publish on
  // .../reported, or nullopt (called on the sender thread; see edge/desired_keeper.h).
  using DesiredSink = std::function<std::optional<std::string>(std::string_view payload)>;

  // Heartbeats (every heartbeat_ns, QoS 1, on .../reported): {"kind":"heartbeat", "edge",
  // "tenant", "version", "ts" (ns), "uptime_s", "acked" {stream: seq}, "inflight" {stream:
  // batches}} plus what `health` adds (queues, store size). The hub keeps the last one.
  // With `on_desired`, the uplink also subscribes to the edge's desired state.
  Uplink(UplinkOptions options, AckSink on_ack, const Clock& clock, MetricsRegistry& metrics,
         HealthSource health = {}, DesiredSink on_desired = {});
  ~Uplink();
  Uplink(const Uplink&) = delete;
  Uplink& operator=(const Uplink&) = delete;

  // Starts the MQTT client (connecting in the background: the hub or broker may be away) and
  // the sender thread. With `enrol`, the sender thread first gets the edge's login (from the
  // credentials file, else from the hub, retrying while the hub is away or refuses) and only
  // then connects; the edge keeps collecting meanwhile. `reader` is a read-only store on the edge's
  // database (the writer belongs to the pipeline).
  Status Start(std::unique_ptr<Store> reader);
  void Stop();

  // New data was committed: look now rather than at the next poll.
  void Wake();

  // The highest seq of `stream` the hub acknowledged since start (0 = none yet).
  uint64_t acked_through(std::string_view stream) const;
  bool connected() const {
    const MqttPublisher* p = live_.load();
    return p != nullptr && p->connected();
  }

 private:
  struct InFlight {
    uint64_t first = 0;
    uint64_t last = 0;
    int64_t sent_ns = 0;
  };
  struct StreamState {
    std::string name;
    uint64_t acked = 0;  // hub's contiguous through
    uint64_t next = 0;   // next seq to send; 0 = from the outbox's start
    std::deque<InFlight> inflight;
    int64_t timeout_ns = 0;
    Counter* batches = nullptr;
    Counter* records = nullptr;
    Counter* retransmits = nullptr;
    Gauge* acked_gauge = nullptr;
  };

  void Run();
  // Creates the MQTT client with the broker login in options_.broker.
  Status Connect();
  // The login from the credentials file or, the first time, from the hub; false when stopped
  // before it came.
  bool AcquireLogin();
  // Waits up to `ns` or until Stop; false when stopped.
  bool Pause(int64_t ns);
  void OnMessage(std::string_view topic, std::string_view payload);
  void ApplyAcks(std::vector<std::pair<std::string, uint64_t>>& acks);
  void CheckTimeouts(int64_t now);
  void SendHeartbeat(int64_t now);
  void Report(const std::string& body, std::string_view what);
  // Sends what the outbox holds for `st`, within the window and the rate; false on a store or
  // publish failure (retried on the next turn).
  bool Fill(StreamState& st, const std::vector<OutboxRange>& pending, int64_t now);

  UplinkOptions options_;
  std::unique_ptr<Store> reader_;
  AckSink on_ack_;
  const Clock& clock_;
  HealthSource health_;
  DesiredSink on_desired_;
  const std::string desired_topic_;  // "" without on_desired_
  int64_t started_ns_ = 0;
  int64_t next_heartbeat_ns_ = 0;
  std::unique_ptr<MqttPublisher> publisher_;   // created by Start, or by the sender thread
  std::atomic<MqttPublisher*> live_{nullptr};  // publisher_ once it exists, for connected()
  std::vector<StreamState> streams_;           // sender thread only
  double tokens_ = 0;                          // rate cap bucket, records
  int64_t tokens_ns_ = 0;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::vector<std::pair<std::string, uint64_t>> acks_;  // received, not applied yet
  std::optional<std::string> desired_;                  // received, not handled yet (the last)
  std::map<std::string, uint64_t, std::less<>> acked_;  // for acked_through()
  std::thread thread_;

  Counter& enrol_failures_;
  Counter& bad_acks_;
  Counter& read_errors_;
  Gauge& connected_gauge_;
};

}  // namespace strata
