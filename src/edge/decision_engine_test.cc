#include "edge/decision_engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "core/config_node.h"
#include "ml/model_package.h"
#include "ml/xgboost/xgboost_trainer.h"
#include "testing/testing.h"

namespace strata {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'800'000'000 * kSec;  // a multiple of 10 s

constexpr char kModelYaml[] = R"(
asset_types:
  pump:
    signals:
      temp: {unit: Cel}
      current: {unit: A}
assets:
  - path: acme/site/line/pump-{01..02}
    type: pump
)";

constexpr char kSpecYaml[] = R"(
asset_type: pump
window: {length: 10s, step: 10s}
list:
  - {name: temp_mean, signal: temp, function: mean}
  - {name: current_max, signal: current, function: max}
)";

std::shared_ptr<const AssetModel> Model() {
  auto doc = ConfigDocument::Parse(kModelYaml, "<model>");
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

features::FeatureSpec Spec(const char* yaml = kSpecYaml) {
  auto doc = ConfigDocument::Parse(yaml, "<spec>");
  auto spec = (*doc)->Read<features::FeatureSpec>(
      [](ConfigNode& root) { return features::ReadFeatureSpec(root); });
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  return *spec;
}

// A model that learned "hot is a fault": temp_mean > 60 → high score.
std::string TrainHotModel(size_t n_features = 2) {
  std::vector<float> x, y;
  for (int i = 0; i < 400; ++i) {
    const float temp = 20.0f + static_cast<float>(i % 80);
    x.push_back(temp);
    for (size_t f = 1; f < n_features; ++f) x.push_back(static_cast<float>((i * 7) % 13));
    y.push_back(temp > 60 ? 1.0f : 0.0f);
  }
  ml::TrainParams p;
  p.rounds = 10;
  p.max_depth = 3;
  p.seed = 1;
  auto model = ml::TrainXgboost(p, x, n_features, y);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

class DecisionEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("decision_engine_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    model_ = Model();
  }
  void TearDown() override {
    if (engine_) engine_->Stop();
    fs::remove_all(dir_);
  }

  ml::ModelManifest Manifest() const {
    ml::ModelManifest m;
    m.name = "hot";
    m.version = "1";
    m.runtime = "xgboost";
    m.features = Spec();
    m.decision.threshold = 0.5;
    m.decision.top_k = 2;
    m.alert.open_at = 0.5;
    m.alert.clear_below = 0.5;
    return m;
  }
  std::string WritePackage(const std::string& name, const ml::ModelManifest& m,
                           const std::string& artifact) {
    const std::string dir = (dir_ / name).string();
    auto p = ml::WriteModelPackage(dir, m, artifact);
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    return dir;
  }

  void StartEngine() {
    DecisionEngineOptions o;
    o.seed = 7;
    o.allowed_lateness_ns = 0;
    o.package_check_interval_ns = 0;  // check manifests on every round
    engine_ = std::make_unique<DecisionEngine>(model_, clock_, metrics_, o);
  }
  void Run() {
    engine_->Start(
        [this](WriteBatch& b) {
          std::lock_guard lock(mu_);
          uint64_t seq = 0;
          for (Record& r : b.records) {
            r.seq = ++seq;
            records_.push_back(r);
          }
          for (Event& e : b.events) events_.push_back(e);
          return true;
        },
        [this](std::string topic, std::string payload) {
          std::lock_guard lock(mu_);
          published_.emplace_back(std::move(topic), std::move(payload));
        });
  }

  // One reading per second of temp and current for pump `p`, seqs counted up.
  WriteBatch Readings(int p, int64_t from, int seconds, double temp) {
    WriteBatch b;
    const Asset* asset = model_->assets()[static_cast<size_t>(p)].get();
    for (int s = 0; s < seconds; ++s) {
      for (const char* name : {"temp", "current"}) {
        Observation o;
        o.signal = asset->FindSignal(name);
        o.ts_ns = from + s * kSec;
        o.value = std::string(name) == "temp" ? temp : 5.0;
        o.seq = ++seq_;
        b.observations.push_back(o);
      }
    }
    return b;
  }

  std::vector<Record> Records(std::string_view stream) {
    std::lock_guard lock(mu_);
    std::vector<Record> out;
    for (const Record& r : records_) {
      if (r.stream == stream) out.push_back(r);
    }
    return out;
  }
  static bool WaitFor(const std::function<bool()>& done) { return testing::WaitUntil(done); }

  fs::path dir_;
  std::shared_ptr<const AssetModel> model_;
  FakeClock clock_{kT0};
  MetricsRegistry metrics_;
  std::unique_ptr<DecisionEngine> engine_;
  std::mutex mu_;
  std::vector<Record> records_;
  std::vector<Event> events_;
  std::vector<std::pair<std::string, std::string>> published_;
  uint64_t seq_ = 0;
};

TEST_F(DecisionEngineTest, WindowsBecomeExplainedDecisionsAndAlertsWithProvenance) {
  const std::string pkg = WritePackage("hot", Manifest(), TrainHotModel());
  StartEngine();
  ASSERT_TRUE(engine_->Deploy({pkg, std::nullopt, {}, "test"}).ok());
  Run();
  // pump-01: 10 s cool, 10 s hot, 10 s cool, then one reading to close the last window.
  engine_->Offer(Readings(0, kT0, 10, 30));
  engine_->Offer(Readings(0, kT0 + 10 * kSec, 10, 90));
  engine_->Offer(Readings(0, kT0 + 20 * kSec, 10, 30));
  engine_->Offer(Readings(0, kT0 + 30 * kSec, 1, 30));
  ASSERT_TRUE(WaitFor([&] { return Records(kAlertStream).size() == 2; }));
  const auto decisions = Records(kDecisionStream);
  ASSERT_EQ(decisions.size(), 3u);
  std::vector<Decision> d;
  for (const Record& r : decisions) {
    auto parsed = DecisionFromJson(r.body);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    d.push_back(*parsed);
    EXPECT_EQ(r.subject, "acme/site/line/pump-01");
    EXPECT_EQ(r.ts_ns, parsed->window_end_ns);
  }
  EXPECT_LT(d[0].score, 0.5);
  EXPECT_GE(d[1].score, 0.5);
  EXPECT_EQ(d[1].label, "fault");
  EXPECT_EQ(d[0].label, "normal");
  // Provenance: model, window, the observations that fed it, a trace id.
  auto package = ml::LoadModelPackage(pkg);
  ASSERT_TRUE(package.ok());
  EXPECT_EQ(d[1].model_sha256, package->sha256);
  EXPECT_EQ(d[1].model_name, "hot");
  EXPECT_EQ(d[1].window_start_ns, kT0 + 10 * kSec);
  EXPECT_EQ(d[1].window_end_ns, kT0 + 20 * kSec);
  EXPECT_EQ(d[1].first_seq, 21u);
  EXPECT_EQ(d[1].last_seq, 40u);
  EXPECT_TRUE(IsValidTraceparent(d[1].trace_id));
  EXPECT_NE(d[0].trace_id, d[1].trace_id);
  ASSERT_EQ(d[1].features.size(), 2u);
  EXPECT_FLOAT_EQ(static_cast<float>(d[1].features[0].second), 90.0f);
  // The top reason of the hot window is the temperature; contributions add up to the margin.
  ASSERT_EQ(d[1].top.size(), 2u);
  EXPECT_EQ(d[1].top[0].feature, "temp_mean");
  const double margin = d[1].bias + d[1].top[0].contribution + d[1].top[1].contribution;
  EXPECT_NEAR(1.0 / (1.0 + std::exp(-margin)), d[1].score, 1e-5);

  const auto alerts = Records(kAlertStream);
  auto open = AlertEventFromJson(alerts[0].body);
  auto clear = AlertEventFromJson(alerts[1].body);
  ASSERT_TRUE(open.ok() && clear.ok());
  EXPECT_EQ(open->kind, "open");
  EXPECT_EQ(clear->kind, "clear");
  EXPECT_EQ(open->alert_id, clear->alert_id);
  EXPECT_EQ(open->trace_id, d[1].trace_id);
  EXPECT_EQ(open->reasons[0].feature, "temp_mean");
  std::lock_guard lock(mu_);
  ASSERT_EQ(published_.size(), 2u);
  EXPECT_EQ(published_[0].first, "strata/alerts/acme/site/line/pump-01");
  EXPECT_EQ(published_[0].second, alerts[0].body);
  EXPECT_EQ(metrics_.Value("strata_edge_alerts_total", {{"kind", "open"}}), 1);
}

TEST_F(DecisionEngineTest, QuietSourcesAreFlushedByTheClock) {
  const std::string pkg = WritePackage("hot", Manifest(), TrainHotModel());
  StartEngine();
  ASSERT_TRUE(engine_->Deploy({pkg, std::nullopt, {"*/pump-02"}, "test"}).ok());
  Run();
  engine_->Offer(Readings(0, kT0, 10, 90));  // pump-01 is not assigned
  engine_->Offer(Readings(1, kT0, 10, 90));
  // Time passes with no more data: the window is completed by the clock.
  ASSERT_TRUE(WaitFor([&] {
    clock_.Advance(kSec);
    return Records(kDecisionStream).size() == 1;
  }));
  EXPECT_EQ(Records(kDecisionStream)[0].subject, "acme/site/line/pump-02");
}

TEST_F(DecisionEngineTest, TheFirstWindowSeenOnlyInPartGetsNoDecision) {
  const std::string pkg = WritePackage("hot", Manifest(), TrainHotModel());
  StartEngine();
  ASSERT_TRUE(engine_->Deploy({pkg, std::nullopt, {}, "test"}).ok());
  Run();
  engine_->Offer(Readings(0, kT0 + 3 * kSec, 7, 90));  // data begins 3 s into the window
  engine_->Offer(Readings(0, kT0 + 10 * kSec, 10, 90));
  engine_->Offer(Readings(0, kT0 + 20 * kSec, 1, 90));
  ASSERT_TRUE(WaitFor([&] { return Records(kDecisionStream).size() == 1; }));
  auto d = DecisionFromJson(Records(kDecisionStream)[0].body);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->window_start_ns, kT0 + 10 * kSec);
  EXPECT_EQ(metrics_.Value("strata_edge_decisions_skipped_total", {{"reason", "partial_window"}}),
            1);
}

TEST_F(DecisionEngineTest, WindowsWithNanFeaturesGetNoDecisionAndAreCounted) {
  const std::string pkg = WritePackage("hot", Manifest(), TrainHotModel());
  StartEngine();
  ASSERT_TRUE(engine_->Deploy({pkg, std::nullopt, {}, "test"}).ok());
  Run();
  WriteBatch only_temp = Readings(0, kT0, 10, 90);  // no current: current_max is NaN
  std::erase_if(only_temp.observations, [&](const Observation& o) {
    return model_->signal(o.signal).spec->name == "current";
  });
  engine_->Offer(only_temp);
  engine_->Offer(Readings(0, kT0 + 10 * kSec, 1, 30));
  ASSERT_TRUE(WaitFor([&] {
    return metrics_.Value("strata_edge_decisions_skipped_total", {{"reason", "nan_features"}}) == 1;
  }));
  EXPECT_TRUE(Records(kDecisionStream).empty());
}

// Each bad package is refused with a clear error and counted by reason; the model already
// serving keeps serving.
TEST_F(DecisionEngineTest, BadPackagesAreRefusedAndThePreviousModelKeepsServing) {
  const std::string good = WritePackage("hot", Manifest(), TrainHotModel());
  StartEngine();
  ASSERT_TRUE(engine_->Deploy({good, std::nullopt, {}, "test"}).ok());

  std::map<std::string, double> refused;
  auto expect_refused = [&](const ModelAssignment& a, const std::string& reason,
                            const std::string& text) {
    Status s = engine_->Deploy(a);
    ASSERT_FALSE(s.ok()) << reason;
    EXPECT_THAT(s.message(), HasSubstr(text)) << reason;
    EXPECT_EQ(metrics_.Value("strata_edge_model_rejected_total", {{"reason", reason}}),
              ++refused[reason])
        << reason;
  };
  // Wrong hash: the artifact was changed after packaging.
  const std::string tampered = WritePackage("tampered", Manifest(), TrainHotModel());
  std::ofstream(fs::path(tampered) / "model.json", std::ios::app) << " ";
  expect_refused({tampered, std::nullopt, {}, "t"}, "hash", "has sha256");
  // A pinned id that is not this package.
  expect_refused({good, std::string(64, 'a'), {}, "t"}, "hash", "was expected");
  // Unknown runtime.
  const std::string unknown = WritePackage("unknown", Manifest(), TrainHotModel());
  {
    std::ifstream in(fs::path(unknown) / "manifest.yaml");
    std::stringstream text;
    text << in.rdbuf();
    std::string m = text.str();
    m.replace(m.find("runtime: xgboost"), 16, "runtime: tflite");
    std::ofstream(fs::path(unknown) / "manifest.yaml", std::ios::trunc) << m;
  }
  expect_refused({unknown, std::nullopt, {}, "t"}, "runtime", "unknown runtime 'tflite'");
  // A feature spec naming a signal the asset type does not have.
  ml::ModelManifest missing = Manifest();
  missing.features.features[1].signal = "vibration";
  expect_refused({WritePackage("missing", missing, TrainHotModel()), std::nullopt, {}, "t"},
                 "features", "vibration");
  // A model with the wrong input shape (3 features for a 2-feature spec).
  expect_refused({WritePackage("shape", Manifest(), TrainHotModel(3)), std::nullopt, {}, "t"},
                 "artifact", "3");
  // No asset matches.
  expect_refused(
      {WritePackage("none", Manifest(), TrainHotModel()), std::nullopt, {"*/boiler-*"}, "t"},
      "assets", "no asset of type 'pump'");

  EXPECT_EQ(engine_->deployed(), 1u);
  Run();
  engine_->Offer(Readings(0, kT0, 10, 90));
  engine_->Offer(Readings(0, kT0 + 10 * kSec, 1, 30));
  ASSERT_TRUE(WaitFor([&] { return Records(kDecisionStream).size() == 1; }));
  std::lock_guard lock(mu_);
  size_t rejected_events = 0;
  for (const Event& e : events_) rejected_events += e.kind == "model.rejected";
  EXPECT_EQ(rejected_events, 6u);
}

// A package changed in place is redeployed; a broken change is refused and the old one serves.
TEST_F(DecisionEngineTest, ChangedPackageIsReloadedAndABrokenChangeIsRefused) {
  const std::string pkg = WritePackage("hot", Manifest(), TrainHotModel());
  StartEngine();
  ASSERT_TRUE(engine_->Deploy({pkg, std::nullopt, {}, "test"}).ok());
  Run();
  ml::ModelManifest v2 = Manifest();
  v2.version = "2";
  // Make the manifest's mtime differ from the one seen at deploy even on coarse clocks.
  ASSERT_TRUE(ml::WriteModelPackage(pkg, v2, TrainHotModel()).ok());
  fs::last_write_time(
      fs::path(pkg) / "manifest.yaml",
      fs::last_write_time(fs::path(pkg) / "manifest.yaml") + std::chrono::seconds(1));
  clock_.Advance(kSec);
  ASSERT_TRUE(WaitFor([&] { return engine_->DescribeDeployments().find("hot 2") == 0; }));

  std::ofstream(fs::path(pkg) / "model.json", std::ios::app) << " ";  // breaks the hash
  fs::last_write_time(
      fs::path(pkg) / "manifest.yaml",
      fs::last_write_time(fs::path(pkg) / "manifest.yaml") + std::chrono::seconds(1));
  clock_.Advance(kSec);
  ASSERT_TRUE(WaitFor([&] {
    return metrics_.Value("strata_edge_model_rejected_total", {{"reason", "hash"}}) == 1;
  }));
  EXPECT_EQ(engine_->DescribeDeployments().find("hot 2"), 0u);
  engine_->Offer(Readings(0, kT0, 10, 90));
  engine_->Offer(Readings(0, kT0 + 10 * kSec, 1, 30));
  ASSERT_TRUE(WaitFor([&] { return Records(kDecisionStream).size() == 1; }));
  auto d = DecisionFromJson(Records(kDecisionStream)[0].body);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->model_version, "2");
}

}  // namespace
}  // namespace strata
