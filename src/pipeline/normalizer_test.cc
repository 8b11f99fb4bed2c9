#include "pipeline/normalizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "core/config_node.h"
#include "core/time_util.h"

namespace strata {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// 2025-11-24T16:00:00Z, the edge clock during these tests.
constexpr int64_t kNow = 1'764'000'000 * kNsPerSec;

constexpr const char* kAssets = R"(
asset_types:
  pump:
    signals:
      temp:  {unit: Cel, range: [-40, 150], period: 1s}
      vib:   {unit: mm/s, range: [0, 100], period: 1s}
      count: {unit: "{parts}"}
      accel: {unit: m/s2, kind: waveform, range: [-2000, 2000], period: 5s}
      raw:   {unit: m/s2, kind: waveform}
assets:
  - {path: "acme/p1/pump-{01..02}", type: pump}
)";

std::shared_ptr<const AssetModel> LoadModel() {
  auto doc = ConfigDocument::Parse(kAssets, "assets.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

// A rule "plant/{machine}/{sig}" → asset acme/p1/{machine}, signal {sig}, plus `extra` YAML
// keys (indented for the rule), as MqttConnectorConfig would read it.
MappingRule MakeRule(const std::string& extra = "", const std::string& signal = "{sig}") {
  const std::string yaml =
      "rules:\n"
      "  - topic: \"plant/{machine}/{sig}\"\n"
      "    asset: \"acme/p1/{machine}\"\n"
      "    signal: \"" +
      signal + "\"\n" + extra;
  auto doc = ConfigDocument::Parse(yaml, "mapping.yaml");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto mapping = (*doc)->Read<Mapping>([](ConfigNode& root) { return Mapping::Read(root); });
  EXPECT_TRUE(mapping.ok()) << mapping.status().ToString();
  return mapping->rules.at(0);
}

Reading Value(double v) {
  Reading r;
  r.value = v;
  r.has_value = true;
  return r;
}

Reading Block(std::vector<float> samples, double rate = 1000) {
  auto block = std::make_shared<WaveformBlock>();
  block->samples = std::move(samples);
  block->sample_rate_hz = rate;
  Reading r;
  r.block = std::move(block);
  return r;
}

class NormalizerTest : public ::testing::Test {
 protected:
  static constexpr SourceId kSource = 7;
  static constexpr int64_t kReceived = kNow - 2 * kNsPerSec;

  MessageContext Ctx() const {
    MessageContext ctx;
    ctx.source = kSource;
    ctx.source_text = source_text_;
    ctx.payload = payload_;
    ctx.receive_ts_ns = kReceived;
    return ctx;
  }

  // Normalizes a reading for signal `sig` of asset acme/p1/`machine`.
  void Accept(const Reading& reading, const std::string& sig = "temp",
              const MappingRule& rule = MakeRule(), const std::string& machine = "pump-01") {
    Captures captures;
    captures.Add("machine", machine);
    captures.Add("sig", sig);
    normalizer_.Accept(rule, captures, reading, Ctx(), &out_);
  }

  double RejectedMetric(RejectReason reason) const {
    return metrics_.Value("strata_edge_rejected_total",
                          {{"reason", std::string(RejectReasonName(reason))}});
  }

  // The one observation produced, with no dead letters.
  const Observation& OnlyObservation() {
    EXPECT_TRUE(out_.dead_letters.empty())
        << "rejected: " << (out_.dead_letters.empty() ? "" : out_.dead_letters[0].detail);
    EXPECT_EQ(out_.observations.size(), 1u);
    EXPECT_EQ(metrics_.Value("strata_edge_normalized_total"), 1.0);
    EXPECT_EQ(metrics_.Sum("strata_edge_rejected_total"), 0.0);
    if (out_.observations.empty()) {
      static const Observation kNone;
      return kNone;
    }
    return out_.observations.front();
  }

  // The one dead letter produced, with reason `reason`, and nothing else: checks the record
  // and the counters. Returns its detail for further checks.
  std::string OnlyDeadLetter(RejectReason reason) {
    EXPECT_TRUE(out_.observations.empty());
    EXPECT_EQ(out_.dead_letters.size(), 1u);
    EXPECT_EQ(metrics_.Value("strata_edge_normalized_total"), 0.0);
    EXPECT_EQ(counters_.rejected(reason), 1u);
    EXPECT_EQ(RejectedMetric(reason), 1.0);
    EXPECT_EQ(metrics_.Sum("strata_edge_rejected_total"), 1.0) << "other reasons counted";
    if (out_.dead_letters.empty()) return "";
    const DeadLetter& d = out_.dead_letters.front();
    EXPECT_EQ(d.reason, reason) << RejectReasonName(d.reason) << ": " << d.detail;
    EXPECT_EQ(d.ts_ns, clock_.NowNs());
    EXPECT_EQ(d.source, source_text_);
    EXPECT_EQ(d.payload, payload_);
    EXPECT_FALSE(d.payload_truncated);
    EXPECT_EQ(d.seq, 0u);
    return d.detail;
  }

  FakeClock clock_{kNow};
  MetricsRegistry metrics_;
  PipelineCounters counters_{metrics_};
  std::shared_ptr<const AssetModel> model_ = LoadModel();
  Normalizer normalizer_{model_, clock_, ValidationOptions{}, &counters_};
  std::string source_text_ = "mqtt tcp://127.0.0.1:1883 plant/pump-01/temp";
  std::string payload_ = R"({"v": 21.5})";
  WriteBatch out_;
};

SignalId Id(const AssetModel& model, const std::string& asset, const std::string& signal) {
  const SignalId id = model.Find(asset, signal);
  EXPECT_NE(id, kInvalidSignal) << asset << " " << signal;
  return id;
}

// ---------------------------------------------------------------- rejections

TEST_F(NormalizerTest, UnknownAsset) {
  Accept(Value(20), "temp", MakeRule(), "pump-99");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kUnknownAsset),
              AllOf(HasSubstr("'acme/p1/pump-99'"), HasSubstr("mapping.yaml:2")));
}

TEST_F(NormalizerTest, UnknownSignal) {
  Accept(Value(20), "pressure");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kUnknownSignal),
              AllOf(HasSubstr("'acme/p1/pump-01'"), HasSubstr("'pressure'"), HasSubstr("'pump'"),
                    HasSubstr("mapping.yaml:2")));
}

TEST_F(NormalizerTest, ScalarReadingForAWaveformSignalIsWrongKind) {
  Accept(Value(1.0), "accel");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kWrongKind),
              AllOf(HasSubstr("'accel'"), HasSubstr("'acme/p1/pump-01'"), HasSubstr("waveform"),
                    HasSubstr("single value")));
}

TEST_F(NormalizerTest, WaveformReadingForAScalarSignalIsWrongKind) {
  Accept(Block({1, 2, 3}), "temp");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kWrongKind),
              AllOf(HasSubstr("'temp'"), HasSubstr("'acme/p1/pump-01'"), HasSubstr("scalar"),
                    HasSubstr("waveform block")));
}

TEST_F(NormalizerTest, PayloadUnitThatDoesNotParseIsUnknownUnit) {
  Reading r = Value(20);
  r.unit = "furlongs";
  Accept(r);
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kUnknownUnit),
              AllOf(HasSubstr("'temp'"), HasSubstr("'acme/p1/pump-01'"), HasSubstr("furlongs")));
}

TEST_F(NormalizerTest, PayloadUnitOfAnotherDimensionIsUnitMismatch) {
  Reading r = Value(20);
  r.unit = "A";
  Accept(r);
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kUnitMismatch),
              AllOf(HasSubstr("'temp'"), HasSubstr("'acme/p1/pump-01'"), HasSubstr("'A'")));
}

TEST_F(NormalizerTest, RuleUnitOfAnotherDimensionIsUnitMismatch) {
  Accept(Value(20), "temp", MakeRule("    unit: bar\n"));
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kUnitMismatch),
              AllOf(HasSubstr("'temp'"), HasSubstr("'acme/p1/pump-01'"), HasSubstr("'bar'")));
}

TEST_F(NormalizerTest, UnitErrorsAreReportedEveryTimeNotOnlyOnceCached) {
  Reading r = Value(20);
  r.unit = "A";
  Accept(r);
  Accept(r);
  ASSERT_EQ(out_.dead_letters.size(), 2u);
  EXPECT_EQ(out_.dead_letters[1].reason, RejectReason::kUnitMismatch);
  EXPECT_EQ(out_.dead_letters[0].detail, out_.dead_letters[1].detail);
  EXPECT_EQ(counters_.rejected(RejectReason::kUnitMismatch), 2u);
}

TEST_F(NormalizerTest, MissingValueIsMissingField) {
  Reading r;  // no value, good quality by default
  Accept(r);
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kMissingField),
              AllOf(HasSubstr("'acme/p1/pump-01' temp"), HasSubstr("no value")));
}

TEST_F(NormalizerTest, MissingValueWithUncertainQualityIsMissingField) {
  Reading r;
  r.quality = Quality::kUncertain;
  Accept(r);
  OnlyDeadLetter(RejectReason::kMissingField);
}

class NotFiniteTest : public NormalizerTest, public ::testing::WithParamInterface<double> {};

TEST_P(NotFiniteTest, IsRejected) {
  Accept(Value(GetParam()));
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kNotFinite),
              AllOf(HasSubstr("'acme/p1/pump-01' temp"), HasSubstr("not a finite number")));
}

INSTANTIATE_TEST_SUITE_P(NanAndInfinities, NotFiniteTest, ::testing::Values(kNaN, kInf, -kInf));

TEST_F(NormalizerTest, FiniteValueThatOverflowsOnConversionIsNotFinite) {
  // `count` has no range, so only the finiteness check can catch the overflow to +inf.
  Accept(Value(1e308), "count", MakeRule("    scale: 10\n"));
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kNotFinite),
              AllOf(HasSubstr("'acme/p1/pump-01' count"), HasSubstr("1e+308")));
}

TEST_F(NormalizerTest, ValueAboveTheRangeIsOutOfRange) {
  Accept(Value(150.5));
  EXPECT_THAT(
      OnlyDeadLetter(RejectReason::kOutOfRange),
      AllOf(HasSubstr("150.5 Cel"), HasSubstr("'acme/p1/pump-01' temp"), HasSubstr("[-40, 150]")));
}

TEST_F(NormalizerTest, ValueBelowTheRangeIsOutOfRange) {
  Accept(Value(-40.001));
  OnlyDeadLetter(RejectReason::kOutOfRange);
}

TEST_F(NormalizerTest, RangeBoundsAreInclusive) {
  Accept(Value(-40));
  Accept(Value(150));
  EXPECT_EQ(out_.observations.size(), 2u);
  EXPECT_TRUE(out_.dead_letters.empty());
}

TEST_F(NormalizerTest, RangeIsCheckedInTheSignalUnitAfterConversion) {
  // 400 degF = 204.4 Cel, above 150 Cel; 300 raw would pass if compared before conversion.
  Accept(Value(400), "temp", MakeRule("    unit: \"[degF]\"\n"));
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kOutOfRange), HasSubstr("204.4"));
}

TEST_F(NormalizerTest, UncertainQualityIsRangeChecked) {
  Reading r = Value(1000);
  r.quality = Quality::kUncertain;
  Accept(r);
  OnlyDeadLetter(RejectReason::kOutOfRange);
}

TEST_F(NormalizerTest, WaveformSampleOutOfRange) {
  Accept(Block({0, 1, 2500, 3}), "accel");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kOutOfRange),
              AllOf(HasSubstr("'acme/p1/pump-01' accel"), HasSubstr("sample 2 = 2500"),
                    HasSubstr("[-2000, 2000]")));
}

TEST_F(NormalizerTest, WaveformSampleOutOfRangeAfterConversion) {
  // 300 [g] ≈ 2942 m/s2.
  Reading r = Block({1, 300});
  r.unit = "[g]";
  Accept(r, "accel");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kOutOfRange), HasSubstr("sample 1"));
}

TEST_F(NormalizerTest, WaveformSampleThatIsNotFinite) {
  Accept(Block({0, std::numeric_limits<float>::quiet_NaN()}), "accel");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kNotFinite),
              AllOf(HasSubstr("'acme/p1/pump-01' accel"), HasSubstr("sample 1")));
}

TEST_F(NormalizerTest, WaveformSampleThatOverflowsAFloatOnConversionIsRejected) {
  // `raw` has no range: 3e38 m/s2 is fine, but in km/s2 it is 3e41 m/s2, which no float holds
  // (casting it would be undefined behaviour).
  Reading r = Block({1, 3e38f});
  r.unit = "km/s2";
  Accept(r, "raw");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kOutOfRange),
              AllOf(HasSubstr("'acme/p1/pump-01' raw"), HasSubstr("sample 1")));
}

TEST_F(NormalizerTest, WaveformThatOverflowsADoubleOnConversionIsNotFinite) {
  Accept(Block({0, 3e38f}), "raw", MakeRule("    scale: 1e300\n"));
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kNotFinite), HasSubstr("sample 1"));
}

TEST_F(NormalizerTest, WaveformWithoutSamplesIsMissingField) {
  Accept(Block({}), "accel");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kMissingField),
              AllOf(HasSubstr("'acme/p1/pump-01' accel"), HasSubstr("samples")));
}

class BadSampleRateTest : public NormalizerTest, public ::testing::WithParamInterface<double> {};

TEST_P(BadSampleRateTest, IsMissingField) {
  Accept(Block({1, 2}, GetParam()), "accel");
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kMissingField), HasSubstr("sample rate"));
}

INSTANTIATE_TEST_SUITE_P(ZeroNegativeNanInf, BadSampleRateTest,
                         ::testing::Values(0.0, -100.0, kNaN, kInf));

TEST_F(NormalizerTest, TimestampTooFarInTheFuture) {
  Reading r = Value(20);
  r.ts_ns = kNow + 5 * 60 * kNsPerSec + 1;
  Accept(r);
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kTimestampInFuture),
              AllOf(HasSubstr("'acme/p1/pump-01' temp"), HasSubstr("ahead of the edge clock"),
                    HasSubstr("limit 5m")));
}

TEST_F(NormalizerTest, TimestampAtTheFutureLimitIsAccepted) {
  Reading r = Value(20);
  r.ts_ns = kNow + 5 * 60 * kNsPerSec;
  Accept(r);
  EXPECT_EQ(OnlyObservation().ts_ns, kNow + 5 * 60 * kNsPerSec);
}

TEST_F(NormalizerTest, FutureLimitFollowsTheClock) {
  Reading r = Value(20);
  r.ts_ns = kNow + 10 * 60 * kNsPerSec;
  Accept(r);
  ASSERT_EQ(out_.dead_letters.size(), 1u);
  clock_.Advance(5 * 60 * kNsPerSec);
  Accept(r);
  EXPECT_EQ(out_.observations.size(), 1u);
}

TEST_F(NormalizerTest, FutureLimitIsConfigurable) {
  ValidationOptions options;
  options.max_future_ns = 0;
  Normalizer strict(model_, clock_, options, &counters_);
  Captures captures;
  captures.Add("machine", "pump-01");
  captures.Add("sig", "temp");
  Reading r = Value(20);
  r.ts_ns = kNow + 1;
  strict.Accept(MakeRule(), captures, r, Ctx(), &out_);
  r.ts_ns = kNow;
  strict.Accept(MakeRule(), captures, r, Ctx(), &out_);
  ASSERT_EQ(out_.dead_letters.size(), 1u);
  EXPECT_EQ(out_.dead_letters[0].reason, RejectReason::kTimestampInFuture);
  EXPECT_EQ(out_.observations.size(), 1u);
}

TEST_F(NormalizerTest, TimestampBefore2000IsTooOld) {
  Reading r = Value(20);
  r.ts_ns = 946684800 * kNsPerSec - 1;  // 1999-12-31T23:59:59.999999999Z
  Accept(r);
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kTimestampTooOld),
              AllOf(HasSubstr("'acme/p1/pump-01' temp"), HasSubstr("1999-12-31"),
                    HasSubstr("2000-01-01T00:00:00Z"), HasSubstr("timestamp_unit")));
}

TEST_F(NormalizerTest, TimestampInSecondsReadAsNanosecondsIsTooOld) {
  Reading r = Value(20);
  r.ts_ns = 1'764'000'000;  // seconds mistaken for ns: 1970
  Accept(r);
  OnlyDeadLetter(RejectReason::kTimestampTooOld);
}

TEST_F(NormalizerTest, VeryNegativeTimestampIsTooOld) {
  Reading r = Value(20);
  r.ts_ns = std::numeric_limits<int64_t>::min();
  Accept(r);
  OnlyDeadLetter(RejectReason::kTimestampTooOld);
}

TEST_F(NormalizerTest, VeryLargeTimestampIsInTheFuture) {
  Reading r = Value(20);
  r.ts_ns = std::numeric_limits<int64_t>::max();
  Accept(r);
  OnlyDeadLetter(RejectReason::kTimestampInFuture);
}

TEST_F(NormalizerTest, TimestampAt2000IsAccepted) {
  Reading r = Value(20);
  r.ts_ns = 946684800 * kNsPerSec;
  Accept(r);
  EXPECT_EQ(OnlyObservation().ts_ns, 946684800 * kNsPerSec);
}

TEST_F(NormalizerTest, MissingNameForTheNameTemplateIsMissingField) {
  Accept(Value(20), "temp", MakeRule("", "{name}"));
  EXPECT_THAT(OnlyDeadLetter(RejectReason::kMissingField),
              AllOf(HasSubstr("{name}"), HasSubstr("mapping.yaml:2"), HasSubstr("`name`")));
}

TEST_F(NormalizerTest, DeadLetterPayloadIsCappedAndFlagged) {
  payload_.assign(kMaxDeadLetterPayload + 904, 'x');
  payload_.front() = '{';
  Accept(Value(20), "temp", MakeRule(), "pump-99");
  ASSERT_EQ(out_.dead_letters.size(), 1u);
  const DeadLetter& d = out_.dead_letters[0];
  EXPECT_EQ(d.payload.size(), kMaxDeadLetterPayload);
  EXPECT_EQ(d.payload, payload_.substr(0, kMaxDeadLetterPayload));
  EXPECT_TRUE(d.payload_truncated);
}

TEST_F(NormalizerTest, DeadLetterPayloadAtTheCapIsNotTruncated) {
  payload_.assign(kMaxDeadLetterPayload, 'y');
  Accept(Value(20), "temp", MakeRule(), "pump-99");
  ASSERT_EQ(out_.dead_letters.size(), 1u);
  EXPECT_EQ(out_.dead_letters[0].payload, payload_);
  EXPECT_FALSE(out_.dead_letters[0].payload_truncated);
}

TEST_F(NormalizerTest, ValueIsCheckedBeforeTheTimestamp) {
  // The documented order: a reading wrong in both ways is rejected for its value.
  Reading r = Value(kNaN);
  r.ts_ns = kNow + 3600 * kNsPerSec;
  Accept(r);
  OnlyDeadLetter(RejectReason::kNotFinite);
}

TEST_F(NormalizerTest, HugeNamesFromPayloadsDoNotMakeHugeDeadLetters) {
  Reading r = Value(1);
  const std::string name(100000, 'n');
  r.name = name;
  Accept(r, "temp", MakeRule("", "{name}"));
  const std::string detail = OnlyDeadLetter(RejectReason::kUnknownSignal);
  EXPECT_LE(detail.size(), 1100u);
  EXPECT_THAT(detail, HasSubstr("'acme/p1/pump-01'"));
  EXPECT_THAT(detail, HasSubstr("bytes in all"));
}

TEST_F(NormalizerTest, DeadLetterOfAPartialPayloadIsFlaggedTruncated) {
  MessageContext ctx = Ctx();
  ctx.payload_truncated = true;  // e.g. the connector kept only the start of a huge message
  normalizer_.Reject(RejectReason::kPayloadTooLarge, "too large", ctx, &out_);
  ASSERT_EQ(out_.dead_letters.size(), 1u);
  EXPECT_EQ(out_.dead_letters[0].payload, payload_);
  EXPECT_TRUE(out_.dead_letters[0].payload_truncated);
}

TEST_F(NormalizerTest, RejectAppendsACountedDeadLetter) {
  normalizer_.Reject(RejectReason::kMalformedPayload, "topic 'x': not valid JSON", Ctx(), &out_);
  EXPECT_EQ(OnlyDeadLetter(RejectReason::kMalformedPayload), "topic 'x': not valid JSON");
}

TEST_F(NormalizerTest, CountersAreKeptPerReason) {
  Accept(Value(20), "temp", MakeRule(), "pump-99");  // unknown_asset
  Accept(Value(20), "nope");                         // unknown_signal
  Accept(Value(kNaN));                               // not_finite
  Accept(Value(kNaN));                               // not_finite
  Accept(Value(20));                                 // accepted
  EXPECT_EQ(counters_.rejected(RejectReason::kUnknownAsset), 1u);
  EXPECT_EQ(counters_.rejected(RejectReason::kUnknownSignal), 1u);
  EXPECT_EQ(counters_.rejected(RejectReason::kNotFinite), 2u);
  EXPECT_EQ(counters_.rejected(RejectReason::kOutOfRange), 0u);
  EXPECT_EQ(RejectedMetric(RejectReason::kNotFinite), 2.0);
  EXPECT_EQ(metrics_.Sum("strata_edge_rejected_total"), 4.0);
  EXPECT_EQ(metrics_.Value("strata_edge_normalized_total"), 1.0);
  EXPECT_EQ(out_.dead_letters.size(), 4u);
  EXPECT_EQ(out_.observations.size(), 1u);
  // Every reason has a series from the start, so dashboards see zeros, not gaps.
  EXPECT_THAT(metrics_.RenderPrometheus(),
              HasSubstr("strata_edge_rejected_total{reason=\"payload_too_large\"} 0"));
}

TEST_F(NormalizerTest, CountersAreSharedBetweenNormalizers) {
  Normalizer other(model_, clock_, ValidationOptions{}, &counters_);
  Captures captures;
  captures.Add("machine", "pump-99");
  captures.Add("sig", "temp");
  other.Accept(MakeRule(), captures, Value(1), Ctx(), &out_);
  Accept(Value(1), "temp", MakeRule(), "pump-99");
  EXPECT_EQ(counters_.rejected(RejectReason::kUnknownAsset), 2u);
}

// ---------------------------------------------------------------- accepted readings

TEST_F(NormalizerTest, AcceptedReadingCarriesSignalTimesQualityAndSource) {
  Reading r = Value(21.5);
  r.ts_ns = kNow - 10 * kNsPerSec;
  r.quality = Quality::kUncertain;
  Accept(r, "temp", MakeRule(), "pump-02");
  const Observation& o = OnlyObservation();
  EXPECT_EQ(o.signal, Id(*model_, "acme/p1/pump-02", "temp"));
  EXPECT_EQ(o.value, 21.5);
  EXPECT_EQ(o.ts_ns, kNow - 10 * kNsPerSec);
  EXPECT_EQ(o.ingest_ts_ns, kReceived);
  EXPECT_EQ(o.quality, Quality::kUncertain);
  EXPECT_EQ(o.source, kSource);
  EXPECT_FALSE(o.is_block());
  EXPECT_EQ(o.seq, 0u);
}

TEST_F(NormalizerTest, TimestampDefaultsToTheReceiveTime) {
  Accept(Value(21.5));
  const Observation& o = OnlyObservation();
  EXPECT_EQ(o.ts_ns, kReceived);
  EXPECT_EQ(o.ingest_ts_ns, kReceived);
  EXPECT_EQ(o.quality, Quality::kGood);
}

TEST_F(NormalizerTest, ItemNameFillsTheNameTemplate) {
  Reading r = Value(12);
  r.name = "vib";
  Accept(r, "ignored", MakeRule("", "{name}"), "pump-02");
  EXPECT_EQ(OnlyObservation().signal, Id(*model_, "acme/p1/pump-02", "vib"));
}

TEST_F(NormalizerTest, ItemNameCanBuildPartOfTheSignalName) {
  Reading r = Value(12);
  r.name = "mp";  // "te" + "mp"
  Accept(r, "te", MakeRule("", "{sig}{name}"));
  EXPECT_EQ(OnlyObservation().signal, Id(*model_, "acme/p1/pump-01", "temp"));
}

TEST_F(NormalizerTest, ScaleAndOffsetApplyToTheRawValue) {
  Accept(Value(300), "temp", MakeRule("    scale: 0.1\n    offset: -5\n"));
  EXPECT_DOUBLE_EQ(OnlyObservation().value, 25.0);
}

TEST_F(NormalizerTest, RuleUnitConvertsFahrenheitToCelsius) {
  const MappingRule rule = MakeRule("    unit: \"[degF]\"\n");
  Accept(Value(212), "temp", rule);
  Accept(Value(32), "temp", rule);
  Accept(Value(-40), "temp", rule);
  ASSERT_EQ(out_.observations.size(), 3u);
  EXPECT_NEAR(out_.observations[0].value, 100.0, 1e-9);
  EXPECT_NEAR(out_.observations[1].value, 0.0, 1e-9);
  EXPECT_NEAR(out_.observations[2].value, -40.0, 1e-9);
}

TEST_F(NormalizerTest, ScaleAppliesBeforeUnitConversion) {
  // 2120 * 0.1 = 212 degF = 100 Cel (not 2120 degF * 0.1).
  Accept(Value(2120), "temp", MakeRule("    unit: \"[degF]\"\n    scale: 0.1\n"));
  EXPECT_NEAR(OnlyObservation().value, 100.0, 1e-9);
}

TEST_F(NormalizerTest, OffsetAppliesBeforeUnitConversion) {
  // 200 + 12 = 212 degF = 100 Cel.
  Accept(Value(200), "temp", MakeRule("    unit: \"[degF]\"\n    offset: 12\n"));
  EXPECT_NEAR(OnlyObservation().value, 100.0, 1e-9);
}

TEST_F(NormalizerTest, PayloadUnitConvertsMetresPerSecondToMillimetresPerSecond) {
  Reading r = Value(0.005);
  r.unit = "m/s";
  Accept(r, "vib");
  EXPECT_NEAR(OnlyObservation().value, 5.0, 1e-12);
}

TEST_F(NormalizerTest, PayloadUnitWinsOverTheRuleUnit) {
  Reading r = Value(100);
  r.unit = "Cel";
  Accept(r, "temp", MakeRule("    unit: \"[degF]\"\n"));
  EXPECT_EQ(OnlyObservation().value, 100.0);
}

TEST_F(NormalizerTest, SameUnitIsTheIdentity) {
  Reading r = Value(21.123456789012345);
  r.unit = "Cel";
  Accept(r);
  Accept(Value(21.123456789012345), "temp", MakeRule("    unit: Cel\n"));
  ASSERT_EQ(out_.observations.size(), 2u);
  EXPECT_EQ(out_.observations[0].value, 21.123456789012345);
  EXPECT_EQ(out_.observations[1].value, 21.123456789012345);
}

TEST_F(NormalizerTest, RepeatedConversionsGiveTheSameResult) {
  const MappingRule rule = MakeRule("    unit: \"[degF]\"\n");
  for (int i = 0; i < 3; ++i) Accept(Value(212), "temp", rule);
  ASSERT_EQ(out_.observations.size(), 3u);
  for (const auto& o : out_.observations) EXPECT_NEAR(o.value, 100.0, 1e-9);
}

TEST_F(NormalizerTest, ManyDistinctUnitsStayCorrect) {
  // More distinct (unit, signal unit) pairs than the conversion cache keeps.
  const MappingRule rule = MakeRule();
  for (int i = 0; i < 5000; ++i) {
    Reading r = Value(1);
    const std::string unit = "10*" + std::to_string(i % 7) + ".{x" + std::to_string(i) + "}";
    r.unit = unit;
    Accept(r, "count", rule);
  }
  ASSERT_EQ(out_.observations.size(), 5000u) << out_.dead_letters.front().detail;
  EXPECT_EQ(out_.observations[4999].value, std::pow(10, 4999 % 7));
  EXPECT_EQ(out_.observations[1].value, 10.0);
}

TEST_F(NormalizerTest, WaveformWithoutConversionSharesTheBlock) {
  Reading r = Block({1.5f, -2.5f, 0}, 25600);
  Accept(r, "accel");
  const Observation& o = OnlyObservation();
  ASSERT_TRUE(o.is_block());
  EXPECT_EQ(o.block.get(), r.block.get()) << "identity conversion must not copy the samples";
  EXPECT_TRUE(std::isnan(o.value));
  EXPECT_EQ(o.signal, Id(*model_, "acme/p1/pump-01", "accel"));
}

TEST_F(NormalizerTest, WaveformConversionAppliesToEverySample) {
  Reading r = Block({1, -0.5f, 0, 2}, 10240);
  r.unit = "[g]";
  Accept(r, "accel");
  const Observation& o = OnlyObservation();
  ASSERT_TRUE(o.is_block());
  EXPECT_NE(o.block.get(), r.block.get());
  EXPECT_EQ(o.block->sample_rate_hz, 10240);
  ASSERT_EQ(o.block->samples.size(), 4u);
  EXPECT_FLOAT_EQ(o.block->samples[0], 9.80665f);
  EXPECT_FLOAT_EQ(o.block->samples[1], -4.903325f);
  EXPECT_FLOAT_EQ(o.block->samples[2], 0.0f);
  EXPECT_FLOAT_EQ(o.block->samples[3], 19.6133f);
  // The decoder's block is left as it was.
  EXPECT_EQ(r.block->samples, (std::vector<float>{1, -0.5f, 0, 2}));
}

TEST_F(NormalizerTest, WaveformScaleAndOffsetApplyToEverySample) {
  Accept(Block({1, 2, 3}), "accel", MakeRule("    scale: 2\n    offset: 1\n"));
  const Observation& o = OnlyObservation();
  ASSERT_TRUE(o.is_block());
  EXPECT_EQ(o.block->samples, (std::vector<float>{3, 5, 7}));
}

TEST_F(NormalizerTest, BadQualityMayHaveNoValue) {
  Reading r;
  r.quality = Quality::kBad;
  Accept(r);
  const Observation& o = OnlyObservation();
  EXPECT_EQ(o.quality, Quality::kBad);
  EXPECT_TRUE(std::isnan(o.value));
}

TEST_F(NormalizerTest, BadQualityIsNotRangeChecked) {
  Reading r = Value(1000);
  r.quality = Quality::kBad;
  Accept(r);
  EXPECT_EQ(OnlyObservation().value, 1000.0);
}

TEST_F(NormalizerTest, BadQualityWithANonFiniteValueIsStoredWithoutValue) {
  Reading r = Value(kInf);
  r.quality = Quality::kBad;
  Accept(r);
  EXPECT_TRUE(std::isnan(OnlyObservation().value));
}

TEST_F(NormalizerTest, BadQualityThatOverflowsOnConversionIsStoredWithoutValue) {
  Reading r = Value(1e308);
  r.quality = Quality::kBad;
  Accept(r, "count", MakeRule("    scale: 10\n"));
  EXPECT_TRUE(std::isnan(OnlyObservation().value)) << "an infinite value must not be stored";
}

TEST_F(NormalizerTest, BadQualityWaveformIsNotRangeChecked) {
  Reading r = Block({5000});
  r.quality = Quality::kBad;
  Accept(r, "accel");
  const Observation& o = OnlyObservation();
  ASSERT_TRUE(o.is_block());
  EXPECT_EQ(o.block->samples[0], 5000.0f);
}

TEST_F(NormalizerTest, BadQualityStillNeedsAKnownSignalAndTimestamp) {
  Reading r;
  r.quality = Quality::kBad;
  Accept(r, "nope");
  r.ts_ns = 0;
  Accept(r);
  ASSERT_EQ(out_.dead_letters.size(), 2u);
  EXPECT_EQ(out_.dead_letters[0].reason, RejectReason::kUnknownSignal);
  EXPECT_EQ(out_.dead_letters[1].reason, RejectReason::kTimestampTooOld);
}

TEST_F(NormalizerTest, ResultsAccumulateInTheBatch) {
  out_.observations.emplace_back();
  Accept(Value(20));
  Accept(Value(20), "nope");
  EXPECT_EQ(out_.observations.size(), 2u);
  EXPECT_EQ(out_.dead_letters.size(), 1u);
}

TEST_F(NormalizerTest, ExposesItsModel) { EXPECT_EQ(&normalizer_.model(), model_.get()); }

}  // namespace
}  // namespace strata
