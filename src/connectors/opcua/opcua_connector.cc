#include "connectors/opcua/opcua_connector.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

#include "connectors/opcua/opcua_message.h"
#include "connectors/opcua/ua_attribute_services.h"
#include "connectors/opcua/ua_status_codes.h"
#include "connectors/opcua/ua_view_services.h"
#include "core/time_util.h"

namespace strata {
namespace {

using opcua::SteadyTime;

// Operations per service request: servers limit them (MaxNodesPerRead, ...), and smaller
// requests keep each response well below max_message_size.
constexpr size_t kBatch = 500;
// Publish requests kept outstanding, so that the server always has one to answer with.
constexpr size_t kPublishesInFlight = 2;
// How long Stop may spend closing the session and the channel.
constexpr int64_t kCloseTimeoutNs = 500'000'000;

int64_t TimestampNs(const opcua::DataValue& v) {
  if (!v.source_timestamp.is_null()) return v.source_timestamp.ToUnixNanos();
  if (!v.server_timestamp.is_null()) return v.server_timestamp.ToUnixNanos();
  return 0;
}

double Ms(int64_t ns) { return static_cast<double>(ns) / 1e6; }

}  // namespace

OpcuaConnector::OpcuaConnector(OpcuaConnectorConfig config, uint32_t index,
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
      publishes_(metrics.GetCounter("strata_edge_opcua_publish_responses_total",
                                    "Publish responses received (keep-alives included)",
                                    {{"connector", config_.name}})),
      keep_alives_(metrics.GetCounter("strata_edge_opcua_keep_alives_total",
                                      "Publish responses without notifications",
                                      {{"connector", config_.name}})),
      data_changes_(metrics.GetCounter("strata_edge_opcua_data_changes_total",
                                       "Monitored item notifications received",
                                       {{"connector", config_.name}})),
      missed_(metrics.GetCounter(
          "strata_edge_opcua_missed_notifications_total",
          "Notification messages skipped by the server's sequence numbers (lost data)",
          {{"connector", config_.name}})),
      item_errors_(metrics.GetCounter("strata_edge_opcua_item_errors_total",
                                      "Items the server could not resolve or monitor (per session)",
                                      {{"connector", config_.name}})),
      renewals_(metrics.GetCounter("strata_edge_opcua_channel_renewals_total",
                                   "Security token renewals of the secure channel",
                                   {{"connector", config_.name}})) {
  resolved_.resize(config_.items.size());
  for (size_t i = 0; i < config_.items.size(); ++i) {
    if (config_.items[i].node_id) resolved_[i] = *config_.items[i].node_id;
  }
  item_ok_.assign(config_.items.size(), false);
}

OpcuaConnector::~OpcuaConnector() { Stop(); }

Status OpcuaConnector::Start() {
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  transport_.ClearInterrupt();
  backoff_ns_ = config_.reconnect_min_ns;
  thread_ = std::thread([this] { Run(); });
  return Status::Ok();
}

void OpcuaConnector::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    paused_ = false;
  }
  cv_.notify_all();
  transport_.Interrupt();
  if (thread_.joinable()) thread_.join();
}

void OpcuaConnector::Pause() {
  std::lock_guard lock(mu_);
  paused_ = true;
}

void OpcuaConnector::Resume() {
  {
    std::lock_guard lock(mu_);
    paused_ = false;
  }
  cv_.notify_all();
}

bool OpcuaConnector::stopping() {
  std::lock_guard lock(mu_);
  return stop_ || closed_sink_;
}

bool OpcuaConnector::paused() {
  std::lock_guard lock(mu_);
  return paused_;
}

bool OpcuaConnector::WaitFor(int64_t ns) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, std::chrono::nanoseconds(ns), [&] { return stop_; });
  return !stop_ && !closed_sink_;
}

SteadyTime OpcuaConnector::Deadline(int64_t ns) const {
  return std::chrono::steady_clock::now() + std::chrono::nanoseconds(ns);
}

void OpcuaConnector::Run() {
  int attempt = 0;
  while (!stopping()) {
    ++attempt;
    Status s = RunSession();
    if (stopping()) break;
    connect_failures_.Add();
    if (up_.value() == 1 || !gap_marked_ || attempt == 1) {
      spdlog::warn("{} {}: {}; retrying in {}", Tag(), config_.endpoint, s.message(),
                   FormatDuration(backoff_ns_));
    } else {
      spdlog::debug("{} {} (attempt {}): {}", Tag(), config_.endpoint, attempt, s.message());
    }
    up_.Set(0);
    MarkGap(s.message());
    if (!WaitFor(backoff_ns_)) break;
    backoff_ns_ = std::min(backoff_ns_ * 2, config_.reconnect_max_ns);
  }
  up_.Set(0);
}

Status OpcuaConnector::RunSession() {
  opcua::ChannelOptions options;
  options.max_message_size = config_.max_message_size;
  options.requested_lifetime_ms =
      static_cast<uint32_t>(std::min<int64_t>(config_.channel_lifetime_ns / 1'000'000, UINT32_MAX));
  opcua::SecureChannel channel(&transport_, opcua::MakeNoneSecurity(), options);
  opcua::UaClient client(&channel);
  STRATA_RETURN_IF_ERROR(channel.Open(config_.host, config_.port, config_.endpoint,
                                      Deadline(config_.connect_timeout_ns)));
  Status s = [&]() -> Status {
    STRATA_RETURN_IF_ERROR(client.OpenSession(config_.endpoint, "strata " + config_.name,
                                              config_.identity, Ms(config_.session_timeout_ns),
                                              Deadline(config_.request_timeout_ns)));
    STRATA_RETURN_IF_ERROR(ResolveBrowsePaths(client));
    STRATA_RETURN_IF_ERROR(ReadInitialValues(client));
    uint32_t subscription_id = 0;
    STRATA_RETURN_IF_ERROR(Subscribe(client, &subscription_id));
    return PublishLoop(client, subscription_id);
  }();
  up_.Set(0);
  if (stopping()) {
    // Leave politely: the server frees the session and its subscription at once.
    transport_.ClearInterrupt();
    client.CloseSession(Deadline(kCloseTimeoutNs));
  }
  channel.Close(Deadline(kCloseTimeoutNs));
  if (stopping()) transport_.Interrupt();
  return s;
}

Status OpcuaConnector::ResolveBrowsePaths(opcua::UaClient& client) {
  std::vector<uint32_t> items;
  for (uint32_t i = 0; i < config_.items.size(); ++i) {
    if (config_.items[i].browse_path) items.push_back(i);
  }
  for (size_t start = 0; start < items.size(); start += kBatch) {
    const size_t end = std::min(items.size(), start + kBatch);
    opcua::TranslateBrowsePathsToNodeIdsRequest request;
    for (size_t k = start; k < end; ++k) {
      opcua::BrowsePath path;
      path.starting_node = opcua::NodeId::Numeric(0, opcua::kObjectsFolderId);
      path.relative_path = *config_.items[items[k]].browse_path;
      request.browse_paths.push_back(std::move(path));
    }
    opcua::TranslateBrowsePathsToNodeIdsResponse response;
    STRATA_RETURN_IF_ERROR(client.Call(request, &response, Deadline(config_.request_timeout_ns)));
    if (response.results.size() != end - start) {
      return InvalidArgumentError(
          fmt::format("TranslateBrowsePathsToNodeIds answered {} paths of {}",
                      response.results.size(), end - start));
    }
    for (size_t k = start; k < end; ++k) {
      const uint32_t i = items[k];
      const opcua::BrowsePathResult& r = response.results[k - start];
      const bool found = opcua::IsGood(r.status_code) && !r.targets.empty() &&
                         r.targets[0].remaining_path_index == UINT32_MAX &&
                         r.targets[0].target_id.server_index == 0 &&
                         r.targets[0].target_id.namespace_uri.empty();
      if (!found) {
        resolved_[i] = opcua::NodeId();
        item_errors_.Add();
        spdlog::warn("{} browse path '{}' ({}) does not lead to a node: {}; its signal is bad",
                     Tag(), config_.items[i].address, config_.items[i].rule.where,
                     opcua::DescribeUaStatus(r.status_code));
        AddBad(i, opcua::IsBad(r.status_code) ? r.status_code : opcua::kBadNotFound);
        continue;
      }
      const opcua::NodeId& node = r.targets[0].target_id.node_id;
      if (node != resolved_[i]) {
        resolved_[i] = node;
        std::string payload;
        AppendOpcuaHeader(OpcuaMessageKind::kResolved, &payload);
        payload.append(reinterpret_cast<const char*>(&i), sizeof(i));
        payload += node.ToString();
        if (!Push(std::move(payload))) return CancelledError("pipeline closed");
      }
    }
  }
  return Flush() ? Status::Ok() : CancelledError("pipeline closed");
}

Status OpcuaConnector::ReadInitialValues(opcua::UaClient& client) {
  std::vector<uint32_t> items;
  for (uint32_t i = 0; i < config_.items.size(); ++i) {
    if (!resolved_[i].is_null()) items.push_back(i);
  }
  for (size_t start = 0; start < items.size(); start += kBatch) {
    const size_t end = std::min(items.size(), start + kBatch);
    opcua::ReadRequest request;
    request.timestamps_to_return = opcua::TimestampsToReturn::kBoth;
    for (size_t k = start; k < end; ++k) {
      opcua::ReadValueId id;
      id.node_id = resolved_[items[k]];
      request.nodes_to_read.push_back(std::move(id));
    }
    opcua::ReadResponse response;
    STRATA_RETURN_IF_ERROR(client.Call(request, &response, Deadline(config_.request_timeout_ns)));
    if (response.results.size() != end - start) {
      return InvalidArgumentError(
          fmt::format("Read answered {} values of {}", response.results.size(), end - start));
    }
    for (size_t k = start; k < end; ++k) AddValue(items[k], response.results[k - start]);
    if (!Flush()) return CancelledError("pipeline closed");
  }
  return Status::Ok();
}

Status OpcuaConnector::Subscribe(opcua::UaClient& client, uint32_t* subscription_id) {
  opcua::CreateSubscriptionRequest create;
  create.requested_publishing_interval = Ms(config_.publishing_interval_ns);
  create.requested_max_keep_alive_count = config_.keep_alive_count;
  create.requested_lifetime_count = config_.keep_alive_count * 3;
  create.publishing_enabled = true;
  opcua::CreateSubscriptionResponse created;
  STRATA_RETURN_IF_ERROR(client.Call(create, &created, Deadline(config_.request_timeout_ns)));
  *subscription_id = created.subscription_id;
  revised_publishing_ns_ =
      static_cast<int64_t>(std::max(1.0, created.revised_publishing_interval) * 1e6);
  revised_keep_alive_ = std::max<uint32_t>(1, created.revised_max_keep_alive_count);

  std::vector<uint32_t> items;
  for (uint32_t i = 0; i < config_.items.size(); ++i) {
    item_ok_[i] = false;
    if (!resolved_[i].is_null()) items.push_back(i);
  }
  const double sampling_ms = Ms(config_.sampling_interval_ns);
  // Enough queue to hold every sample of one publishing interval.
  const auto queue_size = static_cast<uint32_t>(std::clamp(
      std::ceil(Ms(config_.publishing_interval_ns) / std::max(sampling_ms, 1.0)), 1.0, 100.0));
  size_t monitored = 0;
  for (size_t start = 0; start < items.size(); start += kBatch) {
    const size_t end = std::min(items.size(), start + kBatch);
    opcua::CreateMonitoredItemsRequest request;
    request.subscription_id = *subscription_id;
    request.timestamps_to_return = opcua::TimestampsToReturn::kBoth;
    for (size_t k = start; k < end; ++k) {
      opcua::MonitoredItemCreateRequest item;
      item.item_to_monitor.node_id = resolved_[items[k]];
      item.monitoring_mode = opcua::MonitoringMode::kReporting;
      item.requested_parameters.client_handle = items[k];
      item.requested_parameters.sampling_interval = sampling_ms;
      item.requested_parameters.queue_size = queue_size;
      item.requested_parameters.discard_oldest = true;
      request.items_to_create.push_back(std::move(item));
    }
    opcua::CreateMonitoredItemsResponse response;
    STRATA_RETURN_IF_ERROR(client.Call(request, &response, Deadline(config_.request_timeout_ns)));
    if (response.results.size() != end - start) {
      return InvalidArgumentError(fmt::format("CreateMonitoredItems answered {} items of {}",
                                              response.results.size(), end - start));
    }
    for (size_t k = start; k < end; ++k) {
      const uint32_t i = items[k];
      const uint32_t status = response.results[k - start].status_code;
      if (opcua::IsBad(status)) {
        item_errors_.Add();
        spdlog::warn("{} cannot monitor {} ({}): {}; its signal is bad", Tag(),
                     config_.items[i].address, config_.items[i].rule.where,
                     opcua::DescribeUaStatus(status));
        AddBad(i, status);
        continue;
      }
      item_ok_[i] = true;
      ++monitored;
    }
  }
  if (!Flush()) return CancelledError("pipeline closed");
  up_.Set(1);
  connects_.Add();
  gap_marked_ = false;
  backoff_ns_ = config_.reconnect_min_ns;
  spdlog::info("{} connected to {}: subscription {} with {} of {} items, publishing every {}",
               Tag(), config_.endpoint, *subscription_id, monitored, config_.items.size(),
               FormatDuration(revised_publishing_ns_));
  return Status::Ok();
}

Status OpcuaConnector::PublishLoop(opcua::UaClient& client, uint32_t subscription_id) {
  opcua::SecureChannel& channel = client.channel();
  // The server answers at least every keep-alive period; silence longer than that (plus the
  // request timeout) means the server or the network is gone.
  const int64_t silence_ns =
      int64_t{revised_keep_alive_} * revised_publishing_ns_ + config_.request_timeout_ns;
  std::vector<uint32_t> in_flight;
  size_t max_in_flight = kPublishesInFlight;
  std::vector<opcua::SubscriptionAcknowledgement> acks;
  uint32_t last_sequence = 0;
  uint64_t renewals_seen = channel.renewals();
  auto last_heard = std::chrono::steady_clock::now();
  opcua::SecureChannel::Response raw;
  while (!stopping()) {
    STRATA_RETURN_IF_ERROR(channel.RenewIfDue(Deadline(config_.request_timeout_ns)));
    if (!paused()) {
      while (in_flight.size() < max_in_flight) {
        opcua::PublishRequest request;
        request.subscription_acknowledgements.swap(acks);
        uint32_t id = 0;
        STRATA_RETURN_IF_ERROR(client.Send(request, &id, Deadline(silence_ns)));
        in_flight.push_back(id);
      }
    } else if (in_flight.empty()) {
      // Paused with nothing asked for: the server holds the notifications.
      std::unique_lock lock(mu_);
      cv_.wait_until(lock, std::min(channel.renew_at(), Deadline(silence_ns / 2)),
                     [&] { return stop_ || !paused_; });
      last_heard = std::chrono::steady_clock::now();
      continue;
    }
    const SteadyTime silent_at = last_heard + std::chrono::nanoseconds(silence_ns);
    Status s = channel.Receive(&raw, std::min(silent_at, channel.renew_at()));
    if (opcua::IsTimeout(s)) {
      if (std::chrono::steady_clock::now() >= silent_at) {
        return UnavailableError(
            fmt::format("no Publish response or keep-alive for {}", FormatDuration(silence_ns)));
      }
      continue;  // time to renew the token
    }
    STRATA_RETURN_IF_ERROR(s);
    last_heard = std::chrono::steady_clock::now();
    if (channel.renewals() != renewals_seen) {
      renewals_.Add(channel.renewals() - renewals_seen);
      renewals_seen = channel.renewals();
    }
    const auto it = std::find(in_flight.begin(), in_flight.end(), raw.request_id);
    if (it == in_flight.end()) continue;  // the answer to a request given up on
    in_flight.erase(it);
    s = opcua::DecodeMessage(raw.body, &publish_);
    const uint32_t result = publish_.response_header.service_result;
    if (!s.ok() && s.code() != StatusCode::kFailedPrecondition) {
      return s.WithContext("PublishResponse");
    }
    if (!s.ok() || opcua::IsBad(result)) {
      if (result == opcua::kBadTooManyPublishRequests) {
        max_in_flight = std::max<size_t>(1, in_flight.size());
        continue;
      }
      if (result == opcua::kBadTimeout || result == opcua::kBadRequestTimeout) continue;
      return UnavailableError(fmt::format("Publish failed: {}", opcua::DescribeUaStatus(result)));
    }
    publishes_.Add();
    const opcua::NotificationMessage& n = publish_.notification_message;
    if (n.empty()) {
      keep_alives_.Add();
      continue;
    }
    if (last_sequence != 0 && n.sequence_number != last_sequence + 1 &&
        n.sequence_number > last_sequence) {
      missed_.Add(n.sequence_number - last_sequence - 1);
    }
    last_sequence = n.sequence_number;
    acks.push_back({publish_.subscription_id, n.sequence_number});
    data_changes_.Add(n.data_changes.size());
    for (const opcua::MonitoredItemNotification& item : n.data_changes) {
      if (item.client_handle < config_.items.size()) AddValue(item.client_handle, item.value);
    }
    if (!Flush()) return CancelledError("pipeline closed");
    for (const opcua::StatusChangeNotification& change : n.status_changes) {
      if (opcua::IsBad(change.status)) {
        return UnavailableError(fmt::format("the server ended subscription {}: {}", subscription_id,
                                            opcua::DescribeUaStatus(change.status)));
      }
    }
  }
  return CancelledError("stopping");
}

void OpcuaConnector::AddValue(uint32_t i, const opcua::DataValue& value) {
  if (pending_.empty()) {
    pending_.reserve(kOpcuaHeaderSize + 64 * sizeof(OpcuaValueRecord) + kPayloadPadding);
    AppendOpcuaHeader(OpcuaMessageKind::kValues, &pending_);
  }
  OpcuaValueRecord r;
  r.item = i;
  r.status = value.status;
  r.ts_ns = TimestampNs(value);
  r.type = static_cast<uint8_t>(value.value.type());
  if (!value.value.is_array()) {
    if (const auto d = value.value.ToDouble()) {
      r.value = *d;
      r.has_value = 1;
    }
  } else {
    r.reserved[0] = 1;  // an array
  }
  AppendOpcuaRecord(r, &pending_);
  ++pending_records_;
}

void OpcuaConnector::AddBad(uint32_t i, uint32_t status) {
  opcua::DataValue bad;
  bad.status = status;
  AddValue(i, bad);
}

bool OpcuaConnector::Flush() {
  if (pending_records_ == 0) return true;
  pending_records_ = 0;
  std::string payload;
  payload.swap(pending_);
  return Push(std::move(payload));
}

bool OpcuaConnector::Push(std::string payload) {
  RawMessage raw;
  raw.connector = index_;
  raw.receive_ts_ns = clock_.NowNs();
  raw.topic = config_.endpoint;
  raw.payload = std::move(payload);
  messages_.Add();
  // Blocks while the pipeline is full: the backpressure (see header).
  if (!sink_->Push(std::move(raw))) {
    spdlog::error("{} pipeline closed before the connector stopped", Tag());
    std::lock_guard lock(mu_);
    closed_sink_ = true;
    return false;
  }
  return true;
}

void OpcuaConnector::MarkGap(const std::string& why) {
  if (gap_marked_) return;
  gap_marked_ = true;
  spdlog::warn("{} {} is unavailable ({}); its {} signals are bad until it is back", Tag(),
               config_.endpoint, why, config_.items.size());
  for (uint32_t i = 0; i < config_.items.size(); ++i) AddBad(i, opcua::kBadNoCommunication);
  Flush();
}

}  // namespace strata
