#include "edge/desired_keeper.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file_util.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

class DesiredKeeperTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("desired-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string File() const { return (dir_ / "edge-1.desired.json").string(); }
  std::unique_ptr<DesiredKeeper> Keeper(const std::string& running = "v7") {
    return std::make_unique<DesiredKeeper>(File(), "edge-1", running, clock_, metrics_);
  }
  static json Report(const std::optional<std::string>& r) {
    EXPECT_TRUE(r.has_value());
    return r ? json::parse(*r) : json();
  }

  fs::path dir_;
  FakeClock clock_{1'000};
  MetricsRegistry metrics_;
};

TEST_F(DesiredKeeperTest, TheConfigTheEdgeRunsIsApplied) {
  auto k = Keeper("v7");
  const json r =
      Report(k->OnMessage(EncodeDesiredMessage("edge-1", 1, 5, R"({"config_version":"v7"})")));
  EXPECT_EQ(r["kind"], "applied");
  EXPECT_EQ(r["version"], 1);
  EXPECT_EQ(r["state"], "applied");
  EXPECT_EQ(r["config_version"]["running"], "v7");
  EXPECT_EQ(r["ts"], 1'000);
  EXPECT_FALSE(r.contains("message"));
  EXPECT_EQ(metrics_.Value("strata_edge_desired_version"), 1);
  EXPECT_EQ(metrics_.Value("strata_edge_desired_in_sync"), 1);
}

TEST_F(DesiredKeeperTest, AnotherConfigIsPendingAndSaysWhatToDo) {
  auto k = Keeper("v7");
  const json r =
      Report(k->OnMessage(EncodeDesiredMessage("edge-1", 2, 5, R"({"config_version":"v8"})")));
  EXPECT_EQ(r["state"], "pending");
  EXPECT_EQ(r["config_version"]["desired"], "v8");
  EXPECT_EQ(r["config_version"]["running"], "v7");
  EXPECT_NE(r["message"].get<std::string>().find("restart the edge"), std::string::npos);
  EXPECT_EQ(metrics_.Value("strata_edge_desired_in_sync"), 0);
}

TEST_F(DesiredKeeperTest, KeysOfANewerHubAreReportedAsIgnored) {
  auto k = Keeper("v7");
  const json r = Report(k->OnMessage(
      EncodeDesiredMessage("edge-1", 1, 5, R"({"config_version":"v7","models":{"pump":"4"}})")));
  EXPECT_EQ(r["state"], "applied");
  EXPECT_EQ(r["ignored"], json::array({"models"}));
}

TEST_F(DesiredKeeperTest, KeptAcrossARestartAndOlderVersionsAreIgnored) {
  {
    auto k = Keeper();
    ASSERT_TRUE(k->OnMessage(EncodeDesiredMessage("edge-1", 3, 5, R"({"config_version":"v8"})")));
  }
  auto again = Keeper();
  again->Load();
  ASSERT_TRUE(again->kept().has_value());
  EXPECT_EQ(again->kept()->version, 3u);
  EXPECT_EQ(again->kept()->desired.config_version, "v8");
  EXPECT_EQ(metrics_.Value("strata_edge_desired_in_sync"), 0);
  // A stale retained message (version 2) changes nothing; the same version is answered again.
  EXPECT_FALSE(
      again->OnMessage(EncodeDesiredMessage("edge-1", 2, 5, R"({"config_version":"v7"})")));
  EXPECT_EQ(again->kept()->version, 3u);
  EXPECT_EQ(Report(again->OnMessage(
                EncodeDesiredMessage("edge-1", 3, 5, R"({"config_version":"v8"})")))["version"],
            3);
}

TEST_F(DesiredKeeperTest, AHubRestoredFromABackupCountsAgainFromALowerVersion) {
  auto k = Keeper("v7");
  ASSERT_TRUE(k->OnMessage(EncodeDesiredMessage("edge-1", 5, 500, R"({"config_version":"v9"})")));
  // Version 3, set later than version 5 was: the hub's store went back; this is the newest.
  const json r =
      Report(k->OnMessage(EncodeDesiredMessage("edge-1", 3, 900, R"({"config_version":"v7"})")));
  EXPECT_EQ(r["version"], 3);
  EXPECT_EQ(r["state"], "applied");
  EXPECT_EQ(k->kept()->version, 3u);
  auto again = Keeper("v7");
  again->Load();
  EXPECT_EQ(again->kept()->updated_ns, 900);
}

TEST_F(DesiredKeeperTest, BadMessagesAreRejectedAndChangeNothing) {
  auto k = Keeper();
  // Before anything is kept, garbage is answered "rejected" for no version.
  const json first = Report(k->OnMessage("not json"));
  EXPECT_EQ(first["state"], "rejected");
  EXPECT_EQ(first["version"], 0);
  ASSERT_TRUE(k->OnMessage(EncodeDesiredMessage("edge-1", 1, 5, R"({"config_version":"v7"})")));
  // Garbage and another edge's message leave the state of version 1 as it was, and say why.
  for (const std::string& bad :
       {std::string("not json"),
        EncodeDesiredMessage("edge-2", 9, 5, R"({"config_version":"v9"})")}) {
    const json r = Report(k->OnMessage(bad));
    EXPECT_EQ(r["version"], 1) << bad;
    EXPECT_EQ(r["state"], "applied") << bad;
    EXPECT_FALSE(r["last_rejected"].get<std::string>().empty()) << bad;
  }
  // A version of this edge that does not read is rejected as that version.
  const json r =
      Report(k->OnMessage(R"({"edge":"edge-1","version":9,"desired":{"config_version":5}})"));
  EXPECT_EQ(r["version"], 9);
  EXPECT_EQ(r["state"], "rejected");
  EXPECT_NE(r["message"].get<std::string>().find("config_version"), std::string::npos);
  EXPECT_EQ(metrics_.Value("strata_edge_desired_rejected_total"), 4);
  EXPECT_EQ(k->kept()->version, 1u);
  EXPECT_FALSE(k->OnMessage(""));  // a cleared retained message
}

TEST_F(DesiredKeeperTest, ADamagedFileIsReplacedByTheNextMessage) {
  ASSERT_TRUE(WriteFileAtomically(File(), "{broken").ok());
  auto k = Keeper();
  k->Load();
  EXPECT_FALSE(k->kept().has_value());
  ASSERT_TRUE(k->OnMessage(EncodeDesiredMessage("edge-1", 1, 5, R"({"config_version":"v7"})")));
  auto again = Keeper();
  again->Load();
  ASSERT_TRUE(again->kept().has_value());
  EXPECT_EQ(again->kept()->version, 1u);
}

}  // namespace
}  // namespace strata
