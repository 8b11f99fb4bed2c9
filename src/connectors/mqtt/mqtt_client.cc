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

}  // namespace strata
