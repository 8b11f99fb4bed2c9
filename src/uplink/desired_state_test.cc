#include "uplink/desired_state.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace strata {
namespace {

using nlohmann::json;

TEST(DesiredStateTest, TheApiTakesOnlyKnownKeys) {
  auto d = DecodeDesiredDocument(R"({"config_version":"line-1 v7"})", false);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->config_version, "line-1 v7");
  EXPECT_EQ(EncodeDesiredDocument(*d), R"({"config_version":"line-1 v7"})");

  auto empty = DecodeDesiredDocument("{}", false);
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(empty->config_version.has_value());

  auto typo = DecodeDesiredDocument(R"({"config_versoin":"v7"})", false);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.status().message().find("unknown key 'config_versoin'"), std::string::npos);
  EXPECT_NE(typo.status().message().find("config_version"), std::string::npos);
}

TEST(DesiredStateTest, BadDocumentsSayWhatIsWrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"[]", "must be a JSON object"},
      {"{", "must be a JSON object"},
      {R"({"config_version":7})", "'config_version' must be a string"},
      {R"({"config_version":""})", "1..128 characters"},
      {R"({"config_version":"a\nb"})", "control characters"},
  };
  for (const auto& [text, expected] : cases) {
    auto d = DecodeDesiredDocument(text, false);
    ASSERT_FALSE(d.ok()) << text;
    EXPECT_NE(d.status().message().find(expected), std::string::npos)
        << text << ": " << d.status().message();
  }
  EXPECT_FALSE(
      DecodeDesiredDocument(R"({"config_version":")" + std::string(129, 'x') + "\"}", false).ok());
}

TEST(DesiredStateTest, AnEdgeListsTheKeysItDoesNotKnow) {
  auto d = DecodeDesiredDocument(R"({"config_version":"v7","models":{"pump":"3"}})", true);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->config_version, "v7");
  EXPECT_EQ(d->unknown_keys, std::vector<std::string>{"models"});
}

TEST(DesiredStateTest, MessagesRoundTrip) {
  const std::string payload =
      EncodeDesiredMessage("edge-1", 3, 1'700'000'000'000'000'000, R"({"config_version":"v7"})");
  auto m = DecodeDesiredMessage(payload);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->edge_id, "edge-1");
  EXPECT_EQ(m->version, 3u);
  EXPECT_EQ(m->updated_ns, 1'700'000'000'000'000'000);
  EXPECT_EQ(m->desired.config_version, "v7");
}

TEST(DesiredStateTest, BadMessagesAreRefused) {
  for (const char* payload :
       {"", "null", R"({"edge":"e","version":0,"desired":{}})",
        R"({"edge":"e","version":-1,"desired":{}})", R"({"version":1,"desired":{}})",
        R"({"edge":"e","version":1})", R"({"edge":"e","version":1,"desired":{"config_version":5}})",
        R"({"edge":"e","version":1,"updated":"x","desired":{}})"}) {
    EXPECT_FALSE(DecodeDesiredMessage(payload).ok()) << payload;
  }
}

TEST(DesiredStateTest, ReportsCarryStateAndBothVersions) {
  AppliedReport r;
  r.edge_id = "edge-1";
  r.version = 4;
  r.ts_ns = 5;
  r.state = AppliedReport::State::kPending;
  r.desired_config = "v8";
  r.running_config = "v7";
  r.ignored = {"models"};
  r.message = "deploy v8";
  const json doc = json::parse(EncodeAppliedReport(r));
  EXPECT_EQ(doc["kind"], "applied");
  EXPECT_EQ(doc["version"], 4);
  EXPECT_EQ(doc["state"], "pending");
  EXPECT_EQ(doc["config_version"]["desired"], "v8");
  EXPECT_EQ(doc["config_version"]["running"], "v7");
  EXPECT_EQ(doc["ignored"][0], "models");
  EXPECT_EQ(doc["message"], "deploy v8");
}

}  // namespace
}  // namespace strata
