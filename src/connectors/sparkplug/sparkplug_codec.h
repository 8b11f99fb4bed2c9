// Sparkplug B payloads: protobuf bytes (sparkplug_b.proto) → metrics, and the one payload the
// edge sends (a rebirth request). Protobuf parsing is libprotobuf's; this layer checks what
// Sparkplug adds on top: the data type codes, that a metric's value field fits its type, and
// the conversion of numeric values to double.
//
// Not thread-safe: a decoder reuses its protobuf message between calls; views in a decoded
// payload stay valid until the next Decode.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace strata {

// Sparkplug B metric data types (specification 3.0, "Data Types").
enum class SparkplugType : uint32_t {
  kUnknown = 0,
  kInt8 = 1,
  kInt16 = 2,
  kInt32 = 3,
  kInt64 = 4,
  kUInt8 = 5,
  kUInt16 = 6,
  kUInt32 = 7,
  kUInt64 = 8,
  kFloat = 9,
  kDouble = 10,
  kBoolean = 11,
  kString = 12,
  kDateTime = 13,
  kText = 14,
  kUuid = 15,
  kDataSet = 16,
  kBytes = 17,
  kFile = 18,
  kTemplate = 19,
};

// The name of a type code ("Int32", "Template", "type 57" for an unknown code).
std::string SparkplugTypeName(uint32_t type);

// Which value field of the metric is set.
enum class SparkplugValueField : uint8_t {
  kNone,
  kInt,   // int_value (uint32 on the wire)
  kLong,  // long_value (uint64)
  kFloat,
  kDouble,
  kBoolean,
  kString,
  kBytes,
  kOther,  // dataset, template or extension
};

struct SparkplugMetric {
  std::string_view name;  // empty when only the alias is sent
  std::optional<uint64_t> alias;
  std::optional<int64_t> ts_ms;
  uint32_t type = 0;  // 0: not sent (allowed in DATA messages: the birth declared it)
  bool is_null = false;
  SparkplugValueField field = SparkplugValueField::kNone;
  uint64_t bits = 0;  // int_value / long_value / boolean (0, 1)
  double real = 0;    // float_value / double_value
};

struct SparkplugPayload {
  std::optional<int64_t> ts_ms;
  std::optional<uint64_t> seq;
  std::vector<SparkplugMetric> metrics;
};

// The numeric value of `m` read as `type` (the metric's own, or its birth's): signed integer
// types as two's complement of their width, Boolean as 0/1. InvalidArgument naming the problem
// for a non-numeric type (String, DataSet, ...; DateTime too), for a value field that does not
// fit the type, or when there is no value.
StatusOr<double> SparkplugNumber(const SparkplugMetric& m, uint32_t type);

class SparkplugDecoder {
 public:
  SparkplugDecoder();
  ~SparkplugDecoder();
  SparkplugDecoder(const SparkplugDecoder&) = delete;
  SparkplugDecoder& operator=(const SparkplugDecoder&) = delete;

  // Replaces `*out` with the payload in `bytes`. InvalidArgument when the bytes are not a
  // Sparkplug B payload (not protobuf, or a timestamp beyond int64 milliseconds).
  Status Decode(std::string_view bytes, SparkplugPayload* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The NCMD payload that asks an edge node to publish its births again:
// metric "Node Control/Rebirth" = true (Boolean), stamped `ts_ms`.
std::string EncodeRebirthRequest(int64_t ts_ms);

}  // namespace strata
