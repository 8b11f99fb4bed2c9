#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <tuple>

#include "core/config_node.h"
#include "store/sqlite/block_codec.h"
#include "store/sqlite/sqlite_db.h"
#include "store/store.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;  // 2023-11-14

constexpr char kModelYaml[] = R"(
asset_types:
  pump:
    signals:
      temp: {unit: Cel}
      flow: {unit: "m3/h"}
      vib: {unit: "m/s2", kind: waveform}
assets:
  - path: acme/plant-1/line-1/pump-{01..03}
    type: pump
)";

std::shared_ptr<const AssetModel> ModelFrom(const std::string& yaml) {
  auto doc = ConfigDocument::Parse(yaml, "<test model>");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

std::string Pump(int i) { return "acme/plant-1/line-1/pump-0" + std::to_string(i); }

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("sqlite_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "edge.db").string();
    model_ = ModelFrom(kModelYaml);
    sources_ = std::make_shared<SourceCatalog>();
    mqtt_ = sources_->Intern("mqtt", "tcp://127.0.0.1:1883", "plant/pump-1/temp");
    modbus_ = sources_->Intern("modbus", "tcp://10.0.0.5:502", "hr:40001");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  SqliteStoreOptions Options(Durability durability = Durability::kNormal) const {
    SqliteStoreOptions o;
    o.path = path_;
    o.durability = durability;
    o.model = model_;
    o.sources = sources_;
    return o;
  }
  std::unique_ptr<Store> Open(Durability durability = Durability::kNormal) {
    return OpenWith(Options(durability));
  }
  std::unique_ptr<Store> OpenWith(const SqliteStoreOptions& o) {
    auto store = OpenSqliteStore(o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::unique_ptr<Store> OpenReader() {
    SqliteStoreOptions o;
    o.path = path_;
    o.read_only = true;
    return OpenWith(o);
  }
  // A direct connection to the database file, bypassing the store (and its writer lock).
  std::unique_ptr<sqlite::Db> Raw() {
    auto db = sqlite::Db::Open(path_, SQLITE_OPEN_READWRITE);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    if (!db.ok()) return nullptr;
    sqlite3_busy_timeout((*db)->get(), 5000);
    return std::move(*db);
  }
  int64_t RawInt(const std::string& sql) {
    auto db = Raw();
    auto v = db->QueryInt64(sql);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : -1;
  }

  // The database file alone (not its WAL).
  int64_t FileSize() const { return static_cast<int64_t>(std::filesystem::file_size(path_)); }
  int64_t FreePages() { return RawInt("PRAGMA freelist_count"); }

  SignalId Sig(int pump, const char* signal) const { return model_->Find(Pump(pump), signal); }

  Observation Scalar(int pump, const char* signal, int64_t ts, double value,
                     Quality q = Quality::kGood) const {
    Observation o;
    o.signal = Sig(pump, signal);
    o.ts_ns = ts;
    o.ingest_ts_ns = ts + 1000;
    o.value = value;
    o.quality = q;
    o.source = mqtt_;
    return o;
  }
  Observation Block(int pump, int64_t ts, size_t n, uint32_t seed = 1) const {
    auto b = std::make_shared<WaveformBlock>();
    b->sample_rate_hz = 25600;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    for (size_t i = 0; i < n; ++i) b->samples.push_back(u(rng));
    Observation o;
    o.signal = Sig(pump, "vib");
    o.ts_ns = ts;
    o.ingest_ts_ns = ts;
    o.block = std::move(b);
    o.source = modbus_;
    return o;
  }
  // `n` temp readings of pump 1, one per second from `t0`, ingested at the same time.
  WriteBatch Scalars(int64_t t0, int n) const {
    WriteBatch b;
    for (int i = 0; i < n; ++i) {
      Observation o = Scalar(1, "temp", t0 + i * kSec, 20.0 + i);
      o.ingest_ts_ns = o.ts_ns;
      b.observations.push_back(o);
    }
    return b;
  }

  static AppendResult MustAppend(Store& store, WriteBatch& batch) {
    AppendResult r;
    Status s = store.Append(batch, &r);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return r;
  }
  static StoreStats MustStats(Store& store) {
    auto s = store.Stats();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : StoreStats{};
  }
  static std::vector<ObservationRow> MustQuery(Store& store, const ObservationQuery& q) {
    auto rows = store.QueryObservations(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<ObservationRow>{};
  }
  static ObservationQuery All(const std::string& asset, const std::string& signal = "") {
    ObservationQuery q;
    q.asset = asset;
    q.signal = signal;
    q.from_ns = 0;
    q.to_ns = std::numeric_limits<int64_t>::max();
    q.limit = 1'000'000;
    return q;
  }
  static std::vector<OutboxRange> MustPending(Store& store, size_t max = 1000) {
    auto r = store.PendingOutbox(max);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<OutboxRange>{};
  }
  static RetentionResult MustRetain(Store& store, const RetentionPolicy& p, int64_t now) {
    RetentionResult total;
    for (int i = 0; i < 1000; ++i) {
      auto r = store.EnforceRetention(p, now);
      EXPECT_TRUE(r.ok()) << r.status().ToString();
      if (!r.ok()) break;
      total.observations_deleted += r->observations_deleted;
      total.dead_letters_deleted += r->dead_letters_deleted;
      total.events_deleted += r->events_deleted;
      total.records_deleted += r->records_deleted;
      total.outbox_dropped += r->outbox_dropped;
      total.outbox_drops.insert(total.outbox_drops.end(), r->outbox_drops.begin(),
                                r->outbox_drops.end());
      if (!r->more) return total;
    }
    ADD_FAILURE() << "retention never finished";
    return total;
  }

  std::filesystem::path dir_;
  std::string path_;
  std::shared_ptr<const AssetModel> model_;
  std::shared_ptr<SourceCatalog> sources_;
  SourceId mqtt_ = kInvalidSource;
  SourceId modbus_ = kInvalidSource;
};

// --- round trips ---

TEST_F(SqliteStoreTest, ScalarsRoundTripWithNamesUnitsAndSources) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  b.observations.push_back(Scalar(1, "temp", kT0 + 2 * kSec, 41.5));
  b.observations.push_back(Scalar(1, "flow", kT0 + 1 * kSec, 12.25, Quality::kUncertain));
  b.observations.back().source = kInvalidSource;
  b.observations.push_back(Scalar(2, "temp", kT0, 39.0));
  const AppendResult r = MustAppend(*store, b);
  EXPECT_EQ(r.observations_written, 3u);
  EXPECT_EQ(r.duplicates, 0u);
  EXPECT_EQ(b.observations[0].seq, 1u);
  EXPECT_EQ(b.observations[1].seq, 2u);
  EXPECT_EQ(b.observations[2].seq, 3u);

  auto rows = MustQuery(*store, All(Pump(1)));
  ASSERT_EQ(rows.size(), 2u);
  // Ordered by source time, not by seq.
  EXPECT_EQ(rows[0].seq, 2u);
  EXPECT_EQ(rows[0].asset, Pump(1));
  EXPECT_EQ(rows[0].signal, "flow");
  EXPECT_EQ(rows[0].unit, "m3/h");
  EXPECT_EQ(rows[0].ts_ns, kT0 + kSec);
  EXPECT_EQ(rows[0].ingest_ts_ns, kT0 + kSec + 1000);
  EXPECT_EQ(rows[0].value, 12.25);
  EXPECT_EQ(rows[0].quality, Quality::kUncertain);
  EXPECT_FALSE(rows[0].is_block);
  EXPECT_EQ(rows[0].source, Source{});
  EXPECT_EQ(rows[1].seq, 1u);
  EXPECT_EQ(rows[1].signal, "temp");
  EXPECT_EQ(rows[1].unit, "Cel");
  EXPECT_EQ(rows[1].value, 41.5);
  EXPECT_EQ(rows[1].quality, Quality::kGood);
  EXPECT_EQ(rows[1].source, (Source{"mqtt", "tcp://127.0.0.1:1883", "plant/pump-1/temp"}));

  const StoreStats s = MustStats(*store);
  EXPECT_EQ(s.observations, 3u);
  EXPECT_EQ(s.blocks, 0u);
  EXPECT_EQ(s.last_obs_seq, 3u);
  EXPECT_EQ(s.outbox_records, 3u);
  EXPECT_GT(s.used_bytes, 0);
  EXPECT_GE(s.file_bytes, s.used_bytes);
}

TEST_F(SqliteStoreTest, NanValueComesBackEmptyWithBadQuality) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  b.observations.push_back(
      Scalar(1, "temp", kT0, std::numeric_limits<double>::quiet_NaN(), Quality::kBad));
  b.observations.push_back(Scalar(1, "temp", kT0 + kSec, 0.0, Quality::kBad));
  MustAppend(*store, b);
  auto rows = MustQuery(*store, All(Pump(1), "temp"));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[0].value.has_value());
  EXPECT_EQ(rows[0].quality, Quality::kBad);
  EXPECT_EQ(rows[1].value, 0.0);  // a real zero is not "no value"
}

TEST_F(SqliteStoreTest, BlocksRoundTripAndCanBeSkipped) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  b.observations.push_back(Block(1, kT0, 4096, 7));
  b.observations.push_back(Scalar(1, "temp", kT0 + 1, 50.0));
  const AppendResult r = MustAppend(*store, b);
  EXPECT_EQ(r.observations_written, 2u);

  auto rows = MustQuery(*store, All(Pump(1)));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].is_block);
  EXPECT_FALSE(rows[0].value.has_value());
  ASSERT_TRUE(rows[0].block.has_value());
  EXPECT_EQ(rows[0].block->sample_rate_hz, 25600);
  EXPECT_EQ(rows[0].block->samples, b.observations[0].block->samples);
  EXPECT_EQ(rows[0].unit, "m/s2");
  EXPECT_EQ(rows[0].source.protocol, "modbus");
  EXPECT_FALSE(rows[1].is_block);

  ObservationQuery q = All(Pump(1));
  q.with_blocks = false;
  rows = MustQuery(*store, q);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_TRUE(rows[0].is_block);
  EXPECT_FALSE(rows[0].block.has_value());
  EXPECT_FALSE(rows[0].value.has_value());
  EXPECT_EQ(rows[1].value, 50.0);

  const StoreStats s = MustStats(*store);
  EXPECT_EQ(s.observations, 2u);
  EXPECT_EQ(s.blocks, 1u);
}

TEST_F(SqliteStoreTest, CorruptBlockOnDiskIsDataLossNamingTheRow) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  b.observations.push_back(Block(1, kT0, 256));
  MustAppend(*store, b);
  ASSERT_TRUE(Raw()->Exec("UPDATE chunks SET data = substr(data, 1, 20)").ok());
  auto rows = store->QueryObservations(All(Pump(1)));
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(rows.status().message(), HasSubstr("observation seq 1"));
  EXPECT_THAT(rows.status().message(), HasSubstr(path_));
  // Without samples the row is still readable.
  ObservationQuery q = All(Pump(1));
  q.with_blocks = false;
  EXPECT_EQ(MustQuery(*store, q).size(), 1u);
}

TEST_F(SqliteStoreTest, DeadLettersRoundTripNewestFirstWithTheirOwnSeqs) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  const std::string big(kMaxDeadLetterPayload + 100, 'p');
  for (int i = 0; i < kRejectReasonCount; ++i) {
    b.dead_letters.push_back(MakeDeadLetter(
        kT0 + i, static_cast<RejectReason>(i), "mqtt tcp://127.0.0.1:1883 plant/x",
        "detail " + std::to_string(i), i == 0 ? std::string_view(big) : "{\"v\": nan}"));
  }
  b.observations.push_back(Scalar(1, "temp", kT0, 1.0));
  const AppendResult r = MustAppend(*store, b);
  EXPECT_EQ(r.dead_letters_written, static_cast<uint64_t>(kRejectReasonCount));
  EXPECT_EQ(b.dead_letters[0].seq, 1u);  // "dlq" counts apart from "obs"
  EXPECT_EQ(b.dead_letters.back().seq, static_cast<uint64_t>(kRejectReasonCount));
  EXPECT_EQ(b.observations[0].seq, 1u);

  DeadLetterQuery q;
  q.from_ns = kT0;
  q.to_ns = kT0 + 100;
  auto got = store->QueryDeadLetters(q);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), static_cast<size_t>(kRejectReasonCount));
  for (int i = 0; i < kRejectReasonCount; ++i) {
    const DeadLetter& want = b.dead_letters[static_cast<size_t>(kRejectReasonCount - 1 - i)];
    const DeadLetter& d = (*got)[static_cast<size_t>(i)];
    EXPECT_EQ(d.seq, want.seq);
    EXPECT_EQ(d.ts_ns, want.ts_ns);
    EXPECT_EQ(d.reason, want.reason);
    EXPECT_EQ(d.source, want.source);
    EXPECT_EQ(d.detail, want.detail);
    EXPECT_EQ(d.payload, want.payload);
    EXPECT_EQ(d.payload_truncated, want.payload_truncated);
  }
  EXPECT_TRUE(got->back().payload_truncated);
  EXPECT_EQ(got->back().payload.size(), kMaxDeadLetterPayload);
  EXPECT_FALSE(got->front().payload_truncated);

  q.from_ns = kT0 + 3;
  q.to_ns = kT0 + 5;  // exclusive
  q.limit = 10;
  got = store->QueryDeadLetters(q);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].ts_ns, kT0 + 4);
  q.limit = 1;
  EXPECT_EQ(store->QueryDeadLetters(q)->size(), 1u);

  const StoreStats s = MustStats(*store);
  EXPECT_EQ(s.dead_letters, static_cast<uint64_t>(kRejectReasonCount));
  EXPECT_EQ(s.last_dlq_seq, static_cast<uint64_t>(kRejectReasonCount));
}

TEST_F(SqliteStoreTest, EventsRoundTripNewestFirst) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  for (int i = 0; i < 5; ++i) {
    b.events.push_back(Event{kT0 + i * kSec, i % 2 ? "signal.fresh" : "signal.stale",
                             Pump(1) + " temp", "event " + std::to_string(i)});
  }
  EXPECT_EQ(MustAppend(*store, b).events_written, 5u);
  auto got = store->QueryEvents(kT0 + kSec, kT0 + 4 * kSec, 100);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[0].ts_ns, kT0 + 3 * kSec);
  EXPECT_EQ((*got)[0].kind, "signal.fresh");
  EXPECT_EQ((*got)[0].subject, Pump(1) + " temp");
  EXPECT_EQ((*got)[0].detail, "event 3");
  EXPECT_EQ((*got)[2].ts_ns, kT0 + kSec);
  EXPECT_EQ(store->QueryEvents(kT0, kT0 + 10 * kSec, 2)->size(), 2u);
  EXPECT_EQ(MustStats(*store).events, 5u);
}

// --- seqs ---

TEST_F(SqliteStoreTest, SeqsAreMonotonicAndPersistAcrossReopen) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    for (int batch = 0; batch < 3; ++batch) {
      WriteBatch b = Scalars(kT0 + batch * 100 * kSec, 10);
      b.dead_letters.push_back(MakeDeadLetter(kT0, RejectReason::kNotFinite, "s", "d", "p"));
      MustAppend(*store, b);
      for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(b.observations[static_cast<size_t>(i)].seq,
                  static_cast<uint64_t>(batch * 10 + i + 1));
      }
      EXPECT_EQ(b.dead_letters[0].seq, static_cast<uint64_t>(batch + 1));
    }
  }
  auto store = Open();
  ASSERT_TRUE(store);
  StoreStats s = MustStats(*store);
  EXPECT_EQ(s.last_obs_seq, 30u);
  EXPECT_EQ(s.last_dlq_seq, 3u);
  EXPECT_EQ(s.observations, 30u);
  EXPECT_EQ(s.dead_letters, 3u);
  WriteBatch b = Scalars(kT0 + 1000 * kSec, 2);
  b.dead_letters.push_back(MakeDeadLetter(kT0, RejectReason::kNotFinite, "s", "d", "p"));
  MustAppend(*store, b);
  EXPECT_EQ(b.observations[0].seq, 31u);
  EXPECT_EQ(b.observations[1].seq, 32u);
  EXPECT_EQ(b.dead_letters[0].seq, 4u);
}

TEST_F(SqliteStoreTest, SeqsAreNeverReusedAfterRetentionDeletesEverything) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    WriteBatch b = Scalars(kT0, 50);
    b.dead_letters.push_back(MakeDeadLetter(kT0, RejectReason::kNotFinite, "s", "d", "p"));
    MustAppend(*store, b);
    RetentionPolicy p;
    p.max_age_ns = kSec;
    const RetentionResult r = MustRetain(*store, p, kT0 + 1000 * kSec);
    EXPECT_EQ(r.observations_deleted, 50u);
    EXPECT_EQ(r.dead_letters_deleted, 1u);
    EXPECT_EQ(MustStats(*store).observations, 0u);
  }
  auto store = Open();
  ASSERT_TRUE(store);
  const StoreStats s = MustStats(*store);
  EXPECT_EQ(s.observations, 0u);
  EXPECT_EQ(s.last_obs_seq, 50u);
  WriteBatch b = Scalars(kT0 + 5000 * kSec, 1);
  b.dead_letters.push_back(MakeDeadLetter(kT0, RejectReason::kNotFinite, "s", "d", "p"));
  MustAppend(*store, b);
  EXPECT_EQ(b.observations[0].seq, 51u);
  EXPECT_EQ(b.dead_letters[0].seq, 2u);
}

TEST_F(SqliteStoreTest, DuplicatesAreCountedAndGetNoSeq) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b = Scalars(kT0, 5);
  MustAppend(*store, b);

  WriteBatch again;
  again.observations.push_back(Scalar(1, "temp", kT0 + 2 * kSec, 999.0));  // stored already
  again.observations.push_back(Scalar(1, "temp", kT0 + 10 * kSec, 1.0));   // new
  again.observations.push_back(Scalar(1, "temp", kT0 + 10 * kSec, 2.0));   // same batch
  again.observations.push_back(Scalar(2, "temp", kT0 + 2 * kSec, 3.0));    // other signal
  again.observations[0].seq = 77;  // whatever the caller left there
  const AppendResult r = MustAppend(*store, again);
  EXPECT_EQ(r.observations_written, 2u);
  EXPECT_EQ(r.duplicates, 2u);
  EXPECT_EQ(again.observations[0].seq, 0u);
  EXPECT_EQ(again.observations[1].seq, 6u);
  EXPECT_EQ(again.observations[2].seq, 0u);
  EXPECT_EQ(again.observations[3].seq, 7u);  // duplicates consume no seq

  auto rows = MustQuery(*store, All(Pump(1), "temp"));
  ASSERT_EQ(rows.size(), 6u);
  EXPECT_EQ(rows[2].value, 22.0);  // the first write wins
  EXPECT_EQ(rows[5].value, 1.0);
  const StoreStats s = MustStats(*store);
  EXPECT_EQ(s.observations, 7u);
  EXPECT_EQ(s.last_obs_seq, 7u);
  EXPECT_EQ(s.outbox_records, 7u);
}

// Large batches make several chunks per signal; duplicates among them must be recognised one
// by one all the same. Seqs follow (signal, ts): the block (pump 2) comes after every scalar of
// pump 1, wherever it is in the batch.
TEST_F(SqliteStoreTest, DuplicatesInLargeBatchesKeepSeqsDense) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b = Scalars(kT0, 100);
  MustAppend(*store, b);
  for (size_t i = 0; i < 100; ++i) ASSERT_EQ(b.observations[i].seq, i + 1);

  WriteBatch again = Scalars(kT0 + 1000 * kSec, 300);
  again.observations[40] = Scalar(1, "temp", kT0 + 5 * kSec, -1.0);    // stored already
  again.observations[41].ts_ns = again.observations[39].ts_ns;         // same batch
  again.observations[250] = Scalar(1, "temp", kT0 + 99 * kSec, -1.0);  // stored already
  again.observations[120] = Block(2, kT0, 64);                         // breaks a run
  const AppendResult r = MustAppend(*store, again);
  EXPECT_EQ(r.duplicates, 3u);
  EXPECT_EQ(r.observations_written, 297u);
  uint64_t expect = 101;
  for (size_t i = 0; i < again.observations.size(); ++i) {
    if (i == 40 || i == 41 || i == 250) {
      EXPECT_EQ(again.observations[i].seq, 0u) << i;
    } else if (i != 120) {
      EXPECT_EQ(again.observations[i].seq, expect++) << i;
    }
  }
  EXPECT_EQ(again.observations[120].seq, 397u);
  const StoreStats s = MustStats(*store);
  EXPECT_EQ(s.observations, 397u);
  EXPECT_EQ(s.last_obs_seq, 397u);
  EXPECT_EQ(RawInt("SELECT MAX(last_seq) - MIN(first_seq) + 1 FROM chunks"), 397);
  EXPECT_EQ(RawInt("SELECT TOTAL(count) FROM chunks"), 397);
  auto rows = MustQuery(*store, All(Pump(1), "temp"));
  ASSERT_EQ(rows.size(), 396u);
  EXPECT_EQ(rows[5].value, 25.0);  // the first write wins
  EXPECT_EQ(rows[99].value, 119.0);
}

// --- failures ---

TEST_F(SqliteStoreTest, UnknownSignalOrSourceIsRejectedBeforeWriting) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b = Scalars(kT0, 3);
  b.observations[1].signal = static_cast<SignalId>(model_->signal_count());
  AppendResult r;
  Status s = store->Append(b, &r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("observation 1 of the batch"));
  EXPECT_THAT(s.message(), HasSubstr("not in the asset model"));

  b = Scalars(kT0, 3);
  b.observations[2].source = 99;
  s = store->Append(b, &r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr("source id 99"));

  b = WriteBatch{};
  b.observations.push_back(Block(1, kT0, 10));
  auto bad = std::make_shared<WaveformBlock>(*b.observations[0].block);
  bad->sample_rate_hz = 0;
  b.observations[0].block = bad;
  s = store->Append(b, &r);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();

  EXPECT_EQ(r.observations_written, 0u);
  const StoreStats st = MustStats(*store);
  EXPECT_EQ(st.observations, 0u);
  EXPECT_EQ(st.last_obs_seq, 0u);
  b = Scalars(kT0, 1);
  MustAppend(*store, b);
  EXPECT_EQ(b.observations[0].seq, 1u);
}

// Failures inside the transaction (forced by triggers that a second connection installs):
// nothing of the batch stays, no seq is consumed, and the ids of signal rows the failed
// transaction created are not reused from the cache.
TEST_F(SqliteStoreTest, FailedAppendLeavesNothingAndConsumesNoSeq) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch first = Scalars(kT0, 3);
  MustAppend(*store, first);
  ASSERT_TRUE(Raw()
                  ->Exec("CREATE TRIGGER fail_obs BEFORE INSERT ON chunks WHEN "
                         "NEW.first_ts = 4242 BEGIN SELECT RAISE(ABORT, 'injected failure'); END")
                  .ok());

  // Pump 2 flow and pump 3 temp are new: their signal rows are inserted (in signal order, as
  // the batch is written), then the transaction fails.
  WriteBatch b;
  b.observations.push_back(Scalar(2, "flow", kT0, 1.0));
  b.observations.push_back(Scalar(1, "temp", kT0 + 100 * kSec, 2.0));
  b.observations.push_back(Scalar(3, "temp", 4242, 3.0));
  b.dead_letters.push_back(MakeDeadLetter(kT0, RejectReason::kOutOfRange, "s", "d", "p"));
  b.events.push_back(Event{kT0, "signal.stale", "x", "y"});
  AppendResult r;
  r.observations_written = 99;
  Status s = store->Append(b, &r);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("injected failure"));
  EXPECT_THAT(s.message(), HasSubstr("nothing was written"));
  EXPECT_THAT(s.message(), HasSubstr(path_));
  EXPECT_EQ(r.observations_written, 0u);
  for (const Observation& o : b.observations) EXPECT_EQ(o.seq, 0u);
  EXPECT_EQ(b.dead_letters[0].seq, 0u);
  StoreStats st = MustStats(*store);
  EXPECT_EQ(st.observations, 3u);
  EXPECT_EQ(st.dead_letters, 0u);
  EXPECT_EQ(st.events, 0u);
  EXPECT_EQ(st.last_obs_seq, 3u);
  EXPECT_EQ(st.outbox_records, 3u);
  EXPECT_EQ(RawInt("SELECT COUNT(*) FROM signals"), 1);

  // A failure at the very end (the outbox row is the last write of a batch).
  ASSERT_TRUE(Raw()
                  ->Exec("CREATE TRIGGER fail_outbox BEFORE INSERT ON outbox "
                         "WHEN NEW.first_seq = 4 BEGIN SELECT RAISE(ABORT, 'late failure'); END")
                  .ok());
  b.observations.pop_back();
  s = store->Append(b, &r);
  EXPECT_THAT(s.message(), HasSubstr("late failure"));
  for (const Observation& o : b.observations) EXPECT_EQ(o.seq, 0u);
  EXPECT_EQ(MustStats(*store).last_obs_seq, 3u);
  ASSERT_TRUE(Raw()->Exec("DROP TRIGGER fail_obs; DROP TRIGGER fail_outbox").ok());

  // Pump 3 temp is written first now and gets the signal row id pump 2 flow had in the failed
  // transactions; pump 2 flow must get a row of its own.
  WriteBatch c;
  c.observations.push_back(Scalar(3, "temp", kT0, 30.0));
  MustAppend(*store, c);
  EXPECT_EQ(c.observations[0].seq, 4u);
  c.observations[0] = Scalar(2, "flow", kT0, 20.0);
  MustAppend(*store, c);
  EXPECT_EQ(c.observations[0].seq, 5u);
  auto rows = MustQuery(*store, All(Pump(3)));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].signal, "temp");
  EXPECT_EQ(rows[0].value, 30.0);
  rows = MustQuery(*store, All(Pump(2)));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].signal, "flow");
  EXPECT_EQ(rows[0].value, 20.0);
  const auto pending = MustPending(*store);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[1].first_seq, 4u);
  EXPECT_EQ(pending[2].first_seq, 5u);
}

TEST_F(SqliteStoreTest, FailedLargeAppendLeavesNothing) {
  auto store = Open();
  ASSERT_TRUE(store);
  ASSERT_TRUE(Raw()
                  ->Exec("CREATE TRIGGER fail_obs BEFORE INSERT ON chunks "
                         "WHEN NEW.first_seq > 1 BEGIN SELECT RAISE(ABORT, 'injected'); END")
                  .ok());
  // 100 s of one signal: the second chunk (a chunk spans at most a minute) fails.
  WriteBatch b = Scalars(kT0, 100);
  Status s = store->Append(b, nullptr);
  EXPECT_THAT(s.message(), HasSubstr("injected"));
  for (const Observation& o : b.observations) EXPECT_EQ(o.seq, 0u);
  EXPECT_EQ(RawInt("SELECT COUNT(*) FROM chunks"), 0);
  EXPECT_EQ(MustStats(*store).last_obs_seq, 0u);
  ASSERT_TRUE(Raw()->Exec("DROP TRIGGER fail_obs").ok());
  MustAppend(*store, b);
  EXPECT_EQ(b.observations[0].seq, 1u);
  EXPECT_EQ(b.observations[99].seq, 100u);
}

TEST_F(SqliteStoreTest, ReadOnlyStoreRefusesWrites) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    WriteBatch b = Scalars(kT0, 1);
    MustAppend(*store, b);
  }
  auto reader = OpenReader();
  ASSERT_TRUE(reader);
  WriteBatch b = Scalars(kT0 + kSec, 1);
  Status s = reader->Append(b, nullptr);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("read-only"));
  EXPECT_EQ(reader->AckOutbox("obs", 1).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(reader->EnforceRetention(RetentionPolicy{kSec, 0}, kT0).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(MustStats(*reader).observations, 1u);
}

// --- model changes and queries ---

TEST_F(SqliteStoreTest, UnitChangeInTheModelMakesANewSignalRow) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    WriteBatch b = Scalars(kT0, 2);
    MustAppend(*store, b);
  }
  std::string yaml = kModelYaml;
  yaml.replace(yaml.find("{unit: Cel}"), 11, "{unit: \"[degF]\"}");
  model_ = ModelFrom(yaml);
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  b.observations.push_back(Scalar(1, "temp", kT0 + 10 * kSec, 100.0));
  b.observations.push_back(Scalar(1, "temp", kT0, 5.0));  // same ts, new row: not a duplicate
  const AppendResult r = MustAppend(*store, b);
  EXPECT_EQ(r.observations_written, 2u);
  auto rows = MustQuery(*store, All(Pump(1), "temp"));
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0].unit, rows[0].seq <= 2 ? "Cel" : "[degF]");
  EXPECT_EQ(rows[1].unit, rows[1].seq <= 2 ? "Cel" : "[degF]");
  EXPECT_EQ(rows[3].unit, "[degF]");
  EXPECT_EQ(rows[3].value, 100.0);
  EXPECT_EQ(RawInt("SELECT COUNT(*) FROM signals WHERE signal = 'temp'"), 2);
}

TEST_F(SqliteStoreTest, QueryFiltersByAssetSignalTimeAndLimit) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  for (int i = 0; i < 10; ++i) {
    b.observations.push_back(Scalar(1, "temp", kT0 + i * kSec, i));
    b.observations.push_back(Scalar(1, "flow", kT0 + i * kSec + 1, 100 + i));
    b.observations.push_back(Scalar(2, "temp", kT0 + i * kSec, 200 + i));
  }
  MustAppend(*store, b);

  auto rows = MustQuery(*store, All(Pump(1)));
  ASSERT_EQ(rows.size(), 20u);
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_LE(rows[i - 1].ts_ns, rows[i].ts_ns);
  EXPECT_EQ(rows[0].signal, "temp");
  EXPECT_EQ(rows[1].signal, "flow");

  rows = MustQuery(*store, All(Pump(1), "flow"));
  ASSERT_EQ(rows.size(), 10u);
  for (const auto& row : rows) EXPECT_EQ(row.signal, "flow");

  ObservationQuery q = All(Pump(2), "temp");
  q.from_ns = kT0 + 3 * kSec;  // inclusive
  q.to_ns = kT0 + 7 * kSec;    // exclusive
  rows = MustQuery(*store, q);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows.front().value, 203.0);
  EXPECT_EQ(rows.back().value, 206.0);

  q.limit = 2;
  rows = MustQuery(*store, q);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.back().value, 204.0);

  EXPECT_TRUE(MustQuery(*store, All(Pump(3))).empty());
  EXPECT_TRUE(MustQuery(*store, All(Pump(1), "vib")).empty());
  EXPECT_TRUE(MustQuery(*store, All("acme/plant-1/line-1/pump")).empty());
  q.to_ns = q.from_ns;
  EXPECT_TRUE(MustQuery(*store, q).empty());
}

// Chunks, late data and duplicates against a reference: random batches of three signals, with
// readings in order, late readings (below what a signal already has, inside and between
// earlier chunks), redeliveries within and across batches, mixed qualities and sources, and
// reopens (which reload each signal's highest stored ts from its chunks). Every query must
// return exactly what the reference holds, first write winning, in (ts, seq) order.
TEST_F(SqliteStoreTest, RandomLateAndDuplicateReadingsMatchAReference) {
  struct Stored {
    double value;
    uint64_t seq;
    Quality quality;
  };
  const std::vector<std::pair<int, const char*>> signals = {{1, "temp"}, {1, "flow"}, {2, "temp"}};
  std::map<std::pair<size_t, int64_t>, Stored> reference;  // (signal index, ts) -> first write
  std::mt19937 rng(20261123);
  auto store = Open();
  ASSERT_TRUE(store);
  uint64_t expected_seqs = 0;
  uint64_t expected_duplicates = 0;
  std::vector<int64_t> head(signals.size(), kT0);  // where in-order readings continue
  for (int batch_no = 0; batch_no < 60; ++batch_no) {
    if (batch_no % 15 == 14) {  // reopen: the writer reloads its view of each signal
      store.reset();
      store = Open();
      ASSERT_TRUE(store);
    }
    WriteBatch b;
    if (batch_no % 15 == 14) {
      // Redeliveries of the newest readings of each signal: recognised only if the reopened
      // writer found each signal's true highest ts (late chunks may start after it).
      for (size_t k = 0; k < signals.size(); ++k) {
        int taken = 0;
        for (auto it = reference.rbegin(); it != reference.rend() && taken < 30; ++it) {
          if (it->first.first != k) continue;
          b.observations.push_back(
              Scalar(signals[k].first, signals[k].second, it->first.second, -1.0));
          ++taken;
        }
      }
    }
    const int n = 1 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      const size_t k = rng() % signals.size();
      int64_t ts = 0;
      switch (rng() % 4) {
        case 0: {  // late: in the last 10 s or anywhere so far (often a redelivery)
          const int64_t from = rng() % 2 == 0 ? std::max(kT0, head[k] - 10 * kSec) : kT0;
          ts = from + static_cast<int64_t>(rng() % static_cast<uint64_t>(head[k] - from + 1));
          ts -= (ts - kT0) % (kSec / 10);
          break;
        }
        case 1:  // a jump forward, more than a chunk's span now and then
          head[k] += (rng() % 8 == 0 ? 90 : 1) * kSec;
          ts = head[k];
          break;
        default:  // in order, 100 ms apart
          head[k] += kSec / 10;
          ts = head[k];
      }
      Observation o = Scalar(signals[k].first, signals[k].second, ts, batch_no * 1000.0 + i,
                             static_cast<Quality>(rng() % 3));
      o.source = rng() % 5 == 0 ? modbus_ : rng() % 7 == 0 ? kInvalidSource : mqtt_;
      if (rng() % 50 == 0) o.value = std::numeric_limits<double>::quiet_NaN();
      b.observations.push_back(o);
    }
    const AppendResult r = MustAppend(*store, b);
    // Which of the batch are new, in the order the store assigns seqs: (signal, ts, position).
    std::vector<size_t> order(b.observations.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) {
      const Observation& a = b.observations[x];
      const Observation& c = b.observations[y];
      return std::tie(a.signal, a.ts_ns, x) < std::tie(c.signal, c.ts_ns, y);
    });
    uint64_t duplicates = 0;
    for (size_t i : order) {
      const Observation& o = b.observations[i];
      size_t k = 0;
      while (Sig(signals[k].first, signals[k].second) != o.signal) ++k;
      const auto key = std::make_pair(k, o.ts_ns);
      if (reference.count(key) != 0) {
        EXPECT_EQ(o.seq, 0u) << "batch " << batch_no << " observation " << i;
        ++duplicates;
        continue;
      }
      ASSERT_EQ(o.seq, ++expected_seqs) << "batch " << batch_no << " observation " << i;
      reference.emplace(key, Stored{o.value, o.seq, o.quality});
    }
    EXPECT_EQ(r.duplicates, duplicates) << "batch " << batch_no;
    EXPECT_EQ(r.observations_written, b.observations.size() - duplicates);
    expected_duplicates += duplicates;
  }
  EXPECT_GT(expected_duplicates, 100u);  // the mix exercised the rare path
  EXPECT_EQ(MustStats(*store).observations, reference.size());
  EXPECT_EQ(MustStats(*store).last_obs_seq, expected_seqs);

  // Whole signals, and windows with limits that end inside chunks.
  for (size_t k = 0; k < signals.size(); ++k) {
    std::vector<std::pair<int64_t, Stored>> want;
    for (const auto& [key, stored] : reference) {
      if (key.first == k) want.emplace_back(key.second, stored);
    }
    for (int q_no = 0; q_no < 20; ++q_no) {
      ObservationQuery q = All(Pump(signals[k].first), signals[k].second);
      if (q_no > 0) {
        q.from_ns = want[rng() % want.size()].first;
        q.to_ns = q.from_ns + static_cast<int64_t>(rng() % 300) * kSec / 10 + 1;
        q.limit = 1 + rng() % 500;
      }
      const auto rows = MustQuery(*store, q);
      std::vector<std::pair<int64_t, Stored>> expect;
      for (const auto& w : want) {
        if (w.first >= q.from_ns && w.first < q.to_ns && expect.size() < q.limit) {
          expect.push_back(w);
        }
      }
      ASSERT_EQ(rows.size(), expect.size()) << signals[k].second << " query " << q_no;
      for (size_t i = 0; i < rows.size(); ++i) {
        EXPECT_EQ(rows[i].ts_ns, expect[i].first);
        EXPECT_EQ(rows[i].seq, expect[i].second.seq);
        EXPECT_EQ(rows[i].quality, expect[i].second.quality);
        if (std::isnan(expect[i].second.value)) {
          EXPECT_FALSE(rows[i].value.has_value() && !std::isnan(*rows[i].value));
        } else {
          ASSERT_TRUE(rows[i].value.has_value());
          EXPECT_EQ(*rows[i].value, expect[i].second.value);
        }
      }
    }
  }
  // The asset's signals merged: (ts, seq) order.
  const auto rows = MustQuery(*store, All(Pump(1)));
  size_t pump1 = 0;
  for (const auto& [key, stored] : reference) pump1 += key.first < 2 ? 1 : 0;
  ASSERT_EQ(rows.size(), pump1);
  for (size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LT(std::tie(rows[i - 1].ts_ns, rows[i - 1].seq), std::tie(rows[i].ts_ns, rows[i].seq));
  }
}

// A late chunk can start after the chunk that holds a signal's newest reading; a reopened
// writer must still find the newest, or a redelivery above the late chunk would be stored twice.
TEST_F(SqliteStoreTest, ReopenFindsTheNewestReadingBehindALateChunk) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    WriteBatch b = Scalars(kT0, 60);  // one chunk: kT0 .. kT0 + 59 s
    MustAppend(*store, b);
    WriteBatch late;  // between stored readings: a chunk from kT0 + 50.5 s to 51.5 s
    late.observations.push_back(Scalar(1, "temp", kT0 + 50 * kSec + kSec / 2, 1.0));
    late.observations.push_back(Scalar(1, "temp", kT0 + 51 * kSec + kSec / 2, 2.0));
    EXPECT_EQ(MustAppend(*store, late).observations_written, 2u);
  }
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch again;
  again.observations.push_back(Scalar(1, "temp", kT0 + 55 * kSec, -1.0));            // stored
  again.observations.push_back(Scalar(1, "temp", kT0 + 56 * kSec + kSec / 2, 3.0));  // late
  again.observations.push_back(Scalar(1, "temp", kT0 + 60 * kSec, 4.0));             // new
  const AppendResult r = MustAppend(*store, again);
  EXPECT_EQ(r.duplicates, 1u);
  EXPECT_EQ(r.observations_written, 2u);
  EXPECT_EQ(again.observations[0].seq, 0u);
  EXPECT_EQ(again.observations[1].seq, 63u);
  EXPECT_EQ(again.observations[2].seq, 64u);
  auto rows = MustQuery(*store, All(Pump(1), "temp"));
  ASSERT_EQ(rows.size(), 64u);
  EXPECT_EQ(rows.back().value, 4.0);
}

TEST_F(SqliteStoreTest, OlderSchemaIsRefusedWithWhatToDo) {
  { ASSERT_TRUE(Open()); }
  ASSERT_TRUE(Raw()->Exec("UPDATE meta SET value = '1' WHERE key = 'schema_version'").ok());
  auto store = OpenSqliteStore(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("older strata development build (schema 1)"));
  EXPECT_THAT(store.status().message(), HasSubstr("move it aside"));
}

// --- records (decisions, alert events) ---

Record MakeRecord(std::string_view stream, int64_t ts, std::string subject, std::string body) {
  Record r;
  r.stream = std::string(stream);
  r.ts_ns = ts;
  r.subject = std::move(subject);
  r.body = std::move(body);
  return r;
}

std::vector<Record> MustQueryRecords(Store& store, std::string_view stream,
                                     const std::string& subject = "") {
  RecordQuery q;
  q.stream = std::string(stream);
  q.subject = subject;
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  auto rows = store.QueryRecords(q);
  EXPECT_TRUE(rows.ok()) << rows.status().ToString();
  return rows.ok() ? *rows : std::vector<Record>{};
}

TEST_F(SqliteStoreTest, RecordsGetSeqsPerStreamAndRoundTripNewestFirst) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b = Scalars(kT0, 2);
  b.records.push_back(MakeRecord(kDecisionStream, kT0 + 1, Pump(1), R"({"score":0.1})"));
  b.records.push_back(MakeRecord(kAlertStream, kT0 + 2, Pump(1), R"({"kind":"open"})"));
  b.records.push_back(MakeRecord(kDecisionStream, kT0 + 3, Pump(2), R"({"score":0.9})"));
  AppendResult r;
  ASSERT_TRUE(store->Append(b, &r).ok());
  EXPECT_EQ(r.records_written, 3u);
  EXPECT_EQ(b.records[0].seq, 1u);
  EXPECT_EQ(b.records[1].seq, 1u);  // its own stream
  EXPECT_EQ(b.records[2].seq, 2u);

  auto decisions = MustQueryRecords(*store, kDecisionStream);
  ASSERT_EQ(decisions.size(), 2u);
  EXPECT_EQ(decisions[0].seq, 2u);
  EXPECT_EQ(decisions[0].subject, Pump(2));
  EXPECT_EQ(decisions[0].body, R"({"score":0.9})");
  EXPECT_EQ(decisions[0].ts_ns, kT0 + 3);
  EXPECT_EQ(MustQueryRecords(*store, kDecisionStream, Pump(1)).size(), 1u);
  EXPECT_EQ(MustQueryRecords(*store, kAlertStream).size(), 1u);
  EXPECT_EQ(MustStats(*store).records, 3u);

  // Seqs continue after a reopen.
  store.reset();
  store = Open();
  WriteBatch more;
  more.records.push_back(MakeRecord(kDecisionStream, kT0 + 4, Pump(3), "{}"));
  MustAppend(*store, more);
  EXPECT_EQ(more.records[0].seq, 3u);
}

TEST_F(SqliteStoreTest, RecordsAreInTheOutboxAndAckedPerStream) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  for (int i = 0; i < 3; ++i) {
    b.records.push_back(MakeRecord(kDecisionStream, kT0 + i, Pump(1), "{}"));
  }
  b.records.push_back(MakeRecord(kAlertStream, kT0, Pump(1), "{}"));
  MustAppend(*store, b);
  auto pending = MustPending(*store);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].stream, "alr");
  EXPECT_EQ(pending[1].stream, "dec");
  EXPECT_EQ(pending[1].first_seq, 1u);
  EXPECT_EQ(pending[1].last_seq, 3u);
  ASSERT_TRUE(store->AckOutbox("dec", 2).ok());
  EXPECT_EQ(MustPending(*store)[1].first_seq, 3u);
  EXPECT_FALSE(store->AckOutbox("dec", 4).ok());  // beyond what was committed
}

TEST_F(SqliteStoreTest, RecordOfAnUnknownStreamIsRefusedAndNothingIsWritten) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b = Scalars(kT0, 2);
  b.records.push_back(MakeRecord("obs", kT0, Pump(1), "{}"));
  Status s = store->Append(b, nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("'obs' is not a record stream"));
  EXPECT_EQ(MustStats(*store).observations, 0u);
  RecordQuery q;
  q.stream = "nope";
  EXPECT_FALSE(store->QueryRecords(q).ok());
}

TEST_F(SqliteStoreTest, RetentionByAgeDeletesOldRecordsAndCountsUnackedOnes) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  for (int i = 0; i < 5; ++i) {
    b.records.push_back(MakeRecord(kDecisionStream, kT0 + i * kSec, Pump(1), "{}"));
  }
  MustAppend(*store, b);
  ASSERT_TRUE(store->AckOutbox("dec", 1).ok());
  RetentionPolicy p;
  p.max_age_ns = 10 * kSec;
  const RetentionResult r = MustRetain(*store, p, kT0 + 13 * kSec);  // drops ts < kT0 + 3 s
  EXPECT_EQ(r.records_deleted, 3u);
  EXPECT_EQ(r.outbox_dropped, 2u);
  EXPECT_EQ(MustQueryRecords(*store, kDecisionStream).size(), 2u);
  auto pending = MustPending(*store);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].first_seq, 4u);
}

// A store written before decisions existed (schema 2) is upgraded by the next writer and
// keeps its data; a reader of the old schema sees no records.
TEST_F(SqliteStoreTest, Schema2StoreIsMigratedByAWriter) {
  {
    auto store = Open();
    ASSERT_TRUE(store);
    WriteBatch b = Scalars(kT0, 3);
    MustAppend(*store, b);
  }
  ASSERT_TRUE(Raw()->Exec("DROP TABLE records").ok());
  ASSERT_TRUE(Raw()->Exec("UPDATE meta SET value = '2' WHERE key = 'schema_version'").ok());
  {
    SqliteStoreOptions o = Options();
    o.read_only = true;
    auto reader = OpenSqliteStore(o);
    ASSERT_TRUE(reader.ok()) << reader.status().ToString();
    EXPECT_TRUE(MustQueryRecords(**reader, kDecisionStream).empty());
    EXPECT_EQ(MustStats(**reader).observations, 3u);
  }
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  b.records.push_back(MakeRecord(kDecisionStream, kT0, Pump(1), "{}"));
  MustAppend(*store, b);
  EXPECT_EQ(MustQueryRecords(*store, kDecisionStream).size(), 1u);
  EXPECT_EQ(MustStats(*store).observations, 3u);
  auto version = Raw()->QueryText("SELECT value FROM meta WHERE key = 'schema_version'");
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(*version, "3");
}

// --- retention ---

// Observations go a chunk at a time, once the newest of the chunk is older than max_age.
TEST_F(SqliteStoreTest, RetentionByAgeDeletesWhatIsOlderThanMaxAge) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; i < 10; ++i) {  // ten chunks of ten, ingested at kT0 .. kT0 + 99 s
    WriteBatch b = Scalars(kT0 + i * 10 * kSec, 10);
    b.dead_letters.push_back(
        MakeDeadLetter(kT0 + i * 10 * kSec, RejectReason::kOutOfRange, "s", "d", "p"));
    b.events.push_back(Event{kT0 + i * 10 * kSec, "signal.stale", "x", "y"});
    MustAppend(*store, b);
  }
  RetentionPolicy p;
  p.max_age_ns = 60 * kSec;
  // Everything ingested before kT0 + 40 s goes.
  RetentionResult r = MustRetain(*store, p, kT0 + 100 * kSec);
  EXPECT_EQ(r.observations_deleted, 40u);
  EXPECT_EQ(r.dead_letters_deleted, 4u);
  EXPECT_EQ(r.events_deleted, 4u);
  auto rows = MustQuery(*store, All(Pump(1)));
  ASSERT_EQ(rows.size(), 60u);
  EXPECT_EQ(rows.front().ingest_ts_ns, kT0 + 40 * kSec);
  EXPECT_EQ(rows.front().seq, 41u);
  StoreStats s = MustStats(*store);
  EXPECT_EQ(s.observations, 60u);
  EXPECT_EQ(s.dead_letters, 6u);
  EXPECT_EQ(s.events, 4u + 2u);

  // Idempotent at the same time; later times delete more.
  r = MustRetain(*store, p, kT0 + 100 * kSec);
  EXPECT_EQ(r.observations_deleted, 0u);
  r = MustRetain(*store, p, kT0 + 100 * kSec + 1);
  EXPECT_EQ(r.observations_deleted, 0u);  // the chunk ingested from kT0 + 40 s to 49 s stays
  EXPECT_EQ(r.dead_letters_deleted, 1u);  // the one rejected at exactly kT0 + 40 s
  EXPECT_EQ(r.events_deleted, 1u);
  r = MustRetain(*store, p, kT0 + 109 * kSec + 1);
  EXPECT_EQ(r.observations_deleted, 10u);  // now it is all older than a minute
  EXPECT_EQ(r.dead_letters_deleted, 0u);

  // Counts stay right after a reopen.
  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  s = MustStats(*store);
  EXPECT_EQ(s.observations, 50u);
  EXPECT_EQ(s.dead_letters, 5u);
  EXPECT_EQ(s.events, 5u);
}

TEST_F(SqliteStoreTest, RetentionByAgeWorksInBoundedSteps) {
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kRows = 130'000;
  for (int done = 0; done < kRows; done += 10'000) {
    WriteBatch b = Scalars(kT0 + done * kSec, 10'000);
    MustAppend(*store, b);
  }
  RetentionPolicy p;
  p.max_age_ns = 10 * kSec;
  auto r = store->EnforceRetention(p, kT0 + kRows * kSec);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->more);
  EXPECT_GT(r->observations_deleted, 0u);
  EXPECT_LT(r->observations_deleted, static_cast<uint64_t>(kRows - 10));
  const RetentionResult rest = MustRetain(*store, p, kT0 + kRows * kSec);
  const uint64_t kept = MustStats(*store).observations;
  EXPECT_EQ(r->observations_deleted + rest.observations_deleted + kept,
            static_cast<uint64_t>(kRows));
  // What stays is the last 10 s and the rest of the chunk holding the cutoff: a chunk spans at
  // most a minute (61 readings here).
  EXPECT_GE(kept, 10u);
  EXPECT_LE(kept, 10u + 61u);
  EXPECT_EQ(RawInt("SELECT COUNT(*) FROM chunks WHERE max_ingest_ts < " +
                   std::to_string(kT0 + (kRows - 10) * kSec)),
            0);
}

TEST_F(SqliteStoreTest, RetentionBySizeDeletesOldestAndShrinksTheFile) {
  auto store = Open();
  ASSERT_TRUE(store);
  // About 4 KiB per block (random samples do not compress).
  auto append_blocks = [&](int first, int n) {
    for (int i = first; i < first + n; i += 50) {
      WriteBatch b;
      for (int j = i; j < i + 50; ++j) {
        b.observations.push_back(Block(1, kT0 + j * kSec, 1024, static_cast<uint32_t>(j)));
      }
      MustAppend(*store, b);
    }
  };
  append_blocks(0, 3000);
  const StoreStats before = MustStats(*store);
  constexpr int64_t kMax = 4 << 20;
  ASSERT_GT(before.used_bytes, 2 * kMax);

  RetentionPolicy p;
  p.max_bytes = kMax;
  const RetentionResult r = MustRetain(*store, p, kT0);
  const StoreStats after = MustStats(*store);
  EXPECT_LE(after.used_bytes, kMax);
  EXPECT_GT(after.used_bytes, kMax / 2);  // deletes what it must, not everything
  EXPECT_EQ(r.observations_deleted, before.observations - after.observations);
  EXPECT_EQ(after.blocks, after.observations);
  EXPECT_EQ(FileSize(), after.used_bytes + FreePages() * 4096);
  EXPECT_LE(FileSize(), kMax + 4096);  // the database file shrank

  // Oldest first: what is left is the newest, contiguous up to the last seq.
  auto rows = MustQuery(*store, All(Pump(1), "vib"));
  ASSERT_EQ(rows.size(), after.observations);
  EXPECT_EQ(rows.back().seq, 3000u);
  EXPECT_EQ(rows.front().seq, 3000u - after.observations + 1);

  // Under steady ingest with retention the file stops growing.
  int64_t largest = 0;
  for (int round = 0; round < 6; ++round) {
    append_blocks(3000 + round * 500, 500);
    MustRetain(*store, p, kT0);
    const StoreStats s = MustStats(*store);
    EXPECT_LE(s.used_bytes, kMax);
    EXPECT_LE(FileSize(), kMax + 4096);
    if (round >= 2) {
      EXPECT_LE(s.file_bytes, largest + (1 << 20)) << "round " << round;
    }
    largest = std::max(largest, s.file_bytes);
  }
}

// --- outbox ---

TEST_F(SqliteStoreTest, OutboxListsUnacknowledgedRangesAndAckTrimsThem) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (int batch = 0; batch < 3; ++batch) {
    WriteBatch b = Scalars(kT0 + batch * 100 * kSec, 10);
    if (batch == 1) {
      b.dead_letters.push_back(MakeDeadLetter(kT0, RejectReason::kNotFinite, "s", "d", "p"));
      b.dead_letters.push_back(MakeDeadLetter(kT0, RejectReason::kNotFinite, "s", "d", "p"));
    }
    MustAppend(*store, b);
  }
  auto pending = MustPending(*store);
  ASSERT_EQ(pending.size(), 4u);
  // Streams take turns, oldest first within each.
  EXPECT_EQ(pending[0].stream, "dlq");
  EXPECT_EQ(pending[0].first_seq, 1u);
  EXPECT_EQ(pending[0].last_seq, 2u);
  EXPECT_EQ(pending[1].stream, "obs");
  EXPECT_EQ(pending[1].first_seq, 1u);
  EXPECT_EQ(pending[1].last_seq, 10u);
  EXPECT_EQ(pending[2].first_seq, 11u);
  EXPECT_EQ(pending[3].last_seq, 30u);
  EXPECT_EQ(MustPending(*store, 2).size(), 2u);
  EXPECT_EQ(MustStats(*store).outbox_records, 32u);

  // Partial ack: the straddling range starts after the acked seq.
  ASSERT_TRUE(store->AckOutbox("obs", 15).ok());
  pending = MustPending(*store);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[1].stream, "obs");
  EXPECT_EQ(pending[1].first_seq, 16u);
  EXPECT_EQ(pending[1].last_seq, 20u);
  EXPECT_EQ(MustStats(*store).outbox_records, 2u + 15u);

  // Acks are idempotent; an older ack changes nothing.
  ASSERT_TRUE(store->AckOutbox("obs", 15).ok());
  ASSERT_TRUE(store->AckOutbox("obs", 3).ok());
  ASSERT_TRUE(store->AckOutbox("obs", 0).ok());
  EXPECT_EQ(MustPending(*store).size(), 3u);

  // Acking beyond what was committed is an error and changes nothing.
  Status s = store->AckOutbox("obs", 31);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("last committed seq is 30"));
  s = store->AckOutbox("nope", 1);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MustPending(*store).size(), 3u);

  ASSERT_TRUE(store->AckOutbox("dlq", 2).ok());
  ASSERT_TRUE(store->AckOutbox("obs", 30).ok());
  EXPECT_TRUE(MustPending(*store).empty());
  EXPECT_EQ(MustStats(*store).outbox_records, 0u);

  // Survives a reopen.
  WriteBatch b = Scalars(kT0 + 1000 * kSec, 5);
  MustAppend(*store, b);
  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  pending = MustPending(*store);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].first_seq, 31u);
  EXPECT_EQ(pending[0].last_seq, 35u);
}

TEST_F(SqliteStoreTest, OutboxCanBeTurnedOff) {
  SqliteStoreOptions o = Options();
  o.outbox = false;
  auto store = OpenWith(o);
  ASSERT_TRUE(store);
  WriteBatch b = Scalars(kT0, 5);
  MustAppend(*store, b);
  EXPECT_TRUE(MustPending(*store).empty());
  EXPECT_EQ(MustStats(*store).outbox_records, 0u);
  EXPECT_EQ(b.observations[4].seq, 5u);
}

TEST_F(SqliteStoreTest, RetentionCountsUnacknowledgedRecordsAsOutboxDropped) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (int batch = 0; batch < 4; ++batch) {  // obs seqs 1-10, 11-20, 21-30, 31-40
    WriteBatch b = Scalars(kT0 + batch * 10 * kSec, 10);
    b.dead_letters.push_back(
        MakeDeadLetter(kT0 + batch * 10 * kSec, RejectReason::kNotFinite, "s", "d", "p"));
    MustAppend(*store, b);
  }
  ASSERT_TRUE(store->AckOutbox("obs", 7).ok());  // the hub has 1-7
  ASSERT_TRUE(store->AckOutbox("dlq", 1).ok());

  RetentionPolicy p;
  p.max_age_ns = 10 * kSec;
  // Deletes obs ingested before kT0 + 30 s (seqs 1-30, three chunks) and dead letters 1-3.
  const RetentionResult r = MustRetain(*store, p, kT0 + 40 * kSec);
  EXPECT_EQ(r.observations_deleted, 30u);
  EXPECT_EQ(r.dead_letters_deleted, 3u);
  // The first chunk straddles what was acknowledged: only its seqs 8-10 count.
  EXPECT_EQ(r.outbox_dropped, (30u - 7u) + 2u);

  auto pending = MustPending(*store);
  ASSERT_EQ(pending.size(), 2u);
  EXPECT_EQ(pending[0].stream, "dlq");
  EXPECT_EQ(pending[0].first_seq, 4u);
  EXPECT_EQ(pending[1].stream, "obs");
  EXPECT_EQ(pending[1].first_seq, 31u);
  EXPECT_EQ(pending[1].last_seq, 40u);
  EXPECT_EQ(MustStats(*store).outbox_records, 1u + 10u);
  // The hub may still ack through what was dropped.
  EXPECT_TRUE(store->AckOutbox("obs", 28).ok());
  EXPECT_EQ(MustPending(*store)[1].first_seq, 31u);
  EXPECT_TRUE(store->AckOutbox("obs", 33).ok());
  EXPECT_EQ(MustPending(*store)[1].first_seq, 34u);
}

// --- the outbox's bytes and quota ---

// The writer's running sum of the outbox's bytes equals a fresh count (a reader's) after
// appends of every kind, acks that end inside a chunk, and retention that drops unacked rows.
TEST_F(SqliteStoreTest, OutboxBytesAreKeptUpToDateOnAppendAckAndRetention) {
  auto store = Open();
  ASSERT_TRUE(store);
  auto reader = OpenReader();
  ASSERT_TRUE(reader);
  auto expect_same = [&](const char* when) -> int64_t {
    const StoreStats w = MustStats(*store);
    const StoreStats r = MustStats(*reader);
    EXPECT_EQ(w.outbox_bytes, r.outbox_bytes) << when;
    auto bytes = store->OutboxBytes();
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    EXPECT_EQ(bytes.ok() ? *bytes : -1, w.outbox_bytes) << when;
    return w.outbox_bytes;
  };
  EXPECT_EQ(expect_same("empty"), 0);
  for (int batch = 0; batch < 4; ++batch) {  // obs seqs 1-10, 11-20, 21-30, 31-40 (+ a block)
    WriteBatch b = Scalars(kT0 + batch * 10 * kSec, 9);
    b.observations.push_back(Block(2, kT0 + batch * 10 * kSec, 512, batch));
    b.dead_letters.push_back(MakeDeadLetter(kT0 + batch * 10 * kSec, RejectReason::kNotFinite,
                                            "mqtt:plant", "NaN", "payload"));
    b.records.push_back(
        Record{std::string(kDecisionStream), kT0 + batch * 10 * kSec, Pump(1), R"({"score":0.5})"});
    MustAppend(*store, b);
  }
  const int64_t full = expect_same("after appends");
  EXPECT_GT(full, 4 * 512 * 4 / 2);  // four blocks of 512 random floats, compressed a little
  const StoreStats s = MustStats(*store);
  // Counted without page slack: at most what the pages hold, but most of it.
  EXPECT_LE(full, s.used_bytes);

  ASSERT_TRUE(store->AckOutbox("obs", 5).ok());  // inside the first chunk: it still counts
  EXPECT_EQ(expect_same("ack inside a chunk"), full);
  ASSERT_TRUE(store->AckOutbox("obs", 10).ok());  // the first chunk and block leave
  const int64_t after_ack = expect_same("ack through a batch");
  EXPECT_LT(after_ack, full);
  ASSERT_TRUE(store->AckOutbox("dlq", 1).ok());
  ASSERT_TRUE(store->AckOutbox("dec", 2).ok());
  const int64_t after_acks = expect_same("acks of dlq and dec");
  EXPECT_LT(after_acks, after_ack);

  // Retention by age drops seqs 11-20 (unacked) and the dead letter 2, decision 3...
  RetentionPolicy p;
  p.max_age_ns = 20 * kSec;
  const RetentionResult r = MustRetain(*store, p, kT0 + 40 * kSec);
  EXPECT_GT(r.outbox_dropped, 0u);
  EXPECT_LT(expect_same("retention by age"), after_acks);

  // Reopened, the writer counts afresh and gets the same.
  const int64_t before_reopen = MustStats(*store).outbox_bytes;
  store.reset();
  store = Open();
  ASSERT_TRUE(store);
  EXPECT_EQ(expect_same("reopened"), before_reopen);

  for (const char* stream : {"obs", "dlq", "dec"}) {
    ASSERT_TRUE(store->AckOutbox(stream, stream == std::string("obs") ? 40 : 4).ok());
  }
  EXPECT_EQ(expect_same("everything acked"), 0);
}

// drop_oldest: the quota deletes the oldest unacknowledged observations only (acknowledged
// history stays), keeps the newest, and says exactly which seqs it dropped.
TEST_F(SqliteStoreTest, OutboxQuotaDropOldestDeletesTheOldestUnacknowledgedData) {
  auto store = Open();
  ASSERT_TRUE(store);
  constexpr int kBatches = 40;
  for (int i = 0; i < kBatches; ++i) {  // 10 blocks of ~2 KiB per batch, seqs 10i+1..10i+10
    WriteBatch b;
    for (int j = 0; j < 10; ++j) {
      b.observations.push_back(Block(1, kT0 + (i * 10 + j) * kSec, 512, i * 10 + j));
    }
    MustAppend(*store, b);
  }
  ASSERT_TRUE(store->AckOutbox("obs", 50).ok());  // the hub has 1-50
  const StoreStats before = MustStats(*store);

  RetentionPolicy p;
  p.outbox_quota_bytes = before.outbox_bytes / 4;
  p.when_full = OutboxFullPolicy::kDropOldest;
  const RetentionResult r = MustRetain(*store, p, kT0);
  const StoreStats after = MustStats(*store);
  EXPECT_LE(after.outbox_bytes, p.outbox_quota_bytes);
  EXPECT_GT(after.outbox_bytes, p.outbox_quota_bytes / 2);  // deletes what it must
  EXPECT_EQ(r.observations_deleted, r.outbox_dropped);      // nothing acknowledged went
  EXPECT_EQ(before.observations - after.observations, r.outbox_dropped);
  EXPECT_EQ(after.outbox_records, 400u - 50u - r.outbox_dropped);

  // Rows 1-50 (acknowledged) and the newest are kept; the oldest unacked (from 51) are gone.
  auto rows = MustQuery(*store, All(Pump(1), "vib"));
  ASSERT_EQ(rows.size(), after.observations);
  EXPECT_EQ(rows[49].seq, 50u);
  EXPECT_EQ(rows[50].seq, 51u + r.outbox_dropped);
  EXPECT_EQ(rows.back().seq, 400u);
  // Seqs 51..(50 + dropped), one stream, cause the quota.
  ASSERT_EQ(MustRetain(*store, p, kT0).outbox_dropped, 0u);  // within quota now
  ASSERT_FALSE(r.outbox_drops.empty());
  uint64_t records = 0;
  uint64_t first = r.outbox_drops[0].first_seq;
  uint64_t last = 0;
  for (const OutboxDrop& d : r.outbox_drops) {
    EXPECT_EQ(d.stream, "obs");
    EXPECT_EQ(d.cause, OutboxDropCause::kQuota);
    records += d.records;
    first = std::min(first, d.first_seq);
    last = std::max(last, d.last_seq);
  }
  EXPECT_EQ(records, r.outbox_dropped);
  EXPECT_EQ(first, 51u);
  EXPECT_EQ(last, 50u + r.outbox_dropped);
  auto pending = MustPending(*store);
  ASSERT_FALSE(pending.empty());
  EXPECT_EQ(pending.front().first_seq, 51u + r.outbox_dropped);
}

// reject_new: retention by size deletes acknowledged data only; what the hub has not
// acknowledged stays, even over max_size, and the quota deletes nothing.
TEST_F(SqliteStoreTest, RejectNewRetentionNeverDeletesUnacknowledgedDataForRoom) {
  auto store = Open();
  ASSERT_TRUE(store);
  for (int i = 0; i < 100; ++i) {
    WriteBatch b;
    for (int j = 0; j < 10; ++j) {
      b.observations.push_back(Block(1, kT0 + (i * 10 + j) * kSec, 1024, i * 10 + j));
    }
    if (i % 10 == 0) {
      b.dead_letters.push_back(MakeDeadLetter(kT0 + i * 10 * kSec, RejectReason::kNotFinite,
                                              "mqtt:plant", "NaN", std::string(100, 'x')));
    }
    MustAppend(*store, b);
  }
  ASSERT_TRUE(store->AckOutbox("obs", 600).ok());
  ASSERT_TRUE(store->AckOutbox("dlq", 3).ok());
  const StoreStats before = MustStats(*store);

  RetentionPolicy p;
  p.max_bytes = before.used_bytes / 4;  // less than the unacknowledged data
  p.outbox_quota_bytes = before.outbox_bytes / 4;
  p.when_full = OutboxFullPolicy::kRejectNew;
  const RetentionResult r = MustRetain(*store, p, kT0);
  EXPECT_EQ(r.outbox_dropped, 0u);
  EXPECT_EQ(r.observations_deleted, 600u);  // all acknowledged observations, none other
  EXPECT_EQ(r.dead_letters_deleted, 3u);
  const StoreStats after = MustStats(*store);
  EXPECT_EQ(after.outbox_records, before.outbox_records);
  EXPECT_EQ(after.outbox_bytes, before.outbox_bytes);
  auto rows = MustQuery(*store, All(Pump(1), "vib"));
  ASSERT_EQ(rows.size(), 400u);
  EXPECT_EQ(rows.front().seq, 601u);
  EXPECT_EQ(MustRetain(*store, p, kT0).observations_deleted, 0u);  // and it does not spin
}

// --- concurrency and files ---

TEST_F(SqliteStoreTest, SecondWriterIsRefused) {
  auto first = Open();
  ASSERT_TRUE(first);
  auto second = OpenSqliteStore(Options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(second.status().message(),
            "store '" + path_ +
                "' is in use by another writer (is another `strata edge` running with this "
                "store?)");
  first.reset();
  EXPECT_TRUE(Open());
}

TEST_F(SqliteStoreTest, ReaderSeesCommittedDataWhileTheWriterHoldsTheStore) {
  auto writer = Open();
  ASSERT_TRUE(writer);
  WriteBatch b = Scalars(kT0, 10);
  MustAppend(*writer, b);
  auto reader = OpenReader();
  ASSERT_TRUE(reader);
  EXPECT_EQ(MustQuery(*reader, All(Pump(1))).size(), 10u);
  auto reader2 = OpenReader();  // any number of readers
  ASSERT_TRUE(reader2);

  b = Scalars(kT0 + 100 * kSec, 5);
  b.events.push_back(Event{kT0, "connector.down", "mqtt:plant", "broker gone"});
  MustAppend(*writer, b);
  EXPECT_EQ(MustQuery(*reader, All(Pump(1))).size(), 15u);
  const StoreStats s = MustStats(*reader);
  EXPECT_EQ(s.observations, 15u);
  EXPECT_EQ(s.events, 1u);
  EXPECT_EQ(s.last_obs_seq, 15u);
  EXPECT_EQ(s.outbox_records, 15u);
  EXPECT_EQ(MustPending(*reader2).size(), 2u);

  // A reader in the middle of a query does not block the writer.
  ObservationQuery q = All(Pump(1));
  auto rows = reader->QueryObservations(q);
  ASSERT_TRUE(rows.ok());
  b = Scalars(kT0 + 200 * kSec, 5);
  MustAppend(*writer, b);
  EXPECT_EQ(MustQuery(*reader2, q).size(), 20u);
}

TEST_F(SqliteStoreTest, ReadOnlyOpenOfAMissingFileIsNotFound) {
  SqliteStoreOptions o;
  o.path = path_;
  o.read_only = true;
  auto store = OpenSqliteStore(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(store.status().message(), HasSubstr(path_));
  EXPECT_THAT(store.status().message(), HasSubstr("--db"));
  EXPECT_FALSE(std::filesystem::exists(path_));
}

TEST_F(SqliteStoreTest, WriterInAMissingDirectoryIsNotFound) {
  SqliteStoreOptions o = Options();
  o.path = (dir_ / "no" / "such" / "edge.db").string();
  auto store = OpenSqliteStore(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound) << store.status().ToString();
  EXPECT_THAT(store.status().message(), HasSubstr(o.path));
}

TEST_F(SqliteStoreTest, NewerSchemaIsRefused) {
  { ASSERT_TRUE(Open()); }
  ASSERT_TRUE(Raw()->Exec("UPDATE meta SET value = '4' WHERE key = 'schema_version'").ok());
  for (bool read_only : {false, true}) {
    SqliteStoreOptions o = Options();
    o.read_only = read_only;
    auto store = OpenSqliteStore(o);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(store.status().message(),
              "store '" + path_ +
                  "' was written by a newer strata (schema 4); upgrade strata or use another path");
  }
}

TEST_F(SqliteStoreTest, NewDatabaseHasTheDocumentedSettings) {
  { ASSERT_TRUE(Open()); }
  auto db = Raw();
  EXPECT_EQ(*db->QueryText("SELECT value FROM meta WHERE key = 'schema_version'"), "3");
  EXPECT_FALSE(db->QueryText("SELECT value FROM meta WHERE key = 'created_at'")->empty());
  EXPECT_EQ(*db->QueryInt64("PRAGMA auto_vacuum"), 2);  // incremental
  EXPECT_EQ(*db->QueryText("PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStoreTest, NotAnSqliteFileIsDataLoss) {
  std::ofstream(path_) << std::string(10000, 'g');
  for (bool read_only : {false, true}) {
    SqliteStoreOptions o = Options();
    o.read_only = read_only;
    auto store = OpenSqliteStore(o);
    ASSERT_FALSE(store.ok());
    EXPECT_EQ(store.status().code(), StatusCode::kDataLoss) << store.status().ToString();
    EXPECT_THAT(store.status().message(), HasSubstr("'" + path_ + "'"));
  }
  // An SQLite database that is not a store is refused without being changed.
  std::filesystem::remove(path_);
  {
    auto other = sqlite::Db::Open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE((*other)->Exec("CREATE TABLE other(x)").ok());
  }
  auto store = OpenSqliteStore(Options());
  ASSERT_FALSE(store.ok());
  EXPECT_THAT(store.status().message(), HasSubstr("not a strata store"));
}

// --- crash safety ---

// The child: appends batches until killed, reporting each committed last seq on `fd`. Only
// store work and _exit here: no gtest in a forked child.
[[noreturn]] void AppendUntilKilled(const SqliteStoreOptions& options, SignalId a, SignalId b,
                                    int fd) {
  auto store = OpenSqliteStore(options);
  if (!store.ok()) _exit(10);
  auto stats = (*store)->Stats();
  if (!stats.ok()) _exit(11);
  uint64_t next_ts = stats->last_obs_seq + 1;  // distinct from every earlier run's ts
  WriteBatch batch;
  for (;;) {
    batch.clear();
    for (int i = 0; i < 200; ++i, ++next_ts) {
      Observation o;
      o.signal = i % 2 ? a : b;
      o.ts_ns = static_cast<int64_t>(next_ts);
      o.ingest_ts_ns = o.ts_ns;
      o.value = static_cast<double>(next_ts);
      batch.observations.push_back(o);
    }
    batch.dead_letters.push_back(MakeDeadLetter(0, RejectReason::kNotFinite, "s", "d", "p"));
    AppendResult r;
    if (!(*store)->Append(batch, &r).ok()) _exit(12);
    const uint64_t last = batch.observations.back().seq;
    if (::write(fd, &last, sizeof last) != static_cast<ssize_t>(sizeof last)) _exit(13);
  }
}

TEST_F(SqliteStoreTest, CrashAtAnyPointLosesNoCommittedBatch) {
  std::random_device rd;
  const unsigned seed = rd();
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  uint64_t reported = 0;
  for (Durability durability : {Durability::kNormal, Durability::kFull}) {
    for (int base : {1, 3, 10, 25, 60}) {
      const int kill_after = base + static_cast<int>(rng() % 5);
      SCOPED_TRACE(std::string(durability == Durability::kFull ? "full" : "normal") +
                   ", kill after " + std::to_string(kill_after) + " commits");
      const SqliteStoreOptions options = Options(durability);
      int fds[2];
      ASSERT_EQ(::pipe(fds), 0);
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(fds[0]);
        AppendUntilKilled(options, Sig(1, "temp"), Sig(2, "flow"), fds[1]);
      }
      ::close(fds[1]);
      int commits = 0;
      uint64_t buf = 0;
      size_t have = 0;
      while (commits < kill_after) {
        const ssize_t n = ::read(fds[0], reinterpret_cast<char*>(&buf) + have, sizeof buf - have);
        if (n <= 0) break;  // the child died: reported below
        have += static_cast<size_t>(n);
        if (have == sizeof buf) {
          EXPECT_GT(buf, reported);
          reported = buf;
          ++commits;
          have = 0;
        }
      }
      ::kill(pid, SIGKILL);
      int wstatus = 0;
      ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
      ::close(fds[0]);
      ASSERT_EQ(commits, kill_after) << "child exited early, status " << wstatus;
      ASSERT_TRUE(WIFSIGNALED(wstatus));

      {
        auto db = Raw();
        ASSERT_TRUE(db);
        EXPECT_EQ(*db->QueryText("PRAGMA integrity_check"), "ok");
        // Every seq reported as committed is there (seqs are dense: no retention here).
        // Chunks end at commit boundaries and `reported` is the last seq of a commit.
        EXPECT_EQ(*db->QueryInt64("SELECT TOTAL(count) FROM chunks WHERE first_seq <= " +
                                  std::to_string(reported)),
                  static_cast<int64_t>(reported));
        EXPECT_EQ(*db->QueryInt64("SELECT MAX(last_seq) FROM chunks WHERE first_seq <= " +
                                  std::to_string(reported)),
                  static_cast<int64_t>(reported));
      }
      auto store = Open(durability);
      ASSERT_TRUE(store);
      const StoreStats s = MustStats(*store);
      EXPECT_GE(s.last_obs_seq, reported);
      EXPECT_EQ(s.observations, s.last_obs_seq);
      EXPECT_EQ(s.outbox_records, s.last_obs_seq + s.last_dlq_seq);
      WriteBatch b;
      b.observations.push_back(Scalar(3, "temp", kT0 + static_cast<int64_t>(reported), 1.0));
      MustAppend(*store, b);
      EXPECT_EQ(b.observations[0].seq, s.last_obs_seq + 1);
      reported = b.observations[0].seq;
    }
  }
}

}  // namespace
}  // namespace strata

namespace strata {
namespace {

// --- reading a stream by seq (what the uplink sends) ---

TEST_F(SqliteStoreTest, ReadStreamReturnsObservationsInSeqOrderFromAnySeq) {
  auto store = Open();
  ASSERT_TRUE(store);
  // Two commits, several signals each, and a block: seqs interleave signals and chunks.
  WriteBatch first;
  for (int i = 0; i < 5; ++i) {
    first.observations.push_back(Scalar(1, "temp", kT0 + i * kSec, 20.0 + i));
    first.observations.push_back(Scalar(2, "flow", kT0 + i * kSec, 3.0 + i));
  }
  first.observations.push_back(Block(1, kT0, 64));
  MustAppend(*store, first);
  WriteBatch second;
  for (int i = 5; i < 8; ++i) {
    second.observations.push_back(Scalar(1, "temp", kT0 + i * kSec, 20.0 + i, Quality::kBad));
  }
  MustAppend(*store, second);
  const uint64_t last = MustStats(*store).last_obs_seq;
  ASSERT_EQ(last, 14u);

  std::map<uint64_t, ObservationRow> by_seq;
  for (const ObservationRow& r : MustQuery(*store, All(Pump(1)))) by_seq[r.seq] = r;
  for (const ObservationRow& r : MustQuery(*store, All(Pump(2)))) by_seq[r.seq] = r;
  ASSERT_EQ(by_seq.size(), 14u);

  auto reader = OpenReader();  // the uplink reads through a reader of its own
  ASSERT_TRUE(reader);
  for (uint64_t from = 1; from <= last; ++from) {
    for (size_t max : {size_t{1}, size_t{3}, size_t{100}}) {
      auto got = reader->ReadStream(kObservationStream, from, last, max);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      ASSERT_EQ(got->observations.size(), std::min<size_t>(max, last - from + 1));
      for (size_t k = 0; k < got->observations.size(); ++k) {
        const ObservationRow& r = got->observations[k];
        const ObservationRow& want = by_seq[from + k];
        ASSERT_EQ(r.seq, from + k);
        EXPECT_EQ(r.asset, want.asset);
        EXPECT_EQ(r.signal, want.signal);
        EXPECT_EQ(r.unit, want.unit);
        EXPECT_EQ(r.ts_ns, want.ts_ns);
        EXPECT_EQ(r.ingest_ts_ns, want.ingest_ts_ns);
        EXPECT_EQ(r.value, want.value);
        EXPECT_EQ(r.quality, want.quality);
        EXPECT_EQ(r.source, want.source);
        EXPECT_EQ(r.is_block, want.is_block);
        if (r.is_block) {
          ASSERT_TRUE(r.block.has_value());
          EXPECT_EQ(r.block->samples, want.block->samples);
        }
      }
    }
  }
  // The upper bound holds, and nothing beyond the last seq exists.
  auto bounded = reader->ReadStream(kObservationStream, 2, 4, 100);
  ASSERT_TRUE(bounded.ok());
  EXPECT_EQ(bounded->observations.size(), 3u);
  auto beyond = reader->ReadStream(kObservationStream, last + 1, last + 10, 100);
  ASSERT_TRUE(beyond.ok());
  EXPECT_EQ(beyond->size(), 0u);
}

TEST_F(SqliteStoreTest, ReadStreamReturnsDeadLettersAndRecordsBySeq) {
  auto store = Open();
  ASSERT_TRUE(store);
  WriteBatch b;
  for (int i = 0; i < 4; ++i) {
    b.dead_letters.push_back(MakeDeadLetter(kT0 + i, RejectReason::kOutOfRange, "mqtt x",
                                            "detail " + std::to_string(i), "payload"));
    b.records.push_back(
        MakeRecord(kAlertStream, kT0 + i, Pump(1), "{\"i\":" + std::to_string(i) + "}"));
  }
  MustAppend(*store, b);
  auto dlq = store->ReadStream(kDeadLetterStream, 2, 10, 2);
  ASSERT_TRUE(dlq.ok()) << dlq.status().ToString();
  ASSERT_EQ(dlq->dead_letters.size(), 2u);
  EXPECT_EQ(dlq->dead_letters[0].seq, 2u);
  EXPECT_EQ(dlq->dead_letters[0].detail, "detail 1");
  EXPECT_EQ(dlq->dead_letters[1].seq, 3u);
  auto alr = store->ReadStream(kAlertStream, 3, 10, 100);
  ASSERT_TRUE(alr.ok());
  ASSERT_EQ(alr->records.size(), 2u);
  EXPECT_EQ(alr->records[0].body, "{\"i\":2}");
  EXPECT_EQ(alr->records[0].stream, "alr");
  EXPECT_EQ(alr->records[1].seq, 4u);
  EXPECT_FALSE(store->ReadStream("nope", 1, 2, 1).ok());
}

}  // namespace
}  // namespace strata
