// Modbus TCP poll cycle on loopback: 2,000 holding registers (1,000 float32 values) across 10
// devices, read by the edge agent into its store, against libmodbus servers in this process
// (C peers, so that the figures are the client's and not a slow simulator's).
//
//   A. one gateway: the 10 devices are unit ids behind one connection (polled in turn);
//   B. ten PLCs: each device on its own connection, one connector each (polled concurrently).
//
// Reports the read requests after coalescing (vs. one per value), the mean poll time per
// device and per full cycle of all 10 devices, and checks that every value polled was stored.
//
//   build/release/bench/modbus_bench [--seconds 5] [--interval-ms 100]
#include <modbus.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench/bench_model.h"
#include "cli/child_process.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata::bench {
namespace {

constexpr int kDevices = 10;
constexpr int kValues = 100;  // float32 per device: 200 registers

struct Args {
  int seconds = 5;
  int interval_ms = 100;
};

// A libmodbus server on 127.0.0.1:port serving one client at a time, every unit id, with
// holding registers 0..199 holding float32 20.0, 20.25, ... (ABCD).
class Server {
 public:
  explicit Server(int port) : port_(port) {
    mapping_ = modbus_mapping_new(0, 0, 2 * kValues, 0);
    // By hand: libmodbus's modbus_set_float_* helpers changed meaning between versions.
    for (int i = 0; i < kValues; ++i) {
      const auto bits = std::bit_cast<uint32_t>(20.0f + 0.25f * static_cast<float>(i));
      mapping_->tab_registers[2 * i] = static_cast<uint16_t>(bits >> 16);
      mapping_->tab_registers[2 * i + 1] = static_cast<uint16_t>(bits & 0xffff);
    }
    ctx_ = modbus_new_tcp("127.0.0.1", port_);
    listen_fd_ = modbus_tcp_listen(ctx_, 1);
    thread_ = std::thread([this] { Run(); });
  }
  ~Server() {
    stop_ = true;
    shutdown(listen_fd_, SHUT_RDWR);
    thread_.join();
    close(listen_fd_);
    modbus_free(ctx_);
    modbus_mapping_free(mapping_);
  }
  bool ok() const { return listen_fd_ >= 0; }

 private:
  void Run() {
    uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
    while (!stop_) {
      int fd = listen_fd_;
      if (modbus_tcp_accept(ctx_, &fd) < 0) return;
      while (true) {
        const int rc = modbus_receive(ctx_, query);
        if (rc > 0) {
          modbus_reply(ctx_, query, rc, mapping_);
        } else if (rc < 0) {
          break;
        }
      }
      close(modbus_get_socket(ctx_));
    }
  }

  int port_;
  modbus_mapping_t* mapping_ = nullptr;
  modbus_t* ctx_ = nullptr;
  int listen_fd_ = -1;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::string Device(int unit_id, int device, int interval_ms) {
  std::string y = fmt::format(R"(
      - unit_id: {}
        asset: bench/site/line/m{:04}
        poll_groups:
          - interval: {}ms
            registers:
)",
                              unit_id, device + 1, interval_ms);
  for (int i = 0; i < kValues; ++i) {
    y += fmt::format("              - {{table: holding, address: {}, type: float32, signal: s{:02}}}\n",
                     2 * i, i);
  }
  return y;
}

std::string Connector(const std::string& name, int port) {
  return fmt::format(R"(
  - name: {}
    type: modbus
    endpoint: tcp://127.0.0.1:{}
    response_timeout: 1s
    devices:)",
                     name, port);
}

struct Result {
  size_t requests = 0;
  double polls = 0;
  double poll_seconds = 0;
  double stored = 0;
  double failures = 0;
  double rejected = 0;
  size_t connectors = 0;
};

// Runs the agent for `seconds` with `connectors` (YAML) and totals the Modbus metrics.
Result RunAgent(const std::string& connectors, const std::vector<std::string>& names,
                const Args& args) {
  testing::TempDir dir;
  testing::WriteTextFile(dir.File("assets.yaml"), AssetModelYaml(kDevices, kValues));
  const std::string yaml = fmt::format(
      "store: {{path: {}, durability: normal}}\nassets: {}\nconnectors:{}\nmetrics: {{listen: "
      "off}}\n",
      dir.File("edge.db"), dir.File("assets.yaml"), connectors);
  auto config = EdgeConfig::Parse(yaml, "<bench edge.yaml>", dir.path());
  if (!config.ok()) {
    fmt::print(stderr, "{}\n", config.status().ToString());
    std::exit(1);
  }
  Result r;
  for (const auto& c : config->modbus) r.requests += c.requests.size();
  EdgeAgent agent(std::move(*config), Clock::System());
  if (Status s = agent.Start(); !s.ok()) {
    fmt::print(stderr, "{}\n", s.ToString());
    std::exit(1);
  }
  std::this_thread::sleep_for(std::chrono::seconds(args.seconds));  // a benchmark's run time
  agent.Stop();
  for (const auto& name : names) {
    r.polls += agent.metrics().Value("strata_edge_modbus_polls_total", {{"connector", name}});
    r.poll_seconds +=
        agent.metrics().Value("strata_edge_modbus_poll_seconds_total", {{"connector", name}});
    for (const char* reason : {"timeout", "exception", "connection", "bad_response"}) {
      r.failures += agent.metrics().Value("strata_edge_modbus_request_failures_total",
                                          {{"connector", name}, {"reason", reason}});
    }
  }
  r.stored = agent.metrics().Value("strata_edge_observations_stored_total");
  r.connectors = names.size();
  r.rejected = agent.metrics().Sum("strata_edge_rejected_total");
  return r;
}

void Report(const char* title, const Result& r, bool concurrent) {
  const double per_device_ms = r.polls > 0 ? 1e3 * r.poll_seconds / r.polls : 0;
  // One connection polls its devices in turn; ten connections poll theirs at the same time.
  const double cycle_ms = concurrent ? per_device_ms : per_device_ms * kDevices;
  fmt::print("{}\n", title);
  fmt::print("  registers {} ({} float32 values) on {} devices; read requests per cycle {} "
             "(one per value: {})\n",
             2 * kValues * kDevices, kValues * kDevices, kDevices, r.requests,
             kValues * kDevices);
  fmt::print("  polls {:.0f}, failures {:.0f}; mean poll of one device {:.3f} ms; full cycle of "
             "all {} devices {:.3f} ms\n",
             r.polls, r.failures, per_device_ms, kDevices, cycle_ms);
  // A poll cut short by the stop may have stored only part of its values.
  const double polled = r.polls * kValues;
  const bool all = r.stored <= polled && r.stored >= polled - double(r.connectors * kValues);
  fmt::print("  observations stored {:.0f} of {:.0f} polled{}; rejected {:.0f}\n", r.stored,
             polled, all ? " (all, but for a poll cut short by the stop)" : "  <-- MISMATCH",
             r.rejected);
}

int Run(const Args& args) {
  spdlog::set_level(spdlog::level::warn);
  {
    auto port = FreeTcpPort();
    if (!port.ok()) return 1;
    Server gateway(*port);
    if (!gateway.ok()) return 1;
    std::string yaml = Connector("gateway", *port);
    for (int d = 0; d < kDevices; ++d) yaml += Device(d + 1, d, args.interval_ms);
    Report("A. one connection, 10 unit ids (a gateway)", RunAgent(yaml, {"gateway"}, args),
           false);
  }
  {
    std::vector<std::unique_ptr<Server>> servers;
    std::vector<std::string> names;
    std::string yaml;
    for (int d = 0; d < kDevices; ++d) {
      auto port = FreeTcpPort();
      if (!port.ok()) return 1;
      servers.push_back(std::make_unique<Server>(*port));
      names.push_back(fmt::format("plc-{}", d + 1));
      yaml += Connector(names.back(), *port) + Device(1, d, args.interval_ms);
    }
    Report("B. 10 connections, one device each (10 PLCs, polled concurrently)",
           RunAgent(yaml, names, args), true);
  }
  return 0;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  strata::bench::Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) a.seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--interval-ms")) a.interval_ms = std::atoi(argv[i + 1]);
  }
  return strata::bench::Run(a);
}
