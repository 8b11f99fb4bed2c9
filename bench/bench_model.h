// A synthetic plant for benchmarks: `assets` assets of one type with `signals` scalar signals
// each ("s00", "s01", ...), in unit Cel, with a valid range that every generated value meets.
#pragma once

#include <string>

#include <fmt/format.h>

namespace strata::bench {

inline std::string AssetModelYaml(int assets, int signals) {
  std::string y = "asset_types:\n  machine:\n    signals:\n";
  for (int s = 0; s < signals; ++s) {
    y += fmt::format("      s{:02}: {{unit: Cel, range: [-50, 500], period: 1s, tag: temperature}}\n",
                     s);
  }
  y += fmt::format("assets:\n  - {{path: \"bench/site/line/m{{0001..{:04}}}\", type: machine}}\n",
                   assets);
  return y;
}

// The decoder and mapping the benchmarks' payloads need, as an mqtt connector entry.
inline std::string ConnectorYaml(int port, const std::string& timestamp_unit) {
  return fmt::format(R"(
  - name: bench
    type: mqtt
    broker: {{host: 127.0.0.1, port: {}}}
    client_id: strata-bench-edge
    clean_session: false
    decoders:
      readings: {{type: json, items: /r, name: /n, value: /v, timestamp: /ts, timestamp_unit: {}}}
    mapping:
      version: bench
      rules:
        - {{topic: "bench/{{machine}}", decoder: readings, asset: "bench/site/line/{{machine}}", signal: "{{name}}"}}
)",
                     port, timestamp_unit);
}

// {"ts": <ts>, "r": [{"n": "s00", "v": 21.5}, ...]} with `signals` readings.
inline std::string Payload(int64_t ts, int signals, double base) {
  std::string p = fmt::format(R"({{"ts":{},"r":[)", ts);
  for (int s = 0; s < signals; ++s) {
    if (s) p += ',';
    p += fmt::format(R"({{"n":"s{:02}","v":{:.3f}}})", s, base + s * 0.125);
  }
  p += "]}";
  return p;
}

}  // namespace strata::bench
