#include "cli/demo_history.h"

#include <fmt/format.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "connectors/mqtt/mqtt_message_handler.h"
#include "core/metrics.h"
#include "ml/training/dataset.h"
#include "pipeline/normalizer.h"
#include "sim/plant.h"
#include "store/store.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kMinute = 60'000'000'000LL;
constexpr size_t kBatchRows = 4096;

constexpr sim::FaultKind kKinds[] = {sim::FaultKind::kBearingOuterRace,
                                     sim::FaultKind::kBearingInnerRace, sim::FaultKind::kImbalance,
                                     sim::FaultKind::kCoolingLoss};

}  // namespace

StatusOr<HistoryResult> GenerateHistory(
    const HistoryOptions& o, const EdgeConfig& edge,
    const std::function<bool(int64_t done_ns, int64_t total_ns)>& progress) {
  if (edge.mqtt.empty()) {
    return InvalidArgumentError("the demo's edge config has no MQTT connector to decode with");
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(o.store_path + suffix, ec);
  auto sources = std::make_shared<SourceCatalog>();
  SqliteStoreOptions so;
  so.path = o.store_path;
  so.durability = Durability::kNormal;
  so.outbox = false;
  so.model = edge.model;
  so.sources = sources;
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Store> store, OpenSqliteStore(so));

  MetricsRegistry metrics;
  PipelineCounters counters(metrics);
  const Clock& clock = Clock::System();  // the history lies in the past: nothing is "future"
  Normalizer normalizer(edge.model, clock, ValidationOptions{}, &counters);
  MqttMessageHandler handler(edge.mqtt.front(), sources, &metrics);

  HistoryResult result;
  std::vector<ml::FaultEpisode> episodes;
  WriteBatch batch;
  auto flush = [&]() -> Status {
    if (batch.empty()) return Status::Ok();
    AppendResult r;
    STRATA_RETURN_IF_ERROR(store->Append(batch, &r));
    result.observations += r.observations_written;
    result.dead_letters += r.dead_letters_written;
    batch.clear();
    return Status::Ok();
  };

  const int64_t total = o.segment_ns * o.segments;
  std::vector<sim::PlantMessage> messages;
  RawMessage raw;
  for (int k = 0; k < o.segments; ++k) {
    const int64_t seg_start = o.start_ns + k * o.segment_ns;
    const int64_t seg_end = seg_start + o.segment_ns;
    sim::PlantConfig config = o.plant;
    config.seed = o.plant.seed + static_cast<uint64_t>(k);
    config.bad_messages_per_minute = 0;
    config.faults.clear();
    for (size_t m = 0; m < config.machines.size(); ++m) {
      if ((m + static_cast<size_t>(k)) % 2 != 0) continue;  // about half the machines
      sim::PlantFault f;
      f.machine = config.machines[m].name;
      f.kind = kKinds[(static_cast<size_t>(k) + m / 2) % 4];
      // Onset a fifth of the way in, growth to full severity by three quarters of the run.
      f.onset_after_ns = o.segment_ns / 5 + static_cast<int64_t>(m % 3) * kMinute;
      f.growth_ns = o.segment_ns / 2;
      config.faults.push_back(f);
      ml::FaultEpisode e;
      e.asset = config.asset_prefix.empty() ? f.machine : config.asset_prefix + "/" + f.machine;
      e.fault = sim::FaultKindName(f.kind);
      e.onset_ns = seg_start + *f.onset_after_ns;
      e.full_severity_ns = e.onset_ns + f.growth_ns;
      e.end_ns = seg_end;  // repaired: the next run starts healthy
      episodes.push_back(e);
    }
    sim::Plant plant(config, seg_start);
    int64_t next_report = seg_start + kMinute;
    while (plant.next_due() < seg_end) {
      messages.clear();
      const int64_t t = plant.EmitNext(&messages);
      for (sim::PlantMessage& msg : messages) {
        raw.topic = std::move(msg.topic);
        raw.SetPayload(msg.payload.data(), msg.payload.size());
        raw.receive_ts_ns = t;
        handler.Handle(raw, normalizer, &batch);
      }
      if (batch.size() >= kBatchRows) STRATA_RETURN_IF_ERROR(flush());
      if (t >= next_report) {
        next_report += kMinute;
        if (progress && !progress(t - o.start_ns, total)) {
          return CancelledError("stopped while simulating history");
        }
      }
    }
    STRATA_RETURN_IF_ERROR(flush());
  }
  if (progress) progress(total, total);  // the end: nothing left to cancel

  std::ofstream gt(o.ground_truth_path, std::ios::trunc);
  for (const ml::FaultEpisode& e : episodes) gt << ml::GroundTruthJsonLine(e) << '\n';
  gt.close();
  if (!gt) return UnavailableError(fmt::format("cannot write '{}'", o.ground_truth_path));
  result.episodes = static_cast<int>(episodes.size());
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return result;
}

}  // namespace strata
