// Memory of the edge process under steady load: 1,000 signals (100 assets × 10) at
// 10,000 observations/s through a real mosquitto into `strata edge`, for a fixed time.
// Samples VmRSS of the edge process every second; reports the peak (VmHWM) and the median
// of the second half (steady state).
//
//   build/release/bench/edge_rss_bench [--seconds 60] [--strata build/release/bin/strata]
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <httplib.h>

#include "bench/bench_model.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "core/clock.h"
#include "testing/testing.h"

namespace strata::bench {
namespace {

constexpr int kAssets = 100;
constexpr int kSignals = 10;

// A field of /proc/<pid>/status in KiB ("VmRSS", "VmHWM").
long StatusKiB(pid_t pid, const char* field) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + std::strlen(field) + 1);
  }
  return -1;
}

double Metric(int port, const std::string& series) {
  httplib::Client http("127.0.0.1", port);
  auto res = http.Get("/metrics");
  if (!res) return -1;
  const size_t at = res->body.find("\n" + series + " ");
  return at == std::string::npos ? -1 : std::stod(res->body.substr(at + series.size() + 2));
}

int Run(int seconds, std::string strata) {
  auto broker = testing::MosquittoBroker::Start();
  if (!broker.ok()) {
    fmt::print(stderr, "{}\n", broker.status().ToString());
    return 1;
  }
  testing::TempDir dir;
  auto metrics_port = FreeTcpPort();
  testing::WriteTextFile(dir.File("assets.yaml"), AssetModelYaml(kAssets, kSignals));
  testing::WriteTextFile(
      dir.File("edge.yaml"),
      fmt::format("store: {{path: {}, durability: full}}\nassets: assets.yaml\nconnectors:{}\n"
                  "metrics: {{listen: \"127.0.0.1:{}\"}}\n",
                  dir.File("edge.db"), ConnectorYaml((*broker)->port(), "ms"), *metrics_port));
  ChildProcess::Options o;
  o.argv = {strata, "edge", "--config", dir.File("edge.yaml")};
  o.log_file = dir.File("edge.log");
  auto edge = ChildProcess::Spawn(o);
  if (!edge.ok()) {
    fmt::print(stderr, "{}\n", edge.status().ToString());
    return 1;
  }
  if (!testing::WaitUntil([&] {
        return Metric(*metrics_port, "strata_edge_connector_up{connector=\"bench\"}") == 1;
      })) {
    fmt::print(stderr, "edge did not connect:\n{}\n", testing::ReadTextFile(o.log_file));
    return 1;
  }
  MqttPublisher::Options po;
  po.port = (*broker)->port();
  auto pub = MqttPublisher::Connect(po, 10 * kNsPerSec);
  if (!pub.ok()) return 1;

  // Every 100 ms each asset sends one message with its 10 readings: 10,000 obs/s.
  std::vector<long> rss;
  const auto start = std::chrono::steady_clock::now();
  int64_t messages = 0;
  for (int tick = 0; tick < seconds * 10; ++tick) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(100 * tick));
    const int64_t ts = Clock::System().NowNs() / kNsPerMs;
    for (int a = 0; a < kAssets; ++a) {
      if (!(*pub)->Publish(fmt::format("bench/m{:04}", a + 1), Payload(ts, kSignals, 20 + a % 30))
               .ok()) {
        return 1;
      }
      ++messages;
    }
    if (tick % 10 == 9) rss.push_back(StatusKiB((*edge)->pid(), "VmRSS:"));
  }
  const double expected = double(messages) * kSignals;
  const bool all = testing::WaitUntil(
      [&] { return Metric(*metrics_port, "strata_edge_observations_stored_total") >= expected; },
      std::chrono::seconds(60));
  const long hwm = StatusKiB((*edge)->pid(), "VmHWM:");
  std::vector<long> steady(rss.begin() + static_cast<long>(rss.size() / 2), rss.end());
  std::sort(steady.begin(), steady.end());
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("edge RSS with {} signals at {:.0f} obs/s for {} s: peak (VmHWM) {:.1f} MB, steady "
             "(median of 2nd half) {:.1f} MB; stored {:.0f} of {:.0f}{}\n",
             kAssets * kSignals, expected / elapsed, seconds, hwm / 1024.0,
             steady.empty() ? 0.0 : steady[steady.size() / 2] / 1024.0,
             Metric(*metrics_port, "strata_edge_observations_stored_total"), expected,
             all ? "" : "  LOSS!");
  (*edge)->Terminate();
  return all ? 0 : 1;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  int seconds = 60;
  std::string strata = "build/release/bin/strata";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--seconds")) seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--strata")) strata = argv[i + 1];
  }
  return strata::bench::Run(seconds, strata);
}
