// DesiredPublisher: publishes every edge's desired state, retained, QoS 1, on
// strata/v1/<tenant>/edge/<id>/desired (docs/uplink.md#desired-state).
//
// The store is the truth. The API writes a new version there and calls Notify; the publisher
// also looks every `poll` for versions it has not published (set by `strata hub edge desired`
// or by another hub process), and publishes everything again within a second of each
// (re)connection to the broker, so a broker that lost its retained messages gets them back. A
// message published late by a racing hub (an older version) is corrected at the next look, and
// edges ignore versions older than the one they keep.
//
// Thread-safe: Notify from any thread; one publishing thread.
#pragma once

#include <condition_variable>
#include <cstdint>
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

namespace strata {

class DesiredPublisher {
 public:
  struct Options {
    MqttBrokerConfig broker;  // the hub's uplink broker and login
    std::string hub_id;
    int64_t poll_ns = 5 * kNsPerSec;
  };
  // Connects in the background (the broker may be away) and starts publishing.
  static StatusOr<std::unique_ptr<DesiredPublisher>> Start(const Options& options, HubStore& store,
                                                           MetricsRegistry& metrics);
  ~DesiredPublisher();
  DesiredPublisher(const DesiredPublisher&) = delete;
  DesiredPublisher& operator=(const DesiredPublisher&) = delete;

  // A desired state changed in the store: publish now rather than at the next look.
  void Notify();

 private:
  DesiredPublisher(const Options& options, HubStore& store, MetricsRegistry& metrics);
  void Run();
  // Publishes the desired states newer than what this process published since it connected.
  void PublishChanged();

  const Options options_;
  HubStore& store_;
  Counter& published_;
  Counter& failures_;
  std::unique_ptr<MqttPublisher> client_;
  std::map<std::string, uint64_t, std::less<>> sent_;  // edge → version; publishing thread only
  uint64_t sent_connects_ = 0;                         // client_->connects() when sent_ was valid
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool notified_ = false;
  std::thread thread_;
};

}  // namespace strata
