#include "hub/hub_config.h"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "core/config_node.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

// A marker for "not configured": api.console absent.
constexpr char kDefaultConsole[] = "<default console>";

// The console of the source tree this binary was built from, when it is there; else none.
std::string DefaultConsoleDir() {
  std::error_code ec;
  const std::filesystem::path web = STRATA_SOURCE_WEB_DIR;
  return std::filesystem::exists(web / "index.html", ec) ? web.string() : "";
}

HubConfig ReadHubConfig(ConfigNode& root) {
  HubConfig c;
  c.api.static_dir = kDefaultConsole;
  c.file = root.document().file();
  if (auto hub = root.Find("hub")) {
    c.hub_id = hub->String("id", c.hub_id);
    if (Status s = ValidateTopicId(c.hub_id, "hub id"); !s.ok()) hub->Get("id").Fail(s.message());
  }
  c.store.sqlite_path = (std::filesystem::path(root.document().dir()) / "data/hub.db").string();
  if (auto store = root.Find("store")) {
    const std::string engine = store->String("engine", "sqlite");
    if (engine == "sqlite") {
      c.store.engine = HubStoreOptions::Engine::kSqlite;
      c.store.sqlite_path = store->Path("path", c.store.sqlite_path);
    } else if (engine == "postgres") {
      c.store.engine = HubStoreOptions::Engine::kPostgres;
      if (auto env = store->Find("url_env")) {
        const std::string var = env->AsString();
        const char* value = std::getenv(var.c_str());
        if (value == nullptr) env->Fail(fmt::format("environment variable '{}' is not set", var));
        c.store.postgres_url = value;
      } else {
        c.store.postgres_url = store->String("url");
      }
      c.store.postgres_connections =
          static_cast<int>(store->Int("connections", c.store.postgres_connections));
      if (c.store.postgres_connections < 1 || c.store.postgres_connections > 64) {
        store->Get("connections").Fail("connections must be 1..64");
      }
      c.store.partition_ns = store->Duration("partition", c.store.partition_ns);
      if (c.store.partition_ns < 3600LL * kNsPerSec) {
        store->Get("partition").Fail("partition must be at least 1h");
      }
    } else {
      store->Get("engine").Fail(
          fmt::format("unknown engine '{}': use sqlite (embedded) or postgres", engine));
    }
  }
  c.ingest.hub_id = c.hub_id;
  if (auto uplink = root.Find("uplink")) {
    c.ingest.broker = MqttBrokerConfig::Read(*uplink, fmt::format("strata-hub-{}", c.hub_id));
    c.ingest.shared_group = uplink->String("shared_group", c.ingest.shared_group);
    if (!c.ingest.shared_group.empty()) {
      if (Status s = ValidateTopicId(c.ingest.shared_group, "shared_group"); !s.ok()) {
        uplink->Get("shared_group").Fail(s.message());
      }
    }
    c.ingest.max_batch_bytes = static_cast<size_t>(
        uplink->ByteSize("max_batch", static_cast<int64_t>(c.ingest.max_batch_bytes)));
    if (c.ingest.max_batch_bytes < 1024 || c.ingest.max_batch_bytes > (256u << 20)) {
      uplink->Get("max_batch").Fail("max_batch must be between 1KiB and 256MiB");
    }
    c.ingest.require_enrolment = uplink->Bool("require_enrolment", c.ingest.require_enrolment);
    const std::string provisioning = uplink->String("provisioning", "none");
    if (provisioning == "dynsec") {
      c.provisioning = HubConfig::Provisioning::kDynsec;
      if (c.ingest.broker.username.empty()) {
        uplink->Get("provisioning")
            .Fail(
                "dynsec needs uplink.username and password_env: the admin login "
                "of mosquitto's dynamic security plugin (scripts/broker-dynsec.sh makes it)");
      }
    } else if (provisioning != "none") {
      uplink->Get("provisioning")
          .Fail(fmt::format(
              "unknown provisioning '{}': use none (edges are given their broker logins by "
              "hand) or dynsec (the hub makes each enrolling edge its own login through "
              "mosquitto's dynamic security plugin)",
              provisioning));
    }
  } else {
    c.ingest.broker.client_id = fmt::format("strata-hub-{}", c.hub_id);
  }
  if (auto api = root.Find("api")) {
    c.api.listen = api->String("listen", c.api.listen);
    if (auto tls = api->Find("tls")) {
      c.api.tls_cert_file = tls->Path("cert_file");
      c.api.tls_key_file = tls->Path("key_file");
      for (const auto& [key, path] :
           {std::pair{"cert_file", c.api.tls_cert_file}, {"key_file", c.api.tls_key_file}}) {
        if (!std::filesystem::exists(path)) {
          tls->Get(key).Fail(fmt::format("file '{}' does not exist", path));
        }
      }
    }
    c.api.threads = static_cast<size_t>(api->Int("threads", static_cast<int64_t>(c.api.threads)));
    if (c.api.threads < 1 || c.api.threads > 256)
      api->Get("threads").Fail("threads must be 1..256");
    if (api->Has("console")) {
      c.api.static_dir = api->String("console").empty() ? "" : api->Path("console");
    }
  }
  if (c.api.static_dir == kDefaultConsole) c.api.static_dir = DefaultConsoleDir();
  if (const char* crash = std::getenv("STRATA_HUB_CRASH_BEFORE_COMMIT")) {
    c.ingest.crash_before_commit = std::strtoull(crash, nullptr, 10);
  }
  return c;
}

}  // namespace

StatusOr<HubConfig> HubConfig::Load(const std::string& path) {
  STRATA_ASSIGN_OR_RETURN(auto doc, ConfigDocument::LoadFile(path));
  return doc->Read<HubConfig>(ReadHubConfig);
}

StatusOr<HubConfig> HubConfig::Parse(const std::string& text, const std::string& name,
                                     const std::string& dir) {
  STRATA_ASSIGN_OR_RETURN(auto doc, ConfigDocument::Parse(text, name, dir));
  return doc->Read<HubConfig>(ReadHubConfig);
}

}  // namespace strata
