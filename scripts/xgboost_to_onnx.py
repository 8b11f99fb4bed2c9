#!/usr/bin/python3
"""Converts an XGBoost JSON model into an ONNX ai.onnx.ml TreeEnsembleRegressor.

    /usr/bin/python3 scripts/xgboost_to_onnx.py MODEL.json OUT.onnx [--raw-margin]

The ONNX model has one input, float [N, num_feature] ("features"), and one output, float
[N, 1] ("score"): the probability for binary:logistic / reg:logistic, the raw margin with
--raw-margin, the value for reg:squarederror. It runs in
Strata's ONNX runtime (src/ml/onnx/) with the default options and gives XGBoost's predictions
to float precision, so the same trees can be compared across both runtimes.

The trees are read from XGBoost's JSON (the format of XGBoost 1.x and 2.x save_model('*.json')):
  * a split sends x to the left child when x < split_condition (XGBoost's rule): BRANCH_LT,
    true branch = left child;
  * a missing value (NaN) follows default_left: nodes_missing_value_tracks_true;
  * a leaf's value is its split_condition (the learning rate already applied; base_weights
    holds the unscaled weight);
  * base_score is a probability for the logistic objectives: base_values = logit(base_score);
  * the probability is a Sigmoid node after the ensemble (post_transform NONE), not
    post_transform LOGISTIC: ONNX Runtime (checked with 1.30) ignores LOGISTIC on a
    single-target TreeEnsembleRegressor and returns the margin.
Supported: gbtree, one output, numeric splits. Anything else is refused with a message, never converted approximately.

Needs Debian's python3-onnx (hence /usr/bin/python3); XGBoost itself is not needed.
"""

import argparse
import json
import math
import sys

from onnx import TensorProto, checker, helper

LOGISTIC_OBJECTIVES = {"binary:logistic", "reg:logistic"}
IDENTITY_OBJECTIVES = {"reg:squarederror", "reg:linear", "binary:logitraw"}


class ConversionError(Exception):
    pass


def convert(model_json, raw_margin=False, input_name="features", output_name="score"):
    """Returns an onnx.ModelProto for the parsed XGBoost JSON model `model_json`."""
    learner = model_json["learner"]
    params = learner["learner_model_param"]
    objective = learner["objective"]["name"]
    num_class = int(params.get("num_class", "0"))
    num_target = int(params.get("num_target", "1"))
    if num_class > 1 or num_target > 1:
        raise ConversionError(
            f"{objective} with num_class={num_class}, num_target={num_target}: only one output "
            "(binary or regression) is supported")
    if objective not in LOGISTIC_OBJECTIVES | IDENTITY_OBJECTIVES:
        raise ConversionError(f"objective '{objective}' is not supported; use binary:logistic, "
                              "reg:logistic or reg:squarederror")
    num_feature = int(params["num_feature"])
    base_score = float(params["base_score"])
    if objective in LOGISTIC_OBJECTIVES:
        if not 0.0 < base_score < 1.0:
            raise ConversionError(f"base_score {base_score} is not a probability in (0, 1)")
        base_margin = math.log(base_score / (1.0 - base_score))
        sigmoid = not raw_margin
    else:
        base_margin = base_score
        sigmoid = False

    booster = learner["gradient_booster"]
    if booster.get("name") != "gbtree":
        raise ConversionError(f"booster '{booster.get('name')}' is not supported; only gbtree")
    model = booster["model"]
    trees = model["trees"]
    tree_info = model.get("tree_info", [0] * len(trees))
    if any(group != 0 for group in tree_info):
        raise ConversionError("trees for more than one output group (multi-class) found")

    nodes = {k: [] for k in ("treeids", "nodeids", "featureids", "values", "modes",
                             "truenodeids", "falsenodeids", "missing_value_tracks_true")}
    targets = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}
    for tree_id, tree in enumerate(trees):
        if any(t != 0 for t in tree.get("split_type", [])) or tree.get("categories"):
            raise ConversionError(f"tree {tree_id} has categorical splits; only numeric "
                                  "splits (x < threshold) are supported")
        if int(tree["tree_param"].get("size_leaf_vector", "0")) > 1:
            raise ConversionError(f"tree {tree_id} has vector leaves; not supported")
        left = tree["left_children"]
        right = tree["right_children"]
        for node_id, left_child in enumerate(left):
            nodes["treeids"].append(tree_id)
            nodes["nodeids"].append(node_id)
            nodes["missing_value_tracks_true"].append(int(tree["default_left"][node_id]))
            if left_child == -1:  # a leaf: split_conditions holds its (eta-scaled) value
                nodes["featureids"].append(0)
                nodes["values"].append(0.0)
                nodes["modes"].append("LEAF")
                nodes["truenodeids"].append(0)
                nodes["falsenodeids"].append(0)
                targets["treeids"].append(tree_id)
                targets["nodeids"].append(node_id)
                targets["ids"].append(0)
                targets["weights"].append(float(tree["split_conditions"][node_id]))
            else:
                feature = int(tree["split_indices"][node_id])
                if not 0 <= feature < num_feature:
                    raise ConversionError(f"tree {tree_id} node {node_id} splits on feature "
                                          f"{feature}, outside 0..{num_feature - 1}")
                nodes["featureids"].append(feature)
                nodes["values"].append(float(tree["split_conditions"][node_id]))
                nodes["modes"].append("BRANCH_LT")
                nodes["truenodeids"].append(left_child)
                nodes["falsenodeids"].append(right[node_id])

    margin_name = "margin" if sigmoid else output_name
    graph_nodes = [helper.make_node(
        "TreeEnsembleRegressor", [input_name], [margin_name], domain="ai.onnx.ml",
        n_targets=1, aggregate_function="SUM", post_transform="NONE",
        base_values=[base_margin],
        **{f"nodes_{k}": v for k, v in nodes.items()},
        **{f"target_{k}": v for k, v in targets.items()})]
    if sigmoid:
        graph_nodes.append(helper.make_node("Sigmoid", [margin_name], [output_name]))
    graph = helper.make_graph(
        graph_nodes, "xgboost",
        [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["N", num_feature])],
        [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["N", 1])])
    onnx_model = helper.make_model(
        graph, producer_name="strata xgboost_to_onnx",
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)])
    onnx_model.ir_version = 8
    checker.check_model(onnx_model)
    return onnx_model


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_json", help="XGBoost model saved with save_model('*.json')")
    parser.add_argument("out_onnx", help="where to write the ONNX model")
    parser.add_argument("--raw-margin", action="store_true",
                        help="output the margin (log-odds), not the probability")
    parser.add_argument("--input-name", default="features")
    parser.add_argument("--output-name", default="score")
    args = parser.parse_args(argv)
    try:
        with open(args.model_json, encoding="utf-8") as f:
            model_json = json.load(f)
        onnx_model = convert(model_json, args.raw_margin, args.input_name, args.output_name)
    except (OSError, ValueError, KeyError, ConversionError) as e:
        kind = "missing key " if isinstance(e, KeyError) else ""
        print(f"xgboost_to_onnx: {args.model_json}: {kind}{e}", file=sys.stderr)
        return 1
    with open(args.out_onnx, "wb") as f:
        f.write(onnx_model.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
