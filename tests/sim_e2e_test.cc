// The simulated plant into the edge through a real broker: every reading of every machine
// arrives, nothing is rejected that should not be, and the ground truth is written.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <thread>

#include "core/time_util.h"
#include "edge/edge_agent.h"
#include "sim/plant_publisher.h"
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

}  // namespace
}  // namespace strata
