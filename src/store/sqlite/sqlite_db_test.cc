#include "store/sqlite/sqlite_db.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace strata::sqlite {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("sqlite_db_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "t.db").string();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<Db> OpenRw() {
    auto db = Db::Open(path_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }

  std::filesystem::path dir_;
  std::string path_;
};

TEST_F(SqliteDbTest, BindStepAndColumns) {
  auto db = OpenRw();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(i INTEGER, d REAL, s TEXT, b BLOB, n)").ok());
  auto ins = db->Prepare("INSERT INTO t VALUES(?1, ?2, ?3, ?4, ?5)");
  ASSERT_TRUE(ins.ok()) << ins.status().ToString();
  const std::string blob("a\0b", 3);
  ASSERT_TRUE(ins->BindAll(int64_t{-7}, 2.5, std::string_view("text"), Blob{blob}, Null{}).ok());
  ASSERT_TRUE(ins->Run().ok());
  EXPECT_EQ(db->changes(), 1);
  // Bindings survive Run (which resets): the same row again.
  ASSERT_TRUE(ins->Run().ok());
  std::optional<int64_t> none;
  ASSERT_TRUE(ins->BindAll(uint32_t{3}, 0.0, StaticText{"x"}, StaticBlob{""}, none).ok());
  ASSERT_TRUE(ins->Run().ok());

  auto sel = db->Prepare("SELECT i, d, s, b, n FROM t ORDER BY rowid");
  ASSERT_TRUE(sel.ok());
  StatusOr<bool> row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->ColumnInt64(0), -7);
  EXPECT_EQ(sel->ColumnDouble(1), 2.5);
  EXPECT_EQ(sel->ColumnText(2), "text");
  EXPECT_EQ(sel->ColumnBlob(3), blob);
  EXPECT_TRUE(sel->ColumnIsNull(4));
  row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  row = sel->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(sel->ColumnInt64(0), 3);
  EXPECT_TRUE(sel->ColumnIsNull(4));
  row = sel->Step();
  ASSERT_TRUE(row.ok());
  EXPECT_FALSE(*row);
}

TEST_F(SqliteDbTest, ErrorsNameTheFileAndTheStatement) {
  auto db = OpenRw();
  ASSERT_TRUE(db);
  auto bad = db->Prepare("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(path_), std::string::npos) << bad.status().ToString();
  EXPECT_NE(bad.status().message().find("SELEC 1"), std::string::npos);

  ASSERT_TRUE(db->Exec("CREATE TABLE u(k INTEGER PRIMARY KEY)").ok());
  auto ins = db->Prepare("INSERT INTO u VALUES(?1)");
  ASSERT_TRUE(ins.ok());
  ASSERT_TRUE(ins->BindAll(1).ok());
  ASSERT_TRUE(ins->Run().ok());
  Status dup = ins->Run();
  EXPECT_EQ(dup.code(), StatusCode::kAlreadyExists) << dup.ToString();
  EXPECT_NE(dup.message().find("UNIQUE"), std::string::npos) << dup.ToString();
  EXPECT_EQ(ins->BindInt64(5, 1).code(), StatusCode::kInvalidArgument);  // no parameter 5
}

TEST_F(SqliteDbTest, NotADatabaseIsDataLoss) {
  std::ofstream(path_) << std::string(8192, 'x');
  auto db = Db::Open(path_, SQLITE_OPEN_READWRITE);
  ASSERT_TRUE(db.ok());  // SQLite reads the file lazily
  StatusOr<int64_t> n = (*db)->QueryInt64("SELECT COUNT(*) FROM sqlite_master");
  ASSERT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), StatusCode::kDataLoss) << n.status().ToString();
}

TEST_F(SqliteDbTest, MissingFileReadOnlyIsNotFound) {
  auto db = Db::Open(path_, SQLITE_OPEN_READONLY);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kNotFound) << db.status().ToString();
  EXPECT_NE(db.status().message().find(path_), std::string::npos);
}

TEST_F(SqliteDbTest, TransactionRollsBackUnlessCommitted) {
  auto db = OpenRw();
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->Exec("CREATE TABLE t(x)").ok());
  {
    auto txn = Transaction::Begin(*db);
    ASSERT_TRUE(txn.ok());
    EXPECT_TRUE(db->in_transaction());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(1)").ok());
  }
  EXPECT_FALSE(db->in_transaction());
  EXPECT_EQ(*db->QueryInt64("SELECT COUNT(*) FROM t"), 0);
  {
    auto txn = Transaction::Begin(*db, Transaction::Mode::kDeferred);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(db->Exec("INSERT INTO t VALUES(2)").ok());
    ASSERT_TRUE(txn->Commit().ok());
    EXPECT_FALSE(txn->Commit().ok());  // already committed
  }
  EXPECT_EQ(*db->QueryInt64("SELECT COUNT(*) FROM t"), 1);
  // A second writer connection cannot start an immediate transaction while one is open.
  auto other = OpenRw();
  ASSERT_TRUE(other);
  sqlite3_busy_timeout(other->get(), 0);
  auto txn = Transaction::Begin(*db);
  ASSERT_TRUE(txn.ok());
  auto blocked = Transaction::Begin(*other);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable) << blocked.status().ToString();
}

}  // namespace
}  // namespace strata::sqlite
