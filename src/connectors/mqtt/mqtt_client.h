// RAII over libmosquitto: library initialisation once per process, and an owning handle for a
// client. Everything else uses the libmosquitto C API directly.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <mosquitto.h>

#include "core/status.h"

namespace strata {

struct MosquittoDeleter {
  void operator()(mosquitto* m) const { mosquitto_destroy(m); }
};
using MosquittoPtr = std::unique_ptr<mosquitto, MosquittoDeleter>;

// Initialises libmosquitto (once; thread-safe) and creates a client. `userdata` is passed to
// callbacks. Never null on OK.
StatusOr<MosquittoPtr> NewMosquittoClient(const std::string& client_id, bool clean_session,
                                          void* userdata);

// A readable description of a libmosquitto return code (errno-aware for MOSQ_ERR_ERRNO).
std::string MosquittoError(int rc);

struct MqttTlsOptions {
  std::string ca_file;
  std::string ca_path;
  std::string cert_file;
  std::string key_file;
  bool insecure = false;  // skip the server host name check (tests only)
};

// Credentials and TLS of a client before it connects; an empty username means anonymous.
// InvalidArgument naming what to check when libmosquitto refuses them.
Status ConfigureMosquittoClient(mosquitto* client, const std::string& username,
                                const std::string& password,
                                const std::optional<MqttTlsOptions>& tls);

}  // namespace strata
