#include "api/api_routes.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "api/auth.h"
#include "core/sha256.h"
#include "core/time_util.h"
#include "store/store.h"
#include "uplink/desired_state.h"
#include "uplink/uplink_topics.h"

namespace strata::api {
namespace {

using nlohmann::json;

constexpr double kNsPerSecond = 1e9;

// --- schema shorthands (OpenAPI 3.0 schema objects) ---

json Str(std::string_view description = {}) {
  json s = {{"type", "string"}};
  if (!description.empty()) s["description"] = description;
  return s;
}
json TimeStr(std::string_view description = {}) {
  json s = {{"type", "string"}, {"format", "date-time"}};
  if (!description.empty()) s["description"] = description;
  return s;
}
json Int(std::string_view description = {}) {
  json s = {{"type", "integer"}, {"format", "int64"}};
  if (!description.empty()) s["description"] = description;
  return s;
}
json Num(std::string_view description = {}) {
  json s = {{"type", "number"}};
  if (!description.empty()) s["description"] = description;
  return s;
}
json Bool() { return {{"type", "boolean"}}; }
json Nullable(json s) {
  s["nullable"] = true;
  return s;
}
json AnyObject(std::string_view description) {
  return {{"type", "object"}, {"additionalProperties", true}, {"description", description}};
}
json Arr(json items) { return {{"type", "array"}, {"items", std::move(items)}}; }
json Obj(std::initializer_list<std::pair<const std::string, json>> props) {
  json p = json::object();
  for (const auto& [k, v] : props) p[k] = v;
  return {{"type", "object"}, {"properties", std::move(p)}};
}
// The envelope of every list: {"items": [...], "truncated": bool, ...}.
json List(json item, std::initializer_list<std::pair<const std::string, json>> extra = {}) {
  json s = Obj({{"items", Arr(std::move(item))},
                {"truncated",
                 {{"type", "boolean"},
                  {"description", "true when the limit cut the list; narrow the range"}}}});
  for (const auto& [k, v] : extra) s["properties"][k] = v;
  return s;
}

// --- parameter shorthands ---

ParamSpec PathParam(std::string name, std::string description) {
  ParamSpec p;
  p.name = std::move(name);
  p.in = ParamIn::kPath;
  p.required = true;
  p.description = std::move(description);
  return p;
}
ParamSpec StrParam(std::string name, std::string description) {
  ParamSpec p;
  p.name = std::move(name);
  p.description = std::move(description);
  return p;
}
ParamSpec TimeParam(std::string name, std::string description) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamType::kTime;
  p.description = std::move(description);
  return p;
}
ParamSpec IntParam(std::string name, std::string description, int64_t min, int64_t max,
                   int64_t default_value) {
  ParamSpec p;
  p.name = std::move(name);
  p.type = ParamType::kInteger;
  p.description = std::move(description);
  p.min = min;
  p.max = max;
  p.default_value = default_value;
  return p;
}
ParamSpec FromParam(std::string_view what) {
  return TimeParam("from", fmt::format("start of the range of {} (inclusive); default: an hour "
                                       "before `to`",
                                       what));
}
ParamSpec ToParam(std::string_view what) {
  return TimeParam("to", fmt::format("end of the range of {} (exclusive); default: now", what));
}
ParamSpec LimitParam(int64_t default_value, int64_t max) {
  return IntParam("limit", "most items returned", 1, max, default_value);
}
ParamSpec AssetPath() {
  return PathParam("asset",
                   "asset path, one URL segment with each '/' percent-encoded as %2F "
                   "(acme%2Fplant-1%2Fpump-01)");
}

// --- JSON of store types ---

double Seconds(int64_t ns) { return static_cast<double>(ns) / kNsPerSecond; }

json Number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

// A JSON document stored as text (heartbeat, reported state, record bodies); kept as a string
// when it does not parse.
json Embedded(const std::string& text) {
  if (text.empty()) return nullptr;
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? json(text) : j;
}

json StreamJson(const StreamProgress& p, int64_t now_ns) {
  return {{"stream", p.stream},
          {"through", p.through},
          {"records", p.records},
          {"updated", ApiTime(p.updated_ns)},
          {"lag_seconds", Seconds(now_ns - p.updated_ns)}};
}

json StreamSchema() {
  return Obj({{"stream", Str("obs, dlq, dec, alr")},
              {"through", Int("highest contiguous seq stored (what the hub acknowledged)")},
              {"records", Int("records stored for this stream")},
              {"updated", TimeStr("hub time of the last batch stored")},
              {"lag_seconds", Num("now - updated")}});
}

// The desired state and how the edge's last report compares: "none" (nothing desired),
// "unknown" (no report for this version yet), else the report's state (applied, pending,
// rejected).
// `reported`: the edge's last report as embedded in the edge's JSON (null when none).
json DesiredJson(const std::optional<DesiredState>& desired, const json& reported) {
  if (!desired) {
    return {{"version", 0}, {"document", json::object()}, {"updated", nullptr}, {"state", "none"}};
  }
  json out = {{"version", desired->version},
              {"document", Embedded(desired->document)},
              {"updated", ApiTime(desired->updated_ns)},
              {"state", "unknown"}};
  // The report is what an edge sent: any of its fields may be missing or of another type.
  const auto field = [&](const char* key) {
    return reported.is_object() && reported.contains(key) ? reported[key] : json();
  };
  if (field("kind") == "applied" && field("version").is_number_unsigned() &&
      field("version").get<uint64_t>() == desired->version && field("state").is_string()) {
    out["state"] = field("state");
  }
  return out;
}

json EdgeJson(const std::string& edge_id, const EdgeEntry* entry,
              const std::vector<const StreamProgress*>& streams, int64_t now_ns,
              const std::optional<DesiredState>& desired) {
  json e = {{"edge_id", edge_id}, {"enrolled", entry != nullptr}};
  int64_t last_seen = entry ? entry->last_seen_ns : 0;
  json list = json::array();
  for (const StreamProgress* p : streams) {
    list.push_back(StreamJson(*p, now_ns));
    last_seen = std::max(last_seen, p->updated_ns);
  }
  e["tenant"] = entry ? json(entry->tenant) : json(nullptr);
  e["enrolled_at"] = entry ? json(ApiTime(entry->enrolled_ns)) : json(nullptr);
  e["last_seen"] = last_seen > 0 ? json(ApiTime(last_seen)) : json(nullptr);
  e["last_seen_age_seconds"] = last_seen > 0 ? json(Seconds(now_ns - last_seen)) : json(nullptr);
  e["heartbeat"] = entry ? Embedded(entry->heartbeat) : json(nullptr);
  e["reported"] = entry ? Embedded(entry->reported) : json(nullptr);
  e["desired"] = DesiredJson(desired, e["reported"]);
  e["streams"] = std::move(list);
  return e;
}

json DesiredSchema() {
  return Obj({{"version", Num("grows by one with every change; 0 = nothing desired yet")},
              {"document", AnyObject("what the hub wants the edge to run: {config_version}")},
              {"updated", Nullable(TimeStr("when it was set"))},
              {"state", Str("none, unknown (no report for this version yet), applied, pending "
                            "or rejected, from the edge's last report")}});
}

json EdgeSchema() {
  return Obj({{"edge_id", Str()},
              {"enrolled", {{"type", "boolean"},
                            {"description", "false for an edge seen in uplink progress only"}}},
              {"tenant", Nullable(Str())},
              {"enrolled_at", Nullable(TimeStr())},
              {"last_seen", Nullable(TimeStr("last heartbeat or batch, hub time"))},
              {"last_seen_age_seconds", Nullable(Num())},
              {"heartbeat", Nullable(AnyObject("the edge's last heartbeat document"))},
              {"reported", Nullable(AnyObject("the state the edge last reported"))},
              {"desired", DesiredSchema()},
              {"streams", Arr(StreamSchema())}});
}

json SignalJson(const SignalState& s, int64_t now_ns) {
  return {{"signal", s.signal},
          {"value", Number(s.value)},
          {"unit", s.unit},
          {"quality", std::string(QualityName(s.quality))},
          {"is_block", s.is_block},
          {"ts", ApiTime(s.ts_ns)},
          {"ingest_ts", ApiTime(s.ingest_ts_ns)},
          {"stored", ApiTime(s.stored_ns)},
          {"staleness_seconds", Seconds(now_ns - s.ts_ns)},
          {"edge_id", s.edge_id}};
}

json SignalSchema() {
  return Obj({{"signal", Str()},
              {"value", Nullable(Num("null for waveform blocks and bad readings without one"))},
              {"unit", Str("UCUM code")},
              {"quality", Str("good, uncertain or bad")},
              {"is_block", Bool()},
              {"ts", TimeStr("source time")},
              {"ingest_ts", TimeStr("when the edge received it")},
              {"stored", TimeStr("when the hub stored it")},
              {"staleness_seconds", Num("now - ts")},
              {"edge_id", Str()}});
}

// The open alerts, from the newest alert event of each (edge, alert id).
struct OpenAlert {
  std::string edge_id;
  uint64_t seq = 0;
  json event;
};

StatusOr<std::map<std::string, std::vector<OpenAlert>>> OpenAlertsByAsset(
    HubStore& store, const std::string& asset) {
  HubRecordQuery q;
  q.stream = std::string(kAlertStream);
  q.subject = asset;
  q.from_ns = std::numeric_limits<int64_t>::min();
  q.to_ns = std::numeric_limits<int64_t>::max();
  q.limit = kAlertScanRecords;
  STRATA_ASSIGN_OR_RETURN(std::vector<HubRecord> records, store.QueryRecords(q));
  std::set<std::pair<std::string, std::string>> seen;  // (edge, alert id), newest first
  std::map<std::string, std::vector<OpenAlert>> open;
  for (HubRecord& r : records) {
    json event = json::parse(r.record.body, nullptr, false);
    if (!event.is_object() || !event.contains("alert_id") || !event["alert_id"].is_string()) {
      continue;  // not an alert event the hub understands; the alerts route still lists it
    }
    if (!seen.emplace(r.edge_id, event["alert_id"].get<std::string>()).second) continue;
    if (event.value("kind", "") != "open") continue;
    open[r.record.subject].push_back({r.edge_id, r.record.seq, std::move(event)});
  }
  return open;
}

json OpenAlertJson(const OpenAlert& a) {
  const json& e = a.event;
  auto time_of = [&](const char* key) -> json {
    auto it = e.find(key);
    return it != e.end() && it->is_number_integer() ? json(ApiTime(it->get<int64_t>()))
                                                    : json(nullptr);
  };
  return {{"alert_id", e.value("alert_id", "")},
          {"edge_id", a.edge_id},
          {"seq", a.seq},
          {"opened", time_of("opened_ns")},
          {"ts", time_of("ts_ns")},
          {"score", e.contains("score") ? e["score"] : json(nullptr)},
          {"model", e.contains("model") ? e["model"] : json(nullptr)},
          {"trace_id", e.value("trace_id", "")},
          {"reasons", e.contains("reasons") ? e["reasons"] : json::array()}};
}

json OpenAlertSchema() {
  return Obj({{"alert_id", Str()},
              {"edge_id", Str()},
              {"seq", Int("seq of the alert event in the edge's alr stream")},
              {"opened", Nullable(TimeStr())},
              {"ts", Nullable(TimeStr("window end of the decision that opened it"))},
              {"score", Nullable(Num())},
              {"model", Obj({{"name", Str()}, {"version", Str()}})},
              {"trace_id", Str("W3C traceparent of the triggering decision")},
              {"reasons", Arr(Obj({{"feature", Str()},
                                   {"value", Num()},
                                   {"contribution", Num("SHAP value, margin units")}}))}});
}

json RecordItemSchema(const char* key, json body) {
  return Obj({{"edge_id", Str()},
              {"seq", Int()},
              {"ts", TimeStr("record time (a decision's window end)")},
              {"asset", Str()},
              {key, std::move(body)}});
}

json RecordItem(const HubRecord& r, const char* key) {
  return {{"edge_id", r.edge_id},
          {"seq", r.record.seq},
          {"ts", ApiTime(r.record.ts_ns)},
          {"asset", r.record.subject},
          {key, Embedded(r.record.body)}};
}

json TokenJson(const ApiToken& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(RoleName(t.role))},
          {"created", ApiTime(t.created_ns)},
          {"revoked", t.revoked}};
}

json TokenSchema() {
  return Obj({{"id", Str("public id, the handle to revoke it")},
              {"name", Str()},
              {"role", Str("viewer, technician, engineer, admin or bootstrap")},
              {"created", TimeStr()},
              {"revoked", Bool()}});
}

// NotFound unless the hub has seen `asset` (a signal or a record about it).
StatusOr<std::vector<SignalState>> SignalsOfKnownAsset(HubStore& store,
                                                       const std::string& asset) {
  STRATA_ASSIGN_OR_RETURN(std::vector<SignalState> signals, store.LatestSignals(asset));
  if (signals.empty()) {
    return NotFoundError(fmt::format(
        "the hub has no data of asset '{}': check the path (GET /api/v1/assets lists the "
        "assets seen; write each '/' of the path as %2F)",
        asset));
  }
  return signals;
}

Status CheckSignal(const std::vector<SignalState>& signals, const std::string& asset,
                   const std::string& signal) {
  if (signal.empty()) return Status::Ok();
  std::string known;
  for (const SignalState& s : signals) {
    if (s.signal == signal) return Status::Ok();
    if (known.size() < 400) known += (known.empty() ? "" : ", ") + s.signal;
  }
  return NotFoundError(
      fmt::format("asset '{}' has no signal '{}'; it has: {}", asset, signal, known));
}

// --- handlers ---

class Handlers {
 public:
  explicit Handlers(const RouteDeps& deps) : deps_(deps) {}

  StatusOr<Reply> ListEdges(const RouteRequest& req) {
    STRATA_ASSIGN_OR_RETURN(std::vector<EdgeEntry> edges, store().ListEdges());
    STRATA_ASSIGN_OR_RETURN(std::vector<StreamProgress> progress, store().ListProgress());
    std::map<std::string, std::pair<const EdgeEntry*, std::vector<const StreamProgress*>>> all;
    for (const EdgeEntry& e : edges) all[e.edge_id].first = &e;
    for (const StreamProgress& p : progress) all[p.edge_id].second.push_back(&p);
    STRATA_ASSIGN_OR_RETURN(std::vector<DesiredState> desired, store().ListDesired());
    std::map<std::string, DesiredState> desired_of;
    for (DesiredState& d : desired) desired_of[d.edge_id] = std::move(d);
    json items = json::array();
    for (const auto& [id, entry] : all) {
      auto d = desired_of.find(id);
      items.push_back(
          EdgeJson(id, entry.first, entry.second, req.now_ns,
                   d == desired_of.end() ? std::nullopt : std::optional<DesiredState>(d->second)));
    }
    return Reply{200, {{"items", std::move(items)}, {"truncated", false}}, {}, {}};
  }

  StatusOr<Reply> GetEdge(const RouteRequest& req) {
    const std::string& id = req.Path("edge_id");
    STRATA_ASSIGN_OR_RETURN(std::optional<EdgeEntry> entry, store().GetEdge(id));
    STRATA_ASSIGN_OR_RETURN(std::vector<StreamProgress> progress, store().ListProgress());
    std::vector<const StreamProgress*> streams;
    for (const StreamProgress& p : progress) {
      if (p.edge_id == id) streams.push_back(&p);
    }
    if (!entry && streams.empty()) {
      return NotFoundError(fmt::format(
          "no edge '{}' is enrolled or has sent data (GET /api/v1/edges lists them)", id));
    }
    STRATA_ASSIGN_OR_RETURN(std::optional<DesiredState> desired, store().GetDesired(id));
    return Reply{
        200, EdgeJson(id, entry ? &*entry : nullptr, streams, req.now_ns, desired), {}, {}};
  }

  // PUT /api/v1/edges/{edge_id}/desired: a new version of what the edge should run; the hub
  // publishes it (retained) and the edge reports what it applied.
  StatusOr<Reply> SetDesired(const RouteRequest& req) {
    const std::string& id = req.Path("edge_id");
    STRATA_ASSIGN_OR_RETURN(const DesiredDocument document,
                            DecodeDesiredDocument(req.body, /*allow_unknown=*/false));
    STRATA_ASSIGN_OR_RETURN(std::optional<EdgeEntry> entry, store().GetEdge(id));
    if (!entry) {
      return NotFoundError(fmt::format(
          "edge '{}' is not enrolled: enrol it first (GET /api/v1/edges lists the edges)", id));
    }
    STRATA_ASSIGN_OR_RETURN(DesiredState state,
                            store().SetDesired(id, EncodeDesiredDocument(document), req.now_ns));
    if (deps_.desired_changed) deps_.desired_changed();
    return Reply{200,
                 {{"edge_id", id},
                  {"desired", DesiredJson(state, Embedded(entry->reported))},
                  {"topic", DesiredTopic(entry->tenant, id)}},
                 {},
                 {}};
  }

  StatusOr<Reply> ListAssets(const RouteRequest& req) {
    STRATA_ASSIGN_OR_RETURN(std::vector<SignalState> signals, store().LatestSignals(""));
    STRATA_ASSIGN_OR_RETURN(auto open, OpenAlertsByAsset(store(), ""));
    struct Summary {
      int64_t last_seen = std::numeric_limits<int64_t>::min();
      size_t signals = 0;
      std::set<std::string> edges;
    };
    std::map<std::string, Summary> assets;
    for (const SignalState& s : signals) {
      Summary& a = assets[s.asset];
      a.last_seen = std::max(a.last_seen, s.ts_ns);
      ++a.signals;
      a.edges.insert(s.edge_id);
    }
    json items = json::array();
    for (const auto& [asset, a] : assets) {
      auto it = open.find(asset);
      items.push_back({{"asset", asset},
                       {"signals", a.signals},
                       {"edges", a.edges},
                       {"last_seen", ApiTime(a.last_seen)},
                       {"staleness_seconds", Seconds(req.now_ns - a.last_seen)},
                       {"active_alerts", it == open.end() ? 0 : it->second.size()}});
    }
    return Reply{200, {{"items", std::move(items)}, {"truncated", false}}, {}, {}};
  }

  StatusOr<Reply> GetAsset(const RouteRequest& req) {
    const std::string& asset = req.Path("asset");
    STRATA_ASSIGN_OR_RETURN(std::vector<SignalState> signals, SignalsOfKnownAsset(store(), asset));
    STRATA_ASSIGN_OR_RETURN(auto open, OpenAlertsByAsset(store(), asset));
    HubRecordQuery q;
    q.stream = std::string(kDecisionStream);
    q.subject = asset;
    q.from_ns = std::numeric_limits<int64_t>::min();
    q.to_ns = std::numeric_limits<int64_t>::max();
    q.limit = 1;
    STRATA_ASSIGN_OR_RETURN(std::vector<HubRecord> latest, store().QueryRecords(q));

    int64_t last_seen = std::numeric_limits<int64_t>::min();
    json signal_list = json::array();
    for (const SignalState& s : signals) {
      last_seen = std::max(last_seen, s.ts_ns);
      signal_list.push_back(SignalJson(s, req.now_ns));
    }
    json alerts = json::array();
    if (auto it = open.find(asset); it != open.end()) {
      for (const OpenAlert& a : it->second) alerts.push_back(OpenAlertJson(a));
    }
    json model = nullptr;
    if (!latest.empty()) {
      const json d = json::parse(latest[0].record.body, nullptr, false);
      const json m = d.is_object() && d.contains("model") && d["model"].is_object()
                         ? d["model"]
                         : json::object();
      model = {{"name", m.value("name", "")},
               {"version", m.value("version", "")},
               {"sha256", m.value("sha256", "")},
               {"edge_id", latest[0].edge_id},
               {"last_decision", ApiTime(latest[0].record.ts_ns)},
               {"score", d.is_object() && d.contains("score") ? d["score"] : json(nullptr)},
               {"label", d.is_object() ? d.value("label", "") : ""}};
    }
    return Reply{200,
                 {{"asset", asset},
                  {"last_seen", ApiTime(last_seen)},
                  {"staleness_seconds", Seconds(req.now_ns - last_seen)},
                  {"signals", std::move(signal_list)},
                  {"active_alerts", std::move(alerts)},
                  {"model", std::move(model)}},
                 {},
                 {}};
  }

  StatusOr<Reply> Observations(const RouteRequest& req) {
    const std::string& asset = req.Path("asset");
    STRATA_ASSIGN_OR_RETURN(auto range, req.Range(kDefaultSpanNs));
    STRATA_ASSIGN_OR_RETURN(std::vector<SignalState> signals, SignalsOfKnownAsset(store(), asset));
    STRATA_RETURN_IF_ERROR(CheckSignal(signals, asset, req.Query("signal")));
    HubObservationQuery q;
    q.asset = asset;
    q.signal = req.Query("signal");
    q.from_ns = range.first;
    q.to_ns = range.second;
    q.limit = static_cast<size_t>(req.Number("limit"));
    STRATA_ASSIGN_OR_RETURN(std::vector<ObservationRow> rows, store().QueryObservations(q));
    const bool with_samples = req.Number("samples") != 0;
    json items = json::array();
    for (const ObservationRow& r : rows) {
      json o = {{"signal", r.signal},
                {"ts", ApiTime(r.ts_ns)},
                {"ingest_ts", ApiTime(r.ingest_ts_ns)},
                {"seq", r.seq},
                {"value", Number(r.value)},
                {"unit", r.unit},
                {"quality", std::string(QualityName(r.quality))},
                {"source",
                 {{"protocol", r.source.protocol},
                  {"endpoint", r.source.endpoint},
                  {"address", r.source.address}}}};
      if (r.is_block) {
        json b = {{"sample_rate_hz", r.block ? r.block->sample_rate_hz : 0.0},
                  {"sample_count", r.block ? r.block->samples.size() : 0}};
        if (with_samples && r.block) b["samples"] = r.block->samples;
        o["block"] = std::move(b);
      }
      items.push_back(std::move(o));
    }
    const bool truncated = items.size() >= q.limit;
    return Reply{200,
                 {{"asset", asset},
                  {"from", ApiTime(range.first)},
                  {"to", ApiTime(range.second)},
                  {"items", std::move(items)},
                  {"truncated", truncated}},
                 {},
                 {}};
  }

  StatusOr<Reply> Series(const RouteRequest& req) {
    const std::string& asset = req.Path("asset");
    STRATA_ASSIGN_OR_RETURN(auto range, req.Range(kDefaultSpanNs));
    STRATA_ASSIGN_OR_RETURN(std::vector<SignalState> signals, SignalsOfKnownAsset(store(), asset));
    STRATA_RETURN_IF_ERROR(CheckSignal(signals, asset, req.Query("signal")));
    const int64_t points = req.Number("points");
    // Overflow-free span (from < to) and a bucket that makes at most `points` buckets.
    const uint64_t span = static_cast<uint64_t>(range.second) - static_cast<uint64_t>(range.first);
    const uint64_t bucket = std::max<uint64_t>(
        1, span / static_cast<uint64_t>(points) + (span % static_cast<uint64_t>(points) != 0));
    SeriesQuery q;
    q.asset = asset;
    q.signal = req.Query("signal");
    q.from_ns = range.first;
    q.to_ns = range.second;
    q.bucket_ns = static_cast<int64_t>(bucket);
    STRATA_ASSIGN_OR_RETURN(std::vector<SeriesBucket> buckets, store().QuerySeries(q));
    json series = json::array();
    for (const SeriesBucket& b : buckets) {
      if (series.empty() || series.back()["signal"] != b.signal) {
        std::string unit;
        for (const SignalState& s : signals) {
          if (s.signal == b.signal) unit = s.unit;
        }
        series.push_back({{"signal", b.signal}, {"unit", unit}, {"points", json::array()}});
      }
      series.back()["points"].push_back({{"t", ApiTime(b.start_ns)},
                                         {"count", b.count},
                                         {"min", b.min},
                                         {"max", b.max},
                                         {"mean", b.mean}});
    }
    return Reply{200,
                 {{"asset", asset},
                  {"from", ApiTime(range.first)},
                  {"to", ApiTime(range.second)},
                  {"bucket_seconds", Seconds(q.bucket_ns)},
                  {"series", std::move(series)}},
                 {},
                 {}};
  }

  StatusOr<Reply> DeadLetters(const RouteRequest& req) {
    STRATA_ASSIGN_OR_RETURN(auto range, req.Range(kDefaultSpanNs));
    HubDeadLetterQuery q;
    q.edge_id = req.Query("edge");
    q.from_ns = range.first;
    q.to_ns = range.second;
    q.limit = static_cast<size_t>(req.Number("limit"));
    STRATA_ASSIGN_OR_RETURN(std::vector<HubDeadLetter> letters, store().QueryDeadLetters(q));
    json items = json::array();
    for (const HubDeadLetter& h : letters) {
      const DeadLetter& d = h.dead_letter;
      items.push_back({{"edge_id", h.edge_id},
                       {"seq", d.seq},
                       {"ts", ApiTime(d.ts_ns)},
                       {"reason", std::string(RejectReasonName(d.reason))},
                       {"source", d.source},
                       {"detail", d.detail},
                       {"payload", d.payload},
                       {"payload_truncated", d.payload_truncated}});
    }
    const bool truncated = items.size() >= q.limit;
    return Reply{200,
                 {{"from", ApiTime(range.first)},
                  {"to", ApiTime(range.second)},
                  {"items", std::move(items)},
                  {"truncated", truncated}},
                 {},
                 {}};
  }

  StatusOr<Reply> Records(const RouteRequest& req, std::string_view stream, const char* key) {
    STRATA_ASSIGN_OR_RETURN(auto range, req.Range(kDefaultSpanNs));
    HubRecordQuery q;
    q.stream = std::string(stream);
    q.edge_id = req.Query("edge");
    q.subject = req.Query("asset");
    q.from_ns = range.first;
    q.to_ns = range.second;
    q.limit = static_cast<size_t>(req.Number("limit"));
    STRATA_ASSIGN_OR_RETURN(std::vector<HubRecord> records, store().QueryRecords(q));
    json items = json::array();
    for (const HubRecord& r : records) items.push_back(RecordItem(r, key));
    const bool truncated = items.size() >= q.limit;
    return Reply{200,
                 {{"from", ApiTime(range.first)},
                  {"to", ApiTime(range.second)},
                  {"items", std::move(items)},
                  {"truncated", truncated}},
                 {},
                 {}};
  }

  StatusOr<Reply> WhoAmI(const RouteRequest& req) {
    return Reply{200, TokenJson(*req.token), {}, {}};
  }

  StatusOr<Reply> ListTokens(const RouteRequest&) {
    STRATA_ASSIGN_OR_RETURN(std::vector<ApiToken> tokens, store().ListTokens());
    json items = json::array();
    for (const ApiToken& t : tokens) items.push_back(TokenJson(t));
    return Reply{200, {{"items", std::move(items)}, {"truncated", false}}, {}, {}};
  }

  StatusOr<Reply> CreateToken(const RouteRequest& req) {
    const json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return InvalidArgumentError(
          "the body must be a JSON object: {\"name\": \"what it is for\", \"role\": "
          "\"viewer|technician|engineer|admin\"}");
    }
    for (const auto& [key, value] : body.items()) {
      if (key != "name" && key != "role") {
        return InvalidArgumentError(
            fmt::format("unknown key '{}' in the body; it takes: name, role", key));
      }
    }
    auto string_key = [&](const char* key) -> StatusOr<std::string> {
      auto it = body.find(key);
      if (it == body.end()) {
        return InvalidArgumentError(fmt::format("key '{}' is required in the body", key));
      }
      if (!it->is_string()) {
        return InvalidArgumentError(fmt::format("key '{}' must be a string", key));
      }
      return it->get<std::string>();
    };
    STRATA_ASSIGN_OR_RETURN(const std::string name, string_key("name"));
    STRATA_ASSIGN_OR_RETURN(const std::string role_name, string_key("role"));
    const std::optional<Role> role = ParseRole(role_name);
    if (!role) {
      return InvalidArgumentError(fmt::format(
          "key 'role': '{}' is not a role; use viewer, technician, engineer, admin or bootstrap",
          role_name.substr(0, 64)));
    }
    if (Status s = ValidateTokenName(name); !s.ok()) {
      return InvalidArgumentError(fmt::format("key 'name': {}", s.message()));
    }
    STRATA_ASSIGN_OR_RETURN(IssuedToken issued, IssueApiToken(store(), *role, name, req.now_ns));
    json out = TokenJson(issued.token);
    out["token"] = issued.secret;
    return Reply{201, std::move(out), {}, {}};
  }

  StatusOr<Reply> RevokeToken(const RouteRequest& req) {
    const std::string& id = req.Path("id");
    if (Status s = store().RevokeToken(id); !s.ok()) {
      if (s.code() == StatusCode::kNotFound) {
        return NotFoundError(
            fmt::format("no token with id '{}' (GET /api/v1/tokens lists them)", id));
      }
      return s;
    }
    return Reply{200, {{"id", id}, {"revoked", true}}, {}, {}};
  }

  // POST /api/v1/enrol: a new edge with a bootstrap token gets its own broker login. Once:
  // an edge that enrolled already is refused until an admin re-admits it.
  StatusOr<Reply> Enrol(const RouteRequest& req) {
    if (!deps_.provision_edge) {
      return FailedPreconditionError(
          "this hub does not enrol edges: set uplink.provisioning: dynsec in its hub.yaml "
          "(docs/uplink.md#enrolment), or add edges by hand with `strata hub edge add`");
    }
    STRATA_ASSIGN_OR_RETURN(const EnrolRequest request, DecodeEnrolRequest(req.body));
    // One enrolment at a time: two edges claiming one id cannot both get a login.
    std::lock_guard lock(enrol_mu_);
    STRATA_ASSIGN_OR_RETURN(std::optional<EdgeEntry> existing, store().GetEdge(request.edge_id));
    if (existing && !existing->credential_hash.empty()) {
      return AlreadyExistsError(fmt::format(
          "edge '{}' is already enrolled (since {}). If it lost its credentials, an admin "
          "re-admits it with `strata hub edge add --id {} --tenant {}`; then it can enrol again",
          request.edge_id, ApiTime(existing->enrolled_ns), request.edge_id, existing->tenant));
    }
    if (existing && existing->tenant != request.tenant) {
      return FailedPreconditionError(fmt::format(
          "edge '{}' is registered under tenant '{}', not '{}': check edge.tenant in its "
          "edge.yaml",
          request.edge_id, existing->tenant, request.tenant));
    }
    STRATA_ASSIGN_OR_RETURN(MqttCredentials login,
                            deps_.provision_edge(request.tenant, request.edge_id));
    EdgeEntry entry;
    entry.edge_id = request.edge_id;
    entry.tenant = request.tenant;
    entry.enrolled_ns = req.now_ns;
    entry.credential_hash = Sha256Hex(login.password);
    STRATA_RETURN_IF_ERROR(store().UpsertEdge(entry));
    Reply reply;
    reply.status = 201;
    reply.body = json::parse(EncodeEnrolAnswer({request.edge_id, request.tenant, login}));
    return reply;
  }

  StatusOr<Reply> Metrics(const RouteRequest&) {
    return Reply{200, nullptr, deps_.metrics.RenderPrometheus(),
                 "text/plain; version=0.0.4; charset=utf-8"};
  }

  StatusOr<Reply> Health(const RouteRequest&) {
    const std::string problem = deps_.health ? deps_.health() : "";
    if (problem.empty()) return Reply{200, nullptr, "ok\n", "text/plain"};
    return Reply{503, nullptr, problem + "\n", "text/plain"};
  }

 private:
  HubStore& store() { return deps_.store; }
  RouteDeps deps_;
  std::mutex enrol_mu_;
};

}  // namespace

std::string ApiTime(int64_t ns) { return FormatTimestamp(ns, 9); }

std::vector<Route> MakeApiRoutes(const RouteDeps& deps) {
  auto h = std::make_shared<Handlers>(deps);
  auto bind = [h](StatusOr<Reply> (Handlers::*fn)(const RouteRequest&)) -> RouteHandler {
    return [h, fn](const RouteRequest& req) { return ((*h).*fn)(req); };
  };
  const ParamSpec edge_filter = StrParam("edge", "only this edge id");
  const ParamSpec asset_filter = StrParam("asset", "only this asset path (exact)");
  const ParamSpec signal_filter = StrParam("signal", "only this signal (exact); default: all");

  std::vector<Route> routes;
  auto add = [&](Route r) { routes.push_back(std::move(r)); };

  add({.method = "GET",
       .path = "/api/v1/edges",
       .role = Role::kViewer,
       .tag = "fleet",
       .summary = "List edges: registry and uplink progress",
       .description = "Every enrolled edge and every edge that has sent data, with, per uplink "
                      "stream, how far the hub has everything (through) and how long ago the "
                      "last batch was stored (lag).",
       .response_schema = List(EdgeSchema()),
       .handler = bind(&Handlers::ListEdges)});
  add({.method = "GET",
       .path = "/api/v1/edges/{edge_id}",
       .role = Role::kViewer,
       .tag = "fleet",
       .summary = "One edge: registry entry, heartbeat and uplink progress",
       .params = {PathParam("edge_id", "the edge's id")},
       .response_schema = EdgeSchema(),
       .handler = bind(&Handlers::GetEdge)});
  add({.method = "PUT",
       .path = "/api/v1/edges/{edge_id}/desired",
       .role = Role::kEngineer,
       .tag = "fleet",
       .summary = "Set what an edge should run (desired state); the edge reports what it applied",
       .description =
           "Stores a new version of the edge's desired state and publishes it, retained, on "
           "strata/v1/<tenant>/edge/<id>/desired. The edge answers on .../reported; GET "
           "/api/v1/edges/{edge_id} shows desired.state (applied, pending, rejected). An edge "
           "that is offline gets it when it connects. 404 for an edge not enrolled.",
       .params = {PathParam("edge_id", "the edge's id")},
       .request_schema = {{"type", "object"},
                          {"additionalProperties", false},
                          {"properties",
                           {{"config_version",
                             Str("the config revision the edge should run: its edge.yaml "
                                 "edge.config_version, or the sha256:... it reports")}}}},
       .response_schema = Obj({{"edge_id", Str()}, {"desired", DesiredSchema()}, {"topic", Str()}}),
       .handler = bind(&Handlers::SetDesired)});
  add({.method = "GET",
       .path = "/api/v1/assets",
       .role = Role::kViewer,
       .tag = "assets",
       .summary = "List the assets the hub has data of",
       .description = "From the latest value of every signal: when each asset was last seen "
                      "(source time), how stale that is, and how many alerts are open.",
       .response_schema = List(Obj({{"asset", Str()},
                                    {"signals", Int("signals with data")},
                                    {"edges", Arr(Str())},
                                    {"last_seen", TimeStr("newest source time of any signal")},
                                    {"staleness_seconds", Num("now - last_seen")},
                                    {"active_alerts", Int("open alerts")}})),
       .handler = bind(&Handlers::ListAssets)});
  add({.method = "GET",
       .path = "/api/v1/assets/{asset}",
       .role = Role::kViewer,
       .tag = "assets",
       .summary = "The digital twin of one asset",
       .description = "The latest value, unit, quality and time of every signal, the open "
                      "alerts (the newest event of each alert is an open) and the model of "
                      "the latest decision.",
       .params = {AssetPath()},
       .response_schema =
           Obj({{"asset", Str()},
                {"last_seen", TimeStr()},
                {"staleness_seconds", Num()},
                {"signals", Arr(SignalSchema())},
                {"active_alerts", Arr(OpenAlertSchema())},
                {"model", Nullable(Obj({{"name", Str()},
                                        {"version", Str()},
                                        {"sha256", Str()},
                                        {"edge_id", Str()},
                                        {"last_decision", TimeStr()},
                                        {"score", Nullable(Num())},
                                        {"label", Str()}}))}}),
       .handler = bind(&Handlers::GetAsset)});
  {
    ParamSpec samples;
    samples.name = "samples";
    samples.type = ParamType::kBoolean;
    samples.default_value = 0;
    samples.description = "include the samples of waveform blocks (default: only rate and count)";
    add({.method = "GET",
         .path = "/api/v1/assets/{asset}/observations",
         .role = Role::kViewer,
         .tag = "assets",
         .summary = "Raw observations of one asset",
         .description = "Ordered by (signal, ts).",
         .params = {AssetPath(), signal_filter, FromParam("source time"),
                    ToParam("source time"), LimitParam(kDefaultObservations, kMaxObservations),
                    samples},
         .response_schema = List(
             Obj({{"signal", Str()},
                  {"ts", TimeStr("source time")},
                  {"ingest_ts", TimeStr()},
                  {"seq", Int("the edge's seq")},
                  {"value", Nullable(Num())},
                  {"unit", Str()},
                  {"quality", Str()},
                  {"source", Obj({{"protocol", Str()}, {"endpoint", Str()}, {"address", Str()}})},
                  {"block", Obj({{"sample_rate_hz", Num()},
                                 {"sample_count", Int()},
                                 {"samples", Arr(Num())}})}}),
             {{"asset", Str()}, {"from", TimeStr()}, {"to", TimeStr()}}),
         .handler = bind(&Handlers::Observations)});
  }
  add({.method = "GET",
       .path = "/api/v1/assets/{asset}/series",
       .role = Role::kViewer,
       .tag = "assets",
       .summary = "A downsampled series of one asset, for charts",
       .description = "The scalar observations in [from, to) cut into buckets of (to - from) / "
                      "points (rounded up); each bucket has count, min, max and mean. Buckets "
                      "without data are absent.",
       .params = {AssetPath(), signal_filter, FromParam("source time"), ToParam("source time"),
                  IntParam("points", "most buckets per signal", 1, kMaxSeriesPoints,
                           kDefaultSeriesPoints)},
       .response_schema = Obj({{"asset", Str()},
                               {"from", TimeStr()},
                               {"to", TimeStr()},
                               {"bucket_seconds", Num()},
                               {"series", Arr(Obj({{"signal", Str()},
                                                   {"unit", Str()},
                                                   {"points", Arr(Obj({{"t", TimeStr()},
                                                                       {"count", Int()},
                                                                       {"min", Num()},
                                                                       {"max", Num()},
                                                                       {"mean", Num()}}))}}))}}),
       .handler = bind(&Handlers::Series)});
  add({.method = "GET",
       .path = "/api/v1/dead-letters",
       .role = Role::kViewer,
       .tag = "data quality",
       .summary = "Readings the edges rejected, newest first",
       .params = {edge_filter, FromParam("rejection time"), ToParam("rejection time"),
                  LimitParam(kDefaultListItems, kMaxListItems)},
       .response_schema = List(Obj({{"edge_id", Str()},
                                    {"seq", Int()},
                                    {"ts", TimeStr("when the edge rejected it")},
                                    {"reason", Str("reason code, e.g. out_of_range")},
                                    {"source", Str()},
                                    {"detail", Str()},
                                    {"payload", Str("raw bytes, capped")},
                                    {"payload_truncated", Bool()}}),
                               {{"from", TimeStr()}, {"to", TimeStr()}}),
       .handler = bind(&Handlers::DeadLetters)});
  add({.method = "GET",
       .path = "/api/v1/decisions",
       .role = Role::kViewer,
       .tag = "decisions",
       .summary = "Model decisions with their explanations, newest first",
       .params = {asset_filter, edge_filter, FromParam("decision time (window end)"),
                  ToParam("decision time (window end)"),
                  LimitParam(kDefaultListItems, kMaxListItems)},
       .response_schema = List(RecordItemSchema(
                                   "decision", AnyObject("the decision record (core/decision.h): "
                                                         "model, score, label, features, top "
                                                         "contributions, trace_id")),
                               {{"from", TimeStr()}, {"to", TimeStr()}}),
       .handler = [h](const RouteRequest& req) {
         return h->Records(req, kDecisionStream, "decision");
       }});
  add({.method = "GET",
       .path = "/api/v1/alerts",
       .role = Role::kViewer,
       .tag = "decisions",
       .summary = "Alert events (open and clear), newest first",
       .params = {asset_filter, edge_filter, FromParam("event time"), ToParam("event time"),
                  LimitParam(kDefaultListItems, kMaxListItems)},
       .response_schema = List(RecordItemSchema(
                                   "alert", AnyObject("the alert event (core/decision.h): kind "
                                                      "open|clear, alert_id, model, score, "
                                                      "reasons, trace_id")),
                               {{"from", TimeStr()}, {"to", TimeStr()}}),
       .handler = [h](const RouteRequest& req) {
         return h->Records(req, kAlertStream, "alert");
       }});
  add({.method = "GET",
       .path = "/api/v1/whoami",
       .role = Role::kViewer,
       .tag = "tokens",
       .summary = "The token this request was made with",
       .response_schema = TokenSchema(),
       .handler = bind(&Handlers::WhoAmI)});
  add({.method = "GET",
       .path = "/api/v1/tokens",
       .role = Role::kAdmin,
       .tag = "tokens",
       .summary = "List API tokens (never their secrets)",
       .response_schema = List(TokenSchema()),
       .handler = bind(&Handlers::ListTokens)});
  {
    json created = TokenSchema();
    created["properties"]["token"] =
        Str("the secret, shown this once: st_<id>_<secret>; the hub keeps only its SHA-256");
    add({.method = "POST",
         .path = "/api/v1/tokens",
         .role = Role::kAdmin,
         .tag = "tokens",
         .summary = "Create an API token",
         .request_schema = {{"type", "object"},
                            {"required", {"name", "role"}},
                            {"additionalProperties", false},
                            {"properties",
                             {{"name", {{"type", "string"},
                                        {"maxLength", kMaxTokenNameBytes},
                                        {"description", "what it is for, e.g. console: alice"}}},
                              {"role", {{"type", "string"},
                                        {"enum", {"viewer", "technician", "engineer",
                                                  "admin", "bootstrap"}}}}}}},
         .response_schema = created,
         .success_status = 201,
         .handler = bind(&Handlers::CreateToken)});
  }
  add({.method = "DELETE",
       .path = "/api/v1/tokens/{id}",
       .role = Role::kAdmin,
       .tag = "tokens",
       .summary = "Revoke an API token",
       .description = "Takes effect at once: the next request with it gets 401.",
       .params = {PathParam("id", "the token's public id")},
       .response_schema = Obj({{"id", Str()}, {"revoked", Bool()}}),
       .handler = bind(&Handlers::RevokeToken)});
  add({.method = "POST",
       .path = "/api/v1/enrol",
       .role = Role::kBootstrap,
       .tag = "edges",
       .summary = "Enrol an edge: it gets its own broker login, once",
       .description =
           "Takes a bootstrap token (strata hub token create --role bootstrap) or an admin token. "
           "Registers the edge and makes its MQTT login on the uplink broker, allowed only its "
           "own topics. 409 when the edge is already enrolled (an admin re-admits it with "
           "strata hub edge add) or when this hub does not enrol edges (uplink.provisioning).",
       .request_schema = {{"type", "object"},
                          {"required", {"edge_id", "tenant"}},
                          {"additionalProperties", false},
                          {"properties",
                           {{"edge_id", Str("edge.id of the edge's edge.yaml")},
                            {"tenant", Str("edge.tenant of the edge's edge.yaml")}}}},
       .response_schema = Obj({{"edge_id", Str()},
                               {"tenant", Str()},
                               {"mqtt", Obj({{"username", Str()},
                                             {"password", Str("shown this once; the hub keeps "
                                                              "only its SHA-256")}})},
                               {"topics", Obj({{"uplink", Str()},
                                               {"ack", Str()},
                                               {"reported", Str()},
                                               {"desired", Str()}})}}),
       .success_status = 201,
       .handler = bind(&Handlers::Enrol)});
  add({.method = "GET",
       .path = "/metrics",
       .tag = "operations",
       .summary = "Prometheus metrics of the hub (text exposition format 0.0.4)",
       .response_content_type = "text/plain",
       .handler = bind(&Handlers::Metrics)});
  add({.method = "GET",
       .path = "/healthz",
       .tag = "operations",
       .summary = "Health check: 200 \"ok\", or 503 with what is wrong",
       .response_content_type = "text/plain",
       .handler = bind(&Handlers::Health)});
  return routes;
}

}  // namespace strata::api
