#include "connectors/sparkplug/sparkplug_session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "connectors/sparkplug/sparkplug_test_util.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using namespace testing_sparkplug;

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0Ms = 1'732'350'000'000;

class SparkplugSessionTest : public ::testing::Test {
 protected:
  PbPayload NBirth(uint64_t bd_seq, uint64_t seq = 0) {
    PbPayload p;
    p.set_timestamp(kT0Ms);
    p.set_seq(seq);
    AddMetric(p, "bdSeq", SparkplugType::kUInt64)->set_long_value(bd_seq);
    AddMetric(p, "Node Control/Rebirth", SparkplugType::kBoolean)->set_boolean_value(false);
    AddMetric(p, "uptime", SparkplugType::kInt64, 1)->set_long_value(42);
    return p;
  }
  PbPayload DBirth(uint64_t seq) {
    PbPayload p;
    p.set_timestamp(kT0Ms + 1);
    p.set_seq(seq);
    AddMetric(p, "temp", SparkplugType::kFloat, 10)->set_float_value(20.5f);
    AddMetric(p, "speed", SparkplugType::kInt32, 11)->set_int_value(1480);
    return p;
  }
  PbPayload DData(uint64_t seq, uint64_t alias, float value) {
    PbPayload p;
    p.set_timestamp(kT0Ms + 1000);
    p.set_seq(seq);
    PbMetric* m = p.add_metrics();
    m->set_alias(alias);
    m->set_float_value(value);  // no name, no data type: the birth declared them
    return p;
  }
  void Send(const std::string& topic, const PbPayload& p, int64_t now_ns = kT0Ms * kMs) {
    session_.Handle(topic, Bytes(p), now_ns, &out_);
  }
  // Born node n1 with device pump-1.
  void Birth() {
    Send("spBv1.0/plant/NBIRTH/n1", NBirth(7));
    ASSERT_FALSE(out_.failed) << out_.error;
    Send("spBv1.0/plant/DBIRTH/n1/pump-1", DBirth(1));
    ASSERT_FALSE(out_.failed) << out_.error;
    ASSERT_TRUE(out_.rebirth_topic.empty());
  }
  const SparkplugGroup& Group(size_t i) {
    EXPECT_LT(i, out_.group_count);
    return out_.groups[i];
  }

  MetricsRegistry metrics_;
  SparkplugSession session_{metrics_, "spb"};
  SparkplugOutcome out_;
};

TEST_F(SparkplugSessionTest, BirthsGiveValuesAndSkipControlMetrics) {
  Send("spBv1.0/plant/NBIRTH/n1", NBirth(7));
  ASSERT_EQ(out_.group_count, 1u);
  EXPECT_EQ(Group(0).topic, "spBv1.0/plant/NBIRTH/n1");
  ASSERT_EQ(Group(0).result.items.size(), 1u);  // bdSeq and Node Control/* are state
  const Reading& r = Group(0).result.items[0].reading;
  EXPECT_EQ(r.name, "uptime");
  EXPECT_EQ(r.value, 42.0);
  EXPECT_EQ(r.ts_ns, kT0Ms * kMs);  // the payload's timestamp
  EXPECT_TRUE(session_.node_online("plant", "n1"));

  Send("spBv1.0/plant/DBIRTH/n1/pump-1", DBirth(1));
  ASSERT_EQ(Group(0).result.items.size(), 2u);
  EXPECT_EQ(Group(0).result.items[0].reading.name, "temp");
  EXPECT_EQ(Group(0).result.items[0].reading.value, 20.5);
  EXPECT_EQ(Group(0).result.items[1].reading.value, 1480.0);
  EXPECT_EQ(metrics_.Value("strata_edge_sparkplug_births_total", {{"connector", "spb"}}), 2);
}

TEST_F(SparkplugSessionTest, DataByAliasTakesNameAndTypeFromTheBirth) {
  Birth();
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(2, 10, 21.25f));
  ASSERT_EQ(out_.group_count, 1u);
  EXPECT_EQ(Group(0).topic, "spBv1.0/plant/DDATA/n1/pump-1");
  ASSERT_EQ(Group(0).result.items.size(), 1u);
  const DecodedItem& item = Group(0).result.items[0];
  ASSERT_TRUE(item.ok) << item.error;
  EXPECT_EQ(item.reading.name, "temp");
  EXPECT_EQ(item.reading.value, 21.25);
  EXPECT_EQ(item.reading.ts_ns, (kT0Ms + 1000) * kMs);
  EXPECT_TRUE(out_.rebirth_topic.empty());
}

TEST_F(SparkplugSessionTest, AliasOfAnotherDeviceIsNotResolved) {
  Birth();
  Send("spBv1.0/plant/DDATA/n1/pump-2", DData(2, 10, 1.0f));
  ASSERT_EQ(Group(0).result.items.size(), 1u);
  EXPECT_FALSE(Group(0).result.items[0].ok);
  EXPECT_EQ(Group(0).result.items[0].reason, RejectReason::kUnknownSignal);
  EXPECT_THAT(Group(0).result.items[0].error, HasSubstr("alias 10, which no birth"));
  EXPECT_EQ(out_.rebirth_topic, "spBv1.0/plant/NCMD/n1");
}

TEST_F(SparkplugSessionTest, SeqGapAsksForARebirthOncePerInterval) {
  Birth();
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(2, 10, 1.0f));
  EXPECT_TRUE(out_.rebirth_topic.empty());
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(5, 10, 2.0f));  // 3 and 4 are missing
  EXPECT_EQ(out_.rebirth_topic, "spBv1.0/plant/NCMD/n1");
  ASSERT_EQ(Group(0).result.items.size(), 1u);  // the values still count
  EXPECT_EQ(Group(0).result.items[0].reading.value, 2.0);
  // Another gap soon after: no second request yet.
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(9, 10, 3.0f), (kT0Ms + 1000) * kMs);
  EXPECT_TRUE(out_.rebirth_topic.empty());
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(12, 10, 3.0f),
       kT0Ms * kMs + SparkplugSession::kRebirthIntervalNs);
  EXPECT_EQ(out_.rebirth_topic, "spBv1.0/plant/NCMD/n1");
  EXPECT_EQ(metrics_.Value("strata_edge_sparkplug_seq_gaps_total", {{"connector", "spb"}}), 3);
  EXPECT_EQ(metrics_.Value("strata_edge_sparkplug_rebirth_requests_total", {{"connector", "spb"}}),
            2);
}

TEST_F(SparkplugSessionTest, SeqWrapsAfter255) {
  Send("spBv1.0/plant/NBIRTH/n1", NBirth(7, 254));
  Send("spBv1.0/plant/NDATA/n1", DData(255, 1, 1.0f));
  EXPECT_TRUE(out_.rebirth_topic.empty());
  Send("spBv1.0/plant/NDATA/n1", DData(0, 1, 1.0f));
  EXPECT_TRUE(out_.rebirth_topic.empty());
  EXPECT_EQ(metrics_.Value("strata_edge_sparkplug_seq_gaps_total", {{"connector", "spb"}}), 0);
}

TEST_F(SparkplugSessionTest, DataFromANodeNeverSeenBornAsksForARebirth) {
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(2, 10, 1.0f));
  EXPECT_EQ(out_.rebirth_topic, "spBv1.0/plant/NCMD/n1");
  ASSERT_EQ(Group(0).result.items.size(), 1u);
  EXPECT_FALSE(Group(0).result.items[0].ok);  // alias only: cannot be read yet
}

TEST_F(SparkplugSessionTest, NodeDeathMarksEveryMetricOfTheNodeAndItsDevicesBad) {
  Birth();
  PbPayload death;
  AddMetric(death, "bdSeq", SparkplugType::kUInt64)->set_long_value(7);
  const int64_t now = (kT0Ms + 5000) * kMs;
  Send("spBv1.0/plant/NDEATH/n1", death, now);
  ASSERT_FALSE(out_.ignored);
  ASSERT_EQ(out_.group_count, 2u);
  EXPECT_EQ(Group(0).topic, "spBv1.0/plant/NDEATH/n1");
  ASSERT_EQ(Group(0).result.items.size(), 1u);
  EXPECT_EQ(Group(0).result.items[0].reading.name, "uptime");
  EXPECT_EQ(Group(1).topic, "spBv1.0/plant/DDEATH/n1/pump-1");
  ASSERT_EQ(Group(1).result.items.size(), 2u);
  for (size_t g = 0; g < 2; ++g) {
    for (const DecodedItem& item : Group(g).result.items) {
      EXPECT_EQ(item.reading.quality, Quality::kBad);
      EXPECT_FALSE(item.reading.has_value);
      EXPECT_EQ(item.reading.ts_ns, now);  // NDEATH has no timestamp: when it arrived
    }
  }
  EXPECT_FALSE(session_.node_online("plant", "n1"));
}

TEST_F(SparkplugSessionTest, DeathOfAnOlderSessionIsIgnored) {
  Birth();
  PbPayload death;
  AddMetric(death, "bdSeq", SparkplugType::kUInt64)->set_long_value(6);  // birth said 7
  Send("spBv1.0/plant/NDEATH/n1", death);
  EXPECT_TRUE(out_.ignored);
  EXPECT_EQ(out_.group_count, 0u);
  EXPECT_TRUE(session_.node_online("plant", "n1"));
}

TEST_F(SparkplugSessionTest, DeviceDeathMarksOnlyThatDevice) {
  Birth();
  PbPayload death;
  death.set_timestamp(kT0Ms + 3000);
  death.set_seq(2);
  Send("spBv1.0/plant/DDEATH/n1/pump-1", death);
  ASSERT_EQ(out_.group_count, 1u);
  EXPECT_EQ(Group(0).topic, "spBv1.0/plant/DDEATH/n1/pump-1");
  ASSERT_EQ(Group(0).result.items.size(), 2u);
  EXPECT_EQ(Group(0).result.items[0].reading.quality, Quality::kBad);
  EXPECT_EQ(Group(0).result.items[0].reading.ts_ns, (kT0Ms + 3000) * kMs);
  EXPECT_TRUE(out_.rebirth_topic.empty());
}

TEST_F(SparkplugSessionTest, NullNonNumericAndSignedValues) {
  Birth();
  PbPayload p;
  p.set_seq(2);
  AddMetric(p, "temp", SparkplugType::kFloat)->set_is_null(true);
  AddMetric(p, "label", SparkplugType::kString)->set_string_value("A");
  AddMetric(p, "delta", SparkplugType::kInt16)->set_int_value(0xfffe);
  Send("spBv1.0/plant/DDATA/n1/pump-1", p);
  const auto& items = Group(0).result.items;
  ASSERT_EQ(items.size(), 3u);
  EXPECT_TRUE(items[0].ok);
  EXPECT_EQ(items[0].reading.quality, Quality::kBad);
  EXPECT_FALSE(items[0].reading.has_value);
  EXPECT_FALSE(items[1].ok);
  EXPECT_EQ(items[1].reason, RejectReason::kWrongType);
  EXPECT_THAT(items[1].error, HasSubstr("metric 'label': String metrics are not numeric"));
  EXPECT_EQ(items[2].reading.value, -2.0);
}

TEST_F(SparkplugSessionTest, StateAndCommandsAreIgnored) {
  session_.Handle("spBv1.0/STATE/scada-1", "{\"online\":true}", 0, &out_);
  EXPECT_TRUE(out_.ignored);
  EXPECT_FALSE(out_.failed);
  Send("spBv1.0/plant/NCMD/n1", NBirth(1));
  EXPECT_TRUE(out_.ignored);
  EXPECT_EQ(out_.group_count, 0u);
}

TEST_F(SparkplugSessionTest, BadTopicsAndPayloadsFailTheMessage) {
  for (const char* topic :
       {"spBv1.0/plant/NDATA", "spBv1.0/plant/DDATA/n1", "spBv1.0/plant/NDATA/n1/dev",
        "spBv1.0/plant/XDATA/n1", "spAv1.0/plant/NDATA/n1", "spBv1.0//NDATA/n1",
        "spBv1.0/plant/DDATA/n1/"}) {
    session_.Handle(topic, "", 0, &out_);
    EXPECT_TRUE(out_.failed) << topic;
    EXPECT_EQ(out_.reason, RejectReason::kUnknownTopic) << topic;
    EXPECT_THAT(out_.error, HasSubstr("is not a Sparkplug B topic")) << topic;
  }
  session_.Handle("spBv1.0/plant/NDATA/n1", std::string("\xff\xff\xff", 3), 0, &out_);
  EXPECT_TRUE(out_.failed);
  EXPECT_EQ(out_.reason, RejectReason::kMalformedPayload);
  EXPECT_THAT(out_.error, HasSubstr("not a Sparkplug B payload"));
}

TEST_F(SparkplugSessionTest, RebirthRestoresAliases) {
  Birth();
  // The node restarts with new aliases.
  Send("spBv1.0/plant/NBIRTH/n1", NBirth(8));
  PbPayload b;
  b.set_seq(1);
  AddMetric(b, "temp", SparkplugType::kFloat, 99)->set_float_value(1.0f);
  Send("spBv1.0/plant/DBIRTH/n1/pump-1", b);
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(2, 99, 30.0f));
  ASSERT_TRUE(Group(0).result.items[0].ok);
  EXPECT_EQ(Group(0).result.items[0].reading.name, "temp");
  Send("spBv1.0/plant/DDATA/n1/pump-1", DData(3, 10, 30.0f));  // the old alias is gone
  EXPECT_FALSE(Group(0).result.items[0].ok);
}

}  // namespace
}  // namespace strata
