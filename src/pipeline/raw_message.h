// RawMessage: bytes as a connector received them, before decoding. The unit of work between a
// connector and the pipeline.
#pragma once

#include <cstdint>
#include <string>

namespace strata {

// Extra bytes reserved after every payload so that simdjson can parse it in place.
inline constexpr size_t kPayloadPadding = 64;

struct RawMessage {
  uint32_t connector = 0;  // index of the connector in the pipeline that received it
  std::string topic;       // or another source address
  std::string payload;     // capacity() >= size() + kPayloadPadding (see SetPayload)
  int64_t receive_ts_ns = 0;
  // The payload was over the connector's limit: `payload` holds only its first bytes and
  // `original_size` the full length. The pipeline dead-letters it.
  bool oversize = false;
  size_t original_size = 0;

  void SetPayload(const void* data, size_t size) {
    payload.reserve(size + kPayloadPadding);
    payload.assign(static_cast<const char*>(data), size);
  }
  // Memory held, for queue accounting.
  size_t ByteCost() const { return sizeof(RawMessage) + topic.capacity() + payload.capacity(); }
};

}  // namespace strata
