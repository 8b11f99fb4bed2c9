#include "ml/tree_shap.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <utility>

namespace strata::ml {
namespace {

constexpr int kMaxPathFeatures = 64;

// Shapley weights w[k] = k! (u-k-1)! / u! for k in [0, u).
std::array<double, kMaxPathFeatures> ShapleyWeights(int u) {
  std::array<double, kMaxPathFeatures> w{};
  // w[0] = 1/u; w[k+1] = w[k] * (k+1) / (u-k-1).
  w[0] = 1.0 / u;
  for (int k = 0; k + 1 < u; ++k) w[k + 1] = w[k] * (k + 1) / (u - k - 1);
  return w;
}

// The Shapley values of one leaf (value v, u distinct path features with zero fractions z)
// for the row pattern `cold` (bit j set: the row leaves the path at feature j, o_j = 0) into
// out[0..u). See tree_shap.h for the formula.
void LeafShap(const double* z, int u, uint64_t cold, double v,
              const std::array<double, kMaxPathFeatures>& w, double* out) {
  std::array<double, kMaxPathFeatures + 1> e{};
  for (int i = 0; i < u; ++i) {
    // Elementary symmetric polynomials of z over the hot features other than i, and the
    // product of z over the cold features other than i.
    e[0] = 1;
    int m = 0;
    double cold_product = 1;
    for (int j = 0; j < u; ++j) {
      if (j == i) continue;
      if (cold >> j & 1) {
        cold_product *= z[j];
        continue;
      }
      ++m;
      e[m] = 0;
      for (int d = m; d > 0; --d) e[d] += e[d - 1] * z[j];
    }
    double sum = 0;
    for (int k = 0; k <= m; ++k) sum += w[k] * e[m - k];
    const double o = (cold >> i & 1) ? 0.0 : 1.0;
    out[i] = v * (o - z[i]) * cold_product * sum;
  }
}

}  // namespace

StatusOr<TreeShap> TreeShap::Build(const TreeEnsemble& ensemble, size_t table_budget_bytes) {
  TreeShap shap;
  shap.num_features_ = ensemble.num_features();
  float bias = 0;
  size_t table_floats = 0;
  const size_t budget_floats = table_budget_bytes / sizeof(float);
  std::vector<std::array<double, kMaxPathFeatures>> weights;
  for (int u = 0; u <= kMaxPathFeatures; ++u) {
    weights.push_back(u == 0 ? std::array<double, kMaxPathFeatures>{} : ShapleyWeights(u));
  }

  for (size_t t = 0; t < ensemble.trees().size(); ++t) {
    const Tree& tree = ensemble.trees()[t];
    const std::vector<TreeNode>& nodes = tree.nodes;
    const size_t n = nodes.size();

    // The cover-weighted mean leaf value, bottom-up, in float as XGBoost computes its bias.
    std::vector<float> mean(n);
    for (size_t i = n; i-- > 0;) {
      const TreeNode& node = nodes[i];
      if (node.is_leaf()) {
        mean[i] = node.value;
        continue;
      }
      const auto l = static_cast<size_t>(node.left);
      float result = mean[l] * tree.cover[l];
      result += mean[l + 1] * tree.cover[l + 1];
      result /= tree.cover[i];
      mean[i] = result;
    }
    bias += mean[0];

    // Local ids: splits numbered in breadth-first order, then leaves.
    std::vector<uint32_t> local(n);
    std::vector<int32_t> parent(n, -1);
    uint32_t num_splits = 0;
    uint32_t num_leaves = 0;
    for (size_t i = 0; i < n; ++i) {
      if (!nodes[i].is_leaf()) {
        local[i] = num_splits++;
        const auto l = static_cast<size_t>(nodes[i].left);
        parent[l] = static_cast<int32_t>(i);
        parent[l + 1] = static_cast<int32_t>(i);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      if (nodes[i].is_leaf()) local[i] = num_splits + num_leaves++;
    }

    TreeRange range{static_cast<uint32_t>(shap.splits_.size()), num_splits,
                    static_cast<uint32_t>(shap.leaves_.size()), num_leaves};
    shap.trees_.push_back(range);
    shap.max_tree_nodes_ = std::max(shap.max_tree_nodes_, n);

    // Distinct features on the path root → i, in order of first appearance, with the product
    // of the cover ratios of their edges.
    auto path_of = [&](size_t i, std::vector<uint32_t>& features, std::vector<double>& z) {
      std::vector<size_t> chain;
      for (int32_t c = static_cast<int32_t>(i); c >= 0; c = parent[static_cast<size_t>(c)]) {
        chain.push_back(static_cast<size_t>(c));
      }
      features.clear();
      z.clear();
      for (size_t k = chain.size(); k-- > 1;) {
        const size_t from = chain[k];
        const size_t to = chain[k - 1];
        // XGBoost's zero fraction: child cover / parent cover, in float.
        const float ratio = tree.cover[to] / tree.cover[from];
        size_t pos = 0;
        while (pos < features.size() && features[pos] != nodes[from].feature) ++pos;
        if (pos == features.size()) {
          features.push_back(nodes[from].feature);
          z.push_back(1.0);
        }
        z[pos] *= ratio;
      }
    };

    // Splits in breadth-first order; leaves with their paths. Two sibling leaves under a
    // split on a feature new to their path share the same distinct features, and the left
    // one's cold mask determines the right one's (the split's bit flipped): their tables are
    // summed into one, indexed by the left leaf's mask, which halves the lookups per row.
    struct PendingLeaf {
      size_t node;
      std::vector<uint32_t> features;
      std::vector<double> z;
      int64_t partner = -1;  // the right sibling folded into this leaf
      uint64_t partner_bit = 0;
      bool folded = false;  // folded into its left sibling
    };
    std::vector<PendingLeaf> pending;
    std::vector<int64_t> pending_of(n, -1);
    std::vector<uint8_t> new_feature(n, 0);  // the split's feature is not on its path yet
    std::vector<uint32_t> features;
    std::vector<double> z;
    for (size_t i = 0; i < n; ++i) {
      const TreeNode& node = nodes[i];
      path_of(i, features, z);
      if (node.is_leaf()) {
        pending_of[i] = static_cast<int64_t>(pending.size());
        pending.push_back(PendingLeaf{i, features, z});
        continue;
      }
      size_t pos = 0;
      while (pos < features.size() && features[pos] != node.feature) ++pos;
      if (pos >= kMaxPathFeatures) {
        return FailedPreconditionError(
            "TreeSHAP: tree " + std::to_string(t) + " has a path with more than " +
            std::to_string(kMaxPathFeatures) + " distinct features; not explainable");
      }
      new_feature[i] = pos == features.size() ? 1 : 0;
      const auto l = static_cast<size_t>(node.left);
      shap.splits_.push_back(Split{node.value, node.feature, local[l], local[l + 1],
                                   static_cast<uint8_t>(node.default_left),
                                   static_cast<uint8_t>(pos)});
    }
    for (size_t i = 0; i < n; ++i) {
      const TreeNode& node = nodes[i];
      if (node.is_leaf()) continue;
      const auto l = static_cast<size_t>(node.left);
      if (!nodes[l].is_leaf() || !nodes[l + 1].is_leaf() || !new_feature[i]) continue;
      PendingLeaf& left = pending[static_cast<size_t>(pending_of[l])];
      left.partner = pending_of[l + 1];
      left.partner_bit = uint64_t{1} << (left.features.size() - 1);
      pending[static_cast<size_t>(pending_of[l + 1])].folded = true;
    }

    std::vector<double> values;
    std::vector<double> partner_values;
    auto emit_direct = [&](const PendingLeaf& p) {
      shap.leaves_.push_back(Leaf{nodes[p.node].value, static_cast<uint32_t>(p.features.size()),
                                  static_cast<uint32_t>(shap.leaf_features_.size()), false, 0,
                                  local[p.node]});
      shap.leaf_features_.insert(shap.leaf_features_.end(), p.features.begin(), p.features.end());
      shap.leaf_z_.insert(shap.leaf_z_.end(), p.z.begin(), p.z.end());
    };
    for (const PendingLeaf& p : pending) {
      const int u = static_cast<int>(p.features.size());
      if (p.folded || u == 0) continue;  // a tree that is one leaf only adds to the bias
      const size_t size = (size_t{1} << std::min(u, kMaxTableBits)) * static_cast<size_t>(u);
      const PendingLeaf* partner =
          p.partner >= 0 ? &pending[static_cast<size_t>(p.partner)] : nullptr;
      if (u > kMaxTableBits || table_floats + size > budget_floats) {
        emit_direct(p);
        if (partner != nullptr) emit_direct(*partner);
        continue;
      }
      Leaf leaf{nodes[p.node].value,
                static_cast<uint32_t>(u),
                static_cast<uint32_t>(shap.leaf_features_.size()),
                true,
                shap.table_.size(),
                local[p.node]};
      shap.leaf_features_.insert(shap.leaf_features_.end(), p.features.begin(), p.features.end());
      shap.leaf_z_.insert(shap.leaf_z_.end(), p.z.begin(), p.z.end());
      shap.table_.resize(shap.table_.size() + size);
      values.resize(static_cast<size_t>(u));
      partner_values.assign(static_cast<size_t>(u), 0.0);
      const auto& w = weights[static_cast<size_t>(u)];
      for (uint64_t cold = 0; cold < (uint64_t{1} << u); ++cold) {
        LeafShap(p.z.data(), u, cold, nodes[p.node].value, w, values.data());
        if (partner != nullptr) {
          LeafShap(partner->z.data(), u, cold ^ p.partner_bit, nodes[partner->node].value, w,
                   partner_values.data());
        }
        float* row = shap.table_.data() + leaf.table_begin + cold * static_cast<uint64_t>(u);
        for (size_t k = 0; k < static_cast<size_t>(u); ++k) {
          row[k] = static_cast<float>(values[k] + partner_values[k]);
        }
      }
      table_floats += size;
      shap.leaves_.push_back(leaf);
    }
    shap.trees_.back().num_leaves =
        static_cast<uint32_t>(shap.leaves_.size()) - shap.trees_.back().leaf_begin;
  }
  shap.bias_ = bias + ensemble.base_margin();
  return shap;
}

void TreeShap::ExplainRow(const float* row, uint64_t* cold, double* phi) const {
  double direct[kMaxPathFeatures];
  for (const TreeRange& tree : trees_) {
    const Split* splits = splits_.data() + tree.split_begin;
    cold[0] = 0;
    for (uint32_t s = 0; s < tree.num_splits; ++s) {
      const Split& split = splits[s];
      const uint64_t c = cold[s];
      const float x = row[split.feature];
      // Branch-free: which way a row goes is unpredictable, a mispredicted branch per split
      // would cost more than the rest of the loop. NaN compares false, so it goes left only
      // when the split's default is left.
      const uint64_t left =
          static_cast<uint64_t>(x < split.threshold) |
          (static_cast<uint64_t>(std::isnan(x)) & static_cast<uint64_t>(split.default_left));
      cold[split.left] = c | ((left ^ 1) << split.bit);
      cold[split.right] = c | (left << split.bit);
    }
    const Leaf* leaves = leaves_.data() + tree.leaf_begin;
    for (uint32_t l = 0; l < tree.num_leaves; ++l) {
      const Leaf& leaf = leaves[l];
      const uint32_t* features = leaf_features_.data() + leaf.feature_begin;
      const uint32_t u = leaf.u;
      if (leaf.tabulated) {
        const float* values = table_.data() + leaf.table_begin + cold[leaf.node] * u;
        for (uint32_t k = 0; k < u; ++k) phi[features[k]] += values[k];
      } else if (u > 0) {
        const int iu = static_cast<int>(u);
        LeafShap(leaf_z_.data() + leaf.feature_begin, iu, cold[leaf.node], leaf.value,
                 ShapleyWeights(iu), direct);
        for (uint32_t k = 0; k < u; ++k) phi[features[k]] += direct[k];
      }
    }
  }
}

Status TreeShap::Explain(std::span<const float> rows, std::span<float> contributions) const {
  const size_t nf = num_features_;
  if (nf == 0 || rows.size() % nf != 0) {
    return InvalidArgumentError("explain: " + std::to_string(rows.size()) +
                                " values are not a whole number of rows of " + std::to_string(nf) +
                                " features");
  }
  const size_t n = rows.size() / nf;
  if (contributions.size() != n * (nf + 1)) {
    return InvalidArgumentError("explain: " + std::to_string(n) + " rows need " +
                                std::to_string(n * (nf + 1)) + " contributions (" +
                                std::to_string(nf + 1) + " per row), got room for " +
                                std::to_string(contributions.size()));
  }
  std::vector<uint64_t> cold(max_tree_nodes_);
  std::vector<double> phi(nf);
  for (size_t r = 0; r < n; ++r) {
    std::fill(phi.begin(), phi.end(), 0.0);
    ExplainRow(rows.data() + r * nf, cold.data(), phi.data());
    float* out = contributions.data() + r * (nf + 1);
    for (size_t j = 0; j < nf; ++j) out[j] = static_cast<float>(phi[j]);
    out[nf] = bias_;
  }
  return Status::Ok();
}

}  // namespace strata::ml
