#include "connectors/mqtt/mqtt_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config_node.h"

namespace strata {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kDefaultClientId = "strata-edge-1-plant";

// Reads a connector entry from `yaml` (without its `type: mqtt`, which the caller reads), as
// the edge config does; unused keys are errors.
StatusOr<MqttConnectorConfig> ReadConfig(const std::string& yaml,
                                         const std::string& file = "edge.yaml",
                                         const std::string& dir = "") {
  auto doc = ConfigDocument::Parse(yaml, file, dir);
  if (!doc.ok()) return doc.status();
  return (*doc)->Read<MqttConnectorConfig>(
      [](ConfigNode& root) { return MqttConnectorConfig::Read(root, kDefaultClientId); });
}

MqttConnectorConfig MustRead(const std::string& yaml) {
  auto config = ReadConfig(yaml);
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : MqttConnectorConfig{};
}

// Expects `yaml` to be rejected with a message starting "<file>:<line>:" and containing each
// of `needles`.
void ExpectError(const std::string& yaml, int line, const std::vector<std::string>& needles) {
  auto config = ReadConfig(yaml);
  ASSERT_FALSE(config.ok()) << "accepted:\n" << yaml;
  EXPECT_EQ(config.status().code(), StatusCode::kInvalidArgument);
  const std::string& message = config.status().message();
  EXPECT_THAT(message, StartsWith("edge.yaml:" + std::to_string(line) + ":"));
  for (const auto& needle : needles) EXPECT_THAT(message, HasSubstr(needle));
}

// A minimal connector: one rule, no decoders declared.
constexpr const char* kMinimal = R"(name: plant
mapping:
  rules:
    - {topic: "plant/{machine}/temp", asset: "acme/{machine}", signal: temp}
)";

// The connector of examples/edge.yaml, with its mapping inline.
constexpr const char* kExample = R"(name: plant
broker: {host: 10.0.0.5, port: 1884}
clean_session: false
qos: 1
keepalive: 30s
max_payload: 256KiB
reconnect: {min: 500ms, max: 30s}
decoders:
  readings:
    type: json
    items: /readings
    name: /n
    value: /v
    timestamp: /ts
    timestamp_unit: ms
  waveform:
    type: json
    samples: /samples
    sample_rate: /fs
    timestamp: /ts
  plain:
    type: number
mapping:
  version: "2026-11-23.1"
  rules:
    - topic: "strata-sim/plant-1/{machine}/process"
      decoder: readings
      asset: "acme/plant-1/line-1/{machine}"
      signal: "{name}"
    - topic: "strata-sim/plant-1/{machine}/vibration/{signal}"
      decoder: waveform
      asset: "acme/plant-1/line-1/{machine}"
      signal: "{signal}"
    - topic: "legacy/boiler-1/flue_temp_f"
      decoder: plain
      asset: "acme/plant-1/utilities/boiler-1"
      signal: flue.temp
      unit: "[degF]"
)";

TEST(MqttConfigTest, Defaults) {
  const MqttConnectorConfig c = MustRead(kMinimal);
  EXPECT_EQ(c.name, "plant");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 1883);
  EXPECT_EQ(c.client_id, kDefaultClientId);
  EXPECT_EQ(c.keepalive_ns, 30 * kNsPerSec);
  EXPECT_FALSE(c.clean_session);
  EXPECT_EQ(c.qos, 1);
  EXPECT_TRUE(c.username.empty());
  EXPECT_TRUE(c.password.empty());
  EXPECT_FALSE(c.tls.has_value());
  EXPECT_EQ(c.max_payload, 256 * 1024);
  EXPECT_EQ(c.reconnect_min_ns, 500 * kNsPerMs);
  EXPECT_EQ(c.reconnect_max_ns, 30 * kNsPerSec);
  EXPECT_EQ(c.Endpoint(), "tcp://127.0.0.1:1883");
  EXPECT_EQ(c.mapping.version, "unversioned");
  ASSERT_EQ(c.mapping.rules.size(), 1u);
}

TEST(MqttConfigTest, DefaultDecoderReadsSlashValue) {
  const MqttConnectorConfig c = MustRead(kMinimal);
  ASSERT_EQ(c.decoders.size(), 1u);
  EXPECT_EQ(c.default_decoder, "json");
  const DecoderSpec& json = c.decoders.at("json");
  EXPECT_EQ(json.type, DecoderSpec::Type::kJson);
  EXPECT_EQ(json.value, "/value");
  EXPECT_FALSE(json.timestamp.has_value());
  EXPECT_FALSE(json.gives_item_names());
}

TEST(MqttConfigTest, SubscriptionsAreDerivedFromTheMapping) {
  const MqttConnectorConfig c = MustRead(kExample);
  EXPECT_THAT(c.subscriptions,
              ElementsAre("strata-sim/plant-1/+/process", "strata-sim/plant-1/+/vibration/+",
                          "legacy/boiler-1/flue_temp_f"));
}

TEST(MqttConfigTest, DerivedSubscriptionsAreDistinct) {
  const MqttConnectorConfig c = MustRead(R"(name: plant
mapping:
  rules:
    - {topic: "p/{machine}/temp", asset: "acme/{machine}", signal: temp}
    - {topic: "p/+/temp", asset: "acme/other", signal: temp}
    - {topic: "p/#", asset: "acme/rest", signal: temp}
)");
  EXPECT_THAT(c.subscriptions, ElementsAre("p/+/temp", "p/#"));
}

TEST(MqttConfigTest, ExplicitSubscriptions) {
  std::string yaml = kMinimal;
  EXPECT_THAT(MustRead(yaml + "subscriptions: [\"plant/#\", \"other/+/x\"]\n").subscriptions,
              ElementsAre("plant/#", "other/+/x"));
  EXPECT_THAT(MustRead(yaml + "subscriptions: \"plant/#\"\n").subscriptions,
              ElementsAre("plant/#"));
}

TEST(MqttConfigTest, ReadsTheExampleConnector) {
  const MqttConnectorConfig c = MustRead(kExample);
  EXPECT_EQ(c.host, "10.0.0.5");
  EXPECT_EQ(c.port, 1884);
  EXPECT_EQ(c.Endpoint(), "tcp://10.0.0.5:1884");
  EXPECT_EQ(c.mapping.version, "2026-11-23.1");
  ASSERT_EQ(c.mapping.rules.size(), 3u);
  EXPECT_EQ(c.mapping.rules[2].unit, "[degF]");
  EXPECT_EQ(c.mapping.rules[0].where, "edge.yaml:26:7");
  ASSERT_EQ(c.decoders.size(), 3u);
  EXPECT_TRUE(c.default_decoder.empty()) << "several decoders and none named default";
  EXPECT_EQ(c.decoders.at("readings").items, "/readings");
  EXPECT_EQ(c.decoders.at("readings").name, "readings");
  EXPECT_EQ(c.decoders.at("waveform").samples, "/samples");
  EXPECT_EQ(c.decoders.at("plain").type, DecoderSpec::Type::kNumber);
}

TEST(MqttConfigTest, ReadsEverySetting) {
  ::setenv("STRATA_MQTT_CONFIG_TEST_PASSWORD", "s3cret", 1);
  const MqttConnectorConfig c = MustRead(std::string(kMinimal) + R"(
broker: {host: broker.local, port: 8883}
client_id: edge-7
keepalive: 1m
clean_session: true
qos: 0
username: edge-7
password_env: STRATA_MQTT_CONFIG_TEST_PASSWORD
max_payload: 1MiB
reconnect: {min: 1s, max: 1m}
default_decoder: value
decoders:
  value: {value: /v}
  other: {type: number}
)");
  ::unsetenv("STRATA_MQTT_CONFIG_TEST_PASSWORD");
  EXPECT_EQ(c.host, "broker.local");
  EXPECT_EQ(c.port, 8883);
  EXPECT_EQ(c.client_id, "edge-7");
  EXPECT_EQ(c.keepalive_ns, 60 * kNsPerSec);
  EXPECT_TRUE(c.clean_session);
  EXPECT_EQ(c.qos, 0);
  EXPECT_EQ(c.username, "edge-7");
  EXPECT_EQ(c.password, "s3cret");
  EXPECT_EQ(c.max_payload, 1 << 20);
  EXPECT_EQ(c.reconnect_min_ns, kNsPerSec);
  EXPECT_EQ(c.reconnect_max_ns, 60 * kNsPerSec);
  EXPECT_EQ(c.default_decoder, "value");
  EXPECT_EQ(c.decoders.at("value").value, "/v");
}

TEST(MqttConfigTest, PlainPassword) {
  EXPECT_EQ(MustRead(std::string(kMinimal) + "password: hunter2\n").password, "hunter2");
}

// ---------------------------------------------------------------- errors, naming file:line

TEST(MqttConfigTest, BadJsonPointerInADecoder) {
  ExpectError(std::string(kMinimal) + "decoders:\n  d: {value: v}\n", 6,
              {"decoders.d.value", "'v' is not a JSON pointer", "/v"});
}

TEST(MqttConfigTest, DecoderWithSamplesAndValue) {
  ExpectError(std::string(kMinimal) +
                  "decoders:\n  d:\n    value: /v\n    samples: /s\n    sample_rate_hz: 100\n",
              7, {"decoders.d", "either a value or waveform samples"});
}

TEST(MqttConfigTest, WaveformDecoderWithoutRate) {
  ExpectError(std::string(kMinimal) + "decoders:\n  d:\n    samples: /s\n", 7,
              {"decoders.d", "sample_rate"});
}

TEST(MqttConfigTest, UnknownDecoderInARuleSuggestsTheClosest) {
  ExpectError(R"(name: plant
decoders:
  readings: {items: /r, name: /n, value: /v}
  plain: {type: number}
mapping:
  rules:
    - {topic: "a/b", asset: "acme/x", signal: temp, decoder: plain}
    - {topic: "p/{m}", asset: "acme/{m}", signal: "{name}", decoder: reading}
)",
              8,
              {"mapping rule for topic 'p/{m}'", "unknown decoder 'reading'",
               "declared decoders: readings, plain", "did you mean 'readings'?"});
}

TEST(MqttConfigTest, RuleWithoutDecoderAndNoDefault) {
  ExpectError(R"(name: plant
decoders:
  a: {value: /v}
  b: {type: number}
mapping:
  rules:
    - {topic: "a/b", asset: "acme/x", signal: temp}
)",
              7, {"no decoder named and no default_decoder set", "declared decoders: a, b"});
}

TEST(MqttConfigTest, RuleWithoutDecoderUsesTheOnlyOne) {
  const MqttConnectorConfig c = MustRead(R"(name: plant
decoders:
  only: {type: number}
mapping:
  rules:
    - {topic: "a/b", asset: "acme/x", signal: temp}
)");
  EXPECT_EQ(c.default_decoder, "only");
}

TEST(MqttConfigTest, UnknownDefaultDecoder) {
  ExpectError(R"(name: plant
default_decoder: jsn
decoders:
  json: {value: /v}
  plain: {type: number}
mapping:
  rules:
    - {topic: "a/b", asset: "acme/x", signal: temp, decoder: plain}
)",
              2, {"default_decoder", "unknown decoder 'jsn'", "did you mean 'json'?"});
}

TEST(MqttConfigTest, NameTemplateNeedsADecoderThatReadsNames) {
  ExpectError(R"(name: plant
decoders:
  plain: {type: number}
mapping:
  rules:
    - {topic: "p/{m}", asset: "acme/{m}", signal: "{name}"}
)",
              6, {"uses {name}", "decoder 'plain' reads no item name", "`name:` pointer"});
  ExpectError(R"(name: plant
decoders:
  single: {value: /v}
mapping:
  rules:
    - {topic: "p/x", asset: "acme/{name}", signal: temp}
)",
              6, {"uses {name}", "decoder 'single'"});
}

TEST(MqttConfigTest, QosMustBeZeroOrOne) {
  ExpectError(std::string(kMinimal) + "qos: 2\n", 5, {"qos", "0 or 1"});
  ExpectError(std::string(kMinimal) + "qos: -1\n", 5, {"qos", "0 or 1"});
}

TEST(MqttConfigTest, BadPort) {
  ExpectError(std::string(kMinimal) + "broker:\n  host: h\n  port: 0\n", 7,
              {"broker.port", "1..65535"});
  ExpectError(std::string(kMinimal) + "broker: {port: 65536}\n", 5, {"1..65535"});
  ExpectError(std::string(kMinimal) + "broker: {port: mqtt}\n", 5,
              {"'mqtt' is not a whole number"});
}

TEST(MqttConfigTest, KeepaliveMustFitMqtt) {
  ExpectError(std::string(kMinimal) + "keepalive: 4s\n", 5, {"keepalive", "between 5s"});
  ExpectError(std::string(kMinimal) + "keepalive: 1d\n", 5, {"keepalive", "65535 seconds"});
  EXPECT_EQ(MustRead(std::string(kMinimal) + "keepalive: 65535s\n").keepalive_ns,
            65535 * kNsPerSec);
}

TEST(MqttConfigTest, PersistentSessionNeedsAClientId) {
  ExpectError(std::string(kMinimal) + "client_id: \"\"\n", 5, {"client_id", "clean_session"});
  EXPECT_TRUE(
      MustRead(std::string(kMinimal) + "client_id: \"\"\nclean_session: true\n").client_id.empty());
}

TEST(MqttConfigTest, UnsetPasswordEnvironmentVariable) {
  ::unsetenv("STRATA_MQTT_CONFIG_TEST_UNSET");
  ExpectError(std::string(kMinimal) + "password_env: STRATA_MQTT_CONFIG_TEST_UNSET\n", 5,
              {"password_env", "'STRATA_MQTT_CONFIG_TEST_UNSET' is not set"});
}

TEST(MqttConfigTest, BadMaxPayloadAndReconnect) {
  ExpectError(std::string(kMinimal) + "max_payload: 0\n", 5, {"max_payload"});
  ExpectError(std::string(kMinimal) + "max_payload: 1GiB\n", 5, {"256MiB"});
  ExpectError(std::string(kMinimal) + "reconnect: {min: 10s, max: 1s}\n", 5,
              {"reconnect", "min <= max"});
}

TEST(MqttConfigTest, BadSubscriptionFilters) {
  ExpectError(std::string(kMinimal) + "subscriptions: [\"plant/#/x\"]\n", 5,
              {"'plant/#/x' is not an MQTT topic filter", "last level"});
  ExpectError(std::string(kMinimal) + "subscriptions: [\"plant/a+\"]\n", 5, {"whole level"});
  ExpectError(std::string(kMinimal) + "subscriptions: [\"\"]\n", 5, {"empty"});
}

TEST(MqttConfigTest, NoRulesAndNoSubscriptions) {
  ExpectError("name: plant\nmapping:\n  rules: []\n", 1, {"no subscriptions"});
}

TEST(MqttConfigTest, MissingMapping) {
  ExpectError("name: plant\n", 1, {"missing required key 'mapping'"});
}

TEST(MqttConfigTest, TyposAreErrors) {
  ExpectError(std::string(kMinimal) + "brokr: {host: h}\n", 5, {"did you mean 'broker'?"});
  ExpectError(std::string(kMinimal) + "broker: {hots: h}\n", 5, {"did you mean 'host'?"});
}

TEST(MqttConfigTest, TlsNeedsACertificateAuthority) {
  ExpectError(std::string(kMinimal) + "tls: {insecure: true}\n", 5, {"ca_file or ca_path"});
}

// ---------------------------------------------------------------- files

// A scratch directory, removed at the end of the test.
class MqttConfigFilesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = std::filesystem::temp_directory_path() /
           ("strata-mqtt-config-test-" + std::to_string(::getpid()) + "-" + info->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const auto path = dir_ / name;
    std::ofstream(path) << text;
    return path.string();
  }

  // Reads edge.yaml from the scratch directory, resolving relative paths against it.
  StatusOr<MqttConnectorConfig> Load(const std::string& yaml) {
    const std::string path = Write("edge.yaml", yaml);
    auto doc = ConfigDocument::LoadFile(path);
    if (!doc.ok()) return doc.status();
    return (*doc)->Read<MqttConnectorConfig>(
        [](ConfigNode& root) { return MqttConnectorConfig::Read(root, kDefaultClientId); });
  }

  std::filesystem::path dir_;
};

constexpr const char* kMappingFile = R"(# the mapping
version: "v7"
rules:
  - topic: "plant/{machine}/temp"
    asset: "acme/{machine}"
    signal: temp
)";

TEST_F(MqttConfigFilesTest, MappingInASeparateFile) {
  Write("mapping.yaml", kMappingFile);
  auto c = Load("name: plant\nmapping: mapping.yaml\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mapping.version, "v7");
  ASSERT_EQ(c->mapping.rules.size(), 1u);
  EXPECT_EQ(c->mapping.rules[0].where, (dir_ / "mapping.yaml").string() + ":4:5");
  EXPECT_THAT(c->subscriptions, ElementsAre("plant/+/temp"));
}

TEST_F(MqttConfigFilesTest, MappingFileMayNestUnderAMappingKey) {
  Write("m.yaml", "mapping:\n  version: v2\n  rules:\n    - {topic: a, asset: x/y, signal: s}\n");
  auto c = Load("name: plant\nmapping: m.yaml\n");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->mapping.version, "v2");
}

TEST_F(MqttConfigFilesTest, ErrorsInTheMappingFileNameThatFile) {
  Write("mapping.yaml", R"(version: "v7"
rules:
  - topic: "plant/{machine}/temp"
    asset: "acme/{machin}"
    signal: temp
)");
  auto c = Load("name: plant\nmapping: mapping.yaml\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), AllOf(StartsWith((dir_ / "mapping.yaml").string() + ":4:"),
                                          HasSubstr("'{machin}' is not captured")));
}

TEST_F(MqttConfigFilesTest, UnknownKeysInTheMappingFileNameThatFile) {
  Write("mapping.yaml", std::string(kMappingFile) + "    scael: 2\n");
  auto c = Load("name: plant\nmapping: mapping.yaml\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), AllOf(StartsWith((dir_ / "mapping.yaml").string() + ":7:"),
                                          HasSubstr("did you mean 'scale'?")));
}

TEST_F(MqttConfigFilesTest, UnknownDecoderInTheMappingFileNamesTheRuleThere) {
  Write("mapping.yaml", std::string(kMappingFile) + "    decoder: nope\n");
  auto c = Load("name: plant\nmapping: mapping.yaml\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), AllOf(StartsWith((dir_ / "mapping.yaml").string() + ":4:5"),
                                          HasSubstr("unknown decoder 'nope'")));
}

TEST_F(MqttConfigFilesTest, MissingMappingFileNamesTheConfigLine) {
  auto c = Load("name: plant\nmapping: nowhere.yaml\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), AllOf(StartsWith((dir_ / "edge.yaml").string() + ":2:"),
                                          HasSubstr((dir_ / "nowhere.yaml").string())));
}

TEST_F(MqttConfigFilesTest, InvalidYamlInTheMappingFile) {
  Write("mapping.yaml", "rules: [\n");
  auto c = Load("name: plant\nmapping: mapping.yaml\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), HasSubstr("mapping.yaml"));
}

TEST_F(MqttConfigFilesTest, TlsFilesMustExist) {
  Write("ca.pem", "not really a certificate");
  auto ok = Load(std::string(kMinimal) + "tls: {ca_file: ca.pem}\n");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_TRUE(ok->tls.has_value());
  EXPECT_EQ(ok->tls->ca_file, (dir_ / "ca.pem").string()) << "relative to the config file";
  EXPECT_EQ(ok->Endpoint(), "ssl://127.0.0.1:1883");

  auto missing = Load(std::string(kMinimal) +
                      "tls:\n  ca_file: ca.pem\n  cert_file: edge.pem\n"
                      "  key_file: edge.key\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(),
              AllOf(StartsWith((dir_ / "edge.yaml").string() + ":7:"), HasSubstr("tls.cert_file"),
                    HasSubstr("edge.pem' does not exist")));

  auto no_ca_dir = Load(std::string(kMinimal) + "tls: {ca_path: certs}\n");
  ASSERT_FALSE(no_ca_dir.ok());
  EXPECT_THAT(no_ca_dir.status().message(), HasSubstr("certs' does not exist"));
}

TEST_F(MqttConfigFilesTest, TlsClientCertificateNeedsItsKey) {
  Write("ca.pem", "x");
  Write("edge.pem", "x");
  auto c = Load(std::string(kMinimal) + "tls: {ca_file: ca.pem, cert_file: edge.pem}\n");
  ASSERT_FALSE(c.ok());
  EXPECT_THAT(c.status().message(), AllOf(StartsWith((dir_ / "edge.yaml").string() + ":5:"),
                                          HasSubstr("both cert_file and key_file")));
}

}  // namespace
}  // namespace strata
