#include "connectors/mqtt/payload_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/config_node.h"
#include "pipeline/raw_message.h"

namespace strata {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr double kInf = std::numeric_limits<double>::infinity();

// 2024-11-23T08:20:00Z
constexpr int64_t kTsSeconds = 1'732'350'000;

StatusOr<DecoderSpec> TryReadSpec(const std::string& yaml) {
  auto doc = ConfigDocument::Parse(yaml, "decoders.yaml");
  if (!doc.ok()) return doc.status();
  return (*doc)->Read<DecoderSpec>(
      [](ConfigNode& root) { return DecoderSpec::Read("test", root); });
}

DecoderSpec ReadSpec(const std::string& yaml) {
  auto spec = TryReadSpec(yaml);
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  return spec.ok() ? *spec : DecoderSpec{};
}

// Decodes payloads the way the pipeline does: from a buffer with kPayloadPadding spare bytes.
class Decoder {
 public:
  explicit Decoder(const std::string& yaml) : decoder_(MakePayloadDecoder(ReadSpec(yaml))) {}

  const DecodeResult& Decode(std::string_view text) {
    RawMessage m;
    m.SetPayload(text.data(), text.size());
    payload_ = std::move(m.payload);
    EXPECT_GE(payload_.capacity(), payload_.size() + kPayloadPadding);
    decoder_->Decode(payload_, &result_);
    return result_;
  }

  // Decodes a message expected to give exactly one item, and returns it.
  const DecodedItem& One(std::string_view text) {
    const DecodeResult& r = Decode(text);
    EXPECT_FALSE(r.failed) << r.error;
    EXPECT_EQ(r.items.size(), 1u);
    if (r.items.empty()) {
      static const DecodedItem kNone;
      return kNone;
    }
    return r.items.front();
  }

  // The reading of a message that must decode cleanly into one item.
  const Reading& Ok(std::string_view text) {
    const DecodedItem& item = One(text);
    EXPECT_TRUE(item.ok) << RejectReasonName(item.reason) << ": " << item.error;
    return item.reading;
  }

  // The error of a message whose one item must fail with `reason`.
  std::string ItemError(std::string_view text, RejectReason reason) {
    const DecodedItem& item = One(text);
    EXPECT_FALSE(item.ok);
    EXPECT_EQ(item.reason, reason) << RejectReasonName(item.reason) << ": " << item.error;
    return item.error;
  }

  // The error of a message that must fail as a whole with `reason`.
  std::string Failure(std::string_view text, RejectReason reason) {
    const DecodeResult& r = Decode(text);
    EXPECT_TRUE(r.failed);
    EXPECT_EQ(r.reason, reason) << RejectReasonName(r.reason) << ": " << r.error;
    EXPECT_TRUE(r.items.empty());
    return r.error;
  }

 private:
  std::unique_ptr<PayloadDecoder> decoder_;
  std::string payload_;
  DecodeResult result_;
};

constexpr const char* kReading = R"(
type: json
value: /v
quality: /q
unit: /u
)";

// A configured timestamp is required in every message.
constexpr const char* kStamped = R"(
type: json
value: /v
timestamp: /ts
)";

// ---------------------------------------------------------------- single values

TEST(JsonDecoderTest, DecodesADouble) {
  Decoder d(kReading);
  const Reading& r = d.Ok(R"({"v": 21.5})");
  EXPECT_TRUE(r.has_value);
  EXPECT_EQ(r.value, 21.5);
  EXPECT_FALSE(r.ts_ns.has_value());
  EXPECT_FALSE(r.quality.has_value());
  EXPECT_TRUE(r.unit.empty());
  EXPECT_TRUE(r.name.empty());
  EXPECT_EQ(r.block, nullptr);
}

TEST(JsonDecoderTest, DecodesIntegers) {
  Decoder d(kReading);
  EXPECT_EQ(d.Ok(R"({"v": 42})").value, 42.0);
  EXPECT_EQ(d.Ok(R"({"v": -7})").value, -7.0);
  EXPECT_EQ(d.Ok(R"({"v": 18446744073709551615})").value, 18446744073709551615.0);
  EXPECT_EQ(d.Ok(R"({"v": -9223372036854775808})").value, -9223372036854775808.0);
  EXPECT_EQ(d.Ok(R"({"v": 1.5e3})").value, 1500.0);
}

TEST(JsonDecoderTest, DecodesBooleansAsOneAndZero) {
  Decoder d(kReading);
  const Reading& t = d.Ok(R"({"v": true})");
  EXPECT_TRUE(t.has_value);
  EXPECT_EQ(t.value, 1.0);
  const Reading& f = d.Ok(R"({"v": false})");
  EXPECT_TRUE(f.has_value);
  EXPECT_EQ(f.value, 0.0);
}

TEST(JsonDecoderTest, NullIsAReadingWithoutValue) {
  Decoder d(kReading);
  const Reading& r = d.Ok(R"({"v": null, "q": "bad"})");
  EXPECT_FALSE(r.has_value);
  EXPECT_EQ(r.quality, Quality::kBad);
}

struct NonFiniteCase {
  const char* text;
  double expected;  // NaN for NaN
  friend std::ostream& operator<<(std::ostream& os, const NonFiniteCase& c) {
    return os << '"' << c.text << '"';
  }
};

class NonFiniteStringTest : public ::testing::TestWithParam<NonFiniteCase> {};

TEST_P(NonFiniteStringTest, IsReadAsTheNumber) {
  Decoder d(kReading);
  const Reading& r = d.Ok(std::string(R"({"v": ")") + GetParam().text + "\"}");
  EXPECT_TRUE(r.has_value);
  if (std::isnan(GetParam().expected)) {
    EXPECT_TRUE(std::isnan(r.value)) << r.value;
  } else {
    EXPECT_EQ(r.value, GetParam().expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Words, NonFiniteStringTest,
    ::testing::Values(NonFiniteCase{"NaN", std::nan("")}, NonFiniteCase{"nan", std::nan("")},
                      NonFiniteCase{"Infinity", kInf}, NonFiniteCase{"inf", kInf},
                      NonFiniteCase{"+Infinity", kInf}, NonFiniteCase{"+inf", kInf},
                      NonFiniteCase{"-inf", -kInf}, NonFiniteCase{"-Infinity", -kInf},
                      NonFiniteCase{"INF", kInf}));

TEST(JsonDecoderTest, OtherStringValuesAreWrongType) {
  Decoder d(kReading);
  EXPECT_THAT(d.ItemError(R"({"v": "21.5"})", RejectReason::kWrongType),
              AllOf(HasSubstr("'/v'"), HasSubstr("\"21.5\""), HasSubstr("expected a number")));
  d.ItemError(R"({"v": ""})", RejectReason::kWrongType);
  d.ItemError(R"({"v": "infinityandbeyond"})", RejectReason::kWrongType);
}

TEST(JsonDecoderTest, LongStringValueIsQuotedOnlyInPart) {
  Decoder d(kReading);
  const std::string long_text(10000, 'z');
  const std::string error = d.ItemError(R"({"v": ")" + long_text + "\"}", RejectReason::kWrongType);
  EXPECT_LT(error.size(), 200u);
}

TEST(JsonDecoderTest, ArrayOrObjectValueIsWrongType) {
  Decoder d(kReading);
  EXPECT_THAT(d.ItemError(R"({"v": [1]})", RejectReason::kWrongType), HasSubstr("an array"));
  EXPECT_THAT(d.ItemError(R"({"v": {"x": 1}})", RejectReason::kWrongType), HasSubstr("an object"));
}

TEST(JsonDecoderTest, MissingValueIsMissingField) {
  Decoder d(kReading);
  EXPECT_THAT(d.ItemError(R"({"value": 1})", RejectReason::kMissingField),
              HasSubstr("no '/v' (the value)"));
}

TEST(JsonDecoderTest, DocumentThatIsNotAnObjectHasNoValueAtAPointer) {
  Decoder d(kReading);
  d.ItemError("21.5", RejectReason::kMissingField);
  d.ItemError("[1, 2]", RejectReason::kMissingField);
  d.ItemError("\"x\"", RejectReason::kMissingField);
}

TEST(JsonDecoderTest, ValueDefaultsToSlashValue) {
  Decoder d("type: json\n");
  EXPECT_EQ(d.Ok(R"({"value": 3.25})").value, 3.25);
}

TEST(JsonDecoderTest, EmptyPointerIsTheWholeDocument) {
  Decoder d("value: \"\"\n");
  EXPECT_EQ(d.Ok("21.5").value, 21.5);
  EXPECT_EQ(d.Ok(" -4 ").value, -4.0);
}

TEST(JsonDecoderTest, PointersFollowRfc6901) {
  Decoder nested("value: /data/0/temp\n");
  EXPECT_EQ(nested.Ok(R"({"data": [{"temp": 7}]})").value, 7.0);
  nested.ItemError(R"({"data": []})", RejectReason::kMissingField);

  Decoder escaped("value: /a~1b/c~0d\n");
  EXPECT_EQ(escaped.Ok(R"({"a/b": {"c~d": 8}})").value, 8.0);
}

// ---------------------------------------------------------------- timestamps

TEST(JsonDecoderTest, WithoutATimestampPointerTheMessageTimeIsIgnored) {
  Decoder d(kReading);
  EXPECT_FALSE(d.Ok(R"({"v": 1, "ts": 1732350000123})").ts_ns.has_value());
}

TEST(JsonDecoderTest, TimestampInMillisecondsByDefault) {
  Decoder d(kStamped);
  EXPECT_EQ(d.Ok(R"({"v": 1, "ts": 1732350000123})").ts_ns, 1'732'350'000'123'000'000);
}

struct TimestampUnitCase {
  const char* unit;
  const char* number;
  int64_t expected_ns;
  friend std::ostream& operator<<(std::ostream& os, const TimestampUnitCase& c) {
    return os << c.number << " " << c.unit;
  }
};

class TimestampUnitTest : public ::testing::TestWithParam<TimestampUnitCase> {};

TEST_P(TimestampUnitTest, ScalesNumbersToNanoseconds) {
  Decoder d(std::string("value: /v\ntimestamp: /ts\ntimestamp_unit: ") + GetParam().unit + "\n");
  const Reading& r = d.Ok(std::string(R"({"v": 1, "ts": )") + GetParam().number + "}");
  EXPECT_EQ(r.ts_ns, GetParam().expected_ns);
}

INSTANTIATE_TEST_SUITE_P(
    Units, TimestampUnitTest,
    ::testing::Values(
        TimestampUnitCase{"s", "1732350000", kTsSeconds* kNsPerSec},
        TimestampUnitCase{"s", "1732350000.25", kTsSeconds* kNsPerSec + 250'000'000},
        TimestampUnitCase{"ms", "1732350000123", kTsSeconds* kNsPerSec + 123'000'000},
        TimestampUnitCase{"ms", "1732350000123.5", kTsSeconds* kNsPerSec + 123'500'000},
        TimestampUnitCase{"us", "1732350000123456", kTsSeconds* kNsPerSec + 123'456'000},
        TimestampUnitCase{"ns", "1732350000123456789", kTsSeconds* kNsPerSec + 123'456'789},
        TimestampUnitCase{"ns", "9223372036854775807", std::numeric_limits<int64_t>::max()},
        TimestampUnitCase{"ms", "0", 0}, TimestampUnitCase{"s", "-1", -kNsPerSec}));

TEST(JsonDecoderTest, TimestampAsRfc3339String) {
  Decoder d(kStamped);
  EXPECT_EQ(d.Ok(R"({"v": 1, "ts": "2024-11-23T08:20:00.123Z"})").ts_ns,
            kTsSeconds * kNsPerSec + 123'000'000);
  EXPECT_EQ(d.Ok(R"({"v": 1, "ts": "2024-11-23T09:20:00+01:00"})").ts_ns, kTsSeconds * kNsPerSec);
}

TEST(JsonDecoderTest, TimestampUnitDoesNotApplyToStrings) {
  Decoder d("value: /v\ntimestamp: /ts\ntimestamp_unit: s\n");
  EXPECT_EQ(d.Ok(R"({"v": 1, "ts": "2024-11-23T08:20:00Z"})").ts_ns, kTsSeconds * kNsPerSec);
}

TEST(JsonDecoderTest, UnparsableTimestampStringIsWrongType) {
  Decoder d(kStamped);
  EXPECT_THAT(d.ItemError(R"({"v": 1, "ts": "yesterday"})", RejectReason::kWrongType),
              AllOf(HasSubstr("'/ts'"), HasSubstr("yesterday")));
  d.ItemError(R"({"v": 1, "ts": ""})", RejectReason::kWrongType);
  d.ItemError(R"({"v": 1, "ts": "2024-13-01T00:00:00Z"})", RejectReason::kWrongType);
}

TEST(JsonDecoderTest, LongTimestampStringIsNotQuotedWhole) {
  Decoder d(kStamped);
  const std::string error =
      d.ItemError(R"({"v": 1, "ts": "2024-11-23T08:20:00)" + std::string(5000, '0') + "Z\"}",
                  RejectReason::kWrongType);
  EXPECT_LT(error.size(), 200u);
}

TEST(JsonDecoderTest, TimestampOfTheWrongTypeIsWrongType) {
  Decoder d(kStamped);
  for (const char* ts : {"true", "null", "[1]", "{}"}) {
    EXPECT_THAT(d.ItemError(std::string(R"({"v": 1, "ts": )") + ts + "}", RejectReason::kWrongType),
                AllOf(HasSubstr("'/ts' (the timestamp)"), HasSubstr("RFC 3339")))
        << ts;
  }
}

TEST(JsonDecoderTest, ConfiguredTimestampThatIsAbsentIsMissingField) {
  Decoder d(kStamped);
  EXPECT_THAT(d.ItemError(R"({"v": 1})", RejectReason::kMissingField),
              HasSubstr("no '/ts' (the timestamp)"));
}

TEST(JsonDecoderTest, HugeTimestampsAreRejectedNotWrapped) {
  Decoder d(kStamped);  // ms
  EXPECT_THAT(d.ItemError(R"({"v": 1, "ts": 9223372036854775})", RejectReason::kTimestampInFuture),
              AllOf(HasSubstr("out of range"), HasSubstr("'/ts'")));
  d.ItemError(R"({"v": 1, "ts": -9223372036854775})", RejectReason::kTimestampTooOld);
  d.ItemError(R"({"v": 1, "ts": 18446744073709551615})", RejectReason::kTimestampInFuture);
  d.ItemError(R"({"v": 1, "ts": 1e300})", RejectReason::kTimestampInFuture);
  d.ItemError(R"({"v": 1, "ts": -1e300})", RejectReason::kTimestampTooOld);
  // The largest millisecond count that fits in int64 nanoseconds still decodes.
  EXPECT_EQ(d.Ok(R"({"v": 1, "ts": 9223372036854})").ts_ns, 9'223'372'036'854'000'000);
}

TEST(JsonDecoderTest, TimestampStringBeyondTheInt64RangeIsRejected) {
  Decoder d(kStamped);
  EXPECT_THAT(
      d.ItemError(R"({"v": 1, "ts": "9999-12-31T23:59:59Z"})", RejectReason::kTimestampInFuture),
      HasSubstr("9999-12-31"));
  d.ItemError(R"({"v": 1, "ts": "2262-04-12T00:00:00Z"})", RejectReason::kTimestampInFuture);
  d.ItemError(R"({"v": 1, "ts": "0001-01-01T00:00:00Z"})", RejectReason::kTimestampTooOld);
  d.ItemError(R"({"v": 1, "ts": "1677-01-01"})", RejectReason::kTimestampTooOld);
  // The edges of what is accepted.
  EXPECT_TRUE(d.Ok(R"({"v": 1, "ts": "2261-12-31T23:59:59-23:59"})").ts_ns.has_value());
  EXPECT_TRUE(d.Ok(R"({"v": 1, "ts": "1678-01-01T00:00:00+23:59"})").ts_ns.has_value());
}

// ---------------------------------------------------------------- quality and unit

struct QualityCase {
  const char* json;
  Quality expected;
  friend std::ostream& operator<<(std::ostream& os, const QualityCase& c) { return os << c.json; }
};

class QualityTest : public ::testing::TestWithParam<QualityCase> {};

TEST_P(QualityTest, IsDecoded) {
  Decoder d(kReading);
  const Reading& r = d.Ok(std::string(R"({"v": 1, "q": )") + GetParam().json + "}");
  EXPECT_EQ(r.quality, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    StringsCodesAndBools, QualityTest,
    ::testing::Values(QualityCase{"\"good\"", Quality::kGood},
                      QualityCase{"\"GOOD\"", Quality::kGood},
                      QualityCase{"\"uncertain\"", Quality::kUncertain},
                      QualityCase{"\"bad\"", Quality::kBad}, QualityCase{"\"b\"", Quality::kBad},
                      QualityCase{"\"0x80350000\"", Quality::kBad},
                      QualityCase{"0", Quality::kGood},
                      QualityCase{"1073741824", Quality::kUncertain},  // 0x40000000
                      QualityCase{"2147483648", Quality::kBad},        // 0x80000000
                      QualityCase{"3221225472", Quality::kBad},        // 0xC0000000
                      QualityCase{"4294967295", Quality::kBad}, QualityCase{"true", Quality::kGood},
                      QualityCase{"false", Quality::kBad}));

TEST(JsonDecoderTest, AbsentQualityIsNotSet) {
  Decoder d(kReading);
  EXPECT_FALSE(d.Ok(R"({"v": 1})").quality.has_value());
}

TEST(JsonDecoderTest, GarbageQualityIsWrongType) {
  Decoder d(kReading);
  EXPECT_THAT(d.ItemError(R"({"v": 1, "q": "excellent"})", RejectReason::kWrongType),
              AllOf(HasSubstr("'/q' (the quality)"), HasSubstr("excellent")));
  EXPECT_THAT(d.ItemError(R"({"v": 1, "q": -1})", RejectReason::kWrongType),
              HasSubstr("32-bit status code"));
  d.ItemError(R"({"v": 1, "q": 4294967296})", RejectReason::kWrongType);
  d.ItemError(R"({"v": 1, "q": 0.5})", RejectReason::kWrongType);
  d.ItemError(R"({"v": 1, "q": null})", RejectReason::kWrongType);
  d.ItemError(R"({"v": 1, "q": [0]})", RejectReason::kWrongType);
}

TEST(JsonDecoderTest, UnitIsTakenFromThePayload) {
  Decoder d(kReading);
  EXPECT_EQ(d.Ok(R"({"v": 1, "u": "[degF]"})").unit, "[degF]");
  EXPECT_TRUE(d.Ok(R"({"v": 1})").unit.empty());
}

TEST(JsonDecoderTest, UnitThatIsNotAStringIsWrongType) {
  Decoder d(kReading);
  EXPECT_THAT(d.ItemError(R"({"v": 1, "u": 5})", RejectReason::kWrongType),
              AllOf(HasSubstr("'/u' (the unit)"), HasSubstr("a number")));
  d.ItemError(R"({"v": 1, "u": null})", RejectReason::kWrongType);
}

TEST(JsonDecoderTest, NameWithoutItems) {
  Decoder d("name: /n\nvalue: /v\n");
  EXPECT_EQ(d.Ok(R"({"n": "temp", "v": 1})").name, "temp");
  EXPECT_THAT(d.ItemError(R"({"v": 1})", RejectReason::kMissingField),
              HasSubstr("no '/n' (the reading's name)"));
  EXPECT_THAT(d.ItemError(R"({"n": "", "v": 1})", RejectReason::kWrongType),
              HasSubstr("non-empty string"));
  d.ItemError(R"({"n": 3, "v": 1})", RejectReason::kWrongType);
}

// ---------------------------------------------------------------- items

constexpr const char* kBatch = R"(
type: json
items: /readings
name: /n
value: /v
timestamp: /ts
quality: /q
unit: /u
)";

TEST(JsonDecoderItemsTest, DecodesEachItem) {
  Decoder d(kBatch);
  const DecodeResult& r = d.Decode(R"({"ts": 1732350000000, "readings": [
      {"n": "load", "v": 81.2},
      {"n": "speed", "v": 1480, "ts": 1732350000500, "q": "uncertain", "u": "{rev}/min"}]})");
  ASSERT_FALSE(r.failed) << r.error;
  ASSERT_EQ(r.items.size(), 2u);
  ASSERT_TRUE(r.items[0].ok) << r.items[0].error;
  ASSERT_TRUE(r.items[1].ok) << r.items[1].error;
  EXPECT_EQ(r.items[0].reading.name, "load");
  EXPECT_EQ(r.items[0].reading.value, 81.2);
  EXPECT_EQ(r.items[0].reading.ts_ns, kTsSeconds * kNsPerSec) << "falls back to the root ts";
  EXPECT_FALSE(r.items[0].reading.quality.has_value());
  EXPECT_EQ(r.items[1].reading.name, "speed");
  EXPECT_EQ(r.items[1].reading.value, 1480.0);
  EXPECT_EQ(r.items[1].reading.ts_ns, kTsSeconds * kNsPerSec + 500'000'000);
  EXPECT_EQ(r.items[1].reading.quality, Quality::kUncertain);
  EXPECT_EQ(r.items[1].reading.unit, "{rev}/min");
}

TEST(JsonDecoderItemsTest, QualityAndUnitFallBackToTheMessage) {
  Decoder d(kBatch);
  const DecodeResult& r = d.Decode(R"({"ts": 1732350000000, "q": "bad", "u": "[degF]",
      "readings": [{"n": "a", "v": 1}, {"n": "b", "v": 2, "q": "good", "u": "Cel"}]})");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_EQ(r.items[0].reading.quality, Quality::kBad);
  EXPECT_EQ(r.items[0].reading.unit, "[degF]");
  EXPECT_EQ(r.items[1].reading.quality, Quality::kGood);
  EXPECT_EQ(r.items[1].reading.unit, "Cel");
}

TEST(JsonDecoderItemsTest, NameAndValueDoNotFallBackToTheMessage) {
  Decoder d(kBatch);
  const DecodeResult& r =
      d.Decode(R"({"ts": 1732350000000, "n": "root", "v": 5, "readings": [{"n": "a"}, {"v": 1}]})");
  ASSERT_EQ(r.items.size(), 2u);
  EXPECT_FALSE(r.items[0].ok);
  EXPECT_EQ(r.items[0].reason, RejectReason::kMissingField);
  EXPECT_THAT(r.items[0].error, HasSubstr("the value"));
  EXPECT_FALSE(r.items[1].ok);
  EXPECT_EQ(r.items[1].reason, RejectReason::kMissingField);
  EXPECT_THAT(r.items[1].error, HasSubstr("the reading's name"));
}

TEST(JsonDecoderItemsTest, AnItemErrorDoesNotAffectTheOthers) {
  Decoder d(kBatch);
  const DecodeResult& r = d.Decode(R"({"ts": 1732350000000, "readings": [
      {"n": "a", "v": 1},
      {"n": "b", "v": "x"},
      {"v": 3},
      7,
      {"n": "e", "v": 5, "ts": "never"},
      {"n": "f", "v": 6}]})");
  ASSERT_FALSE(r.failed) << r.error;
  ASSERT_EQ(r.items.size(), 6u);
  EXPECT_TRUE(r.items[0].ok);
  EXPECT_EQ(r.items[0].reading.value, 1.0);
  EXPECT_FALSE(r.items[1].ok);
  EXPECT_EQ(r.items[1].reason, RejectReason::kWrongType);
  EXPECT_FALSE(r.items[2].ok);
  EXPECT_EQ(r.items[2].reason, RejectReason::kMissingField);
  EXPECT_FALSE(r.items[3].ok) << "an item that is not an object";
  EXPECT_FALSE(r.items[4].ok);
  EXPECT_EQ(r.items[4].reason, RejectReason::kWrongType);
  EXPECT_TRUE(r.items[5].ok);
  EXPECT_EQ(r.items[5].reading.name, "f");
  EXPECT_EQ(r.items[5].reading.value, 6.0);
}

TEST(JsonDecoderItemsTest, EmptyArrayFailsTheMessage) {
  Decoder d(kBatch);
  EXPECT_THAT(d.Failure(R"({"ts": 1, "readings": []})", RejectReason::kMissingField),
              HasSubstr("'/readings' is an empty array"));
}

TEST(JsonDecoderItemsTest, ItemsThatAreNotAnArrayFailTheMessage) {
  Decoder d(kBatch);
  EXPECT_THAT(d.Failure(R"({"readings": {"n": "a", "v": 1}})", RejectReason::kWrongType),
              AllOf(HasSubstr("'/readings' is an object"), HasSubstr("expected an array")));
  d.Failure(R"({"readings": 5})", RejectReason::kWrongType);
  d.Failure(R"({"readings": null})", RejectReason::kWrongType);
}

TEST(JsonDecoderItemsTest, MissingItemsFailTheMessage) {
  Decoder d(kBatch);
  EXPECT_THAT(d.Failure(R"({"values": []})", RejectReason::kMissingField),
              HasSubstr("no '/readings'"));
  d.Failure("[]", RejectReason::kMissingField);
}

TEST(JsonDecoderItemsTest, TheWholeDocumentCanBeTheArray) {
  Decoder d("items: \"\"\nvalue: \"\"\n");
  const DecodeResult& r = d.Decode("[1, 2.5, true]");
  ASSERT_FALSE(r.failed) << r.error;
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[1].reading.value, 2.5);
  EXPECT_EQ(r.items[2].reading.value, 1.0);
}

TEST(JsonDecoderItemsTest, ViewsStayValidUntilTheNextDecode) {
  Decoder d(kBatch);
  const DecodeResult& r = d.Decode(
      R"({"ts": 1, "readings": [{"n": "first", "v": 1, "u": "Cel"}, {"n": "second", "v": 2}]})");
  ASSERT_EQ(r.items.size(), 2u);
  const std::string first(r.items[0].reading.name);
  const std::string unit(r.items[0].reading.unit);
  EXPECT_EQ(first, "first");
  EXPECT_EQ(unit, "Cel");
  EXPECT_EQ(r.items[1].reading.name, "second");
}

// ---------------------------------------------------------------- waveforms

constexpr const char* kWaveform = R"(
type: json
samples: /samples
sample_rate: /fs
timestamp: /ts
)";

TEST(JsonDecoderWaveformTest, DecodesSamplesAndRate) {
  Decoder d(kWaveform);
  const Reading& r = d.Ok(R"({"ts": 1732350000000, "fs": 25600, "samples": [0.1, -0.2, 3, 0]})");
  ASSERT_NE(r.block, nullptr);
  EXPECT_FALSE(r.has_value);
  EXPECT_EQ(r.block->sample_rate_hz, 25600);
  EXPECT_EQ(r.block->samples, (std::vector<float>{0.1f, -0.2f, 3.0f, 0.0f}));
  EXPECT_EQ(r.ts_ns, kTsSeconds * kNsPerSec);
}

TEST(JsonDecoderWaveformTest, FixedSampleRate) {
  Decoder d("samples: /s\nsample_rate_hz: 10240\n");
  const Reading& r = d.Ok(R"({"s": [1, 2]})");
  ASSERT_NE(r.block, nullptr);
  EXPECT_EQ(r.block->sample_rate_hz, 10240);
}

TEST(JsonDecoderWaveformTest, RatePointerWinsOverTheFixedRate) {
  Decoder d("samples: /s\nsample_rate: /fs\nsample_rate_hz: 10240\n");
  const Reading& r = d.Ok(R"({"s": [1], "fs": 500.5})");
  ASSERT_NE(r.block, nullptr);
  EXPECT_EQ(r.block->sample_rate_hz, 500.5);
}

TEST(JsonDecoderWaveformTest, EachBlockIsItsOwn) {
  Decoder d(kWaveform);
  auto first = d.Ok(R"({"ts": 1, "fs": 10, "samples": [1, 2]})").block;
  auto second = d.Ok(R"({"ts": 1, "fs": 10, "samples": [3]})").block;
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->samples, (std::vector<float>{1, 2})) << "a later decode changed an old block";
  EXPECT_EQ(second->samples, (std::vector<float>{3}));
}

TEST(JsonDecoderWaveformTest, EmptySamplesDecodeForTheNormalizerToReject) {
  Decoder d(kWaveform);
  const Reading& r = d.Ok(R"({"ts": 1, "fs": 10, "samples": []})");
  ASSERT_NE(r.block, nullptr);
  EXPECT_TRUE(r.block->samples.empty());
}

TEST(JsonDecoderWaveformTest, NonNumberSampleIsWrongType) {
  Decoder d(kWaveform);
  EXPECT_THAT(
      d.ItemError(R"({"ts": 1, "fs": 10, "samples": [1, "x", 3]})", RejectReason::kWrongType),
      AllOf(HasSubstr("'/samples' element 1 is a string"), HasSubstr("expected a number")));
  d.ItemError(R"({"ts": 1, "fs": 10, "samples": [1, null]})", RejectReason::kWrongType);
  d.ItemError(R"({"ts": 1, "fs": 10, "samples": [[1]]})", RejectReason::kWrongType);
}

TEST(JsonDecoderWaveformTest, SampleBeyondTheFloatRangeIsOutOfRange) {
  Decoder d(kWaveform);
  EXPECT_THAT(
      d.ItemError(R"({"ts": 1, "fs": 10, "samples": [1, 1e300]})", RejectReason::kOutOfRange),
      HasSubstr("element 1"));
  d.ItemError(R"({"ts": 1, "fs": 10, "samples": [-3.5e38]})", RejectReason::kOutOfRange);
  EXPECT_EQ(d.Ok(R"({"ts": 1, "fs": 10, "samples": [3.4e38]})").block->samples[0], 3.4e38f);
}

TEST(JsonDecoderWaveformTest, SamplesThatAreNotAnArrayAreWrongType) {
  Decoder d(kWaveform);
  EXPECT_THAT(d.ItemError(R"({"ts": 1, "fs": 10, "samples": 1.5})", RejectReason::kWrongType),
              HasSubstr("'/samples' is a number, expected an array of numbers"));
  d.ItemError(R"({"ts": 1, "fs": 10, "samples": {"0": 1}})", RejectReason::kWrongType);
}

TEST(JsonDecoderWaveformTest, MissingSamplesOrRateIsMissingField) {
  Decoder d(kWaveform);
  EXPECT_THAT(d.ItemError(R"({"ts": 1, "fs": 10})", RejectReason::kMissingField),
              HasSubstr("no '/samples'"));
  EXPECT_THAT(d.ItemError(R"({"ts": 1, "samples": [1]})", RejectReason::kMissingField),
              HasSubstr("no '/fs' (the sample rate)"));
}

TEST(JsonDecoderWaveformTest, RateThatIsNotANumberIsWrongType) {
  Decoder d(kWaveform);
  EXPECT_THAT(d.ItemError(R"({"ts": 1, "fs": "fast", "samples": [1]})", RejectReason::kWrongType),
              HasSubstr("'/fs' (the sample rate) is a string"));
}

TEST(JsonDecoderWaveformTest, ItemsOfWaveformsShareTheMessageRate) {
  Decoder d("items: /blocks\nname: /n\nsamples: /s\nsample_rate: /fs\n");
  const DecodeResult& r = d.Decode(
      R"({"fs": 100, "blocks": [{"n": "x", "s": [1]}, {"n": "y", "s": [2, 3], "fs": 200}]})");
  ASSERT_EQ(r.items.size(), 2u);
  ASSERT_TRUE(r.items[0].ok && r.items[1].ok);
  EXPECT_EQ(r.items[0].reading.block->sample_rate_hz, 100);
  EXPECT_EQ(r.items[1].reading.block->sample_rate_hz, 200);
  EXPECT_EQ(r.items[1].reading.name, "y");
}

// ---------------------------------------------------------------- malformed messages

TEST(JsonDecoderTest, MalformedJsonFailsTheMessage) {
  Decoder d(kReading);
  for (const char* text : {
           R"({"v": 1)",                                // truncated
           R"({"v": 1} trailing)",                      // trailing garbage
           R"({"v": 1}{"v": 2})",                       // two documents
           "",                                          // empty
           "   \n",                                     // only whitespace
           R"({"v": 01})",                              // leading zero
           R"({'v': 1})",                               // single quotes
           R"({"v": NaN})",                             // not JSON
           R"({"v": 1e999})",                           // beyond double
           R"({"v": 123456789012345678901234567890})",  // beyond 64 bits
           "{\"v\": \"\xff\xfe\"}",                     // not UTF-8
       }) {
    SCOPED_TRACE(text);
    EXPECT_THAT(d.Failure(text, RejectReason::kMalformedPayload), StartsWith("not valid JSON"));
  }
}

TEST(JsonDecoderTest, EmbeddedNulIsMalformed) {
  Decoder d(kReading);
  d.Failure(std::string_view("{\"v\": 1}\0", 9), RejectReason::kMalformedPayload);
}

TEST(JsonDecoderTest, DeepNestingIsMalformedNotACrash) {
  Decoder d(kReading);
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  d.Failure(deep, RejectReason::kMalformedPayload);
}

TEST(JsonDecoderTest, AFailureIsClearedByTheNextDecode) {
  Decoder d(kBatch);
  d.Failure("{", RejectReason::kMalformedPayload);
  const DecodeResult& r = d.Decode(R"({"ts": 1, "readings": [{"n": "a", "v": 1}]})");
  EXPECT_FALSE(r.failed);
  EXPECT_TRUE(r.error.empty());
  EXPECT_EQ(r.items.size(), 1u);
  d.Decode(R"({"ts": 1, "readings": [{"n": "a", "v": 1}, {"n": "b", "v": 2}]})");
  EXPECT_EQ(d.Decode(R"({"ts": 1, "readings": [{"n": "c", "v": 1}]})").items.size(), 1u);
}

TEST(JsonDecoderTest, PayloadWithoutSparePaddingStillDecodes) {
  auto decoder = MakePayloadDecoder(ReadSpec(kReading));
  std::string payload = R"({"v": 2.5})";
  payload.shrink_to_fit();
  DecodeResult result;
  decoder->Decode(payload, &result);
  ASSERT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.items[0].reading.value, 2.5);
}

TEST(JsonDecoderTest, LargeMessageDecodes) {
  Decoder d(kWaveform);
  std::string text = R"({"ts": 1, "fs": 25600, "samples": [)";
  for (int i = 0; i < 65536; ++i) text += (i ? ",0." : "0.") + std::to_string(i % 10);
  text += "]}";
  const Reading& r = d.Ok(text);
  ASSERT_NE(r.block, nullptr);
  EXPECT_EQ(r.block->samples.size(), 65536u);
  EXPECT_FLOAT_EQ(r.block->samples[65535], 0.5f);
}

// ---------------------------------------------------------------- plain numbers

struct NumberCase {
  const char* text;
  double expected;  // NaN for NaN
  friend std::ostream& operator<<(std::ostream& os, const NumberCase& c) {
    return os << '"' << c.text << '"';
  }
};

class NumberDecoderTest : public ::testing::TestWithParam<NumberCase> {};

TEST_P(NumberDecoderTest, DecodesTheNumber) {
  Decoder d("type: number\n");
  const Reading& r = d.Ok(GetParam().text);
  EXPECT_TRUE(r.has_value);
  EXPECT_FALSE(r.ts_ns.has_value());
  EXPECT_FALSE(r.quality.has_value());
  if (std::isnan(GetParam().expected)) {
    EXPECT_TRUE(std::isnan(r.value)) << r.value;
  } else {
    EXPECT_EQ(r.value, GetParam().expected);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Texts, NumberDecoderTest,
    ::testing::Values(
        NumberCase{"21.5", 21.5}, NumberCase{"-3", -3.0}, NumberCase{"0", 0.0},
        NumberCase{" 21.5\r\n", 21.5}, NumberCase{"\t7 ", 7.0}, NumberCase{"1e3", 1000.0},
        NumberCase{"1.5E-2", 0.015}, NumberCase{"+21.5", 21.5}, NumberCase{".5", 0.5},
        NumberCase{"nan", std::nan("")}, NumberCase{"NaN", std::nan("")}, NumberCase{"inf", kInf},
        NumberCase{"-Infinity", -kInf}, NumberCase{"+inf", kInf}, NumberCase{"1e999", kInf},
        NumberCase{"-1e999", -kInf}, NumberCase{"123456789e305", kInf}, NumberCase{"1e-999", 0.0},
        NumberCase{"-0.0000001e-400", -0.0}, NumberCase{"0.000000000001e-320", 0.0},
        NumberCase{"18446744073709551616", 18446744073709551616.0}));

TEST(NumberDecoderTest, UnderflowIsZeroNotInfinity) {
  Decoder d("type: number\n");
  const double v = d.Ok("1e-400").value;
  EXPECT_EQ(v, 0.0);
  EXPECT_FALSE(std::signbit(v));
  EXPECT_TRUE(std::signbit(d.Ok("-1e-400").value));
}

TEST(NumberDecoderTest, GarbageIsMalformed) {
  Decoder d("type: number\n");
  for (const char* text : {"abc", "12abc", "", "   ", "0x10", "1,5", "--1", "++1", "+-1", "+", "-",
                           "1 2", "1e", "\"21.5\"", "{\"v\": 1}", "true", "1e999x", "nanx"}) {
    SCOPED_TRACE(text);
    EXPECT_THAT(d.Failure(text, RejectReason::kMalformedPayload), HasSubstr("is not a number"));
  }
}

TEST(NumberDecoderTest, ErrorQuotesTheTrimmedTextInPart) {
  Decoder d("type: number\n");
  EXPECT_EQ(d.Failure("  abc \n", RejectReason::kMalformedPayload),
            "payload \"abc\" is not a number");
  const std::string error =
      d.Failure(std::string(10000, '7') + "x", RejectReason::kMalformedPayload);
  EXPECT_LT(error.size(), 120u);
}

TEST(NumberDecoderTest, EmbeddedNulIsMalformed) {
  Decoder d("type: number\n");
  d.Failure(std::string_view("1\0", 2), RejectReason::kMalformedPayload);
}

TEST(NumberDecoderTest, AFailureIsClearedByTheNextDecode) {
  Decoder d("type: number\n");
  d.Failure("x", RejectReason::kMalformedPayload);
  EXPECT_EQ(d.Ok("4").value, 4.0);
  EXPECT_EQ(d.Decode("5").items.size(), 1u);
}

// ---------------------------------------------------------------- DecoderSpec::Read

TEST(DecoderSpecTest, ReadsEveryField) {
  const DecoderSpec spec = ReadSpec(R"(
type: json
items: /readings
name: /n
value: /v
timestamp: /ts
timestamp_unit: us
quality: /q
unit: /u
)");
  EXPECT_EQ(spec.name, "test");
  EXPECT_EQ(spec.type, DecoderSpec::Type::kJson);
  EXPECT_EQ(spec.items, "/readings");
  EXPECT_EQ(spec.item_name, "/n");
  EXPECT_TRUE(spec.gives_item_names());
  EXPECT_EQ(spec.value, "/v");
  EXPECT_EQ(spec.timestamp, "/ts");
  EXPECT_EQ(spec.timestamp_unit, TimestampUnit::kMicros);
  EXPECT_EQ(spec.quality, "/q");
  EXPECT_EQ(spec.unit, "/u");
  EXPECT_FALSE(spec.samples.has_value());
}

TEST(DecoderSpecTest, Defaults) {
  const DecoderSpec spec = ReadSpec("timestamp: /t\n");
  EXPECT_EQ(spec.type, DecoderSpec::Type::kJson);
  EXPECT_EQ(spec.value, "/value");
  EXPECT_EQ(spec.timestamp_unit, TimestampUnit::kMillis);
  EXPECT_FALSE(spec.items.has_value());
  EXPECT_FALSE(spec.gives_item_names());
  EXPECT_FALSE(spec.quality.has_value());
  EXPECT_FALSE(spec.unit.has_value());
}

TEST(DecoderSpecTest, Waveform) {
  const DecoderSpec spec = ReadSpec("samples: /s\nsample_rate_hz: 25600\n");
  EXPECT_EQ(spec.samples, "/s");
  EXPECT_FALSE(spec.value.has_value()) << "a waveform decoder reads no value";
  EXPECT_EQ(spec.sample_rate_hz, 25600);
}

TEST(DecoderSpecTest, NumberDecoder) {
  const DecoderSpec spec = ReadSpec("type: number\n");
  EXPECT_EQ(spec.type, DecoderSpec::Type::kNumber);
  EXPECT_FALSE(spec.gives_item_names());
}

// Expects reading `yaml` to fail with a message that starts with "decoders.yaml:<line>:".
void ExpectSpecError(const std::string& yaml, int line, const std::string& needle) {
  auto spec = TryReadSpec(yaml);
  ASSERT_FALSE(spec.ok()) << "accepted:\n" << yaml;
  EXPECT_EQ(spec.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(spec.status().message(),
              AllOf(StartsWith("decoders.yaml:" + std::to_string(line) + ":"), HasSubstr(needle)));
}

TEST(DecoderSpecTest, PointerWithoutLeadingSlash) {
  ExpectSpecError("type: json\nvalue: v\n", 2, "write it like /v");
  ExpectSpecError("timestamp: ts\n", 1, "'ts' is not a JSON pointer");
}

TEST(DecoderSpecTest, PointerWithABadEscape) {
  ExpectSpecError("value: /a~2b\n", 1, "'~' must be followed by 0 or 1");
  ExpectSpecError("value: /a~\n", 1, "'~' must be followed by 0 or 1");
}

TEST(DecoderSpecTest, SamplesAndValueTogether) {
  ExpectSpecError("type: json\nvalue: /v\nsamples: /s\nsample_rate_hz: 10\n", 1,
                  "either a value or waveform samples");
}

TEST(DecoderSpecTest, WaveformWithoutRate) {
  ExpectSpecError("type: json\nsamples: /s\n", 1, "needs `sample_rate`");
}

TEST(DecoderSpecTest, BadFixedSampleRate) {
  ExpectSpecError("samples: /s\nsample_rate_hz: -5\n", 2, "positive number");
  ExpectSpecError("samples: /s\nsample_rate_hz: 0\n", 2, "positive number");
  ExpectSpecError("samples: /s\nsample_rate_hz: fast\n", 2, "'fast' is not a number");
}

TEST(DecoderSpecTest, SampleRateWithoutSamples) {
  ExpectSpecError("value: /v\nsample_rate: /fs\n", 1, "belong to waveform decoders");
  ExpectSpecError("sample_rate_hz: 100\n", 1, "belong to waveform decoders");
}

TEST(DecoderSpecTest, UnknownTypeOrTimestampUnit) {
  ExpectSpecError("type: jsn\n", 1, "did you mean 'json'?");
  ExpectSpecError("timestamp: /t\ntimestamp_unit: sec\n", 2, "'sec' is not one of: s, ms, us, ns");
}

TEST(DecoderSpecTest, UnknownKey) {
  ExpectSpecError("value: /v\ntimestmap: /t\n", 2, "did you mean 'timestamp'?");
  ExpectSpecError("type: number\nvalue: /v\n", 2, "unknown key");
}

}  // namespace
}  // namespace strata
