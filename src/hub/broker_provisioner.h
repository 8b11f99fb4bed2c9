// BrokerProvisioner: the broker side of enrolment (docs/uplink.md#enrolment). When an edge
// enrols, the hub makes it its own MQTT login on the uplink broker, allowed only its own
// topics: publish strata/v1/<tenant>/edge/<id>/{up/+,reported}, subscribe .../{ack,desired}.
// A batch it publishes on another edge's topic is dropped by the broker.
//
// DynsecProvisioner does it through mosquitto's dynamic security plugin: the hub logs in as the
// plugin's admin (scripts/broker-dynsec.sh makes that login) and sends commands on
// $CONTROL/dynamic-security/v1, waiting for each answer. Its own login must have the role
// strata-hub (read and write strata/v1/#; the script gives it). Each edge gets the client
// <edge id> with the role strata-edge-<edge id>.
//
// Thread-safe: one command at a time (enrolment is rare).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <nlohmann/json.hpp>

#include "connectors/mqtt/mqtt_config.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "core/status.h"
#include "uplink/enrolment.h"

namespace strata {

class BrokerProvisioner {
 public:
  virtual ~BrokerProvisioner() = default;
  // Creates (or, for an edge enrolling again, resets) the edge's login and returns it.
  // Unavailable when the broker cannot be reached or does not answer.
  virtual StatusOr<MqttCredentials> ProvisionEdge(std::string_view tenant,
                                                  std::string_view edge_id) = 0;
};

class DynsecProvisioner : public BrokerProvisioner {
 public:
  // Connects as `broker.username` (in the background when the broker is away) and, in the
  // background too, checks that the hub's login has the role strata-hub — without it the hub
  // could not publish its acks — logging what to do when it has not.
  static StatusOr<std::unique_ptr<DynsecProvisioner>> Start(const MqttBrokerConfig& broker,
                                                            const std::string& hub_id);
  ~DynsecProvisioner() override;

  StatusOr<MqttCredentials> ProvisionEdge(std::string_view tenant,
                                          std::string_view edge_id) override;

 private:
  // Checks the role strata-hub on the hub's own login; once (command_mu_ held).
  Status EnsureHubRole();
  // Background: EnsureHubRole until it is done or the provisioner stops.
  void SetUp();
  DynsecProvisioner() = default;
  // Sends one command and waits for its answer: its "data" (null when none), or the plugin's
  // error text as FailedPrecondition ("Client already exists", ...), or Unavailable on timeout.
  StatusOr<nlohmann::json> Command(nlohmann::json command);
  void OnMessage(std::string_view payload);

  std::string hub_username_;
  std::unique_ptr<MqttPublisher> client_;
  std::mutex command_mu_;  // one command at a time
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t next_id_ = 0;
  std::string waiting_for_;             // correlation data of the command in flight
  std::optional<nlohmann::json> answer_;  // its response, once answered
  bool hub_role_done_ = false;  // command_mu_
  bool stopping_ = false;       // mu_
  std::thread setup_;
};

}  // namespace strata
