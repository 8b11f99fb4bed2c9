// libFuzzer target for the XGBoost JSON model parser (ml/tree_ensemble.h) and what is built on
// a parsed model (ml/tree_shap.h): model artifacts arrive in packages from the hub, so a
// corrupt or hostile artifact must be refused cleanly, and one that parses must be safe to
// evaluate and explain.
//
// Input: the model bytes. Besides "no crash, no UB, no hang", it checks that every parsed
// node's children and split feature are in range.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ml/tree_ensemble.h"
#include "ml/tree_shap.h"

namespace {

void Check(bool condition) {
  if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto ensemble = strata::ml::TreeEnsemble::FromXgboostJson(bytes);
  if (!ensemble.ok()) return 0;
  const size_t nf = ensemble->num_features();
  for (const strata::ml::Tree& tree : ensemble->trees()) {
    Check(!tree.nodes.empty() && tree.cover.size() == tree.nodes.size());
    for (const strata::ml::TreeNode& node : tree.nodes) {
      if (node.is_leaf()) continue;
      Check(static_cast<size_t>(node.left) + 1 < tree.nodes.size());
      Check(node.feature < nf);
    }
  }
  if (nf > (size_t{1} << 16)) return 0;  // a valid model, too wide to evaluate quickly here
  std::vector<float> rows(2 * nf, 0.5f);
  for (size_t f = 0; f < nf; f += 2) rows[nf + f] = std::nanf("");
  std::vector<float> scores(2);
  Check(ensemble->PredictBatch(rows, scores).ok());
  auto shap = strata::ml::TreeShap::Build(*ensemble, /*table_budget_bytes=*/1 << 20);
  if (!shap.ok()) return 0;  // too many distinct features on a path: refused, not explained
  std::vector<float> contributions(2 * (nf + 1));
  Check(shap->Explain(rows, contributions).ok());
  return 0;
}
