// Reading: one value decoded from a message, before it is mapped onto the asset model; and
// DecodeResult, what a decoder (MQTT payload, Sparkplug, Modbus registers) makes of a message.
// Views point into the decoder's buffers and are valid until the decoder's next call.
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/dead_letter.h"
#include "core/observation.h"
#include "core/quality.h"

namespace strata {

struct Reading {
  std::string_view name;  // item name within the message; fills the {name} capture
  double value = std::numeric_limits<double>::quiet_NaN();
  bool has_value = false;
  std::shared_ptr<const WaveformBlock> block;  // a waveform reading (then has_value is false)
  std::optional<int64_t> ts_ns;                // source time; absent: the receive time is used
  std::optional<Quality> quality;              // absent: good
  std::string_view unit;                       // unit the payload names; empty: not given
};

// One decoded item: a Reading, or why it could not be decoded.
struct DecodedItem {
  Reading reading;
  bool ok = true;
  RejectReason reason = RejectReason::kMalformedPayload;
  std::string error;
};

struct DecodeResult {
  // The whole message failed (e.g. not JSON): no items.
  bool failed = false;
  RejectReason reason = RejectReason::kMalformedPayload;
  std::string error;
  std::vector<DecodedItem> items;

  void Clear() {
    failed = false;
    error.clear();
    items.clear();
  }
};

}  // namespace strata
