#include "api/route.h"

#include <gtest/gtest.h>

#include "core/time_util.h"

namespace strata::api {
namespace {

constexpr int64_t kNow = 1'795'000'000'000'000'000;  // 2026-11-18

TEST(PercentDecode, DecodesEscapesAndRefusesMalformedOnes) {
  EXPECT_EQ(*PercentDecode("acme%2Fplant-1%2fpump-01"), "acme/plant-1/pump-01");
  EXPECT_EQ(*PercentDecode("a+b%20c"), "a+b c");
  EXPECT_EQ(*PercentDecode(""), "");
  EXPECT_FALSE(PercentDecode("%").ok());
  EXPECT_FALSE(PercentDecode("%4").ok());
  EXPECT_FALSE(PercentDecode("%G1").ok());
  EXPECT_FALSE(PercentDecode("a%00b").ok());
  EXPECT_EQ(*PercentDecode(PercentEncode("acme/plant 1/é'\"%")), "acme/plant 1/é'\"%");
  EXPECT_EQ(PercentEncode("acme/plant-1/pump_01.x~"), "acme%2Fplant-1%2Fpump_01.x~");
}

TEST(SplitPath, SplitsOnRawSlashesThenDecodes) {
  auto s = SplitPath("/api/v1/assets/acme%2Fplant-1%2Fpump-01/series");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, (std::vector<std::string>{"api", "v1", "assets", "acme/plant-1/pump-01",
                                          "series"}));
  EXPECT_EQ(*SplitPath("/"), (std::vector<std::string>{""}));
  EXPECT_EQ(*SplitPath("/a/"), (std::vector<std::string>{"a", ""}));
  EXPECT_FALSE(SplitPath("api").ok());
  EXPECT_FALSE(SplitPath("/a/%zz").ok());
}

std::vector<Route> Table() {
  std::vector<Route> routes;
  routes.push_back({.method = "GET", .path = "/api/v1/assets"});
  routes.push_back({.method = "GET", .path = "/api/v1/assets/{asset}"});
  routes.push_back({.method = "GET", .path = "/api/v1/assets/{asset}/series"});
  routes.push_back({.method = "POST", .path = "/api/v1/tokens"});
  routes.push_back({.method = "GET", .path = "/api/v1/tokens"});
  routes.push_back({.method = "DELETE", .path = "/api/v1/tokens/{id}"});
  return routes;
}

TEST(MatchRoute, MatchesTemplatesAndCapturesDecodedSegments) {
  const auto routes = Table();
  auto m = MatchRoute(routes, "GET", *SplitPath("/api/v1/assets/acme%2Fp%2Fpump-01/series"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path, "/api/v1/assets/{asset}/series");
  EXPECT_EQ(m.path_params.at("asset"), "acme/p/pump-01");

  m = MatchRoute(routes, "GET", *SplitPath("/api/v1/assets/acme%2Fp%2Fpump-01"));
  ASSERT_NE(m.route, nullptr);
  EXPECT_EQ(m.route->path, "/api/v1/assets/{asset}");

  // Unencoded slashes make more segments: no route.
  m = MatchRoute(routes, "GET", *SplitPath("/api/v1/assets/acme/p/pump-01"));
  EXPECT_EQ(m.route, nullptr);
  EXPECT_TRUE(m.allowed_methods.empty());

  // An empty parameter segment does not match.
  m = MatchRoute(routes, "GET", *SplitPath("/api/v1/assets//series"));
  EXPECT_EQ(m.route, nullptr);

  m = MatchRoute(routes, "HEAD", *SplitPath("/api/v1/assets"));
  ASSERT_NE(m.route, nullptr);

  m = MatchRoute(routes, "PUT", *SplitPath("/api/v1/tokens"));
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed_methods, (std::vector<std::string>{"POST", "GET"}));
}

Route Queried() {
  Route r{.method = "GET", .path = "/x"};
  ParamSpec limit{.name = "limit", .type = ParamType::kInteger, .min = 1, .max = 100};
  limit.default_value = 10;
  r.params = {ParamSpec{.name = "signal"},
              ParamSpec{.name = "from", .type = ParamType::kTime},
              ParamSpec{.name = "to", .type = ParamType::kTime},
              limit,
              ParamSpec{.name = "samples", .type = ParamType::kBoolean}};
  return r;
}

Status Check(const std::multimap<std::string, std::string>& params, RouteRequest* out = nullptr) {
  RouteRequest req;
  req.now_ns = kNow;
  Status s = CheckParams(Queried(), params, req);
  if (out) *out = req;
  return s;
}

TEST(CheckParams, ParsesDeclaredParametersAndAppliesDefaults) {
  RouteRequest req;
  ASSERT_TRUE(Check({{"signal", "temp"}, {"from", "2026-11-17T00:00:00Z"}, {"to", "-1h"},
                     {"samples", "true"}},
                    &req)
                  .ok());
  EXPECT_EQ(req.Query("signal"), "temp");
  EXPECT_EQ(req.Number("from"), *ParseTimestamp("2026-11-17T00:00:00Z"));
  EXPECT_EQ(req.Number("to"), kNow - 3600LL * 1'000'000'000);
  EXPECT_EQ(req.Number("limit"), 10);
  EXPECT_EQ(req.Number("samples"), 1);
  ASSERT_TRUE(Check({{"from", "1795000000000000000"}, {"limit", "100"}}, &req).ok());
  EXPECT_EQ(req.Number("from"), kNow);
  EXPECT_EQ(req.Number("limit"), 100);
}

TEST(CheckParams, RefusesAndNamesTheParameter) {
  struct Case {
    std::multimap<std::string, std::string> params;
    std::string named;
  };
  const Case cases[] = {
      {{{"limit", "abc"}}, "'limit'"},
      {{{"limit", "0"}}, "'limit'"},
      {{{"limit", "101"}}, "'limit'"},
      {{{"limit", "-5"}}, "'limit'"},
      {{{"limit", "+5"}}, "'limit'"},
      {{{"limit", "5.0"}}, "'limit'"},
      {{{"limit", "99999999999999999999999"}}, "'limit'"},
      {{{"from", "yesterday"}}, "'from'"},
      {{{"to", "2026-02-30T00:00:00Z"}}, "'to'"},
      {{{"to", "99999999999999999999999"}}, "'to'"},
      {{{"samples", "yes"}}, "'samples'"},
      {{{"form", "-1h"}}, "'form'"},
      {{{"limit", "1"}, {"limit", "2"}}, "'limit'"},
  };
  for (const Case& c : cases) {
    const Status s = Check(c.params);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.named;
    EXPECT_NE(s.message().find(c.named), std::string::npos) << s.message();
  }
  // An unknown parameter's error lists what the route takes.
  EXPECT_NE(Check({{"form", "x"}}).message().find("signal, from, to, limit, samples"),
            std::string::npos);
}

TEST(RouteRequest, RangeDefaultsToTheLastSpanAndRefusesAnEmptyOne) {
  RouteRequest req;
  req.now_ns = kNow;
  auto r = req.Range(3600LL * 1'000'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->second, kNow);
  EXPECT_EQ(r->first, kNow - 3600LL * 1'000'000'000);
  req.numbers["from"] = kNow;
  EXPECT_EQ(req.Range(1).status().code(), StatusCode::kInvalidArgument);
  req.numbers["to"] = kNow + 1;
  EXPECT_TRUE(req.Range(1).ok());
  req.numbers["to"] = kNow - 1;
  const Status s = req.Range(1).status();
  EXPECT_NE(s.message().find("'from'"), std::string::npos);
  EXPECT_NE(s.message().find("'to'"), std::string::npos);
}

}  // namespace
}  // namespace strata::api
