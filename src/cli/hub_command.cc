#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "api/api_server.h"
#include "api/auth.h"
#include "cli/commands.h"
#include "cli/signals.h"
#include "hub/broker_provisioner.h"
#include "hub/desired_publisher.h"
#include "hub/hub_config.h"
#include "hub/hub_ingest.h"
#include "hub/store/hub_store.h"
#include "uplink/desired_state.h"
#include "uplink/uplink_topics.h"

namespace strata {
namespace {

struct HubOptions {
  std::string config;
  bool check = false;
  // token create
  std::string role = "viewer";
  std::string name;
  // edge add, edge desired
  std::string edge_id;
  std::string tenant = "default";
  std::string config_version;
};

std::string EngineName(const HubStoreOptions& o) {
  return o.engine == HubStoreOptions::Engine::kSqlite ? fmt::format("sqlite {}", o.sqlite_path)
                                                      : "postgres";
}

// Loads the config and opens the store, printing what went wrong; nullptr on failure with
// `*code` set.
std::unique_ptr<HubStore> OpenFromConfig(const std::string& verb, const std::string& path,
                                         HubConfig* config, int* code) {
  StatusOr<HubConfig> loaded = HubConfig::Load(path);
  if (!loaded.ok()) {
    fmt::print(stderr, "strata {}: {}\n", verb, loaded.status().message());
    *code = kExitUsage;
    return nullptr;
  }
  *config = std::move(*loaded);
  StatusOr<std::unique_ptr<HubStore>> store = OpenHubStore(config->store);
  if (!store.ok()) {
    fmt::print(stderr, "strata {}: store: {}\n", verb, store.status().message());
    *code = kExitFailure;
    return nullptr;
  }
  return std::move(*store);
}

int RunHub(const HubOptions& o) {
  HubConfig config;
  int code = kExitOk;
  std::unique_ptr<HubStore> store = OpenFromConfig("hub", o.config, &config, &code);
  if (!store) return code;
  if (o.check) {
    fmt::print(
        "{}: OK — hub '{}', store {}, uplink broker {} (shared group '{}'), API on {}, "
        "enrolment {}\n",
        o.config, config.hub_id, EngineName(config.store), config.ingest.broker.Endpoint(),
        config.ingest.shared_group, config.api.listen,
        config.provisioning == HubConfig::Provisioning::kDynsec
            ? "on (edge logins through mosquitto dynamic security)"
            : "off (strata hub edge add)");
    return kExitOk;
  }
  MetricsRegistry metrics;
  metrics.GetGauge("strata_hub_info", "Hub identity", {{"hub", config.hub_id}}).Set(1);
  HubIngest ingest(config.ingest, *store, Clock::System(), metrics);
  config.api.health = [&ingest]() -> std::string {
    return ingest.connected() ? "" : "the hub is not connected to the uplink broker";
  };
  std::unique_ptr<DynsecProvisioner> provisioner;
  if (config.provisioning == HubConfig::Provisioning::kDynsec) {
    StatusOr<std::unique_ptr<DynsecProvisioner>> p =
        DynsecProvisioner::Start(config.ingest.broker, config.hub_id);
    if (!p.ok()) {
      spdlog::error("hub cannot start enrolment: {}", p.status().message());
      return kExitFailure;
    }
    provisioner = std::move(*p);
    config.api.provision_edge = [&provisioner](std::string_view tenant,
                                               std::string_view edge_id) {
      return provisioner->ProvisionEdge(tenant, edge_id);
    };
  }
  DesiredPublisher::Options desired_options;
  desired_options.broker = config.ingest.broker;
  desired_options.hub_id = config.hub_id;
  StatusOr<std::unique_ptr<DesiredPublisher>> desired =
      DesiredPublisher::Start(desired_options, *store, metrics);
  if (!desired.ok()) {
    spdlog::error("hub cannot start publishing desired state: {}", desired.status().message());
    return kExitFailure;
  }
  config.api.desired_changed = [p = desired->get()] { p->Notify(); };
  api::ApiServer server(*store, metrics, config.api);
  if (Status s = server.Start(); !s.ok()) {
    spdlog::error("hub cannot start the API: {}", s.message());
    return kExitFailure;
  }
  if (Status s = ingest.Start(); !s.ok()) {
    spdlog::error("hub cannot start the uplink ingest: {}", s.message());
    return kExitFailure;
  }
  spdlog::info("hub '{}' started: API and console on {}/, store {}, uplink from {}", config.hub_id,
               server.base_url(), EngineName(config.store), config.ingest.broker.Endpoint());
  while (true) {
    const int sig = WaitForTermination(500 * kNsPerMs);
    if (sig != 0) {
      spdlog::info("received signal {}, stopping", sig);
      break;
    }
  }
  ingest.Stop();
  server.Stop();
  return kExitOk;
}

int RunTokenCreate(const HubOptions& o) {
  std::optional<Role> role = ParseRole(o.role);
  if (!role) {
    fmt::print(stderr,
               "strata hub token create: --role '{}' is not a role: use viewer, technician, "
               "engineer, admin, or bootstrap (only enrols edges)\n",
               o.role);
    return kExitUsage;
  }
  HubConfig config;
  int code = kExitOk;
  std::unique_ptr<HubStore> store = OpenFromConfig("hub token create", o.config, &config, &code);
  if (!store) return code;
  StatusOr<std::string> token = api::CreateApiToken(*store, *role, o.name, Clock::System().NowNs());
  if (!token.ok()) {
    fmt::print(stderr, "strata hub token create: {}\n", token.status().message());
    return token.status().code() == StatusCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  // The secret is printed once, alone on stdout, so that scripts can capture it.
  fmt::print("{}\n", *token);
  fmt::print(stderr,
             "Created a {} token '{}'. It is shown only now: keep it; it can be revoked, not "
             "recovered.\n",
             o.role, o.name);
  return kExitOk;
}

int RunEdgeAdd(const HubOptions& o) {
  for (const auto& [value, what] : {std::pair{o.edge_id, "--id"}, {o.tenant, "--tenant"}}) {
    if (Status s = ValidateTopicId(value, what); !s.ok()) {
      fmt::print(stderr, "strata hub edge add: {}\n", s.message());
      return kExitUsage;
    }
  }
  HubConfig config;
  int code = kExitOk;
  std::unique_ptr<HubStore> store = OpenFromConfig("hub edge add", o.config, &config, &code);
  if (!store) return code;
  StatusOr<std::optional<EdgeEntry>> before = store->GetEdge(o.edge_id);
  if (!before.ok()) {
    fmt::print(stderr, "strata hub edge add: {}\n", before.status().message());
    return kExitFailure;
  }
  EdgeEntry edge;
  edge.edge_id = o.edge_id;
  edge.tenant = o.tenant;
  edge.enrolled_ns = Clock::System().NowNs();
  if (Status s = store->UpsertEdge(edge); !s.ok()) {
    fmt::print(stderr, "strata hub edge add: {}\n", s.message());
    return kExitFailure;
  }
  fmt::print("edge '{}' of tenant '{}' is enrolled: the hub accepts its uplink on {}\n", o.edge_id,
             o.tenant, UplinkTopic(o.tenant, o.edge_id, "<stream>"));
  if (*before && !(*before)->credential_hash.empty()) {
    fmt::print(
        "it had enrolled with a bootstrap token before: it may now enrol again (with its "
        "bootstrap token) to get a new broker login\n");
  }
  return kExitOk;
}

int RunEdgeDesired(const HubOptions& o) {
  if (Status s = ValidateConfigVersion(o.config_version); !s.ok()) {
    fmt::print(stderr, "strata hub edge desired: --config-version {}\n", s.message());
    return kExitUsage;
  }
  HubConfig config;
  int code = kExitOk;
  std::unique_ptr<HubStore> store =
      OpenFromConfig("hub edge desired", o.config, &config, &code);
  if (!store) return code;
  StatusOr<std::optional<EdgeEntry>> edge = store->GetEdge(o.edge_id);
  if (!edge.ok()) {
    fmt::print(stderr, "strata hub edge desired: {}\n", edge.status().message());
    return kExitFailure;
  }
  if (!edge->has_value()) {
    fmt::print(stderr,
               "strata hub edge desired: edge '{}' is not enrolled (strata hub edge add, or "
               "enrolment with a bootstrap token)\n",
               o.edge_id);
    return kExitUsage;
  }
  DesiredDocument document;
  document.config_version = o.config_version;
  StatusOr<DesiredState> state =
      store->SetDesired(o.edge_id, EncodeDesiredDocument(document), Clock::System().NowNs());
  if (!state.ok()) {
    fmt::print(stderr, "strata hub edge desired: {}\n", state.status().message());
    return kExitFailure;
  }
  fmt::print(
      "edge '{}': desired state version {} stored (config_version '{}'). The running hub "
      "publishes it on {} within seconds; the edge's answer shows in GET /api/v1/edges/{}\n",
      o.edge_id, state->version, o.config_version, DesiredTopic((*edge)->tenant, o.edge_id),
      o.edge_id);
  return kExitOk;
}

}  // namespace

CommandRunner AddHubCommand(CLI::App& root) {
  auto o = std::make_shared<HubOptions>();
  CLI::App* cmd = root.add_subcommand(
      "hub",
      "Run the hub: store what every edge uplinks (no loss, no duplicates), keep the fleet "
      "registry and digital twins, serve the REST API, /metrics and the console.");
  cmd->add_option("-c,--config", o->config, "Hub configuration (YAML), e.g. examples/hub.yaml")
      ->required();
  cmd->add_flag("--check", o->check, "Validate the configuration, open the store and exit");
  cmd->require_subcommand(0, 1);

  CLI::App* token = cmd->add_subcommand("token", "Manage API tokens");
  token->require_subcommand(1);
  token->fallthrough();  // `--config` may come after the verbs too
  CLI::App* create = token->add_subcommand(
      "create", "Create an API token and print it once (stdout); only its hash is stored");
  create->fallthrough();
  create->add_option("--role", o->role,
                     "viewer, technician, engineer, admin; or bootstrap: a token to put on new "
                     "edges, good only to enrol them (docs/uplink.md#enrolment)")
      ->capture_default_str();
  create->add_option("--name", o->name, "What the token is for, e.g. \"console: alice\"")
      ->required();

  CLI::App* edge = cmd->add_subcommand("edge", "Manage the fleet registry");
  edge->require_subcommand(1);
  edge->fallthrough();
  CLI::App* add =
      edge->add_subcommand("add",
                           "Enrol an edge by hand: the hub then accepts its uplink batches. An "
                           "edge that enrolled with a bootstrap token may then enrol again");
  add->fallthrough();
  add->add_option("--id", o->edge_id, "The edge's id (edge.id in its edge.yaml)")->required();
  add->add_option("--tenant", o->tenant, "The edge's tenant (edge.tenant)")->capture_default_str();
  CLI::App* desired = edge->add_subcommand(
      "desired",
      "Set what an edge should run (desired state, docs/uplink.md#desired-state); the running "
      "hub publishes it and the edge reports whether it runs it");
  desired->fallthrough();
  desired->add_option("--id", o->edge_id, "The edge's id")->required();
  desired
      ->add_option("--config-version", o->config_version,
                   "The config revision it should run: its edge.yaml edge.config_version, or "
                   "the sha256:... it reports")
      ->required();

  cmd->footer(fmt::format(
      "Stops cleanly on Ctrl-C or SIGTERM. API: /api/v1 (docs/api.md); /metrics; /healthz.\n{}",
      kExitCodes));
  return [o, create, add, desired] {
    if (create->parsed()) return RunTokenCreate(*o);
    if (add->parsed()) return RunEdgeAdd(*o);
    if (desired->parsed()) return RunEdgeDesired(*o);
    return RunHub(*o);
  };
}

}  // namespace strata
