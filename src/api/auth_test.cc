#include "api/auth.h"

#include <gtest/gtest.h>

#include <set>

#include "api/api_test_fixture.h"
#include "core/sha256.h"

namespace strata::api {
namespace {

using testing::ScratchDir;

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    HubStoreOptions options;
    options.sqlite_path = dir_.File("hub.db");
    auto opened = OpenHubStore(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
  }
  ScratchDir dir_;
  std::unique_ptr<HubStore> store_;
};

TEST(RoleAtLeast, OrdersViewerTechnicianEngineerAdmin) {
  EXPECT_TRUE(RoleAtLeast(Role::kAdmin, Role::kViewer));
  EXPECT_TRUE(RoleAtLeast(Role::kEngineer, Role::kEngineer));
  EXPECT_TRUE(RoleAtLeast(Role::kEngineer, Role::kTechnician));
  EXPECT_FALSE(RoleAtLeast(Role::kTechnician, Role::kEngineer));
  EXPECT_FALSE(RoleAtLeast(Role::kViewer, Role::kTechnician));
  EXPECT_FALSE(RoleAtLeast(Role::kEngineer, Role::kAdmin));
}

TEST(TokenName, IsCheckedWithAReason) {
  EXPECT_TRUE(ValidateTokenName("console: alice").ok());
  EXPECT_FALSE(ValidateTokenName("").ok());
  EXPECT_FALSE(ValidateTokenName(std::string(kMaxTokenNameBytes + 1, 'x')).ok());
  EXPECT_TRUE(ValidateTokenName(std::string(kMaxTokenNameBytes, 'x')).ok());
  EXPECT_FALSE(ValidateTokenName("a\nb").ok());
}

TEST_F(AuthTest, CreateApiTokenReturnsTheSecretOnceAndStoresOnlyItsHash) {
  auto secret = CreateApiToken(*store_, Role::kAdmin, "first admin", 42);
  ASSERT_TRUE(secret.ok()) << secret.status().ToString();
  // st_ + 8 hex + _ + 52 base32
  ASSERT_EQ(secret->size(), 3u + 8 + 1 + 52);
  const std::optional<std::string> id = TokenIdOf(*secret);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(HashToken(*secret), Sha256Hex(*secret));

  auto tokens = store_->ListTokens();
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  const ApiToken& t = (*tokens)[0];
  EXPECT_EQ(t.id, *id);
  EXPECT_EQ(t.name, "first admin");
  EXPECT_EQ(t.role, Role::kAdmin);
  EXPECT_EQ(t.created_ns, 42);
  EXPECT_EQ(t.hash, HashToken(*secret));
  EXPECT_EQ(t.hash.find(secret->substr(12)), std::string::npos);

  EXPECT_FALSE(CreateApiToken(*store_, Role::kViewer, "", 1).ok());
}

TEST_F(AuthTest, TokensAreDistinct) {
  std::set<std::string> secrets, ids;
  for (int i = 0; i < 50; ++i) {
    auto issued = IssueApiToken(*store_, Role::kViewer, "t" + std::to_string(i), i);
    ASSERT_TRUE(issued.ok());
    secrets.insert(issued->secret);
    ids.insert(issued->token.id);
  }
  EXPECT_EQ(secrets.size(), 50u);
  EXPECT_EQ(ids.size(), 50u);
}

TEST(TokenIdOf, AcceptsOnlyTheTokenFormat) {
  const std::string good = "st_0a1b2c3d_" + std::string(52, 'a');
  EXPECT_EQ(TokenIdOf(good), "0a1b2c3d");
  EXPECT_FALSE(TokenIdOf("xx_0a1b2c3d_" + std::string(52, 'a')));
  EXPECT_FALSE(TokenIdOf("st_0A1B2C3D_" + std::string(52, 'a')));
  EXPECT_FALSE(TokenIdOf("st_0a1b2c3d_" + std::string(51, 'a')));
  EXPECT_FALSE(TokenIdOf("st_0a1b2c3d_" + std::string(52, '1')));
  EXPECT_FALSE(TokenIdOf(""));
}

TEST_F(AuthTest, AuthenticateChecksTheHeaderAndTheStore) {
  auto issued = IssueApiToken(*store_, Role::kEngineer, "eng", 1);
  ASSERT_TRUE(issued.ok());
  auto ok = Authenticate(*store_, "Bearer " + issued->secret);
  ASSERT_TRUE(ok.ok());
  ASSERT_TRUE(ok->token.has_value());
  EXPECT_EQ(ok->token->role, Role::kEngineer);
  EXPECT_TRUE(Authenticate(*store_, "  BEARER  " + issued->secret + " ")->token.has_value());

  EXPECT_EQ(Authenticate(*store_, "")->failure, AuthFailure::kMissing);
  EXPECT_EQ(Authenticate(*store_, "Bearer")->failure, AuthFailure::kMalformed);
  EXPECT_FALSE(Authenticate(*store_, "Bearer   ")->token.has_value());
  EXPECT_EQ(Authenticate(*store_, "Token " + issued->secret)->failure, AuthFailure::kMalformed);
  EXPECT_EQ(Authenticate(*store_, "Bearer " + issued->secret + "x")->failure,
            AuthFailure::kUnknown);
  ASSERT_TRUE(store_->RevokeToken(issued->token.id).ok());
  auto revoked = Authenticate(*store_, "Bearer " + issued->secret);
  ASSERT_TRUE(revoked.ok());
  EXPECT_FALSE(revoked->token.has_value());
  EXPECT_EQ(revoked->failure, AuthFailure::kRevoked);
  EXPECT_NE(revoked->message.find(issued->token.id), std::string::npos);
}

}  // namespace
}  // namespace strata::api
