#include "connectors/mqtt/mqtt_connector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "core/time_util.h"

namespace strata {

MqttConnector::MqttConnector(MqttConnectorConfig config, uint32_t index,
                             BoundedQueue<RawMessage>* sink, const Clock& clock,
                             MetricsRegistry& metrics)
    : config_(std::move(config)),
      index_(index),
      sink_(sink),
      clock_(clock),
      up_(metrics.GetGauge(
          "strata_edge_connector_up",
          "1 while the connector is connected and its subscriptions are acknowledged",
          {{"connector", config_.name}})),
      connects_(metrics.GetCounter("strata_edge_connector_connects_total",
                                   "Successful connections to the peer",
                                   {{"connector", config_.name}})),
      connect_failures_(metrics.GetCounter("strata_edge_connector_connect_failures_total",
                                           "Failed or lost connections to the peer",
                                           {{"connector", config_.name}})),
      messages_(metrics.GetCounter("strata_edge_messages_received_total",
                                   "Messages received by the connector",
                                   {{"connector", config_.name}})),
      bytes_(metrics.GetCounter("strata_edge_bytes_received_total",
                                "Payload bytes received by the connector",
                                {{"connector", config_.name}})),
      oversize_(metrics.GetCounter("strata_edge_messages_oversize_total",
                                   "Messages over max_payload (dead-lettered)",
                                   {{"connector", config_.name}})),
      published_(metrics.GetCounter("strata_edge_messages_published_total",
                                    "Messages the connector sent to the broker (e.g. Sparkplug "
                                    "rebirth requests)",
                                    {{"connector", config_.name}})),
      publish_dropped_(metrics.GetCounter(
          "strata_edge_messages_publish_dropped_total",
          "Messages the connector could not send (disconnected or too many waiting)",
          {{"connector", config_.name}})) {}

MqttConnector::~MqttConnector() { Stop(); }

Status MqttConnector::Start() {
  STRATA_ASSIGN_OR_RETURN(client_,
                          NewMosquittoClient(config_.client_id, config_.clean_session, this));
  mosquitto* m = client_.get();
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(m, &MqttConnector::OnConnect);
  mosquitto_disconnect_callback_set(m, &MqttConnector::OnDisconnect);
  mosquitto_message_callback_set(m, &MqttConnector::OnMessage);
  mosquitto_subscribe_callback_set(m, &MqttConnector::OnSubscribe);
  STRATA_RETURN_IF_ERROR(
      ConfigureMosquittoClient(m, config_.username, config_.password, config_.tls)
          .WithContext(Tag()));
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  backoff_ns_ = config_.reconnect_min_ns;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void MqttConnector::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    paused_ = false;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void MqttConnector::Pause() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void MqttConnector::Resume() {
  {
    std::lock_guard lock(mu_);
    paused_ = false;
  }
  cv_.notify_all();
}

void MqttConnector::Publish(std::string topic, std::string payload, int qos) {
  std::lock_guard lock(mu_);
  if (outgoing_.size() >= kMaxOutgoing || !subscribed_.load()) {
    publish_dropped_.Add();
    return;
  }
  outgoing_.push_back(Outgoing{std::move(topic), std::move(payload), qos});
}

void MqttConnector::SendOutgoing(mosquitto* m) {
  std::vector<Outgoing> batch;
  {
    std::lock_guard lock(mu_);
    if (outgoing_.empty()) return;
    batch.swap(outgoing_);
  }
  for (const auto& [topic, payload, qos] : batch) {
    const int rc = mosquitto_publish(m, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                     payload.data(), qos, false);
    if (rc == MOSQ_ERR_SUCCESS) {
      published_.Add();
    } else {
      publish_dropped_.Add();
      spdlog::warn("{} cannot publish to '{}': {}", Tag(), topic, MosquittoError(rc));
    }
  }
}

bool MqttConnector::WaitOrStop(int64_t ns) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::nanoseconds(ns), [&] { return stop_; });
  return !stop_;
}

void MqttConnector::Run() {
  mosquitto* m = client_.get();
  const int keepalive_s = static_cast<int>(config_.keepalive_ns / 1'000'000'000LL);
  int attempt = 0;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) break;
    }
    ++attempt;
    int rc = mosquitto_connect(m, config_.host.c_str(), config_.port, keepalive_s);
    if (rc != MOSQ_ERR_SUCCESS) {
      connect_failures_.Add();
      spdlog::warn(
          "{} cannot connect to {} (attempt {}): {}; is the broker running? retrying in "
          "{}",
          Tag(), config_.Endpoint(), attempt, MosquittoError(rc), FormatDuration(backoff_ns_));
      if (!WaitOrStop(backoff_ns_)) break;
      backoff_ns_ = std::min(backoff_ns_ * 2, config_.reconnect_max_ns);
      continue;
    }
    // Connected at TCP level; CONNACK and subscriptions happen in OnConnect.
    while (true) {
      {
        std::lock_guard lock(mu_);
        if (stop_) break;
      }
      rc = mosquitto_loop(m, 100, 1);
      if (rc != MOSQ_ERR_SUCCESS) break;
      SendOutgoing(m);
    }
    bool stopping;
    {
      std::lock_guard lock(mu_);
      stopping = stop_;
    }
    if (stopping) {
      mosquitto_disconnect(m);
      // Let the DISCONNECT packet go out.
      for (int i = 0; i < 10 && mosquitto_loop(m, 10, 1) == MOSQ_ERR_SUCCESS; ++i) {
      }
      break;
    }
    connected_ = false;
    if (subscribed_.exchange(false)) up_.Set(0);
    connect_failures_.Add();
    spdlog::warn("{} lost the connection to {}: {}; reconnecting in {}", Tag(), config_.Endpoint(),
                 MosquittoError(rc), FormatDuration(backoff_ns_));
    if (!WaitOrStop(backoff_ns_)) break;
    backoff_ns_ = std::min(backoff_ns_ * 2, config_.reconnect_max_ns);
    attempt = 0;
  }
  connected_ = false;
  if (subscribed_.exchange(false)) up_.Set(0);
}

void MqttConnector::OnConnect(mosquitto* m, void* self_ptr, int rc) {
  auto* self = static_cast<MqttConnector*>(self_ptr);
  if (rc != 0) {
    spdlog::error(
        "{} broker {} refused the connection: {}; check username, password and "
        "client_id",
        self->Tag(), self->config_.Endpoint(), mosquitto_connack_string(rc));
    self->connect_failures_.Add();
    mosquitto_disconnect(m);
    return;
  }
  self->connected_ = true;
  self->connects_.Add();
  self->backoff_ns_ = self->config_.reconnect_min_ns;
  self->pending_subacks_ = 0;
  for (const auto& filter : self->config_.subscriptions) {
    int src = mosquitto_subscribe(m, nullptr, filter.c_str(), self->config_.qos);
    if (src != MOSQ_ERR_SUCCESS) {
      spdlog::error("{} cannot subscribe to '{}': {}", self->Tag(), filter, MosquittoError(src));
    } else {
      ++self->pending_subacks_;
    }
  }
  spdlog::info("{} connected to {}; subscribing to {} (QoS {})", self->Tag(),
               self->config_.Endpoint(), fmt::join(self->config_.subscriptions, ", "),
               self->config_.qos);
}

void MqttConnector::OnSubscribe(mosquitto*, void* self_ptr, int, int qos_count,
                                const int* granted) {
  auto* self = static_cast<MqttConnector*>(self_ptr);
  for (int i = 0; i < qos_count; ++i) {
    if (granted[i] > 2) {  // 0x80: the broker refused the subscription (e.g. an ACL)
      spdlog::error("{} the broker refused a subscription; check its ACL for this client",
                    self->Tag());
      return;
    }
  }
  if (--self->pending_subacks_ == 0 && !self->subscribed_.exchange(true)) {
    self->up_.Set(1);
    spdlog::info("{} subscriptions acknowledged; receiving", self->Tag());
  }
}

void MqttConnector::OnDisconnect(mosquitto*, void* self_ptr, int rc) {
  auto* self = static_cast<MqttConnector*>(self_ptr);
  self->connected_ = false;
  if (self->subscribed_.exchange(false)) self->up_.Set(0);
  if (rc != 0) spdlog::debug("{} disconnected: {}", self->Tag(), MosquittoError(rc));
}

void MqttConnector::OnMessage(mosquitto* m, void* self_ptr, const mosquitto_message* msg) {
  auto* self = static_cast<MqttConnector*>(self_ptr);
  {
    std::unique_lock lock(self->mu_);
    self->cv_.wait(lock, [&] { return !self->paused_ || self->stop_; });
  }
  RawMessage raw;
  raw.connector = self->index_;
  raw.receive_ts_ns = self->clock_.NowNs();
  raw.topic = msg->topic;
  const auto size = static_cast<size_t>(std::max(msg->payloadlen, 0));
  self->messages_.Add();
  self->bytes_.Add(size);
  if (static_cast<int64_t>(size) > self->config_.max_payload) {
    self->oversize_.Add();
    raw.oversize = true;
    raw.original_size = size;
    raw.SetPayload(msg->payload, std::min(size, kMaxDeadLetterPayload));
  } else {
    raw.SetPayload(msg->payload, size);
  }
  // Blocks while the pipeline is full: this is the backpressure (see header).
  if (!self->sink_->Push(std::move(raw))) {
    // Only reachable if the pipeline is closed before its connectors are stopped (a bug):
    // disconnect before the PUBACK goes out, so the broker keeps the message.
    spdlog::error(
        "{} pipeline closed before the connector stopped; disconnecting so the broker "
        "keeps the message on '{}'",
        self->Tag(), msg->topic);
    mosquitto_disconnect(m);
  }
}

}  // namespace strata
