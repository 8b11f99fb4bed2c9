#include "hub/store/hub_store_conformance.h"

#include <gmock/gmock.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <tuple>

namespace strata {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;  // 2023-11-14, ns since the epoch
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kHour = 3'600'000'000'000;
constexpr int64_t kFarFuture = 4'000'000'000'000'000'000;
constexpr char kAsset[] = "acme/plant-1/line-2/pump-07";

// The observation with seq `seq` of the default test stream: two signals alternating, 1 ms
// apart, values that are exact in binary.
ObservationRow Scalar(uint64_t seq, std::string asset = kAsset) {
  ObservationRow o;
  o.seq = seq;
  o.asset = std::move(asset);
  o.signal = seq % 2 == 0 ? "bearing_de.temp" : "motor.current";
  o.unit = seq % 2 == 0 ? "Cel" : "A";
  o.ts_ns = kT0 + static_cast<int64_t>(seq) * kMs;
  o.ingest_ts_ns = o.ts_ns + 250 * kMs;
  o.value = static_cast<double>(seq) + 0.25;
  o.quality = seq % 7 == 0 ? Quality::kUncertain : Quality::kGood;
  o.source = {.protocol = "mqtt",
              .endpoint = "tcp://127.0.0.1:1883",
              .address = "plant/pump-07/" + o.signal};
  return o;
}

ObservationRow Block(uint64_t seq, size_t samples, std::string asset = kAsset) {
  ObservationRow o = Scalar(seq, std::move(asset));
  o.signal = "bearing_de.accel";
  o.unit = "m/s2";
  o.value.reset();
  o.is_block = true;
  WaveformBlock block;
  block.sample_rate_hz = 25'600;
  for (size_t i = 0; i < samples; ++i) {
    block.samples.push_back(static_cast<float>(std::sin(0.01 * static_cast<double>(i + seq))));
  }
  o.block = std::move(block);
  return o;
}

UplinkBatch ObsBatch(
    const std::string& edge, uint64_t first, uint64_t count,
    const std::function<ObservationRow(uint64_t)>& make = [](uint64_t s) { return Scalar(s); }) {
  UplinkBatch b;
  b.edge_id = edge;
  b.stream = std::string(kObservationStream);
  b.first_seq = first;
  b.floor_seq = 1;
  for (uint64_t s = first; s < first + count; ++s) b.observations.push_back(make(s));
  return b;
}

DeadLetter MakeDeadLetterRow(uint64_t seq) {
  DeadLetter d;
  d.seq = seq;
  d.ts_ns = kT0 + static_cast<int64_t>(seq) * kMs;
  d.reason = seq % 2 == 0 ? RejectReason::kOutOfRange : RejectReason::kMalformedPayload;
  d.source = "mqtt tcp://127.0.0.1:1883 plant/pump-07/temp";
  d.detail = "value " + std::to_string(seq) + " outside [0, 150]";
  d.payload = std::string("{\"v\":\0\x01\xff\xfe", 9) + std::to_string(seq);
  d.payload_truncated = seq % 3 == 0;
  return d;
}

UplinkBatch DlqBatch(const std::string& edge, uint64_t first, uint64_t count) {
  UplinkBatch b;
  b.edge_id = edge;
  b.stream = std::string(kDeadLetterStream);
  b.first_seq = first;
  b.floor_seq = 1;
  for (uint64_t s = first; s < first + count; ++s) b.dead_letters.push_back(MakeDeadLetterRow(s));
  return b;
}

Record MakeRecord(std::string_view stream, uint64_t seq, std::string subject = kAsset) {
  Record r;
  r.stream = std::string(stream);
  r.seq = seq;
  r.ts_ns = kT0 + static_cast<int64_t>(seq) * 1000 * kMs;
  r.subject = std::move(subject);
  r.body = "{\"model\":\"bearing\",\"score\":0." + std::to_string(seq) + "}";
  return r;
}

UplinkBatch RecordBatch(const std::string& edge, std::string_view stream, uint64_t first,
                        uint64_t count) {
  UplinkBatch b;
  b.edge_id = edge;
  b.stream = std::string(stream);
  b.first_seq = first;
  b.floor_seq = 1;
  for (uint64_t s = first; s < first + count; ++s) b.records.push_back(MakeRecord(stream, s));
  return b;
}

// Every field, samples included.
void ExpectSameObservation(const ObservationRow& got, const ObservationRow& want) {
  SCOPED_TRACE("seq " + std::to_string(want.seq));
  EXPECT_EQ(got.seq, want.seq);
  EXPECT_EQ(got.asset, want.asset);
  EXPECT_EQ(got.signal, want.signal);
  EXPECT_EQ(got.unit, want.unit);
  EXPECT_EQ(got.ts_ns, want.ts_ns);
  EXPECT_EQ(got.ingest_ts_ns, want.ingest_ts_ns);
  EXPECT_EQ(got.value, want.value);
  EXPECT_EQ(got.is_block, want.is_block);
  EXPECT_EQ(got.quality, want.quality);
  EXPECT_EQ(got.source, want.source);
  ASSERT_EQ(got.block.has_value(), want.block.has_value());
  if (want.block.has_value()) {
    EXPECT_EQ(got.block->sample_rate_hz, want.block->sample_rate_hz);
    EXPECT_EQ(got.block->samples, want.block->samples);
  }
}

HubObservationQuery AllOf(std::string asset = kAsset, std::string signal = "") {
  HubObservationQuery q;
  q.asset = std::move(asset);
  q.signal = std::move(signal);
  q.from_ns = 0;
  q.to_ns = kFarFuture;
  q.limit = 1'000'000;
  return q;
}

std::vector<ObservationRow> QueryAll(HubStore& store, std::string asset = kAsset) {
  StatusOr<std::vector<ObservationRow>> rows = store.QueryObservations(AllOf(std::move(asset)));
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? *rows : std::vector<ObservationRow>();
}

std::multiset<uint64_t> Seqs(const std::vector<ObservationRow>& rows) {
  std::multiset<uint64_t> seqs;
  for (const ObservationRow& r : rows) seqs.insert(r.seq);
  return seqs;
}

std::multiset<uint64_t> Range(uint64_t first, uint64_t last) {
  std::multiset<uint64_t> seqs;
  for (uint64_t s = first; s <= last; ++s) seqs.insert(s);
  return seqs;
}

IngestOutcome MustIngest(HubStore& store, const UplinkBatch& batch, int64_t now_ns = kT0) {
  StatusOr<IngestOutcome> outcome = store.IngestBatch(batch, now_ns);
  EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
  return outcome.ok() ? *outcome : IngestOutcome{};
}

DesiredState MustSetDesired(HubStore& store, std::string_view edge_id, std::string_view document,
                            int64_t now_ns = kT0) {
  StatusOr<DesiredState> set = store.SetDesired(edge_id, document, now_ns);
  EXPECT_TRUE(set.ok()) << set.status().ToString();
  return set.ok() ? *set : DesiredState{};
}

std::optional<StreamProgress> ProgressOf(HubStore& store, std::string_view edge,
                                         std::string_view stream) {
  StatusOr<std::vector<StreamProgress>> all = store.ListProgress();
  EXPECT_TRUE(all.ok()) << all.status().ToString();
  if (!all.ok()) return std::nullopt;
  for (const StreamProgress& p : *all) {
    if (p.edge_id == edge && p.stream == stream) return p;
  }
  return std::nullopt;
}

EdgeEntry Edge(std::string id, std::string tenant, std::string credential_hash = "",
               int64_t enrolled_ns = kT0) {
  EdgeEntry e;
  e.edge_id = std::move(id);
  e.tenant = std::move(tenant);
  e.credential_hash = std::move(credential_hash);
  e.enrolled_ns = enrolled_ns;
  return e;
}

ApiToken Token(std::string id, std::string hash, std::string name = "", Role role = Role::kViewer,
               int64_t created_ns = kT0) {
  ApiToken t;
  t.id = std::move(id);
  t.hash = std::move(hash);
  t.name = std::move(name);
  t.role = role;
  t.created_ns = created_ns;
  return t;
}

HubRecordQuery RecordsOf(std::string stream, std::string edge_id = "", std::string subject = "") {
  HubRecordQuery q;
  q.stream = std::move(stream);
  q.edge_id = std::move(edge_id);
  q.subject = std::move(subject);
  q.from_ns = 0;
  q.to_ns = kFarFuture;
  q.limit = 100'000;
  return q;
}

}  // namespace

void HubStoreConformanceTest::SetUp() {
  StatusOr<std::unique_ptr<HubStoreTestDatabase>> db = GetParam().make_database();
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  database_ = std::move(*db);
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
}

std::unique_ptr<HubStore> HubStoreConformanceTest::OpenAnother() {
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(database_->options());
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(*store) : nullptr;
}

// --- ingest and idempotency ---

TEST_P(HubStoreConformanceTest, IngestStoresEveryFieldAndAcknowledgesTheBatch) {
  const UplinkBatch batch = ObsBatch("edge-a", 1, 100);
  const IngestOutcome out = MustIngest(*store_, batch, kT0 + 5);
  EXPECT_EQ(out.stored, 100u);
  EXPECT_EQ(out.duplicates, 0u);
  EXPECT_EQ(out.through, 100u);

  const std::vector<ObservationRow> rows = QueryAll(*store_);
  ASSERT_THAT(rows, SizeIs(100));
  // Ordered by (signal, ts): "bearing_de.temp" (even seqs) before "motor.current" (odd).
  for (size_t i = 0; i < 50; ++i) ExpectSameObservation(rows[i], Scalar(2 * (i + 1)));
  for (size_t i = 0; i < 50; ++i) ExpectSameObservation(rows[50 + i], Scalar(2 * i + 1));

  const std::optional<StreamProgress> p = ProgressOf(*store_, "edge-a", "obs");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->through, 100u);
  EXPECT_EQ(p->records, 100u);
  EXPECT_EQ(p->updated_ns, kT0 + 5);
}

TEST_P(HubStoreConformanceTest, ReplayedBatchStoresNothingTwice) {
  const UplinkBatch batch = ObsBatch("edge-a", 1, 100);
  MustIngest(*store_, batch);
  const IngestOutcome again = MustIngest(*store_, batch, kT0 + 1);
  EXPECT_EQ(again.stored, 0u);
  EXPECT_EQ(again.duplicates, 100u);
  EXPECT_EQ(again.through, 100u);
  EXPECT_EQ(Seqs(QueryAll(*store_)), Range(1, 100));
  StatusOr<HubStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->observations, 100u);
  EXPECT_EQ(ProgressOf(*store_, "edge-a", "obs")->records, 100u);
}

TEST_P(HubStoreConformanceTest, OverlappingBatchStoresOnlyTheNewPart) {
  MustIngest(*store_, ObsBatch("edge-a", 1, 100));
  const IngestOutcome out = MustIngest(*store_, ObsBatch("edge-a", 51, 100));
  EXPECT_EQ(out.stored, 50u);
  EXPECT_EQ(out.duplicates, 50u);
  EXPECT_EQ(out.through, 150u);
  EXPECT_EQ(Seqs(QueryAll(*store_)), Range(1, 150));
}

TEST_P(HubStoreConformanceTest, OutOfOrderBatchesWaitAboveAGapUntilItCloses) {
  IngestOutcome out = MustIngest(*store_, ObsBatch("edge-a", 201, 100));
  EXPECT_EQ(out.stored, 100u);
  EXPECT_EQ(out.through, 0u);
  out = MustIngest(*store_, ObsBatch("edge-a", 1, 100));
  EXPECT_EQ(out.through, 100u);
  // A replay of the stored range above the gap is a duplicate, and does not move `through`.
  out = MustIngest(*store_, ObsBatch("edge-a", 201, 100));
  EXPECT_EQ(out.stored, 0u);
  EXPECT_EQ(out.duplicates, 100u);
  EXPECT_EQ(out.through, 100u);
  // A batch across the gap and into the stored range closes it.
  out = MustIngest(*store_, ObsBatch("edge-a", 101, 150));
  EXPECT_EQ(out.stored, 100u);
  EXPECT_EQ(out.duplicates, 50u);
  EXPECT_EQ(out.through, 300u);
  EXPECT_EQ(Seqs(QueryAll(*store_)), Range(1, 300));
  EXPECT_EQ(ProgressOf(*store_, "edge-a", "obs")->through, 300u);
}

TEST_P(HubStoreConformanceTest, FloorClosesAGapTheEdgeWillNeverFill) {
  MustIngest(*store_, ObsBatch("edge-a", 1, 100));
  UplinkBatch later = ObsBatch("edge-a", 151, 50);
  later.floor_seq = 151;  // the edge's retention dropped 101..150
  const IngestOutcome out = MustIngest(*store_, later);
  EXPECT_EQ(out.stored, 50u);
  EXPECT_EQ(out.through, 200u);
  std::multiset<uint64_t> want = Range(1, 100);
  want.merge(Range(151, 200));
  EXPECT_EQ(Seqs(QueryAll(*store_)), want);
}

// Random batches, replays and overlaps in random order, against a set model: every seq stored
// once, `through` always the contiguous prefix.
TEST_P(HubStoreConformanceTest, RandomOrderAndReplaysStoreEverySeqExactlyOnce) {
  std::mt19937_64 rng(42);
  std::vector<std::pair<uint64_t, uint64_t>> batches;  // first, count
  for (uint64_t first = 1; first <= 600;) {
    const uint64_t n = 1 + rng() % 60;
    batches.push_back({first, n});
    first += n;
  }
  const uint64_t last = batches.back().first + batches.back().second - 1;
  std::vector<std::pair<uint64_t, uint64_t>> sends = batches;
  for (int i = 0; i < 10; ++i) sends.push_back(batches[rng() % batches.size()]);
  for (int i = 0; i < 10; ++i) {  // overlapping: a random slice
    const uint64_t a = 1 + rng() % last;
    sends.push_back({a, 1 + rng() % std::min<uint64_t>(80, last - a + 1)});
  }
  std::shuffle(sends.begin(), sends.end(), rng);

  std::set<uint64_t> model;
  for (const auto& [first, count] : sends) {
    const IngestOutcome out = MustIngest(*store_, ObsBatch("edge-r", first, count));
    uint64_t fresh = 0;
    for (uint64_t s = first; s < first + count; ++s) fresh += model.insert(s).second ? 1 : 0;
    uint64_t through = 0;
    while (model.count(through + 1) == 1) ++through;
    ASSERT_EQ(out.stored, fresh) << "batch " << first << "+" << count;
    ASSERT_EQ(out.duplicates, count - fresh);
    ASSERT_EQ(out.through, through);
  }
  EXPECT_EQ(Seqs(QueryAll(*store_)), Range(1, last));
  EXPECT_EQ(ProgressOf(*store_, "edge-r", "obs")->through, last);
  EXPECT_EQ(ProgressOf(*store_, "edge-r", "obs")->records, last);
}

TEST_P(HubStoreConformanceTest, RefusesBatchesNoEngineMayStore) {
  UplinkBatch empty = ObsBatch("edge-a", 1, 0);
  EXPECT_EQ(store_->IngestBatch(empty, kT0).status().code(), StatusCode::kInvalidArgument);
  UplinkBatch zero = ObsBatch("edge-a", 1, 3);
  zero.first_seq = 0;
  EXPECT_EQ(store_->IngestBatch(zero, kT0).status().code(), StatusCode::kInvalidArgument);
  UplinkBatch unknown = RecordBatch("edge-a", "xyz", 1, 3);
  EXPECT_EQ(store_->IngestBatch(unknown, kT0).status().code(), StatusCode::kInvalidArgument);
  UplinkBatch no_edge = ObsBatch("", 1, 3);
  EXPECT_EQ(store_->IngestBatch(no_edge, kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(QueryAll(*store_), IsEmpty());
  StatusOr<std::vector<StreamProgress>> progress = store_->ListProgress();
  ASSERT_TRUE(progress.ok());
  EXPECT_THAT(*progress, IsEmpty());
}

// Values and samples come back bit for bit, whatever text or binary form an engine uses.
TEST_P(HubStoreConformanceTest, NumbersRoundTripExactly) {
  const std::vector<double> values = {
      0.1, 1.0 / 3.0, -2.5e-8, 1e-300, 5e-324, 1.7976931348623157e308, -0.0, 123456789.123456789};
  UplinkBatch batch = ObsBatch("edge-a", 1, values.size(), [&](uint64_t s) {
    ObservationRow o = Scalar(s);
    o.signal = "x";
    o.value = values[s - 1];
    return o;
  });
  ObservationRow block = Block(values.size() + 1, 4);
  block.block->samples = {0.1f, -1e-30f, 3.4028235e38f, 1.17549435e-38f};
  block.block->sample_rate_hz = 1.0 / 3.0;
  batch.observations.push_back(block);
  MustIngest(*store_, batch);
  StatusOr<std::vector<ObservationRow>> rows = store_->QueryObservations(AllOf(kAsset, "x"));
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_THAT(*rows, SizeIs(values.size()));
  for (size_t i = 0; i < values.size(); ++i) {
    ASSERT_TRUE((*rows)[i].value.has_value());
    if (values[i] == 0) {
      EXPECT_EQ(*(*rows)[i].value, 0.0);  // SQLite stores -0.0 as the integer 0
      continue;
    }
    EXPECT_EQ(std::bit_cast<uint64_t>(*(*rows)[i].value), std::bit_cast<uint64_t>(values[i]))
        << values[i];
  }
  rows = store_->QueryObservations(AllOf(kAsset, "bearing_de.accel"));
  ASSERT_TRUE(rows.ok());
  ASSERT_THAT(*rows, SizeIs(1));
  ExpectSameObservation((*rows)[0], block);
}

TEST_P(HubStoreConformanceTest, AnEmptyStoreAnswersEveryQueryWithNothing) {
  StatusOr<HubStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->observations + stats->dead_letters + stats->records + stats->edges, 0u);
  EXPECT_THAT(QueryAll(*store_), IsEmpty());
  StatusOr<std::vector<SeriesBucket>> series = store_->QuerySeries(
      {.asset = kAsset, .signal = "", .from_ns = 0, .to_ns = kFarFuture, .bucket_ns = kHour});
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  EXPECT_THAT(*series, IsEmpty());
  StatusOr<std::vector<SignalState>> latest = store_->LatestSignals("");
  ASSERT_TRUE(latest.ok());
  EXPECT_THAT(*latest, IsEmpty());
  StatusOr<std::vector<HubDeadLetter>> dead =
      store_->QueryDeadLetters({.edge_id = "", .from_ns = 0, .to_ns = kFarFuture});
  ASSERT_TRUE(dead.ok());
  EXPECT_THAT(*dead, IsEmpty());
  StatusOr<std::vector<HubRecord>> recs = store_->QueryRecords(RecordsOf("dec"));
  ASSERT_TRUE(recs.ok());
  EXPECT_THAT(*recs, IsEmpty());
  StatusOr<std::vector<EdgeEntry>> edges = store_->ListEdges();
  ASSERT_TRUE(edges.ok());
  EXPECT_THAT(*edges, IsEmpty());
  StatusOr<std::vector<ApiToken>> tokens = store_->ListTokens();
  ASSERT_TRUE(tokens.ok());
  EXPECT_THAT(*tokens, IsEmpty());
}

// --- every stream, two edges ---

TEST_P(HubStoreConformanceTest, BlocksAndScalarsShareOneBatch) {
  const auto make = [](uint64_t s) { return s % 3 == 0 ? Block(s, 512 + s) : Scalar(s); };
  MustIngest(*store_, ObsBatch("edge-a", 1, 30, make));
  StatusOr<std::vector<ObservationRow>> blocks =
      store_->QueryObservations(AllOf(kAsset, "bearing_de.accel"));
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  ASSERT_THAT(*blocks, SizeIs(10));
  for (size_t i = 0; i < blocks->size(); ++i)
    ExpectSameObservation((*blocks)[i], make(3 * (i + 1)));
  EXPECT_THAT(QueryAll(*store_), SizeIs(30));
}

TEST_P(HubStoreConformanceTest, DeadLettersAreStoredPerEdgeNewestFirst) {
  EXPECT_EQ(MustIngest(*store_, DlqBatch("edge-a", 1, 20)).through, 20u);
  EXPECT_EQ(MustIngest(*store_, DlqBatch("edge-b", 1, 5)).through, 5u);
  EXPECT_EQ(MustIngest(*store_, DlqBatch("edge-a", 11, 20)).stored, 10u);  // overlap

  HubDeadLetterQuery q;
  q.edge_id = "edge-a";
  q.to_ns = kFarFuture;
  StatusOr<std::vector<HubDeadLetter>> a = store_->QueryDeadLetters(q);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_THAT(*a, SizeIs(30));
  for (size_t i = 0; i < a->size(); ++i) {
    const DeadLetter want = MakeDeadLetterRow(30 - i);
    const HubDeadLetter& got = (*a)[i];
    EXPECT_EQ(got.edge_id, "edge-a");
    EXPECT_EQ(got.dead_letter.seq, want.seq);
    EXPECT_EQ(got.dead_letter.ts_ns, want.ts_ns);
    EXPECT_EQ(got.dead_letter.reason, want.reason);
    EXPECT_EQ(got.dead_letter.source, want.source);
    EXPECT_EQ(got.dead_letter.detail, want.detail);
    EXPECT_EQ(got.dead_letter.payload, want.payload);  // binary: NUL, 0xff
    EXPECT_EQ(got.dead_letter.payload_truncated, want.payload_truncated);
  }

  q.edge_id = "";
  StatusOr<std::vector<HubDeadLetter>> all = store_->QueryDeadLetters(q);
  ASSERT_TRUE(all.ok());
  EXPECT_THAT(*all, SizeIs(35));
  // Equal times: ordered by edge, then newest seq first.
  q.from_ns = kT0 + 5 * kMs;
  q.to_ns = kT0 + 6 * kMs;
  all = store_->QueryDeadLetters(q);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_EQ((*all)[0].edge_id, "edge-a");
  EXPECT_EQ((*all)[1].edge_id, "edge-b");
  // Range and limit.
  q.edge_id = "edge-a";
  q.from_ns = kT0 + 10 * kMs;
  q.to_ns = kT0 + 20 * kMs;
  q.limit = 3;
  all = store_->QueryDeadLetters(q);
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(3));
  EXPECT_EQ((*all)[0].dead_letter.seq, 19u);
  EXPECT_EQ((*all)[2].dead_letter.seq, 17u);

  StatusOr<HubStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->dead_letters, 35u);
  EXPECT_EQ(stats->observations, 0u);
}

TEST_P(HubStoreConformanceTest, RecordStreamsAreKeptApart) {
  MustIngest(*store_, RecordBatch("edge-a", kDecisionStream, 1, 10));
  MustIngest(*store_, RecordBatch("edge-a", kAlertStream, 1, 4));
  UplinkBatch other = RecordBatch("edge-b", kDecisionStream, 1, 3);
  for (Record& r : other.records) r.subject = "acme/plant-1/line-2/pump-08";
  MustIngest(*store_, other);
  MustIngest(*store_, RecordBatch("edge-a", kDecisionStream, 1, 10));  // replay

  HubRecordQuery q;
  q.stream = std::string(kDecisionStream);
  q.to_ns = kFarFuture;
  StatusOr<std::vector<HubRecord>> dec = store_->QueryRecords(q);
  ASSERT_TRUE(dec.ok()) << dec.status().ToString();
  ASSERT_THAT(*dec, SizeIs(13));
  // Newest first; equal times ordered by edge.
  EXPECT_EQ((*dec)[0].record.seq, 10u);
  EXPECT_EQ((*dec)[0].edge_id, "edge-a");
  const Record want = MakeRecord(kDecisionStream, 10);
  EXPECT_EQ((*dec)[0].record.stream, "dec");
  EXPECT_EQ((*dec)[0].record.ts_ns, want.ts_ns);
  EXPECT_EQ((*dec)[0].record.subject, want.subject);
  EXPECT_EQ((*dec)[0].record.body, want.body);

  q.edge_id = "edge-b";
  dec = store_->QueryRecords(q);
  ASSERT_TRUE(dec.ok());
  ASSERT_THAT(*dec, SizeIs(3));
  EXPECT_EQ((*dec)[0].record.subject, "acme/plant-1/line-2/pump-08");

  q.edge_id = "";
  q.subject = "acme/plant-1/line-2/pump-08";
  dec = store_->QueryRecords(q);
  ASSERT_TRUE(dec.ok());
  EXPECT_THAT(*dec, SizeIs(3));

  q.subject = "";
  q.from_ns = MakeRecord(kDecisionStream, 3).ts_ns;
  q.to_ns = MakeRecord(kDecisionStream, 6).ts_ns;
  q.edge_id = "edge-a";
  dec = store_->QueryRecords(q);
  ASSERT_TRUE(dec.ok());
  ASSERT_THAT(*dec, SizeIs(3));
  EXPECT_EQ((*dec)[0].record.seq, 5u);
  EXPECT_EQ((*dec)[2].record.seq, 3u);
  q.limit = 1;
  dec = store_->QueryRecords(q);
  ASSERT_TRUE(dec.ok());
  ASSERT_THAT(*dec, SizeIs(1));
  EXPECT_EQ((*dec)[0].record.seq, 5u);

  HubRecordQuery alerts;
  alerts.stream = std::string(kAlertStream);
  alerts.to_ns = kFarFuture;
  StatusOr<std::vector<HubRecord>> alr = store_->QueryRecords(alerts);
  ASSERT_TRUE(alr.ok());
  ASSERT_THAT(*alr, SizeIs(4));
  EXPECT_EQ((*alr)[0].record.stream, "alr");

  StatusOr<HubStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->records, 17u);
  EXPECT_EQ(ProgressOf(*store_, "edge-a", "dec")->through, 10u);
  EXPECT_EQ(ProgressOf(*store_, "edge-a", "alr")->through, 4u);
}

TEST_P(HubStoreConformanceTest, TwoEdgesWithTheSameSeqsAreBothStored) {
  MustIngest(*store_, ObsBatch("edge-a", 1, 40));
  const auto pump8 = [](uint64_t s) {
    ObservationRow o = Scalar(s, "acme/plant-1/line-2/pump-08");
    o.value = -static_cast<double>(s);
    return o;
  };
  MustIngest(*store_, ObsBatch("edge-b", 1, 40, pump8));
  // The same asset from two edges (e.g. a gateway replaced): both kept, both with seqs 1..40.
  MustIngest(*store_, ObsBatch("edge-c", 1, 10, [](uint64_t s) {
    ObservationRow o = Scalar(s);
    o.ts_ns += 500'000;  // between edge-a's readings
    return o;
  }));
  std::multiset<uint64_t> want = Range(1, 40);
  want.merge(Range(1, 10));
  EXPECT_EQ(Seqs(QueryAll(*store_)), want);
  const std::vector<ObservationRow> b = QueryAll(*store_, "acme/plant-1/line-2/pump-08");
  ASSERT_THAT(b, SizeIs(40));
  EXPECT_EQ(b[0].value, -2.0);

  StatusOr<std::vector<StreamProgress>> progress = store_->ListProgress();
  ASSERT_TRUE(progress.ok());
  ASSERT_THAT(*progress, SizeIs(3));
  EXPECT_EQ((*progress)[0].edge_id, "edge-a");
  EXPECT_EQ((*progress)[1].edge_id, "edge-b");
  EXPECT_EQ((*progress)[2].edge_id, "edge-c");
  EXPECT_EQ((*progress)[2].through, 10u);
}

// --- queries ---

TEST_P(HubStoreConformanceTest, ObservationQueriesHonourRangeSignalLimitAndOrder) {
  MustIngest(*store_, ObsBatch("edge-a", 1, 100));
  HubObservationQuery q = AllOf(kAsset, "motor.current");
  q.from_ns = Scalar(11).ts_ns;  // inclusive
  q.to_ns = Scalar(21).ts_ns;    // exclusive
  StatusOr<std::vector<ObservationRow>> rows = store_->QueryObservations(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_THAT(*rows, SizeIs(5));
  EXPECT_EQ((*rows)[0].seq, 11u);
  EXPECT_EQ((*rows)[4].seq, 19u);

  q.limit = 2;
  rows = store_->QueryObservations(q);
  ASSERT_TRUE(rows.ok());
  ASSERT_THAT(*rows, SizeIs(2));
  EXPECT_EQ((*rows)[1].seq, 13u);

  // Every signal: ordered by signal then time.
  q = AllOf();
  q.from_ns = Scalar(11).ts_ns;
  q.to_ns = Scalar(15).ts_ns;
  rows = store_->QueryObservations(q);
  ASSERT_TRUE(rows.ok());
  std::vector<uint64_t> seqs;
  for (const ObservationRow& r : *rows) seqs.push_back(r.seq);
  EXPECT_THAT(seqs, ElementsAre(12, 14, 11, 13));

  q.limit = 0;
  rows = store_->QueryObservations(q);
  ASSERT_TRUE(rows.ok());
  EXPECT_THAT(*rows, IsEmpty());

  EXPECT_THAT(QueryAll(*store_, "acme/plant-1/line-2/pump-99"), IsEmpty());
  EXPECT_THAT(QueryAll(*store_, "acme/plant-1/line-2"), IsEmpty());  // exact, not a prefix
}

TEST_P(HubStoreConformanceTest, SeriesBucketsHaveKnownMinMaxMean) {
  // Signal "x": ten values per 10 ms bucket; signal "y": only in the second bucket.
  const int64_t from = kT0 + 3 * kHour;  // also another time partition for engines with them
  UplinkBatch batch = ObsBatch("edge-a", 1, 0);
  uint64_t seq = 1;
  const auto add = [&](std::string signal, int64_t ts, std::optional<double> value, bool block) {
    ObservationRow o = block ? Block(seq, 16) : Scalar(seq);
    o.signal = std::move(signal);
    o.ts_ns = ts;
    if (!block) o.value = value;
    if (!value.has_value() && !block) o.quality = Quality::kBad;
    batch.observations.push_back(std::move(o));
    ++seq;
  };
  for (int i = 0; i < 30; ++i) add("x", from + i * kMs, i, false);  // 0..29
  add("x", from + 31 * kMs, std::nullopt, false);                   // bad, no value: not counted
  add("x", from + 32 * kMs, std::nullopt, true);                    // a block: not counted
  add("y", from + 15 * kMs, 2.5, false);
  add("y", from + 16 * kMs, -1.5, false);
  add("x", from - 1, 1000, false);         // before the range
  add("x", from + 40 * kMs, 1000, false);  // at `to`: excluded
  MustIngest(*store_, batch);

  SeriesQuery q;
  q.asset = kAsset;
  q.from_ns = from;
  q.to_ns = from + 40 * kMs;
  q.bucket_ns = 10 * kMs;
  StatusOr<std::vector<SeriesBucket>> buckets = store_->QuerySeries(q);
  ASSERT_TRUE(buckets.ok()) << buckets.status().ToString();
  ASSERT_THAT(*buckets, SizeIs(4));
  const auto expect = [](const SeriesBucket& b, std::string_view signal, int64_t start,
                         uint64_t count, double min, double max, double mean) {
    EXPECT_EQ(b.signal, signal);
    EXPECT_EQ(b.start_ns, start);
    EXPECT_EQ(b.count, count);
    EXPECT_DOUBLE_EQ(b.min, min);
    EXPECT_DOUBLE_EQ(b.max, max);
    EXPECT_DOUBLE_EQ(b.mean, mean);
  };
  expect((*buckets)[0], "x", from, 10, 0, 9, 4.5);
  expect((*buckets)[1], "x", from + 10 * kMs, 10, 10, 19, 14.5);
  expect((*buckets)[2], "x", from + 20 * kMs, 10, 20, 29, 24.5);
  // Bucket 3 of "x" holds only the bad reading and the block: absent.
  expect((*buckets)[3], "y", from + 10 * kMs, 2, -1.5, 2.5, 0.5);

  q.signal = "y";
  buckets = store_->QuerySeries(q);
  ASSERT_TRUE(buckets.ok());
  ASSERT_THAT(*buckets, SizeIs(1));
  expect((*buckets)[0], "y", from + 10 * kMs, 2, -1.5, 2.5, 0.5);

  q.signal = "";
  q.bucket_ns = 0;
  EXPECT_EQ(store_->QuerySeries(q).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(HubStoreConformanceTest, LatestSignalIsTheNewestBySourceTime) {
  MustIngest(*store_, ObsBatch("edge-a", 1, 10), kT0 + 100);
  StatusOr<std::vector<SignalState>> latest = store_->LatestSignals(kAsset);
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  ASSERT_THAT(*latest, SizeIs(2));
  EXPECT_EQ((*latest)[0].signal, "bearing_de.temp");
  EXPECT_EQ((*latest)[0].ts_ns, Scalar(10).ts_ns);
  EXPECT_EQ((*latest)[0].value, Scalar(10).value);
  EXPECT_EQ((*latest)[0].unit, "Cel");
  EXPECT_EQ((*latest)[0].edge_id, "edge-a");
  EXPECT_EQ((*latest)[0].ingest_ts_ns, Scalar(10).ingest_ts_ns);
  EXPECT_EQ((*latest)[0].stored_ns, kT0 + 100);
  EXPECT_FALSE((*latest)[0].is_block);
  EXPECT_EQ((*latest)[1].signal, "motor.current");
  EXPECT_EQ((*latest)[1].ts_ns, Scalar(9).ts_ns);

  // An older reading that arrives later (seqs 11.. carry earlier source times): not the latest.
  MustIngest(*store_,
             ObsBatch("edge-a", 11, 4,
                      [](uint64_t s) {
                        ObservationRow o = Scalar(s);
                        o.ts_ns = kT0 - static_cast<int64_t>(s) * kMs;
                        o.value = -1;
                        return o;
                      }),
             kT0 + 200);
  latest = store_->LatestSignals(kAsset);
  ASSERT_TRUE(latest.ok());
  ASSERT_THAT(*latest, SizeIs(2));
  EXPECT_EQ((*latest)[0].value, Scalar(10).value);
  EXPECT_EQ((*latest)[0].stored_ns, kT0 + 100);
  EXPECT_EQ((*latest)[1].value, Scalar(9).value);

  // A newer one from another edge, in a batch whose newest reading is not its last.
  UplinkBatch newer = ObsBatch("edge-b", 1, 3, [](uint64_t s) {
    ObservationRow o = Scalar(2);
    o.ts_ns = kT0 + kHour - static_cast<int64_t>(s) * kMs;
    o.value = 100.0 + static_cast<double>(s);
    o.quality = Quality::kBad;
    return o;
  });
  MustIngest(*store_, newer, kT0 + 300);
  latest = store_->LatestSignals(kAsset);
  ASSERT_TRUE(latest.ok());
  ASSERT_THAT(*latest, SizeIs(2));
  EXPECT_EQ((*latest)[0].value, 101.0);
  EXPECT_EQ((*latest)[0].edge_id, "edge-b");
  EXPECT_EQ((*latest)[0].quality, Quality::kBad);
  EXPECT_EQ((*latest)[0].ts_ns, kT0 + kHour - kMs);

  // Blocks; every asset; an unknown asset.
  MustIngest(*store_, ObsBatch("edge-a", 15, 1, [](uint64_t s) {
    return Block(s, 64, "acme/plant-1/line-1/fan-01");
  }));
  latest = store_->LatestSignals("");
  ASSERT_TRUE(latest.ok());
  ASSERT_THAT(*latest, SizeIs(3));
  EXPECT_EQ((*latest)[0].asset, "acme/plant-1/line-1/fan-01");
  EXPECT_TRUE((*latest)[0].is_block);
  EXPECT_FALSE((*latest)[0].value.has_value());
  latest = store_->LatestSignals("acme/nowhere");
  ASSERT_TRUE(latest.ok());
  EXPECT_THAT(*latest, IsEmpty());
}

// --- registry and tokens ---

TEST_P(HubStoreConformanceTest, RegistryEnrolsReEnrolsAndRecordsHeartbeats) {
  EdgeEntry e = Edge("edge-a", "acme", std::string(64, 'a'));
  ASSERT_TRUE(store_->UpsertEdge(e).ok());
  ASSERT_TRUE(store_->UpsertEdge(Edge("edge-0", "acme")).ok());
  StatusOr<std::optional<EdgeEntry>> got = store_->GetEdge("edge-a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->tenant, "acme");
  EXPECT_EQ((*got)->credential_hash, std::string(64, 'a'));
  EXPECT_EQ((*got)->heartbeat, "");

  ASSERT_TRUE(store_->RecordHeartbeat("edge-a", R"({"uptime_s":12})", kT0 + 10).ok());
  ASSERT_TRUE(store_->RecordReported("edge-a", R"({"models":["bearing@3"]})", kT0 + 20).ok());
  // Re-enrolment replaces the credential; what the edge sent is kept.
  e.credential_hash = std::string(64, 'b');
  e.enrolled_ns = kT0 + 30;
  ASSERT_TRUE(store_->UpsertEdge(e).ok());
  got = store_->GetEdge("edge-a");
  ASSERT_TRUE(got.ok());
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->credential_hash, std::string(64, 'b'));
  EXPECT_EQ((*got)->enrolled_ns, kT0 + 30);
  EXPECT_EQ((*got)->heartbeat, R"({"uptime_s":12})");
  EXPECT_EQ((*got)->reported, R"({"models":["bearing@3"]})");
  EXPECT_EQ((*got)->last_seen_ns, kT0 + 20);

  // A batch counts as being seen.
  MustIngest(*store_, ObsBatch("edge-a", 1, 1), kT0 + 40);
  got = store_->GetEdge("edge-a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)->last_seen_ns, kT0 + 40);

  EXPECT_EQ(store_->RecordHeartbeat("edge-x", "{}", kT0).code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->RecordReported("edge-x", "{}", kT0).code(), StatusCode::kNotFound);
  got = store_->GetEdge("edge-x");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());

  StatusOr<std::vector<EdgeEntry>> all = store_->ListEdges();
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_EQ((*all)[0].edge_id, "edge-0");
  EXPECT_EQ((*all)[1].edge_id, "edge-a");
  StatusOr<HubStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->edges, 2u);
}

TEST_P(HubStoreConformanceTest, TokensAreUniqueFoundByHashAndRevoked) {
  const ApiToken alice{.id = "tok1",
                       .name = "console: alice",
                       .role = Role::kTechnician,
                       .hash = std::string(64, '1'),
                       .created_ns = kT0};
  ASSERT_TRUE(store_->CreateToken(alice).ok());
  ApiToken bob = alice;
  bob.name = "ci";
  bob.hash = std::string(64, '2');
  EXPECT_EQ(store_->CreateToken(bob).code(), StatusCode::kAlreadyExists);  // same id
  bob.id = "tok2";
  bob.hash = alice.hash;
  EXPECT_EQ(store_->CreateToken(bob).code(), StatusCode::kAlreadyExists);  // same hash
  bob.hash = std::string(64, '2');
  bob.role = Role::kAdmin;
  ASSERT_TRUE(store_->CreateToken(bob).ok());

  StatusOr<std::optional<ApiToken>> found = store_->FindTokenByHash(alice.hash);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->id, "tok1");
  EXPECT_EQ((*found)->name, "console: alice");
  EXPECT_EQ((*found)->role, Role::kTechnician);
  EXPECT_EQ((*found)->created_ns, kT0);
  EXPECT_FALSE((*found)->revoked);

  ASSERT_TRUE(store_->RevokeToken("tok1").ok());
  EXPECT_EQ(store_->RevokeToken("nope").code(), StatusCode::kNotFound);
  found = store_->FindTokenByHash(alice.hash);
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found->has_value());
  EXPECT_TRUE((*found)->revoked);
  found = store_->FindTokenByHash(std::string(64, '9'));
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(found->has_value());

  StatusOr<std::vector<ApiToken>> all = store_->ListTokens();
  ASSERT_TRUE(all.ok());
  ASSERT_THAT(*all, SizeIs(2));
  EXPECT_EQ((*all)[0].id, "tok1");
  EXPECT_TRUE((*all)[0].revoked);
  EXPECT_EQ((*all)[1].role, Role::kAdmin);
  EXPECT_FALSE((*all)[1].revoked);
}

// --- desired state ---

TEST_P(HubStoreConformanceTest, DesiredStateVersionsCountUpFromOne) {
  ASSERT_TRUE(store_->UpsertEdge(Edge("edge-a", "acme")).ok());
  ASSERT_TRUE(store_->UpsertEdge(Edge("edge-b", "acme")).ok());
  const DesiredState first = MustSetDesired(*store_, "edge-a", R"({"models":["bearing@3"]})", kT0);
  EXPECT_EQ(first.edge_id, "edge-a");
  EXPECT_EQ(first.version, 1u);
  EXPECT_EQ(first.document, R"({"models":["bearing@3"]})");
  EXPECT_EQ(first.updated_ns, kT0);
  const DesiredState second =
      MustSetDesired(*store_, "edge-a", R"({"models":["bearing@4"]})", kT0 + 10);
  EXPECT_EQ(second.version, 2u);
  EXPECT_EQ(second.updated_ns, kT0 + 10);

  StatusOr<std::optional<DesiredState>> got = store_->GetDesired("edge-a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->edge_id, "edge-a");
  EXPECT_EQ((*got)->version, 2u);
  EXPECT_EQ((*got)->document, R"({"models":["bearing@4"]})");
  EXPECT_EQ((*got)->updated_ns, kT0 + 10);

  // Enrolled without a desired state, and not enrolled at all: none.
  got = store_->GetDesired("edge-b");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
  got = store_->GetDesired("edge-x");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
}

TEST_P(HubStoreConformanceTest, DesiredStateOfAnEdgeNotEnrolledIsNotFoundAndNotStored) {
  StatusOr<DesiredState> set = store_->SetDesired("edge-x", "{}", kT0);
  ASSERT_FALSE(set.ok());
  EXPECT_EQ(set.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(set.status().message(), ::testing::HasSubstr("edge-x"));
  EXPECT_THAT(set.status().message(), ::testing::HasSubstr("enrol"));
  StatusOr<std::optional<DesiredState>> got = store_->GetDesired("edge-x");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
  StatusOr<std::vector<DesiredState>> all = store_->ListDesired();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_THAT(*all, IsEmpty());

  // Enrolled later, its first document is version 1.
  ASSERT_TRUE(store_->UpsertEdge(Edge("edge-x", "acme")).ok());
  EXPECT_EQ(MustSetDesired(*store_, "edge-x", "{}").version, 1u);
}

TEST_P(HubStoreConformanceTest, ReEnrolmentKeepsTheDesiredState) {
  EdgeEntry e = Edge("edge-a", "acme", std::string(64, 'a'));
  ASSERT_TRUE(store_->UpsertEdge(e).ok());
  MustSetDesired(*store_, "edge-a", R"({"v":1})", kT0);
  MustSetDesired(*store_, "edge-a", R"({"v":2})", kT0 + 1);
  e.credential_hash = std::string(64, 'b');
  e.enrolled_ns = kT0 + 2;
  ASSERT_TRUE(store_->UpsertEdge(e).ok());
  StatusOr<std::optional<DesiredState>> got = store_->GetDesired("edge-a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->version, 2u);
  EXPECT_EQ((*got)->document, R"({"v":2})");
  EXPECT_EQ((*got)->updated_ns, kT0 + 1);
  EXPECT_EQ(MustSetDesired(*store_, "edge-a", R"({"v":3})", kT0 + 3).version, 3u);
}

TEST_P(HubStoreConformanceTest, ListDesiredHoldsEachEdgesLatestOrderedById) {
  // Byte order: upper case before lower case, whatever the database's collation.
  for (const char* id : {"edge-b", "edge-a", "edge-B", "edge-none"}) {
    ASSERT_TRUE(store_->UpsertEdge(Edge(id, "acme")).ok());
  }
  MustSetDesired(*store_, "edge-b", R"({"b":1})", kT0);
  MustSetDesired(*store_, "edge-a", R"({"a":1})", kT0 + 1);
  MustSetDesired(*store_, "edge-b", R"({"b":2})", kT0 + 2);
  MustSetDesired(*store_, "edge-B", R"({"B":1})", kT0 + 3);
  MustSetDesired(*store_, "edge-b", R"({"b":3})", kT0 + 4);

  StatusOr<std::vector<DesiredState>> all = store_->ListDesired();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_THAT(*all, SizeIs(3));
  EXPECT_EQ((*all)[0].edge_id, "edge-B");
  EXPECT_EQ((*all)[0].version, 1u);
  EXPECT_EQ((*all)[1].edge_id, "edge-a");
  EXPECT_EQ((*all)[1].version, 1u);
  EXPECT_EQ((*all)[1].document, R"({"a":1})");
  EXPECT_EQ((*all)[1].updated_ns, kT0 + 1);
  EXPECT_EQ((*all)[2].edge_id, "edge-b");
  EXPECT_EQ((*all)[2].version, 3u);
  EXPECT_EQ((*all)[2].document, R"({"b":3})");
  EXPECT_EQ((*all)[2].updated_ns, kT0 + 4);
}

TEST_P(HubStoreConformanceTest, DesiredDocumentsRoundTripByteExact) {
  const std::vector<std::string> documents = {
      R"({"note":"it's \"quoted\" 'twice'"})",
      R"({"sql":"'; DROP TABLE desired; --","or":"Robert'); DELETE FROM edges WHERE ('1'='1"})",
      "{\"asset\":\"pompe/äöü/泵-07/🚀/e\u0301\",\"escaped\":\"\\u00e9\"}",
      "{\"ws\":\"tab\\tnew\\nline\", \"raw\":\"\t\r\n\", \"marks\":\"\\N %s %d $1 ?1 :name "
      "\\x00\\.\"}",
      "  {\"spaces\" :  [ 1 ,2 ] }  ",  // not normalised
      "{\"big\":\"" + std::string(200'000, 'x') + "\"}",
  };
  const std::string edge = "edge 'ä\" $1";
  ASSERT_TRUE(store_->UpsertEdge(Edge(edge, "acme")).ok());
  uint64_t version = 0;
  for (const std::string& document : documents) {
    SCOPED_TRACE(document.substr(0, 80));
    EXPECT_EQ(MustSetDesired(*store_, edge, document).version, ++version);
    StatusOr<std::optional<DesiredState>> got = store_->GetDesired(edge);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->edge_id, edge);
    EXPECT_EQ((*got)->document, document);
    StatusOr<std::vector<DesiredState>> all = store_->ListDesired();
    ASSERT_TRUE(all.ok()) << all.status().ToString();
    ASSERT_THAT(*all, SizeIs(1));
    EXPECT_EQ((*all)[0].document, document);
  }
}

// Several API threads of two hubs (two store objects on one database) set the same edge's
// desired state at once: every call gets a version of its own, with no gap.
TEST_P(HubStoreConformanceTest, ConcurrentSettersGetDistinctVersions) {
  std::unique_ptr<HubStore> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(store_->UpsertEdge(Edge("edge-a", "acme")).ok());
  constexpr int kThreads = 4;
  constexpr int kSets = 25;
  std::mutex mu;
  std::vector<uint64_t> versions;  // guarded by mu
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    HubStore& store = t % 2 == 0 ? *store_ : *other;
    threads.emplace_back([&store, &mu, &versions, t] {
      for (int i = 0; i < kSets; ++i) {
        const std::string document =
            "{\"thread\":" + std::to_string(t) + ",\"i\":" + std::to_string(i) + "}";
        StatusOr<DesiredState> set = store.SetDesired("edge-a", document, kT0 + i);
        if (!set.ok()) {
          ADD_FAILURE() << set.status().ToString();
          continue;
        }
        std::lock_guard lock(mu);
        versions.push_back(set->version);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  std::sort(versions.begin(), versions.end());
  std::vector<uint64_t> want(kThreads * kSets);
  for (size_t i = 0; i < want.size(); ++i) want[i] = i + 1;
  EXPECT_EQ(versions, want);
  StatusOr<std::optional<DesiredState>> got = other->GetDesired("edge-a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->version, static_cast<uint64_t>(kThreads * kSets));
}

TEST(HubStoreRoleTest, NamesRoundTrip) {
  for (Role r : {Role::kViewer, Role::kTechnician, Role::kEngineer, Role::kAdmin}) {
    EXPECT_EQ(ParseRole(RoleName(r)), r);
  }
  EXPECT_EQ(RoleName(Role::kEngineer), "engineer");
  EXPECT_EQ(ParseRole("Admin"), std::nullopt);
  EXPECT_EQ(ParseRole(""), std::nullopt);
}

// --- durability and hostile input ---

TEST_P(HubStoreConformanceTest, ReopeningKeepsEverything) {
  MustIngest(*store_, ObsBatch("edge-a", 1, 50,
                               [](uint64_t s) { return s % 5 == 0 ? Block(s, 100) : Scalar(s); }));
  MustIngest(*store_, ObsBatch("edge-a", 71, 10));  // pending above a gap
  MustIngest(*store_, DlqBatch("edge-a", 1, 5));
  MustIngest(*store_, RecordBatch("edge-a", kAlertStream, 1, 3));
  ASSERT_TRUE(store_->UpsertEdge(Edge("edge-a", "acme")).ok());
  ASSERT_TRUE(store_->CreateToken(Token("t", "h")).ok());
  MustSetDesired(*store_, "edge-a", R"({"v":1})");
  StatusOr<HubStoreStats> before = store_->Stats();
  ASSERT_TRUE(before.ok());
  const std::vector<ObservationRow> rows = QueryAll(*store_);

  store_.reset();
  store_ = OpenAnother();
  ASSERT_NE(store_, nullptr);
  const std::vector<ObservationRow> again = QueryAll(*store_);
  ASSERT_EQ(again.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) ExpectSameObservation(again[i], rows[i]);
  StatusOr<HubStoreStats> after = store_->Stats();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->observations, 60u);
  EXPECT_EQ(after->dead_letters, 5u);
  EXPECT_EQ(after->records, 3u);
  EXPECT_EQ(after->edges, 1u);
  StatusOr<std::optional<ApiToken>> token = store_->FindTokenByHash("h");
  ASSERT_TRUE(token.ok());
  EXPECT_TRUE(token->has_value());
  StatusOr<std::vector<SignalState>> latest = store_->LatestSignals(kAsset);
  ASSERT_TRUE(latest.ok());
  EXPECT_THAT(*latest, SizeIs(3));
  StatusOr<std::optional<DesiredState>> desired = store_->GetDesired("edge-a");
  ASSERT_TRUE(desired.ok());
  ASSERT_TRUE(desired->has_value());
  EXPECT_EQ((*desired)->document, R"({"v":1})");
  EXPECT_EQ(MustSetDesired(*store_, "edge-a", R"({"v":2})").version, 2u);

  // Progress and pending ranges survived: the gap closes, a replay stores nothing.
  EXPECT_EQ(MustIngest(*store_, ObsBatch("edge-a", 1, 50)).stored, 0u);
  const IngestOutcome out = MustIngest(*store_, ObsBatch("edge-a", 51, 30));
  EXPECT_EQ(out.stored, 20u);
  EXPECT_EQ(out.through, 80u);
  EXPECT_EQ(Seqs(QueryAll(*store_)), Range(1, 80));
}

TEST_P(HubStoreConformanceTest, HostileStringsAreStoredAndQueriedVerbatim) {
  const std::vector<std::string> hostile = {
      "it's \"quoted\"",
      "'; DROP TABLE observations; --",
      "Robert'); DELETE FROM edges WHERE ('1'='1",
      "pompe/äöü/泵-07/🚀/e\u0301",
      "tab\tnew\nline\rback\\slash \\N %s %d $1 ?1 :name",
      "\\x00\\.",
  };
  uint64_t seq = 1;
  for (const std::string& s : hostile) {
    SCOPED_TRACE(s);
    const std::string edge = "edge " + s;
    UplinkBatch batch = ObsBatch(edge, seq, 1, [&](uint64_t n) {
      ObservationRow o = Scalar(n, s);
      o.signal = s;
      o.unit = s;
      o.source = {.protocol = s, .endpoint = s, .address = s};
      return o;
    });
    batch.floor_seq = seq;  // a new edge: nothing below this batch will come
    EXPECT_EQ(MustIngest(*store_, batch).through, seq);
    const std::vector<ObservationRow> rows = QueryAll(*store_, s);
    ASSERT_THAT(rows, SizeIs(1));
    ExpectSameObservation(rows[0], batch.observations[0]);
    StatusOr<std::vector<ObservationRow>> by_signal = store_->QueryObservations(AllOf(s, s));
    ASSERT_TRUE(by_signal.ok());
    EXPECT_THAT(*by_signal, SizeIs(1));
    SeriesQuery sq{.asset = s, .signal = s, .from_ns = 0, .to_ns = kFarFuture, .bucket_ns = kHour};
    StatusOr<std::vector<SeriesBucket>> series = store_->QuerySeries(sq);
    ASSERT_TRUE(series.ok());
    ASSERT_THAT(*series, SizeIs(1));
    EXPECT_EQ((*series)[0].signal, s);
    StatusOr<std::vector<SignalState>> latest = store_->LatestSignals(s);
    ASSERT_TRUE(latest.ok());
    ASSERT_THAT(*latest, SizeIs(1));
    EXPECT_EQ((*latest)[0].edge_id, edge);

    UplinkBatch dlq = DlqBatch(edge, 1, 1);
    dlq.dead_letters[0].source = s;
    dlq.dead_letters[0].detail = s;
    dlq.dead_letters[0].payload = s;
    MustIngest(*store_, dlq);
    HubDeadLetterQuery dq{.edge_id = edge, .from_ns = 0, .to_ns = kFarFuture};
    StatusOr<std::vector<HubDeadLetter>> dead = store_->QueryDeadLetters(dq);
    ASSERT_TRUE(dead.ok());
    ASSERT_THAT(*dead, SizeIs(1));
    EXPECT_EQ((*dead)[0].edge_id, edge);
    EXPECT_EQ((*dead)[0].dead_letter.detail, s);
    EXPECT_EQ((*dead)[0].dead_letter.payload, s);

    UplinkBatch dec = RecordBatch(edge, kDecisionStream, 1, 1);
    dec.records[0].subject = s;
    dec.records[0].body = s;
    MustIngest(*store_, dec);
    const HubRecordQuery rq = RecordsOf("dec", edge, s);
    StatusOr<std::vector<HubRecord>> recs = store_->QueryRecords(rq);
    ASSERT_TRUE(recs.ok());
    ASSERT_THAT(*recs, SizeIs(1));
    EXPECT_EQ((*recs)[0].record.body, s);

    ASSERT_TRUE(store_->UpsertEdge(Edge(edge, s, s)).ok());
    ASSERT_TRUE(store_->RecordHeartbeat(edge, s, kT0).ok());
    StatusOr<std::optional<EdgeEntry>> e = store_->GetEdge(edge);
    ASSERT_TRUE(e.ok());
    ASSERT_TRUE(e->has_value());
    EXPECT_EQ((*e)->tenant, s);
    EXPECT_EQ((*e)->heartbeat, s);

    ASSERT_TRUE(store_->CreateToken(Token(s, "hash " + s, s)).ok());
    StatusOr<std::optional<ApiToken>> t = store_->FindTokenByHash("hash " + s);
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(t->has_value());
    EXPECT_EQ((*t)->name, s);
    ASSERT_TRUE(store_->RevokeToken(s).ok());
    ++seq;
  }
  // Nothing was dropped by any of it.
  StatusOr<HubStoreStats> stats = store_->Stats();
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->observations, hostile.size());
  EXPECT_EQ(stats->dead_letters, hostile.size());
  EXPECT_EQ(stats->records, hostile.size());
  EXPECT_EQ(stats->edges, hostile.size());
}

// --- concurrency ---

// Two store objects on one database (two hub processes behind one broker, MQTT shared
// subscription): each thread ingests every batch of the same edge in its own order, with
// overlaps. Every seq is stored exactly once and `through` reaches the last.
TEST_P(HubStoreConformanceTest, TwoStoresIngestingOneEdgeConcurrentlyStoreEverySeqOnce) {
  std::unique_ptr<HubStore> other = OpenAnother();
  ASSERT_NE(other, nullptr);
  constexpr uint64_t kBatch = 50;
  constexpr uint64_t kBatches = 40;
  constexpr uint64_t kLast = kBatch * kBatches;
  std::atomic<uint64_t> stored{0};
  std::atomic<int> errors{0};
  std::atomic<uint64_t> max_through{0};
  const auto run = [&](HubStore& store, uint32_t seed, std::string stream) {
    std::vector<uint64_t> order;
    for (uint64_t i = 0; i < kBatches; ++i) order.push_back(i);
    std::shuffle(order.begin(), order.end(), std::mt19937(seed));
    for (uint64_t i : order) {
      // Overlapping batches: each also carries the first half of the next one.
      const uint64_t first = i * kBatch + 1;
      const uint64_t count = std::min(kBatch + kBatch / 2, kLast - first + 1);
      UplinkBatch batch = stream == "obs" ? ObsBatch("edge-c", first, count)
                                          : RecordBatch("edge-c", stream, first, count);
      StatusOr<IngestOutcome> out = store.IngestBatch(batch, kT0);
      if (!out.ok()) {
        ADD_FAILURE() << out.status().ToString();
        ++errors;
        continue;
      }
      stored += out->stored;
      uint64_t seen = max_through.load();
      while (out->through > seen && !max_through.compare_exchange_weak(seen, out->through)) {
      }
    }
  };
  std::thread t1(run, std::ref(*store_), 1, "obs");
  std::thread t2(run, std::ref(*other), 2, "obs");
  // Meanwhile, reads on both objects do not fail.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) {
      if (!store_->LatestSignals(kAsset).ok() || !other->Stats().ok()) ++errors;
    }
  });
  t1.join();
  t2.join();
  done = true;
  reader.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(stored.load(), kLast);
  EXPECT_EQ(max_through.load(), kLast);
  EXPECT_EQ(Seqs(QueryAll(*store_)), Range(1, kLast));
  EXPECT_EQ(ProgressOf(*other, "edge-c", "obs")->through, kLast);
  EXPECT_EQ(ProgressOf(*other, "edge-c", "obs")->records, kLast);

  // The same for a record stream, both threads on one store object.
  stored = 0;
  max_through = 0;
  std::thread t3(run, std::ref(*store_), 3, "dec");
  std::thread t4(run, std::ref(*store_), 4, "dec");
  t3.join();
  t4.join();
  EXPECT_EQ(stored.load(), kLast);
  EXPECT_EQ(max_through.load(), kLast);
  const HubRecordQuery q = RecordsOf("dec");
  StatusOr<std::vector<HubRecord>> recs = store_->QueryRecords(q);
  ASSERT_TRUE(recs.ok());
  std::multiset<uint64_t> seqs;
  for (const HubRecord& r : *recs) seqs.insert(r.record.seq);
  EXPECT_EQ(seqs, Range(1, kLast));
}

// Not a pass/fail figure: prints observations/s for docs and reviews (a quick run, small
// batches of the real shape). Fails only if ingest fails.
TEST_P(HubStoreConformanceTest, IngestThroughputQuickRun) {
  constexpr uint64_t kBatch = 5000;
  constexpr uint64_t kBatches = 40;
  std::vector<UplinkBatch> batches;
  for (uint64_t b = 0; b < kBatches; ++b) {
    batches.push_back(ObsBatch("edge-t", b * kBatch + 1, kBatch, [](uint64_t s) {
      ObservationRow o = Scalar(s, "acme/plant-1/line-2/pump-" + std::to_string(s % 20));
      o.signal = "signal-" + std::to_string(s % 10);
      return o;
    }));
  }
  const auto start = std::chrono::steady_clock::now();
  for (const UplinkBatch& b : batches) ASSERT_EQ(MustIngest(*store_, b).stored, kBatch);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double rate = static_cast<double>(kBatch * kBatches) / seconds;
  std::printf("[ %s ] ingested %llu observations in batches of %llu: %.0f observations/s\n",
              GetParam().name.c_str(), static_cast<unsigned long long>(kBatch * kBatches),
              static_cast<unsigned long long>(kBatch), rate);
  RecordProperty("observations_per_second", std::to_string(static_cast<int64_t>(rate)));
  EXPECT_EQ(ProgressOf(*store_, "edge-t", "obs")->through, kBatch * kBatches);
}

}  // namespace strata
