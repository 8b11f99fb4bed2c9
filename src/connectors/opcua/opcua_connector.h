// OpcuaConnector: an OPC UA client (OPC UA Binary over TCP, SecurityPolicy None) that
// subscribes to the configured items of one server and pushes their values into the
// pipeline's queue.
//
// One session, in order: secure channel (ua_secure_channel.h), CreateSession/ActivateSession
// (anonymous or user name), TranslateBrowsePathsToNodeIds for items given by browse path,
// Read for initial values, CreateSubscription, CreateMonitoredItems (client handle = item
// index), then a Publish loop with two requests outstanding; every PublishResponse's data
// changes become one RawMessage (opcua_message.h). Items the server rejects (unknown node,
// unresolvable path) are stored bad once and logged; the others run.
//
// Failures: a lost or refused connection, an error from the server, a malformed or oversized
// message, or silence longer than keep_alive_count publishing intervals plus request_timeout
// close the connection. Every item then gets one value-less observation of quality bad (the
// gap marker, once per outage), and the connector reconnects with exponential backoff between
// reconnect.min and reconnect.max, recreating the session and its subscription; the backoff
// resets once the subscription runs. A peer cannot make it allocate more than one chunk plus
// max_message_size.
//
// The security token is renewed at 75% of its revised lifetime. Stop closes the session
// (deleting its subscription) and the channel.
//
// Backpressure: pushing into the BoundedQueue blocks while it is full; meanwhile no Publish is
// sent, so the server keeps the notifications (up to its queue sizes).
//
// Threading: see Connector. One I/O thread per connector.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "connectors/opcua/opcua_config.h"
#include "connectors/opcua/ua_client.h"
#include "connectors/opcua/ua_secure_channel.h"
#include "connectors/opcua/ua_subscription_services.h"
#include "connectors/opcua/ua_transport.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/raw_message.h"

namespace strata {

class OpcuaConnector final : public Connector {
 public:
  // `index` is stamped on every RawMessage; `sink` must outlive the connector.
  OpcuaConnector(OpcuaConnectorConfig config, uint32_t index, BoundedQueue<RawMessage>* sink,
                 const Clock& clock, MetricsRegistry& metrics);
  ~OpcuaConnector() override;

  const std::string& name() const override { return config_.name; }
  Status Start() override;
  void Stop() override;
  void Pause() override;
  void Resume() override;
  // True while the subscription runs.
  bool connected() const override { return up_.value() == 1; }

 private:
  void Run();
  // One connection: set-up, then the Publish loop until an error or Stop.
  Status RunSession();
  Status ResolveBrowsePaths(opcua::UaClient& client);
  Status ReadInitialValues(opcua::UaClient& client);
  Status Subscribe(opcua::UaClient& client, uint32_t* subscription_id);
  Status PublishLoop(opcua::UaClient& client, uint32_t subscription_id);
  // Appends a record for item `i` from `value` to pending_.
  void AddValue(uint32_t i, const opcua::DataValue& value);
  void AddBad(uint32_t i, uint32_t status);
  // Pushes pending_ (if any records); false when the pipeline is closed.
  bool Flush();
  bool Push(std::string payload);
  // Every item bad, once per outage.
  void MarkGap(const std::string& why);
  bool WaitFor(int64_t ns);
  bool stopping();
  bool paused();
  opcua::SteadyTime Deadline(int64_t ns) const;
  std::string Tag() const { return "[opcua:" + config_.name + "]"; }

  OpcuaConnectorConfig config_;
  const uint32_t index_;
  BoundedQueue<RawMessage>* sink_;
  const Clock& clock_;
  std::thread thread_;
  opcua::TcpTransport transport_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool paused_ = false;
  bool closed_sink_ = false;

  // I/O thread only.
  std::vector<opcua::NodeId> resolved_;  // per item; null: not resolved (yet)
  std::vector<bool> item_ok_;            // per item: monitored
  bool gap_marked_ = false;
  int64_t revised_publishing_ns_ = 0;
  uint32_t revised_keep_alive_ = 1;
  int64_t backoff_ns_ = 0;
  std::string pending_;
  size_t pending_records_ = 0;
  opcua::PublishResponse publish_;  // reused: decoding allocates nothing once grown

  Gauge& up_;
  Counter& connects_;
  Counter& connect_failures_;
  Counter& messages_;
  Counter& publishes_;
  Counter& keep_alives_;
  Counter& data_changes_;
  Counter& missed_;
  Counter& item_errors_;
  Counter& renewals_;
};

}  // namespace strata
