// MqttConnector: subscribes to a broker and pushes every message into the pipeline's queue.
//
// - Runs its own network thread. Connects, subscribes to the configured filters (again after
//   every reconnect), and on a lost or refused connection retries with exponential backoff
//   between reconnect.min and reconnect.max, logging each attempt.
// - Backpressure: the message callback pushes into a BoundedQueue and blocks while it is full.
//   libmosquitto sends the QoS 1 PUBACK only after the callback returns, so a slow pipeline
//   stops the connector from reading and the broker holds the messages. With a persistent
//   session (clean_session: false) the broker also keeps them across a disconnect, up to its
//   max_queued_messages (set it high or 0 on the broker: see docs/operations.md).
// - Messages over max_payload are pushed truncated and marked oversize (dead-lettered later).
//
// Threading: see Connector.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "connectors/connector.h"
#include "connectors/mqtt/mqtt_client.h"
#include "connectors/mqtt/mqtt_config.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/raw_message.h"

namespace strata {

class MqttConnector final : public Connector {
 public:
  // `index` is stamped on every RawMessage; `sink` must outlive the connector.
  MqttConnector(MqttConnectorConfig config, uint32_t index, BoundedQueue<RawMessage>* sink,
                const Clock& clock, MetricsRegistry& metrics);
  ~MqttConnector() override;

  const std::string& name() const override { return config_.name; }
  Status Start() override;
  void Stop() override;
  void Pause() override;
  void Resume() override;
  // True once the broker has acknowledged every subscription of the current connection:
  // from then on, nothing published to those topics is missed.
  bool connected() const override { return subscribed_.load(); }

  const MqttConnectorConfig& config() const { return config_; }

  // Queues a message for the broker (not retained; QoS 0 or 1); the network thread sends it
  // within ~100 ms while connected. Never blocks: past kMaxOutgoing waiting messages, or while
  // disconnected, the message is dropped and counted. Thread-safe. (Used for Sparkplug rebirth
  // requests and alert events.)
  static constexpr size_t kMaxOutgoing = 1000;
  void Publish(std::string topic, std::string payload, int qos = 0);

 private:
  static void OnConnect(mosquitto* m, void* self, int rc);
  static void OnDisconnect(mosquitto* m, void* self, int rc);
  static void OnMessage(mosquitto* m, void* self, const mosquitto_message* msg);
  static void OnSubscribe(mosquitto* m, void* self, int mid, int qos_count, const int* granted);

  void Run();
  void SendOutgoing(mosquitto* m);
  // Waits up to `ns` or until Stop; returns false when stopping.
  bool WaitOrStop(int64_t ns);
  std::string Tag() const { return "[mqtt:" + config_.name + "]"; }

  MqttConnectorConfig config_;
  const uint32_t index_;
  BoundedQueue<RawMessage>* sink_;
  const Clock& clock_;
  MosquittoPtr client_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool paused_ = false;
  struct Outgoing {
    std::string topic;
    std::string payload;
    int qos = 0;
  };
  std::vector<Outgoing> outgoing_;
  std::atomic<bool> connected_{false};   // CONNACK received
  std::atomic<bool> subscribed_{false};  // ... and every SUBACK of this connection
  int pending_subacks_ = 0;              // network thread only
  int64_t backoff_ns_ = 0;

  Gauge& up_;  // 1 while connected and subscribed
  Counter& connects_;
  Counter& connect_failures_;
  Counter& messages_;
  Counter& bytes_;
  Counter& oversize_;
  Counter& published_;
  Counter& publish_dropped_;
};

}  // namespace strata
