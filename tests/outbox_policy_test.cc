// The outbox's quota and what the edge does when it is full (docs/outbox-policy.md), through
// the real IngestPipeline and SQLite store: drop_oldest keeps the newest data and counts and
// raises exactly what it deleted; reject_new keeps the oldest, counts exactly what it refused,
// raises one event per transition and stores again once acks free room.
//
// Batches go in through IngestPipeline::TrySubmit one at a time, and each test waits (on
// counters, never by sleeping) until the writer has dealt with one before sending the next, so
// that what is stored and what is not is exact. The clock is fake: retention by age and the
// periodic retention never run; only the quota acts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/config_node.h"
#include "core/metrics.h"
#include "pipeline/ingest_pipeline.h"
#include "store/store.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::TempDir;
using testing::WaitUntil;

constexpr int64_t kT0 = 1'700'000'000 * kNsPerSec;
constexpr int64_t kQuota = 64 << 10;
constexpr int kBlocksPerBatch = 8;  // ~1 KiB each: random samples do not compress

std::shared_ptr<const AssetModel> Model() {
  auto doc = ConfigDocument::Parse(R"(
asset_types:
  pump:
    signals:
      vib: {unit: "m/s2", kind: waveform}
assets:
  - path: acme/plant-1/pump-01
    type: pump
)",
                                   "<test model>");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

// Which batch and block an observation is, from its source time.
int64_t BlockTs(int batch, int block) { return kT0 + (batch * kBlocksPerBatch + block) * kNsPerMs; }

class OutboxPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = Model();
    path_ = dir_.File("edge.db");
  }
  void TearDown() override {
    if (pipeline_) pipeline_->Stop();
  }

  void StartPipeline(OutboxFullPolicy when_full, int64_t quota = kQuota) {
    SqliteStoreOptions o;
    o.path = path_;
    o.durability = Durability::kNormal;
    o.model = model_;
    o.sources = std::make_shared<SourceCatalog>();
    auto store = OpenSqliteStore(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    IngestPipelineOptions p;
    p.retention.outbox_quota_bytes = quota;
    p.retention.when_full = when_full;
    pipeline_ = std::make_unique<IngestPipeline>(p, model_, std::move(*store), clock_, metrics_);
    pipeline_->Start();
  }

  // Batch `i`: kBlocksPerBatch waveform blocks, one dead letter and one decision record.
  WriteBatch MakeBatch(int i) {
    WriteBatch b;
    const SignalId vib = model_->Find("acme/plant-1/pump-01", "vib");
    for (int j = 0; j < kBlocksPerBatch; ++j) {
      auto block = std::make_shared<WaveformBlock>();
      block->sample_rate_hz = 25600;
      std::uniform_real_distribution<float> u(-1, 1);
      for (int k = 0; k < 256; ++k) block->samples.push_back(u(rng_));
      Observation o;
      o.signal = vib;
      o.ts_ns = BlockTs(i, j);
      o.ingest_ts_ns = o.ts_ns;
      o.block = std::move(block);
      b.observations.push_back(std::move(o));
    }
    DeadLetter d;
    d.ts_ns = BlockTs(i, 0);
    d.reason = RejectReason::kNotFinite;
    d.source = "mqtt:plant";
    d.detail = "NaN";
    d.payload = "{\"v\": NaN}";
    b.dead_letters.push_back(std::move(d));
    b.records.push_back(
        Record{std::string(kDecisionStream), BlockTs(i, 0), "acme/plant-1/pump-01", "{}"});
    return b;
  }

  double Stored() const { return metrics_.Value("strata_edge_observations_stored_total"); }
  double Rejected(const std::string& stream) const {
    return metrics_.Value("strata_edge_outbox_rejected_total", {{"stream", stream}});
  }
  double Dropped(const std::string& stream) const {
    return metrics_.Value("strata_edge_outbox_dropped_total",
                          {{"stream", stream}, {"policy", "drop_oldest"}});
  }
  double Gauge(const std::string& name) const { return metrics_.Value(name); }

  // Hands batch `i` to the writer and waits until the writer has finished the turn that
  // stored or refused it (including what it then did about the quota).
  void Submit(int i) {
    const double before = Stored() + Rejected("obs");
    WriteBatch b = MakeBatch(i);
    ASSERT_TRUE(WaitUntil([&] { return pipeline_->TrySubmit(b); }));
    ASSERT_TRUE(WaitUntil([&] { return Stored() + Rejected("obs") == before + kBlocksPerBatch; }));
    Barrier();
  }
  // Submitted once a turn has committed, a batch is taken on a later turn: once it is stored,
  // that turn is over.
  void Barrier() {
    WriteBatch b;
    const std::string subject = "barrier-" + std::to_string(++barriers_);
    b.events.push_back(Event{clock_.NowNs(), "test.barrier", subject, ""});
    ASSERT_TRUE(WaitUntil([&] { return pipeline_->TrySubmit(b); }));
    ASSERT_TRUE(WaitUntil([&] {
      const std::vector<Event> events = Events("test.barrier");
      return !events.empty() && events.back().subject == subject;
    }));
  }

  std::unique_ptr<Store> Reader() {
    SqliteStoreOptions o;
    o.path = path_;
    o.read_only = true;
    auto store = OpenSqliteStore(o);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }
  std::vector<ObservationRow> StoredBlocks() {
    ObservationQuery q;
    q.asset = "acme/plant-1/pump-01";
    q.to_ns = std::numeric_limits<int64_t>::max();
    q.limit = 1'000'000;
    q.with_blocks = false;
    auto rows = Reader()->QueryObservations(q);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    return rows.ok() ? *rows : std::vector<ObservationRow>{};
  }
  std::vector<Event> Events(const std::string& kind) {
    auto events = Reader()->QueryEvents(0, std::numeric_limits<int64_t>::max(), 100000);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    std::vector<Event> out;
    for (const Event& e : events.ok() ? *events : std::vector<Event>{}) {
      if (e.kind == kind) out.push_back(e);
    }
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
  }
  StoreStats ReaderStats() {
    auto s = Reader()->Stats();
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? *s : StoreStats{};
  }
  // The hub acknowledges everything stored; waits until the writer applied it.
  void AckEverything() {
    const StoreStats s = ReaderStats();
    pipeline_->AckOutbox(kObservationStream, s.last_obs_seq);
    pipeline_->AckOutbox(kDeadLetterStream, s.last_dlq_seq);
    auto decisions = Reader()->PendingOutbox(1000);
    ASSERT_TRUE(decisions.ok());
    for (const OutboxRange& r : *decisions) pipeline_->AckOutbox(r.stream, r.last_seq);
    ASSERT_TRUE(WaitUntil([&] { return Gauge("strata_edge_outbox_bytes") == 0; }));
  }

  TempDir dir_;
  std::string path_;
  std::shared_ptr<const AssetModel> model_;
  FakeClock clock_{kT0};
  MetricsRegistry metrics_;
  std::mt19937 rng_{42};
  int barriers_ = 0;
  std::unique_ptr<IngestPipeline> pipeline_;
};

TEST_F(OutboxPolicyTest, DropOldestKeepsTheNewestAndCountsAndRaisesExactlyWhatItDeleted) {
  StartPipeline(OutboxFullPolicy::kDropOldest);
  EXPECT_EQ(Gauge("strata_edge_outbox_quota_bytes"), kQuota);
  constexpr int kBatches = 30;  // ~240 KiB of blocks into a 64 KiB outbox
  for (int i = 0; i < kBatches; ++i) Submit(i);

  const auto dropped = static_cast<uint64_t>(Dropped("obs"));
  ASSERT_GT(dropped, 0u);
  EXPECT_LE(Gauge("strata_edge_outbox_bytes"), kQuota);
  EXPECT_EQ(Stored(), kBatches * kBlocksPerBatch);  // every batch was stored...
  EXPECT_EQ(Rejected("obs"), 0);
  // ...and what is left is the newest, contiguous up to the last one appended.
  const std::vector<ObservationRow> rows = StoredBlocks();
  ASSERT_EQ(rows.size() + dropped, uint64_t{kBatches * kBlocksPerBatch});
  EXPECT_EQ(rows.back().ts_ns, BlockTs(kBatches - 1, kBlocksPerBatch - 1));
  EXPECT_EQ(rows.front().seq, dropped + 1);
  for (size_t k = 1; k < rows.size(); ++k) ASSERT_EQ(rows[k].seq, rows[k - 1].seq + 1);

  // Each deletion raised one event per stream saying how many, which seqs and why; together
  // they cover seqs 1..dropped exactly once.
  uint64_t next = 1;
  uint64_t obs_events_total = 0;
  uint64_t dlq_events_total = 0;
  for (const Event& e : Events("outbox.dropped")) {
    unsigned long long n = 0, first = 0, last = 0;
    char stream[8] = {};
    ASSERT_EQ(std::sscanf(e.detail.c_str(), "deleted %llu %7s records (seqs %llu-%llu)", &n, stream,
                          &first, &last),
              4)
        << e.detail;
    EXPECT_NE(e.detail.find("the outbox reached its quota of 64.0 KiB"), std::string::npos)
        << e.detail;
    EXPECT_EQ(e.subject, "outbox:" + std::string(stream));
    if (std::string(stream) == "obs") {
      EXPECT_EQ(first, next) << e.detail;
      EXPECT_EQ(last - first + 1, n) << e.detail;
      next = last + 1;
      obs_events_total += n;
    } else {
      EXPECT_EQ(std::string(stream), "dlq");
      dlq_events_total += n;
    }
  }
  EXPECT_EQ(obs_events_total, dropped);
  EXPECT_EQ(dlq_events_total, static_cast<uint64_t>(Dropped("dlq")));
  EXPECT_TRUE(Events("outbox.full").empty());  // drop_oldest never refuses

  // The hub catches up: the outbox empties and is no longer full.
  AckEverything();
  EXPECT_TRUE(WaitUntil([&] { return Gauge("strata_edge_outbox_full") == 0; }));
}

TEST_F(OutboxPolicyTest, RejectNewKeepsTheOldestCountsWhatItRefusedAndResumesAfterAnAck) {
  StartPipeline(OutboxFullPolicy::kRejectNew);
  constexpr int kBatches = 30;
  for (int i = 0; i < kBatches; ++i) Submit(i);

  ASSERT_TRUE(pipeline_->outbox_full());
  EXPECT_EQ(Gauge("strata_edge_outbox_full"), 1);
  const auto stored = static_cast<uint64_t>(Stored());
  const auto refused = static_cast<uint64_t>(Rejected("obs"));
  ASSERT_GT(refused, 0u);
  EXPECT_EQ(stored + refused, uint64_t{kBatches * kBlocksPerBatch});
  const uint64_t stored_batches = stored / kBlocksPerBatch;
  EXPECT_EQ(stored % kBlocksPerBatch, 0u);  // whole batches are stored or refused
  // The dead letter and the decision of each refused batch are refused with it.
  EXPECT_EQ(Rejected("dlq"), kBatches - stored_batches);
  EXPECT_EQ(Rejected("dec"), kBatches - stored_batches);
  // It passed the quota by at most the batch that crossed it.
  EXPECT_GE(Gauge("strata_edge_outbox_bytes"), kQuota);
  EXPECT_LT(Gauge("strata_edge_outbox_bytes"), kQuota + 16 * 1024);

  // The oldest data is kept, none of it deleted for room.
  std::vector<ObservationRow> rows = StoredBlocks();
  ASSERT_EQ(rows.size(), stored);
  EXPECT_EQ(rows.front().ts_ns, BlockTs(0, 0));
  EXPECT_EQ(rows.back().ts_ns, BlockTs(static_cast<int>(stored_batches) - 1, kBlocksPerBatch - 1));
  EXPECT_EQ(Dropped("obs"), 0);
  ASSERT_EQ(Events("outbox.full").size(), 1u);  // once, not once per refused batch
  EXPECT_NE(Events("outbox.full")[0].detail.find("reject_new"), std::string::npos);
  EXPECT_TRUE(Events("outbox.accepting").empty());

  // The hub acknowledges: room again, one "outbox.accepting" that says what was lost.
  AckEverything();
  ASSERT_TRUE(WaitUntil([&] { return !pipeline_->outbox_full(); }));
  ASSERT_TRUE(WaitUntil([&] { return Events("outbox.accepting").size() == 1; }));
  const std::string detail = Events("outbox.accepting")[0].detail;
  EXPECT_NE(detail.find(std::to_string(refused) + " obs"), std::string::npos) << detail;
  EXPECT_EQ(Gauge("strata_edge_outbox_full"), 0);

  // Storing resumes with the next batch.
  Submit(kBatches);
  EXPECT_EQ(Stored(), stored + kBlocksPerBatch);
  EXPECT_EQ(Rejected("obs"), refused);
  rows = StoredBlocks();
  EXPECT_EQ(rows.back().ts_ns, BlockTs(kBatches, kBlocksPerBatch - 1));

  // Full again later: a second pair of events, still one per transition.
  for (int i = kBatches + 1; i < 2 * kBatches; ++i) Submit(i);
  EXPECT_TRUE(pipeline_->outbox_full());
  EXPECT_EQ(Events("outbox.full").size(), 2u);
  EXPECT_EQ(Events("outbox.accepting").size(), 1u);
}

// While full, reject_new refuses without waiting on anything: a burst of batches handed over
// as fast as the writer takes them is all dealt with, nothing blocks on the hub.
TEST_F(OutboxPolicyTest, RejectNewNeverBlocksTheProducers) {
  StartPipeline(OutboxFullPolicy::kRejectNew);
  int i = 0;
  while (!pipeline_->outbox_full()) Submit(i++);
  const double stored_before = Stored();
  const double rejected_before = Rejected("obs");
  constexpr int kBurst = 500;
  for (int k = 0; k < kBurst; ++k) {
    WriteBatch b = MakeBatch(i + k);
    ASSERT_TRUE(WaitUntil([&] { return pipeline_->TrySubmit(b); }));
  }
  ASSERT_TRUE(
      WaitUntil([&] { return Rejected("obs") == rejected_before + kBurst * kBlocksPerBatch; }));
  EXPECT_EQ(Stored(), stored_before);
  EXPECT_EQ(Events("outbox.full").size(), 1u);
}

// A store reopened over its quota refuses from the first batch.
TEST_F(OutboxPolicyTest, RejectNewAppliesToAStoreReopenedOverItsQuota) {
  StartPipeline(OutboxFullPolicy::kRejectNew, 1 << 20);
  for (int i = 0; i < 12; ++i) Submit(i);  // ~96 KiB, under 1 MiB
  EXPECT_FALSE(pipeline_->outbox_full());
  pipeline_->Stop();
  pipeline_.reset();

  StartPipeline(OutboxFullPolicy::kRejectNew);  // 64 KiB now
  ASSERT_TRUE(WaitUntil([&] { return pipeline_->outbox_full(); }));
  Submit(100);
  EXPECT_EQ(Stored(), 12 * kBlocksPerBatch);
  EXPECT_EQ(Rejected("obs"), kBlocksPerBatch);
}

}  // namespace
}  // namespace strata
