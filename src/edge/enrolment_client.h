// The edge's side of enrolment (docs/uplink.md#enrolment): with a bootstrap token and no login
// of its own yet, the edge asks the hub's API (POST /api/v1/enrol) for its MQTT login, writes it
// to its credentials file (mode 0600) and uses it from then on. The bootstrap token is needed
// only until then.
//
// Thread-safe: free functions.
#pragma once

#include <string>

#include "core/status.h"
#include "uplink/enrolment.h"

namespace strata {

struct EnrolOptions {
  std::string hub_url;           // the hub's API, "http://host:8080" or "https://..."
  std::string token;             // the bootstrap token ("" = none given)
  std::string token_source;      // where the token comes from, for messages ("$VAR")
  std::string ca_file;           // https: the CA that signed the hub's certificate ("" = system)
  std::string credentials_file;  // where the login is kept
  int64_t timeout_ns = 10'000'000'000;
};

// The login kept in `path`; NotFound when there is none yet, DataLoss for a damaged file.
StatusOr<MqttCredentials> LoadCredentials(const std::string& path);

// Writes the login to `path` (mode 0600, written to a temporary file and renamed, synced).
Status SaveCredentials(const std::string& path, const EnrolAnswer& answer);

// Asks the hub for this edge's login. Unavailable when the hub cannot be reached (retry);
// FailedPrecondition with the hub's explanation when it refuses (a bad or revoked token, an edge
// id already enrolled, a hub that does not enrol edges), or when the hub's HTTPS certificate is
// not trusted (ca_file): retrying will not help until someone acts.
StatusOr<EnrolAnswer> EnrolWithHub(const EnrolOptions& options, const std::string& tenant,
                                   const std::string& edge_id);

}  // namespace strata
