// The simulated plant into the edge through a real broker: every reading of every machine
// arrives, nothing is rejected that should not be, and the ground truth is written.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <modbus.h>

#include <bit>
#include <thread>

#include "core/time_util.h"
#include "edge/edge_agent.h"
#include "sim/plant_publisher.h"
#include "sim/plc_register_map.h"
#include "store/store.h"
#include "testing/testing.h"

namespace strata {
namespace {

using testing::MosquittoBroker;
using testing::ReadTextFile;
using testing::TempDir;
using testing::WaitUntil;

TEST(SimE2E, EveryReadingOfTheExamplePlantIsStored) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  const std::string src = testing::SourceDir();

  auto edge_config = EdgeConfig::Load(src + "/examples/edge.yaml");
  ASSERT_TRUE(edge_config.ok()) << edge_config.status().ToString();
  edge_config->store_path = dir.File("edge.db");
  edge_config->mqtt[0].port = (*broker)->port();
  edge_config->mqtt[0].client_id = "sim-e2e-edge";
  edge_config->metrics_listen = "127.0.0.1:0";
  EdgeAgent agent(std::move(*edge_config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));

  auto plant = sim::PlantConfig::Load(src + "/examples/plant.yaml");
  ASSERT_TRUE(plant.ok()) << plant.status().ToString();
  plant->port = (*broker)->port();
  plant->start_offset_ns = -30 * kNsPerSec;  // replay 30 s of history, then stop
  plant->duration_ns = 30 * kNsPerSec;
  plant->speed = 1000;
  plant->bad_messages_per_minute = 6;  // one every 10 s: at 10 s and 20 s of the 30 s
  plant->ground_truth_path = dir.File("ground-truth.jsonl");
  ASSERT_TRUE(plant->modbus.has_value());
  plant->modbus->port = 0;  // any free port: tests run in parallel
  sim::PlantPublisher publisher(*plant, Clock::System());
  ASSERT_TRUE(publisher.Run().ok());

  // 30 process ticks × (4 pumps × 14 + 2 motors × 12 readings) + 6 vibration ticks × 6 blocks.
  const double expected = 30 * (4 * 14 + 2 * 12) + 6 * 6;
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_observations_stored_total") == expected &&
           agent.metrics().Value("strata_edge_dead_letters_stored_total") == 2;
  })) << agent.metrics().Value("strata_edge_observations_stored_total")
      << " stored, " << agent.metrics().Value("strata_edge_dead_letters_stored_total")
      << " dead letters";
  // The two deliberately broken messages (the simulator's first two kinds), and nothing else,
  // were rejected.
  EXPECT_EQ(agent.metrics().Value("strata_edge_rejected_total", {{"reason", "malformed_payload"}}),
            1);
  EXPECT_EQ(agent.metrics().Value("strata_edge_rejected_total", {{"reason", "out_of_range"}}), 1);
  EXPECT_EQ(agent.metrics().Sum("strata_edge_rejected_total"), 2);
  agent.Stop();

  const std::string truth = ReadTextFile(dir.File("ground-truth.jsonl"));
  EXPECT_NE(truth.find(R"("asset":"acme/plant-1/line-1/pump-02")"), std::string::npos) << truth;
  EXPECT_NE(truth.find(R"("fault":"bearing_outer_race")"), std::string::npos) << truth;
  EXPECT_NE(truth.find(R"("fault":"imbalance")"), std::string::npos) << truth;
}

// The PLC registers over Modbus TCP and the MQTT messages come from the same simulated
// machines: a libmodbus client's reading of pump-01 equals one the edge stored from MQTT.
TEST(SimE2E, ThePlcRegistersShowTheStateTheMqttMessagesCarry) {
  auto broker = MosquittoBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  TempDir dir;
  const std::string src = testing::SourceDir();
  auto edge_config = EdgeConfig::Load(src + "/examples/edge.yaml");
  ASSERT_TRUE(edge_config.ok()) << edge_config.status().ToString();
  edge_config->store_path = dir.File("edge.db");
  edge_config->mqtt[0].port = (*broker)->port();
  edge_config->mqtt[0].client_id = "sim-e2e-plc-edge";
  edge_config->metrics_listen = "127.0.0.1:0";
  EdgeAgent agent(std::move(*edge_config), Clock::System());
  ASSERT_TRUE(agent.Start().ok());
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_connector_up", {{"connector", "plant"}}) == 1;
  }));

  auto plant = sim::PlantConfig::Load(src + "/examples/plant.yaml");
  ASSERT_TRUE(plant.ok()) << plant.status().ToString();
  plant->port = (*broker)->port();
  plant->modbus->port = 0;
  plant->start_offset_ns = -20 * kNsPerSec;  // 20 s of history, then real time until stopped
  plant->speed = 1000;
  plant->bad_messages_per_minute = 0;
  plant->vibration_period_ns = 0;
  sim::PlantPublisher publisher(*plant, Clock::System());
  Status run;
  std::thread runner([&] { run = publisher.Run(); });
  ASSERT_TRUE(WaitUntil([&] { return publisher.modbus_port() != 0; }));

  modbus_t* ctx = modbus_new_tcp("127.0.0.1", publisher.modbus_port());
  ASSERT_NE(ctx, nullptr);
  ASSERT_EQ(modbus_connect(ctx), 0) << modbus_strerror(errno);
  modbus_set_slave(ctx, 1);  // pump-01
  uint16_t r[sim::kPlcInputRegisters] = {};
  // Before the first process tick the unit answers "busy"; wait for real values.
  ASSERT_TRUE(WaitUntil([&] {
    return modbus_read_input_registers(ctx, 0, sim::kPlcInputRegisters, r) ==
               sim::kPlcInputRegisters &&
           r[sim::kPlcProductionCount] != 0;
  }));
  modbus_close(ctx);
  modbus_free(ctx);
  publisher.Stop();
  runner.join();
  ASSERT_TRUE(run.ok()) << run.ToString();

  auto cdab = [&](int a) { return uint32_t(r[a]) | (uint32_t(r[a + 1]) << 16); };
  const double speed = std::bit_cast<float>(cdab(sim::kPlcSpeed));
  const double parts = cdab(sim::kPlcProductionCount);
  // Every process message of every tick: 6 per tick, 4 pumps × 14 + 2 motors × 12 readings.
  const double expected = double(publisher.published()) / 6 * (4 * 14 + 2 * 12);
  ASSERT_TRUE(WaitUntil([&] {
    return agent.metrics().Value("strata_edge_observations_stored_total") == expected;
  })) << agent.metrics().Value("strata_edge_observations_stored_total")
      << " of " << expected;
  agent.Stop();

  SqliteStoreOptions so;
  so.path = dir.File("edge.db");
  so.read_only = true;
  auto store = OpenSqliteStore(so);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ObservationQuery q;
  q.asset = "acme/plant-1/line-1/pump-01";
  q.from_ns = 0;
  q.to_ns = std::numeric_limits<int64_t>::max();
  auto matches = [&](const std::string& signal, double value, double tolerance) {
    q.signal = signal;
    auto rows = (*store)->QueryObservations(q);
    EXPECT_TRUE(rows.ok());
    EXPECT_FALSE(rows->empty()) << signal;
    for (const auto& row : *rows) {
      if (row.value && std::abs(*row.value - value) <= tolerance) return true;
    }
    return false;
  };
  // float32 against the JSON's 6 significant digits; the counter exactly.
  EXPECT_TRUE(matches("speed", speed, std::abs(speed) * 2e-6 + 1e-3)) << speed;
  EXPECT_TRUE(matches("production.count", parts, 0)) << parts;
  EXPECT_NEAR(static_cast<int16_t>(r[sim::kPlcBearingTemp]) * 0.1, 30, 25)
      << "a plausible bearing temperature in tenths of a degree";
}

}  // namespace
}  // namespace strata
