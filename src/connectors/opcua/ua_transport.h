// UaTransport: the byte stream under a secure channel, and TcpTransport, its TCP socket.
// Kept apart from the encoding layer (ua_*.h are pure codecs) so that tests can put a fake
// transport under a SecureChannel and the connector can interrupt a blocked read on Stop.
//
// Every call that can block takes an absolute deadline (steady clock): a stalled peer costs
// at most the caller's timeout, never a hung thread.
//
// Threading: one owner thread calls Connect/Send/Receive/Close; Interrupt may be called from
// any thread and makes the pending and every later Connect/Send/Receive fail with Cancelled
// until ClearInterrupt.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace strata::opcua {

using SteadyTime = std::chrono::steady_clock::time_point;

// Deadlines: a call that times out returns Unavailable with a message starting "timed out"
// (IsTimeout); the connection stays usable, and bytes already received stay received.
inline bool IsTimeout(const Status& s) {
  return s.code() == StatusCode::kUnavailable && s.message().rfind("timed out", 0) == 0;
}

class UaTransport {
 public:
  virtual ~UaTransport() = default;
  // Opens a connection to host:port. Unavailable when refused, unreachable or past
  // `deadline`.
  [[nodiscard]] virtual Status Connect(const std::string& host, int port, SteadyTime deadline) = 0;
  // Sends every byte of `data` before `deadline`.
  [[nodiscard]] virtual Status Send(std::string_view data, SteadyTime deadline) = 0;
  // Appends at least one and at most `max_bytes` received bytes to *out. Unavailable when the
  // peer closed the connection; a timeout (IsTimeout) when nothing arrived before `deadline`.
  [[nodiscard]] virtual Status Receive(std::string* out, size_t max_bytes, SteadyTime deadline) = 0;
  virtual void Close() = 0;
  virtual void Interrupt() = 0;
  virtual void ClearInterrupt() = 0;
};

// A non-blocking TCP socket driven by poll(2), with an eventfd for Interrupt.
class TcpTransport final : public UaTransport {
 public:
  TcpTransport();
  ~TcpTransport() override;
  TcpTransport(const TcpTransport&) = delete;
  TcpTransport& operator=(const TcpTransport&) = delete;

  Status Connect(const std::string& host, int port, SteadyTime deadline) override;
  Status Send(std::string_view data, SteadyTime deadline) override;
  Status Receive(std::string* out, size_t max_bytes, SteadyTime deadline) override;
  void Close() override;
  void Interrupt() override;
  void ClearInterrupt() override;

 private:
  // Waits until fd_ is ready for `events` or the deadline; Ok when ready.
  Status Wait(short events, SteadyTime deadline, const char* what);

  int fd_ = -1;
  int wake_fd_ = -1;  // eventfd; readable while interrupted
};

}  // namespace strata::opcua
