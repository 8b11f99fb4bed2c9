// The data routes over real HTTP against an SQLite hub store filled through IngestBatch: what
// goes in comes back out; bad parameters get 400 naming them; strings that look like SQL are
// plain values.
#include "api/api_routes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "api/api_test_fixture.h"
#include "core/time_util.h"

namespace strata::api::testing {
namespace {

using nlohmann::json;

std::string T(int64_t ns) { return ApiTime(ns); }

class ApiRoutesTest : public ApiTest {};

TEST_F(ApiRoutesTest, EdgesShowRegistryHeartbeatAndUplinkProgress) {
  Response r = Get("/api/v1/edges", Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["items"].size(), 1u);
  const json& e = r.body["items"][0];
  EXPECT_EQ(e["edge_id"], kEdge);
  EXPECT_EQ(e["enrolled"], true);
  EXPECT_EQ(e["tenant"], "acme");
  EXPECT_EQ(e["heartbeat"]["uptime_s"], 3600);
  EXPECT_EQ(e["last_seen"], T(kNow - 5 * kSec));  // the last batch, after the heartbeat
  EXPECT_DOUBLE_EQ(e["last_seen_age_seconds"].get<double>(), 5.0);
  EXPECT_FALSE(r.text.find("credential") != std::string::npos);
  std::map<std::string, json> streams;
  for (const json& s : e["streams"]) streams[s["stream"]] = s;
  ASSERT_EQ(streams.size(), 4u);
  EXPECT_EQ(streams["obs"]["through"], 2 * kObsPerSignal + 1);
  EXPECT_EQ(streams["obs"]["records"], 2 * kObsPerSignal + 1);
  EXPECT_EQ(streams["dlq"]["through"], 3);
  EXPECT_EQ(streams["dec"]["through"], 4);
  EXPECT_EQ(streams["alr"]["through"], 3);
  EXPECT_EQ(streams["obs"]["updated"], T(kNow - 5 * kSec));
  EXPECT_DOUBLE_EQ(streams["obs"]["lag_seconds"].get<double>(), 5.0);

  Response one = Get("/api/v1/edges/edge-1", Viewer());
  ASSERT_EQ(one.status, 200);
  EXPECT_EQ(one.body, e);
  Response missing = Get("/api/v1/edges/edge-9", Viewer());
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("edge-9"), std::string::npos);
}

TEST_F(ApiRoutesTest, DesiredStateIsVersionedAndComparedWithWhatTheEdgeReports) {
  Response none = Get("/api/v1/edges/edge-1", Viewer());
  ASSERT_EQ(none.status, 200);
  EXPECT_EQ(none.body["desired"]["version"], 0);
  EXPECT_EQ(none.body["desired"]["state"], "none");

  const std::string& engineer = TokenOf(Role::kEngineer);
  Response set =
      Call("PUT", "/api/v1/edges/edge-1/desired", engineer, R"({"config_version":"line-1 v7"})");
  ASSERT_EQ(set.status, 200) << set.text;
  EXPECT_EQ(set.body["desired"]["version"], 1);
  EXPECT_EQ(set.body["desired"]["document"]["config_version"], "line-1 v7");
  EXPECT_EQ(set.body["desired"]["state"], "unknown");
  EXPECT_EQ(set.body["desired"]["updated"], T(kNow));
  EXPECT_EQ(set.body["topic"], "strata/v1/acme/edge/edge-1/desired");
  EXPECT_EQ(desired_changed_.load(), 1);

  // The edge reports version 1 applied: the API says so, in the edge and in the list.
  ASSERT_TRUE(
      real_store_
          ->RecordReported("edge-1", R"({"kind":"applied","version":1,"state":"applied"})", kNow)
          .ok());
  Response one = Get("/api/v1/edges/edge-1", Viewer());
  EXPECT_EQ(one.body["desired"]["state"], "applied");
  EXPECT_EQ(Get("/api/v1/edges", Viewer()).body["items"][0]["desired"], one.body["desired"]);

  // A new version: that report is for the old one.
  Response again =
      Call("PUT", "/api/v1/edges/edge-1/desired", engineer, R"({"config_version":"line-1 v8"})");
  ASSERT_EQ(again.status, 200) << again.text;
  EXPECT_EQ(again.body["desired"]["version"], 2);
  EXPECT_EQ(again.body["desired"]["state"], "unknown");
  EXPECT_EQ(desired_changed_.load(), 2);

  // A report with fields of other types (an older, newer or broken edge) is no state, and never
  // an error of the fleet routes.
  for (const char* odd : {R"({"kind":"applied","version":"2","state":"applied"})",
                          R"({"kind":"applied","version":2,"state":7})",
                          R"({"kind":["applied"],"version":2})", R"([1,2])", "not json"}) {
    ASSERT_TRUE(real_store_->RecordReported("edge-1", odd, kNow).ok());
    Response r = Get("/api/v1/edges", Viewer());
    ASSERT_EQ(r.status, 200) << odd << ": " << r.text;
    EXPECT_EQ(r.body["items"][0]["desired"]["state"], "unknown") << odd;
  }
}

TEST_F(ApiRoutesTest, BadDesiredStatesAreRefusedAndStoreNothing) {
  const std::string& engineer = TokenOf(Role::kEngineer);
  const std::pair<const char*, const char*> cases[] = {
      {R"({"config_versoin":"v7"})", "unknown key 'config_versoin'"},
      {R"({"config_version":7})", "'config_version' must be a string"},
      {R"([1])", "must be a JSON object"},
      {R"({"config_version":"'; DROP TABLE desired; --"})", ""},  // a plain value: accepted
  };
  int accepted = 0;
  for (const auto& [body, expected] : cases) {
    Response r = Call("PUT", "/api/v1/edges/edge-1/desired", engineer, body);
    if (std::string(expected).empty()) {
      EXPECT_EQ(r.status, 200) << r.text;
      ++accepted;
      continue;
    }
    EXPECT_EQ(r.status, 400) << body;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find(expected), std::string::npos)
        << r.text;
  }
  Response missing =
      Call("PUT", "/api/v1/edges/edge-9/desired", engineer, R"({"config_version":"v7"})");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body["error"]["message"].get<std::string>().find("not enrolled"),
            std::string::npos);
  auto stored = real_store_->GetDesired("edge-1");
  ASSERT_TRUE(stored.ok() && stored->has_value());
  EXPECT_EQ((*stored)->version, static_cast<uint64_t>(accepted));
  EXPECT_EQ((*stored)->document, R"({"config_version":"'; DROP TABLE desired; --"})");
  EXPECT_FALSE(real_store_->GetDesired("edge-9")->has_value());
}

TEST_F(ApiRoutesTest, AssetsListLastSeenStalenessAndOpenAlerts) {
  Response r = Get("/api/v1/assets", Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["items"].size(), 2u);
  const json& pump1 = r.body["items"][0];
  EXPECT_EQ(pump1["asset"], kAsset);
  EXPECT_EQ(pump1["signals"], 2);
  EXPECT_EQ(pump1["last_seen"], T(kNow - 60 * kSec));
  EXPECT_DOUBLE_EQ(pump1["staleness_seconds"].get<double>(), 60.0);
  EXPECT_EQ(pump1["active_alerts"], 1);  // alert-b was cleared
  EXPECT_EQ(pump1["edges"], json::array({kEdge}));
  const json& pump2 = r.body["items"][1];
  EXPECT_EQ(pump2["asset"], kOtherAsset);
  EXPECT_DOUBLE_EQ(pump2["staleness_seconds"].get<double>(), 7200.0);
  EXPECT_EQ(pump2["active_alerts"], 0);
}

TEST_F(ApiRoutesTest, TheDigitalTwinHasLatestValuesOpenAlertsAndTheModelInUse) {
  Response r = Get(AssetPath(kAsset), Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["asset"], kAsset);
  ASSERT_EQ(r.body["signals"].size(), 2u);
  const json& accel = r.body["signals"][0];
  EXPECT_EQ(accel["signal"], kAccel);
  EXPECT_DOUBLE_EQ(accel["value"].get<double>(), 1.0 + (kObsPerSignal - 1) * 0.01);
  EXPECT_EQ(accel["unit"], "m/s2");
  EXPECT_EQ(accel["quality"], "good");
  EXPECT_EQ(accel["ts"], T(kNow - 60 * kSec));
  EXPECT_EQ(accel["edge_id"], kEdge);
  const json& temp = r.body["signals"][1];
  EXPECT_EQ(temp["signal"], kTemp);
  EXPECT_DOUBLE_EQ(temp["value"].get<double>(), 40.0 + kObsPerSignal - 1);
  EXPECT_EQ(temp["unit"], "Cel");

  ASSERT_EQ(r.body["active_alerts"].size(), 1u);
  const json& alert = r.body["active_alerts"][0];
  EXPECT_EQ(alert["alert_id"], "alert-a");
  EXPECT_EQ(alert["opened"], T(kNow - 30 * 60 * kSec));
  EXPECT_EQ(alert["model"]["name"], "bearing-xgb");
  EXPECT_EQ(alert["reasons"][0]["feature"], "accel_rms");

  EXPECT_EQ(r.body["model"]["name"], "bearing-xgb");
  EXPECT_EQ(r.body["model"]["version"], "1.1.0");  // of the latest decision
  EXPECT_EQ(r.body["model"]["last_decision"], T(kNow - 5 * 60 * kSec));
  EXPECT_EQ(r.body["model"]["label"], "fault");

  Response missing = Get(AssetPath("acme/plant-1/pump-99"), Viewer());
  EXPECT_EQ(missing.status, 404);
}

TEST_F(ApiRoutesTest, ObservationsComeBackAsIngested) {
  Response r = Get(AssetPath(kAsset, "/observations?signal=motor.temp"), Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  // The default range is the last hour: all 60.
  ASSERT_EQ(r.body["items"].size(), static_cast<size_t>(kObsPerSignal));
  EXPECT_EQ(r.body["truncated"], false);
  const json& first = r.body["items"][0];
  EXPECT_EQ(first["signal"], kTemp);
  EXPECT_EQ(first["ts"], T(kNow - 3600 * kSec));
  EXPECT_DOUBLE_EQ(first["value"].get<double>(), 40.0);
  EXPECT_EQ(first["unit"], "Cel");
  EXPECT_EQ(first["quality"], "good");
  EXPECT_EQ(first["source"]["protocol"], "mqtt");
  EXPECT_GT(first["seq"].get<uint64_t>(), 0u);

  // Both signals, a narrower range in two time formats, and a limit.
  const std::string from = T(kNow - 10 * 60 * kSec);
  const std::string to = std::to_string(kNow - 5 * 60 * kSec);
  r = Get(AssetPath(kAsset, "/observations?from=" + from + "&to=" + to), Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.body["items"].size(), 10u);  // 5 minutes of each of 2 signals
  EXPECT_EQ(r.body["from"], from);
  r = Get(AssetPath(kAsset, "/observations?limit=7"), Viewer());
  EXPECT_EQ(r.body["items"].size(), 7u);
  EXPECT_EQ(r.body["truncated"], true);
  r = Get(AssetPath(kAsset, "/observations?from=-2h&to=-1h"), Viewer());
  EXPECT_EQ(r.body["items"].size(), 0u);

  EXPECT_EQ(Get(AssetPath(kAsset, "/observations?signal=nope"), Viewer()).status, 404);
  EXPECT_EQ(Get(AssetPath("acme/nowhere", "/observations"), Viewer()).status, 404);
}

TEST_F(ApiRoutesTest, SeriesAreDownsampledIntoAtMostPointsBuckets) {
  Response r =
      Get(AssetPath(kAsset, "/series?signal=motor.temp&from=-1h&to=now&points=6"), Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_DOUBLE_EQ(r.body["bucket_seconds"].get<double>(), 600.0);
  ASSERT_EQ(r.body["series"].size(), 1u);
  const json& s = r.body["series"][0];
  EXPECT_EQ(s["signal"], kTemp);
  EXPECT_EQ(s["unit"], "Cel");
  ASSERT_EQ(s["points"].size(), 6u);
  EXPECT_EQ(s["points"][0]["t"], T(kNow - 3600 * kSec));
  EXPECT_EQ(s["points"][0]["count"], 10);
  EXPECT_DOUBLE_EQ(s["points"][0]["min"].get<double>(), 40.0);
  EXPECT_DOUBLE_EQ(s["points"][0]["max"].get<double>(), 49.0);
  EXPECT_DOUBLE_EQ(s["points"][0]["mean"].get<double>(), 44.5);

  r = Get(AssetPath(kAsset, "/series"), Viewer());
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["series"].size(), 2u);
  for (const json& one : r.body["series"]) {
    EXPECT_LE(one["points"].size(), static_cast<size_t>(kDefaultSeriesPoints));
  }
  // An odd span rounds the bucket up, so there are never more than `points` buckets.
  r = Get(AssetPath(kAsset, "/series?signal=motor.temp&from=" + std::to_string(kNow - 3600 * kSec) +
                                "&to=" + std::to_string(kNow - 3600 * kSec + 7) + "&points=2"),
          Viewer());
  ASSERT_EQ(r.status, 200);
  EXPECT_DOUBLE_EQ(r.body["bucket_seconds"].get<double>(), 4e-9);
}

TEST_F(ApiRoutesTest, DeadLettersDecisionsAndAlertsAreListedNewestFirstWithFilters) {
  Response r = Get("/api/v1/dead-letters", Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["items"].size(), 3u);
  EXPECT_EQ(r.body["items"][0]["reason"], "malformed_payload");
  EXPECT_EQ(r.body["items"][2]["reason"], "out_of_range");
  EXPECT_EQ(r.body["items"][2]["payload"], "900");
  EXPECT_EQ(r.body["items"][2]["edge_id"], kEdge);
  EXPECT_EQ(Get("/api/v1/dead-letters?edge=edge-2", Viewer()).body["items"].size(), 0u);
  EXPECT_EQ(Get("/api/v1/dead-letters?limit=1", Viewer()).body["truncated"], true);

  r = Get("/api/v1/decisions?from=-3h", Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["items"].size(), 4u);
  EXPECT_EQ(r.body["items"][0]["decision"]["model"]["version"], "1.1.0");
  EXPECT_EQ(r.body["items"][0]["asset"], kAsset);
  r = Get(std::string("/api/v1/decisions?from=-3h&asset=") + PercentEncode(kOtherAsset), Viewer());
  ASSERT_EQ(r.body["items"].size(), 1u);
  EXPECT_EQ(r.body["items"][0]["decision"]["score"], 0.1);
  EXPECT_EQ(Get("/api/v1/decisions", Viewer()).body["items"].size(), 3u);  // last hour

  r = Get("/api/v1/alerts?edge=edge-1", Viewer());
  ASSERT_EQ(r.status, 200) << r.text;
  ASSERT_EQ(r.body["items"].size(), 3u);
  EXPECT_EQ(r.body["items"][0]["alert"]["alert_id"], "alert-a");
  EXPECT_EQ(r.body["items"][1]["alert"]["kind"], "clear");
}

// Each route's query parameters, refused one bad value at a time; the 400 names the parameter.
TEST_F(ApiRoutesTest, BadParametersGet400NamingTheParameter) {
  for (const Route& route : server_->routes()) {
    if (route.method != "GET") continue;
    std::string path = route.path;
    if (auto at = path.find("{asset}"); at != std::string::npos) {
      path.replace(at, 7, PercentEncode(kAsset));
    }
    if (auto at = path.find("{edge_id}"); at != std::string::npos) path.replace(at, 9, kEdge);
    SCOPED_TRACE(path);
    std::vector<std::pair<std::string, std::string>> bad = {{"bogus", "1"}};
    bool ranged = false;
    for (const ParamSpec& p : route.params) {
      if (p.in != ParamIn::kQuery) continue;
      switch (p.type) {
        case ParamType::kInteger:
          for (std::string v : {std::string("abc"), std::string("1.5"), std::string(""),
                                std::to_string(p.min - 1), std::to_string(p.max + 1)}) {
            bad.emplace_back(p.name, v);
          }
          break;
        case ParamType::kTime:
          ranged = true;
          for (std::string v : {"yesterday", "2026-13-01T00:00:00Z", "", "-1x"}) {
            bad.emplace_back(p.name, v);
          }
          break;
        case ParamType::kBoolean:
          bad.emplace_back(p.name, "maybe");
          break;
        case ParamType::kString:
          bad.emplace_back(p.name, std::string(p.max_length + 1, 'x'));
          break;
      }
    }
    for (const auto& [name, value] : bad) {
      Response r = Get(path + "?" + name + "=" + PercentEncode(value), Admin());
      EXPECT_EQ(r.status, 400) << name << "=" << value << ": " << r.text;
      EXPECT_EQ(r.body["error"]["code"], "bad_request");
      EXPECT_NE(r.text.find("'" + name + "'"), std::string::npos) << r.text;
    }
    if (ranged) {
      for (const std::string& q : {std::string("from=now&to=-1h"), std::string("from=-1h&to=-1h"),
                                   std::string("from=now")}) {
        Response r = Get(path + "?" + q, Admin());
        EXPECT_EQ(r.status, 400) << q << ": " << r.text;
        EXPECT_NE(r.text.find("'from'"), std::string::npos) << r.text;
      }
    }
  }
}

TEST_F(ApiRoutesTest, StringsThatLookLikeSqlArePlainValues) {
  auto stats_before = real_store_->Stats();
  ASSERT_TRUE(stats_before.ok());
  const std::string twin_before = Get(AssetPath(kAsset), Viewer()).text;
  const std::string injections[] = {
      "x' OR '1'='1",
      "'; DROP TABLE observations; --",
      "\" OR 1=1 --",
      "%' OR signal LIKE '%",
      std::string(kAsset) + "' --",
      "1; DELETE FROM api_tokens",
      "edge-1' UNION SELECT hash FROM api_tokens --",
  };
  for (const std::string& evil : injections) {
    SCOPED_TRACE(evil);
    const std::string e = PercentEncode(evil);
    const std::vector<std::string> paths = {
        "/api/v1/edges/" + e,
        AssetPath(evil),
        AssetPath(evil, "/observations"),
        AssetPath(evil, "/series"),
        AssetPath(kAsset, "/observations?signal=" + e),
        AssetPath(kAsset, "/series?signal=" + e),
        "/api/v1/dead-letters?edge=" + e,
        "/api/v1/decisions?asset=" + e + "&edge=" + e,
        "/api/v1/alerts?asset=" + e,
        "/api/v1/alerts?edge=" + e,
    };
    for (const std::string& path : paths) {
      Response r = Get(path, Admin());
      EXPECT_TRUE(r.status == 200 || r.status == 404) << path << ": " << r.text;
      if (r.status == 200 && r.body.contains("items")) {
        EXPECT_TRUE(r.body["items"].empty()) << path << ": " << r.text;
      }
    }
    Response del = Call("DELETE", "/api/v1/tokens/" + e, Admin());
    EXPECT_EQ(del.status, 404) << del.text;
    Response who = Get("/api/v1/whoami", evil);
    EXPECT_EQ(who.status, 401);
  }
  auto stats_after = real_store_->Stats();
  ASSERT_TRUE(stats_after.ok());
  EXPECT_EQ(stats_after->observations, stats_before->observations);
  EXPECT_EQ(stats_after->records, stats_before->records);
  EXPECT_EQ(stats_after->dead_letters, stats_before->dead_letters);
  EXPECT_EQ(Get(AssetPath(kAsset), Viewer()).text, twin_before);
  auto tokens = real_store_->ListTokens();
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->size(), 5u);  // the fixture's, one per role
  for (const ApiToken& t : *tokens) EXPECT_FALSE(t.revoked);
}

TEST_F(ApiRoutesTest, InvalidUtf8InStoredTextDoesNotBreakTheResponse) {
  Response r = Get("/api/v1/dead-letters", Viewer());
  ASSERT_EQ(r.status, 200);
  // The binary payload ("\xff\xfe\0x") comes back with replacement characters.
  EXPECT_TRUE(r.body["items"][0]["payload"].is_string());
}

}  // namespace
}  // namespace strata::api::testing
