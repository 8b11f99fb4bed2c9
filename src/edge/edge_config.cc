#include "edge/edge_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/sha256.h"
#include "uplink/desired_state.h"
#include "uplink/uplink_batch.h"

namespace strata {
namespace {

EdgeConfig ReadEdgeConfig(ConfigNode& root) {
  EdgeConfig c;
  c.file = root.document().file();
  if (auto edge = root.Find("edge")) {
    c.edge_id = edge->String("id", c.edge_id);
    c.tenant = edge->String("tenant", c.tenant);
    if (edge->Has("config_version")) {
      c.config_version = edge->String("config_version");
      if (Status s = ValidateConfigVersion(c.config_version); !s.ok()) {
        edge->Get("config_version")
            .Fail(fmt::format("config_version names this config's revision and {}", s.message()));
      }
    }
  }
  if (c.config_version.empty()) {
    c.config_version = "sha256:" + Sha256Hex(root.document().text()).substr(0, 16);
  }
  for (const std::string* id : {&c.edge_id, &c.tenant}) {
    if (id->empty() || id->find_first_of("/+# ") != std::string::npos) {
      root.Get("edge").Fail(fmt::format(
          "'{}' is not a valid id: use letters, digits, '-' and '_' (no / + # or spaces)", *id));
    }
  }

  ConfigNode store = root.Get("store");
  c.store_path = store.Path("path");
  c.durability = store.Choice("durability", {"full", "normal"}, "full") == "normal"
                     ? Durability::kNormal
                     : Durability::kFull;
  if (auto retention = store.Find("retention")) {
    c.pipeline.retention.max_age_ns = retention->Duration("max_age", 0);
    c.pipeline.retention.max_bytes = retention->ByteSize("max_size", 0);
    c.pipeline.retention_interval_ns = retention->Duration("interval", 60'000'000'000LL);
  }
  // The outbox's quota (docs/outbox-policy.md): by default max_size, the whole store.
  c.pipeline.retention.outbox_quota_bytes = c.pipeline.retention.max_bytes;
  if (auto outbox = store.Find("outbox")) {
    RetentionPolicy& r = c.pipeline.retention;
    if (auto quota = outbox->Find("quota")) {
      r.outbox_quota_bytes = quota->AsByteSize();  // "-1GiB" is not a byte size
      if (r.outbox_quota_bytes < 64 * 1024) {
        quota->Fail("the outbox quota must be at least 64KiB (write e.g. 1GiB)");
      }
      if (r.max_bytes > 0 && r.outbox_quota_bytes > r.max_bytes) {
        quota->Fail(
            fmt::format("the outbox is part of the store: its quota ({} bytes) cannot exceed "
                        "store.retention.max_size ({} bytes)",
                        r.outbox_quota_bytes, r.max_bytes));
      }
    }
    r.when_full =
        outbox->Choice("when_full", {"drop_oldest", "reject_new"}, "drop_oldest") == "reject_new"
            ? OutboxFullPolicy::kRejectNew
            : OutboxFullPolicy::kDropOldest;
    if (r.outbox_quota_bytes == 0 && outbox->Has("when_full")) {
      outbox->Get("when_full")
          .Fail(
              "the outbox has no quota, so it is never full: set store.outbox.quota (or "
              "store.retention.max_size)");
    }
  }

  ConfigNode assets = root.Get("assets");
  if (assets.IsScalar()) {
    const std::string path = root.Path("assets");
    auto model = AssetModel::LoadFile(path);
    if (!model.ok()) assets.Fail(model.status().message());
    c.model = *model;
  } else {
    c.model = AssetModel::Read(assets);
  }

  std::vector<std::string> names;
  for (auto& connector : root.Get("connectors").Elements()) {
    const std::string type = connector.Choice("type", {"mqtt", "modbus", "opcua"}, "");
    if (type.empty()) {
      connector.Fail("missing required key 'type' (one of: mqtt, modbus, opcua)");
    }
    const std::string name = connector.String("name");
    if (std::find(names.begin(), names.end(), name) != names.end()) {
      connector.Get("name").Fail(fmt::format("connector name '{}' is used twice", name));
    }
    names.push_back(name);
    if (type == "modbus") {
      c.modbus.push_back(ModbusConnectorConfig::Read(connector, c.model.get()));
    } else if (type == "opcua") {
      c.opcua.push_back(OpcuaConnectorConfig::Read(connector, c.model.get()));
    } else {
      c.mqtt.push_back(
          MqttConnectorConfig::Read(connector, fmt::format("strata-{}-{}", c.edge_id, name)));
    }
  }
  if (names.empty()) root.Get("connectors").Fail("at least one connector is needed");

  if (auto validation = root.Find("validation")) {
    c.pipeline.validation.max_future_ns =
        validation->Duration("max_future", c.pipeline.validation.max_future_ns);
  }
  if (auto staleness = root.Find("staleness")) {
    c.pipeline.stale_factor = staleness->Double("factor", c.pipeline.stale_factor);
    if (!(c.pipeline.stale_factor >= 1 && c.pipeline.stale_factor <= 1000)) {
      staleness->Get("factor").Fail("factor must be between 1 and 1000");
    }
  }
  if (auto pipeline = root.Find("pipeline")) {
    c.pipeline.raw_queue_bytes =
        static_cast<size_t>(pipeline->ByteSize("raw_queue", int64_t(c.pipeline.raw_queue_bytes)));
    c.pipeline.batch_queue_rows = static_cast<size_t>(
        pipeline->Int("store_queue_rows", int64_t(c.pipeline.batch_queue_rows)));
    c.pipeline.max_batch_rows =
        static_cast<size_t>(pipeline->Int("max_batch_rows", int64_t(c.pipeline.max_batch_rows)));
    if (c.pipeline.raw_queue_bytes < 1024 || c.pipeline.batch_queue_rows < 1 ||
        c.pipeline.max_batch_rows < 1) {
      pipeline->Fail("queue sizes must be positive (raw_queue >= 1KiB)");
    }
  }
  if (auto models = root.Find("models")) {
    for (ConfigNode& m : models->Elements()) {
      ModelAssignment a;
      a.where = m.Where();
      a.package_dir = m.Path("package");
      if (auto sha = m.Find("sha256")) {
        a.sha256 = sha->AsString();
        if (a.sha256->size() != 64 ||
            a.sha256->find_first_not_of("0123456789abcdef") != std::string::npos) {
          sha->Fail("give the package id: 64 lower-case hex digits (`strata train` prints it)");
        }
      }
      if (auto globs = m.Find("assets")) a.asset_globs = globs->AsStringList();
      for (const ModelAssignment& other : c.models) {
        if (other.package_dir == a.package_dir) {
          m.Get("package").Fail(fmt::format("package '{}' is assigned twice", a.package_dir));
        }
      }
      c.models.push_back(std::move(a));
    }
  }
  if (auto alerts = root.Find("alerts")) {
    c.alert_connector = alerts->String("connector", "");
    c.alert_topic = alerts->String("topic", c.alert_topic);
    if (c.alert_topic.empty() || c.alert_topic.find_first_of("+#") != std::string::npos) {
      alerts->Get("topic").Fail("give a topic prefix without wildcards, e.g. strata/alerts");
    }
    if (!c.alert_connector.empty()) {
      bool found = false;
      for (const auto& mqtt : c.mqtt) found = found || mqtt.name == c.alert_connector;
      if (!found) {
        alerts->Get("connector")
            .Fail(fmt::format(
                "'{}' is not an MQTT connector of this edge; alert events are published through "
                "one (its broker is the local broker)",
                c.alert_connector));
      }
    }
  }
  if (auto uplink = root.Find("uplink")) {
    UplinkOptions u;
    u.broker = MqttBrokerConfig::Read(*uplink, fmt::format("strata-{}-uplink", c.edge_id));
    u.tenant = c.tenant;
    u.edge_id = c.edge_id;
    u.batch_records =
        static_cast<size_t>(uplink->Int("batch", static_cast<int64_t>(u.batch_records)));
    if (u.batch_records < 1 || u.batch_records > kMaxBatchRecords) {
      uplink->Get("batch").Fail(
          fmt::format("batch is records per uplink batch: 1..{}", kMaxBatchRecords));
    }
    u.max_inflight =
        static_cast<size_t>(uplink->Int("max_inflight", static_cast<int64_t>(u.max_inflight)));
    if (u.max_inflight < 1 || u.max_inflight > 1000) {
      uplink->Get("max_inflight")
          .Fail("max_inflight is unacknowledged batches per stream: 1..1000");
    }
    u.rate = uplink->Double("rate", u.rate);
    if (u.rate < 0)
      uplink->Get("rate").Fail("rate is records/s (0 = no cap); it cannot be negative");
    u.ack_timeout_ns = uplink->Duration("ack_timeout", u.ack_timeout_ns);
    u.max_ack_timeout_ns = uplink->Duration("max_ack_timeout", u.max_ack_timeout_ns);
    if (u.ack_timeout_ns < kNsPerMs * 100 || u.max_ack_timeout_ns < u.ack_timeout_ns) {
      uplink->Fail("uplink needs 100ms <= ack_timeout <= max_ack_timeout");
    }
    u.heartbeat_ns = uplink->Duration("heartbeat", u.heartbeat_ns);
    if (u.heartbeat_ns < kNsPerMs * 100)
      uplink->Get("heartbeat").Fail("heartbeat must be >= 100ms");
    if (auto enrol = uplink->Find("enrol")) {
      if (!u.broker.username.empty()) {
        enrol->Fail(
            "uplink has both a username and enrol: give either the login the hub gave this edge "
            "(username, password_env) or enrol (the edge gets its login itself)");
      }
      EnrolOptions e;
      e.hub_url = enrol->String("hub");
      if (e.hub_url.rfind("http://", 0) != 0 && e.hub_url.rfind("https://", 0) != 0) {
        enrol->Get("hub").Fail(
            "hub is the hub's API URL, like http://hub.example:8080 or https://hub.example:8443");
      }
      if (auto env = enrol->Find("token_env")) {
        // Unset is fine once the edge has enrolled: the token is only needed the first time.
        e.token_source = "$" + env->AsString();
        const char* value = std::getenv(env->AsString().c_str());
        e.token = value == nullptr ? "" : value;
      } else {
        e.token = enrol->String("token", "");
        e.token_source = "uplink.enrol.token";
      }
      if (enrol->Has("ca_file")) e.ca_file = enrol->Path("ca_file");
      e.credentials_file = enrol->Has("credentials")
                               ? enrol->Path("credentials")
                               : (std::filesystem::path(c.store_path).parent_path() /
                                  (c.edge_id + ".uplink-login.json"))
                                     .string();
      u.enrol = std::move(e);
    }
    c.uplink = std::move(u);
  }
  if (auto metrics = root.Find("metrics")) {
    c.metrics_listen = metrics->String("listen", c.metrics_listen);
    if (c.metrics_listen == "off") c.metrics_listen.clear();
  }
  return c;
}

}  // namespace

StatusOr<EdgeConfig> EdgeConfig::Load(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto doc, ConfigDocument::LoadFile(path));
  return doc->Read<EdgeConfig>(ReadEdgeConfig);
}

StatusOr<EdgeConfig> EdgeConfig::Parse(const std::string& text, const std::string& name,
                                       const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(auto doc, ConfigDocument::Parse(text, name, dir));
  return doc->Read<EdgeConfig>(ReadEdgeConfig);
}

}  // namespace strata
