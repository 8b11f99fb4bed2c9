// The simulated PLC over real Modbus TCP: a libmodbus client reads back what the plant's
// machines show, in the documented layout and word order.
#include "sim/plc_modbus_server.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <modbus.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bit>
#include <chrono>
#include <cmath>
#include <functional>
#include <thread>

#include "core/time_util.h"
#include "sim/plant.h"
#include "sim/plc_register_map.h"

namespace strata::sim {
namespace {

constexpr int64_t kStart = 1'800'000'000LL * kNsPerSec;

// Polls `condition` until it holds or 10 s pass.
bool Eventually(const std::function<bool()>& condition) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::yield();
  }
  return condition();
}

PlantConfig ThreeMachines() {
  auto c = PlantConfig::Parse(R"(
seed: 11
process_period: 1s
vibration: {period: 0s}
machines:
  - {name: "pump-{1..2}", kind: pump}
  - {name: motor-1, kind: motor, shaft_rpm: 1480, rated_power_kw: 7.5, rated_current_a: 15}
faults:
  - {machine: pump-2, kind: bearing_outer_race, onset: 0s, growth: 1m}
modbus: {host: 127.0.0.1, port: 0, max_clients: 2}
)",
                              "<test plant.yaml>", "");
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return *c;
}

struct ClientFree {
  void operator()(modbus_t* ctx) const {
    modbus_close(ctx);
    modbus_free(ctx);
  }
};
using ModbusClient = std::unique_ptr<modbus_t, ClientFree>;

ModbusClient Connect(int port, int unit) {
  ModbusClient ctx(modbus_new_tcp("127.0.0.1", port));
  EXPECT_NE(ctx, nullptr);
  modbus_set_response_timeout(ctx.get(), 5, 0);
  EXPECT_EQ(modbus_connect(ctx.get()), 0) << modbus_strerror(errno);
  modbus_set_slave(ctx.get(), unit);
  return ctx;
}

std::unique_ptr<PlcModbusServer> StartServer(size_t units, size_t max_clients = 8) {
  PlcModbusServer::Options o;
  o.units = units;
  o.max_clients = max_clients;
  auto server = PlcModbusServer::Start(o);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  EXPECT_GT((*server)->port(), 0);
  return std::move(*server);
}

float CdabFloat(const uint16_t* r) {
  return std::bit_cast<float>(static_cast<uint32_t>(r[0]) | (static_cast<uint32_t>(r[1]) << 16));
}
uint32_t CdabUint(const uint16_t* r) {
  return static_cast<uint32_t>(r[0]) | (static_cast<uint32_t>(r[1]) << 16);
}

TEST(PlcRegisterMapTest, EncodesTheDocumentedLayout) {
  ProcessSample s;
  s.run_state = 1;
  s.speed_rpm = 2931.25;
  s.load_pct = 81.5;
  s.current_a = 23.75;
  s.power_kw = 12.5;
  s.discharge_bar = 4.25;
  s.flow_m3_h = 55.5;
  s.bearing_temp_c = 81.26;  // alarm
  s.winding_temp_c = -12.34;
  s.vibration_rms_mm_s = 2.0;
  s.parts_total = 70000.7;
  s.scrap_total = 3;
  const PlcImage image = EncodePlcImage(s, MachineKind::kPump);
  EXPECT_EQ(image.discrete_inputs[0], 1);
  const auto& r = image.input_registers;
  // CDAB: low word first. 2931.25f = 0x45373400.
  EXPECT_EQ(r[kPlcSpeed], 0x3400);
  EXPECT_EQ(r[kPlcSpeed + 1], 0x4537);
  EXPECT_FLOAT_EQ(PlcFloat32(image, kPlcLoad), 81.5f);
  EXPECT_FLOAT_EQ(PlcFloat32(image, kPlcFlow), 55.5f);
  EXPECT_EQ(static_cast<int16_t>(r[kPlcBearingTemp]), 813);
  EXPECT_EQ(static_cast<int16_t>(r[kPlcWindingTemp]), -123);
  EXPECT_EQ(r[kPlcStatus], kPlcStatusRunning | kPlcStatusBearingAlarm | (1 << 12));
  EXPECT_EQ(r[kPlcProductionCount], 70000 & 0xffff);
  EXPECT_EQ(r[kPlcProductionCount + 1], 70000 >> 16);
  EXPECT_EQ(PlcUint32(image, kPlcScrapCount), 3u);

  s.run_state = 0;
  s.bearing_temp_c = 5000;  // saturates
  s.vibration_rms_mm_s = 9;
  s.parts_total = -1;
  const PlcImage motor = EncodePlcImage(s, MachineKind::kMotor);
  EXPECT_EQ(motor.discrete_inputs[0], 0);
  EXPECT_EQ(static_cast<int16_t>(motor.input_registers[kPlcBearingTemp]), 32767);
  EXPECT_EQ(motor.input_registers[kPlcStatus],
            kPlcStatusBearingAlarm | kPlcStatusVibAlarm | (2 << 12));
  EXPECT_EQ(PlcUint32(motor, kPlcProductionCount), 0u);
}

TEST(PlcModbusServerTest, AClientReadsWhatTheMachinesShowInTheDocumentedOrder) {
  const PlantConfig config = ThreeMachines();
  Plant plant(config, kStart);
  auto server = StartServer(plant.machines().size());
  std::vector<PlantMessage> out;
  while (plant.next_due() < kStart + 90 * kNsPerSec) plant.EmitNext(&out);
  for (size_t i = 0; i < plant.machines().size(); ++i) {
    server->Update(i, EncodePlcImage(plant.last_sample(i), plant.machines()[i]->spec().kind));
  }

  for (size_t i = 0; i < plant.machines().size(); ++i) {
    SCOPED_TRACE(plant.machines()[i]->spec().name);
    const ProcessSample& s = plant.last_sample(i);
    ModbusClient c = Connect(server->port(), static_cast<int>(i + 1));
    uint16_t r[kPlcInputRegisters] = {};
    ASSERT_EQ(modbus_read_input_registers(c.get(), 0, kPlcInputRegisters, r), kPlcInputRegisters)
        << modbus_strerror(errno);
    uint8_t running = 9;
    ASSERT_EQ(modbus_read_input_bits(c.get(), 0, 1, &running), 1) << modbus_strerror(errno);
    EXPECT_EQ(running, s.run_state >= 0.5 ? 1 : 0);
    EXPECT_FLOAT_EQ(CdabFloat(r + kPlcSpeed), static_cast<float>(s.speed_rpm));
    EXPECT_FLOAT_EQ(CdabFloat(r + kPlcLoad), static_cast<float>(s.load_pct));
    EXPECT_FLOAT_EQ(CdabFloat(r + kPlcCurrent), static_cast<float>(s.current_a));
    EXPECT_FLOAT_EQ(CdabFloat(r + kPlcPower), static_cast<float>(s.power_kw));
    EXPECT_FLOAT_EQ(CdabFloat(r + kPlcDischargePressure), static_cast<float>(s.discharge_bar));
    EXPECT_FLOAT_EQ(CdabFloat(r + kPlcFlow), static_cast<float>(s.flow_m3_h));
    EXPECT_NEAR(static_cast<int16_t>(r[kPlcBearingTemp]) * 0.1, s.bearing_temp_c, 0.05);
    EXPECT_NEAR(static_cast<int16_t>(r[kPlcWindingTemp]) * 0.1, s.winding_temp_c, 0.05);
    EXPECT_EQ(r[kPlcStatus] & kPlcStatusRunning, s.run_state >= 0.5 ? 1 : 0);
    EXPECT_EQ(r[kPlcStatus] >> kPlcStatusKindShift, i < 2 ? 1 : 2);
    EXPECT_EQ(CdabUint(r + kPlcProductionCount), static_cast<uint32_t>(s.parts_total));
    EXPECT_EQ(CdabUint(r + kPlcScrapCount), static_cast<uint32_t>(s.scrap_total));
    EXPECT_GT(s.speed_rpm, 100) << "the machines run at this time: the test compares real values";
    if (i < 2) {
      EXPECT_GT(s.discharge_bar, 0);
    }
    EXPECT_GT(s.parts_total, 10);
  }
  EXPECT_GE(server->requests(), 6u);
}

TEST(PlcModbusServerTest, AnswersExceptionsForUnknownUnitsAddressesAndUnitsNotYetUpdated) {
  auto server = StartServer(2);
  server->Update(0, EncodePlcImage(ProcessSample{}, MachineKind::kPump));
  ModbusClient c = Connect(server->port(), 1);
  uint16_t r[4];
  // Past the map, and tables the map does not have: illegal data address.
  EXPECT_EQ(modbus_read_input_registers(c.get(), kPlcInputRegisters - 1, 2, r), -1);
  EXPECT_EQ(errno, EMBXILADD);
  EXPECT_EQ(modbus_read_registers(c.get(), 0, 1, r), -1);
  EXPECT_EQ(errno, EMBXILADD);
  EXPECT_EQ(modbus_write_register(c.get(), 0, 7), -1);
  EXPECT_EQ(errno, EMBXILADD);
  // Unit 2 exists but has no image yet: busy. Unit 3 does not exist: gateway target failed.
  modbus_set_slave(c.get(), 2);
  EXPECT_EQ(modbus_read_input_registers(c.get(), 0, 2, r), -1);
  EXPECT_EQ(errno, EMBXSBUSY);
  modbus_set_slave(c.get(), 3);
  EXPECT_EQ(modbus_read_input_registers(c.get(), 0, 2, r), -1);
  EXPECT_EQ(errno, EMBXGTAR);
  // The connection survived every exception.
  modbus_set_slave(c.get(), 1);
  EXPECT_EQ(modbus_read_input_registers(c.get(), 0, 2, r), 2) << modbus_strerror(errno);
}

int RawConnect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

TEST(PlcModbusServerTest, BoundsItsClientsAndSurvivesPeersThatMisbehave) {
  auto server = StartServer(1, /*max_clients=*/2);
  server->Update(0, EncodePlcImage(ProcessSample{}, MachineKind::kMotor));
  uint16_t r[2];

  // A peer that sends garbage and one that stalls mid-frame are dropped; others go on.
  char byte;
  const int garbage = RawConnect(server->port());
  const uint8_t junk[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x02, 0x01, 0x99};
  ASSERT_EQ(write(garbage, junk, sizeof(junk)), 8);
  EXPECT_LE(read(garbage, &byte, 1), 0) << "the garbage peer is dropped";
  close(garbage);
  const int stalled = RawConnect(server->port());
  const uint8_t half[] = {0x00, 0x01, 0x00};
  ASSERT_EQ(write(stalled, half, sizeof(half)), 3);
  EXPECT_LE(read(stalled, &byte, 1), 0) << "the stalled peer is dropped after the byte timeout";
  close(stalled);
  ASSERT_TRUE(Eventually([&] { return server->clients() == 0; }));

  // At most max_clients at once: the third is closed at once, the first two are served.
  ModbusClient a = Connect(server->port(), 1);
  ModbusClient b = Connect(server->port(), 1);
  ASSERT_TRUE(Eventually([&] { return server->clients() == 2; }));
  ModbusClient third = Connect(server->port(), 1);  // the TCP handshake completes in the backlog
  modbus_set_response_timeout(third.get(), 2, 0);
  EXPECT_EQ(modbus_read_input_registers(third.get(), 0, 2, r), -1);
  EXPECT_EQ(modbus_read_input_registers(a.get(), 0, 2, r), 2) << modbus_strerror(errno);
  EXPECT_EQ(modbus_read_input_registers(b.get(), 0, 2, r), 2) << modbus_strerror(errno);

  // Stop closes the connections and joins, with clients still connected.
  server->Stop();
  EXPECT_EQ(server->clients(), 0u);
  EXPECT_EQ(modbus_read_input_registers(a.get(), 0, 2, r), -1);
}

TEST(PlcModbusServerTest, APortInUseIsAnErrorThatSaysWhatToDo) {
  auto first = StartServer(1);
  PlcModbusServer::Options o;
  o.port = first->port();
  auto second = PlcModbusServer::Start(o);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(fmt::format("127.0.0.1:{}", first->port())),
            std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("modbus.port"), std::string::npos);
  o.host = "localhost";
  EXPECT_FALSE(PlcModbusServer::Start(o).ok());
}

}  // namespace
}  // namespace strata::sim
