#include "connectors/mqtt/mqtt_publisher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace strata {

StatusOr<std::unique_ptr<MqttPublisher>> MqttPublisher::Connect(const Options& options,
                                                                int64_t timeout_ns) {
  std::unique_ptr<MqttPublisher> p(new MqttPublisher());
  p->options_ = options;
  STRATA_ASSIGN_OR_RETURN(p->client_,
                          NewMosquittoClient(options.client_id, options.clean_session, p.get()));
  mosquitto* m = p->client_.get();
  mosquitto_int_option(m, MOSQ_OPT_PROTOCOL_VERSION,
                       options.protocol_version == 5 ? MQTT_PROTOCOL_V5 : MQTT_PROTOCOL_V311);
  mosquitto_connect_callback_set(m, &MqttPublisher::OnConnect);
  mosquitto_disconnect_callback_set(m, &MqttPublisher::OnDisconnect);
  mosquitto_publish_callback_set(m, &MqttPublisher::OnPublish);
  if (options.on_message) mosquitto_message_callback_set(m, &MqttPublisher::OnMessage);
  mosquitto_max_inflight_messages_set(m, static_cast<unsigned>(options.max_inflight));
  // Our own thread runs the loop (Run): Publish from other threads only queues and wakes it.
  mosquitto_threaded_set(m, true);
  STRATA_RETURN_IF_ERROR(
      ConfigureMosquittoClient(m, options.username, options.password, options.tls));

  if (!options.wait_for_broker) {
    // A refused first attempt is fine: the network thread retries with the reconnect delay.
    if (int rc =
            mosquitto_connect_async(m, options.host.c_str(), options.port, options.keepalive_s);
        rc != MOSQ_ERR_SUCCESS) {
      p->attempt_problem_ = MosquittoError(rc);
    }
    p->loop_ = std::thread([self = p.get()] { self->Run(); });
    return p;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(timeout_ns);
  int rc = MOSQ_ERR_SUCCESS;
  auto delay = std::chrono::milliseconds(50);
  while (true) {
    rc = mosquitto_connect(m, options.host.c_str(), options.port, options.keepalive_s);
    if (rc == MOSQ_ERR_SUCCESS) break;
    if (std::chrono::steady_clock::now() + delay >= deadline) {
      return UnavailableError(
          fmt::format("cannot connect to MQTT broker {}: {}", p->Endpoint(), MosquittoError(rc)));
    }
    // Retry pacing while the broker comes up; bounded by the caller's timeout.
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(1000));
  }
  p->loop_ = std::thread([self = p.get()] { self->Run(); });
  std::unique_lock lock(p->mu_);
  if (!p->cv_.wait_until(lock, deadline, [&] { return p->connack_rc_ >= 0; })) {
    return UnavailableError(
        fmt::format("MQTT broker {} did not answer CONNECT in time", p->Endpoint()));
  }
  if (p->connack_rc_ != 0) {
    return UnavailableError(fmt::format("MQTT broker {} refused the connection: {}", p->Endpoint(),
                                        p->ConnackText(p->connack_rc_)));
  }
  lock.unlock();
  return p;
}

MqttPublisher::~MqttPublisher() {
  if (!loop_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  mosquitto* m = client_.get();
  mosquitto_disconnect(m);  // queues DISCONNECT and wakes the loop, which then sees stop_
  loop_.join();
  // Let the DISCONNECT packet go out, so the broker does not count an unclean close.
  for (int i = 0; i < 10 && mosquitto_loop(m, 10, 1) == MOSQ_ERR_SUCCESS; ++i) {
  }
}

std::string MqttPublisher::Endpoint() const {
  return fmt::format("{}:{}", options_.host, options_.port);
}

bool MqttPublisher::WaitOrStop(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !cv_.wait_for(lock, delay, [&] { return stop_; });
}

void MqttPublisher::Run() {
  constexpr auto kMinDelay = std::chrono::milliseconds(1000);
  constexpr auto kMaxDelay = std::chrono::milliseconds(5000);
  mosquitto* m = client_.get();
  auto delay = kMinDelay;
  uint64_t connects_seen = 0;
  std::string last_problem;
  while (true) {
    // The timeout bounds how late a stop is seen; a Publish wakes the loop at once.
    const int rc = mosquitto_loop(m, 100, 1);
    {
      std::lock_guard lock(mu_);
      if (stop_) return;
    }
    if (rc == MOSQ_ERR_SUCCESS) continue;
    // Lost, refused, disconnected by the broker, or not connected yet: reconnect after a delay
    // (libmosquitto closes the old socket and resends unacknowledged QoS 1 messages).
    std::string problem;
    {
      std::lock_guard lock(mu_);
      if (disconnect_reason_ != 0) {
        problem = fmt::format("the broker disconnected it: {}",
                              mosquitto_reason_string(disconnect_reason_));
        disconnect_reason_ = 0;
      } else if (refused_rc_ > 0) {
        problem = fmt::format(
            "the broker refused the connection: {}; check the username, password and client id",
            ConnackText(refused_rc_));
      } else if (!attempt_problem_.empty()) {
        problem = attempt_problem_;  // why the last attempt failed; the loop only says "no conn"
      } else {
        problem = MosquittoError(rc);
      }
      refused_rc_ = 0;  // each attempt has its own answer
    }
    if (const uint64_t c = connects_.load(); c != connects_seen) {
      connects_seen = c;  // it was connected since the last attempt: start the backoff afresh
      delay = kMinDelay;
      last_problem.clear();
    }
    if (problem != last_problem) {
      spdlog::warn("MQTT client '{}' is not connected to {}: {}; reconnecting every {} s at most",
                   options_.client_id.empty() ? "(anonymous)" : options_.client_id, Endpoint(),
                   problem, kMaxDelay.count() / 1000);
      last_problem = problem;
    }
    if (!WaitOrStop(delay)) return;
    delay = std::min(delay * 2, kMaxDelay);
    // Asynchronous: a broker host that drops packets holds up the loop (and a Stop) no longer
    // than one loop turn. A failed attempt shows as an error from the next loop.
    const int attempt = mosquitto_reconnect_async(m);
    attempt_problem_ = attempt == MOSQ_ERR_SUCCESS ? "" : MosquittoError(attempt);
  }
}

std::string MqttPublisher::ConnackText(int rc) const {
  // MQTT 5 answers with a reason code (0x87 "Not authorized"), 3.1.1 with a CONNACK code.
  return options_.protocol_version == 5 ? mosquitto_reason_string(rc)
                                        : mosquitto_connack_string(rc);
}

void MqttPublisher::OnConnect(mosquitto* m, void* self_ptr, int rc) {
  auto* self = static_cast<MqttPublisher*>(self_ptr);
  if (rc == 0) {
    for (const std::string& filter : self->options_.subscriptions) {
      // A failed SUBSCRIBE shows as missing messages; the next reconnect tries again.
      static_cast<void>(mosquitto_subscribe(m, nullptr, filter.c_str(), 1));
    }
    if (self->connects_.fetch_add(1) > 0) {
      spdlog::info("MQTT client '{}' reconnected to {}", self->options_.client_id,
                   self->Endpoint());
    }
  }
  {
    std::lock_guard lock(self->mu_);
    self->connack_rc_ = rc;
    self->refused_rc_ = rc;
    self->connected_ = rc == 0;
  }
  self->cv_.notify_all();
}

void MqttPublisher::OnDisconnect(mosquitto*, void* self_ptr, int rc) {
  auto* self = static_cast<MqttPublisher*>(self_ptr);
  {
    std::lock_guard lock(self->mu_);
    self->connected_ = false;
    // MQTT 5: a DISCONNECT from the broker carries a reason code (0x80 and above are errors);
    // libmosquitto's own error codes for a lost socket are small numbers.
    if (self->options_.protocol_version == 5 && rc >= 0x80) self->disconnect_reason_ = rc;
  }
  self->cv_.notify_all();
}

void MqttPublisher::OnPublish(mosquitto*, void* self_ptr, int) {
  auto* self = static_cast<MqttPublisher*>(self_ptr);
  {
    std::lock_guard lock(self->mu_);
    self->acked_.fetch_add(1);
  }
  self->cv_.notify_all();
}

void MqttPublisher::OnMessage(mosquitto*, void* self_ptr, const mosquitto_message* message) {
  auto* self = static_cast<MqttPublisher*>(self_ptr);
  self->options_.on_message(
      message->topic, std::string_view(static_cast<const char*>(message->payload),
                                       static_cast<size_t>(std::max(message->payloadlen, 0))));
}

Status MqttPublisher::Publish(std::string_view topic, std::string_view payload, int qos,
                              bool retain, int64_t timeout_ns) {
  {
    std::unique_lock lock(mu_);
    const bool room = cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns), [&] {
      return published_.load() - acked_.load() < options_.max_inflight;
    });
    if (!room) {
      return UnavailableError(
          fmt::format("MQTT broker {} has not acknowledged {} messages; is it still up?",
                      Endpoint(), published_.load() - acked_.load()));
    }
    published_.fetch_add(1);
  }
  const std::string topic_z(topic);
  const int rc = mosquitto_publish(client_.get(), nullptr, topic_z.c_str(),
                                   static_cast<int>(payload.size()), payload.data(), qos, retain);
  // While disconnected libmosquitto queues the message and sends it after reconnecting.
  if (rc != MOSQ_ERR_SUCCESS && rc != MOSQ_ERR_NO_CONN) {
    std::lock_guard lock(mu_);
    published_.fetch_sub(1);
    return UnavailableError(fmt::format("publish to '{}' failed: {}", topic, MosquittoError(rc)));
  }
  return Status::Ok();
}

bool MqttPublisher::WaitConnected(int64_t timeout_ns) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns),
                      [&] { return connected_.load(); });
}

bool MqttPublisher::WaitAllAcked(int64_t timeout_ns) {
  std::unique_lock lock(mu_);
  return cv_.wait_for(lock, std::chrono::nanoseconds(timeout_ns),
                      [&] { return acked_.load() >= published_.load(); });
}

MqttPublisher::Options PublisherOptionsFor(const MqttBrokerConfig& broker) {
  MqttPublisher::Options o;
  o.host = broker.host;
  o.port = broker.port;
  o.client_id = broker.client_id;
  o.keepalive_s = static_cast<int>(broker.keepalive_ns / 1'000'000'000LL);
  o.username = broker.username;
  o.password = broker.password;
  o.tls = broker.tls;
  return o;
}

}  // namespace strata
