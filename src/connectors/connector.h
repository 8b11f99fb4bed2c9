// Connector: a source of readings (MQTT, later Modbus TCP, OPC UA). Every connector has the
// same life cycle and pushes what it receives into the pipeline's bounded queue: when the
// pipeline is slow the push blocks and the connector stops reading from its peer — that is
// the backpressure contract (Fluent Bit's "paused input").
//
// Start never fails because the peer is unreachable: the connector keeps retrying with
// backoff and says so in the log and in its metrics. It fails only for configuration that
// cannot work (e.g. a TLS file that cannot be read).
//
// Threading: Start/Stop/Pause/Resume are called from one controlling thread. The connector
// runs its own I/O thread(s).
#pragma once

#include <string>

#include "core/status.h"

namespace strata {

class Connector {
 public:
  virtual ~Connector() = default;
  virtual const std::string& name() const = 0;
  virtual Status Start() = 0;
  // Stops reading and joins the connector's threads. Messages already pushed stay queued.
  virtual void Stop() = 0;
  // Stops taking messages from the peer until Resume (the peer holds them).
  virtual void Pause() = 0;
  virtual void Resume() = 0;
  virtual bool connected() const = 0;
};

}  // namespace strata
