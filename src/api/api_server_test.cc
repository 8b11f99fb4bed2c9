// The server's mechanics over real HTTP: the auth matrix over every route and role, 401/403
// bodies, token routes, the OpenAPI document against the route table, /metrics, TLS, a store
// that fails, and start-up errors.
#include "api/api_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <set>
#include <thread>

#include "api/api_test_fixture.h"
#include "api/auth.h"
#include "api/route.h"
#include "core/sha256.h"

namespace strata::api::testing {
namespace {

using nlohmann::json;

std::string Header(const Response& r, const std::string& name) {
  auto it = r.headers.find(name);
  return it == r.headers.end() ? "" : it->second;
}

const Role kRoles[] = {Role::kViewer, Role::kTechnician, Role::kEngineer, Role::kAdmin,
                       Role::kBootstrap};

class ApiServerTest : public ApiTest {
 protected:
  // A concrete path for a route template, with path parameters that exist.
  std::string Concrete(const Route& route) {
    std::string path = route.path;
    auto replace = [&](const std::string& param, const std::string& value) {
      const size_t at = path.find("{" + param + "}");
      if (at != std::string::npos) path.replace(at, param.size() + 2, value);
    };
    replace("asset", PercentEncode(kAsset));
    replace("edge_id", kEdge);
    if (path.find("{id}") != std::string::npos) {
      auto issued = IssueApiToken(*real_store_, Role::kViewer, "to revoke", kNow);
      EXPECT_TRUE(issued.ok());
      replace("id", issued->token.id);
    }
    return path;
  }
  std::string BodyFor(const Route& route) {
    if (route.request_schema.is_null()) return "";
    // Each enrolment a new edge: an edge enrols once.
    if (route.path == "/api/v1/enrol") {
      return json{{"edge_id", "edge-new-" + std::to_string(++enrolled_)}, {"tenant", "acme"}}
          .dump();
    }
    if (route.path.ends_with("/desired")) return R"({"config_version":"line-1 v7"})";
    return R"({"name":"made by a test","role":"viewer"})";
  }
  int enrolled_ = 0;
};

TEST_F(ApiServerTest, EveryRouteAndRoleGetsTheAnswerItsRoleAllows) {
  for (const Route& route : server_->routes()) {
    SCOPED_TRACE(route.method + " " + route.path);
    // Without a token.
    Response none = Call(route.method, Concrete(route), "", BodyFor(route));
    if (route.role) {
      EXPECT_EQ(none.status, 401);
      EXPECT_EQ(none.body["error"]["code"], "unauthorized");
    } else {
      EXPECT_EQ(none.status, 200);
    }
    for (Role role : kRoles) {
      SCOPED_TRACE(std::string(RoleName(role)));
      Response r = Call(route.method, Concrete(route), TokenOf(role), BodyFor(route));
      if (route.role && !RoleAtLeast(role, *route.role)) {
        EXPECT_EQ(r.status, 403) << r.text;
        EXPECT_EQ(r.body["error"]["code"], "forbidden");
        EXPECT_EQ(r.body["error"]["required_role"], RoleName(*route.role));
        EXPECT_EQ(r.body["error"]["role"], RoleName(role));
      } else {
        EXPECT_EQ(r.status, route.success_status) << r.text;
      }
    }
  }
}

TEST_F(ApiServerTest, AnEdgeEnrolsOnceWithABootstrapTokenAndTheHubKeepsOnlyTheHashOfItsLogin) {
  Response r = Call("POST", "/api/v1/enrol", TokenOf(Role::kBootstrap),
                    R"({"edge_id":"edge-9","tenant":"acme"})");
  ASSERT_EQ(r.status, 201) << r.text;
  EXPECT_EQ(r.body["mqtt"]["username"], "edge-9");
  EXPECT_EQ(r.body["mqtt"]["password"], "password-of-edge-9");
  EXPECT_EQ(r.body["topics"]["ack"], "strata/v1/acme/edge/edge-9/ack");
  auto entry = real_store_->GetEdge("edge-9");
  ASSERT_TRUE(entry.ok() && entry->has_value());
  EXPECT_EQ((*entry)->tenant, "acme");
  EXPECT_EQ((*entry)->credential_hash, Sha256Hex("password-of-edge-9"));
  EXPECT_EQ((*entry)->credential_hash.find("password"), std::string::npos);

  // Once: a second claim on the id is refused and nothing is provisioned for it.
  Response again = Call("POST", "/api/v1/enrol", TokenOf(Role::kBootstrap),
                        R"({"edge_id":"edge-9","tenant":"acme"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_NE(again.text.find("strata hub edge add --id edge-9 --tenant acme"), std::string::npos)
      << again.text;
  {
    std::lock_guard lock(provisioned_mu_);
    EXPECT_EQ(provisioned_.size(), 1u);
  }
  // An edge registered by hand under one tenant cannot enrol under another.
  EdgeEntry by_hand;
  by_hand.edge_id = "edge-10";
  by_hand.tenant = "acme";
  ASSERT_TRUE(real_store_->UpsertEdge(by_hand).ok());
  Response other = Call("POST", "/api/v1/enrol", TokenOf(Role::kBootstrap),
                        R"({"edge_id":"edge-10","tenant":"globex"})");
  EXPECT_EQ(other.status, 409);
  EXPECT_NE(other.text.find("tenant 'acme', not 'globex'"), std::string::npos) << other.text;

  // Bad bodies name the key.
  Response bad = Call("POST", "/api/v1/enrol", TokenOf(Role::kBootstrap),
                      R"({"edge_id":"a/b","tenant":"acme"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.text.find("edge_id"), std::string::npos) << bad.text;

  // A bootstrap token reads nothing.
  Response read = Get("/api/v1/edges", TokenOf(Role::kBootstrap));
  EXPECT_EQ(read.status, 403);
  EXPECT_NE(read.text.find("a bootstrap token can only enrol edges"), std::string::npos)
      << read.text;
}

TEST_F(ApiServerTest, AHubThatDoesNotProvisionSaysHowToTurnEnrolmentOn) {
  ApiServerOptions o;
  o.listen = "127.0.0.1:0";
  StartServer(o);
  Response r = Call("POST", "/api/v1/enrol", TokenOf(Role::kBootstrap),
                    R"({"edge_id":"edge-9","tenant":"acme"})");
  EXPECT_EQ(r.status, 409);
  EXPECT_NE(r.text.find("uplink.provisioning: dynsec"), std::string::npos) << r.text;
  auto entry = real_store_->GetEdge("edge-9");
  ASSERT_TRUE(entry.ok());
  EXPECT_FALSE(entry->has_value());
}

TEST_F(ApiServerTest, UnauthenticatedRequestsGetA401ThatSaysWhy) {
  Response r = Get("/api/v1/edges");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.body["error"]["code"], "unauthorized");
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("Authorization: Bearer"),
            std::string::npos);
  EXPECT_EQ(Header(r, "WWW-Authenticate"), "Bearer realm=\"strata\"");

  httplib::Client client("127.0.0.1", server_->port());
  auto basic = client.Get("/api/v1/edges", {{"Authorization", "Basic dXNlcjpwYXNz"}});
  ASSERT_TRUE(basic);
  EXPECT_EQ(basic->status, 401);
  EXPECT_NE(basic->body.find("not \\\"Bearer <token>\\\""), std::string::npos) << basic->body;

  r = Get("/api/v1/edges", "st_00000000_" + std::string(52, 'a'));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("not known"), std::string::npos);

  // The scheme is case-insensitive.
  auto lower = client.Get("/api/v1/whoami", {{"Authorization", "bearer " + Viewer()}});
  ASSERT_TRUE(lower);
  EXPECT_EQ(lower->status, 200);

  EXPECT_GE(metrics_.Value("strata_api_auth_failures_total", {{"reason", "missing"}}), 1);
  EXPECT_GE(metrics_.Value("strata_api_auth_failures_total", {{"reason", "unknown"}}), 1);
}

TEST_F(ApiServerTest, ForbiddenNamesTheRoleNeededAndTheRoleHeld) {
  Response r = Get("/api/v1/tokens", TokenOf(Role::kEngineer));
  EXPECT_EQ(r.status, 403);
  const std::string message = r.body["error"]["message"];
  EXPECT_NE(message.find("needs role admin"), std::string::npos) << message;
  EXPECT_NE(message.find("has role engineer"), std::string::npos) << message;
  EXPECT_EQ(r.body["error"]["required_role"], "admin");
  EXPECT_EQ(r.body["error"]["role"], "engineer");
}

TEST_F(ApiServerTest, WhoAmIAnswersWithTheCallersToken) {
  Response r = Get("/api/v1/whoami", TokenOf(Role::kTechnician));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["role"], "technician");
  EXPECT_EQ(r.body["name"], "technician token");
  EXPECT_EQ(r.body["id"], *TokenIdOf(TokenOf(Role::kTechnician)));
  EXPECT_EQ(r.body["revoked"], false);
  EXPECT_FALSE(r.body.contains("hash"));
}

TEST_F(ApiServerTest, AdminsCreateListAndRevokeTokens) {
  Response created =
      Call("POST", "/api/v1/tokens", Admin(), R"({"name":"console: alice","role":"engineer"})");
  ASSERT_EQ(created.status, 201) << created.text;
  const std::string secret = created.body["token"];
  EXPECT_TRUE(secret.starts_with("st_"));
  EXPECT_EQ(created.body["id"], *TokenIdOf(secret));
  EXPECT_EQ(created.body["role"], "engineer");

  Response me = Get("/api/v1/whoami", secret);
  ASSERT_EQ(me.status, 200);
  EXPECT_EQ(me.body["name"], "console: alice");

  Response list = Get("/api/v1/tokens", Admin());
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(list.body["items"].size(), 6u);  // one per role, and the new one
  EXPECT_EQ(list.text.find(secret), std::string::npos);  // the secret is never listed
  EXPECT_EQ(list.text.find(HashToken(secret)), std::string::npos);

  Response revoked = Call("DELETE", "/api/v1/tokens/" + me.body["id"].get<std::string>(), Admin());
  ASSERT_EQ(revoked.status, 200) << revoked.text;
  EXPECT_EQ(revoked.body["revoked"], true);
  Response after = Get("/api/v1/whoami", secret);
  EXPECT_EQ(after.status, 401);
  EXPECT_NE(after.body["error"]["message"].get<std::string>().find("revoked"), std::string::npos);

  Response unknown = Call("DELETE", "/api/v1/tokens/ffffffff", Admin());
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(unknown.body["error"]["code"], "not_found");
}

TEST_F(ApiServerTest, TokenBodiesAreCheckedAndTheErrorNamesTheKey) {
  struct Case {
    std::string body;
    std::string named;
  };
  const Case cases[] = {
      {"", "JSON object"},
      {"{not json", "JSON object"},
      {"[1,2]", "JSON object"},
      {R"({"role":"viewer"})", "'name'"},
      {R"({"name":"x"})", "'role'"},
      {R"({"name":"x","role":"root"})", "'role'"},
      {R"({"name":"x","role":"Admin"})", "'role'"},
      {R"({"name":5,"role":"viewer"})", "'name'"},
      {R"({"name":"x","role":["admin"]})", "'role'"},
      {R"({"name":"","role":"viewer"})", "'name'"},
      {R"({"name":")" + std::string(300, 'n') + R"(","role":"viewer"})", "'name'"},
      {R"({"name":"a\u0001b","role":"viewer"})", "'name'"},
      {R"({"name":"x","role":"viewer","expires":"never"})", "'expires'"},
  };
  for (const Case& c : cases) {
    Response r = Call("POST", "/api/v1/tokens", Admin(), c.body);
    EXPECT_EQ(r.status, 400) << c.body;
    EXPECT_EQ(r.body["error"]["code"], "bad_request");
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find(c.named), std::string::npos)
        << c.body << " -> " << r.text;
  }
  Response r = Call("POST", "/api/v1/tokens", Admin(), R"({"name":"x","role":"viewer"})",
                    "text/plain");
  EXPECT_EQ(r.status, 400);
  auto tokens = real_store_->ListTokens();
  ASSERT_TRUE(tokens.ok());
  EXPECT_EQ(tokens->size(), 5u);  // the fixture's: nothing was created by a refused request
}

TEST_F(ApiServerTest, TheOpenApiDocumentMatchesTheRoutesThatExist) {
  Response doc = Get("/api/v1/openapi.json");  // no token needed
  ASSERT_EQ(doc.status, 200);
  EXPECT_EQ(doc.body["openapi"], "3.0.3");
  const json& paths = doc.body["paths"];

  // Every route is documented, with its parameters by name.
  size_t operations = 0;
  for (const Route& route : server_->routes()) {
    SCOPED_TRACE(route.method + " " + route.path);
    std::string method = route.method;
    for (char& c : method) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    ASSERT_TRUE(paths.contains(route.path));
    ASSERT_TRUE(paths[route.path].contains(method));
    const json& op = paths[route.path][method];
    std::set<std::string> documented, declared;
    for (const json& p : op.value("parameters", json::array())) documented.insert(p["name"]);
    for (const ParamSpec& p : route.params) declared.insert(p.name);
    EXPECT_EQ(documented, declared);
    EXPECT_TRUE(op["responses"].contains(std::to_string(route.success_status)));
    if (route.role) {
      EXPECT_EQ(op["x-strata-role"], RoleName(*route.role));
    }
  }
  for (const auto& [path, ops] : paths.items()) operations += ops.size();
  EXPECT_EQ(operations, server_->routes().size());

  // Every documented operation answers (not 404), and takes each documented query parameter.
  for (const auto& [path, ops] : paths.items()) {
    for (const auto& [method, op] : ops.items()) {
      SCOPED_TRACE(method + " " + path);
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const Route* route = nullptr;
      for (const Route& r : server_->routes()) {
        if (r.path == path && r.method == upper) route = &r;
      }
      ASSERT_NE(route, nullptr);
      Response r = Call(upper, Concrete(*route), Admin(), BodyFor(*route));
      EXPECT_NE(r.status, 404) << r.text;
      EXPECT_EQ(r.status, route->success_status) << r.text;
      if (upper != "GET") continue;
      for (const json& p : op.value("parameters", json::array())) {
        if (p["in"] != "query") continue;
        const std::string type = p["schema"]["type"];
        const std::string value = type == "integer" ? "1" : type == "boolean" ? "true" : "-2h";
        const std::string name = p["name"];
        const std::string sep = "?";
        Response q = Call(upper, Concrete(*route) + sep + name + "=" + value, Admin());
        EXPECT_TRUE(q.status == 200 || q.status == 404) << name << ": " << q.text;
      }
    }
  }
}

TEST_F(ApiServerTest, MetricsAreServedWithoutAuthWithTheHubsAndTheApisOwn) {
  metrics_.GetCounter("strata_hub_test_marker_total", "a metric the hub registered").Add(7);
  ASSERT_EQ(Get("/api/v1/edges", Viewer()).status, 200);
  ASSERT_EQ(Get("/api/v1/edges").status, 401);
  Response m = Get("/metrics");
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.text.find("strata_hub_test_marker_total 7"), std::string::npos);
  EXPECT_NE(m.text.find(
                R"(strata_api_requests_total{method="GET",route="/api/v1/edges",status="200"} 1)"),
            std::string::npos)
      << m.text;
  EXPECT_NE(m.text.find(
                R"(strata_api_requests_total{method="GET",route="/api/v1/edges",status="401"} 1)"),
            std::string::npos);
  EXPECT_NE(m.text.find(R"(strata_api_request_duration_seconds_bucket{route="/api/v1/edges",le="+Inf"} 2)"),
            std::string::npos);
  EXPECT_NE(m.text.find(R"(strata_api_request_duration_seconds_sum{route="/api/v1/edges"})"),
            std::string::npos);
  EXPECT_EQ(Get("/healthz").text, "ok\n");
}

TEST_F(ApiServerTest, UnknownPathsAndMethodsGetJsonErrors) {
  Response r = Get("/api/v1/nothing-here", Viewer());
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body["error"]["code"], "not_found");
  r = Get("/api/v1/assets/acme/plant-1/pump-01", Viewer());
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body["error"]["message"].get<std::string>().find("%2F"), std::string::npos);
  r = Call("POST", "/api/v1/edges", Admin(), "{}");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(Header(r, "Allow"), "GET");
  r = Call("PUT", "/api/v1/tokens", Admin(), "{}");
  EXPECT_EQ(r.status, 405);
  r = Get("/api/v1/assets/%zz", Viewer());
  EXPECT_EQ(r.status, 400);
  // A body where none is taken, and a body over the limit.
  r = Call("DELETE", "/api/v1/tokens/ffffffff", Admin());
  EXPECT_EQ(r.status, 404);
  r = Call("POST", "/api/v1/tokens", Admin(), std::string(100 << 10, ' '));
  EXPECT_EQ(r.status, 413);
  EXPECT_EQ(r.body["error"]["code"], "payload_too_large");
}

TEST_F(ApiServerTest, AStoreThatFailsGets503OrA500WithoutItsDetails) {
  store_->fail = 1;
  Response r = Get("/api/v1/edges", Viewer());
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body["error"]["code"], "unavailable");
  store_->fail = 2;
  r = Get(AssetPath(kAsset), Viewer());
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body["error"]["code"], "internal");
  EXPECT_EQ(r.text.find("/var/lib/strata"), std::string::npos);
  store_->fail = 0;
  store_->fail_tokens = true;
  r = Get("/api/v1/edges", Viewer());
  EXPECT_EQ(r.status, 503);  // never "unauthorized" because the store could not be asked
  store_->fail_tokens = false;
  EXPECT_EQ(Get("/api/v1/edges", Viewer()).status, 200);
}

TEST_F(ApiServerTest, ConcurrentClientsAreAllAnswered) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  constexpr int kThreads = 8, kEach = 10;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      httplib::Client client("127.0.0.1", server_->port());
      for (int i = 0; i < kEach; ++i) {
        auto res = client.Get(AssetPath(kAsset), {{"Authorization", "Bearer " + Viewer()}});
        if (res && res->status == 200) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
}

TEST_F(ApiServerTest, StartRefusesBadOptionsWithClearErrors) {
  ApiServerOptions bad;
  bad.listen = "localhost";
  ApiServer a(*store_, metrics_, bad, clock_);
  Status s = a.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("host:port"), std::string::npos);

  ApiServerOptions taken;
  taken.listen = "127.0.0.1:" + std::to_string(server_->port());
  ApiServer b(*store_, metrics_, taken, clock_);
  s = b.Start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("api.listen"), std::string::npos);

  ApiServerOptions tls;
  tls.listen = "127.0.0.1:0";
  tls.tls_cert_file = dir_.File("missing.crt");
  tls.tls_key_file = dir_.File("missing.key");
  ApiServer c(*store_, metrics_, tls, clock_);
  s = c.Start();
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("missing.crt"), std::string::npos);

  tls.tls_key_file.clear();
  ApiServer d(*store_, metrics_, tls, clock_);
  EXPECT_EQ(d.Start().code(), StatusCode::kInvalidArgument);
}

TEST_F(ApiServerTest, ServesHttpsWithTheConfiguredCertificate) {
  const std::string cert = dir_.File("api.crt");
  const std::string key = dir_.File("api.key");
  const std::string command =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout '" +
      key + "' -out '" + cert + "' >'" + dir_.File("openssl.log") + "' 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  ApiServerOptions options;
  options.listen = "127.0.0.1:0";
  options.tls_cert_file = cert;
  options.tls_key_file = key;
  StartServer(options);
  EXPECT_TRUE(server_->tls());
  EXPECT_TRUE(server_->base_url().starts_with("https://127.0.0.1:"));

  httplib::SSLClient tls_client("127.0.0.1", server_->port());
  tls_client.set_ca_cert_path(cert.c_str());
  tls_client.enable_server_certificate_verification(true);
  auto res = tls_client.Get("/api/v1/whoami", {{"Authorization", "Bearer " + Viewer()}});
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_NE(res->body.find("\"role\":\"viewer\""), std::string::npos);

  // A client that does not trust the certificate is refused by TLS.
  httplib::SSLClient untrusting("127.0.0.1", server_->port());
  untrusting.enable_server_certificate_verification(true);
  untrusting.set_ca_cert_path(dir_.File("no-such-ca.pem").c_str());
  EXPECT_FALSE(untrusting.Get("/healthz"));

  // Plain HTTP to the TLS port gets no HTTP answer.
  httplib::Client plain("127.0.0.1", server_->port());
  plain.set_read_timeout(5);
  auto plain_res = plain.Get("/healthz");
  EXPECT_TRUE(!plain_res || plain_res->status != 200);
}

TEST_F(ApiServerTest, StopIsIdempotentAndFreesThePort) {
  const int port = server_->port();
  server_->Stop();
  server_->Stop();
  ApiServerOptions again;
  again.listen = "127.0.0.1:" + std::to_string(port);
  StartServer(again);
  EXPECT_EQ(server_->port(), port);
  EXPECT_EQ(Get("/healthz").status, 200);
}

}  // namespace
}  // namespace strata::api::testing
