// TreeEnsemble: a gradient-boosted tree model parsed from XGBoost's JSON model format, compact
// enough to evaluate and explain without XGBoost.
//
// Source: the bytes of XGBoosterSaveModelToBuffer(.., {"format": "json"}) (XGBoost 1.7). Only
// what Strata serves is accepted: booster "gbtree", one output (no multi-class, no vector
// leaves), numerical splits, objective binary:logistic, reg:logistic or reg:squarederror.
// Anything else is refused with a Status that says what and where.
//
// Prediction follows XGBoost's arithmetic: the margin starts at the base margin and adds the
// leaf value of each tree in order, in float; a feature goes left when `x < threshold`, and a
// missing feature (NaN) follows the split's default direction. Results match XGBoost's own
// predictions to float rounding (tested to 1e-6).
//
// Threading: immutable after FromXgboostJson; const methods are safe to call concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace strata::ml {

enum class TreeObjective {
  kBinaryLogistic,  // binary:logistic: probability = sigmoid(margin)
  kRegLogistic,     // reg:logistic: same transform
  kSquaredError,    // reg:squarederror: value = margin
};

std::string_view TreeObjectiveName(TreeObjective objective);

// One node of a tree. Nodes are stored breadth-first from the root (index 0): a parent comes
// before its children, and the right child is always `left + 1`.
struct TreeNode {
  float value = 0;            // split threshold (x < value goes left), or the leaf value
  int32_t left = -1;          // index of the left child; -1 for a leaf
  uint32_t feature = 0;       // split feature (column index); 0 for a leaf
  uint32_t default_left = 0;  // 1 when a missing (NaN) feature goes left

  bool is_leaf() const { return left < 0; }
};

struct Tree {
  std::vector<TreeNode> nodes;
  // Per node (same index): XGBoost's `sum_hessian`, the training cover that path-dependent
  // TreeSHAP weighs branches by.
  std::vector<float> cover;
};

class TreeEnsemble {
 public:
  // Deeper trees are refused (XGBoost's default max_depth is 6): it bounds the work per row
  // and TreeShap's precomputation on hostile input.
  static constexpr uint32_t kMaxDepth = 256;

  // Parses an XGBoost JSON model. Errors: invalid_argument naming the key and tree that is
  // wrong (not JSON, missing keys, inconsistent arrays, child indices out of range or forming
  // a cycle, split feature >= num_feature, deeper than kMaxDepth) or unsupported (objective,
  // booster, multi-output, categorical splits). Never throws.
  [[nodiscard]] static StatusOr<TreeEnsemble> FromXgboostJson(std::string_view json);

  size_t num_features() const { return num_features_; }
  TreeObjective objective() const { return objective_; }
  // XGBoost's base_score in margin units (logit of the stored probability for logistic).
  float base_margin() const { return base_margin_; }
  const std::vector<Tree>& trees() const { return trees_; }

  // `row` holds num_features() values; NaN is missing. The margin (log-odds for logistic).
  float PredictMargin(std::span<const float> row) const;
  // Margin → score: sigmoid for the logistic objectives, identity for squared error.
  float Transform(float margin) const;
  float Predict(std::span<const float> row) const { return Transform(PredictMargin(row)); }

  // Scores `rows.size() / num_features()` rows into `scores`; `margin` skips the transform.
  // Errors: rows not a whole number of rows, `scores` of the wrong size.
  [[nodiscard]] Status PredictBatch(std::span<const float> rows, std::span<float> scores,
                                    bool margin = false) const;

 private:
  size_t num_features_ = 0;
  TreeObjective objective_ = TreeObjective::kSquaredError;
  float base_margin_ = 0;
  std::vector<Tree> trees_;
};

}  // namespace strata::ml
