#include "hub/store/postgres/postgres_hub_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "hub/store/hub_store_conformance.h"
#include "testing/postgres_server.h"

namespace strata {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
constexpr int64_t kHour = 3'600'000'000'000;

// One server per test process (ctest runs each test in a process of its own; a whole-binary
// run shares it), started on first use and removed by the environment's TearDown.
std::mutex server_mu;
StatusOr<std::unique_ptr<testing::PostgresServer>>* server_slot = nullptr;  // guarded by server_mu

StatusOr<testing::PostgresServer*> Server() {
  std::lock_guard lock(server_mu);
  if (server_slot == nullptr) {
    server_slot =
        new StatusOr<std::unique_ptr<testing::PostgresServer>>(testing::PostgresServer::Start());
  }
  if (!server_slot->ok()) return server_slot->status();
  if (server_slot->value() == nullptr) return FailedPreconditionError("the server was removed");
  return server_slot->value().get();
}

// Stops and removes the server (if a test started one) before static destruction.
class ServerEnvironment : public ::testing::Environment {
 public:
  void TearDown() override {
    std::lock_guard lock(server_mu);
    if (server_slot != nullptr && server_slot->ok()) server_slot->value().reset();
  }
};
const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ServerEnvironment());

// A fresh database on the shared server.
StatusOr<std::string> FreshDatabase() {
  static std::atomic<int> counter{0};
  STRATA_ASSIGN_OR_RETURN(testing::PostgresServer * server, Server());
  const std::string name = "hub_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
  STRATA_RETURN_IF_ERROR(server->CreateDatabase(name));
  return name;
}

HubStoreOptions PostgresOptions(const std::string& database, int64_t partition_ns = kHour) {
  HubStoreOptions o;
  o.engine = HubStoreOptions::Engine::kPostgres;
  o.postgres_url = (*Server())->url(database);
  // Narrow partitions, so that the suite's data spans several.
  o.partition_ns = partition_ns;
  return o;
}

class PostgresTestDatabase final : public HubStoreTestDatabase {
 public:
  explicit PostgresTestDatabase(std::string name) : name_(std::move(name)) {}
  // Dropped, so that a whole-binary run does not leave the server dozens of databases to flush
  // at shutdown.
  ~PostgresTestDatabase() override {
    StatusOr<testing::PostgresServer*> server = Server();
    if (server.ok()) {
      (*server)
          ->QueryText("postgres", "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)")
          .status()
          .IgnoreError();  // best effort: the server and its directory go at exit anyway
    }
  }
  HubStoreOptions options() const override { return PostgresOptions(name_); }

 private:
  std::string name_;
};

StatusOr<std::unique_ptr<HubStoreTestDatabase>> MakePostgresDatabase() {
  STRATA_ASSIGN_OR_RETURN(std::string name, FreshDatabase());
  return std::unique_ptr<HubStoreTestDatabase>(
      std::make_unique<PostgresTestDatabase>(std::move(name)));
}

INSTANTIATE_TEST_SUITE_P(Postgres, HubStoreConformanceTest,
                         ::testing::Values(HubStoreEngine{"postgres", MakePostgresDatabase}),
                         HubStoreEngineName);

UplinkBatch Batch(const std::string& edge, uint64_t first, uint64_t count, int64_t t0,
                  int64_t step) {
  UplinkBatch b;
  b.edge_id = edge;
  b.stream = "obs";
  b.first_seq = first;
  b.floor_seq = 1;
  for (uint64_t s = first; s < first + count; ++s) {
    ObservationRow o;
    o.asset = "acme/plant-1/line-2/pump-07";
    o.signal = "motor.current";
    o.unit = "A";
    o.ts_ns = t0 + static_cast<int64_t>(s - first) * step;
    o.ingest_ts_ns = o.ts_ns;
    o.value = static_cast<double>(s);
    o.source = {.protocol = "modbus", .endpoint = "tcp://10.0.0.7:502", .address = "hr:40001"};
    b.observations.push_back(o);
  }
  return b;
}

class PostgresHubStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<testing::PostgresServer*> server = Server();
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = *server;
    StatusOr<std::string> db = FreshDatabase();
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    database_ = *db;
  }

  std::unique_ptr<HubStore> Open(int64_t partition_ns = kHour) {
    StatusOr<std::unique_ptr<HubStore>> store =
        OpenHubStore(PostgresOptions(database_, partition_ns));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  std::string Query(const std::string& sql) {
    StatusOr<std::string> v = server_->QueryText(database_, sql);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return v.ok() ? *v : "";
  }

  testing::PostgresServer* server_ = nullptr;
  std::string database_;
};

TEST_F(PostgresHubStoreTest, ObservationsArePartitionedByTimeOnDemand) {
  std::unique_ptr<HubStore> store = Open();
  ASSERT_NE(store, nullptr);
  // 3 hours of readings, 10 minutes apart, from the start of an hour: 3 partitions.
  const int64_t start = (kT0 / kHour) * kHour;
  StatusOr<IngestOutcome> out = store->IngestBatch(Batch("edge-a", 1, 18, start, kHour / 6), kT0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'observations'::regclass"),
            "3");
  const int64_t k = start / kHour;
  EXPECT_EQ(Query("SELECT count(*) FROM ONLY observations_p" + std::to_string(k + 1)), "6");
  // Before 1970 too.
  out = store->IngestBatch(Batch("edge-a", 19, 1, -kHour / 2, 1), kT0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Query("SELECT count(*) FROM ONLY observations_pm1"), "1");

  // The width is the database's: a hub configured with another one uses the stored width.
  store.reset();
  store = Open(24 * kHour);
  ASSERT_NE(store, nullptr);
  out = store->IngestBatch(Batch("edge-a", 20, 6, start + 3 * kHour, kHour / 6), kT0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->through, 25u);
  EXPECT_EQ(Query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'observations'::regclass"),
            "5");
  EXPECT_EQ(Query("SELECT value FROM strata_meta WHERE key = 'partition_ns'"),
            std::to_string(kHour));
}

// Several hubs (store objects with pools of their own) that all need the same new partitions
// at once: every batch is stored, each partition made once.
TEST_F(PostgresHubStoreTest, HubsRacingToCreateAPartitionAllSucceed) {
  constexpr int kHubs = 4;
  std::vector<std::unique_ptr<HubStore>> hubs;
  for (int i = 0; i < kHubs; ++i) {
    hubs.push_back(Open());
    ASSERT_NE(hubs.back(), nullptr);
  }
  const int64_t start = (kT0 / kHour) * kHour + 100 * kHour;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kHubs; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < 3; ++round) {
        // Each round enters two new partitions.
        const UplinkBatch b = Batch("edge-" + std::to_string(i), 1 + round * 10, 10,
                                    start + round * 2 * kHour, kHour / 5);
        StatusOr<IngestOutcome> out = hubs[static_cast<size_t>(i)]->IngestBatch(b, kT0);
        if (!out.ok()) {
          ADD_FAILURE() << out.status().ToString();
          ++failures;
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Query("SELECT count(*) FROM observations"), std::to_string(kHubs * 30));
  EXPECT_EQ(Query("SELECT count(*) FROM pg_inherits WHERE inhparent = 'observations'::regclass"),
            "6");
}

// The server crashes (kill -9) and comes back: what was acknowledged is there, and the store
// reconnects by itself.
TEST_F(PostgresHubStoreTest, SurvivesAServerCrashAndReconnects) {
  std::unique_ptr<HubStore> store = Open();
  ASSERT_NE(store, nullptr);
  // What crash recovery replays is then this test's work, not the other tests' databases.
  ASSERT_TRUE(server_->QueryText("postgres", "CHECKPOINT").ok());
  StatusOr<IngestOutcome> out = store->IngestBatch(Batch("edge-a", 1, 1000, kT0, 1000), kT0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_EQ(out->through, 1000u);

  server_->Kill();
  EXPECT_FALSE(server_->running());
  // While it is down: Unavailable, naming the server.
  out = store->IngestBatch(Batch("edge-a", 1001, 10, kT0 + 2'000'000, 1000), kT0);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(out.status().message(), HasSubstr("127.0.0.1"));

  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  // A replay of the acknowledged batch stores nothing; the next one continues.
  out = store->IngestBatch(Batch("edge-a", 1, 1000, kT0, 1000), kT0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->stored, 0u);
  out = store->IngestBatch(Batch("edge-a", 1001, 10, kT0 + 2'000'000, 1000), kT0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->through, 1010u);
  EXPECT_EQ(Query("SELECT count(DISTINCT seq) FROM observations"), "1010");
  EXPECT_EQ(Query("SELECT count(*) FROM observations"), "1010");
}

TEST_F(PostgresHubStoreTest, TextPostgresCannotHoldIsReplacedNotRefused) {
  std::unique_ptr<HubStore> store = Open();
  ASSERT_NE(store, nullptr);
  UplinkBatch b = Batch("edge-a", 1, 1, kT0, 1);
  b.observations[0].asset = std::string("bad\xff\xfe", 5) + std::string("nul\0x", 5);
  StatusOr<IngestOutcome> out = store->IngestBatch(b, kT0);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(out->through, 1u);
  HubObservationQuery q;
  q.asset = "bad\xEF\xBF\xBD\xEF\xBF\xBDnul\xEF\xBF\xBDx";
  q.to_ns = kT0 + 1;
  StatusOr<std::vector<ObservationRow>> rows = store->QueryObservations(q);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  EXPECT_THAT(*rows, SizeIs(1));
}

// A database written by strata before desired state (schema 1): opening it adds the table,
// once, even when two hubs open it at the same time, and keeps what it held.
TEST_F(PostgresHubStoreTest, MigratesASchema1Database) {
  {
    std::unique_ptr<HubStore> store = Open();
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(Query("SELECT value FROM strata_meta WHERE key = 'schema_version'"), "2");
    EdgeEntry edge;
    edge.edge_id = "edge-a";
    edge.tenant = "acme";
    ASSERT_TRUE(store->UpsertEdge(edge).ok());
  }
  Query("DROP TABLE desired; UPDATE strata_meta SET value = '1' WHERE key = 'schema_version'");
  ASSERT_EQ(Query("SELECT to_regclass('desired') IS NULL"), "t");

  StatusOr<std::unique_ptr<HubStore>> other = UnavailableError("not opened");
  std::thread opener([&] { other = OpenHubStore(PostgresOptions(database_)); });
  StatusOr<std::unique_ptr<HubStore>> opened = OpenHubStore(PostgresOptions(database_));
  opener.join();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(Query("SELECT value FROM strata_meta WHERE key = 'schema_version'"), "2");
  HubStore& store = **opened;
  StatusOr<std::optional<EdgeEntry>> edge = store.GetEdge("edge-a");
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  ASSERT_TRUE(edge->has_value());
  EXPECT_EQ((*edge)->tenant, "acme");
  StatusOr<DesiredState> set = store.SetDesired("edge-a", R"({"v":1})", kT0);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->version, 1u);
  StatusOr<std::optional<DesiredState>> got = (*other)->GetDesired("edge-a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->document, R"({"v":1})");
}

TEST_F(PostgresHubStoreTest, RefusesADatabaseOfAnotherApplication) {
  Query("CREATE TABLE observations(id int)");
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(PostgresOptions(database_));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("not a strata hub database"));
}

TEST_F(PostgresHubStoreTest, ConnectionErrorsNameTheServerButNotThePassword) {
  StatusOr<int> port = FreeTcpPort();
  ASSERT_TRUE(port.ok());
  HubStoreOptions o;
  o.engine = HubStoreOptions::Engine::kPostgres;
  o.postgres_url = "postgresql://strata:s3cret@127.0.0.1:" + std::to_string(*port) + "/hub";
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(o);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(store.status().message(), HasSubstr("127.0.0.1:" + std::to_string(*port)));
  EXPECT_THAT(store.status().message(), Not(HasSubstr("s3cret")));
  o.postgres_url = "";
  EXPECT_EQ(OpenHubStore(o).status().code(), StatusCode::kInvalidArgument);
}

TEST(RedactPostgresUrlTest, HidesPasswordsInEveryForm) {
  EXPECT_EQ(RedactPostgresUrl("postgresql://strata:pw@db:5432/hub"),
            "postgresql://strata:***@db:5432/hub");
  EXPECT_EQ(RedactPostgresUrl("postgresql://strata@db/hub"), "postgresql://strata@db/hub");
  EXPECT_EQ(RedactPostgresUrl("postgresql://db/hub?user=u&password=pw&sslmode=require"),
            "postgresql://db/hub?user=u&password=***&sslmode=require");
  EXPECT_EQ(RedactPostgresUrl("host=db user=u password=pw dbname=hub"),
            "host=db user=u password=*** dbname=hub");
  EXPECT_EQ(RedactPostgresUrl("host=db password = 'p w\\'x' dbname=hub"),
            "host=db password = *** dbname=hub");
}

}  // namespace
}  // namespace strata
