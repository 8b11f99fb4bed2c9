#include "ml/xgboost/xgboost_trainer.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "ml/xgboost/test_models.h"

namespace strata::ml {
namespace {

TEST(XgboostTrainerTest, SameSeedSameBytes) {
  testing::Dataset data =
      testing::RandomDataset({.rows = 1000, .seed = 21, .missing_fraction = 0.1});
  TrainParams params{.rounds = 20, .max_depth = 6, .seed = 5};
  auto first = TrainXgboost(params, data.X, data.features, data.y);
  auto second = TrainXgboost(params, data.X, data.features, data.y);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(*first, *second);
  // And with another seed and tree method.
  auto sampled = [&](uint32_t seed) {
    TrainParams p = params;
    p.seed = seed;
    p.tree_method = "exact";
    return TrainXgboost(p, data.X, data.features, data.y);
  };
  auto a = sampled(9);
  auto b = sampled(9);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(XgboostTrainerTest, ReportsProgressEveryRound) {
  testing::Dataset data = testing::RandomDataset({.rows = 200, .features = 8, .seed = 22});
  std::vector<std::pair<int, int>> calls;
  auto model = TrainXgboost({.rounds = 7, .max_depth = 3}, data.X, data.features, data.y,
                            [&](int round, int rounds) { calls.emplace_back(round, rounds); });
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(calls.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(calls[static_cast<size_t>(i)], std::make_pair(i + 1, 7));
}

TEST(XgboostTrainerTest, ScalePosWeightReachesTheModel) {
  testing::Dataset data = testing::RandomDataset({.rows = 200, .features = 8, .seed = 23});
  auto model = TrainXgboost({.rounds = 2, .max_depth = 2, .scale_pos_weight = 4.5}, data.X,
                            data.features, data.y);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  EXPECT_NE(model->find(R"("scale_pos_weight":"4.5)"), std::string::npos);
}

TEST(XgboostTrainerTest, RefusesBadInput) {
  testing::Dataset data = testing::RandomDataset({.rows = 50, .features = 4, .seed = 24});
  auto code = [&](const TrainParams& p, std::span<const float> X, size_t nf,
                  std::span<const float> y) { return TrainXgboost(p, X, nf, y).status().code(); };
  const TrainParams ok{.rounds = 2};
  EXPECT_EQ(code(ok, data.X, 5, data.y), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ok, data.X, 0, data.y), StatusCode::kInvalidArgument);
  EXPECT_EQ(code(ok, {}, 4, {}), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.rounds = 0}, data.X, 4, data.y), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.max_depth = 0}, data.X, 4, data.y), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.eta = 0}, data.X, 4, data.y), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.objective = "multi:softmax"}, data.X, 4, data.y), StatusCode::kInvalidArgument);
  std::vector<float> labels = data.y;
  labels[3] = 2.0f;
  EXPECT_EQ(code(ok, data.X, 4, labels), StatusCode::kInvalidArgument);
  EXPECT_EQ(code({.tree_method = "nonsense"}, data.X, 4, data.y), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace strata::ml
