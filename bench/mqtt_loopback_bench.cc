// Through a real mosquitto on loopback, into the edge agent and its durable store:
//   A. sustained rate: N messages published as fast as the broker acknowledges them; the
//      rate at which the edge commits them, with a check that every one is stored (no loss);
//   B. latency at a fixed rate (default 10,000 msg/s): publish → committed in the store,
//      p50 / p99 / p99.9 / max, measured per observation by a commit observer.
//
//   build/release/bench/mqtt_loopback_bench [--messages 200000] [--rate 10000] [--seconds 10]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "bench/bench_model.h"
#include "connectors/mqtt/mqtt_publisher.h"
#include "edge/edge_agent.h"
#include "testing/testing.h"

namespace strata::bench {
namespace {

constexpr int kAssets = 100;
constexpr int kSignals = 10;

struct Args {
  int messages = 200000;
  int rate = 10000;
  int seconds = 10;
};

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--messages")) a.messages = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rate")) a.rate = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) a.seconds = std::atoi(argv[i + 1]);
  }
  return a;
}

int64_t Now() { return Clock::System().NowNs(); }

std::string Message(int64_t i, int64_t ts_ns) {
  return fmt::format(R"({{"ts":{},"r":[{{"n":"s{:02}","v":{}}}]}})", ts_ns, i % kSignals,
                     20 + i % 50);
}
std::string Topic(int64_t i) { return fmt::format("bench/m{:04}", 1 + (i / kSignals) % kAssets); }

double Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1)));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return double(v[k]) / 1e6;
}

int Run(const Args& args) {
  spdlog::set_level(spdlog::level::warn);
  auto broker = testing::MosquittoBroker::Start();
  if (!broker.ok()) {
    fmt::print(stderr, "{}\n", broker.status().ToString());
    return 1;
  }
  testing::TempDir dir;
  testing::WriteTextFile(dir.File("assets.yaml"), AssetModelYaml(kAssets, kSignals));
  const std::string yaml = fmt::format(
      "store: {{path: {}, durability: full}}\nassets: {}\nconnectors:{}\nmetrics: {{listen: "
      "off}}\n",
      dir.File("edge.db"), dir.File("assets.yaml"), ConnectorYaml((*broker)->port(), "ns"));
  auto config = EdgeConfig::Parse(yaml, "<bench edge.yaml>", dir.path());
  if (!config.ok()) {
    fmt::print(stderr, "{}\n", config.status().ToString());
    return 1;
  }
  std::mutex mu;
  std::vector<int64_t> latencies;
  std::atomic<bool> record{false};
  std::atomic<int64_t> last_commit_ns{0};
  EdgeAgent agent(std::move(*config), Clock::System());
  agent.SetCommitObserver([&](const WriteBatch& batch, int64_t commit_ns) {
    last_commit_ns = commit_ns;
    if (!record.load()) return;
    std::lock_guard lock(mu);
    for (const auto& o : batch.observations) latencies.push_back(commit_ns - o.ts_ns);
  });
  if (Status s = agent.Start(); !s.ok()) {
    fmt::print(stderr, "{}\n", s.ToString());
    return 1;
  }
  testing::WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "bench"}}) == 1;
  });
  MqttPublisher::Options po;
  po.port = (*broker)->port();
  po.max_inflight = 2000;
  auto pub = MqttPublisher::Connect(po, 10 * kNsPerSec);
  if (!pub.ok()) {
    fmt::print(stderr, "{}\n", pub.status().ToString());
    return 1;
  }
  auto stored = [&] { return agent.metrics().Value("strata_edge_observations_stored_total"); };

  // A. Sustained rate with no loss.
  const int64_t a_start = Now();
  for (int64_t i = 0; i < args.messages; ++i) {
    if (!(*pub)->Publish(Topic(i), Message(i, Now() - 1'000'000'000), 1).ok()) return 1;
  }
  const int64_t a_published = Now();
  const bool all = testing::WaitUntil([&] { return stored() >= args.messages; },
                                      std::chrono::seconds(300));
  const int64_t a_end = last_commit_ns.load();
  const double a_rate = args.messages / (double(a_end - a_start) / 1e9);
  const double pub_rate = args.messages / (double(a_published - a_start) / 1e9);
  fmt::print("A. sustained: {} messages (1 observation each) published at {:.0f} msg/s, "
             "committed by the edge at {:.0f} obs/s; stored {} of {}, duplicates {}, rejected "
             "{}{}\n",
             args.messages, pub_rate, a_rate, stored(), args.messages,
             agent.metrics().Value("strata_edge_duplicates_total"),
             agent.metrics().Sum("strata_edge_rejected_total"), all ? "" : "  LOSS!");

  // B. Latency at a fixed rate.
  const double before = stored();
  const int64_t total = int64_t(args.rate) * args.seconds;
  record = true;
  const auto start = std::chrono::steady_clock::now();
  const int64_t per_ms = std::max(1, args.rate / 1000);
  for (int64_t i = 0; i < total; ++i) {
    if (i % per_ms == 0) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(i * 1'000'000 / args.rate));
    }
    const int64_t n = args.messages + i;
    if (!(*pub)->Publish(Topic(n), Message(n, Now()), 1).ok()) return 1;
  }
  testing::WaitUntil([&] { return stored() >= before + double(total); },
                     std::chrono::seconds(120));
  record = false;
  std::vector<int64_t> copy;
  {
    std::lock_guard lock(mu);
    copy = latencies;
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  fmt::print("B. latency at {} msg/s for {} s ({} messages, {:.0f} msg/s achieved): publish → "
             "committed p50 {:.2f} ms, p99 {:.2f} ms, p99.9 {:.2f} ms, max {:.2f} ms; stored {} "
             "of {}\n",
             args.rate, args.seconds, total, double(total) / elapsed, Percentile(copy, 0.5),
             Percentile(copy, 0.99), Percentile(copy, 0.999), Percentile(copy, 1.0),
             stored() - before, total);
  agent.Stop();
  return all ? 0 : 1;
}

}  // namespace
}  // namespace strata::bench

int main(int argc, char** argv) {
  return strata::bench::Run(strata::bench::ParseArgs(argc, argv));
}
