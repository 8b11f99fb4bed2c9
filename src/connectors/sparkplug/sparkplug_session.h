// SparkplugSession: the state a Sparkplug B host keeps about the edge nodes it listens to, and
// what each message means given that state.
//
// Topics: spBv1.0/<group>/<NBIRTH|NDATA|NDEATH|DBIRTH|DDATA|DDEATH|NCMD|DCMD>/<edge
// node>[/<device>] (and spBv1.0/STATE/<host>). Per edge node (group + node id) the session keeps:
// - the bdSeq of its NBIRTH: an NDEATH with another bdSeq belongs to an older session (the
//   broker delivers the last will late) and is ignored;
// - the message seq (0-255, wrapping; NBIRTH sets it, every later NDATA/DBIRTH/DDATA/DDEATH
//   adds one): a gap, or data from a node whose birth was not seen (e.g. the edge started
//   later), asks the node to publish its births again (an NCMD "Node Control/Rebirth"), at most
//   once per kRebirthInterval per node;
// - every metric its births declared (name, alias, data type, device), so that DATA metrics
//   sent by alias only or without a data type can be read, and so that a death can mark each
//   of them.
//
// Output: readings grouped by the topic to map them with: a message's own topic; for an
// NDEATH, also spBv1.0/<group>/DDEATH/<node>/<device> for the metrics of each of its devices.
// BIRTH and DATA metrics give values (Boolean as 0/1; is_null: quality bad without a value);
// a death gives every metric of the node or device quality bad without a value, stamped with
// the death's time — the explicit marker that the signal stopped. The control metrics
// (bdSeq, Node Control/*, Device Control/*) are state, not readings. STATE, NCMD and DCMD are
// ignored.
//
// Not thread-safe: one per connector, called from the pipeline thread.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "connectors/sparkplug/sparkplug_codec.h"
#include "core/metrics.h"
#include "pipeline/reading.h"

namespace strata {

// Readings of one message to be mapped as if they came on `topic`.
struct SparkplugGroup {
  std::string topic;
  DecodeResult result;
};

struct SparkplugOutcome {
  // The whole message is unusable (bad topic or payload): `reason` and `error` say why.
  bool failed = false;
  RejectReason reason = RejectReason::kMalformedPayload;
  std::string error;
  bool ignored = false;  // STATE, NCMD, DCMD, or a stale NDEATH: nothing to store
  // The first `group_count` entries of `groups` are this message's (the rest are reused
  // buffers).
  std::vector<SparkplugGroup> groups;
  size_t group_count = 0;
  // Non-empty: publish EncodeRebirthRequest() on this topic (the node's NCMD topic).
  std::string rebirth_topic;
};

class SparkplugSession {
 public:
  static constexpr int64_t kRebirthIntervalNs = 5'000'000'000;  // per node
  // Past this many metrics per node, births are refused (memory bound under a hostile peer).
  static constexpr size_t kMaxMetricsPerNode = 100'000;
  static constexpr size_t kMaxNodes = 10'000;

  // Counters go to `metrics` as strata_edge_sparkplug_*{connector=...}.
  SparkplugSession(MetricsRegistry& metrics, const std::string& connector);

  // Interprets one message received at `receive_ts_ns`. Views in `out` stay valid until the
  // next call.
  void Handle(std::string_view topic, std::string_view payload, int64_t receive_ts_ns,
              SparkplugOutcome* out);

  bool node_online(std::string_view group, std::string_view node) const;

 private:
  struct Metric {
    std::string device;  // "" for node metrics
    std::string name;
    uint32_t type = 0;
  };
  struct Node {
    bool online = false;
    std::optional<uint64_t> bd_seq;
    uint8_t seq = 0;
    bool seq_known = false;
    int64_t last_rebirth_ns = 0;
    bool rebirth_requested = false;
    std::vector<Metric> metrics;  // declared by births; index = id
    std::unordered_map<uint64_t, size_t> by_alias;
    std::map<std::pair<std::string, std::string>, size_t, std::less<>> by_name;  // (device, name)
  };

  SparkplugGroup& NextGroup(SparkplugOutcome* out, std::string topic);
  void AskRebirth(Node& node, std::string_view group, std::string_view node_id, int64_t now,
                  SparkplugOutcome* out);
  bool CheckSeq(Node& node, std::string_view group, std::string_view node_id, int64_t now,
                SparkplugOutcome* out);
  void Declare(Node& node, std::string_view device, const SparkplugMetric& m);
  void AddReading(const SparkplugMetric& m, std::string_view name, uint32_t type,
                  std::optional<int64_t> payload_ts, DecodeResult* result);
  void MarkDead(const Node& node, std::optional<std::string_view> device, int64_t ts_ns,
                std::string_view group, std::string_view node_id, SparkplugOutcome* out);

  SparkplugDecoder decoder_;
  SparkplugPayload payload_;
  std::map<std::string, Node, std::less<>> nodes_;  // "<group>/<node>"
  std::string key_;

  Counter& births_;
  Counter& deaths_;
  Counter& seq_gaps_;
  Counter& rebirths_;
  Counter& unknown_aliases_;
  Counter& ignored_;
};

}  // namespace strata
