#include "ml/tree_ensemble.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ml/xgboost/test_models.h"
#include "ml/xgboost/xgboost_trainer.h"

namespace strata::ml {
namespace {

using testing::Dataset;
using testing::DatasetOptions;

std::string Train(const Dataset& data, TrainParams params) {
  auto model = TrainXgboost(params, data.X, data.features, data.y);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : std::string();
}

// Our margins and scores equal XGBoost's on every row of `data`.
void ExpectPredictionsMatch(const std::string& model_json, const Dataset& data) {
  auto ensemble = TreeEnsemble::FromXgboostJson(model_json);
  ASSERT_TRUE(ensemble.ok()) << ensemble.status().ToString();
  for (int type : {0, 1}) {
    auto reference = testing::XgboostPredict(model_json, data.X, data.features, type);
    ASSERT_TRUE(reference.ok()) << reference.status().ToString();
    std::vector<float> ours(data.rows);
    ASSERT_TRUE(ensemble->PredictBatch(data.X, ours, /*margin=*/type == 1).ok());
    for (size_t r = 0; r < data.rows; ++r) {
      const float expected = (*reference)[r];
      ASSERT_NEAR(ours[r], expected, 1e-6 * std::max(1.0f, std::abs(expected)))
          << "row " << r << " type " << type;
    }
  }
}

TEST(TreeEnsembleTest, StandardModelPredictsLikeXgboost) {
  Dataset train;
  auto model = testing::StandardModel(&train);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto ensemble = TreeEnsemble::FromXgboostJson(*model);
  ASSERT_TRUE(ensemble.ok()) << ensemble.status().ToString();
  EXPECT_EQ(ensemble->num_features(), 32u);
  EXPECT_EQ(ensemble->trees().size(), 100u);
  EXPECT_EQ(ensemble->objective(), TreeObjective::kBinaryLogistic);
  Dataset test = testing::RandomDataset({.rows = 500, .seed = 99, .missing_fraction = 0.2});
  ExpectPredictionsMatch(*model, test);
  ExpectPredictionsMatch(*model, train);
}

TEST(TreeEnsembleTest, RegressionAndDepthOneAndAllMissingRows) {
  Dataset data = testing::RandomDataset({.rows = 1000, .seed = 3, .regression = true});
  ExpectPredictionsMatch(
      Train(data, {.rounds = 30, .max_depth = 4, .objective = "reg:squarederror"}), data);
  Dataset binary = testing::RandomDataset({.rows = 1000, .seed = 4, .missing_fraction = 0.3});
  ExpectPredictionsMatch(Train(binary, {.rounds = 20, .max_depth = 1}), binary);
  Dataset missing = binary;
  std::fill(missing.X.begin(), missing.X.end(), std::nanf(""));
  ExpectPredictionsMatch(Train(binary, {.rounds = 20, .max_depth = 5}), missing);
}

TEST(TreeEnsembleTest, SingleLeafTrees) {
  // A constant target gives every row the same gradient: no split gains, one leaf per tree.
  Dataset data = testing::RandomDataset({.rows = 200, .features = 5, .seed = 5});
  std::fill(data.y.begin(), data.y.end(), 2.0f);
  const std::string model = Train(data, {.rounds = 5, .objective = "reg:squarederror"});
  auto ensemble = TreeEnsemble::FromXgboostJson(model);
  ASSERT_TRUE(ensemble.ok()) << ensemble.status().ToString();
  for (const Tree& tree : ensemble->trees()) EXPECT_EQ(tree.nodes.size(), 1u);
  ExpectPredictionsMatch(model, data);
}

TEST(TreeEnsembleTest, PredictBatchRefusesWrongSizes) {
  Dataset data = testing::RandomDataset({.rows = 100, .features = 4, .seed = 6});
  auto ensemble = TreeEnsemble::FromXgboostJson(Train(data, {.rounds = 3, .max_depth = 2}));
  ASSERT_TRUE(ensemble.ok());
  std::vector<float> rows(9), scores(2);
  EXPECT_EQ(ensemble->PredictBatch(rows, scores).code(), StatusCode::kInvalidArgument);
  rows.resize(8);
  scores.resize(3);
  EXPECT_EQ(ensemble->PredictBatch(rows, scores).code(), StatusCode::kInvalidArgument);
}

class CorruptModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Dataset data = testing::RandomDataset({.rows = 300, .features = 6, .seed = 8});
    model_ = Train(data, {.rounds = 3, .max_depth = 3});
    json_ = nlohmann::json::parse(model_);
  }
  // Parsing `json` fails with invalid_argument and a message containing `needle`.
  void ExpectRefused(const nlohmann::json& json, const std::string& needle) {
    auto parsed = TreeEnsemble::FromXgboostJson(json.dump());
    ASSERT_FALSE(parsed.ok()) << "accepted a model that should fail with " << needle;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find(needle), std::string::npos)
        << parsed.status().message();
  }
  nlohmann::json& tree0() { return json_["learner"]["gradient_booster"]["model"]["trees"][0]; }

  std::string model_;
  nlohmann::json json_;
};

TEST_F(CorruptModelTest, NotJsonOrTruncated) {
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson("").ok());
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson("not json").ok());
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson("[1, 2]").ok());
  EXPECT_FALSE(TreeEnsemble::FromXgboostJson("{\"learner\": 3}").ok());
  for (size_t cut = 0; cut < model_.size(); cut += 37) {
    EXPECT_FALSE(TreeEnsemble::FromXgboostJson(model_.substr(0, cut)).ok()) << cut;
  }
}

TEST_F(CorruptModelTest, FlippedBytesNeverCrash) {
  // Any outcome but a crash or an out-of-range read (the debug preset runs this under ASan).
  for (size_t i = 0; i < model_.size(); i += 11) {
    std::string bytes = model_;
    bytes[i] = static_cast<char>(bytes[i] ^ 0x05);
    auto parsed = TreeEnsemble::FromXgboostJson(bytes);
    if (parsed.ok()) {
      std::vector<float> row(parsed->num_features(), 0.5f);
      EXPECT_TRUE(std::isfinite(parsed->PredictMargin(row)));
    }
  }
}

TEST_F(CorruptModelTest, StructuralErrorsAreNamed) {
  auto j = json_;
  j["learner"]["objective"]["name"] = "multi:softprob";
  ExpectRefused(j, "multi:softprob");
  j = json_;
  j["learner"]["gradient_booster"]["name"] = "gblinear";
  ExpectRefused(j, "gblinear");
  j = json_;
  j["learner"]["learner_model_param"]["num_class"] = "3";
  ExpectRefused(j, "multi-class");
  j = json_;
  j["learner"]["learner_model_param"]["num_feature"] = "many";
  ExpectRefused(j, "num_feature");
  j = json_;
  j["learner"]["learner_model_param"].erase("base_score");
  ExpectRefused(j, "base_score");

  tree0()["left_children"][0] = 1000;
  ExpectRefused(json_, "trees[0] node 0");
  SetUp();
  tree0()["left_children"][0] = 0;  // the root is its own child
  ExpectRefused(json_, "cycle");
  SetUp();
  tree0()["split_indices"][0] = 6;
  ExpectRefused(json_, "feature 6");
  SetUp();
  tree0()["sum_hessian"].erase(0);
  ExpectRefused(json_, "sum_hessian");
  SetUp();
  tree0()["split_conditions"][1] = "x";
  ExpectRefused(json_, "split_conditions");
  SetUp();
  tree0()["split_type"][0] = 1;
  ExpectRefused(json_, "categorical");
  SetUp();
  tree0()["tree_param"].erase("num_nodes");
  ExpectRefused(json_, "num_nodes");
}

}  // namespace
}  // namespace strata::ml
