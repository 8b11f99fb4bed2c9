// ModbusConnector: polls one Modbus TCP endpoint (one connection, one or more unit ids) on the
// schedule of its poll groups and pushes every read response into the pipeline's queue.
//
// - One thread per connector: libmodbus contexts are not thread-safe, and connectors stay
//   independent — a dead or slow endpoint never delays another connector.
// - Each poll group runs at its own interval (fixed rate; a group that falls behind skips the
//   missed cycles and counts an overrun). A group's reads run in plan order.
// - Every request has a response timeout. After a timeout the group's remaining requests to
//   the same unit are not sent this cycle (they are reported as timed out), so a silent unit
//   id costs one timeout per poll, not one per request. After `timeouts_before_reconnect`
//   timeouts in a row with no answer in between, the connection is dropped and reopened.
// - An exception response marks the request's signals bad and keeps the connection. A
//   response that is not a valid answer (garbage, wrong transaction, a wrong length) or a
//   broken connection drops the connection (the byte stream can no longer be trusted), marks
//   every signal of the connector bad once, and reconnects with exponential backoff between
//   reconnect.min and reconnect.max; the backoff resets after the first valid answer.
// - Backpressure: pushing into the BoundedQueue blocks while it is full, which delays the
//   next poll (polls are skipped, not buffered): memory stays bounded.
// - libmodbus reads into fixed buffers of one ADU (260 bytes): a peer cannot make it allocate.
//
// Threading: see Connector. Stop waits for a request in flight (at most one response timeout,
// or the connect timeout).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "connectors/connector.h"
#include "connectors/modbus/modbus_config.h"
#include "connectors/modbus/modbus_message.h"
#include "core/clock.h"
#include "core/metrics.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/raw_message.h"

struct _modbus;  // libmodbus's modbus_t

namespace strata {

class ModbusConnector final : public Connector {
 public:
  // `index` is stamped on every RawMessage; `sink` must outlive the connector.
  ModbusConnector(ModbusConnectorConfig config, uint32_t index, BoundedQueue<RawMessage>* sink,
                  const Clock& clock, MetricsRegistry& metrics);
  ~ModbusConnector() override;

  const std::string& name() const override { return config_.name; }
  Status Start() override;
  void Stop() override;
  void Pause() override;
  void Resume() override;
  // True while the TCP connection is open and the last request got an answer (or none was
  // sent yet).
  bool connected() const override { return up_.value() == 1; }

  const ModbusConnectorConfig& config() const { return config_; }

 private:
  struct ModbusDeleter {
    void operator()(_modbus* ctx) const;
  };
  using ModbusPtr = std::unique_ptr<_modbus, ModbusDeleter>;
  using SteadyTime = std::chrono::steady_clock::time_point;

  void Run();
  // Opens the connection; false (logged, counted) when it cannot.
  bool Connect();
  // Closes the connection and reports every request not already reported as disconnected.
  void Disconnect(const std::string& why);
  // Sends one request and waits for its answer; fills `data` (see modbus_message.h).
  ModbusOutcome Execute(const ModbusRequest& request, uint8_t* exception_code, std::string* data,
                        std::string* error);
  // Polls every request of group `g`; false when the connection was lost on the way.
  bool PollGroup(size_t g);
  // Pushes the response of request `r`; false when the pipeline is closed.
  bool Emit(uint32_t r, ModbusOutcome outcome, uint8_t exception_code, std::string data);
  // Logs when a request's outcome changes (not on every poll).
  void NoteOutcome(uint32_t r, ModbusOutcome outcome, const std::string& error);
  // Waits until `deadline` or Stop; also waits while paused. False when stopping.
  bool WaitUntil(SteadyTime deadline);
  bool stopping();
  std::string Tag() const { return "[modbus:" + config_.name + "]"; }

  ModbusConnectorConfig config_;
  const uint32_t index_;
  BoundedQueue<RawMessage>* sink_;
  const Clock& clock_;
  MetricsRegistry& metrics_;
  std::thread thread_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool paused_ = false;

  // Poll thread only.
  ModbusPtr ctx_;
  int64_t backoff_ns_ = 0;
  int consecutive_timeouts_ = 0;
  bool closed_sink_ = false;
  std::vector<int> last_outcome_;     // per request: -1 none yet, else a ModbusOutcome
  std::vector<SteadyTime> next_due_;  // per group

  Gauge& up_;
  Counter& connects_;
  Counter& connect_failures_;
  Counter& messages_;
  Counter& requests_;
  std::vector<Counter*> failures_;  // by ModbusOutcome (kOk unused)
  Counter& polls_;
  Gauge& poll_seconds_total_;  // sum of poll durations: with polls_, the mean
  Counter& overruns_;
  std::vector<Gauge*> poll_seconds_;  // per group: duration of the last poll
};

}  // namespace strata
