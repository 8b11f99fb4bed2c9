// API authentication: bearer tokens with a role.
//
// A token is "st_<id>_<secret>": `id` is 8 lower-case hex digits, public (shown in lists and
// logs, the handle to revoke it); `secret` is 52 lower-case base32 characters (256 random bits
// from OpenSSL RAND_bytes). The hub stores only the hex SHA-256 of the whole token string
// (HubStore::CreateToken); the token itself is shown once, when it is created.
//
// Requests carry it as "Authorization: Bearer st_...". A route names the least role it needs;
// roles are ordered viewer < technician < engineer < admin; a bootstrap token can only enrol
// edges.
//
// Thread-safe: free functions; they call the HubStore, which is thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "hub/store/hub_store.h"

namespace strata::api {

inline constexpr std::string_view kTokenPrefix = "st_";
inline constexpr size_t kMaxTokenNameBytes = 200;

// True when `held` is `needed` or above it. A bootstrap token holds no other role; a route that
// needs `bootstrap` (enrolment) is open to bootstrap and admin tokens.
inline bool RoleAtLeast(Role held, Role needed) {
  if (needed == Role::kBootstrap) return held == Role::kBootstrap || held == Role::kAdmin;
  if (held == Role::kBootstrap) return false;
  return static_cast<uint8_t>(held) >= static_cast<uint8_t>(needed);
}

// A freshly made token: the stored entry and the secret to hand over once.
struct IssuedToken {
  ApiToken token;      // as stored (hash, never the secret)
  std::string secret;  // "st_<id>_<secret>"
};

// Hex SHA-256 of a token string: what the store keys tokens by.
std::string HashToken(std::string_view token);

// The public id inside a well-formed token ("st_<id>_..."), or nullopt.
std::optional<std::string> TokenIdOf(std::string_view token);

// InvalidArgument naming what is wrong with a token name (empty, too long, control
// characters); OK otherwise.
Status ValidateTokenName(std::string_view name);

// Makes a token with `role` and `name`, stores its hash and returns it with its secret.
// InvalidArgument for a bad name; the store's error when it cannot be stored.
StatusOr<IssuedToken> IssueApiToken(HubStore& store, Role role, std::string_view name,
                                    int64_t now_ns);

// The function `strata hub token create` calls: as IssueApiToken, returning only the secret
// (print it once; it cannot be recovered, only revoked and replaced).
StatusOr<std::string> CreateApiToken(HubStore& store, Role role, std::string_view name,
                                     int64_t now_ns);

// Why a request was refused, for the 401 body.
enum class AuthFailure {
  kMissing,    // no Authorization header
  kMalformed,  // not "Bearer <token>"
  kUnknown,    // no such token
  kRevoked,    // the token was revoked
};
std::string_view AuthFailureName(AuthFailure failure);  // "missing", ...

struct AuthResult {
  std::optional<ApiToken> token;  // set when authenticated
  AuthFailure failure = AuthFailure::kMissing;
  std::string message;  // for a person, when not authenticated
};

// Checks the value of an Authorization header ("" when absent) against the store. A store
// error is returned as such (the server answers 503), never as "unauthenticated".
StatusOr<AuthResult> Authenticate(HubStore& store, std::string_view authorization_header);

}  // namespace strata::api
