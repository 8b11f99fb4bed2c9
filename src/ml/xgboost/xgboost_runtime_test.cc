#include "ml/xgboost/xgboost_runtime.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "ml/xgboost/test_models.h"

namespace strata::ml {
namespace {

using testing::Dataset;

class XgboostRuntimeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto model = testing::StandardModel();
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = new std::string(*model);
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static std::string* model_;
};
std::string* XgboostRuntimeTest::model_ = nullptr;

TEST_F(XgboostRuntimeTest, PredictsAndExplainsLikeXgboost) {
  auto runtime = XgboostRuntime::Load(*model_, 32);
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  ModelRuntime& model = **runtime;
  EXPECT_EQ(model.kind(), "xgboost");
  EXPECT_EQ(model.num_features(), 32u);
  EXPECT_TRUE(model.can_explain());

  Dataset data = testing::RandomDataset({.rows = 300, .seed = 31, .missing_fraction = 0.2});
  std::vector<float> scores(data.rows);
  ASSERT_TRUE(model.Predict(data.X, scores).ok());
  auto expected = testing::XgboostPredict(*model_, data.X, 32, 0);
  ASSERT_TRUE(expected.ok()) << expected.status().ToString();
  for (size_t r = 0; r < data.rows; ++r) {
    ASSERT_NEAR(scores[r], (*expected)[r], 1e-6) << "row " << r;
    EXPECT_GE(scores[r], 0.0f);
    EXPECT_LE(scores[r], 1.0f);
  }

  std::vector<float> contributions(data.rows * 33);
  ASSERT_TRUE(model.Explain(data.X, contributions).ok());
  auto reference = testing::XgboostPredict(*model_, data.X, 32, 2);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  for (size_t i = 0; i < contributions.size(); ++i) {
    ASSERT_NEAR(contributions[i], (*reference)[i], 1e-5) << "row " << i / 33 << " col " << i % 33;
  }
}

size_t ThreadCount() {
  size_t n = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++n;
  }
  return n;
}

// An edge loads models at run time: loading, predicting and explaining start no threads (no
// XGBoost call, hence no OpenMP pool; the fixture's training ran on one XGBoost thread).
TEST_F(XgboostRuntimeTest, StartsNoThreads) {
  const size_t before = ThreadCount();
  auto runtime = XgboostRuntime::Load(*model_, 32);
  ASSERT_TRUE(runtime.ok()) << runtime.status().ToString();
  std::vector<float> rows(32, 0.25f), score(1), contributions(33);
  ASSERT_TRUE((*runtime)->Predict(rows, score).ok());
  ASSERT_TRUE((*runtime)->Explain(rows, contributions).ok());
  EXPECT_EQ(ThreadCount(), before);
}

TEST_F(XgboostRuntimeTest, RefusesAModelWithAnotherFeatureCount) {
  auto runtime = XgboostRuntime::Load(*model_, 31);
  ASSERT_FALSE(runtime.ok());
  EXPECT_EQ(runtime.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(runtime.status().message().find("num_feature 32"), std::string::npos)
      << runtime.status().message();
}

TEST_F(XgboostRuntimeTest, RefusesCorruptBytes) {
  for (std::string bytes : {std::string(), std::string("{}"), model_->substr(0, 1000),
                            std::string("\x00\x01\x02", 3)}) {
    auto runtime = XgboostRuntime::Load(bytes, 32);
    EXPECT_FALSE(runtime.ok());
    EXPECT_EQ(runtime.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST_F(XgboostRuntimeTest, RefusesWrongSizes) {
  auto runtime = XgboostRuntime::Load(*model_, 32);
  ASSERT_TRUE(runtime.ok());
  std::vector<float> rows(64), scores(3), contributions(65);
  EXPECT_EQ((*runtime)->Predict(rows, scores).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*runtime)->Explain(rows, contributions).code(), StatusCode::kInvalidArgument);
  rows.resize(63);
  scores.resize(2);
  EXPECT_EQ((*runtime)->Predict(rows, scores).code(), StatusCode::kInvalidArgument);
}

// An independent check: Debian's python3-xgboost (same library, a different front end and
// DMatrix path) computes pred_contribs for the model file and rows this test writes.
TEST_F(XgboostRuntimeTest, MatchesPythonXgboostPredContribs) {
  const char* python = "/usr/bin/python3";
  ASSERT_TRUE(std::filesystem::exists(python))
      << python << " is missing: install python3-xgboost (scripts/debian-packages.txt)";
  const std::filesystem::path dir = std::filesystem::path(::testing::TempDir()) /
                                    ("strata_ml_python_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Dataset data = testing::RandomDataset({.rows = 200, .seed = 41, .missing_fraction = 0.25});
  {
    std::ofstream model(dir / "model.json", std::ios::binary);
    model << *model_;
    std::ofstream rows(dir / "rows.f32", std::ios::binary);
    rows.write(reinterpret_cast<const char*>(data.X.data()),
               static_cast<std::streamsize>(data.X.size() * sizeof(float)));
  }
  const std::string script =
      "import sys, numpy as np, xgboost as xgb\n"
      "d = sys.argv[1]\n"
      "X = np.fromfile(d + '/rows.f32', dtype=np.float32).reshape(-1, 32)\n"
      "b = xgb.Booster(model_file=d + '/model.json')\n"
      "c = b.predict(xgb.DMatrix(X, missing=np.nan), pred_contribs=True)\n"
      "c.astype(np.float32).tofile(d + '/contribs.f32')\n";
  {
    std::ofstream out(dir / "contribs.py");
    out << script;
  }
  const std::string command =
      std::string(python) + " " + (dir / "contribs.py").string() + " " + dir.string() + " 2>&1";
  const int rc = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(rc) && WEXITSTATUS(rc) == 0) << command << " failed: " << rc;

  std::ifstream in(dir / "contribs.f32", std::ios::binary);
  std::vector<float> reference(data.rows * 33);
  in.read(reinterpret_cast<char*>(reference.data()),
          static_cast<std::streamsize>(reference.size() * sizeof(float)));
  ASSERT_EQ(static_cast<size_t>(in.gcount()), reference.size() * sizeof(float));

  auto runtime = XgboostRuntime::Load(*model_, 32);
  ASSERT_TRUE(runtime.ok());
  std::vector<float> ours(data.rows * 33);
  ASSERT_TRUE((*runtime)->Explain(data.X, ours).ok());
  for (size_t i = 0; i < ours.size(); ++i) {
    ASSERT_NEAR(ours[i], reference[i], 1e-5) << "row " << i / 33 << " col " << i % 33;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace strata::ml
