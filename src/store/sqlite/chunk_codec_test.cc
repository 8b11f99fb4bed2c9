#include "store/sqlite/chunk_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

ChunkPoint Point(int64_t ts, int64_t ingest_ts, double value, Quality quality = Quality::kGood,
                 int64_t source = 0) {
  return ChunkPoint{ts, ingest_ts, value, quality, source};
}

// A periodic signal as a connector delivers it: `period_ns` apart with a little jitter, ingested
// 0-50 ms later (sometimes up to 5 ms earlier: the source clock runs ahead).
std::vector<ChunkPoint> Periodic(size_t n, int64_t start_ns, int64_t period_ns, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> jitter(0, period_ns / 10);
  std::uniform_int_distribution<int64_t> lag(-5'000'000, 50'000'000);
  std::normal_distribution<double> value(20.0, 3.0);
  std::vector<ChunkPoint> points;
  int64_t ts = start_ns;
  for (size_t i = 0; i < n; ++i) {
    points.push_back(Point(ts, ts + lag(rng), value(rng)));
    ts += period_ns + jitter(rng);
  }
  return points;
}

std::string Bytes(std::initializer_list<unsigned> bytes) {
  std::string s;
  for (unsigned b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

struct Encoded {
  ChunkSummary summary;
  std::string data;
};

Encoded Encode(const std::vector<ChunkPoint>& points) {
  Encoded e;
  StatusOr<ChunkSummary> summary = EncodeChunk(points, &e.data);
  EXPECT_TRUE(summary.ok()) << summary.status().ToString();
  if (summary.ok()) e.summary = *summary;
  return e;
}

uint8_t Flags(const Encoded& e) { return static_cast<uint8_t>(e.data.at(1)); }

void ExpectSummary(const ChunkSummary& got, const ChunkSummary& want) {
  EXPECT_EQ(got.first_ts_ns, want.first_ts_ns);
  EXPECT_EQ(got.last_ts_ns, want.last_ts_ns);
  EXPECT_EQ(got.count, want.count);
  EXPECT_EQ(got.max_ingest_ts_ns, want.max_ingest_ts_ns);
  EXPECT_EQ(got.shared_quality, want.shared_quality);
  EXPECT_EQ(got.shared_source, want.shared_source);
}

// Values compare by their bits: NaN payloads and the sign of zero must survive.
void ExpectSamePoints(const std::vector<ChunkPoint>& got, const std::vector<ChunkPoint>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(testing::Message() << "observation " << i);
    ASSERT_EQ(got[i].ts_ns, want[i].ts_ns);
    ASSERT_EQ(got[i].ingest_ts_ns, want[i].ingest_ts_ns);
    ASSERT_EQ(std::bit_cast<uint64_t>(got[i].value), std::bit_cast<uint64_t>(want[i].value));
    ASSERT_EQ(got[i].quality, want[i].quality);
    ASSERT_EQ(got[i].source, want[i].source);
  }
}

// Encodes, decodes and checks that the observations come back bit for bit.
Encoded RoundTrip(const std::vector<ChunkPoint>& points) {
  Encoded e = Encode(points);
  std::vector<ChunkPoint> back;
  Status s = DecodeChunk(e.summary, e.data, &back);
  EXPECT_TRUE(s.ok()) << s.ToString();
  ExpectSamePoints(back, points);
  return e;
}

void ExpectDataLoss(const ChunkSummary& summary, std::string_view data,
                    std::string_view message_part) {
  std::vector<ChunkPoint> out;
  Status s = DecodeChunk(summary, data, &out);
  ASSERT_FALSE(s.ok()) << "decoded, expected an error naming \"" << message_part << "\"";
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
  EXPECT_THAT(s.message(), StartsWith("corrupt chunk: "));
  EXPECT_THAT(s.message(), HasSubstr(message_part));
}

void ExpectInvalidArgument(const std::vector<ChunkPoint>& points, std::string_view message_part) {
  std::string out;
  StatusOr<ChunkSummary> summary = EncodeChunk(points, &out);
  ASSERT_FALSE(summary.ok()) << "encoded, expected an error naming \"" << message_part << "\"";
  EXPECT_EQ(summary.status().code(), StatusCode::kInvalidArgument) << summary.status().ToString();
  EXPECT_THAT(summary.status().message(), HasSubstr(message_part));
}

// The two hand-computed chunks of the layout tests; the decode tests damage them.
//
// Qualities and sources differ, so both are per observation.
const std::vector<ChunkPoint> kMixedPoints = {
    Point(1000, 1005, 1.5, Quality::kGood, 0),
    Point(1300, 1290, -2.0, Quality::kUncertain, 7),
};
// clang-format off
const std::string kMixedBytes = Bytes({
    0x01, 0x03,                                       // version 1, flags 3
    0x0a,                                             // ingest 1005 - ts 1000 = +5: zigzag 10
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x3f,   // 1.5
    0x00,                                             // quality good
    0x00,                                             // source 0 (none)
    0xac, 0x02,                                       // ts 1300 - 1000 = 300 = 2 << 7 | 0x2c
    0x13,                                             // ingest 1290 - ts 1300 = -10: zigzag 19
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0,   // -2.0
    0x01,                                             // quality uncertain (byte 24)
    0x07,                                             // source 7 (byte 25)
});
// clang-format on
const ChunkSummary kMixedSummary = {.first_ts_ns = 1000,
                                    .last_ts_ns = 1300,
                                    .count = 2,
                                    .max_ingest_ts_ns = 1290,
                                    .shared_quality = std::nullopt,
                                    .shared_source = 0};

// Quality and source shared, so the summary carries them and `data` does not.
const std::vector<ChunkPoint> kSharedPoints = {
    Point(5, 69, 0.0, Quality::kBad, 42),
    Point(6, 6, kNaN, Quality::kBad, 42),
};
// clang-format off
const std::string kSharedBytes = Bytes({
    0x01, 0x00,                                       // version 1, flags 0
    0x80, 0x01,                                       // ingest 69 - ts 5 = +64: zigzag 128
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,   // 0.0
    0x01,                                             // ts 6 - 5 = 1 (byte 12)
    0x00,                                             // ingest 6 - ts 6 = 0 (byte 13)
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf8, 0x7f,   // quiet NaN: no value
});
// clang-format on
const ChunkSummary kSharedSummary = {.first_ts_ns = 5,
                                     .last_ts_ns = 6,
                                     .count = 2,
                                     .max_ingest_ts_ns = 69,
                                     .shared_quality = 2,
                                     .shared_source = 42};

TEST(ChunkCodec, LayoutWithPerObservationQualityAndSource) {
  const Encoded e = Encode(kMixedPoints);
  EXPECT_EQ(e.data, kMixedBytes);
  ExpectSummary(e.summary, kMixedSummary);
  std::vector<ChunkPoint> back;
  ASSERT_TRUE(DecodeChunk(kMixedSummary, kMixedBytes, &back).ok());
  ExpectSamePoints(back, kMixedPoints);
}

TEST(ChunkCodec, LayoutWithSharedQualityAndSource) {
  ASSERT_EQ(std::bit_cast<uint64_t>(kNaN), 0x7ff8'0000'0000'0000u);
  const Encoded e = Encode(kSharedPoints);
  EXPECT_EQ(e.data, kSharedBytes);
  ExpectSummary(e.summary, kSharedSummary);
  std::vector<ChunkPoint> back;
  ASSERT_TRUE(DecodeChunk(kSharedSummary, kSharedBytes, &back).ok());
  ExpectSamePoints(back, kSharedPoints);
}

TEST(ChunkCodec, RoundTripsOnePoint) {
  for (int64_t ts : {kMin, kMin + 1, int64_t{-1}, int64_t{0}, int64_t{1},
                     int64_t{1'700'000'000'000'000'000}, kMax - 1, kMax}) {
    SCOPED_TRACE(ts);
    const Encoded e = RoundTrip({Point(ts, ts, 3.25, Quality::kUncertain, 5)});
    ExpectSummary(e.summary, {.first_ts_ns = ts,
                              .last_ts_ns = ts,
                              .count = 1,
                              .max_ingest_ts_ns = ts,
                              .shared_quality = 1,
                              .shared_source = 5});
    // Header, ingest delta 0, value: the smallest chunk there is.
    EXPECT_EQ(e.data.size(), 2u + 1 + 8);
    EXPECT_EQ(Flags(e), 0);
  }
}

TEST(ChunkCodec, RoundTripsManyPoints) {
  for (size_t n : {size_t{2}, size_t{3}, size_t{100}, size_t{10'000}}) {
    SCOPED_TRACE(n);
    const std::vector<ChunkPoint> points =
        Periodic(n, 1'700'000'000'000'000'000, 100'000'000, static_cast<uint32_t>(n));
    const Encoded e = RoundTrip(points);
    int64_t max_ingest = kMin;
    for (const ChunkPoint& p : points) max_ingest = std::max(max_ingest, p.ingest_ts_ns);
    ExpectSummary(e.summary, {.first_ts_ns = points.front().ts_ns,
                              .last_ts_ns = points.back().ts_ns,
                              .count = static_cast<uint32_t>(n),
                              .max_ingest_ts_ns = max_ingest,
                              .shared_quality = 0,
                              .shared_source = 0});
    // Deltas of ts (~0.1 s) and ingest (<= 50 ms) under 2^28 ns take at most 4 bytes each.
    EXPECT_LE(e.data.size(), 2 + (4 + 4 + 8) * n);
  }
}

TEST(ChunkCodec, SharedQualityAndSourceGoToTheSummary) {
  std::vector<ChunkPoint> points = Periodic(50, 0, 1'000'000, 7);
  for (ChunkPoint& p : points) {
    p.quality = Quality::kUncertain;
    p.source = 300;
  }
  const Encoded e = RoundTrip(points);
  EXPECT_EQ(Flags(e), 0);
  EXPECT_EQ(e.summary.shared_quality, std::optional<int64_t>(1));
  EXPECT_EQ(e.summary.shared_source, 300);
  // Nothing per observation beyond ts, ingest and value.
  const Encoded bare = Encode(Periodic(50, 0, 1'000'000, 7));
  EXPECT_EQ(e.data.size(), bare.data.size());
}

TEST(ChunkCodec, DifferingQualitiesArePerObservation) {
  std::vector<ChunkPoint> points = Periodic(20, 0, 1'000'000, 8);
  for (ChunkPoint& p : points) p.source = 12;
  points[19].quality = Quality::kBad;
  const Encoded e = RoundTrip(points);
  EXPECT_EQ(Flags(e), kChunkQualityPerObservation);
  EXPECT_EQ(e.summary.shared_quality, std::nullopt);
  EXPECT_EQ(e.summary.shared_source, 12);
  EXPECT_EQ(e.data.size(), Encode(Periodic(20, 0, 1'000'000, 8)).data.size() + 20);
}

TEST(ChunkCodec, DifferingSourcesArePerObservation) {
  std::vector<ChunkPoint> points = Periodic(20, 0, 1'000'000, 9);
  for (ChunkPoint& p : points) p.quality = Quality::kBad;
  points[0].source = 0;  // "none" differs from a source too
  for (size_t i = 1; i < points.size(); ++i) points[i].source = 200;
  const Encoded e = RoundTrip(points);
  EXPECT_EQ(Flags(e), kChunkSourcePerObservation);
  EXPECT_EQ(e.summary.shared_quality, std::optional<int64_t>(2));
  EXPECT_EQ(e.summary.shared_source, 0);
  // Source 0 takes one varint byte, 200 two.
  EXPECT_EQ(e.data.size(), Encode(Periodic(20, 0, 1'000'000, 9)).data.size() + 1 + 19 * 2);
}

TEST(ChunkCodec, QualitiesAndSourcesBothPerObservation) {
  std::vector<ChunkPoint> points = Periodic(30, -1'000'000'000, 1'000'000, 10);
  for (size_t i = 0; i < points.size(); ++i) {
    points[i].quality = static_cast<Quality>(i % 3);
    points[i].source = i % 4 == 0 ? kMax : static_cast<int64_t>(i);
  }
  const Encoded e = RoundTrip(points);
  EXPECT_EQ(Flags(e), kChunkQualityPerObservation | kChunkSourcePerObservation);
  EXPECT_EQ(e.summary.shared_quality, std::nullopt);
  EXPECT_EQ(e.summary.shared_source, 0);
}

TEST(ChunkCodec, KeepsSpecialValuesBitExactly) {
  const double payload_nan = std::bit_cast<double>(uint64_t{0x7ff8'0000'dead'beef});
  const double negative_nan = std::bit_cast<double>(uint64_t{0xfff8'0000'0000'0001});
  const double signalling_nan = std::bit_cast<double>(uint64_t{0x7ff0'0000'0000'0001});
  std::vector<ChunkPoint> points;
  int64_t ts = 0;
  for (double v :
       {kNaN, payload_nan, negative_nan, signalling_nan, 0.0, -0.0,
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::max(),
        std::numeric_limits<double>::lowest()}) {
    points.push_back(Point(ts, ts, v));
    ++ts;
  }
  RoundTrip(points);
}

TEST(ChunkCodec, NegativeAndExtremeIngestDeltas) {
  // The source clock ahead of the edge (ingest before ts), and ingest deltas that wrap around
  // 2^64 both ways.
  const std::vector<ChunkPoint> points = {
      Point(kMin, kMax, 1),      // ingest - ts = 2^64 - 1: wraps to -1
      Point(-10, -20, 2),        // -10
      Point(0, kMin, 3),         // -2^63
      Point(1, kMax, 4),         // 2^63 - 2
      Point(kMax - 1, kMin, 5),  // wraps to +2
      Point(kMax, -5, 6),
  };
  const Encoded e = RoundTrip(points);
  EXPECT_EQ(e.summary.max_ingest_ts_ns, kMax);
  EXPECT_EQ(e.summary.first_ts_ns, kMin);
  EXPECT_EQ(e.summary.last_ts_ns, kMax);

  // The latest ingest in the middle of the chunk, every ingest negative.
  const Encoded middle = RoundTrip({Point(100, -300, 1), Point(200, -100, 2), Point(300, -200, 3)});
  EXPECT_EQ(middle.summary.max_ingest_ts_ns, -100);
}

TEST(ChunkCodec, ExtremeTimestampsAndGaps) {
  // From INT64_MIN to INT64_MAX in one step: the delta 2^64 - 1 is a full 10-byte varint.
  const Encoded widest = RoundTrip({Point(kMin, kMin, 0), Point(kMax, kMax, 0)});
  EXPECT_EQ(widest.data.size(), 2u + (1 + 8) + (10 + 1 + 8));
  EXPECT_EQ(widest.data.substr(11, 10),
            Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));

  // Neighbours of both ends and of zero.
  RoundTrip({Point(kMin, 0, 1), Point(kMin + 1, 0, 2), Point(-1, 0, 3), Point(0, 0, 4),
             Point(1, 0, 5), Point(kMax - 1, 0, 6), Point(kMax, 0, 7)});

  // Gaps of every varint length.
  std::vector<ChunkPoint> points;
  int64_t ts = kMin;
  for (int bits = 0; bits <= 62; ++bits) {
    points.push_back(Point(ts, ts + 1, bits));
    ts += int64_t{1} << bits;
  }
  points.push_back(Point(kMax, kMax, 99));
  RoundTrip(points);
}

TEST(ChunkCodec, SmallestEncodingMeetsTheAllocationBound) {
  // ts deltas of 1 and ingest == ts: every observation takes kChunkMinObservationBytes, the
  // first one byte less, which is exactly what the decoder's bound admits.
  std::vector<ChunkPoint> points;
  for (int64_t ts = 0; ts < 25; ++ts) points.push_back(Point(ts, ts, 0.5));
  const Encoded e = RoundTrip(points);
  EXPECT_EQ(e.data.size(), 2 + 25 * kChunkMinObservationBytes - 1);

  ChunkSummary more = e.summary;
  more.count = 26;
  ExpectDataLoss(more, e.data, "cannot hold the 26 observations");
}

TEST(ChunkCodec, EncodeRejectsInvalidObservations) {
  ExpectInvalidArgument({}, "no observations");
  ExpectInvalidArgument({Point(5, 5, 1), Point(5, 5, 2)}, "observation 1 has ts 5 after 5");
  ExpectInvalidArgument({Point(1, 1, 1), Point(2, 2, 1), Point(1, 1, 1)},
                        "observation 2 has ts 1 after 2: ts must be strictly increasing");
  ExpectInvalidArgument({Point(kMax, 0, 1), Point(kMin, 0, 1)}, "strictly increasing");
  ExpectInvalidArgument({Point(1, 1, 1), Point(2, 2, 1, static_cast<Quality>(3))},
                        "observation 1 has quality 3 (not 0-2)");
  ExpectInvalidArgument({Point(1, 1, 1, static_cast<Quality>(255))}, "quality 255");
  ExpectInvalidArgument({Point(1, 1, 1), Point(2, 2, 1, Quality::kGood, -1)},
                        "observation 1 has source id -1");
  ExpectInvalidArgument({Point(1, 1, 1, Quality::kGood, kMin)}, "source id");
}

TEST(ChunkCodec, WrongVersionIsDataLoss) {
  for (unsigned version : {0u, 2u, 0xffu}) {
    std::string bytes = kSharedBytes;
    bytes[0] = static_cast<char>(version);
    ExpectDataLoss(kSharedSummary, bytes, "format version " + std::to_string(version));
  }
}

TEST(ChunkCodec, UnknownFlagsAreDataLoss) {
  std::string bytes = kSharedBytes;
  bytes[1] = 0x04;
  ExpectDataLoss(kSharedSummary, bytes, "unknown flags 0x04");
  bytes[1] = static_cast<char>(0x83);
  ExpectDataLoss(kSharedSummary, bytes, "unknown flags 0x83");
}

TEST(ChunkCodec, EveryTruncationIsDataLoss) {
  std::vector<ChunkPoint> varied = Periodic(40, kMin + 5, 3'000'000'000, 11);
  for (size_t i = 0; i < varied.size(); ++i) {
    varied[i].quality = static_cast<Quality>(i % 3);
    varied[i].source = static_cast<int64_t>(i * 1000);
  }
  const Encoded e = Encode(varied);
  for (const auto& [summary, bytes] :
       {std::pair(kMixedSummary, kMixedBytes), std::pair(kSharedSummary, kSharedBytes),
        std::pair(e.summary, e.data)}) {
    for (size_t len = 0; len < bytes.size(); ++len) {
      std::vector<ChunkPoint> out;
      Status s = DecodeChunk(summary, std::string_view(bytes).substr(0, len), &out);
      ASSERT_FALSE(s.ok()) << "a prefix of " << len << " of " << bytes.size() << " bytes decoded";
      ASSERT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
      ASSERT_THAT(s.message(), StartsWith("corrupt chunk: "));
    }
  }
  ExpectDataLoss(kSharedSummary, "", "0 bytes, too short for a header");
  ExpectDataLoss(kSharedSummary, "\x01", "1 bytes, too short for a header");
  // Where wide fields leave room past the allocation bound, a cut in the last observation
  // names the field it cuts.
  const Encoded source =
      Encode({Point(0, 0, 1, Quality::kGood, 1), Point(1, 1, 1, Quality::kBad, int64_t{1} << 62)});
  ExpectDataLoss(source.summary, std::string_view(source.data).substr(0, source.data.size() - 1),
                 "observation 1: source id: truncated");
  const Encoded quality = Encode({Point(0, kMax, 1), Point(1, 1, 1, Quality::kBad)});
  ExpectDataLoss(quality.summary, std::string_view(quality.data).substr(0, quality.data.size() - 1),
                 "observation 1: truncated quality");
  const Encoded value = Encode({Point(0, kMax, 1)});
  ExpectDataLoss(value.summary, std::string_view(value.data).substr(0, value.data.size() - 1),
                 "observation 0: truncated value");
}

TEST(ChunkCodec, TrailingBytesAreDataLoss) {
  ExpectDataLoss(kSharedSummary, kSharedBytes + std::string(1, '\0'),
                 "1 bytes after the 2 observations");
  ExpectDataLoss(kMixedSummary, kMixedBytes + kMixedBytes, "26 bytes after the 2 observations");
}

TEST(ChunkCodec, NonMinimalVarintsAreDataLoss) {
  // The ts delta 1 as 0x81 0x00.
  std::string bytes = kSharedBytes;
  bytes.replace(12, 1, Bytes({0x81, 0x00}));
  ExpectDataLoss(kSharedSummary, bytes, "observation 1: ts delta: not a minimal varint");
  // The ingest delta 0 as 0x80 0x00.
  bytes = kSharedBytes;
  bytes.replace(13, 1, Bytes({0x80, 0x00}));
  ExpectDataLoss(kSharedSummary, bytes, "observation 1: ingest_ts delta: not a minimal varint");
  // The ingest delta +64 (zigzag 128) with a trailing zero group.
  bytes = kSharedBytes;
  bytes.replace(2, 2, Bytes({0x80, 0x81, 0x00}));
  ExpectDataLoss(kSharedSummary, bytes, "observation 0: ingest_ts delta: not a minimal varint");
  // Source 7 as 0x87 0x80 0x00.
  bytes = kMixedBytes;
  bytes.replace(25, 1, Bytes({0x87, 0x80, 0x00}));
  ExpectDataLoss(kMixedSummary, bytes, "observation 1: source id: not a minimal varint");
}

TEST(ChunkCodec, VarintsBeyond64BitsAreDataLoss) {
  // Ten bytes whose last one sets bit 64.
  std::string bytes = kSharedBytes;
  bytes.replace(12, 1, Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02}));
  ExpectDataLoss(kSharedSummary, bytes, "observation 1: ts delta: a varint over 64 bits");
  // Eleven bytes.
  bytes = kSharedBytes;
  bytes.replace(2, 2, Bytes({0x80, 0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x81, 0x00}));
  ExpectDataLoss(kSharedSummary, bytes, "observation 0: ingest_ts delta: a varint over 64 bits");
  // The largest 10-byte varint is still 64 bits, but no source id.
  bytes = kMixedBytes;
  bytes.replace(25, 1, Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  ExpectDataLoss(kMixedSummary, bytes, "observation 1: source id 18446744073709551615");
}

TEST(ChunkCodec, TsDeltasThatBreakTheOrderAreDataLoss) {
  std::string bytes = kSharedBytes;
  bytes[12] = 0;
  ExpectDataLoss(kSharedSummary, bytes, "observation 1: ts delta 0 after 5 breaks the order");
  // A delta past INT64_MAX wraps around to an earlier ts.
  const Encoded top = Encode({Point(kMax - 1, kMax - 1, 0), Point(kMax, kMax, 0)});
  ASSERT_EQ(top.data[11], 0x01);
  bytes = top.data;
  bytes[11] = 0x02;
  ExpectDataLoss(top.summary, bytes, "ts delta 2 after 9223372036854775806 breaks the order");
  // So does the largest delta after anything but INT64_MIN.
  bytes = kSharedBytes;
  bytes.replace(12, 1, Bytes({0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}));
  ExpectDataLoss(kSharedSummary, bytes, "ts delta 18446744073709551615 after 5");
}

TEST(ChunkCodec, SummaryThatDoesNotMatchIsDataLoss) {
  ChunkSummary s = kSharedSummary;
  s.count = 0;
  ExpectDataLoss(s, kSharedBytes, "the row says it holds 0 observations");
  s.count = 1;
  ExpectDataLoss(s, kSharedBytes, "10 bytes after the 1 observations");
  s.count = 3;
  ExpectDataLoss(s, kSharedBytes, "22 bytes cannot hold the 3 observations");

  s = kSharedSummary;
  s.first_ts_ns = 4;  // every ts moves by -1, the last one no longer matches
  ExpectDataLoss(s, kSharedBytes, "the last observation's ts is 5, the row says 6");
  s = kSharedSummary;
  s.last_ts_ns = 7;
  ExpectDataLoss(s, kSharedBytes, "the last observation's ts is 6, the row says 7");
  s.last_ts_ns = 4;
  ExpectDataLoss(s, kSharedBytes, "the row's last ts 4 is before its first ts 5");
  // For a single observation a moved first_ts moves its ingest_ts too.
  const Encoded one = Encode({Point(10, 20, 1)});
  s = one.summary;
  s.first_ts_ns = s.last_ts_ns = 11;
  ExpectDataLoss(s, one.data, "the latest ingest_ts is 21, the row says 20");

  s = kSharedSummary;
  s.max_ingest_ts_ns = 70;
  ExpectDataLoss(s, kSharedBytes, "the latest ingest_ts is 69, the row says 70");
  s.max_ingest_ts_ns = 6;
  ExpectDataLoss(s, kSharedBytes, "the latest ingest_ts is 69, the row says 6");
}

TEST(ChunkCodec, QualityThatDoesNotFitIsDataLoss) {
  ChunkSummary s = kSharedSummary;
  s.shared_quality = std::nullopt;
  ExpectDataLoss(s, kSharedBytes, "no quality: neither per observation nor shared by the row");
  s = kMixedSummary;
  s.shared_quality = 0;
  ExpectDataLoss(s, kMixedBytes, "qualities both per observation and shared by the row");
  s = kSharedSummary;
  for (int64_t q : {int64_t{3}, int64_t{-1}, kMax}) {
    s.shared_quality = q;
    ExpectDataLoss(s, kSharedBytes, "the row's quality is " + std::to_string(q) + " (not 0-2)");
  }
  // A per-observation quality byte of 3.
  std::string bytes = kMixedBytes;
  bytes[24] = 3;
  ExpectDataLoss(kMixedSummary, bytes, "observation 1: quality 3 (not 0-2)");
  bytes[24] = static_cast<char>(0xff);
  ExpectDataLoss(kMixedSummary, bytes, "observation 1: quality 255 (not 0-2)");
}

TEST(ChunkCodec, SourceThatDoesNotFitIsDataLoss) {
  ChunkSummary s = kMixedSummary;
  s.shared_source = 7;
  ExpectDataLoss(s, kMixedBytes,
                 "the row's source 7 does not fit the data (sources per observation)");
  s = kSharedSummary;
  s.shared_source = -1;
  ExpectDataLoss(s, kSharedBytes, "the row's source -1 does not fit the data (sources shared)");
  // 2^63: one past the largest sources.id.
  std::string bytes = kMixedBytes;
  bytes.replace(25, 1, Bytes({0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}));
  ExpectDataLoss(kMixedSummary, bytes, "observation 1: source id 9223372036854775808");
}

// Each chunk has exactly one encoding: a flag is set only when the observations differ, so a
// chunk that carries equal qualities or sources one by one was not written by EncodeChunk.
TEST(ChunkCodec, PerObservationFieldsThatAreAllEqualAreDataLoss) {
  std::string bytes = kMixedBytes;
  bytes[24] = 0;  // both qualities good
  ExpectDataLoss(kMixedSummary, bytes, "every observation has quality 0");
  bytes = kMixedBytes;
  bytes[25] = 0;  // both sources none
  ExpectDataLoss(kMixedSummary, bytes, "every observation has source 0");
  // One observation always shares its quality and source with itself.
  const Encoded one = Encode({Point(1, 1, 0, Quality::kBad)});
  ChunkSummary per_observation = one.summary;
  per_observation.shared_quality = std::nullopt;
  std::string bytes_one = one.data;
  bytes_one[1] = kChunkQualityPerObservation;
  bytes_one.push_back(2);
  ExpectDataLoss(per_observation, bytes_one, "every observation has quality 2");
}

TEST(ChunkCodec, CountTheDataCannotHoldAllocatesNothing) {
  for (uint32_t count : {std::numeric_limits<uint32_t>::max(), uint32_t{1} << 31, uint32_t{3}}) {
    SCOPED_TRACE(count);
    ChunkSummary s = kSharedSummary;
    s.count = count;
    std::vector<ChunkPoint> out;
    Status status = DecodeChunk(s, kSharedBytes, &out);
    ASSERT_EQ(status.code(), StatusCode::kDataLoss) << status.ToString();
    EXPECT_THAT(status.message(), HasSubstr("cannot hold the " + std::to_string(count)));
    EXPECT_EQ(out.capacity(), 0u);
  }
  // Within the bound, garbage allocates at most one point per 10 bytes before it is refused.
  const std::string garbage = Bytes({0x01, 0x00}) + std::string(998, '\xff');
  ChunkSummary s = kSharedSummary;
  s.count = 99;
  ExpectDataLoss(s, garbage, "observation 0: ingest_ts delta: a varint over 64 bits");
  std::vector<ChunkPoint> out;
  ASSERT_EQ(DecodeChunk(s, garbage, &out).code(), StatusCode::kDataLoss);
  EXPECT_LE(out.capacity(), garbage.size() / kChunkMinObservationBytes);
}

TEST(ChunkCodec, EncodeReplacesTheBufferAndKeepsItsCapacity) {
  std::string buf = "left over from the previous chunk";
  ASSERT_TRUE(EncodeChunk(kSharedPoints, &buf).ok());
  EXPECT_EQ(buf, kSharedBytes);

  ASSERT_TRUE(EncodeChunk(Periodic(5000, 0, 1'000'000, 12), &buf).ok());
  const size_t capacity = buf.capacity();
  const char* const storage = buf.data();
  StatusOr<ChunkSummary> small = EncodeChunk(kMixedPoints, &buf);
  ASSERT_TRUE(small.ok());
  EXPECT_EQ(buf, kMixedBytes);
  ExpectSummary(*small, kMixedSummary);
  EXPECT_EQ(buf.capacity(), capacity);
  EXPECT_EQ(buf.data(), storage);
}

TEST(ChunkCodec, DecodeReplacesTheVectorAndKeepsItsCapacity) {
  const std::vector<ChunkPoint> large = Periodic(5000, 0, 1'000'000, 13);
  const Encoded e = Encode(large);
  std::vector<ChunkPoint> out(3, Point(-1, -1, -1));
  ASSERT_TRUE(DecodeChunk(e.summary, e.data, &out).ok());
  ExpectSamePoints(out, large);

  const size_t capacity = out.capacity();
  const ChunkPoint* const storage = out.data();
  ASSERT_TRUE(DecodeChunk(kMixedSummary, kMixedBytes, &out).ok());
  ExpectSamePoints(out, kMixedPoints);
  EXPECT_EQ(out.capacity(), capacity);
  EXPECT_EQ(out.data(), storage);
}

// Random damage never crashes the decoder (this also runs under ASan/UBSan), and whatever it
// accepts is the one encoding of what it decoded.
TEST(ChunkCodec, RandomDamageIsDataLossOrTheCanonicalEncoding) {
  std::vector<ChunkPoint> points = Periodic(60, -30'000'000'000, 1'000'000'000, 14);
  for (size_t i = 0; i < points.size(); ++i) {
    points[i].quality = static_cast<Quality>(i % 2);
    points[i].source = static_cast<int64_t>(i % 3);
  }
  const Encoded good = Encode(points);
  std::mt19937 rng(12345);
  std::vector<ChunkPoint> out;
  std::string again;
  int decoded = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::string bytes = good.data;
    ChunkSummary summary = good.summary;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 5) {
        case 0:
          bytes[rng() % bytes.size()] = static_cast<char>(rng());
          break;
        case 1:
          bytes[rng() % bytes.size()] ^= static_cast<char>(1 << (rng() % 8));
          break;
        case 2:
          bytes.resize(rng() % (bytes.size() + 1));
          if (bytes.empty()) bytes.push_back('\x01');
          break;
        case 3:
          bytes.insert(bytes.begin() + static_cast<std::ptrdiff_t>(rng() % bytes.size()),
                       static_cast<char>(rng()));
          break;
        default:
          summary.count = static_cast<uint32_t>(rng() % 64);
      }
    }
    Status s = DecodeChunk(summary, bytes, &out);
    if (!s.ok()) {
      ASSERT_EQ(s.code(), StatusCode::kDataLoss) << s.ToString();
      continue;
    }
    ++decoded;
    StatusOr<ChunkSummary> re = EncodeChunk(out, &again);
    ASSERT_TRUE(re.ok()) << re.status().ToString();
    ExpectSummary(*re, summary);
    ASSERT_EQ(again, bytes) << "iteration " << iter;
  }
  // Flipped value bits keep a chunk valid: the loop did check some accepted inputs.
  EXPECT_GT(decoded, 100);
}

}  // namespace
}  // namespace strata
