// TLS and username/password reach the broker: a mosquitto that only accepts TLS with a password,
// certificates made by the test with openssl.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "connectors/mqtt/mqtt_publisher.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::MosquittoBroker;
using testing::TempDir;
using testing::WaitUntil;

// Runs a command to completion; true on exit code 0.
bool Sh(const std::vector<std::string>& argv, const TempDir& dir) {
  const Status s = testing::RunCommand(argv, dir.File("sh.log"));
  EXPECT_TRUE(s.ok()) << s.ToString();
  return s.ok();
}

std::string EdgeYaml(int port, const TempDir& dir, const std::string& password) {
  return fmt::format(R"(
edge: {{id: tls-edge}}
store: {{path: {dir}/edge.db, durability: normal}}
assets: {src}/examples/assets.yaml
connectors:
  - name: secure
    type: mqtt
    broker: {{host: 127.0.0.1, port: {port}}}
    username: edge-1
    password: {password}
    tls: {{ca_file: {dir}/ca.crt}}
    reconnect: {{min: 100ms, max: 500ms}}
    decoders: {{plain: {{type: number}}}}
    mapping:
      rules:
        - {{topic: "legacy/boiler-1/flue_temp_f", asset: acme/plant-1/utilities/boiler-1, signal: flue.temp, unit: "[degF]"}}
metrics: {{listen: "off"}}
)",
                     fmt::arg("dir", dir.path()), fmt::arg("src", testing::SourceDir()),
                     fmt::arg("port", port), fmt::arg("password", password));
}

class EdgeTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Status certificates = testing::MakeTestCertificates(dir_);
    ASSERT_TRUE(certificates.ok()) << certificates.ToString();
    ASSERT_TRUE(Sh({"mosquitto_passwd", "-b", "-c", dir_.File("passwords"), "edge-1", "s3cret"},
                   dir_));
    ASSERT_TRUE(Sh({"mosquitto_passwd", "-b", dir_.File("passwords"), "publisher", "pub"}, dir_));
    MosquittoBroker::Options o;
    o.extra_config = fmt::format(
        "allow_anonymous false\npassword_file {0}\ncafile {1}\ncertfile {2}\nkeyfile {3}\n",
        dir_.File("passwords"), dir_.File("ca.crt"), dir_.File("server.crt"),
        dir_.File("server.key"));
    auto broker = MosquittoBroker::Start(o);
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(*broker);
  }

  TempDir dir_;
  std::unique_ptr<MosquittoBroker> broker_;
};

TEST_F(EdgeTlsTest, TheEdgeConnectsOverTlsWithItsPasswordAndStores) {
  auto config = EdgeConfig::Parse(EdgeYaml(broker_->port(), dir_, "s3cret"), "edge.yaml", "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EdgeAgent agent(std::move(*config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "secure"}}) == 1;
  })) << broker_->log();

  MqttPublisher::Options p;
  p.port = broker_->port();
  p.username = "publisher";
  p.password = "pub";
  p.tls = MqttTlsOptions{dir_.File("ca.crt"), "", "", "", false};
  auto pub = MqttPublisher::Connect(p, 10 * kNsPerSec);
  ASSERT_TRUE(pub.ok()) << pub.status().ToString();
  ASSERT_TRUE((*pub)->Publish("legacy/boiler-1/flue_temp_f", "392").ok());
  EXPECT_TRUE(WaitUntil(
      [&] { return agent.metrics().Value("strata_edge_observations_stored_total") == 1; }));
}

TEST_F(EdgeTlsTest, AWrongPasswordIsRefusedAndKeepsBeingRetried) {
  auto config = EdgeConfig::Parse(EdgeYaml(broker_->port(), dir_, "wrong"), "edge.yaml", "");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EdgeAgent agent(std::move(*config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_connect_failures_total",
                                 {{"connector", "secure"}}) >= 2;
  }));
  EXPECT_EQ(agent.metrics().Value("strata_edge_connector_up", {{"connector", "secure"}}), 0);
}

TEST_F(EdgeTlsTest, APublisherWithoutTheCaIsRefused) {
  MqttPublisher::Options p;
  p.port = broker_->port();
  p.username = "publisher";
  p.password = "pub";
  EXPECT_FALSE(MqttPublisher::Connect(p, kNsPerSec).ok()) << "plain TCP to a TLS listener";
}

}  // namespace
}  // namespace strata
