// Payload decoders: bytes of one MQTT message → Readings.
//
//   decoders:
//     reading:                    # {"v": 21.5, "ts": 1732350000123, "q": "good", "u": "Cel"}
//       type: json
//       value: /v                 # JSON pointers (RFC 6901); "" is the whole document
//       timestamp: /ts            # number (see timestamp_unit) or RFC 3339 string
//       timestamp_unit: ms        # s | ms | us | ns (numbers only)
//       quality: /q               # "good"/"uncertain"/"bad", OPC UA status code, or bool
//       unit: /u                  # UCUM code sent with the value (optional)
//     batch:                      # {"ts": ..., "readings": [{"n": "temp", "v": 1.0}, ...]}
//       type: json
//       items: /readings          # an array of readings; pointers below are relative to an
//       name: /n                  # item; timestamp/quality/unit fall back to the message's
//       value: /v
//       timestamp: /ts
//     waveform:                   # {"ts": ..., "fs": 25600, "samples": [0.1, -0.2, ...]}
//       type: json
//       samples: /samples
//       sample_rate: /fs          # or sample_rate_hz: 25600 for a fixed rate
//       timestamp: /ts
//     plain:                      # "21.5", " -3e2\n", "+7", "NaN", "inf"
//       type: number
//     spb:                        # Sparkplug B payloads on spBv1.0/... topics
//       type: sparkplug           # (see connectors/sparkplug/sparkplug_session.h)
//
// A configured pointer must be present in every message (else the reading is dead-lettered as
// missing_field), except quality and unit, which are optional; without a `timestamp` pointer
// readings are stamped with their receive time. Waveform samples are stored as float: a
// sample beyond its range is out_of_range.
//
// Not thread-safe: a decoder keeps parser buffers between calls; one per pipeline thread.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config_node.h"
#include "core/dead_letter.h"
#include "core/status.h"
#include "pipeline/reading.h"

namespace strata {

enum class TimestampUnit { kSeconds, kMillis, kMicros, kNanos };

struct DecoderSpec {
  // kSparkplug: Sparkplug B (protobuf, stateful); decoded by SparkplugSession, not by a
  // PayloadDecoder (see mqtt_message_handler.h).
  enum class Type { kJson, kNumber, kSparkplug };
  Type type = Type::kJson;
  std::string name;
  // JSON pointers; empty optional = not configured.
  std::optional<std::string> items;
  std::optional<std::string> item_name;
  std::optional<std::string> value;
  std::optional<std::string> timestamp;
  std::optional<std::string> quality;
  std::optional<std::string> unit;
  std::optional<std::string> samples;
  std::optional<std::string> sample_rate;
  double sample_rate_hz = 0;  // fixed rate when `sample_rate` is not configured
  TimestampUnit timestamp_unit = TimestampUnit::kMillis;

  bool gives_item_names() const { return item_name.has_value() || type == Type::kSparkplug; }
  // Reads one decoder from config. Throws ConfigError.
  static DecoderSpec Read(const std::string& name, ConfigNode& node);
};

class PayloadDecoder {
 public:
  virtual ~PayloadDecoder() = default;
  // `payload` must have kPayloadPadding bytes of capacity beyond its size (RawMessage does).
  // Views in the result stay valid until the next call.
  virtual void Decode(const std::string& payload, DecodeResult* out) = 0;
};

std::unique_ptr<PayloadDecoder> MakePayloadDecoder(const DecoderSpec& spec);

}  // namespace strata
