// The enrolment bodies (uplink/enrolment.h): the request the hub reads from whoever holds a
// bootstrap token, and the answer the edge reads from the hub. Neither may crash or accept a
// body that does not round-trip.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "uplink/enrolment.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto request = strata::DecodeEnrolRequest(text); request.ok()) {
    auto again = strata::DecodeEnrolRequest(strata::EncodeEnrolRequest(*request));
    if (!again.ok() || again->edge_id != request->edge_id || again->tenant != request->tenant) {
      std::abort();
    }
  }
  if (auto answer = strata::DecodeEnrolAnswer(text); answer.ok()) {
    if (answer->mqtt.username.empty() || answer->mqtt.password.empty()) std::abort();
  }
  return 0;
}
