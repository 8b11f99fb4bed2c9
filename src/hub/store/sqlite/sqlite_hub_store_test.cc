#include "hub/store/sqlite/sqlite_hub_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "hub/store/hub_store_conformance.h"
#include "store/sqlite/sqlite_db.h"
#include "testing/testing.h"

namespace strata {
namespace {

using ::testing::HasSubstr;

class SqliteTestDatabase final : public HubStoreTestDatabase {
 public:
  HubStoreOptions options() const override {
    HubStoreOptions o;
    o.engine = HubStoreOptions::Engine::kSqlite;
    o.sqlite_path = dir_.File("hub.db");
    return o;
  }

 private:
  testing::TempDir dir_;
};

StatusOr<std::unique_ptr<HubStoreTestDatabase>> MakeSqliteDatabase() {
  return std::unique_ptr<HubStoreTestDatabase>(std::make_unique<SqliteTestDatabase>());
}

INSTANTIATE_TEST_SUITE_P(Sqlite, HubStoreConformanceTest,
                         ::testing::Values(HubStoreEngine{"sqlite", MakeSqliteDatabase}),
                         HubStoreEngineName);

HubStoreOptions SqliteAt(const std::string& path) {
  HubStoreOptions o;
  o.sqlite_path = path;
  return o;
}

TEST(SqliteHubStoreTest, UsesWalAVersionedSchemaAndTheSeriesIndex) {
  testing::TempDir dir;
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(SqliteAt(dir.File("hub.db")));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StatusOr<std::unique_ptr<sqlite::Db>> db =
      sqlite::Db::Open(dir.File("hub.db"), SQLITE_OPEN_READONLY);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*(*db)->QueryText("PRAGMA journal_mode"), "wal");
  EXPECT_EQ(*(*db)->QueryText("SELECT value FROM meta WHERE key = 'schema_version'"), "2");
  EXPECT_EQ(*(*db)->QueryText("SELECT value FROM meta WHERE key = 'store'"), "strata-hub");
  // The (series, ts) index serves observation queries.
  StatusOr<sqlite::Statement> explain = (*db)->Prepare(
      "EXPLAIN QUERY PLAN SELECT o.ts FROM series s CROSS JOIN observations o "
      "ON o.series_id = s.id WHERE s.asset = 'a' AND o.ts >= 1 AND o.ts < 2");
  ASSERT_TRUE(explain.ok()) << explain.status().ToString();
  std::string plan;
  while (*explain->Step()) plan += std::string(explain->ColumnText(3)) + " | ";
  EXPECT_THAT(plan, HasSubstr("observations_by_series_ts"));
}

TEST(SqliteHubStoreTest, RefusesAFileThatIsNotAHubStore) {
  testing::TempDir dir;
  {
    StatusOr<std::unique_ptr<sqlite::Db>> db =
        sqlite::Db::Open(dir.File("edge.db"), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT); "
                           "INSERT INTO meta VALUES('schema_version', '3')")
                    .ok());
  }
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(SqliteAt(dir.File("edge.db")));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("not a strata hub store"));
  EXPECT_THAT(store.status().message(), HasSubstr("edge.db"));

  testing::WriteTextFile(dir.File("text.db"), std::string(8192, 'x'));
  store = OpenHubStore(SqliteAt(dir.File("text.db")));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(store.status().message(), HasSubstr("text.db"));
}

TEST(SqliteHubStoreTest, RefusesASchemaFromANewerStrata) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenHubStore(SqliteAt(dir.File("hub.db"))).ok());
  {
    StatusOr<std::unique_ptr<sqlite::Db>> db =
        sqlite::Db::Open(dir.File("hub.db"), SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec("UPDATE meta SET value = '99' WHERE key = 'schema_version'").ok());
  }
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(SqliteAt(dir.File("hub.db")));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(store.status().message(), HasSubstr("newer strata"));
}

// A store written by strata before desired state (schema 1): opening it adds the table, once,
// even when two hubs open it at the same time, and keeps what it held.
TEST(SqliteHubStoreTest, MigratesASchema1Store) {
  testing::TempDir dir;
  const std::string path = dir.File("hub.db");
  {
    StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(SqliteAt(path));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    EdgeEntry edge;
    edge.edge_id = "edge-a";
    edge.tenant = "acme";
    ASSERT_TRUE((*store)->UpsertEdge(edge).ok());
  }
  {
    StatusOr<std::unique_ptr<sqlite::Db>> db = sqlite::Db::Open(path, SQLITE_OPEN_READWRITE);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)
                    ->Exec("DROP TABLE desired; "
                           "UPDATE meta SET value = '1' WHERE key = 'schema_version'")
                    .ok());
  }
  StatusOr<std::unique_ptr<HubStore>> other = UnavailableError("not opened");
  std::thread opener([&] { other = OpenHubStore(SqliteAt(path)); });
  StatusOr<std::unique_ptr<HubStore>> opened = OpenHubStore(SqliteAt(path));
  opener.join();
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  HubStore& store = **opened;
  {
    StatusOr<std::unique_ptr<sqlite::Db>> db = sqlite::Db::Open(path, SQLITE_OPEN_READONLY);
    ASSERT_TRUE(db.ok());
    EXPECT_EQ(*(*db)->QueryText("SELECT value FROM meta WHERE key = 'schema_version'"), "2");
  }
  StatusOr<std::optional<EdgeEntry>> edge = store.GetEdge("edge-a");
  ASSERT_TRUE(edge.ok()) << edge.status().ToString();
  ASSERT_TRUE(edge->has_value());
  EXPECT_EQ((*edge)->tenant, "acme");
  StatusOr<DesiredState> set = store.SetDesired("edge-a", R"({"v":1})", 1);
  ASSERT_TRUE(set.ok()) << set.status().ToString();
  EXPECT_EQ(set->version, 1u);
  StatusOr<std::optional<DesiredState>> got = (*other)->GetDesired("edge-a");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->document, R"({"v":1})");
}

TEST(SqliteHubStoreTest, NamesAMissingDirectoryAndAMissingPath) {
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(SqliteAt("/nonexistent/dir/hub.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(store.status().message(), HasSubstr("/nonexistent/dir"));
  store = OpenHubStore(SqliteAt(""));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(store.status().message(), HasSubstr("path"));
}

}  // namespace
}  // namespace strata
