// The register map the simulated plant serves over Modbus TCP: what a PLC in front of each
// simulated machine would expose. Fixed by the simulator (not configurable) and documented in
// docs/connectors.md ("The simulated plant's PLC").
//
// One unit id per machine, in the order of the plant config's `machines:` after ranges are
// expanded: examples/plant.yaml serves pump-01..04 as units 1..4, motor-01..02 as units 5..6.
// Every unit has the same layout. Addresses are the 0-based addresses on the wire.
//
//   discrete input 0     run state                    1 running, 0 stopped
//   input 0-1    float32 speed                        {rev}/min
//   input 2-3    float32 load                         %
//   input 4-5    float32 motor current                A
//   input 6-7    float32 motor power                  kW
//   input 8-9    float32 discharge pressure           bar   (0 for motors)
//   input 10-11  float32 flow                         m3/h  (0 for motors)
//   input 12     int16   bearing (drive end) temp.    0.1 Cel (e.g. 612 = 61.2 Cel)
//   input 13     int16   winding temperature          0.1 Cel
//   input 14     uint16  status word:                 bit 0     running
//                                                     bit 1     bearing temperature alarm
//                                                               (>= kBearingAlarmC)
//                                                     bit 2     vibration alarm (>= kVibAlarmMmS)
//                                                     bits 12-15 machine kind: 1 pump, 2 motor
//   input 15     uint16  reserved, 0
//   input 16-17  uint32  production count             {parts} since the simulation start
//   input 18-19  uint32  scrap count                  {parts} since the simulation start
//
// 32-bit values are word-swapped, order CDAB: the first register holds the low 16 bits, the
// second the high 16 bits, each register big-endian on the wire (as many Schneider PLCs and
// energy meters do). Configure `order: CDAB` on the reading side.
//
// There are no coils and no holding registers: the image is read-only, and reads or writes of
// anything outside the map are answered with exception 2 (illegal data address).
#pragma once

#include <array>
#include <cstdint>

#include "sim/machine.h"

namespace strata::sim {

inline constexpr int kPlcDiscreteInputs = 1;
inline constexpr int kPlcInputRegisters = 20;

// Input register addresses.
inline constexpr int kPlcSpeed = 0;
inline constexpr int kPlcLoad = 2;
inline constexpr int kPlcCurrent = 4;
inline constexpr int kPlcPower = 6;
inline constexpr int kPlcDischargePressure = 8;
inline constexpr int kPlcFlow = 10;
inline constexpr int kPlcBearingTemp = 12;
inline constexpr int kPlcWindingTemp = 13;
inline constexpr int kPlcStatus = 14;
inline constexpr int kPlcProductionCount = 16;
inline constexpr int kPlcScrapCount = 18;

// Status word bits.
inline constexpr uint16_t kPlcStatusRunning = 1u << 0;
inline constexpr uint16_t kPlcStatusBearingAlarm = 1u << 1;
inline constexpr uint16_t kPlcStatusVibAlarm = 1u << 2;
inline constexpr int kPlcStatusKindShift = 12;  // 4 bits: 1 pump, 2 motor

inline constexpr double kBearingAlarmC = 80;  // bearing temperature alarm threshold
inline constexpr double kVibAlarmMmS = 7.1;   // ISO 10816-3 zone C/D boundary, group 2 rigid

// One unit's registers, in wire order (before the server puts them in big-endian frames).
struct PlcImage {
  std::array<uint8_t, kPlcDiscreteInputs> discrete_inputs{};
  std::array<uint16_t, kPlcInputRegisters> input_registers{};
};

// The registers a PLC would show for `sample` of a machine of `kind`. Pure function.
// Out-of-range values saturate: temperatures to the int16 range, counters to the uint32 range.
PlcImage EncodePlcImage(const ProcessSample& sample, MachineKind kind);

// Reads back a CDAB float32 / uint32 at `address` of `image` (for tests and tools).
float PlcFloat32(const PlcImage& image, int address);
uint32_t PlcUint32(const PlcImage& image, int address);

}  // namespace strata::sim
