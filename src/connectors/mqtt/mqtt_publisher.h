// MqttPublisher: publishes and counts the broker's acknowledgements, so "sent" means "the
// broker has it" (QoS 1 PUBACK) and not merely "written to a socket".
//
// - Publish blocks while `max_inflight` messages await their PUBACK: a bounded window, so a
//   slow broker slows the publisher down instead of growing memory.
// - Runs its own network thread (libmosquitto's loop); reconnects by itself, with a backoff of
//   1 s doubling to 5 s, after a lost connection, a refused CONNECT or a DISCONNECT sent by
//   the broker (MQTT 5: session taken over, administrative action). libmosquitto resends
//   unacknowledged QoS 1 messages. (libmosquitto's own thread, mosquitto_loop_start, gives up
//   after a broker's DISCONNECT, which left an MQTT 5 client deaf until restart.)
// - Optionally also subscribes (QoS 1, again on every reconnect) and hands what arrives to
//   `on_message` on the network thread: the uplink's acks, the hub's uplink batches.
//
// Thread-safe: Publish may be called from several threads.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "connectors/mqtt/mqtt_client.h"
#include "connectors/mqtt/mqtt_config.h"

namespace strata {

class MqttPublisher {
 public:
  struct Options {
    std::string host = "127.0.0.1";
    int port = 1883;
    std::string client_id;  // required when clean_session is false
    bool clean_session = true;
    int keepalive_s = 30;
    std::string username;
    std::string password;
    std::optional<MqttTlsOptions> tls;
    size_t max_inflight = 1000;  // unacknowledged QoS 1 messages before Publish blocks
    int protocol_version = 4;    // 4 = MQTT 3.1.1, 5 = MQTT 5 (shared subscriptions)
    // false: Connect returns at once and the client connects (and reconnects) in the
    // background; Publish queues meanwhile. For parts that must start while the broker is down.
    bool wait_for_broker = true;
    std::vector<std::string> subscriptions;  // QoS 1 each
    // Called on the network thread for each message of the subscriptions; must not block long
    // (keepalive runs on that thread).
    std::function<void(std::string_view topic, std::string_view payload)> on_message;
  };

  // Connects, retrying until `timeout_ns` passes; OK once the broker accepted the connection.
  static StatusOr<std::unique_ptr<MqttPublisher>> Connect(const Options& options,
                                                          int64_t timeout_ns);
  ~MqttPublisher();

  MqttPublisher(const MqttPublisher&) = delete;
  MqttPublisher& operator=(const MqttPublisher&) = delete;

  // Queues one message. Blocks while the in-flight window is full (up to `timeout_ns`,
  // then Unavailable). QoS 1 messages count as acked on PUBACK, QoS 0 once written.
  Status Publish(std::string_view topic, std::string_view payload, int qos = 1, bool retain = false,
                 int64_t timeout_ns = 30'000'000'000LL);

  // Waits until every message published so far is acknowledged; false on timeout.
  bool WaitAllAcked(int64_t timeout_ns);

  // Waits until the broker has accepted the connection (CONNACK 0); false on timeout.
  bool WaitConnected(int64_t timeout_ns);

  uint64_t published() const { return published_.load(); }
  uint64_t acked() const { return acked_.load(); }
  bool connected() const { return connected_.load(); }
  // CONNACKs with success so far: 1 after the first connection, +1 per reconnection.
  uint64_t connects() const { return connects_.load(); }

 private:
  MqttPublisher() = default;
  void Run();
  bool WaitOrStop(std::chrono::milliseconds delay);
  std::string Endpoint() const;
  std::string ConnackText(int rc) const;
  static void OnConnect(mosquitto* m, void* self, int rc);
  static void OnDisconnect(mosquitto* m, void* self, int rc);
  static void OnPublish(mosquitto* m, void* self, int mid);
  static void OnMessage(mosquitto* m, void* self, const mosquitto_message* message);

  Options options_;
  MosquittoPtr client_;
  std::mutex mu_;
  std::condition_variable cv_;
  int connack_rc_ = -1;  // -1: no CONNACK yet
  std::atomic<bool> connected_{false};
  std::atomic<uint64_t> connects_{0};
  int refused_rc_ = 0;           // the last CONNACK's refusal, for Run's message; 0 if none
  int disconnect_reason_ = 0;    // the broker's MQTT 5 DISCONNECT reason, 0 if none
  std::string attempt_problem_;  // why the last (re)connect call failed; network thread only
  bool stop_ = false;
  std::thread loop_;
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> acked_{0};
};

// The publisher options for a broker config: address, client id, credentials, TLS, keepalive.
MqttPublisher::Options PublisherOptionsFor(const MqttBrokerConfig& broker);

}  // namespace strata
