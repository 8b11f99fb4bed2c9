#include "ml/training/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>

#include "core/config_node.h"
#include "ml/training/trainer.h"

namespace strata::ml {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'040 * kSec;  // on the minute grid

constexpr char kModelYaml[] = R"(
asset_types:
  pump:
    signals:
      temp: {unit: Cel}
      flow: {unit: "m3/h"}
      other: {unit: "1"}
  motor:
    signals:
      temp: {unit: Cel}
assets:
  - path: acme/line-1/pump-{01..03}
    type: pump
  - path: acme/line-1/motor-01
    type: motor
)";

std::shared_ptr<const AssetModel> Model() {
  auto doc = ConfigDocument::Parse(kModelYaml, "<test model>");
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  auto model = (*doc)->Read<std::shared_ptr<const AssetModel>>(
      [](ConfigNode& root) { return AssetModel::Read(root); });
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return *model;
}

std::string Pump(int i) { return "acme/line-1/pump-0" + std::to_string(i); }

features::FeatureSpec Spec() {
  features::FeatureSpec spec;
  spec.asset_type = "pump";
  spec.window.length_ns = spec.window.step_ns = 60 * kSec;
  auto def = [](const char* name, const char* signal, features::FeatureFunction f) {
    features::FeatureDef d;
    d.name = name;
    d.signal = signal;
    d.function = f;
    return d;
  };
  spec.features = {def("temp_mean", "temp", features::FeatureFunction::kMean),
                   def("temp_max", "temp", features::FeatureFunction::kMax),
                   def("flow_std", "flow", features::FeatureFunction::kStd)};
  return spec;
}

double Temp(int pump, int i) {
  double t = 40 + pump + 0.001 * i;
  if (pump == 2 && i >= 600) t += 0.02 * (i - 600);  // the fault warms the bearing
  return t;
}

// 30 minutes of 1 Hz temp and flow for three pumps (pump-03 loses flow after 20 minutes),
// plus a signal the spec does not read and a motor.
class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) /
           ("dataset_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    model_ = Model();
    auto sources = std::make_shared<SourceCatalog>();
    const SourceId src = sources->Intern("mqtt", "tcp://127.0.0.1:1883", "t");
    SqliteStoreOptions o;
    o.path = (dir_ / "edge.db").string();
    o.durability = Durability::kNormal;
    o.model = model_;
    o.sources = sources;
    auto store = OpenSqliteStore(o);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
    WriteBatch batch;
    for (int i = 0; i < 1800; ++i) {
      const int64_t ts = kT0 + i * kSec;
      for (int p = 1; p <= 3; ++p) {
        auto add = [&](const char* signal, double v) {
          Observation obs;
          obs.signal = model_->Find(Pump(p), signal);
          obs.ts_ns = obs.ingest_ts_ns = ts;
          obs.value = v;
          obs.source = src;
          batch.observations.push_back(obs);
        };
        add("temp", Temp(p, i));
        if (p != 3 || i < 1200) add("flow", 10 + (i % 7));
        add("other", 1);
      }
      Observation m;
      m.signal = model_->Find("acme/line-1/motor-01", "temp");
      m.ts_ns = m.ingest_ts_ns = ts;
      m.value = 30;
      m.source = src;
      batch.observations.push_back(m);
    }
    AppendResult r;
    ASSERT_TRUE(store_->Append(batch, &r).ok());
    ASSERT_EQ(r.observations_written, 1800u * 3 * 3 + 1800 - 600);
    FaultEpisode e;
    e.asset = Pump(2);
    e.fault = "bearing_outer_race";
    e.onset_ns = kT0 + 600 * kSec;
    e.full_severity_ns = kT0 + 1200 * kSec;
    labels_ = {e};
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  Dataset Build(DatasetOptions options) {
    auto ds = BuildDataset(*store_, model_, Spec(), labels_, options);
    EXPECT_TRUE(ds.ok()) << ds.status().ToString();
    return ds.ok() ? *ds : Dataset{};
  }

  std::filesystem::path dir_;
  std::shared_ptr<const AssetModel> model_;
  std::unique_ptr<Store> store_;
  std::vector<FaultEpisode> labels_;
};

TEST_F(DatasetTest, WindowsFeaturesAndLabels) {
  const Dataset ds = Build({});
  EXPECT_EQ(ds.assets, (std::vector<std::string>{Pump(1), Pump(2), Pump(3)}));
  // 29 one-minute windows per pump (the motor is another type): the 30th, still open when the
  // data ends, is left out.
  EXPECT_EQ(ds.windows, 87u);
  // pump-02: the fault is active at the end of windows 11..29 and reaches severity 0.25 at
  // 15 minutes (half the growth): windows 11..14 are ambiguous, 15..29 positive.
  EXPECT_EQ(ds.ambiguous, 4u);
  EXPECT_EQ(ds.positives, 15u);
  // pump-03 has no flow in its last 9 windows: flow_std is NaN there.
  EXPECT_EQ(ds.nan_rows, 9u);
  ASSERT_EQ(ds.rows(), 87u - 4 - 9);
  ASSERT_EQ(ds.X.size(), ds.rows() * 3);
  EXPECT_EQ(ds.observations, 1800u * 3 * 2 - 600);  // only the spec's signals are read

  // The first row: pump-01's first minute.
  EXPECT_EQ(ds.row_asset[0], 0u);
  EXPECT_EQ(ds.row_start_ns[0], kT0);
  EXPECT_EQ(ds.row_end_ns[0], kT0 + 60 * kSec);
  double sum = 0;
  for (int i = 0; i < 60; ++i) sum += Temp(1, i);
  EXPECT_NEAR(ds.X[0], sum / 60, 1e-4);
  EXPECT_NEAR(ds.X[1], Temp(1, 59), 1e-4);
  EXPECT_EQ(ds.y[0], 0);
  EXPECT_EQ(ds.first_ns, kT0);
  EXPECT_EQ(ds.last_ns, kT0 + 1740 * kSec);

  // Labels per window end.
  for (size_t r = 0; r < ds.rows(); ++r) {
    const bool faulty =
        ds.assets[ds.row_asset[r]] == Pump(2) && ds.row_end_ns[r] >= kT0 + 900 * kSec;
    EXPECT_EQ(ds.y[r], faulty ? 1 : 0) << r;
  }
}

TEST_F(DatasetTest, TheSameWhateverThePageSize) {
  const Dataset reference = Build({});
  for (size_t page : {1, 7, 100, 100000}) {
    DatasetOptions o;
    o.page_size = page;
    const Dataset ds = Build(o);
    EXPECT_EQ(ds.X, reference.X) << page;
    EXPECT_EQ(ds.y, reference.y) << page;
    EXPECT_EQ(ds.row_end_ns, reference.row_end_ns) << page;
    EXPECT_EQ(ds.observations, reference.observations) << page;
  }
}

TEST_F(DatasetTest, OptionsSelectAssetsRangeAndAmbiguousWindows) {
  DatasetOptions o;
  o.asset_glob = "*/pump-02";
  o.keep_ambiguous = true;
  Dataset ds = Build(o);
  EXPECT_EQ(ds.assets, std::vector<std::string>{Pump(2)});
  EXPECT_EQ(ds.rows(), 29u);
  EXPECT_EQ(ds.positives, 15u);

  o.from_ns = kT0 + 90 * kSec;  // mid-window: the window it cuts is left out
  o.to_ns = kT0 + 600 * kSec;
  ds = Build(o);
  EXPECT_EQ(ds.rows(), 7u);  // windows starting at 2..8 minutes
  EXPECT_EQ(ds.first_ns, kT0 + 120 * kSec);
  EXPECT_EQ(ds.positives, 0u);

  // An end to the episode (the bearing was replaced): healthy again after it.
  labels_[0].end_ns = kT0 + 1500 * kSec;
  o = {};
  o.asset_glob = "*/pump-02";
  ds = Build(o);
  EXPECT_EQ(ds.positives, 10u);  // ends 900..1440 s

  o.asset_glob = "*/nothing-*";
  auto none = BuildDataset(*store_, model_, Spec(), labels_, o);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.status().message(), HasSubstr("nothing-"));
}

TEST_F(DatasetTest, ASpecThatDoesNotMatchTheModelIsRefused) {
  features::FeatureSpec spec = Spec();
  spec.features[0].signal = "pressure";
  auto ds = BuildDataset(*store_, model_, spec, labels_, {});
  ASSERT_FALSE(ds.ok());
  EXPECT_THAT(ds.status().message(), HasSubstr("pressure"));
}

TEST(GroundTruth, ParsesTheSimulatorsLinesAndNamesBadOnes) {
  auto ok = ParseGroundTruth(
      "{\"asset\":\"a/pump-02\",\"machine\":\"pump-02\",\"fault\":\"imbalance\","
      "\"onset\":\"x\",\"onset_ns\":100,\"full_severity_ns\":300}\n\n# comment\n"
      "{\"asset\":\"a/pump-03\",\"onset_ns\":5,\"full_severity_ns\":5,\"end_ns\":9}\n",
      "gt.jsonl");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[0].fault, "imbalance");
  EXPECT_DOUBLE_EQ((*ok)[0].Severity(200), 0.25);
  EXPECT_DOUBLE_EQ((*ok)[0].Severity(100), 0);
  EXPECT_DOUBLE_EQ((*ok)[1].Severity(6), 1);
  EXPECT_DOUBLE_EQ((*ok)[1].Severity(9), 0);
  auto again = ParseGroundTruth(GroundTruthJsonLine((*ok)[1]), "x");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)[0].end_ns, 9);

  auto bad = ParseGroundTruth("{\"asset\":\"a\",\"onset_ns\":1}\nnot json\n", "gt.jsonl");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("gt.jsonl:2"));
  bad = ParseGroundTruth("{\"asset\":\"a\"}\n", "gt.jsonl");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("onset_ns"));
  auto missing = LoadGroundTruth("/nonexistent/gt.jsonl");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.status().message(), HasSubstr("/nonexistent/gt.jsonl"));
}

TEST(Metrics, AucAndHistograms) {
  const std::vector<float> y = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(RocAuc(std::vector<float>{0.1f, 0.4f, 0.35f, 0.8f}, y), 0.75);
  EXPECT_DOUBLE_EQ(RocAuc(std::vector<float>{0.5f, 0.5f, 0.5f, 0.5f}, y), 0.5);
  EXPECT_TRUE(std::isnan(RocAuc(std::vector<float>{0.1f, 0.2f}, std::vector<float>{1, 1})));

  std::vector<float> X;
  for (int i = 0; i < 100; ++i) X.insert(X.end(), {float(i), 7.f});
  X.insert(X.end(), {NAN, 7.f});
  const FeatureHistogram h = ReferenceHistogram("f", X, 2, 0);
  EXPECT_EQ(h.missing, 1u);
  ASSERT_EQ(h.edges.size(), 11u);
  EXPECT_EQ(h.edges.front(), 0);
  EXPECT_EQ(h.edges.back(), 99);
  uint64_t total = 0;
  for (uint64_t c : h.counts) total += c;
  EXPECT_EQ(total, 100u);
  const FeatureHistogram constant = ReferenceHistogram("g", X, 2, 1);
  EXPECT_EQ(constant.edges.size(), 2u);
  EXPECT_EQ(constant.counts, std::vector<uint64_t>{101});
}

}  // namespace
}  // namespace strata::ml
