#include "edge/edge_agent.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "connectors/modbus/modbus_connector.h"
#include "connectors/modbus/modbus_message_handler.h"
#include "connectors/mqtt/mqtt_connector.h"
#include "connectors/mqtt/mqtt_message_handler.h"
#include "connectors/opcua/opcua_connector.h"
#include "connectors/opcua/opcua_message_handler.h"
#include "core/time_util.h"

namespace strata {

EdgeAgent::EdgeAgent(EdgeConfig config, const Clock& clock, StoreFactory store_factory)
    : config_(std::move(config)),
      clock_(clock),
      store_factory_(std::move(store_factory)),
      sources_(std::make_shared<SourceCatalog>()) {}

EdgeAgent::~EdgeAgent() { Stop(); }

Status EdgeAgent::Start() {
  const auto dir = std::filesystem::path(config_.store_path).parent_path();
  if (!dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
      return UnavailableError(
          fmt::format("cannot create the store directory '{}': {}", dir.string(), ec.message()));
    }
  }
  SqliteStoreOptions store_options;
  store_options.path = config_.store_path;
  store_options.durability = config_.durability;
  store_options.model = config_.model;
  store_options.sources = sources_;
  STRATA_ASSIGN_OR_RETURN(auto store, store_factory_(store_options));

  pipeline_ = std::make_unique<IngestPipeline>(config_.pipeline, config_.model, std::move(store),
                                               clock_, metrics_);
  metrics_
      .GetGauge("strata_edge_info", "Edge identity",
                {{"edge", config_.edge_id}, {"tenant", config_.tenant}})
      .Set(1);
  metrics_.AddCallbackGauge("strata_edge_signals_declared", "Signals in the asset model", {},
                            [n = config_.model->signal_count()] { return double(n); });

  for (const auto& mqtt : config_.mqtt) {
    auto handler = std::make_unique<MqttMessageHandler>(mqtt, sources_, &metrics_);
    MqttMessageHandler* h = handler.get();
    const uint32_t index = pipeline_->AddHandler(std::move(handler));
    auto connector =
        std::make_unique<MqttConnector>(mqtt, index, pipeline_->input(), clock_, metrics_);
    // Sparkplug rebirth requests go out through the connector that received the data.
    h->SetPublisher([c = connector.get()](std::string topic, std::string payload) {
      c->Publish(std::move(topic), std::move(payload));
    });
    connectors_.push_back(std::move(connector));
  }
  for (const auto& modbus : config_.modbus) {
    const uint32_t index =
        pipeline_->AddHandler(std::make_unique<ModbusMessageHandler>(modbus, sources_));
    connectors_.push_back(
        std::make_unique<ModbusConnector>(modbus, index, pipeline_->input(), clock_, metrics_));
  }
  for (const auto& opcua : config_.opcua) {
    const uint32_t index =
        pipeline_->AddHandler(std::make_unique<OpcuaMessageHandler>(opcua, sources_));
    connectors_.push_back(
        std::make_unique<OpcuaConnector>(opcua, index, pipeline_->input(), clock_, metrics_));
  }
  MqttConnector* alert_connector = nullptr;
  for (size_t i = 0; i < config_.mqtt.size(); ++i) {
    if (config_.mqtt[i].name == config_.alert_connector) {
      alert_connector = static_cast<MqttConnector*>(connectors_[i].get());
    }
  }
  if (!config_.models.empty()) {
    DecisionEngineOptions options;
    options.alert_topic = config_.alert_topic;
    decisions_ = std::make_unique<DecisionEngine>(config_.model, clock_, metrics_, options);
    for (const ModelAssignment& a : config_.models) {
      decisions_->Deploy(a).IgnoreError();  // logged and counted; the edge runs without it
    }
  }
  if (config_.uplink) {
    // The last desired state the hub published, kept next to the store.
    desired_ =
        std::make_unique<DesiredKeeper>((std::filesystem::path(config_.store_path).parent_path() /
                                         (config_.edge_id + ".desired.json"))
                                            .string(),
                                        config_.edge_id, config_.config_version, clock_, metrics_);
    desired_->Load();
    uplink_ = std::make_unique<Uplink>(
        *config_.uplink,
        [p = pipeline_.get()](std::string_view stream, uint64_t through) {
          p->AckOutbox(stream, through);
        },
        clock_, metrics_,
        [this] {
          const StoreStats st = pipeline_->store_stats();
          return fmt::format(
              R"("store":{{"used_bytes":{},"file_bytes":{},"observations":{},)"
              R"("outbox_records":{}}},"stale_signals":{},"connectors_up":{},"connectors":{})",
              st.used_bytes, st.file_bytes, st.observations, st.outbox_records,
              pipeline_->stale_signals(),
              std::count_if(connectors_.begin(), connectors_.end(),
                            [](const auto& c) { return c->connected(); }),
              connectors_.size());
        },
        [keeper = desired_.get()](std::string_view payload) { return keeper->OnMessage(payload); });
  }
  if (commit_observer_ || decisions_ || uplink_) {
    pipeline_->SetCommitObserver([observer = commit_observer_, engine = decisions_.get(),
                                  uplink = uplink_.get()](const WriteBatch& b, int64_t commit_ns) {
      if (engine) engine->Offer(b);
      if (uplink) uplink->Wake();
      if (observer) observer(b, commit_ns);
    });
  }
  pipeline_->Start();
  if (uplink_) {
    // The uplink reads through a store of its own, read-only: the writer is the pipeline's.
    SqliteStoreOptions reader_options;
    reader_options.path = config_.store_path;
    reader_options.read_only = true;
    StatusOr<std::unique_ptr<Store>> reader = OpenSqliteStore(reader_options);
    Status s = reader.ok() ? uplink_->Start(std::move(*reader)) : reader.status();
    if (!s.ok()) {
      started_ = true;
      Stop();
      return s.WithContext("uplink");
    }
  }
  if (decisions_) {
    decisions_->Start(
        [p = pipeline_.get()](WriteBatch& b) { return p->TrySubmit(b); },
        alert_connector == nullptr
            ? DecisionEngine::Publish()
            : [alert_connector](
                  std::string topic,
                  std::string
                      payload) { alert_connector->Publish(std::move(topic), std::move(payload), 1); });
  }
  started_ = true;

  if (!config_.metrics_listen.empty()) {
    metrics_server_ = std::make_unique<MetricsServer>(metrics_, [this]() -> std::string {
      for (const auto& c : connectors_) {
        if (!c->connected()) return fmt::format("connector '{}' is not connected", c->name());
      }
      return "";
    });
    Status s = metrics_server_->Start(config_.metrics_listen);
    if (!s.ok()) {
      Stop();
      return s;
    }
  }
  for (auto& c : connectors_) {
    Status s = c->Start();
    if (!s.ok()) {
      Stop();
      return s.WithContext(fmt::format("connector '{}'", c->name()));
    }
  }
  last_summary_ns_ = clock_.NowNs();
  spdlog::info("edge '{}' started (config version '{}'): {} assets, {} signals, store {}{}",
               config_.edge_id, config_.config_version, config_.model->assets().size(),
               config_.model->signal_count(), config_.store_path,
               metrics_server_ ? fmt::format(", metrics on http://{}/metrics",
                                             config_.metrics_listen.substr(
                                                 0, config_.metrics_listen.rfind(':')) +
                                                 ":" + std::to_string(metrics_server_->port()))
                               : "");
  return Status::Ok();
}

void EdgeAgent::Stop() {
  if (!started_) return;
  started_ = false;
  for (auto& c : connectors_) c->Stop();
  if (decisions_) decisions_->Stop();
  if (uplink_) uplink_->Stop();  // before the pipeline: acks still reach the writer
  if (pipeline_) pipeline_->Stop();
  if (metrics_server_) metrics_server_->Stop();
  spdlog::info("edge '{}' stopped; {} observations stored in total this run", config_.edge_id,
               static_cast<uint64_t>(metrics_.Value("strata_edge_observations_stored_total")));
}

std::string EdgeAgent::Summary() {
  const int64_t now = clock_.NowNs();
  const double stored = metrics_.Value("strata_edge_observations_stored_total");
  const double rejected = metrics_.Sum("strata_edge_rejected_total");
  const double seconds = std::max(1e-9, double(now - last_summary_ns_) / 1e9);
  std::string line = fmt::format(
      "{:.0f} obs/s stored, {:.0f} rejected/s; totals {} stored, {} rejected, {} duplicates; "
      "{} stale signals; store {}",
      (stored - last_stored_) / seconds, (rejected - last_rejected_) / seconds,
      static_cast<uint64_t>(stored), static_cast<uint64_t>(rejected),
      static_cast<uint64_t>(metrics_.Value("strata_edge_duplicates_total")),
      pipeline_ ? pipeline_->stale_signals() : 0,
      FormatByteSize(pipeline_ ? pipeline_->store_stats().used_bytes : 0));
  last_stored_ = stored;
  last_rejected_ = rejected;
  last_summary_ns_ = now;
  return line;
}

}  // namespace strata
