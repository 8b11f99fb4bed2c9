#include "api/auth.h"

#include <cctype>

#include <fmt/format.h>

#include "core/secret.h"
#include "core/sha256.h"

namespace strata::api {
namespace {

constexpr size_t kIdBytes = 4;       // 8 hex digits
constexpr size_t kSecretBytes = 32;  // 256 bits, 52 base32 characters
constexpr size_t kSecretChars = 52;
constexpr int kIdAttempts = 8;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsBase32(std::string_view s) {
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  }
  return true;
}

}  // namespace

std::string HashToken(std::string_view token) { return Sha256Hex(token); }

std::optional<std::string> TokenIdOf(std::string_view token) {
  if (!token.starts_with(kTokenPrefix)) return std::nullopt;
  token.remove_prefix(kTokenPrefix.size());
  if (token.size() != kIdBytes * 2 + 1 + kSecretChars || token[kIdBytes * 2] != '_') {
    return std::nullopt;
  }
  const std::string_view id = token.substr(0, kIdBytes * 2);
  if (!IsLowerHex(id) || !IsBase32(token.substr(kIdBytes * 2 + 1))) return std::nullopt;
  return std::string(id);
}

Status ValidateTokenName(std::string_view name) {
  if (name.empty()) {
    return InvalidArgumentError(
        "a token needs a name that says what it is for, e.g. \"console: alice\"");
  }
  if (name.size() > kMaxTokenNameBytes) {
    return InvalidArgumentError(
        fmt::format("a token name is at most {} bytes; this one has {}", kMaxTokenNameBytes,
                    name.size()));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgumentError("a token name cannot contain control characters");
    }
  }
  return Status::Ok();
}

StatusOr<IssuedToken> IssueApiToken(HubStore& store, Role role, std::string_view name,
                                    int64_t now_ns) {
  STRATA_RETURN_IF_ERROR(ValidateTokenName(name));
  STRATA_ASSIGN_OR_RETURN(const std::string secret_bytes, RandomBytes(kSecretBytes));
  const std::string secret_part = Base32(secret_bytes);
  // A new random id on the (rare) collision with a stored id.
  for (int attempt = 0; attempt < kIdAttempts; ++attempt) {
    STRATA_ASSIGN_OR_RETURN(const std::string id_bytes, RandomBytes(kIdBytes));
    IssuedToken issued;
    issued.token.id = Hex(id_bytes);
    issued.token.name = std::string(name);
    issued.token.role = role;
    issued.token.created_ns = now_ns;
    issued.secret = fmt::format("{}{}_{}", kTokenPrefix, issued.token.id, secret_part);
    issued.token.hash = HashToken(issued.secret);
    const Status stored = store.CreateToken(issued.token);
    if (stored.ok()) return issued;
    if (stored.code() != StatusCode::kAlreadyExists) {
      return stored.WithContext("storing the new API token");
    }
  }
  return InternalError(fmt::format(
      "no free token id after {} random attempts: the token table is suspiciously full",
      kIdAttempts));
}

StatusOr<std::string> CreateApiToken(HubStore& store, Role role, std::string_view name,
                                     int64_t now_ns) {
  STRATA_ASSIGN_OR_RETURN(IssuedToken issued, IssueApiToken(store, role, name, now_ns));
  return std::move(issued.secret);
}

std::string_view AuthFailureName(AuthFailure failure) {
  switch (failure) {
    case AuthFailure::kMissing:
      return "missing";
    case AuthFailure::kMalformed:
      return "malformed";
    case AuthFailure::kUnknown:
      return "unknown";
    case AuthFailure::kRevoked:
      return "revoked";
  }
  return "unknown";
}

StatusOr<AuthResult> Authenticate(HubStore& store, std::string_view header) {
  AuthResult result;
  while (!header.empty() && (header.front() == ' ' || header.front() == '\t')) {
    header.remove_prefix(1);
  }
  while (!header.empty() && (header.back() == ' ' || header.back() == '\t')) {
    header.remove_suffix(1);
  }
  if (header.empty()) {
    result.failure = AuthFailure::kMissing;
    result.message =
        "this route needs an API token: send \"Authorization: Bearer <token>\" (an admin "
        "creates tokens with `strata hub token create` or POST /api/v1/tokens)";
    return result;
  }
  constexpr std::string_view kScheme = "bearer ";
  bool bearer = header.size() > kScheme.size();
  for (size_t i = 0; bearer && i < kScheme.size(); ++i) {
    bearer = std::tolower(static_cast<unsigned char>(header[i])) == kScheme[i];
  }
  std::string_view token = bearer ? header.substr(kScheme.size()) : std::string_view();
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) {
    result.failure = AuthFailure::kMalformed;
    result.message =
        "the Authorization header is not \"Bearer <token>\"; send the token the hub gave you "
        "after \"Bearer \"";
    return result;
  }
  STRATA_ASSIGN_OR_RETURN(std::optional<ApiToken> found,
                          store.FindTokenByHash(HashToken(token)));
  if (!found) {
    result.failure = AuthFailure::kUnknown;
    result.message =
        "the bearer token is not known to this hub: check it was copied whole, or ask an "
        "admin for a new one";
    return result;
  }
  if (found->revoked) {
    result.failure = AuthFailure::kRevoked;
    result.message = fmt::format(
        "token {} (\"{}\") was revoked; ask an admin for a new one", found->id, found->name);
    return result;
  }
  result.token = std::move(found);
  return result;
}

}  // namespace strata::api
