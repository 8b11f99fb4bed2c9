#include "connectors/modbus/modbus_message_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "connectors/modbus/modbus_message.h"
#include "core/clock.h"
#include "core/config_node.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1'732'350'000 * kNsPerSec;  // 2024-11-23T08:20:00Z
constexpr int64_t kReceived = kNow - 3 * kNsPerMs;

constexpr const char* kAssets = R"(
asset_types:
  pump:
    signals:
      temp:   {unit: Cel, range: [-40, 150]}
      load:   {unit: "%", range: [0, 120]}
      speed:  {unit: "{rev}/min"}
      energy: {unit: kW.h}
      state:  {unit: "1"}
      alarm:  {unit: "1"}
      mode:   {unit: "1"}
assets:
  - {path: "acme/p/pump-1", type: pump}
)";

constexpr const char* kConnector = R"(
name: plc
endpoint: tcp://10.0.0.5:502
max_gap: 8
devices:
  - unit_id: 2
    asset: acme/p/pump-1
    poll_groups:
      - interval: 1s
        registers:
          - {table: holding, address: 100, type: float32, order: CDAB, signal: temp, unit: "[degF]"}
          - {table: holding, address: 102, type: int16, signal: load, scale: 0.1}
          - {table: holding, address: 103, type: uint32, order: DCBA, signal: speed}
          - {table: holding, address: 105, type: float64, order: BADC, signal: energy}
          - {table: holding, address: 110, bit: 3, signal: alarm}
          - {table: holding, address: 110, bit: 13, bits: 3, signal: mode}
          - {table: coil, address: 4, signal: state}
)";

template <typename T>
T MustRead(const std::string& yaml, const std::function<T(ConfigNode&)>& reader) {
  auto doc = ConfigDocument::Parse(yaml, "edge.yaml");
  EXPECT_TRUE(doc.ok());
  auto value = (*doc)->Read<T>(reader);
  EXPECT_TRUE(value.ok()) << value.status().ToString();
  return std::move(*value);
}

class ModbusMessageHandlerTest : public ::testing::Test {
 protected:
  static RawMessage Message(ModbusOutcome outcome, uint32_t request, const std::string& data,
                            uint8_t exception = 0) {
    RawMessage m;
    std::string payload;
    AppendModbusHeader({outcome, exception, request}, &payload);
    payload += data;
    m.SetPayload(payload.data(), payload.size());
    m.receive_ts_ns = kReceived;
    return m;
  }
  static std::string Words(const std::vector<uint16_t>& words) {
    std::string s;
    for (uint16_t w : words) {
      s.push_back(static_cast<char>(w >> 8));
      s.push_back(static_cast<char>(w & 0xff));
    }
    return s;
  }
  void Handle(const RawMessage& m) { handler_.Handle(m, normalizer_, &out_); }
  const Observation* Find(const std::string& signal) {
    const SignalId id = model_->Find("acme/p/pump-1", signal);
    for (const auto& o : out_.observations) {
      if (o.signal == id) return &o;
    }
    ADD_FAILURE() << "no observation of " << signal;
    return nullptr;
  }

  FakeClock clock_{kNow};
  MetricsRegistry metrics_;
  PipelineCounters counters_{metrics_};
  std::shared_ptr<const AssetModel> model_ = MustRead<std::shared_ptr<const AssetModel>>(
      kAssets, [](ConfigNode& root) { return AssetModel::Read(root); });
  ModbusConnectorConfig config_ = MustRead<ModbusConnectorConfig>(
      kConnector,
      [this](ConfigNode& root) { return ModbusConnectorConfig::Read(root, model_.get()); });
  std::shared_ptr<SourceCatalog> sources_ = std::make_shared<SourceCatalog>();
  ModbusMessageHandler handler_{config_, sources_};
  Normalizer normalizer_{model_, clock_, ValidationOptions{}, &counters_};
  WriteBatch out_;
};

TEST_F(ModbusMessageHandlerTest, PlanIsWhatTheseTestsExpect) {
  ASSERT_EQ(config_.requests.size(), 2u);
  EXPECT_EQ(config_.requests[0].description, "unit 2 hr 100..110");
  EXPECT_EQ(config_.requests[1].description, "unit 2 coil 4..4");
}

TEST_F(ModbusMessageHandlerTest, DecodesEveryRegisterOfAResponse) {
  // 212 °F as float32 = 0x43540000, CDAB → [0x0000, 0x4354]; load 87.5 % → int16 875;
  // speed 1480 = 0x000005C8 in DCBA → [0xC805, 0x0000]; energy 123.456 = 0x405EDD2F1A9FBE77 in
  // BADC → [0x5E40, 0x2FDD, 0x9F1A, 0x77BE]; register 110 = 0xA008 (bit 3 set, bits 13..15 = 5).
  std::vector<uint16_t> words(11, 0xEEEE);  // the hole 109 is read but unused
  words[0] = 0x0000;
  words[1] = 0x4354;
  words[2] = 875;
  words[3] = 0xC805;
  words[4] = 0x0000;
  words[5] = 0x5E40;
  words[6] = 0x2FDD;
  words[7] = 0x9F1A;
  words[8] = 0x77BE;
  words[10] = 0xA008;
  Handle(Message(ModbusOutcome::kOk, 0, Words(words)));
  ASSERT_TRUE(out_.dead_letters.empty()) << out_.dead_letters[0].detail;
  ASSERT_EQ(out_.observations.size(), 6u);
  EXPECT_NEAR(Find("temp")->value, 100.0, 1e-9);
  EXPECT_DOUBLE_EQ(Find("load")->value, 87.5);
  EXPECT_EQ(Find("speed")->value, 1480);
  EXPECT_EQ(Find("energy")->value, 123.456);
  EXPECT_EQ(Find("alarm")->value, 1);
  EXPECT_EQ(Find("mode")->value, 5);
  for (const auto& o : out_.observations) {
    EXPECT_EQ(o.quality, Quality::kGood);
    EXPECT_EQ(o.ts_ns, kReceived);
    EXPECT_EQ(o.ingest_ts_ns, kReceived);
  }
  const Source s = sources_->Get(Find("temp")->source);
  EXPECT_EQ(s.protocol, "modbus");
  EXPECT_EQ(s.endpoint, "tcp://10.0.0.5:502");
  EXPECT_EQ(s.address, "unit 2 hr 100");
  EXPECT_EQ(sources_->Get(Find("mode")->source).address, "unit 2 hr 110 bits 13..15");

  out_.clear();
  Handle(Message(ModbusOutcome::kOk, 1, std::string(1, '\1')));
  ASSERT_EQ(out_.observations.size(), 1u);
  EXPECT_EQ(Find("state")->value, 1);
  EXPECT_EQ(sources_->Get(Find("state")->source).address, "unit 2 coil 4");
}

TEST_F(ModbusMessageHandlerTest, AFailedRequestMarksEverySignalOfItBad) {
  for (const ModbusOutcome outcome : {ModbusOutcome::kTimeout, ModbusOutcome::kException,
                                      ModbusOutcome::kConnection, ModbusOutcome::kBadResponse}) {
    out_.clear();
    Handle(Message(outcome, 0, "", outcome == ModbusOutcome::kException ? 2 : 0));
    ASSERT_TRUE(out_.dead_letters.empty()) << ModbusOutcomeName(outcome);
    ASSERT_EQ(out_.observations.size(), 6u) << ModbusOutcomeName(outcome);
    for (const auto& o : out_.observations) {
      EXPECT_EQ(o.quality, Quality::kBad);
      EXPECT_TRUE(std::isnan(o.value));
      EXPECT_EQ(o.ts_ns, kReceived);
    }
  }
}

TEST_F(ModbusMessageHandlerTest, OutOfRangeAndNonFiniteValuesAreDeadLettered) {
  std::vector<uint16_t> words(11, 0);
  words[0] = 0x0000;  // temp: NaN (0x7FC00000 in CDAB)
  words[1] = 0x7FC0;
  words[2] = static_cast<uint16_t>(-125 + 65536);  // load -12.5 %: out of range
  Handle(Message(ModbusOutcome::kOk, 0, Words(words)));
  EXPECT_EQ(out_.observations.size(), 4u);
  ASSERT_EQ(out_.dead_letters.size(), 2u);
  EXPECT_EQ(out_.dead_letters[0].reason, RejectReason::kNotFinite);
  EXPECT_EQ(out_.dead_letters[0].source, "modbus tcp://10.0.0.5:502 unit 2 hr 100");
  EXPECT_EQ(out_.dead_letters[1].reason, RejectReason::kOutOfRange);
  EXPECT_THAT(out_.dead_letters[1].detail, HasSubstr("-12.5"));
}

TEST_F(ModbusMessageHandlerTest, MalformedMessagesAreDeadLetteredNotCrashed) {
  RawMessage m;
  m.SetPayload("\x01", 1);
  Handle(m);
  Handle(Message(ModbusOutcome::kOk, 7, ""));                    // no such request
  Handle(Message(ModbusOutcome::kOk, 0, Words({1, 2})));         // too short for 11 registers
  Handle(Message(ModbusOutcome::kOk, 1, std::string(2, '\0')));  // 2 bits for 1
  RawMessage v2 = Message(ModbusOutcome::kOk, 1, std::string(1, '\0'));
  v2.payload[0] = 2;  // another format version
  Handle(v2);
  EXPECT_TRUE(out_.observations.empty());
  ASSERT_EQ(out_.dead_letters.size(), 5u);
  for (const auto& d : out_.dead_letters) EXPECT_EQ(d.reason, RejectReason::kMalformedPayload);
  EXPECT_THAT(out_.dead_letters[1].detail, HasSubstr("not in the plan"));
  EXPECT_THAT(out_.dead_letters[2].detail, HasSubstr("unit 2 hr 100..110: 4 data bytes"));
}

}  // namespace
}  // namespace strata
