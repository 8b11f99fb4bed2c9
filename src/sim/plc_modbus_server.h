// PlcModbusServer: serves the simulated machines' PLC registers (sim/plc_register_map.h) over
// Modbus TCP with libmodbus's server API, one unit id per machine (1..units).
//
// - One thread, poll() over the listening socket, a wake-up pipe and up to `max_clients`
//   connections; a connection beyond that is accepted and closed at once. Requests are
//   answered in arrival order, one frame at a time (libmodbus reads exactly one ADU of at most
//   260 bytes, so a peer cannot make it allocate).
// - A peer that stops mid-frame costs the thread at most `byte_timeout` per byte before its
//   connection is dropped; one that does not read its answers is dropped when a send blocks
//   for `send_timeout`. Garbage (an invalid frame) drops the connection.
// - A unit that has not been given an image yet answers exception 6 (server device busy); a
//   unit id outside 1..units answers exception 11 (gateway target device failed to respond).
//
// Threading: Update, port, clients and requests may be called from any thread; the images
// are guarded by one mutex, held only to copy an image in or out (never during socket I/O).
// Stop (also run by the destructor) wakes the thread, closes every connection and joins.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"
#include "sim/plc_register_map.h"

namespace strata::sim {

class PlcModbusServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";  // an IPv4 address to listen on
    int port = 0;                    // 0: any free port (see port())
    size_t units = 1;                // unit ids 1..units; at most 247
    size_t max_clients = 8;
    int64_t byte_timeout_ns = 500'000'000;
    int64_t send_timeout_ns = 2'000'000'000;
  };

  // Binds and listens (errors name the address and what to do), then starts the thread.
  static StatusOr<std::unique_ptr<PlcModbusServer>> Start(const Options& options);
  ~PlcModbusServer();
  PlcModbusServer(const PlcModbusServer&) = delete;
  PlcModbusServer& operator=(const PlcModbusServer&) = delete;

  // The bound port (the real one when Options::port was 0).
  int port() const { return port_; }
  // Replaces the image of unit `unit_index + 1`; ignored past `units`.
  void Update(size_t unit_index, const PlcImage& image);
  void Stop();

  size_t clients() const { return clients_.load(); }
  uint64_t requests() const { return requests_.load(); }

 private:
  struct Client;
  PlcModbusServer(Options options, int listen_fd, int port, int wake_read, int wake_write);
  void Run();
  void Accept(std::vector<std::unique_ptr<Client>>* clients);
  // Reads and answers one request; false when the connection must be closed.
  bool Serve(Client* client);

  const Options options_;
  const int listen_fd_;
  const int port_;
  const int wake_read_;
  const int wake_write_;

  std::mutex mu_;
  std::vector<std::optional<PlcImage>> images_;  // guarded by mu_; by unit index

  std::atomic<bool> stop_{false};
  std::atomic<size_t> clients_{0};
  std::atomic<uint64_t> requests_{0};
  std::thread thread_;
};

}  // namespace strata::sim
