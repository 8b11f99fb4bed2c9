#include "sim/plc_register_map.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace strata::sim {
namespace {

// CDAB: low word first.
void PutWords(PlcImage* image, int address, uint32_t bits) {
  image->input_registers[address] = static_cast<uint16_t>(bits & 0xffff);
  image->input_registers[address + 1] = static_cast<uint16_t>(bits >> 16);
}

uint32_t GetWords(const PlcImage& image, int address) {
  return static_cast<uint32_t>(image.input_registers[address]) |
         (static_cast<uint32_t>(image.input_registers[address + 1]) << 16);
}

void PutFloat(PlcImage* image, int address, double value) {
  PutWords(image, address, std::bit_cast<uint32_t>(static_cast<float>(value)));
}

void PutCounter(PlcImage* image, int address, double value) {
  const double clamped =
      std::clamp(std::floor(value), 0.0, double(std::numeric_limits<uint32_t>::max()));
  PutWords(image, address, static_cast<uint32_t>(clamped));
}

// Tenths, rounded, saturated to int16, as the register's two's complement bits.
uint16_t Tenths(double value) {
  const double tenths = std::clamp(std::round(value * 10), -32768.0, 32767.0);
  return static_cast<uint16_t>(static_cast<int16_t>(tenths));
}

}  // namespace

PlcImage EncodePlcImage(const ProcessSample& s, MachineKind kind) {
  PlcImage image;
  const bool running = s.run_state >= 0.5;
  image.discrete_inputs[0] = running ? 1 : 0;
  PutFloat(&image, kPlcSpeed, s.speed_rpm);
  PutFloat(&image, kPlcLoad, s.load_pct);
  PutFloat(&image, kPlcCurrent, s.current_a);
  PutFloat(&image, kPlcPower, s.power_kw);
  PutFloat(&image, kPlcDischargePressure, s.discharge_bar);
  PutFloat(&image, kPlcFlow, s.flow_m3_h);
  image.input_registers[kPlcBearingTemp] = Tenths(s.bearing_temp_c);
  image.input_registers[kPlcWindingTemp] = Tenths(s.winding_temp_c);
  uint16_t status = 0;
  if (running) status |= kPlcStatusRunning;
  if (s.bearing_temp_c >= kBearingAlarmC) status |= kPlcStatusBearingAlarm;
  if (s.vibration_rms_mm_s >= kVibAlarmMmS) status |= kPlcStatusVibAlarm;
  status |= static_cast<uint16_t>((kind == MachineKind::kPump ? 1 : 2) << kPlcStatusKindShift);
  image.input_registers[kPlcStatus] = status;
  PutCounter(&image, kPlcProductionCount, s.parts_total);
  PutCounter(&image, kPlcScrapCount, s.scrap_total);
  return image;
}

float PlcFloat32(const PlcImage& image, int address) {
  return std::bit_cast<float>(GetWords(image, address));
}

uint32_t PlcUint32(const PlcImage& image, int address) { return GetWords(image, address); }

}  // namespace strata::sim
