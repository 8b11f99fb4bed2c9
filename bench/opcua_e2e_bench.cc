// OPC UA end to end: a node-opcua server (tests/opcua_server.js, run by /usr/bin/node) with
// --items N Double variables (default 5,000) changing every --interval-ms, and the edge agent
// in-process with one OPC UA connector monitoring all of them by node id, into its durable
// store. Reports
//   - the time from EdgeAgent::Start to the subscription with every monitored item created;
//   - over --seconds: data change notifications received per second and observations
//     committed per second;
//   - latency from the source timestamp (set by the server, millisecond resolution) to the
//     commit in the store, p50 / p99 / max, measured per observation by a commit observer;
//   - loss: the server's variable i holds i + k at tick k, so every committed value says which
//     change it was; every change of every item from its first value in the window up to the
//     last tick of the window must be committed (the items are exception-based on the server,
//     sampling interval 0, so the server sends each change once);
//   - CPU seconds per second of the edge (this process) and of the server.
//
//   build/release/bench/opcua_e2e_bench [--items 5000] [--interval-ms 200] [--seconds 20]
//                                       [--publishing-ms 100] [--min-sample-rate-ms 100]
//
// --min-sample-rate-ms is the server's MinSupportedSampleRate: it sends at most one change per
// item per that interval (node-opcua's default 100 ms), folding faster changes into one, which
// the loss count would report; 0 lets it send every change.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cli/child_process.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata::bench {
namespace {

constexpr int kSignalsPerAsset = 10;

struct Args {
  int items = 5000;
  int interval_ms = 200;
  int seconds = 20;
  int publishing_ms = 100;
  int min_sample_rate_ms = 100;
};

using SteadyClock = std::chrono::steady_clock;

double Seconds(SteadyClock::duration d) { return std::chrono::duration<double>(d).count(); }

// User + system CPU seconds of this process.
double SelfCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// User + system CPU seconds of process `pid` (from /proc/<pid>/stat), or -1.
double ProcessCpuSeconds(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return -1;
  // Fields after the command: state(3) ... utime(14) stime(15).
  std::vector<std::string> fields;
  size_t pos = paren + 2;
  while (pos < stat.size() && fields.size() < 13) {
    const size_t space = stat.find(' ', pos);
    fields.push_back(stat.substr(pos, space - pos));
    if (space == std::string::npos) break;
    pos = space + 1;
  }
  if (fields.size() < 13) return -1;
  const double ticks = double(sysconf(_SC_CLK_TCK));
  return (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
}

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * double(v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return double(v[k]) / 1e6;
}

std::string AssetPath(int item) {
  return fmt::format("bench/site/line/m{:04}", item / kSignalsPerAsset + 1);
}
std::string SignalName(int item) { return fmt::format("s{:02}", item % kSignalsPerAsset); }

std::string EdgeYaml(const Args& args, const std::string& dir, int port) {
  std::string y = fmt::format(R"(
store: {{path: {}/edge.db, durability: full}}
assets:
  asset_types:
    machine:
      signals:
)",
                              dir);
  for (int s = 0; s < kSignalsPerAsset; ++s)
    y += fmt::format("        s{:02}: {{unit: \"1\"}}\n", s);
  y +=
      fmt::format(R"(  assets:
    - {{path: "bench/site/line/m{{0001..{:04}}}", type: machine}}
connectors:
  - name: bench
    type: opcua
    endpoint: opc.tcp://127.0.0.1:{}/strata
    publishing_interval: {}ms
    sampling_interval: 0ms
    request_timeout: 10s
    connect_timeout: 30s
    items:
)",
                  (args.items + kSignalsPerAsset - 1) / kSignalsPerAsset, port, args.publishing_ms);
  for (int i = 0; i < args.items; ++i) {
    y += fmt::format("      - {{node_id: \"ns=1;s=Bulk.V{}\", asset: {}, signal: {}}}\n", i,
                     AssetPath(i), SignalName(i));
  }
  y += "metrics: {listen: \"off\"}\n";
  return y;
}

int Fail(const std::string& what) {
  fmt::print(stderr, "{}\n", what);
  return 1;
}

int Run(const Args& args) {
  spdlog::set_level(spdlog::level::warn);
  testing::TempDir dir;
  auto port = FreeTcpPort();
  if (!port.ok()) return Fail(port.status().ToString());

  // The server.
  ChildProcess::Options o;
  o.argv = {"/usr/bin/node",
            testing::SourceDir() + "/tests/opcua_server.js",
            "--port",
            std::to_string(*port),
            "--pki",
            dir.File("pki"),
            "--items",
            std::to_string(args.items),
            "--interval",
            std::to_string(args.interval_ms),
            "--min-sample-rate",
            std::to_string(args.min_sample_rate_ms)};
  o.log_file = dir.File("server.log");
  auto server = ChildProcess::Spawn(o);
  if (!server.ok()) return Fail(server.status().ToString());
  const auto server_log = [&] { return testing::ReadTextFile(o.log_file); };
  if (!testing::WaitUntil(
          [&] {
            return server_log().find("listening on") != std::string::npos ||
                   (*server)->Poll().has_value();
          },
          std::chrono::seconds(120)) ||
      server_log().find("listening on") == std::string::npos) {
    return Fail("the node-opcua server did not start: " + server_log());
  }

  // The edge.
  auto config =
      EdgeConfig::Parse(EdgeYaml(args, dir.path(), *port), "<bench edge.yaml>", dir.path());
  if (!config.ok()) return Fail(config.status().ToString());
  std::unordered_map<SignalId, int> item_of;
  for (int i = 0; i < args.items; ++i) {
    item_of[config->model->FindAsset(AssetPath(i))->FindSignal(SignalName(i))] = i;
  }

  std::mutex mu;  // guards the fields below, written by the commit observer
  std::vector<std::vector<int64_t>> ticks(args.items);  // the k of every committed value
  std::vector<int64_t> latencies;                       // during the window
  int64_t window_observations = 0;
  bool in_window = false;
  std::atomic<int64_t> max_tick{0};
  EdgeAgent agent(std::move(*config), Clock::System());
  agent.SetCommitObserver([&](const WriteBatch& batch, int64_t commit_ns) {
    std::lock_guard lock(mu);
    for (const Observation& obs : batch.observations) {
      const auto it = item_of.find(obs.signal);
      if (it == item_of.end() || std::isnan(obs.value)) continue;
      const auto k = static_cast<int64_t>(obs.value) - it->second;
      ticks[it->second].push_back(k);
      if (k > max_tick.load(std::memory_order_relaxed)) max_tick = k;
      if (in_window) {
        latencies.push_back(commit_ns - obs.ts_ns);
        ++window_observations;
      }
    }
  });
  const auto metric = [&](const char* name) {
    return agent.metrics().Value(name, {{"connector", "bench"}});
  };

  const auto start = SteadyClock::now();
  if (Status s = agent.Start(); !s.ok()) return Fail(s.ToString());
  if (!testing::WaitUntil([&] { return metric("strata_edge_connector_up") == 1; },
                          std::chrono::seconds(120))) {
    return Fail("the connector did not subscribe within 120 s; server log:\n" + server_log());
  }
  const double connect_s = Seconds(SteadyClock::now() - start);
  // Warm-up: every item has delivered a value and the Publish loop runs.
  testing::WaitUntil(
      [&] {
        std::lock_guard lock(mu);
        return std::all_of(ticks.begin(), ticks.end(), [](const auto& t) { return !t.empty(); });
      },
      std::chrono::seconds(60));
  {
    // Let the first Publish responses (the initial values of every item) pass.
    const int64_t first = max_tick.load();
    testing::WaitUntil([&] { return max_tick.load() >= first + 2; }, std::chrono::seconds(30));
  }

  // The window.
  std::vector<size_t> window_start_index(args.items);
  int64_t tick_start = 0;
  const double notifications_before = metric("strata_edge_opcua_data_changes_total");
  const double missed_before = metric("strata_edge_opcua_missed_notifications_total");
  const double cpu_before = SelfCpuSeconds();
  const double server_cpu_before = ProcessCpuSeconds((*server)->pid());
  const auto window_begin = SteadyClock::now();
  {
    std::lock_guard lock(mu);
    in_window = true;
    tick_start = max_tick.load();
    for (int i = 0; i < args.items; ++i) window_start_index[i] = ticks[i].size();
  }
  std::this_thread::sleep_for(std::chrono::seconds(args.seconds));  // the measured run time
  int64_t tick_end = 0;
  int64_t observations = 0;
  std::vector<int64_t> lat;
  {
    std::lock_guard lock(mu);
    in_window = false;
    tick_end = max_tick.load();
    observations = window_observations;
    lat.swap(latencies);
  }
  const double window_s = Seconds(SteadyClock::now() - window_begin);
  const double cpu = SelfCpuSeconds() - cpu_before;
  const double server_cpu = ProcessCpuSeconds((*server)->pid()) - server_cpu_before;
  const double notifications =
      metric("strata_edge_opcua_data_changes_total") - notifications_before;
  const double missed = metric("strata_edge_opcua_missed_notifications_total") - missed_before;

  // Loss: wait until every item has committed tick_end (or later), then count the gaps.
  const bool caught_up = testing::WaitUntil(
      [&] {
        std::lock_guard lock(mu);
        return std::all_of(ticks.begin(), ticks.end(),
                           [&](const auto& t) { return !t.empty() && t.back() >= tick_end; });
      },
      std::chrono::seconds(60));
  int64_t expected = 0;
  int64_t received = 0;
  int64_t items_with_loss = 0;
  {
    std::lock_guard lock(mu);
    for (int i = 0; i < args.items; ++i) {
      std::vector<int64_t> t(ticks[i].begin() + static_cast<long>(window_start_index[i]),
                             ticks[i].end());
      std::sort(t.begin(), t.end());
      t.erase(std::unique(t.begin(), t.end()), t.end());
      t.erase(std::upper_bound(t.begin(), t.end(), tick_end), t.end());
      if (t.empty()) {
        ++items_with_loss;
        expected += tick_end - tick_start;
        continue;
      }
      const int64_t want = tick_end - t.front() + 1;
      expected += want;
      received += static_cast<int64_t>(t.size());
      if (static_cast<int64_t>(t.size()) < want) ++items_with_loss;
    }
  }
  agent.Stop();
  (*server)->Terminate();

  const double ticks_per_s = double(tick_end - tick_start) / window_s;
  fmt::print(
      "OPC UA end to end: node-opcua server, {} items changing every {} ms (nominal {:.0f} "
      "changes/s), publishing interval {} ms, server MinSupportedSampleRate {} ms, {:.1f} s "
      "window\n",
      args.items, args.interval_ms, args.items * 1000.0 / args.interval_ms, args.publishing_ms,
      args.min_sample_rate_ms, window_s);
  fmt::print("  connect + create {} monitored items: {:.2f} s (EdgeAgent::Start to subscribed)\n",
             args.items, connect_s);
  fmt::print(
      "  server: {:.1f} ticks/s achieved of {:.1f} nominal = {:.0f} changes/s; server CPU "
      "{:.2f} s/s\n",
      ticks_per_s, 1000.0 / args.interval_ms, ticks_per_s * args.items, server_cpu / window_s);
  fmt::print(
      "  edge: notifications received {:.0f}/s, observations committed {:.0f}/s; edge "
      "CPU {:.2f} s/s ({:.2f} µs per observation)\n",
      notifications / window_s, double(observations) / window_s, cpu / window_s,
      observations > 0 ? 1e6 * cpu / double(observations) : 0.0);
  fmt::print(
      "  latency source timestamp → committed: p50 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms "
      "({} observations)\n",
      Percentile(lat, 0.5), Percentile(lat, 0.99), Percentile(lat, 1.0), lat.size());
  fmt::print(
      "  loss: committed {} of {} changes (every item, from its first value in the window "
      "to tick {}); {} items with gaps; sequence numbers skipped by the server {:.0f}{}\n",
      received, expected, tick_end, items_with_loss, missed,
      caught_up ? "" : "; NOT every item caught up within 60 s");
  return received == expected && caught_up ? 0 : 1;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  strata::bench::Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--items")) a.items = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--interval-ms")) a.interval_ms = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) a.seconds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--publishing-ms")) a.publishing_ms = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--min-sample-rate-ms")) {
      a.min_sample_rate_ms = std::atoi(argv[i + 1]);
    }
  }
  return strata::bench::Run(a);
}
