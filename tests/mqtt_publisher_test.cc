// MqttPublisher: it connects when the broker comes up later, it comes back with its
// subscriptions after another client takes its session over (real mosquitto), and it comes
// back after a broker ends an MQTT 5 session with a DISCONNECT packet (a peer that sends one,
// as mosquitto's dynamic security plugin does when an admin changes the login's roles).
#include "connectors/mqtt/mqtt_publisher.h"

#include <gtest/gtest.h>

#include <mutex>
#include <vector>

#include "core/clock.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::MosquittoBroker;
using testing::WaitUntil;

// What a publisher's subscriptions delivered, thread-safe.
struct Inbox {
  std::mutex mu;
  std::vector<std::string> topics;

  void Add(std::string_view topic) {
    std::lock_guard lock(mu);
    topics.emplace_back(topic);
  }
  bool Has(const std::string& topic) {
    std::lock_guard lock(mu);
    return std::find(topics.begin(), topics.end(), topic) != topics.end();
  }
};

MqttPublisher::Options Subscriber(int port, Inbox* inbox) {
  MqttPublisher::Options o;
  o.port = port;
  o.client_id = "strata-publisher-test";
  o.protocol_version = 5;
  o.subscriptions = {"test/#"};
  o.on_message = [inbox](std::string_view topic, std::string_view) { inbox->Add(topic); };
  return o;
}

TEST(MqttPublisherTest, ComesBackAfterItsSessionIsTakenOver) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  Inbox inbox;
  auto publisher = MqttPublisher::Connect(Subscriber((*broker)->port(), &inbox), 10 * kNsPerSec);
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  MqttPublisher& p = **publisher;
  ASSERT_TRUE(p.Publish("test/before", "1").ok());
  ASSERT_TRUE(WaitUntil([&] { return inbox.Has("test/before"); }));
  EXPECT_EQ(p.connects(), 1u);

  // Another client with the same client id takes the session over: mosquitto closes the
  // publisher's connection.
  {
    MqttPublisher::Options intruder;
    intruder.port = (*broker)->port();
    intruder.client_id = "strata-publisher-test";
    auto taker = MqttPublisher::Connect(intruder, 10 * kNsPerSec);
    ASSERT_TRUE(taker.ok()) << taker.status().ToString();
  }  // and leaves at once, so that the publisher can have its session back

  ASSERT_TRUE(WaitUntil([&] { return p.connects() == 2 && p.connected(); }))
      << "the publisher did not reconnect after its session was taken over\n"
      << (*broker)->log();
  ASSERT_TRUE(p.Publish("test/after", "2").ok());
  EXPECT_TRUE(WaitUntil([&] { return inbox.Has("test/after"); }))
      << "reconnected, but its subscription was not renewed";
  EXPECT_TRUE(p.WaitAllAcked(10 * kNsPerSec));
}

TEST(MqttPublisherTest, ComesBackAfterABrokerSendsMqtt5Disconnect) {
  // Every CONNECT is accepted, and the session ended at once: CONNACK (success, no properties)
  // then DISCONNECT with reason 0x98 "administrative action".
  testing::MisbehavingPeer broker([](std::string_view request) -> std::string {
    if (request.empty() || static_cast<uint8_t>(request[0]) != 0x10) return "";
    return std::string(
        "\x20\x03\x00\x00\x00"
        "\xe0\x02\x98\x00",
        9);
  });
  ASSERT_NE(broker.port(), 0);
  MqttPublisher::Options o;
  o.port = broker.port();
  o.client_id = "strata-publisher-test";
  o.protocol_version = 5;
  o.wait_for_broker = false;
  auto publisher = MqttPublisher::Connect(o, 0);
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  EXPECT_TRUE(WaitUntil([&] { return (*publisher)->connects() >= 2; }))
      << "connected " << (*publisher)->connects() << " time(s) over " << broker.connections()
      << " connection(s): the client gave up after the broker's DISCONNECT";
  EXPECT_GE(broker.connections(), 2);
}

TEST(MqttPublisherTest, WaitsForABrokerThatStartsLater) {
  auto port = FreeTcpPort();
  ASSERT_TRUE(port.ok()) << port.status().ToString();
  Inbox inbox;
  MqttPublisher::Options o = Subscriber(*port, &inbox);
  o.wait_for_broker = false;
  auto publisher = MqttPublisher::Connect(o, 0);
  ASSERT_TRUE(publisher.ok()) << publisher.status().ToString();
  MqttPublisher& p = **publisher;
  EXPECT_FALSE(p.WaitConnected(kNsPerSec / 5));
  // Queued while the broker is away, sent once it is there.
  ASSERT_TRUE(p.Publish("test/queued", "1").ok());

  MosquittoBroker::Options bo;
  bo.port = *port;
  auto broker = MosquittoBroker::Start(bo);
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  EXPECT_TRUE(p.WaitConnected(30 * kNsPerSec));
  EXPECT_TRUE(p.WaitAllAcked(30 * kNsPerSec));
  EXPECT_EQ(p.connects(), 1u);
  ASSERT_TRUE(p.Publish("test/live", "2").ok());
  EXPECT_TRUE(WaitUntil([&] { return inbox.Has("test/live"); }));
}

}  // namespace
}  // namespace strata
