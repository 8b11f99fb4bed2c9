#include "uplink/enrolment.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace strata {
namespace {

TEST(EnrolmentTest, RequestAndAnswerRoundTrip) {
  auto request = DecodeEnrolRequest(EncodeEnrolRequest({"edge-7", "acme"}));
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->edge_id, "edge-7");
  EXPECT_EQ(request->tenant, "acme");

  const std::string text = EncodeEnrolAnswer({"edge-7", "acme", {"edge-7", "s3cret"}});
  auto answer = DecodeEnrolAnswer(text);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->mqtt.username, "edge-7");
  EXPECT_EQ(answer->mqtt.password, "s3cret");
  // The answer tells the edge which topics it may use.
  const auto doc = nlohmann::json::parse(text);
  EXPECT_EQ(doc["topics"]["uplink"], "strata/v1/acme/edge/edge-7/up/+");
  EXPECT_EQ(doc["topics"]["ack"], "strata/v1/acme/edge/edge-7/ack");
}

TEST(EnrolmentTest, ABadRequestNamesTheKey) {
  struct Case {
    const char* body;
    const char* names;
  };
  const Case cases[] = {
      {"", "JSON object"},
      {"[1]", "JSON object"},
      {R"({"tenant":"acme"})", "'edge_id' is required"},
      {R"({"edge_id":7,"tenant":"acme"})", "'edge_id' must be a string"},
      {R"({"edge_id":"a/b","tenant":"acme"})", "edge_id"},
      {R"({"edge_id":"e1","tenant":"+"})", "tenant"},
      {R"({"edge_id":"e1","tenant":"acme","role":"admin"})", "unknown key 'role'"},
  };
  for (const Case& c : cases) {
    auto r = DecodeEnrolRequest(c.body);
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(c.names), std::string::npos)
        << c.body << " -> " << r.status().message();
  }
}

TEST(EnrolmentTest, AnAnswerWithoutCredentialsIsRefused) {
  EXPECT_FALSE(DecodeEnrolAnswer("not json").ok());
  EXPECT_FALSE(DecodeEnrolAnswer(R"({"edge_id":"e","tenant":"t"})").ok());
  EXPECT_FALSE(
      DecodeEnrolAnswer(R"({"edge_id":"e","tenant":"t","mqtt":{"username":"e","password":""}})")
          .ok());
}

}  // namespace
}  // namespace strata
