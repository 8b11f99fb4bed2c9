// OPC UA decode cost: DataChangeNotifications (MonitoredItemNotifications) decoded per second
// on one core, from PublishResponses of many items as a server sends them — Double values
// with source and server timestamps, status Good.
//
//   PublishDecode/N         DecodeMessage of the body into a reused PublishResponse
//   PublishChunkDecode/N    the same behind a MSG chunk header (DecodeSecureChunk first)
//   PublishToRecords/N      decode + the connector's conversion to value records
//
// Run: build/<dir>/bench/opcua_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <string>

#include "connectors/opcua/opcua_message.h"
#include "connectors/opcua/ua_subscription_services.h"
#include "connectors/opcua/ua_tcp.h"

namespace strata::opcua {
namespace {

std::string EncodedPublishResponse(size_t items) {
  PublishResponse r;
  r.subscription_id = 7;
  r.available_sequence_numbers = {41};
  r.notification_message.sequence_number = 41;
  r.notification_message.publish_time = DateTime::FromUnixNanos(1'800'000'000'000'000'000);
  for (size_t i = 0; i < items; ++i) {
    MonitoredItemNotification n;
    n.client_handle = static_cast<uint32_t>(i);
    n.value.value = MakeVariant(1000.5 + static_cast<double>(i));
    n.value.source_timestamp =
        DateTime::FromUnixNanos(1'800'000'000'000'000'000 + static_cast<int64_t>(i) * 1000);
    n.value.server_timestamp = n.value.source_timestamp;
    r.notification_message.data_changes.push_back(std::move(n));
  }
  std::string body;
  EncodeMessage(r, &body);
  return body;
}

void PublishDecode(benchmark::State& state) {
  const std::string body = EncodedPublishResponse(static_cast<size_t>(state.range(0)));
  PublishResponse response;
  for (auto _ : state) {
    Status s = DecodeMessage(body, &response);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(response.notification_message.data_changes.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(body.size()));
}
BENCHMARK(PublishDecode)->Arg(100)->Arg(1000)->Arg(5000);

void PublishChunkDecode(benchmark::State& state) {
  const std::string body = EncodedPublishResponse(static_cast<size_t>(state.range(0)));
  SecureChunk chunk;
  chunk.secure_channel_id = 1;
  chunk.token_id = 1;
  chunk.sequence = {5, 9};
  chunk.body = {reinterpret_cast<const uint8_t*>(body.data()), body.size()};
  std::string frame;
  if (Status s = EncodeSecureChunk(chunk, &frame); !s.ok()) {
    state.SkipWithError(s.ToString().c_str());
    return;
  }
  const std::span<const uint8_t> bytes(reinterpret_cast<const uint8_t*>(frame.data()),
                                       frame.size());
  PublishResponse response;
  SecureChunk decoded;
  for (auto _ : state) {
    Status s = DecodeSecureChunk(bytes, &decoded);
    if (s.ok()) s = DecodeMessage(decoded.body, &response, DecodeLimits(), decoded.body_offset);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(response.notification_message.data_changes.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(PublishChunkDecode)->Arg(1000);

void PublishToRecords(benchmark::State& state) {
  const std::string body = EncodedPublishResponse(static_cast<size_t>(state.range(0)));
  PublishResponse response;
  std::string payload;
  for (auto _ : state) {
    Status s = DecodeMessage(body, &response);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    payload.clear();
    AppendOpcuaHeader(OpcuaMessageKind::kValues, &payload);
    for (const MonitoredItemNotification& n : response.notification_message.data_changes) {
      OpcuaValueRecord r;
      r.item = n.client_handle;
      r.status = n.value.status;
      r.ts_ns = n.value.source_timestamp.ToUnixNanos();
      r.type = static_cast<uint8_t>(n.value.value.type());
      if (const auto d = n.value.value.ToDouble()) {
        r.value = *d;
        r.has_value = 1;
      }
      AppendOpcuaRecord(r, &payload);
    }
    benchmark::DoNotOptimize(payload.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(PublishToRecords)->Arg(1000);

}  // namespace
}  // namespace strata::opcua

BENCHMARK_MAIN();
