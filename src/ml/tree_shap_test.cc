#include "ml/tree_shap.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "ml/tree_ensemble.h"
#include "ml/xgboost/test_models.h"
#include "ml/xgboost/xgboost_trainer.h"

namespace strata::ml {
namespace {

using testing::Dataset;

std::string Train(const Dataset& data, TrainParams params) {
  auto model = TrainXgboost(params, data.X, data.features, data.y);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? *model : std::string();
}

// Our contributions equal XGBoost's pred_contribs to 1e-5 on every row of `data`, and each row
// sums to XGBoost's margin.
void ExpectShapMatches(const std::string& model_json, const Dataset& data,
                       size_t table_budget = TreeShap::kDefaultTableBudgetBytes) {
  auto ensemble = TreeEnsemble::FromXgboostJson(model_json);
  ASSERT_TRUE(ensemble.ok()) << ensemble.status().ToString();
  auto shap = TreeShap::Build(*ensemble, table_budget);
  ASSERT_TRUE(shap.ok()) << shap.status().ToString();
  if (table_budget == 0) {
    EXPECT_EQ(shap->table_bytes(), 0u);
  }
  auto reference = testing::XgboostPredict(model_json, data.X, data.features, 2);
  ASSERT_TRUE(reference.ok()) << reference.status().ToString();
  auto margins = testing::XgboostPredict(model_json, data.X, data.features, 1);
  ASSERT_TRUE(margins.ok()) << margins.status().ToString();
  const size_t width = data.features + 1;
  ASSERT_EQ(reference->size(), data.rows * width);
  std::vector<float> ours(data.rows * width);
  ASSERT_TRUE(shap->Explain(data.X, ours).ok());

  for (size_t r = 0; r < data.rows; ++r) {
    double sum = 0;
    for (size_t j = 0; j < width; ++j) {
      const float a = ours[r * width + j];
      const float b = (*reference)[r * width + j];
      ASSERT_NEAR(a, b, 1e-5) << "row " << r << " feature " << j;
      sum += a;
    }
    ASSERT_NEAR(sum, (*margins)[r], 1e-4) << "row " << r << " does not sum to its margin";
  }
}

TEST(TreeShapTest, StandardModelMatchesXgboostOnEveryRow) {
  Dataset train;
  auto model = testing::StandardModel(&train);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ExpectShapMatches(*model,
                    testing::RandomDataset({.rows = 1000, .seed = 77, .missing_fraction = 0.15}));
  ExpectShapMatches(*model, train);
}

TEST(TreeShapTest, DirectComputationMatchesTables) {
  Dataset data =
      testing::RandomDataset({.rows = 1500, .features = 12, .seed = 10, .missing_fraction = 0.1});
  const std::string model = Train(data, {.rounds = 20, .max_depth = 6});
  ExpectShapMatches(model, data, /*table_budget=*/0);
  ExpectShapMatches(model, data, /*table_budget=*/64 << 10);  // some leaves of each kind
}

TEST(TreeShapTest, DeepTreesBeyondTheTableLimit) {
  Dataset data =
      testing::RandomDataset({.rows = 3000, .features = 24, .seed = 11, .missing_fraction = 0.05});
  ExpectShapMatches(Train(data, {.rounds = 5, .max_depth = 13, .tree_method = "exact"}), data);
}

TEST(TreeShapTest, DepthOneRegressionAndUnusedFeatures) {
  Dataset binary = testing::RandomDataset({.rows = 800, .seed = 12, .missing_fraction = 0.2});
  ExpectShapMatches(Train(binary, {.rounds = 50, .max_depth = 1}), binary);
  Dataset regression = testing::RandomDataset({.rows = 800,
                                               .features = 16,
                                               .seed = 13,
                                               .missing_fraction = 0.1,
                                               .unused_features = 6,
                                               .regression = true});
  const std::string model =
      Train(regression, {.rounds = 40, .max_depth = 6, .objective = "reg:squarederror"});
  ExpectShapMatches(model, regression);
  auto shap = TreeShap::Build(*TreeEnsemble::FromXgboostJson(model));
  ASSERT_TRUE(shap.ok());
  std::vector<float> out(regression.rows * 17);
  ASSERT_TRUE(shap->Explain(regression.X, out).ok());
  for (size_t r = 0; r < regression.rows; ++r) {
    for (size_t j = 10; j < 16; ++j) EXPECT_EQ(out[r * 17 + j], 0.0f) << r << " " << j;
  }
}

TEST(TreeShapTest, SingleLeafTreesGiveOnlyBias) {
  Dataset data = testing::RandomDataset({.rows = 100, .features = 5, .seed = 14});
  std::fill(data.y.begin(), data.y.end(), 2.0f);
  ExpectShapMatches(Train(data, {.rounds = 4, .objective = "reg:squarederror"}), data);
}

TEST(TreeShapTest, RowsWithEveryFeatureMissing) {
  Dataset train = testing::RandomDataset({.rows = 1000, .seed = 15, .missing_fraction = 0.3});
  const std::string model = Train(train, {.rounds = 30, .max_depth = 6});
  Dataset missing = train;
  missing.rows = 10;
  missing.X.assign(10 * train.features, std::nanf(""));
  ExpectShapMatches(model, missing);
}

TEST(TreeShapTest, ExplainRefusesWrongSizes) {
  Dataset data = testing::RandomDataset({.rows = 100, .features = 4, .seed = 16});
  auto ensemble = TreeEnsemble::FromXgboostJson(Train(data, {.rounds = 3, .max_depth = 2}));
  ASSERT_TRUE(ensemble.ok());
  auto shap = TreeShap::Build(*ensemble);
  ASSERT_TRUE(shap.ok());
  std::vector<float> rows(8), out(9);
  EXPECT_EQ(shap->Explain(rows, out).code(), StatusCode::kInvalidArgument);
  out.resize(10);
  EXPECT_TRUE(shap->Explain(rows, out).ok());
  rows.resize(7);
  EXPECT_EQ(shap->Explain(rows, out).code(), StatusCode::kInvalidArgument);
}

// A model written by hand in XGBoost's JSON layout: `nodes` entries of
// {left, right, feature, condition (threshold or leaf value), default_left, cover}.
struct HandNode {
  int left, right, feature;
  double condition;
  int default_left;
  double cover;
};
std::string HandModel(const std::vector<HandNode>& nodes, size_t num_features,
                      const std::string& objective = "reg:squarederror") {
  nlohmann::json tree;
  for (const HandNode& n : nodes) {
    tree["left_children"].push_back(n.left);
    tree["right_children"].push_back(n.right);
    tree["split_indices"].push_back(n.feature);
    tree["split_conditions"].push_back(n.condition);
    tree["default_left"].push_back(n.default_left);
    tree["sum_hessian"].push_back(n.cover);
  }
  tree["tree_param"] = {{"num_nodes", std::to_string(nodes.size())}};
  nlohmann::json model;
  model["learner"]["objective"]["name"] = objective;
  model["learner"]["learner_model_param"] = {{"num_feature", std::to_string(num_features)},
                                             {"base_score", "[5E-1]"}};
  model["learner"]["gradient_booster"]["name"] = "gbtree";
  model["learner"]["gradient_booster"]["model"]["trees"].push_back(tree);
  return model.dump();
}

TEST(TreeShapTest, OneSplitByHand) {
  // x0 < 0.5 → -1 (cover 4), else 2 (cover 6). Bias = 0.5 + (4·-1 + 6·2)/10 = 1.3; a row
  // going left has phi_0 = -1 - 0.8 = -1.8, a row going right 2 - 0.8 = 1.2, and a missing
  // x0 follows default_left (right here).
  const std::string model =
      HandModel({{1, 2, 0, 0.5, 0, 10}, {-1, -1, 0, -1.0, 0, 4}, {-1, -1, 0, 2.0, 0, 6}}, 2);
  auto ensemble = TreeEnsemble::FromXgboostJson(model);
  ASSERT_TRUE(ensemble.ok()) << ensemble.status().ToString();
  auto shap = TreeShap::Build(*ensemble);
  ASSERT_TRUE(shap.ok());
  const std::vector<float> rows = {0.0f, 7.0f, 0.9f, 7.0f, std::nanf(""), 7.0f};
  std::vector<float> out(9);
  ASSERT_TRUE(shap->Explain(rows, out).ok());
  const std::vector<float> expected = {-1.8f, 0, 1.3f, 1.2f, 0, 1.3f, 1.2f, 0, 1.3f};
  for (size_t i = 0; i < out.size(); ++i) EXPECT_NEAR(out[i], expected[i], 1e-6) << i;
  EXPECT_FLOAT_EQ(ensemble->PredictMargin(std::span(rows).subspan(0, 2)), -0.5f);
  EXPECT_FLOAT_EQ(ensemble->PredictMargin(std::span(rows).subspan(4, 2)), 2.5f);
}

TEST(TreeShapTest, RefusesTreesDeeperThanTheLimit) {
  // A chain: node 2k splits into a leaf (2k+1) and the next split (2k+2).
  auto chain = [](size_t depth) {
    std::vector<HandNode> nodes;
    for (size_t d = 0; d < depth; ++d) {
      const int i = static_cast<int>(nodes.size());
      nodes.push_back({i + 1, i + 2, 0, 0.5, 1, 1});
      nodes.push_back({-1, -1, 0, 1.0, 0, 0.5});
    }
    nodes.push_back({-1, -1, 0, 2.0, 0, 0.5});
    return HandModel(nodes, 1);
  };
  auto ok = TreeEnsemble::FromXgboostJson(chain(TreeEnsemble::kMaxDepth));
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(TreeShap::Build(*ok).ok());
  auto deep = TreeEnsemble::FromXgboostJson(chain(TreeEnsemble::kMaxDepth + 1));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("deeper than"), std::string::npos);
}

}  // namespace
}  // namespace strata::ml
