#include "sim/plant_publisher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>

#include "connectors/mqtt/mqtt_publisher.h"
#include "core/time_util.h"
#include "sim/plant.h"
#include "sim/plc_modbus_server.h"
#include "sim/plc_register_map.h"

namespace strata::sim {

PlantPublisher::PlantPublisher(PlantConfig config, const Clock& clock)
    : config_(std::move(config)), clock_(clock) {}

void PlantPublisher::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
}

Status PlantPublisher::Run(int64_t connect_timeout_ns) {
  MqttPublisher::Options options;
  options.host = config_.host;
  options.port = config_.port;
  options.client_id = config_.client_id;
  options.username = config_.username;
  options.password = config_.password;
  options.tls = config_.tls;
  STRATA_ASSIGN_OR_RETURN(auto publisher, MqttPublisher::Connect(options, connect_timeout_ns));

  const int64_t wall0 = clock_.NowNs();
  Plant plant(config_, wall0 + config_.start_offset_ns);
  if (!config_.ground_truth_path.empty()) {
    const auto dir = std::filesystem::path(config_.ground_truth_path).parent_path();
    std::error_code ec;
    if (!dir.empty()) std::filesystem::create_directories(dir, ec);
    std::ofstream out(config_.ground_truth_path, std::ios::trunc);
    out << plant.GroundTruthJsonLines();
    if (!out) {
      return UnavailableError(
          fmt::format("cannot write the ground truth file '{}'", config_.ground_truth_path));
    }
  }
  std::unique_ptr<PlcModbusServer> modbus;
  if (config_.modbus) {
    PlcModbusServer::Options o;
    o.host = config_.modbus->host;
    o.port = config_.modbus->port;
    o.units = config_.machines.size();
    o.max_clients = static_cast<size_t>(config_.modbus->max_clients);
    STRATA_ASSIGN_OR_RETURN(modbus, PlcModbusServer::Start(o));
    modbus_port_ = modbus->port();
    std::string units;
    for (size_t i = 0; i < config_.machines.size(); ++i) {
      units += fmt::format("{}{} {}", i ? ", " : "", i + 1, config_.machines[i].name);
    }
    spdlog::info("sim: Modbus TCP server on {}:{}, unit ids {} (register map: docs/connectors.md)",
                 o.host, modbus->port(), units);
  }
  spdlog::info("sim: {} machines publishing to {}:{} under '{}', simulated start {}{}",
               config_.machines.size(), config_.host, config_.port, config_.topic_prefix,
               FormatTimestamp(plant.start_ns()),
               config_.start_offset_ns < 0
                   ? fmt::format(" (replaying {} of history at {}x)",
                                 FormatDuration(-config_.start_offset_ns), config_.speed)
                   : "");

  const int64_t end_ns = config_.duration_ns > 0 ? plant.start_ns() + config_.duration_ns : 0;
  std::vector<PlantMessage> messages;
  int64_t next_log = wall0 + 10 * kNsPerSec;
  while (true) {
    const int64_t t = plant.next_due();
    if (end_ns != 0 && t >= end_ns) break;
    // The wall time at which simulated time t is due: fast while replaying history, never
    // ahead of the clock.
    const auto replay_wall = wall0 + static_cast<int64_t>((t - plant.start_ns()) / config_.speed);
    const int64_t due_wall = std::max(replay_wall, t);
    {
      std::unique_lock lock(mu_);
      const int64_t wait = due_wall - clock_.NowNs();
      if (wait > 0) cv_.wait_for(lock, std::chrono::nanoseconds(wait), [&] { return stop_; });
      if (stop_) break;
      if (clock_.NowNs() < due_wall) continue;  // woke early
    }
    messages.clear();
    plant.EmitNext(&messages);
    if (modbus && plant.last_process_ns() == t) {
      for (size_t i = 0; i < plant.machines().size(); ++i) {
        modbus->Update(i, EncodePlcImage(plant.last_sample(i), plant.machines()[i]->spec().kind));
      }
    }
    for (const auto& m : messages) {
      STRATA_RETURN_IF_ERROR(publisher->Publish(m.topic, m.payload, 1));
      published_.fetch_add(1);
    }
    const int64_t now = clock_.NowNs();
    if (now >= next_log) {
      spdlog::info("sim: simulated time {}, {} messages published, {} acknowledged",
                   FormatTimestamp(t, 0), publisher->published(), publisher->acked());
      next_log = now + 10 * kNsPerSec;
    }
  }
  if (!publisher->WaitAllAcked(10 * kNsPerSec)) {
    spdlog::warn("sim: {} messages were not acknowledged by the broker before exit",
                 publisher->published() - publisher->acked());
  }
  if (modbus) {
    modbus->Stop();
    modbus_port_ = 0;
    spdlog::info("sim: Modbus server stopped after {} requests", modbus->requests());
  }
  spdlog::info("sim: stopped after {} messages", published_.load());
  return Status::Ok();
}

}  // namespace strata::sim
