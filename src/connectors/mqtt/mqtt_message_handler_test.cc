#include "connectors/mqtt/mqtt_message_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/config_node.h"

namespace strata {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

// 2024-11-23T08:20:00Z
constexpr int64_t kNow = 1'732'350'000 * kNsPerSec;
constexpr int64_t kReceived = kNow - 3 * kNsPerMs;
constexpr int64_t kSourceMs = 1'732'349'999'000;  // a second before kNow, in ms
constexpr const char* kEndpoint = "tcp://127.0.0.1:1883";

std::filesystem::path ExamplesDir() {
  if (const char* dir = std::getenv("STRATA_SOURCE_DIR")) {
    return std::filesystem::path(dir) / "examples";
  }
  return (std::filesystem::path(__FILE__).parent_path() / "../../../examples").lexically_normal();
}

std::shared_ptr<const AssetModel> LoadExampleModel() {
  auto model = AssetModel::LoadFile((ExamplesDir() / "assets.yaml").string());
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : nullptr;
}

// The first connector of examples/edge.yaml, with examples/mapping.yaml.
MqttConnectorConfig LoadExampleConnector() {
  auto doc = ConfigDocument::LoadFile((ExamplesDir() / "edge.yaml").string());
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  if (!doc.ok()) return {};
  try {
    ConfigNode root = (*doc)->root();
    ConfigNode connector = root.Get("connectors").Elements().at(0);
    return MqttConnectorConfig::Read(connector, "strata-edge-1-plant");
  } catch (const ConfigError& e) {
    ADD_FAILURE() << e.what();
    return {};
  }
}

MqttConnectorConfig ParseConnector(const std::string& yaml) {
  auto doc = ConfigDocument::Parse(yaml, "edge.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto config = (*doc)->Read<MqttConnectorConfig>(
      [](ConfigNode& root) { return MqttConnectorConfig::Read(root, "edge-test"); });
  EXPECT_TRUE(config.ok()) << config.status().ToString();
  return config.ok() ? *config : MqttConnectorConfig{};
}

class MqttMessageHandlerTest : public ::testing::Test {
 protected:
  static RawMessage Message(const std::string& topic, std::string_view payload) {
    RawMessage m;
    m.topic = topic;
    m.SetPayload(payload.data(), payload.size());
    m.receive_ts_ns = kReceived;
    return m;
  }

  void Handle(const RawMessage& m) { handler_->Handle(m, normalizer_, &out_); }
  void Handle(const std::string& topic, std::string_view payload) {
    Handle(Message(topic, payload));
  }

  SignalId Id(const std::string& asset, const std::string& signal) const {
    const SignalId id = model_->Find(asset, signal);
    EXPECT_NE(id, kInvalidSignal) << asset << " " << signal;
    return id;
  }

  // The one dead letter produced, with `reason`; returns its detail.
  std::string OnlyDeadLetter(RejectReason reason, const std::string& topic) {
    EXPECT_TRUE(out_.observations.empty());
    EXPECT_EQ(out_.dead_letters.size(), 1u);
    EXPECT_EQ(counters_.rejected(reason), 1u);
    EXPECT_EQ(metrics_.Sum("strata_edge_rejected_total"), 1.0);
    if (out_.dead_letters.empty()) return "";
    const DeadLetter& d = out_.dead_letters[0];
    EXPECT_EQ(d.reason, reason) << RejectReasonName(d.reason) << ": " << d.detail;
    EXPECT_EQ(d.source, std::string("mqtt ") + kEndpoint + " " + topic);
    EXPECT_EQ(d.ts_ns, kNow);
    return d.detail;
  }

  FakeClock clock_{kNow};
  MetricsRegistry metrics_;
  PipelineCounters counters_{metrics_};
  std::shared_ptr<const AssetModel> model_ = LoadExampleModel();
  MqttConnectorConfig config_ = LoadExampleConnector();
  std::shared_ptr<SourceCatalog> sources_ = std::make_shared<SourceCatalog>();
  std::unique_ptr<MqttMessageHandler> handler_ =
      std::make_unique<MqttMessageHandler>(config_, sources_);
  Normalizer normalizer_{model_, clock_, ValidationOptions{}, &counters_};
  WriteBatch out_;
};

const std::string kProcess = "strata-sim/plant-1/pump-01/process";

TEST_F(MqttMessageHandlerTest, ExampleConfigIsWhatTheseTestsExpect) {
  ASSERT_NE(model_, nullptr);
  ASSERT_EQ(config_.mapping.rules.size(), 3u);
  EXPECT_EQ(config_.mapping.version, "2026-11-23.1");
  EXPECT_EQ(config_.Endpoint(), kEndpoint);
}

TEST_F(MqttMessageHandlerTest, ReadingsArrayBecomesOneObservationPerItem) {
  Handle(kProcess, R"({"ts": 1732349999000, "readings": [
      {"n": "load", "v": 81.2}, {"n": "speed", "v": 1480}, {"n": "bearing_de.temp", "v": 41.5}]})");
  ASSERT_TRUE(out_.dead_letters.empty()) << out_.dead_letters[0].detail;
  ASSERT_EQ(out_.observations.size(), 3u);
  const std::string asset = "acme/plant-1/line-1/pump-01";
  EXPECT_EQ(out_.observations[0].signal, Id(asset, "load"));
  EXPECT_EQ(out_.observations[0].value, 81.2);
  EXPECT_EQ(out_.observations[1].signal, Id(asset, "speed"));
  EXPECT_EQ(out_.observations[1].value, 1480.0);
  EXPECT_EQ(out_.observations[2].signal, Id(asset, "bearing_de.temp"));
  for (const Observation& o : out_.observations) {
    EXPECT_EQ(o.ts_ns, kSourceMs * kNsPerMs);
    EXPECT_EQ(o.ingest_ts_ns, kReceived);
    EXPECT_EQ(o.quality, Quality::kGood);
    EXPECT_EQ(o.source, out_.observations[0].source);
  }
  EXPECT_EQ(metrics_.Value("strata_edge_normalized_total"), 3.0);
}

TEST_F(MqttMessageHandlerTest, SourceIsInternedPerTopic) {
  Handle(kProcess, R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 1}]})");
  Handle(kProcess, R"({"ts": 1732349999001, "readings": [{"n": "load", "v": 2}]})");
  const std::string other = "strata-sim/plant-1/motor-01/process";
  Handle(other, R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 3}]})");
  ASSERT_EQ(out_.observations.size(), 3u);
  const SourceId first = out_.observations[0].source;
  EXPECT_NE(first, kInvalidSource);
  EXPECT_EQ(out_.observations[1].source, first);
  EXPECT_NE(out_.observations[2].source, first);
  EXPECT_EQ(sources_->size(), 2u);
  EXPECT_EQ(sources_->Get(first), (Source{"mqtt", kEndpoint, kProcess}));
  EXPECT_EQ(sources_->Get(out_.observations[2].source), (Source{"mqtt", kEndpoint, other}));
  EXPECT_EQ(out_.observations[2].signal, Id("acme/plant-1/line-1/motor-01", "load"));
}

TEST_F(MqttMessageHandlerTest, HandlersSharingACatalogShareSourceIds) {
  MqttMessageHandler second(config_, sources_);
  Handle(kProcess, R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 1}]})");
  second.Handle(Message(kProcess, R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 1}]})"),
                normalizer_, &out_);
  ASSERT_EQ(out_.observations.size(), 2u);
  EXPECT_EQ(out_.observations[0].source, out_.observations[1].source);
}

TEST_F(MqttMessageHandlerTest, BadItemsAreDeadLetteredAndTheRestKept) {
  const std::string payload = R"({"ts": 1732349999000, "readings": [
      {"n": "load", "v": 81.2}, {"n": "load", "v": "high"}, {"n": "nope", "v": 1},
      {"n": "speed", "v": 99999}]})";
  Handle(kProcess, payload);
  ASSERT_EQ(out_.observations.size(), 1u);
  ASSERT_EQ(out_.dead_letters.size(), 3u);
  const DeadLetter& wrong_type = out_.dead_letters[0];
  EXPECT_EQ(wrong_type.reason, RejectReason::kWrongType);
  EXPECT_THAT(wrong_type.detail,
              AllOf(HasSubstr("topic '" + kProcess + "', reading 1:"), HasSubstr("'/v'")));
  EXPECT_EQ(wrong_type.payload, payload);
  EXPECT_EQ(wrong_type.source, "mqtt tcp://127.0.0.1:1883 " + kProcess);
  EXPECT_EQ(out_.dead_letters[1].reason, RejectReason::kUnknownSignal);
  EXPECT_THAT(out_.dead_letters[1].detail,
              AllOf(HasSubstr("'acme/plant-1/line-1/pump-01'"), HasSubstr("'nope'")));
  EXPECT_EQ(out_.dead_letters[2].reason, RejectReason::kOutOfRange);
  EXPECT_EQ(counters_.rejected(RejectReason::kWrongType), 1u);
  EXPECT_EQ(counters_.rejected(RejectReason::kUnknownSignal), 1u);
  EXPECT_EQ(counters_.rejected(RejectReason::kOutOfRange), 1u);
}

TEST_F(MqttMessageHandlerTest, UnknownMachineIsUnknownAssetPerReading) {
  Handle("strata-sim/plant-1/pump-99/process",
         R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 1}, {"n": "speed", "v": 2}]})");
  ASSERT_EQ(out_.dead_letters.size(), 2u);
  EXPECT_EQ(out_.dead_letters[0].reason, RejectReason::kUnknownAsset);
  EXPECT_THAT(out_.dead_letters[0].detail, HasSubstr("'acme/plant-1/line-1/pump-99'"));
  EXPECT_EQ(counters_.rejected(RejectReason::kUnknownAsset), 2u);
  EXPECT_EQ(sources_->size(), 0u) << "topics that yield nothing must not grow the catalog";
}

TEST_F(MqttMessageHandlerTest, ManyBogusTopicsDoNotGrowTheSourceCatalog) {
  for (int i = 0; i < 1000; ++i) {
    Handle("strata-sim/plant-1/bogus-" + std::to_string(i) + "/process",
           R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 1}]})");
    Handle(kProcess, "{");
  }
  EXPECT_EQ(out_.dead_letters.size(), 2000u);
  EXPECT_EQ(sources_->size(), 0u);
}

TEST_F(MqttMessageHandlerTest, WaveformBecomesABlockObservation) {
  const std::string topic = "strata-sim/plant-1/pump-02/vibration/bearing_de.accel";
  Handle(topic, R"({"ts": 1732349999000, "fs": 10240, "samples": [0.12, -0.03, 1.5, 0]})");
  ASSERT_TRUE(out_.dead_letters.empty()) << out_.dead_letters[0].detail;
  ASSERT_EQ(out_.observations.size(), 1u);
  const Observation& o = out_.observations[0];
  EXPECT_EQ(o.signal, Id("acme/plant-1/line-1/pump-02", "bearing_de.accel"));
  ASSERT_TRUE(o.is_block());
  EXPECT_EQ(o.block->sample_rate_hz, 10240);
  EXPECT_EQ(o.block->samples, (std::vector<float>{0.12f, -0.03f, 1.5f, 0.0f}));
  EXPECT_EQ(o.ts_ns, kSourceMs * kNsPerMs);
  EXPECT_EQ(sources_->Get(o.source).address, topic);
}

TEST_F(MqttMessageHandlerTest, WaveformForAScalarSignalIsWrongKind) {
  const std::string topic = "strata-sim/plant-1/pump-02/vibration/bearing_de.temp";
  Handle(topic, R"({"ts": 1732349999000, "fs": 10240, "samples": [1]})");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kWrongKind, topic), HasSubstr("'bearing_de.temp'"));
}

TEST_F(MqttMessageHandlerTest, PlainFahrenheitNumberIsConvertedToCelsius) {
  const std::string topic = "legacy/boiler-1/flue_temp_f";
  Handle(topic, "212");
  Handle(topic, "  451.4\n");
  ASSERT_TRUE(out_.dead_letters.empty()) << out_.dead_letters[0].detail;
  ASSERT_EQ(out_.observations.size(), 2u);
  const Observation& o = out_.observations[0];
  EXPECT_EQ(o.signal, Id("acme/plant-1/utilities/boiler-1", "flue.temp"));
  EXPECT_NEAR(o.value, 100.0, 1e-9);
  EXPECT_EQ(o.ts_ns, kReceived) << "a bare number is stamped with the receive time";
  EXPECT_NEAR(out_.observations[1].value, 233.0, 1e-9);
}

TEST_F(MqttMessageHandlerTest, PlainGarbageIsMalformed) {
  const std::string topic = "legacy/boiler-1/flue_temp_f";
  Handle(topic, "hot");
  EXPECT_EQ(OnlyDeadLetter(RejectReason::kMalformedPayload, topic),
            "topic 'legacy/boiler-1/flue_temp_f': payload \"hot\" is not a number");
  EXPECT_EQ(out_.dead_letters[0].payload, "hot");
}

TEST_F(MqttMessageHandlerTest, PlainNaNIsNotFinite) {
  const std::string topic = "legacy/boiler-1/flue_temp_f";
  Handle(topic, "NaN");
  OnlyDeadLetter(RejectReason::kNotFinite, topic);
}

TEST_F(MqttMessageHandlerTest, UnknownTopicIsDeadLettered) {
  const std::string topic = "somewhere/else";
  Handle(topic, R"({"v": 1})");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kUnknownTopic, topic),
              AllOf(HasSubstr("'somewhere/else'"), HasSubstr("2026-11-23.1")));
  EXPECT_EQ(out_.dead_letters[0].payload, R"({"v": 1})");
  EXPECT_EQ(sources_->size(), 0u) << "no source for a topic that maps nowhere";
}

TEST_F(MqttMessageHandlerTest, TopicThatOnlyPartlyMatchesIsUnknown) {
  Handle("strata-sim/plant-1/pump-01/process/extra", R"({"ts": 1, "readings": []})");
  Handle("strata-sim/plant-1/pump-01", R"({"ts": 1, "readings": []})");
  ASSERT_EQ(out_.dead_letters.size(), 2u);
  EXPECT_EQ(out_.dead_letters[0].reason, RejectReason::kUnknownTopic);
  EXPECT_EQ(out_.dead_letters[1].reason, RejectReason::kUnknownTopic);
}

TEST_F(MqttMessageHandlerTest, OversizeMessageIsPayloadTooLarge) {
  RawMessage m = Message(kProcess, std::string(kMaxDeadLetterPayload, '{'));
  m.oversize = true;
  m.original_size = 300000;
  Handle(m);
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kPayloadTooLarge, kProcess),
              AllOf(HasSubstr("300000 bytes"), HasSubstr("'" + kProcess + "'"),
                    HasSubstr("max_payload of 262144 bytes")));
  const DeadLetter& d = out_.dead_letters[0];
  EXPECT_EQ(d.payload, m.payload);
  EXPECT_TRUE(d.payload_truncated) << "the kept bytes are only the start of the message";
}

TEST_F(MqttMessageHandlerTest, OversizeIsCheckedBeforeTheTopic) {
  RawMessage m = Message("somewhere/else", "x");
  m.oversize = true;
  m.original_size = 1 << 20;
  Handle(m);
  OnlyDeadLetter(RejectReason::kPayloadTooLarge, "somewhere/else");
}

TEST_F(MqttMessageHandlerTest, MalformedJsonIsDeadLettered) {
  Handle(kProcess, R"({"ts": 1732349999000, "readings": [)");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kMalformedPayload, kProcess),
              AllOf(HasSubstr("topic '" + kProcess + "'"), HasSubstr("not valid JSON")));
}

TEST_F(MqttMessageHandlerTest, LargeMalformedPayloadIsKeptOnlyInPart) {
  const std::string payload = "{" + std::string(10000, 'x');
  Handle(kProcess, payload);
  OnlyDeadLetter(RejectReason::kMalformedPayload, kProcess);
  EXPECT_EQ(out_.dead_letters[0].payload.size(), kMaxDeadLetterPayload);
  EXPECT_TRUE(out_.dead_letters[0].payload_truncated);
}

TEST_F(MqttMessageHandlerTest, ItemsOfTheWrongTypeFailTheMessageOnce) {
  Handle(kProcess, R"({"ts": 1, "readings": {"n": "load", "v": 1}})");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kWrongType, kProcess),
              HasSubstr("'/readings' is an object"));
}

TEST_F(MqttMessageHandlerTest, EmptyReadingsFailTheMessageOnce) {
  Handle(kProcess, R"({"ts": 1, "readings": []})");
  OnlyDeadLetter(RejectReason::kMissingField, kProcess);
}

TEST_F(MqttMessageHandlerTest, TimestampInTheWrongUnitIsCaught) {
  // Seconds sent to a decoder that expects milliseconds: 1970.
  Handle(kProcess, R"({"ts": 1732349999, "readings": [{"n": "load", "v": 1}]})");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kTimestampTooOld, kProcess),
              HasSubstr("timestamp_unit"));
}

TEST_F(MqttMessageHandlerTest, KeepsWorkingAfterFailures) {
  Handle(kProcess, "{");
  Handle("nowhere", "1");
  Handle(kProcess, R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 5}]})");
  ASSERT_EQ(out_.observations.size(), 1u);
  EXPECT_EQ(out_.observations[0].value, 5.0);
  EXPECT_EQ(out_.dead_letters.size(), 2u);
}

TEST_F(MqttMessageHandlerTest, CapturesDoNotLeakBetweenMessages) {
  Handle(kProcess, R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 1}]})");
  Handle("strata-sim/plant-1/pump-03/process",
         R"({"ts": 1732349999000, "readings": [{"n": "load", "v": 2}]})");
  ASSERT_EQ(out_.observations.size(), 2u);
  EXPECT_EQ(out_.observations[0].signal, Id("acme/plant-1/line-1/pump-01", "load"));
  EXPECT_EQ(out_.observations[1].signal, Id("acme/plant-1/line-1/pump-03", "load"));
}

TEST_F(MqttMessageHandlerTest, PayloadUnitQualityAndScaleFromAnInlineConfig) {
  const MqttConnectorConfig config = ParseConnector(R"(name: plant
broker: {host: broker, port: 1884}
decoders:
  reading: {value: /v, unit: /u, quality: /q, timestamp: /t, timestamp_unit: s}
mapping:
  rules:
    - topic: "boiler/{what}"
      asset: acme/plant-1/utilities/boiler-1
      signal: flue.temp
      scale: 0.5
)");
  MqttMessageHandler handler(config, sources_);
  handler.Handle(Message("boiler/a", R"({"v": 424, "u": "[degF]", "t": 1732349999})"), normalizer_,
                 &out_);
  handler.Handle(Message("boiler/b", R"({"v": null, "q": "bad", "t": 1732349999})"), normalizer_,
                 &out_);
  handler.Handle(Message("boiler/c", R"({"v": 20, "u": "A", "t": 1732349999})"), normalizer_,
                 &out_);
  ASSERT_EQ(out_.observations.size(), 2u);
  EXPECT_NEAR(out_.observations[0].value, 100.0, 1e-9);  // 424 * 0.5 = 212 degF
  EXPECT_EQ(out_.observations[0].ts_ns, 1'732'349'999 * kNsPerSec);
  EXPECT_EQ(out_.observations[1].quality, Quality::kBad);
  EXPECT_TRUE(std::isnan(out_.observations[1].value));
  EXPECT_EQ(sources_->Get(out_.observations[0].source),
            (Source{"mqtt", "tcp://broker:1884", "boiler/a"}));
  ASSERT_EQ(out_.dead_letters.size(), 1u);
  EXPECT_EQ(out_.dead_letters[0].reason, RejectReason::kUnitMismatch);
  EXPECT_EQ(out_.dead_letters[0].source, "mqtt tcp://broker:1884 boiler/c");
}

}  // namespace
}  // namespace strata
