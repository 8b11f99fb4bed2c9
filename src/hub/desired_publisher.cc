#include "hub/desired_publisher.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <utility>

#include "uplink/desired_state.h"
#include "uplink/uplink_topics.h"

namespace strata {

DesiredPublisher::DesiredPublisher(const Options& options, HubStore& store,
                                   MetricsRegistry& metrics)
    : options_(options),
      store_(store),
      published_(metrics.GetCounter("strata_hub_desired_published_total",
                                    "Desired state messages published (retained) to edges")),
      failures_(metrics.GetCounter(
          "strata_hub_desired_publish_failures_total",
          "Desired state publications that failed (store or broker; retried)")) {}

StatusOr<std::unique_ptr<DesiredPublisher>> DesiredPublisher::Start(const Options& options,
                                                                    HubStore& store,
                                                                    MetricsRegistry& metrics) {
  std::unique_ptr<DesiredPublisher> p(new DesiredPublisher(options, store, metrics));
  MqttPublisher::Options o = PublisherOptionsFor(options.broker);
  o.client_id = fmt::format("strata-hub-{}-desired", options.hub_id);
  o.clean_session = true;
  o.wait_for_broker = false;
  STRATA_ASSIGN_OR_RETURN(p->client_, MqttPublisher::Connect(o, 0));
  p->thread_ = std::thread([self = p.get()] { self->Run(); });
  return p;
}

DesiredPublisher::~DesiredPublisher() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DesiredPublisher::Notify() {
  {
    std::lock_guard lock(mu_);
    notified_ = true;
  }
  cv_.notify_all();
}

void DesiredPublisher::Run() {
  auto next_look = std::chrono::steady_clock::now();
  while (true) {
    bool poked = false;
    {
      // Each second: a reconnection is seen within one (the broker may have lost everything).
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stop_ || notified_; });
      if (stop_) return;
      poked = std::exchange(notified_, false);
    }
    const auto now = std::chrono::steady_clock::now();
    if (!poked && now < next_look && client_->connects() == sent_connects_) continue;
    next_look = now + std::chrono::nanoseconds(options_.poll_ns);
    // Only while connected, so that "sent" means the broker has it (QoS 1, retained).
    if (client_->WaitConnected(0)) PublishChanged();
  }
}

void DesiredPublisher::PublishChanged() {
  if (const uint64_t c = client_->connects(); c != sent_connects_) {
    sent_.clear();  // a new connection: the broker may have lost its retained messages
    sent_connects_ = c;
  }
  StatusOr<std::vector<DesiredState>> desired = store_.ListDesired();
  StatusOr<std::vector<EdgeEntry>> edges = store_.ListEdges();
  if (!desired.ok() || !edges.ok()) {
    failures_.Add();
    spdlog::warn("desired state: cannot read the store: {}; trying again in {} s",
                 (desired.ok() ? edges.status() : desired.status()).message(),
                 options_.poll_ns / kNsPerSec);
    return;
  }
  std::map<std::string_view, std::string_view> tenants;
  for (const EdgeEntry& e : *edges) tenants[e.edge_id] = e.tenant;
  for (const DesiredState& d : *desired) {
    auto sent = sent_.find(d.edge_id);
    if (sent != sent_.end() && sent->second >= d.version) continue;
    auto tenant = tenants.find(d.edge_id);
    if (tenant == tenants.end()) continue;  // not enrolled (any more)
    const std::string topic = DesiredTopic(tenant->second, d.edge_id);
    Status s = client_->Publish(
        topic, EncodeDesiredMessage(d.edge_id, d.version, d.updated_ns, d.document), 1,
        /*retain=*/true, 5 * kNsPerSec);
    if (!s.ok()) {
      failures_.Add();
      spdlog::warn("desired state: cannot publish version {} for edge '{}': {}; trying again",
                   d.version, d.edge_id, s.message());
      return;
    }
    sent_[d.edge_id] = d.version;
    published_.Add();
    spdlog::info("desired state: published version {} for edge '{}' on {}", d.version, d.edge_id,
                 topic);
  }
}

}  // namespace strata
