#include "sim/plant.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "core/asset_model.h"
#include "core/clock.h"

namespace strata::sim {
namespace {

PlantConfig TwoMachines() {
  auto c = PlantConfig::Parse(R"(
seed: 7
topic_prefix: t/plant
asset_prefix: acme/p1/l1
process_period: 1s
vibration: {period: 5s, sample_rate_hz: 10240, samples: 256, signal: bearing_de.accel}
bad_messages_per_minute: 12
machines:
  - {name: "pump-{1..2}", kind: pump}
  - {name: motor-1, kind: motor, shaft_rpm: 1480}
faults:
  - {machine: pump-2, kind: bearing_outer_race, onset: 10s, growth: 1m}
)",
                              "<test plant.yaml>", "");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

constexpr int64_t kStart = 1'800'000'000LL * kNsPerSec;

std::vector<PlantMessage> EmitUntil(const PlantConfig& config, int64_t until_ns) {
  Plant plant(config, kStart);
  std::vector<PlantMessage> out;
  while (plant.next_due() < until_ns) plant.EmitNext(&out);
  return out;
}

TEST(PlantTest, TheSameSeedGivesByteIdenticalMessages) {
  const auto a = EmitUntil(TwoMachines(), kStart + 30 * kNsPerSec);
  const auto b = EmitUntil(TwoMachines(), kStart + 30 * kNsPerSec);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].topic, b[i].topic);
    EXPECT_EQ(a[i].payload, b[i].payload) << a[i].topic;
  }
  PlantConfig other = TwoMachines();
  other.seed = 8;
  const auto c = EmitUntil(other, kStart + 30 * kNsPerSec);
  ASSERT_EQ(c.size(), a.size());
  size_t differ = 0;
  for (size_t i = 0; i < a.size(); ++i) differ += a[i].payload != c[i].payload;
  EXPECT_GT(differ, a.size() / 2) << "another seed must give other data";
}

TEST(PlantTest, MessagesFollowTheScheduleAndTheDocumentedFormats) {
  const auto messages = EmitUntil(TwoMachines(), kStart + 10 * kNsPerSec);
  int process = 0, vibration = 0, bad = 0;
  for (const auto& m : messages) {
    if (m.topic.ends_with("/process") && m.topic.find("/pump-") != std::string::npos &&
        nlohmann::json::accept(m.payload) &&
        nlohmann::json::parse(m.payload)["readings"].size() > 5) {
      auto j = nlohmann::json::parse(m.payload);
      EXPECT_EQ(j["readings"].size(), 14u) << "pumps send 14 process signals";
      EXPECT_EQ(j["ts"].get<int64_t>() % 1000, 0);
      ++process;
    } else if (m.topic.ends_with("/process") && m.topic.find("/motor-") != std::string::npos &&
               nlohmann::json::accept(m.payload) &&
               nlohmann::json::parse(m.payload)["readings"].size() > 5) {
      EXPECT_EQ(nlohmann::json::parse(m.payload)["readings"].size(), 12u);
      ++process;
    } else if (m.topic.find("/vibration/bearing_de.accel") != std::string::npos) {
      auto j = nlohmann::json::parse(m.payload);
      EXPECT_EQ(j["fs"].get<double>(), 10240);
      EXPECT_EQ(j["samples"].size(), 256u);
      ++vibration;
    } else {
      ++bad;
    }
  }
  EXPECT_EQ(process, 10 * 3);   // 10 s at 1 s, 3 machines
  EXPECT_EQ(vibration, 2 * 3);  // at 0 s and 5 s
  EXPECT_EQ(bad, 1);            // 12 per minute: one at 5 s
}

TEST(PlantTest, GroundTruthNamesTheAssetAndTheOnset) {
  Plant plant(TwoMachines(), kStart);
  const std::string truth = plant.GroundTruthJsonLines();
  auto j = nlohmann::json::parse(truth.substr(0, truth.find('\n')));
  EXPECT_EQ(j["asset"], "acme/p1/l1/pump-2");
  EXPECT_EQ(j["fault"], "bearing_outer_race");
  EXPECT_EQ(j["onset_ns"].get<int64_t>(), kStart + 10 * kNsPerSec);
  EXPECT_EQ(j["full_severity_ns"].get<int64_t>(), kStart + 70 * kNsPerSec);
  EXPECT_EQ(std::count(truth.begin(), truth.end(), '\n'), 1);
}

TEST(PlantConfigTest, ErrorsNameTheKeyAndSuggest) {
  auto c = PlantConfig::Parse(
      "machines:\n  - {name: p1}\nfaults:\n  - {machine: p2, kind: "
      "imbalance, onset: 1m}\n",
      "plant.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("plant.yaml:4:"), std::string::npos) << c.status().message();
  EXPECT_NE(c.status().message().find("no machine 'p2' (did you mean 'p1'?)"), std::string::npos)
      << c.status().message();

  c = PlantConfig::Parse("machines:\n  - {name: p1, kind: turbine}\n", "plant.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("'turbine' is not one of: pump, motor"), std::string::npos)
      << c.status().message();

  c = PlantConfig::Parse("machines:\n  - {name: p1}\nstart: +1h\n", "plant.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("future"), std::string::npos) << c.status().message();

  c = PlantConfig::Parse(
      "machines:\n  - {name: p1}\nfaults:\n  - {machine: p1, kind: rust, "
      "onset: 1m}\n",
      "plant.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("bearing_outer_race"), std::string::npos);
}

TEST(PlantConfigTest, TheModbusSectionIsCheckedStrictly) {
  auto c = PlantConfig::Parse("machines:\n  - {name: p1}\nmodbus: {port: 0}\n", "plant.yaml", "");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  ASSERT_TRUE(c->modbus.has_value());
  EXPECT_EQ(c->modbus->host, "127.0.0.1");
  EXPECT_EQ(c->modbus->port, 0);
  EXPECT_FALSE(PlantConfig::Parse("machines:\n  - {name: p1}\n", "plant.yaml", "")->modbus);

  const std::pair<const char*, const char*> bad[] = {
      {"modbus: {port: 70000}", "plant.yaml:3:16: modbus.port: port must be 0..65535"},
      {"modbus: {host: localhost}", "modbus.host: 'localhost' is not an IPv4 address"},
      {"modbus: {max_clients: 0}", "modbus.max_clients: max_clients must be 1..64"},
      {"modbus: {prot: 1502}", "modbus.prot: unknown key (did you mean 'port'?)"},
  };
  for (const auto& [yaml, message] : bad) {
    c = PlantConfig::Parse(std::string("machines:\n  - {name: p1}\n") + yaml + "\n", "plant.yaml",
                           "");
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(message), std::string::npos) << c.status().message();
  }
}

TEST(PlantConfigTest, TheExamplePlantLoads) {
  auto c = PlantConfig::Load(std::string(STRATA_DEFAULT_SOURCE_DIR) + "/examples/plant.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->machines.size(), 6u);
  EXPECT_EQ(c->faults.size(), 2u);
  EXPECT_EQ(c->vibration_samples, 4096u);
  ASSERT_TRUE(c->modbus.has_value());
  EXPECT_EQ(c->modbus->port, 1502);
}

// The vibration features find bearing geometry in the asset model; the simulator makes its
// waveforms from plant.yaml. The two examples must describe the same bearings.
TEST(PlantConfigTest, ExampleBearingsAgreeWithTheExampleAssetModel) {
  const std::string dir = std::string(STRATA_DEFAULT_SOURCE_DIR) + "/examples/";
  auto c = PlantConfig::Load(dir + "plant.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  auto model = AssetModel::LoadFile(dir + "assets.yaml");
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  for (const MachineSpec& m : c->machines) {
    const Asset* asset = (*model)->FindAsset(c->asset_prefix + "/" + m.name);
    ASSERT_NE(asset, nullptr) << m.name;
    const BearingSpec* b = asset->type->FindBearing("bearing_de");
    ASSERT_NE(b, nullptr) << m.name;
    EXPECT_EQ(b->geometry, m.bearing) << m.name << " (" << asset->type->name << ")";
    EXPECT_EQ(b->speed_signal, "speed");
  }
}

}  // namespace
}  // namespace strata::sim
