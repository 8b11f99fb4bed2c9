#include "ml/tree_shap.h"

#include <gtest/gtest.h>

#include <cmath>
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

}  // namespace
}  // namespace strata::ml
