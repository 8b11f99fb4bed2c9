// libFuzzer target for the MQTT payload decoders (connectors/mqtt/payload_decoder.h) and the
// path behind them: payloads are bytes from any device on the broker, so decoding, mapping and
// validation must turn every byte string into observations or dead letters, never a crash.
//
// Each input is decoded by every kind of decoder (JSON single reading, JSON items with name,
// value, timestamp, quality and unit, JSON waveform with a rate pointer or a fixed rate, plain
// number), then handed as an MQTT message to an MqttMessageHandler + Normalizer on every topic
// of a small mapping, an unknown topic, a topic built from the input's first line (so that
// topic captures, asset and signal names are garbage too) and as an oversize message.
//
// Besides "no crash, no UB, no hang", it checks the contracts: a failed decode has an error
// and no items; every message yields at least one observation or dead letter; observations
// are valid (known signal, scalar vs block as the signal says, finite values within range
// unless quality is bad, timestamps within the validation window); dead letters have a reason,
// a bounded detail and a capped payload; counters add up.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/mqtt/mqtt_config.h"
#include "connectors/mqtt/mqtt_message_handler.h"
#include "connectors/mqtt/payload_decoder.h"
#include "core/asset_model.h"
#include "core/clock.h"
#include "core/config_node.h"
#include "core/dead_letter.h"
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
  pump:
    signals:
      temp:  {unit: Cel, range: [-40, 150], period: 1s}
      vib:   {unit: mm/s, range: [0, 100]}
      count: {unit: "{parts}"}
      accel: {unit: m/s2, kind: waveform, range: [-2000, 2000]}
      raw:   {unit: m/s2, kind: waveform}
assets:
  - {path: "acme/f/pump-{1..2}", type: pump}
)";

constexpr const char* kConnector = R"(
name: fuzz
decoders:
  single:   {value: /v, timestamp: /ts, quality: /q, unit: /u}
  seconds:  {value: /v, timestamp: /ts, timestamp_unit: s, unit: /u}
  nanos:    {value: /v, timestamp: /t, timestamp_unit: ns, quality: /q}
  whole:    {value: ""}
  items:    {items: /readings, name: /n, value: /v, timestamp: /ts, quality: /q, unit: /u}
  waveform: {samples: /samples, sample_rate: /fs, timestamp: /ts, quality: /q, unit: /u}
  fixed:    {items: /blocks, name: /n, samples: /s, sample_rate_hz: 25600}
  plain:    {type: number}
mapping:
  version: fuzz
  rules:
    - {topic: "f/{machine}/single", decoder: single, asset: "acme/f/{machine}", signal: temp}
    - {topic: "f/{machine}/seconds", decoder: seconds, asset: "acme/f/{machine}", signal: vib,
       unit: m/s}
    - {topic: "f/{machine}/whole", decoder: whole, asset: "acme/f/{machine}", signal: temp}
    - {topic: "f/{machine}/nanos", decoder: nanos, asset: "acme/f/{machine}", signal: count,
       scale: 1.0e300}
    - {topic: "f/{machine}/items", decoder: items, asset: "acme/f/{machine}", signal: "{name}",
       scale: 0.1, offset: -3}
    - {topic: "f/{machine}/vib/{sig}", decoder: waveform, asset: "acme/f/{machine}",
       signal: "{sig}"}
    - {topic: "f/{machine}/fixed", decoder: fixed, asset: "acme/f/{machine}", signal: "{name}",
       unit: "[g]"}
    - {topic: "f/{machine}/plain", decoder: plain, asset: "acme/f/{machine}", signal: temp,
       unit: "[degF]"}
    - {topic: "f/{machine}/{rest}", decoder: items, asset: "{rest}", signal: "{machine}{name}"}
)";

const std::vector<std::string> kTopics = {
    "f/pump-1/single",    "f/pump-2/seconds", "f/pump-1/nanos",    "f/pump-2/items",
    "f/pump-1/vib/accel", "f/pump-1/vib/raw", "f/pump-2/vib/temp", "f/pump-1/fixed",
    "f/pump-2/plain",     "f/pump-9/single",  "f/te/mp",           "nowhere/at/all",
    "f/pump-2/whole",
};

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
        config(MustRead<MqttConnectorConfig>(
            kConnector, [](ConfigNode& root) { return MqttConnectorConfig::Read(root, "fuzz"); })),
        clock(kNow),
        counters(metrics),
        normalizer(model, clock, ValidationOptions{}, &counters),
        sources(std::make_shared<SourceCatalog>()),
        handler(config, sources) {
    for (const auto& [name, spec] : config.decoders) decoders.push_back(MakePayloadDecoder(spec));
  }

  std::shared_ptr<const AssetModel> model;
  MqttConnectorConfig config;
  FakeClock clock;
  MetricsRegistry metrics;
  PipelineCounters counters;
  Normalizer normalizer;
  std::shared_ptr<SourceCatalog> sources;
  MqttMessageHandler handler;
  std::vector<std::unique_ptr<PayloadDecoder>> decoders;
};

Harness& GetHarness() {
  static Harness harness;  // built once, shared by every input
  return harness;
}

void CheckDecoded(const DecodeResult& r) {
  if (r.failed) {
    Check(!r.error.empty());
    Check(r.items.empty());
    Check(r.reason != RejectReason::kCount);
    return;
  }
  Check(!r.items.empty());
  for (const DecodedItem& item : r.items) {
    if (!item.ok) {
      Check(!item.error.empty());
      continue;
    }
    const Reading& reading = item.reading;
    if (reading.block) {
      Check(!reading.has_value);
      for (float s : reading.block->samples) Check(std::isfinite(s));
    }
    if (reading.quality) Check(*reading.quality <= Quality::kBad);
  }
}

uint64_t Outputs(Harness& h) {
  uint64_t n = h.counters.normalized().value();
  for (int i = 0; i < kRejectReasonCount; ++i)
    n += h.counters.rejected(static_cast<RejectReason>(i));
  return n;
}

void CheckBatch(const Harness& h, const WriteBatch& batch) {
  const ValidationOptions options;
  for (const Observation& o : batch.observations) {
    Check(o.signal < h.model->signal_count());
    const SignalSpec& spec = *h.model->signal(o.signal).spec;
    Check(o.ts_ns >= options.min_ts_ns && o.ts_ns <= kNow + options.max_future_ns);
    Check(o.quality <= Quality::kBad);
    Check(o.source != kInvalidSource);
    const bool bad = o.quality == Quality::kBad;
    if (spec.kind == SignalKind::kWaveform) {
      Check(o.is_block());
      Check(o.block->sample_rate_hz > 0 && std::isfinite(o.block->sample_rate_hz));
      Check(!o.block->samples.empty());
      for (float s : o.block->samples) {
        Check(std::isfinite(s));
        if (!bad) Check(s >= spec.min && s <= spec.max);
      }
    } else {
      Check(!o.is_block());
      if (bad) {
        Check(!std::isinf(o.value));
      } else {
        Check(std::isfinite(o.value));
        Check(o.value >= spec.min && o.value <= spec.max);
      }
    }
  }
  for (const DeadLetter& d : batch.dead_letters) {
    Check(d.reason < RejectReason::kCount);
    Check(!d.detail.empty() && d.detail.size() <= 1100);
    Check(d.payload.size() <= kMaxDeadLetterPayload);
    Check(d.source.starts_with("mqtt tcp://127.0.0.1:1883 "));
  }
}

void HandleOne(Harness& h, RawMessage& message, WriteBatch* batch) {
  batch->clear();
  const uint64_t before = Outputs(h);
  h.handler.Handle(message, h.normalizer, batch);
  Check(!batch->empty());  // never dropped silently
  Check(Outputs(h) - before == batch->observations.size() + batch->dead_letters.size());
  CheckBatch(h, *batch);
}

void FuzzOne(std::string_view input) {
  Harness& h = GetHarness();
  RawMessage message;
  message.SetPayload(input.data(), input.size());
  message.receive_ts_ns = kNow - kNsPerMs;

  DecodeResult decoded;
  for (auto& decoder : h.decoders) {
    decoder->Decode(message.payload, &decoded);
    CheckDecoded(decoded);
  }

  WriteBatch batch;
  for (const std::string& topic : kTopics) {
    message.topic = topic;
    HandleOne(h, message, &batch);
  }

  // Garbage in the topic: the input's first line becomes the machine level.
  const std::string_view line = input.substr(0, std::min<size_t>(input.find('\n'), 64));
  message.topic = "f/" + std::string(line) + "/items";
  HandleOne(h, message, &batch);

  message.topic = "f/pump-1/single";
  message.oversize = true;
  message.original_size = input.size() + 1'000'000;
  HandleOne(h, message, &batch);
  Check(batch.dead_letters.size() == 1 &&
        batch.dead_letters[0].reason == RejectReason::kPayloadTooLarge &&
        batch.dead_letters[0].payload_truncated);
}

}  // namespace
}  // namespace strata

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  strata::FuzzOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
