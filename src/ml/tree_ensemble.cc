#include "ml/tree_ensemble.h"

#include <charconv>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>

namespace strata::ml {
namespace {

using Json = nlohmann::json;

Status ModelError(std::string what) {
  return InvalidArgumentError("XGBoost JSON model: " + std::move(what));
}

// The object at `key` of `parent`, or an error naming `where`.
StatusOr<const Json*> Member(const Json& parent, std::string_view key, std::string_view where) {
  if (!parent.is_object()) return ModelError(std::string(where) + " is not an object");
  auto it = parent.find(key);
  if (it == parent.end()) {
    return ModelError("missing key \"" + std::string(key) + "\" in " + std::string(where));
  }
  return &*it;
}

// XGBoost stores its parameters as JSON strings ("num_feature": "32").
StatusOr<double> NumberParam(const Json& parent, std::string_view key, std::string_view where) {
  STRATA_ASSIGN_OR_RETURN(const Json* value, Member(parent, key, where));
  if (value->is_number()) return value->get<double>();
  if (!value->is_string()) {
    return ModelError(std::string(where) + "." + std::string(key) + " is not a number");
  }
  std::string_view text = value->get_ref<const std::string&>();
  // XGBoost 2 writes base_score as a one-element vector: "[5E-1]".
  if (text.size() >= 2 && text.front() == '[' && text.back() == ']') {
    text = text.substr(1, text.size() - 2);
  }
  double out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(out)) {
    return ModelError(std::string(where) + "." + std::string(key) + " = \"" + std::string(text) +
                      "\" is not a number");
  }
  return out;
}

StatusOr<size_t> CountParam(const Json& parent, std::string_view key, std::string_view where,
                            double max) {
  STRATA_ASSIGN_OR_RETURN(double value, NumberParam(parent, key, where));
  if (value < 0 || value > max || value != std::floor(value)) {
    return ModelError(std::string(where) + "." + std::string(key) + " = " + std::to_string(value) +
                      " is not a count in [0, " + std::to_string(max) + "]");
  }
  return static_cast<size_t>(value);
}

// A numeric array of exactly `size` elements.
StatusOr<const Json*> NumberArray(const Json& tree, std::string_view key, size_t size,
                                  const std::string& where) {
  STRATA_ASSIGN_OR_RETURN(const Json* array, Member(tree, key, where));
  if (!array->is_array() || array->size() != size) {
    return ModelError(where + "." + std::string(key) + " is not an array of num_nodes (" +
                      std::to_string(size) + ") numbers");
  }
  for (const Json& element : *array) {
    if (!element.is_number()) {
      return ModelError(where + "." + std::string(key) + " holds a non-number");
    }
  }
  return array;
}

StatusOr<TreeObjective> ParseObjective(const Json& learner) {
  STRATA_ASSIGN_OR_RETURN(const Json* objective, Member(learner, "objective", "learner"));
  STRATA_ASSIGN_OR_RETURN(const Json* name, Member(*objective, "name", "learner.objective"));
  if (!name->is_string()) return ModelError("learner.objective.name is not a string");
  const std::string& text = name->get_ref<const std::string&>();
  if (text == "binary:logistic") return TreeObjective::kBinaryLogistic;
  if (text == "reg:logistic") return TreeObjective::kRegLogistic;
  if (text == "reg:squarederror") return TreeObjective::kSquaredError;
  return ModelError("objective \"" + text +
                    "\" is not supported; train with binary:logistic, reg:logistic or "
                    "reg:squarederror");
}

bool IsLogistic(TreeObjective objective) {
  return objective == TreeObjective::kBinaryLogistic || objective == TreeObjective::kRegLogistic;
}

// One tree from XGBoost's arrays, re-laid breadth-first from the root so that a parent comes
// before its children and siblings are adjacent. Nodes not reachable from the root (XGBoost's
// deleted nodes) are dropped.
StatusOr<Tree> ParseTree(const Json& json, size_t index, size_t num_features) {
  const std::string where = "trees[" + std::to_string(index) + "]";
  if (!json.is_object()) return ModelError(where + " is not an object");
  STRATA_ASSIGN_OR_RETURN(const Json* tree_param, Member(json, "tree_param", where));
  STRATA_ASSIGN_OR_RETURN(size_t num_nodes,
                          CountParam(*tree_param, "num_nodes", where + ".tree_param", 1 << 28));
  if (num_nodes == 0) return ModelError(where + " has no nodes");
  if (auto it = tree_param->find("size_leaf_vector"); it != tree_param->end()) {
    STRATA_ASSIGN_OR_RETURN(size_t leaf_vector, CountParam(*tree_param, "size_leaf_vector",
                                                           where + ".tree_param", 1 << 20));
    if (leaf_vector > 1) {
      return ModelError(where + " has vector leaves (multi-target model): not supported");
    }
  }
  STRATA_ASSIGN_OR_RETURN(const Json* left, NumberArray(json, "left_children", num_nodes, where));
  STRATA_ASSIGN_OR_RETURN(const Json* right, NumberArray(json, "right_children", num_nodes, where));
  STRATA_ASSIGN_OR_RETURN(const Json* split_index,
                          NumberArray(json, "split_indices", num_nodes, where));
  STRATA_ASSIGN_OR_RETURN(const Json* split_condition,
                          NumberArray(json, "split_conditions", num_nodes, where));
  STRATA_ASSIGN_OR_RETURN(const Json* default_left,
                          NumberArray(json, "default_left", num_nodes, where));
  STRATA_ASSIGN_OR_RETURN(const Json* sum_hessian,
                          NumberArray(json, "sum_hessian", num_nodes, where));
  if (auto it = json.find("split_type"); it != json.end()) {
    if (!it->is_array()) return ModelError(where + ".split_type is not an array");
    for (const Json& type : *it) {
      if (!type.is_number() || type.get<double>() != 0) {
        return ModelError(where + " has categorical splits: not supported");
      }
    }
  }

  auto child = [&](const Json& array, size_t node) -> int64_t {
    double value = array[node].get<double>();
    if (value != std::floor(value) || value < -1 || value >= static_cast<double>(num_nodes)) {
      return -2;
    }
    return static_cast<int64_t>(value);
  };

  Tree tree;
  tree.nodes.reserve(num_nodes);
  tree.cover.reserve(num_nodes);
  std::vector<size_t> source;   // source[i]: XGBoost's index of our node i
  std::vector<uint32_t> depth;  // depth[i]: edges from the root to our node i
  std::vector<uint8_t> seen(num_nodes, 0);
  source.push_back(0);
  depth.push_back(0);
  seen[0] = 1;
  tree.nodes.emplace_back();
  for (size_t i = 0; i < source.size(); ++i) {
    const size_t from = source[i];
    const std::string node_where = where + " node " + std::to_string(from);
    const int64_t l = child(*left, from);
    const int64_t r = child(*right, from);
    const float cover = static_cast<float>((*sum_hessian)[from].get<double>());
    tree.cover.push_back(cover);
    const double condition = (*split_condition)[from].get<double>();
    if (!std::isfinite(condition)) {
      return ModelError(node_where + " has a split condition or leaf value that is not finite");
    }
    TreeNode& node = tree.nodes[i];
    node.value = static_cast<float>(condition);
    if (l == -1 && r == -1) continue;  // a leaf
    if (l < 0 || r < 0) {
      return ModelError(node_where + " has child indices out of range [0, num_nodes)");
    }
    if (seen[static_cast<size_t>(l)] || seen[static_cast<size_t>(r)] || l == r) {
      return ModelError(node_where + " has a child that is already in the tree (a cycle)");
    }
    if (depth[i] + 1 > TreeEnsemble::kMaxDepth) {
      return ModelError(where + " is deeper than " + std::to_string(TreeEnsemble::kMaxDepth) +
                        " levels: not supported");
    }
    const double feature = (*split_index)[from].get<double>();
    if (feature < 0 || feature >= static_cast<double>(num_features) ||
        feature != std::floor(feature)) {
      return ModelError(node_where + " splits on feature " + std::to_string(feature) +
                        ", outside [0, num_feature = " + std::to_string(num_features) + ")");
    }
    node.feature = static_cast<uint32_t>(feature);
    node.default_left = (*default_left)[from].get<double>() != 0 ? 1 : 0;
    node.left = static_cast<int32_t>(tree.nodes.size());
    seen[static_cast<size_t>(l)] = 1;
    seen[static_cast<size_t>(r)] = 1;
    source.push_back(static_cast<size_t>(l));
    source.push_back(static_cast<size_t>(r));
    depth.push_back(depth[i] + 1);
    depth.push_back(depth[i] + 1);
    tree.nodes.emplace_back();  // invalidates `node`
    tree.nodes.emplace_back();
  }
  return tree;
}

struct ParsedModel {
  size_t num_features = 0;
  TreeObjective objective = TreeObjective::kSquaredError;
  float base_margin = 0;
  std::vector<Tree> trees;
};

Status Parse(const Json& root, ParsedModel& out) {
  size_t& num_features = out.num_features;
  TreeObjective& objective = out.objective;
  float& base_margin = out.base_margin;
  std::vector<Tree>& trees = out.trees;
  STRATA_ASSIGN_OR_RETURN(const Json* learner, Member(root, "learner", "the model"));
  STRATA_ASSIGN_OR_RETURN(objective, ParseObjective(*learner));

  STRATA_ASSIGN_OR_RETURN(const Json* param, Member(*learner, "learner_model_param", "learner"));
  STRATA_ASSIGN_OR_RETURN(
      num_features, CountParam(*param, "num_feature", "learner.learner_model_param", 1 << 24));
  if (num_features == 0) return ModelError("learner_model_param.num_feature is 0");
  if (param->contains("num_class")) {
    STRATA_ASSIGN_OR_RETURN(size_t num_class,
                            CountParam(*param, "num_class", "learner.learner_model_param", 1e6));
    if (num_class > 1) return ModelError("multi-class models are not supported");
  }
  if (param->contains("num_target")) {
    STRATA_ASSIGN_OR_RETURN(size_t num_target,
                            CountParam(*param, "num_target", "learner.learner_model_param", 1e6));
    if (num_target > 1) return ModelError("multi-target models are not supported");
  }
  STRATA_ASSIGN_OR_RETURN(double base_score,
                          NumberParam(*param, "base_score", "learner.learner_model_param"));
  const float base = static_cast<float>(base_score);
  if (IsLogistic(objective)) {
    if (!(base > 0 && base < 1)) {
      return ModelError("base_score " + std::to_string(base_score) +
                        " is not a probability in (0, 1) for a logistic objective");
    }
    base_margin = -std::log(1.0f / base - 1.0f);  // XGBoost's ProbToMargin, in float
  } else {
    base_margin = base;
  }

  STRATA_ASSIGN_OR_RETURN(const Json* booster, Member(*learner, "gradient_booster", "learner"));
  STRATA_ASSIGN_OR_RETURN(const Json* booster_name,
                          Member(*booster, "name", "learner.gradient_booster"));
  if (!booster_name->is_string() || *booster_name != "gbtree") {
    return ModelError("booster " + booster_name->dump() + " is not supported; train with gbtree");
  }
  STRATA_ASSIGN_OR_RETURN(const Json* model, Member(*booster, "model", "gradient_booster"));
  STRATA_ASSIGN_OR_RETURN(const Json* json_trees, Member(*model, "trees", "gbtree model"));
  if (!json_trees->is_array()) return ModelError("gbtree model.trees is not an array");
  if (auto it = model->find("tree_info"); it != model->end()) {
    if (!it->is_array() || it->size() != json_trees->size()) {
      return ModelError("gbtree model.tree_info does not have one entry per tree");
    }
    for (const Json& group : *it) {
      if (!group.is_number() || group.get<double>() != 0) {
        return ModelError("trees of several output groups (multi-class): not supported");
      }
    }
  }
  trees.clear();
  trees.reserve(json_trees->size());
  for (size_t t = 0; t < json_trees->size(); ++t) {
    STRATA_ASSIGN_OR_RETURN(Tree tree, ParseTree((*json_trees)[t], t, num_features));
    trees.push_back(std::move(tree));
  }
  return Status::Ok();
}

}  // namespace

std::string_view TreeObjectiveName(TreeObjective objective) {
  switch (objective) {
    case TreeObjective::kBinaryLogistic:
      return "binary:logistic";
    case TreeObjective::kRegLogistic:
      return "reg:logistic";
    case TreeObjective::kSquaredError:
      return "reg:squarederror";
  }
  return "unknown";
}

StatusOr<TreeEnsemble> TreeEnsemble::FromXgboostJson(std::string_view json) {
  Json root = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return ModelError("the bytes are not valid JSON (" + std::to_string(json.size()) +
                      " bytes); save the model with XGBoosterSaveModelToBuffer format json");
  }
  ParsedModel parsed;
  try {
    STRATA_RETURN_IF_ERROR(Parse(root, parsed));
  } catch (const Json::exception& e) {
    // Every access in Parse is type-checked first; this is a backstop, not the error path.
    return ModelError(std::string("unexpected structure: ") + e.what());
  }
  TreeEnsemble ensemble;
  ensemble.num_features_ = parsed.num_features;
  ensemble.objective_ = parsed.objective;
  ensemble.base_margin_ = parsed.base_margin;
  ensemble.trees_ = std::move(parsed.trees);
  return ensemble;
}

float TreeEnsemble::PredictMargin(std::span<const float> row) const {
  float margin = base_margin_;
  for (const Tree& tree : trees_) {
    const TreeNode* nodes = tree.nodes.data();
    const TreeNode* node = nodes;
    while (node->left >= 0) {
      const float x = row[node->feature];
      // Branch-free (the direction is unpredictable); NaN compares false, so a missing value
      // goes left only when the split's default is left.
      const uint32_t go_left = static_cast<uint32_t>(x < node->value) |
                               (static_cast<uint32_t>(std::isnan(x)) & node->default_left);
      node = nodes + node->left + (go_left ^ 1);
    }
    margin += node->value;
  }
  return margin;
}

float TreeEnsemble::Transform(float margin) const {
  if (IsLogistic(objective_)) return 1.0f / (1.0f + std::exp(-margin));
  return margin;
}

Status TreeEnsemble::PredictBatch(std::span<const float> rows, std::span<float> scores,
                                  bool margin) const {
  if (rows.size() % num_features_ != 0) {
    return InvalidArgumentError("predict: " + std::to_string(rows.size()) +
                                " values are not a whole number of rows of " +
                                std::to_string(num_features_) + " features");
  }
  const size_t n = rows.size() / num_features_;
  if (scores.size() != n) {
    return InvalidArgumentError("predict: " + std::to_string(n) + " rows need " +
                                std::to_string(n) + " scores, got room for " +
                                std::to_string(scores.size()));
  }
  for (size_t r = 0; r < n; ++r) {
    const float m = PredictMargin(rows.subspan(r * num_features_, num_features_));
    scores[r] = margin ? m : Transform(m);
  }
  return Status::Ok();
}

}  // namespace strata::ml
