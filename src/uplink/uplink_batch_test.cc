#include "uplink/uplink_batch.h"

#include <gtest/gtest.h>

#include <cmath>

namespace strata {
namespace {

UplinkBatch ObservationBatch(uint64_t first_seq, size_t n) {
  UplinkBatch b;
  b.edge_id = "edge-1";
  b.stream = std::string(kObservationStream);
  b.first_seq = first_seq;
  b.floor_seq = first_seq;
  for (size_t i = 0; i < n; ++i) {
    ObservationRow& o = b.observations.emplace_back();
    o.seq = first_seq + i;
    o.asset = "acme/plant-1/pump-01";
    o.signal = "bearing_de.temp";
    o.unit = "Cel";
    o.ts_ns = 1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 1'000'000'000;
    o.ingest_ts_ns = o.ts_ns + 3'000'000;
    o.value = 40.0 + 0.25 * static_cast<double>(i);
    o.quality = Quality::kGood;
    o.source = {"mqtt", "tcp://127.0.0.1:1883", "plant/pump-01/temp"};
  }
  return b;
}

TEST(UplinkBatchTest, ObservationsRoundTripIncludingBlocksAndMissingValues) {
  UplinkBatch b = ObservationBatch(41, 3);
  b.floor_seq = 7;
  b.observations[1].value.reset();
  b.observations[1].quality = Quality::kBad;
  b.observations[1].ingest_ts_ns = b.observations[1].ts_ns - 5;  // source clock ahead
  WaveformBlock block;
  block.sample_rate_hz = 25600;
  block.samples = {0.5f, -1.25f, 3.0f};
  b.observations[2].block = block;
  b.observations[2].is_block = true;
  b.observations[2].value.reset();

  StatusOr<std::string> bytes = EncodeUplinkBatch(b);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  StatusOr<UplinkBatch> back = DecodeUplinkBatch(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->edge_id, "edge-1");
  EXPECT_EQ(back->stream, "obs");
  EXPECT_EQ(back->first_seq, 41u);
  EXPECT_EQ(back->floor_seq, 7u);
  EXPECT_EQ(back->last_seq(), 43u);
  ASSERT_EQ(back->observations.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const ObservationRow& want = b.observations[i];
    const ObservationRow& got = back->observations[i];
    EXPECT_EQ(got.seq, want.seq);
    EXPECT_EQ(got.asset, want.asset);
    EXPECT_EQ(got.signal, want.signal);
    EXPECT_EQ(got.unit, want.unit);
    EXPECT_EQ(got.ts_ns, want.ts_ns);
    EXPECT_EQ(got.ingest_ts_ns, want.ingest_ts_ns);
    EXPECT_EQ(got.value, want.value);
    EXPECT_EQ(got.quality, want.quality);
    EXPECT_EQ(got.source, want.source);
    EXPECT_EQ(got.is_block, want.is_block);
  }
  ASSERT_TRUE(back->observations[2].block);
  EXPECT_EQ(back->observations[2].block->sample_rate_hz, 25600);
  EXPECT_EQ(back->observations[2].block->samples, block.samples);
}

TEST(UplinkBatchTest, DeadLettersAndRecordsRoundTrip) {
  UplinkBatch d;
  d.edge_id = "e";
  d.stream = "dlq";
  d.first_seq = d.floor_seq = 5;
  DeadLetter letter = MakeDeadLetter(123, RejectReason::kOutOfRange, "mqtt plant/x",
                                     "value 900 above 200", std::string("\0\xff'\";", 5));
  letter.seq = 5;
  d.dead_letters.push_back(letter);
  StatusOr<std::string> bytes = EncodeUplinkBatch(d);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  StatusOr<UplinkBatch> back = DecodeUplinkBatch(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->dead_letters.size(), 1u);
  EXPECT_EQ(back->dead_letters[0].reason, RejectReason::kOutOfRange);
  EXPECT_EQ(back->dead_letters[0].payload, letter.payload);
  EXPECT_EQ(back->dead_letters[0].detail, letter.detail);
  EXPECT_EQ(back->dead_letters[0].seq, 5u);

  UplinkBatch r;
  r.edge_id = "e";
  r.stream = "alr";
  r.first_seq = 1;
  r.records.push_back({"alr", 99, "acme/p/pump-02", R"({"state":"open"})", 1});
  r.records.push_back({"alr", 100, "acme/p/pump-02", R"({"state":"closed"})", 2});
  bytes = EncodeUplinkBatch(r);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  back = DecodeUplinkBatch(*bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_EQ(back->records.size(), 2u);
  EXPECT_EQ(back->records[1].body, R"({"state":"closed"})");
  EXPECT_EQ(back->records[1].stream, "alr");
  EXPECT_EQ(back->records[1].seq, 2u);
  EXPECT_EQ(back->records[0].ts_ns, 99);
}

TEST(UplinkBatchTest, CompressesRepetitiveObservations) {
  StatusOr<std::string> bytes = EncodeUplinkBatch(ObservationBatch(1, 2000));
  ASSERT_TRUE(bytes.ok());
  // ~90 bytes per observation before compression; names repeat on every row.
  EXPECT_LT(bytes->size(), 2000u * 20);
}

TEST(UplinkBatchTest, AnyChangedByteIsRefused) {
  StatusOr<std::string> bytes = EncodeUplinkBatch(ObservationBatch(1, 50));
  ASSERT_TRUE(bytes.ok());
  // Every header byte and a sample of body bytes: the decoder refuses, never crashes.
  for (size_t i = 0; i < bytes->size(); i += (i < 80 ? 1 : 7)) {
    std::string forged = *bytes;
    forged[i] = static_cast<char>(forged[i] ^ 0x01);
    StatusOr<UplinkBatch> back = DecodeUplinkBatch(forged);
    EXPECT_FALSE(back.ok()) << "byte " << i;
  }
}

TEST(UplinkBatchTest, ForgedContentWithRightFramingFailsTheChecksum) {
  // A batch re-encoded with other values but the original checksum: what a forger would send.
  StatusOr<std::string> good = EncodeUplinkBatch(ObservationBatch(1, 10));
  UplinkBatch changed = ObservationBatch(1, 10);
  changed.observations[3].value = 1e9;
  StatusOr<std::string> other = EncodeUplinkBatch(changed);
  ASSERT_TRUE(good.ok() && other.ok());
  const size_t header = 4 + 1 + 3 + 1 + 6 + 8 + 4 + 8 + 4;
  std::string forged = *other;
  forged.replace(header, 32, good->substr(header, 32));
  StatusOr<UplinkBatch> back = DecodeUplinkBatch(forged);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("checksum mismatch"), std::string::npos)
      << back.status().ToString();
}

TEST(UplinkBatchTest, TruncationsAreRefused) {
  StatusOr<std::string> bytes = EncodeUplinkBatch(ObservationBatch(1, 20));
  ASSERT_TRUE(bytes.ok());
  for (size_t n = 0; n < bytes->size(); ++n) {
    EXPECT_FALSE(DecodeUplinkBatch(bytes->substr(0, n)).ok()) << n;
  }
}

TEST(UplinkBatchTest, OversizedBatchIsRefusedBeforeDecompressing) {
  StatusOr<std::string> bytes = EncodeUplinkBatch(ObservationBatch(1, 20));
  ASSERT_TRUE(bytes.ok());
  StatusOr<UplinkBatch> back = DecodeUplinkBatch(*bytes, bytes->size() - 1);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.status().message().find("more than"), std::string::npos);
}

TEST(UplinkBatchTest, EncoderRefusesBatchesThatBreakTheRules) {
  UplinkBatch gap = ObservationBatch(1, 3);
  gap.observations[2].seq = 9;
  StatusOr<std::string> s = EncodeUplinkBatch(gap);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("consecutive"), std::string::npos);

  UplinkBatch empty = ObservationBatch(1, 0);
  EXPECT_FALSE(EncodeUplinkBatch(empty).ok());
  UplinkBatch unknown = ObservationBatch(1, 1);
  unknown.stream = "xyz";
  EXPECT_FALSE(EncodeUplinkBatch(unknown).ok());
  UplinkBatch high_floor = ObservationBatch(1, 1);
  high_floor.floor_seq = 2;
  EXPECT_FALSE(EncodeUplinkBatch(high_floor).ok());
  UplinkBatch no_edge = ObservationBatch(1, 1);
  no_edge.edge_id.clear();
  EXPECT_FALSE(EncodeUplinkBatch(no_edge).ok());
}

}  // namespace
}  // namespace strata
