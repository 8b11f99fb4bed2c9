// MessageHandler: turns one RawMessage of a connector into Observations and DeadLetters.
// Each connector type provides one (e.g. MQTT: topic → mapping rule → payload decoder).
//
// Called from the pipeline thread only; an implementation may keep decoder state (parsers,
// buffers) between calls. CPU only: must not block or do I/O.
#pragma once

#include "pipeline/normalizer.h"
#include "pipeline/raw_message.h"
#include "store/store.h"

namespace strata {

class MessageHandler {
 public:
  virtual ~MessageHandler() = default;
  virtual void Handle(const RawMessage& message, Normalizer& normalizer, WriteBatch* out) = 0;
};

}  // namespace strata
