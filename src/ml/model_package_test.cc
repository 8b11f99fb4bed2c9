#include "ml/model_package.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/config_node.h"
#include "core/sha256.h"

namespace strata::ml {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kSpecYaml[] = R"(
asset_type: centrifugal_pump
window: {length: 60s, step: 60s}
list:
  - {name: temp_mean, signal: bearing_de.temp, function: mean}
  - {name: current_max, signal: motor.current, function: max}
)";

features::FeatureSpec Spec() {
  auto doc = ConfigDocument::Parse(kSpecYaml, "<spec>");
  EXPECT_TRUE(doc.ok());
  auto spec = (*doc)->Read<features::FeatureSpec>(
      [](ConfigNode& root) { return features::ReadFeatureSpec(root); });
  EXPECT_TRUE(spec.ok()) << spec.status().ToString();
  return *spec;
}

class ModelPackageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("model_package_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  ModelManifest Manifest() const {
    ModelManifest m;
    m.name = "bearing-fault";
    m.version = "7";
    m.runtime = "xgboost";
    m.features = Spec();
    m.decision.threshold = 0.6;
    m.decision.top_k = 2;
    m.alert.open_at = 0.7;
    m.alert.clear_below = 0.5;
    m.alert.min_duration_ns = 120'000'000'000;
    m.alert.cooldown_ns = 600'000'000'000;
    m.reference.push_back({"temp_mean", {0, 50, 100}, {3, 4}, 1});
    m.lineage.source = "edge store edge.db";
    m.lineage.labels = "ground-truth.jsonl";
    m.lineage.rows = 7;
    m.lineage.positives = 2;
    m.lineage.seed = 42;
    m.lineage.from_ns = 1'700'000'000'000'000'000;
    m.metrics["auc"] = 0.93;
    return m;
  }

  std::string Read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ / name, std::ios::binary | std::ios::trunc) << text;
  }
  void Replace(const std::string& from, const std::string& to) const {
    std::string m = Read(kManifestFile);
    const size_t at = m.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    m.replace(at, from.size(), to);
    Write(kManifestFile, m);
  }

  fs::path dir_;
};

TEST_F(ModelPackageTest, WrittenPackageLoadsBackWithEverything) {
  auto written = WriteModelPackage(dir_.string(), Manifest(), "{\"trees\": []}");
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  auto p = LoadModelPackage(dir_.string(), written->sha256);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(p->sha256, Sha256Hex(Read(kManifestFile)));
  EXPECT_EQ(p->artifact, "{\"trees\": []}");
  const ModelManifest& m = p->manifest;
  EXPECT_EQ(m.name, "bearing-fault");
  EXPECT_EQ(m.version, "7");
  EXPECT_EQ(m.runtime, "xgboost");
  EXPECT_EQ(m.artifact_file, "model.json");
  EXPECT_EQ(m.artifact_sha256, Sha256Hex("{\"trees\": []}"));
  ASSERT_EQ(m.features.features.size(), 2u);
  EXPECT_EQ(m.features.features[1].name, "current_max");
  EXPECT_EQ(m.features.window.length_ns, 60'000'000'000);
  EXPECT_DOUBLE_EQ(m.decision.threshold, 0.6);
  EXPECT_EQ(m.decision.top_k, 2);
  EXPECT_DOUBLE_EQ(m.alert.open_at, 0.7);
  EXPECT_DOUBLE_EQ(m.alert.clear_below, 0.5);
  EXPECT_EQ(m.alert.min_duration_ns, 120'000'000'000);
  EXPECT_EQ(m.alert.cooldown_ns, 600'000'000'000);
  ASSERT_EQ(m.reference.size(), 1u);
  EXPECT_EQ(m.reference[0].counts, (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(m.reference[0].missing, 1u);
  EXPECT_EQ(m.lineage.rows, 7u);
  EXPECT_EQ(m.lineage.from_ns, 1'700'000'000'000'000'000);
  EXPECT_DOUBLE_EQ(m.metrics.at("auc"), 0.93);
}

TEST_F(ModelPackageTest, ChangedArtifactIsRefusedNamingBothHashes) {
  auto written = WriteModelPackage(dir_.string(), Manifest(), "model bytes");
  ASSERT_TRUE(written.ok());
  Write("model.json", "model bytes, tampered");
  auto p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kDataLoss);
  EXPECT_THAT(p.status().message(), HasSubstr(Sha256Hex("model bytes, tampered")));
  EXPECT_THAT(p.status().message(), HasSubstr(Sha256Hex("model bytes")));
  EXPECT_THAT(p.status().message(), HasSubstr("Refusing to load it"));
}

TEST_F(ModelPackageTest, ChangedManifestIsRefusedWhenAnIdWasExpected) {
  auto written = WriteModelPackage(dir_.string(), Manifest(), "model bytes");
  ASSERT_TRUE(written.ok());
  Replace("name: bearing-fault", "name: bearing-fault-2");
  auto p = LoadModelPackage(dir_.string(), written->sha256);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(p.status().message(), HasSubstr(written->sha256 + " was expected"));
  EXPECT_TRUE(LoadModelPackage(dir_.string()).ok());  // without an expectation it loads
}

TEST_F(ModelPackageTest, UnknownRuntimeNamesTheLineAndTheRuntimesThatExist) {
  ASSERT_TRUE(WriteModelPackage(dir_.string(), Manifest(), "x").ok());
  Replace("runtime: xgboost", "runtime: tensorflow");
  auto p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("manifest.yaml:"));
  EXPECT_THAT(p.status().message(), HasSubstr("unknown runtime 'tensorflow'"));
  EXPECT_THAT(p.status().message(), HasSubstr("xgboost, onnx"));
}

TEST_F(ModelPackageTest, MissingPiecesAreClearErrors) {
  auto p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("no readable manifest.yaml"));

  ASSERT_TRUE(WriteModelPackage(dir_.string(), Manifest(), "x").ok());
  fs::remove(dir_ / "model.json");
  p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("model.json"));

  ASSERT_TRUE(WriteModelPackage(dir_.string(), Manifest(), "x").ok());
  Replace("function: max", "function: maximum");
  p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("maximum"));

  ASSERT_TRUE(WriteModelPackage(dir_.string(), Manifest(), "x").ok());
  Replace("format: strata-model/1", "format: strata-model/9");
  p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("unknown package format"));
}

TEST_F(ModelPackageTest, ArtifactOutsideThePackageIsRefused) {
  ASSERT_TRUE(WriteModelPackage(dir_.string(), Manifest(), "x").ok());
  Replace("file: model.json", "file: ../../etc/passwd");
  auto p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("inside the package directory"));
}

TEST_F(ModelPackageTest, ClearAboveOpenIsRefused) {
  ASSERT_TRUE(WriteModelPackage(dir_.string(), Manifest(), "x").ok());
  Replace("clear_below: 0.5", "clear_below: 0.9");
  auto p = LoadModelPackage(dir_.string());
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.status().message(), HasSubstr("must not exceed open_at"));
}

}  // namespace
}  // namespace strata::ml
