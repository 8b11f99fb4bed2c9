#include "connectors/mqtt/mqtt_client.h"

#include <cerrno>
#include <cstring>
#include <mutex>

#include <fmt/format.h>

namespace strata {

StatusOr<MosquittoPtr> NewMosquittoClient(const std::string& client_id, bool clean_session,
                                          void* userdata) {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
  mosquitto* m = mosquitto_new(client_id.empty() ? nullptr : client_id.c_str(), clean_session,
                               userdata);
  if (m == nullptr) {
    return InvalidArgumentError(fmt::format(
        "cannot create MQTT client '{}': {} (a persistent session needs a client id)", client_id,
        std::strerror(errno)));
  }
  return MosquittoPtr(m);
}

std::string MosquittoError(int rc) {
  if (rc == MOSQ_ERR_ERRNO) return std::strerror(errno);
  return mosquitto_strerror(rc);
}

Status ConfigureMosquittoClient(mosquitto* client, const std::string& username,
                                const std::string& password,
                                const std::optional<MqttTlsOptions>& tls) {
  if (!username.empty()) {
    const int rc = mosquitto_username_pw_set(client, username.c_str(),
                                             password.empty() ? nullptr : password.c_str());
    if (rc != MOSQ_ERR_SUCCESS) {
      return InvalidArgumentError(
          fmt::format("username/password rejected by libmosquitto: {}", MosquittoError(rc)));
    }
  }
  if (tls) {
    auto c_or_null = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
    const int rc = mosquitto_tls_set(client, c_or_null(tls->ca_file), c_or_null(tls->ca_path),
                                     c_or_null(tls->cert_file), c_or_null(tls->key_file), nullptr);
    if (rc != MOSQ_ERR_SUCCESS) {
      return InvalidArgumentError(fmt::format(
          "TLS setup failed: {} (check tls.ca_file, cert_file and key_file)", MosquittoError(rc)));
    }
    mosquitto_tls_insecure_set(client, tls->insecure);
  }
  return Status::Ok();
}

}  // namespace strata
