// Fuzz target: Sparkplug B messages from a broker. The first byte picks the message type (and
// so the topic), the rest is the payload. One session lives across inputs, as it does across
// messages on a connector, so births, aliases, seq checks and deaths interact. The session must
// reject garbage with an outcome, never crash, and keep its memory bounded.
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/sparkplug/sparkplug_session.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static strata::MetricsRegistry metrics;
  static strata::SparkplugSession session(metrics, "fuzz");
  static strata::SparkplugOutcome out;
  static const char* const kTopics[] = {
      "spBv1.0/g/NBIRTH/n1",    "spBv1.0/g/NDATA/n1",    "spBv1.0/g/NDEATH/n1",
      "spBv1.0/g/DBIRTH/n1/d1", "spBv1.0/g/DDATA/n1/d1", "spBv1.0/g/DDEATH/n1/d1",
      "spBv1.0/g/DDATA/n1/d2",  "spBv1.0/STATE/host",    "spBv1.0/g/NCMD/n1",
  };
  if (size == 0) return 0;
  const char* topic = kTopics[data[0] % (sizeof(kTopics) / sizeof(kTopics[0]))];
  session.Handle(topic, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1),
                 1'700'000'000'000'000'000, &out);
  if (out.failed && out.error.empty()) __builtin_trap();
  for (size_t g = 0; g < out.group_count; ++g) {
    for (const strata::DecodedItem& item : out.groups[g].result.items) {
      if (!item.ok && item.error.empty()) __builtin_trap();
      if (item.ok && item.reading.name.empty()) __builtin_trap();
    }
  }
  return 0;
}
