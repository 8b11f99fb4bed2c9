#include "ml/tree_shap.h"

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

    std::vector<uint32_t> features;
    std::vector<double> z;
    std::vector<double> values;
    for (size_t i = 0; i < n; ++i) {
      const TreeNode& node = nodes[i];
      if (!node.is_leaf()) {
        path_of(i, features, z);
        size_t pos = 0;
        while (pos < features.size() && features[pos] != node.feature) ++pos;
        if (pos >= kMaxPathFeatures) {
          return FailedPreconditionError(
              "TreeSHAP: tree " + std::to_string(t) + " has a path with more than " +
              std::to_string(kMaxPathFeatures) + " distinct features; not explainable");
        }
        const auto l = static_cast<size_t>(node.left);
        shap.splits_.push_back(Split{node.value, node.feature, local[l], local[l + 1],
                                     static_cast<uint8_t>(node.default_left),
                                     static_cast<uint8_t>(pos)});
        continue;
      }
      path_of(i, features, z);
      const int u = static_cast<int>(features.size());
      Leaf leaf{node.value, static_cast<uint32_t>(u),
                static_cast<uint32_t>(shap.leaf_features_.size()), false, 0};
      shap.leaf_features_.insert(shap.leaf_features_.end(), features.begin(), features.end());
      shap.leaf_z_.insert(shap.leaf_z_.end(), z.begin(), z.end());
      const size_t size = u == 0 ? 0 : (size_t{1} << u) * static_cast<size_t>(u);
      if (u > 0 && u <= kMaxTableBits && table_floats + size <= budget_floats) {
        leaf.tabulated = true;
        leaf.table_begin = shap.table_.size();
        shap.table_.resize(shap.table_.size() + size);
        values.resize(static_cast<size_t>(u));
        for (uint64_t cold = 0; cold < (uint64_t{1} << u); ++cold) {
          LeafShap(z.data(), u, cold, node.value, weights[static_cast<size_t>(u)], values.data());
          float* row = shap.table_.data() + leaf.table_begin + cold * static_cast<uint64_t>(u);
          for (int k = 0; k < u; ++k) row[k] = static_cast<float>(values[static_cast<size_t>(k)]);
        }
        table_floats += size;
      }
      shap.leaves_.push_back(leaf);
    }
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
      const bool go_left = std::isnan(x) ? split.default_left != 0 : x < split.threshold;
      const uint64_t bit = uint64_t{1} << split.bit;
      cold[split.left] = go_left ? c : c | bit;
      cold[split.right] = go_left ? c | bit : c;
    }
    const Leaf* leaves = leaves_.data() + tree.leaf_begin;
    const uint64_t* leaf_cold = cold + tree.num_splits;
    for (uint32_t l = 0; l < tree.num_leaves; ++l) {
      const Leaf& leaf = leaves[l];
      const uint32_t* features = leaf_features_.data() + leaf.feature_begin;
      const uint32_t u = leaf.u;
      if (leaf.tabulated) {
        const float* values = table_.data() + leaf.table_begin + leaf_cold[l] * u;
        for (uint32_t k = 0; k < u; ++k) phi[features[k]] += values[k];
      } else if (u > 0) {
        const int iu = static_cast<int>(u);
        LeafShap(leaf_z_.data() + leaf.feature_begin, iu, leaf_cold[l], leaf.value,
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
