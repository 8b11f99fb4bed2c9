// libFuzzer target for Modbus register decoding (connectors/modbus/): the register words and
// bits come from any device on the plant network, so decoding them must turn every byte
// string into values, observations or dead letters, never a crash.
//
// Each input is used three ways:
//  1. The first byte picks a value format (type, word order, bit field); the rest are
//     registers for DecodeModbusValue. Checks: a value iff there are enough registers; bit
//     fields are integers in [0, 2^bits); integer types give integers within their range.
//  2. As the data of a read response (and, by its first byte, as a failed request) handed
//     to a ModbusMessageHandler + Normalizer for every request of a register map that uses
//     every type, order and bit field, and as a whole message (a forged header). Checks: every
//     message yields observations or dead letters, bad-quality observations carry no value,
//     good ones are finite and in range, counters add up.
//  3. Pairs of bytes as (address, size) items for the read planner. Checks: every item lies
//     wholly inside exactly one read, reads respect the limit.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/modbus/modbus_config.h"
#include "connectors/modbus/modbus_message.h"
#include "connectors/modbus/modbus_message_handler.h"
#include "connectors/modbus/modbus_planner.h"
#include "connectors/modbus/modbus_value.h"
#include "core/asset_model.h"
#include "core/clock.h"
#include "core/config_node.h"
#include "core/metrics.h"
#include "core/source_catalog.h"
#include "pipeline/normalizer.h"
#include "pipeline/raw_message.h"
#include "store/store.h"

namespace strata {
namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

constexpr int64_t kNow = 1'732'350'000 * kNsPerSec;  // 2024-11-23T08:20:00Z

constexpr const char* kAssets = R"(
asset_types:
  plc:
    signals:
      a: {unit: "1"}
      b: {unit: "1", range: [-1000, 1000]}
      c: {unit: Cel, range: [-40, 150]}
      d: {unit: "1"}
      e: {unit: "1"}
      f: {unit: "1"}
      g: {unit: "1"}
      h: {unit: "1"}
      i: {unit: "1"}
      j: {unit: "1"}
      k: {unit: "1"}
      l: {unit: "1"}
assets:
  - {path: "p/plc-1", type: plc}
)";

constexpr const char* kConnector = R"(
name: fuzz
endpoint: tcp://127.0.0.1:502
max_gap: 4
devices:
  - unit_id: 1
    asset: p/plc-1
    poll_groups:
      - interval: 1s
        registers:
          - {table: holding, address: 0, type: float32, order: CDAB, signal: a}
          - {table: holding, address: 2, type: int16, scale: 0.5, offset: 3, signal: b}
          - {table: holding, address: 3, type: int16, scale: 0.1, unit: "[degF]", signal: c}
          - {table: holding, address: 4, type: float64, order: DCBA, signal: d}
          - {table: holding, address: 8, type: uint64, order: BADC, signal: e}
          - {table: holding, address: 12, type: int32, order: ABCD, signal: f}
          - {table: holding, address: 12, type: uint32, bit: 7, bits: 9, signal: g}
          - {table: holding, address: 20, bit: 15, signal: h}
          - {table: input, address: 0, type: int64, order: CDAB, signal: i}
          - {table: input, address: 4, type: float32, order: BADC, signal: j}
          - {table: coil, address: 0, signal: k}
          - {table: discrete, address: 3, signal: l}
)";

template <typename T>
T MustRead(const std::string& yaml, const std::function<T(ConfigNode&)>& reader) {
  auto doc = ConfigDocument::Parse(yaml, "fuzz.yaml");
  Check(doc.ok());
  auto value = (*doc)->Read<T>(reader);
  Check(value.ok());
  return std::move(*value);
}

struct Harness {
  Harness()
      : model(MustRead<std::shared_ptr<const AssetModel>>(
            kAssets, [](ConfigNode& root) { return AssetModel::Read(root); })),
        config(MustRead<ModbusConnectorConfig>(
            kConnector,
            [this](ConfigNode& root) { return ModbusConnectorConfig::Read(root, model.get()); })),
        clock(kNow),
        counters(metrics),
        normalizer(model, clock, ValidationOptions{}, &counters),
        sources(std::make_shared<SourceCatalog>()),
        handler(config, sources) {}

  std::shared_ptr<const AssetModel> model;
  ModbusConnectorConfig config;
  FakeClock clock;
  MetricsRegistry metrics;
  PipelineCounters counters;
  Normalizer normalizer;
  std::shared_ptr<SourceCatalog> sources;
  ModbusMessageHandler handler;
};

Harness& GetHarness() {
  static Harness harness;
  return harness;
}

uint64_t Outputs(Harness& h) {
  uint64_t n = h.counters.normalized().value();
  for (int i = 0; i < kRejectReasonCount; ++i) {
    n += h.counters.rejected(static_cast<RejectReason>(i));
  }
  return n;
}

void HandleOne(Harness& h, const std::string& payload) {
  RawMessage message;
  message.SetPayload(payload.data(), payload.size());
  message.receive_ts_ns = kNow - kNsPerMs;
  WriteBatch batch;
  const uint64_t before = Outputs(h);
  h.handler.Handle(message, h.normalizer, &batch);
  Check(!batch.empty());  // never dropped silently
  Check(Outputs(h) - before == batch.observations.size() + batch.dead_letters.size());
  for (const Observation& o : batch.observations) {
    Check(o.signal < h.model->signal_count());
    Check(o.source != kInvalidSource);
    Check(o.ts_ns == kNow - kNsPerMs);
    const SignalSpec& spec = *h.model->signal(o.signal).spec;
    if (o.quality == Quality::kBad) {
      Check(std::isnan(o.value));
    } else {
      Check(std::isfinite(o.value) && o.value >= spec.min && o.value <= spec.max);
    }
  }
  for (const DeadLetter& d : batch.dead_letters) {
    Check(d.reason < RejectReason::kCount);
    Check(!d.detail.empty() && d.detail.size() <= 1100);
    Check(d.payload.size() <= kMaxDeadLetterPayload);
    Check(d.source.starts_with("modbus tcp://127.0.0.1:502"));
  }
}

void FuzzDecode(std::span<const uint8_t> in) {
  if (in.empty()) return;
  const uint8_t selector = in[0];
  ModbusValueFormat f;
  f.type = static_cast<ModbusType>(selector % 9);
  f.order = static_cast<WordOrder>((selector / 9) % 4);
  const int width = ModbusTypeBits(f.type);
  const bool with_bits = selector >= 128 && f.type != ModbusType::kBool &&
                         f.type != ModbusType::kFloat32 && f.type != ModbusType::kFloat64;
  if (with_bits && in.size() >= 2) {
    f.bit = static_cast<int8_t>(in[1] % width);
    f.bits = static_cast<uint8_t>(1 + (in[1] / 4) % (width - f.bit));
  }
  std::vector<uint16_t> words;
  for (size_t i = 1; i + 1 < in.size(); i += 2) {
    words.push_back(static_cast<uint16_t>(in[i] << 8 | in[i + 1]));
  }
  const auto value = DecodeModbusValue(f, words);
  Check(value.has_value() == (words.size() >= static_cast<size_t>(ModbusTypeWords(f.type))));
  if (!value) return;
  if (f.bit >= 0) {
    Check(*value >= 0 && *value == std::floor(*value));
    Check(*value < std::ldexp(1.0, f.bits));
    return;
  }
  switch (f.type) {
    case ModbusType::kBool:
      Check(*value == 0 || *value == 1);
      break;
    case ModbusType::kInt16:
      Check(*value >= -32768 && *value <= 32767);
      break;
    case ModbusType::kUInt16:
      Check(*value >= 0 && *value <= 65535);
      break;
    case ModbusType::kInt32:
      Check(*value >= -2147483648.0 && *value <= 2147483647.0);
      break;
    case ModbusType::kUInt32:
      Check(*value >= 0 && *value <= 4294967295.0);
      break;
    case ModbusType::kInt64:
    case ModbusType::kUInt64:
      Check(std::isfinite(*value) && *value == std::floor(*value));
      break;
    case ModbusType::kFloat32:
    case ModbusType::kFloat64:
      break;
  }
}

void FuzzPlanner(std::span<const uint8_t> in) {
  std::vector<ReadItem> items;
  for (size_t i = 0; i + 1 < in.size() && items.size() < 200; i += 2) {
    items.push_back({static_cast<uint32_t>(in[i]) * 3, 1u + in[i + 1] % 4});
  }
  const uint32_t max_gap = in.empty() ? 0 : in[0] % 17;
  const uint32_t max_count = 4 + (in.size() % 122);
  std::vector<int> seen(items.size(), 0);
  for (const PlannedRead& r : PlanReads(items, max_gap, max_count)) {
    Check(r.count <= max_count && r.count >= 1);
    for (uint32_t i : r.items) {
      Check(i < items.size());
      ++seen[i];
      Check(items[i].address >= r.address);
      Check(items[i].address + items[i].count <= r.address + r.count);
    }
  }
  for (int s : seen) Check(s == 1);
}

}  // namespace
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace strata;
  const std::span<const uint8_t> in(data, size);
  FuzzDecode(in);
  FuzzPlanner(in);

  Harness& h = GetHarness();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto outcome = size > 0 && data[0] % 8 == 7
                           ? static_cast<ModbusOutcome>(1 + data[0] / 8 % 4)
                           : ModbusOutcome::kOk;
  for (uint32_t r = 0; r < h.config.requests.size(); ++r) {
    std::string payload;
    AppendModbusHeader({outcome, static_cast<uint8_t>(size), r}, &payload);
    // The data as sent, and cut or padded to exactly what the request reads.
    payload += bytes;
    HandleOne(h, payload);
    const ModbusRequest& q = h.config.requests[r];
    const size_t need = IsBitTable(q.table) ? q.count : 2 * size_t{q.count};
    std::string exact(bytes.substr(0, need));
    exact.resize(need, '\x5a');
    payload.resize(kModbusHeaderSize);
    payload += exact;
    HandleOne(h, payload);
  }
  HandleOne(h, std::string(bytes));  // a forged header
  return 0;
}
