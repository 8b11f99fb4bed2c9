#include "edge/decision_engine.h"

#include <fmt/format.h>
#include <fnmatch.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "edge/alert_tracker.h"
#include "features/feature_extractor.h"
#include "ml/model_package.h"
#include "ml/runtime_factory.h"

namespace strata {
namespace fs = std::filesystem;

struct DecisionEngine::Deployment {
  ModelAssignment assignment;
  ml::ModelPackage package;  // without the artifact's bytes once the runtime holds them
  std::unique_ptr<ml::ModelRuntime> runtime;
  std::unique_ptr<features::FeatureExtractor> extractor;
  std::unique_ptr<features::WindowAssembler> assembler;
  const AssetType* type = nullptr;
  std::set<const Asset*> assets;
  std::map<const Asset*, AlertTracker> trackers;
  std::map<const Asset*, std::string> open_alerts;  // asset -> alert id
  std::set<std::string> nan_logged;                 // features already reported as NaN
  std::map<const Asset*, int64_t> first_seen_ns;    // source time of each asset's first input
  std::vector<float> row;
  std::vector<float> contributions;
  std::vector<Observation> input;  // this round's observations for this deployment
  std::vector<features::CompletedWindow> windows;
  fs::file_time_type manifest_mtime;
  int64_t idle_flush_ns = 0;
  // For flushing windows of quiet sources: the newest source time seen by this deployment,
  // and when (engine clock) it last got input.
  int64_t max_event_ns = std::numeric_limits<int64_t>::min();
  int64_t last_input_ns = 0;
  Counter* decisions = nullptr;
};

namespace {

constexpr size_t kSubmitEvery = 32;  // decisions per hand-over to the store writer

fs::file_time_type ManifestTime(const std::string& dir) {
  std::error_code ec;
  const auto t = fs::last_write_time(fs::path(dir) / ml::kManifestFile, ec);
  return ec ? fs::file_time_type::min() : t;
}

bool Matches(const std::vector<std::string>& globs, const std::string& path) {
  if (globs.empty()) return true;
  for (const std::string& g : globs) {
    if (fnmatch(g.c_str(), path.c_str(), 0) == 0) return true;
  }
  return false;
}

// Why a package was refused, for the counter's label.
std::string_view RejectReasonOf(const Status& s) {
  const std::string& m = s.message();
  if (m.find("unknown runtime") != std::string::npos) return "runtime";
  switch (s.code()) {
    case StatusCode::kNotFound:
    case StatusCode::kUnavailable:
      return "io";
    case StatusCode::kDataLoss:
    case StatusCode::kFailedPrecondition:
      return "hash";
    default:
      return "manifest";
  }
}

}  // namespace

DecisionEngine::DecisionEngine(std::shared_ptr<const AssetModel> model, const Clock& clock,
                               MetricsRegistry& metrics, DecisionEngineOptions options)
    : model_(std::move(model)),
      clock_(clock),
      metrics_(metrics),
      options_(std::move(options)),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()),
      wanted_(model_->signal_count(), false),
      input_(options_.input_queue_observations,
             [](const std::vector<Observation>& v) { return std::max<size_t>(v.size(), 1); }),
      input_dropped_(metrics.GetCounter(
          "strata_edge_decision_input_dropped_total",
          "Committed observations not windowed because the decision engine was behind")),
      decisions_(metrics.GetCounter("strata_edge_decisions_total", "Decisions made and stored")),
      skipped_nan_(metrics.GetCounter("strata_edge_decisions_skipped_total",
                                      "Completed windows that got no decision, by reason",
                                      {{"reason", "nan_features"}})),
      skipped_error_(metrics.GetCounter("strata_edge_decisions_skipped_total",
                                        "Completed windows that got no decision, by reason",
                                        {{"reason", "model_error"}})),
      skipped_partial_(metrics.GetCounter("strata_edge_decisions_skipped_total",
                                          "Completed windows that got no decision, by reason",
                                          {{"reason", "partial_window"}})),
      alerts_open_(metrics.GetCounter("strata_edge_alerts_total", "Alert events, by kind",
                                      {{"kind", "open"}})),
      alerts_clear_(metrics.GetCounter("strata_edge_alerts_total", "Alert events, by kind",
                                       {{"kind", "clear"}})),
      submit_retries_(
          metrics.GetCounter("strata_edge_decision_submit_retries_total",
                             "Times decisions waited because the store writer was behind")),
      decide_seconds_(metrics.GetGauge("strata_edge_decide_seconds_total",
                                       "Time spent computing features, scores and SHAP")) {
  metrics_.AddCallbackGauge("strata_edge_models_deployed", "Model packages serving", {},
                            [this] { return double(deployed()); });
}

DecisionEngine::~DecisionEngine() { Stop(); }

size_t DecisionEngine::deployed() const {
  std::lock_guard lock(mu_);
  return deployments_.size();
}

std::string DecisionEngine::DescribeDeployments() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& d : deployments_) {
    out += fmt::format("{}{} on {} asset(s)", out.empty() ? "" : "; ", d->package.Describe(),
                       d->assets.size());
  }
  return out.empty() ? "no model" : out;
}

void DecisionEngine::Reject(const ModelAssignment& a, std::string_view reason,
                            const Status& status) {
  metrics_
      .GetCounter("strata_edge_model_rejected_total",
                  "Model packages refused (the previous one keeps serving), by reason",
                  {{"reason", std::string(reason)}})
      .Add();
  spdlog::error("model package '{}' ({}) refused: {}", a.package_dir, a.where, status.message());
  Event e;
  e.ts_ns = clock_.NowNs();
  e.kind = "model.rejected";
  e.subject = a.package_dir;
  e.detail = fmt::format("{}: {}", reason, status.message());
  pending_.events.push_back(std::move(e));
}

StatusOr<std::unique_ptr<DecisionEngine::Deployment>> DecisionEngine::Prepare(
    const ModelAssignment& a) {
  auto d = std::make_unique<Deployment>();
  d->assignment = a;
  d->manifest_mtime = ManifestTime(a.package_dir);
  d->last_input_ns = clock_.NowNs();  // a backlog has idle_flush to start arriving
  StatusOr<ml::ModelPackage> package = ml::LoadModelPackage(a.package_dir, a.sha256);
  if (!package.ok()) {
    Reject(a, RejectReasonOf(package.status()), package.status());
    return package.status();
  }
  d->package = std::move(*package);
  const features::FeatureSpec& spec = d->package.manifest.features;
  auto fail = [&](std::string_view reason, Status s) -> Status {
    if (s.message().find(d->package.Describe()) == std::string::npos) {
      s = s.WithContext(fmt::format("model package {}", d->package.Describe()));
    }
    Reject(a, reason, s);
    return s;
  };
  for (const auto& t : model_->types()) {
    if (t->name == spec.asset_type) d->type = t.get();
  }
  if (d->type == nullptr) {
    return fail("features", InvalidArgumentError(fmt::format(
                                "its features are for asset type '{}', which this edge's asset "
                                "model does not declare",
                                spec.asset_type)));
  }
  if (Status s = features::CheckFeatureSpec(spec, *d->type); !s.ok()) return fail("features", s);
  auto extractor = features::FeatureExtractor::Create(spec, *d->type);
  if (!extractor.ok()) return fail("features", extractor.status());
  d->extractor = std::move(*extractor);
  features::WindowAssembler::Options wo;
  wo.allowed_lateness_ns = options_.allowed_lateness_ns;
  auto assembler = features::WindowAssembler::Create(model_, *d->type, spec.window,
                                                     d->extractor->input_signals(), wo);
  if (!assembler.ok()) return fail("features", assembler.status());
  d->assembler = std::move(*assembler);

  auto runtime = ml::CreateRuntime(d->package);
  if (!runtime.ok()) return fail("artifact", runtime.status());
  d->runtime = std::move(*runtime);
  d->package.artifact.clear();
  d->package.artifact.shrink_to_fit();
  const size_t n = d->extractor->size();
  if (d->runtime->num_features() != n) {
    return fail("shape", InvalidArgumentError(
                             fmt::format("the model takes {} features but the manifest lists {}",
                                         d->runtime->num_features(), n)));
  }
  // One probe row: a model whose output is not one score per row fails here, not live.
  d->row.assign(n, 0.0f);
  float score = 0;
  if (Status s = d->runtime->Predict(d->row, std::span<float>(&score, 1)); !s.ok()) {
    return fail("shape", s);
  }
  if (d->runtime->can_explain()) {
    d->contributions.assign(n + 1, 0.0f);
    if (Status s = d->runtime->Explain(d->row, d->contributions); !s.ok()) {
      return fail("shape", s);
    }
  }
  for (const auto& asset : model_->assets()) {
    if (asset->type == d->type && Matches(a.asset_globs, asset->path)) {
      d->assets.insert(asset.get());
      d->trackers.emplace(asset.get(), AlertTracker(d->package.manifest.alert));
    }
  }
  if (d->assets.empty()) {
    std::string globs;
    for (const std::string& g : a.asset_globs) globs += (globs.empty() ? "" : ", ") + g;
    return fail("assets", InvalidArgumentError(fmt::format(
                              "no asset of type '{}' matches the assignment's assets [{}] ({}); "
                              "check the globs against the asset paths in the asset model",
                              spec.asset_type, globs, a.where)));
  }
  const features::WindowSpec& w = spec.window;
  d->idle_flush_ns = options_.idle_flush_ns > 0 ? options_.idle_flush_ns
                     : w.kind == features::WindowSpec::Kind::kTime
                         ? 2 * w.length_ns + options_.allowed_lateness_ns
                         : 60'000'000'000;
  d->decisions = &metrics_.GetCounter(
      "strata_edge_model_decisions_total", "Decisions made, by model",
      {{"model", d->package.manifest.name}, {"version", d->package.manifest.version}});
  return d;
}

Status DecisionEngine::Deploy(const ModelAssignment& assignment) {
  STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Deployment> d, Prepare(assignment));
  spdlog::info("model {} serves {} asset(s) of type '{}' ({} features, runtime {})",
               d->package.Describe(), d->assets.size(), d->type->name, d->extractor->size(),
               d->runtime->kind());
  Event e;
  e.ts_ns = clock_.NowNs();
  e.kind = "model.deployed";
  e.subject = assignment.package_dir;
  e.detail = d->package.Describe();
  pending_.events.push_back(std::move(e));

  std::lock_guard lock(mu_);
  for (const Asset* asset : d->assets) {
    for (const std::string& name : d->extractor->input_signals()) {
      const SignalId id = asset->FindSignal(name);
      if (id != kInvalidSignal) wanted_[id] = true;
    }
  }
  for (auto& existing : deployments_) {
    if (existing->assignment.package_dir == assignment.package_dir) {
      existing = std::move(d);
      return Status::Ok();
    }
  }
  deployments_.push_back(std::move(d));
  return Status::Ok();
}

void DecisionEngine::Start(Submit submit, Publish publish) {
  submit_ = std::move(submit);
  publish_ = std::move(publish);
  next_package_check_ns_ = clock_.NowNs() + options_.package_check_interval_ns;
  thread_ = std::thread([this] { Loop(); });
}

void DecisionEngine::Stop() {
  if (stopping_.exchange(true)) return;
  input_.Close();
  if (!thread_.joinable()) return;  // never started: nothing to hand over
  thread_.join();
  // The writer is still running: hand over what was decided, waiting a bounded time.
  for (int attempt = 0; attempt < 100 && !pending_.empty() && submit_; ++attempt) {
    if (submit_(pending_)) {
      pending_ = WriteBatch();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // retry pacing at shutdown
  }
  if (!pending_.empty()) {
    spdlog::warn(
        "decision engine: {} decisions/alerts and {} events not stored at shutdown "
        "(store busy)",
        pending_.records.size(), pending_.events.size());
  }
}

void DecisionEngine::Offer(const WriteBatch& committed) {
  if (stopping_.load(std::memory_order_relaxed) || committed.observations.empty()) return;
  std::vector<Observation> mine;
  {
    std::lock_guard lock(mu_);
    for (const Observation& o : committed.observations) {
      if (o.signal < wanted_.size() && wanted_[o.signal]) mine.push_back(o);
    }
  }
  if (mine.empty()) return;
  const size_t n = mine.size();
  if (!input_.TryPush(mine)) input_dropped_.Add(n);
}

void DecisionEngine::Loop() {
  std::vector<std::vector<Observation>> batches;
  while (true) {
    batches.clear();
    const size_t n = input_.PopMany(&batches, 64, std::chrono::milliseconds(200));
    if (n == 0 && input_.closed() && input_.size() == 0) break;
    for (auto& b : batches) Process(b);
    const int64_t now = clock_.NowNs();
    FlushIdle(now);
    CheckPackages(now);
    SubmitPending();
  }
}

void DecisionEngine::Process(std::vector<Observation>& observations) {
  for (auto& d : deployments_) {
    d->input.clear();
    for (const Observation& o : observations) {
      if (d->assets.count(model_->signal(o.signal).asset) > 0) d->input.push_back(o);
    }
    if (d->input.empty()) continue;
    d->last_input_ns = clock_.NowNs();
    for (const Observation& o : d->input) {
      d->max_event_ns = std::max(d->max_event_ns, o.ts_ns);
      const Asset* asset = model_->signal(o.signal).asset;
      auto [it, inserted] = d->first_seen_ns.emplace(asset, o.ts_ns);
      if (!inserted) it->second = std::min(it->second, o.ts_ns);
    }
    d->windows.clear();
    d->assembler->Add(d->input, &d->windows);
    for (const auto& w : d->windows) Decide(*d, w);
  }
}

// Completes the windows of sources that went quiet. Two clocks: other assets' data moved on
// (source time, so a backlog being replayed is never cut short), or nothing at all arrived for
// idle_flush (processing time).
void DecisionEngine::FlushIdle(int64_t now_ns) {
  for (auto& d : deployments_) {
    int64_t horizon = d->max_event_ns == std::numeric_limits<int64_t>::min()
                          ? std::numeric_limits<int64_t>::min()
                          : d->max_event_ns - d->idle_flush_ns;
    if (now_ns - d->last_input_ns >= d->idle_flush_ns) {
      horizon = std::max(horizon, now_ns - d->idle_flush_ns);
    }
    if (horizon == std::numeric_limits<int64_t>::min()) continue;
    d->windows.clear();
    d->assembler->Flush(horizon, &d->windows);
    for (const auto& w : d->windows) Decide(*d, w);
  }
}

void DecisionEngine::CheckPackages(int64_t now_ns) {
  if (now_ns < next_package_check_ns_) return;
  next_package_check_ns_ = now_ns + options_.package_check_interval_ns;
  std::vector<ModelAssignment> changed;
  for (auto& d : deployments_) {
    const auto t = ManifestTime(d->assignment.package_dir);
    if (t != d->manifest_mtime) {
      d->manifest_mtime = t;  // try each change once
      changed.push_back(d->assignment);
    }
  }
  for (const ModelAssignment& a : changed) {
    spdlog::info("model package '{}' changed; loading it", a.package_dir);
    Status s = Deploy(a);
    if (!s.ok()) spdlog::warn("the previous model keeps serving {}", a.package_dir);
  }
}

void DecisionEngine::SubmitPending() {
  if (pending_.empty() || !submit_) return;
  if (submit_(pending_)) {
    pending_ = WriteBatch();
  } else {
    submit_retries_.Add();
  }
}

void DecisionEngine::Decide(Deployment& d, const features::CompletedWindow& w) {
  const auto start = std::chrono::steady_clock::now();
  const ml::ModelManifest& m = d.package.manifest;
  const size_t n = d.extractor->size();
  // The first window after this edge (or the source) started holds only part of its span: its
  // features (slopes, means of a warm-up) are not those of a whole window. No decision.
  if (auto first = d.first_seen_ns.find(w.asset);
      first != d.first_seen_ns.end() && first->second > w.start_ns &&
      m.features.window.kind == features::WindowSpec::Kind::kTime) {
    skipped_partial_.Add();
    return;
  }
  Status s = d.extractor->Compute(w, d.row);
  for (size_t i = 0; s.ok() && i < n; ++i) {
    if (std::isnan(d.row[i])) {
      skipped_nan_.Add();
      const std::string& name = m.features.features[i].name;
      if (d.nan_logged.insert(name).second) {
        spdlog::warn(
            "model {}: feature '{}' is NaN for {} (no data in the window?); such "
            "windows get no decision (counted in strata_edge_decisions_skipped_total)",
            d.package.Describe(), name, w.asset->path);
      }
      return;
    }
  }
  float score = 0;
  if (s.ok()) s = d.runtime->Predict(d.row, std::span<float>(&score, 1));
  if (s.ok() && d.runtime->can_explain()) s = d.runtime->Explain(d.row, d.contributions);
  if (s.ok() && !std::isfinite(score)) {
    s = InternalError(fmt::format("the model scored {}", score));
  }
  if (!s.ok()) {
    skipped_error_.Add();
    spdlog::error("model {}: no decision for {}: {}", d.package.Describe(), w.asset->path,
                  s.message());
    return;
  }

  Decision dec;
  dec.trace_id = NewTraceparent(rng_);
  dec.asset = w.asset->path;
  dec.window_start_ns = w.start_ns;
  dec.window_end_ns = w.end_ns;
  dec.decided_ns = clock_.NowNs();
  dec.first_seq = w.first_seq;
  dec.last_seq = w.last_seq;
  dec.model_name = m.name;
  dec.model_version = m.version;
  dec.model_sha256 = d.package.sha256;
  dec.score = score;
  dec.threshold = m.decision.threshold;
  dec.label = score >= m.decision.threshold ? m.decision.positive_label : m.decision.negative_label;
  dec.features.reserve(n);
  for (size_t i = 0; i < n; ++i) dec.features.emplace_back(m.features.features[i].name, d.row[i]);
  if (d.runtime->can_explain()) {
    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    const size_t k = std::min<size_t>(static_cast<size_t>(m.decision.top_k), n);
    std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k), order.end(),
                      [&](size_t a, size_t b) {
                        return std::fabs(d.contributions[a]) > std::fabs(d.contributions[b]);
                      });
    for (size_t j = 0; j < k; ++j) {
      const size_t i = order[j];
      dec.top.push_back({m.features.features[i].name, d.row[i], d.contributions[i]});
    }
    dec.bias = d.contributions[n];
  }
  pending_.records.push_back(
      Record{std::string(kDecisionStream), w.end_ns, w.asset->path, DecisionToJson(dec), 0});
  decisions_.Add();
  d.decisions->Add();

  auto tracker = d.trackers.find(w.asset);
  if (tracker != d.trackers.end()) {
    if (auto t = tracker->second.Observe(w.end_ns, score)) {
      AlertEvent a;
      a.kind = *t == AlertTransition::kOpen ? "open" : "clear";
      if (*t == AlertTransition::kOpen) {
        d.open_alerts[w.asset] = NewTraceparent(rng_).substr(3, 32);
        alerts_open_.Add();
      } else {
        alerts_clear_.Add();
      }
      a.alert_id = d.open_alerts[w.asset];
      a.asset = w.asset->path;
      a.model_name = m.name;
      a.model_version = m.version;
      a.ts_ns = w.end_ns;
      a.opened_ns = tracker->second.opened_ns();
      a.score = score;
      a.trace_id = dec.trace_id;
      a.reasons = dec.top;
      std::string json = AlertEventToJson(a);
      std::string reasons;
      for (const Contribution& c : a.reasons) {
        reasons += fmt::format("{}{}={:.3g} ({:+.2f})", reasons.empty() ? "" : ", ", c.feature,
                               c.value, c.contribution);
      }
      spdlog::warn("alert {} for {}: {} score {:.2f}{}", a.kind, a.asset, m.name, score,
                   reasons.empty() ? "" : "; top reasons: " + reasons);
      if (publish_) publish_(fmt::format("{}/{}", options_.alert_topic, a.asset), json);
      pending_.records.push_back(
          Record{std::string(kAlertStream), w.end_ns, w.asset->path, std::move(json), 0});
      if (*t == AlertTransition::kClear) d.open_alerts.erase(w.asset);
    }
  }
  decide_seconds_.Add(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  // Windows of many assets end together: hand decisions over in small groups, so that the
  // first of a burst is not stored only after the last one is decided.
  if (pending_.records.size() >= kSubmitEvery) SubmitPending();
}

}  // namespace strata
