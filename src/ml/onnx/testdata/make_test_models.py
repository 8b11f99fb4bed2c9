#!/usr/bin/python3
"""Writes the ONNX models of onnx_runtime_test.cc into OUT_DIR (built with Debian python3-onnx,
so run by /usr/bin/python3):

  tree_classifier.onnx    ai.onnx.ml TreeEnsembleClassifier, 3 features, two hand-written trees
                          (the expected scores are worked out by hand in the test); outputs
                          label int64 [N] and probabilities float [N,2]
  tree_zipmap.onnx        the same classifier followed by ZipMap (probabilities as maps)
  mlp.onnx                MatMul-Add-Relu-MatMul-Add-Sigmoid, 4 features, output [N,1]
  mlp.txt                 rows and the MLP's scores computed with numpy (reference)
  mlp_batch1.onnx         the same MLP declared with a fixed batch dimension of 1
  wide_input.onnx         input [N,5] (the test expects 4 features)
  three_columns.onnx      Softmax over 3 columns, output [N,3]
  dynamic_columns.onnx    Identity: output [N,K] with K unknown until run time (K = 4)
  one_value.onnx          ReduceSum over the rows: one value for the whole batch
  string_output.onnx      output Cast to string

Reference file format: "<rows> <features>", then one line per row: the features, then the
expected score.
"""

import os
import sys

import numpy as np
from onnx import TensorProto, ValueInfoProto, checker, helper, numpy_helper

OPSETS = [helper.make_opsetid("", 17), helper.make_opsetid("ai.onnx.ml", 3)]


def save(model, out_dir, name):
    model.ir_version = 8
    checker.check_model(model)
    with open(os.path.join(out_dir, name), "wb") as f:
        f.write(model.SerializeToString())


def make_model(nodes, inputs, outputs, initializers=()):
    graph = helper.make_graph(nodes, "test", inputs, outputs, list(initializers))
    return helper.make_model(graph, producer_name="strata onnx tests", opset_imports=OPSETS)


def float_input(width, batch="N", name="x"):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, [batch, width])


def tree_classifier_node(output_names):
    # Tree 0: node 0: x0 <= 0.5 ? leaf 1 [0.9, 0.1] : node 2
    #         node 2: x2 <  2.0 ? leaf 3 [0.4, 0.6] : leaf 4 [0.2, 0.8]
    # Tree 1: node 0: x1 >  1.0 ? leaf 1 [0.3, 0.7] : leaf 2 [0.7, 0.3]
    # Leaves carry each class's probability / 2 (two trees), so the sums are averages.
    leaves = [(0, 1, 0.9, 0.1), (0, 3, 0.4, 0.6), (0, 4, 0.2, 0.8),
              (1, 1, 0.3, 0.7), (1, 2, 0.7, 0.3)]
    class_treeids, class_nodeids, class_ids, class_weights = [], [], [], []
    for tree, node, p0, p1 in leaves:
        for class_id, p in ((0, p0), (1, p1)):
            class_treeids.append(tree)
            class_nodeids.append(node)
            class_ids.append(class_id)
            class_weights.append(p / 2)
    return helper.make_node(
        "TreeEnsembleClassifier", ["x"], output_names, domain="ai.onnx.ml",
        classlabels_int64s=[0, 1], post_transform="NONE",
        nodes_treeids=[0, 0, 0, 0, 0, 1, 1, 1],
        nodes_nodeids=[0, 1, 2, 3, 4, 0, 1, 2],
        nodes_featureids=[0, 0, 2, 0, 0, 1, 0, 0],
        nodes_values=[0.5, 0, 2.0, 0, 0, 1.0, 0, 0],
        nodes_modes=["BRANCH_LEQ", "LEAF", "BRANCH_LT", "LEAF", "LEAF", "BRANCH_GT", "LEAF",
                     "LEAF"],
        nodes_truenodeids=[1, 0, 3, 0, 0, 1, 0, 0],
        nodes_falsenodeids=[2, 0, 4, 0, 0, 2, 0, 0],
        class_treeids=class_treeids, class_nodeids=class_nodeids, class_ids=class_ids,
        class_weights=class_weights)


def write_tree_models(out_dir):
    label = helper.make_tensor_value_info("label", TensorProto.INT64, ["N"])
    probabilities = helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", 2])
    save(make_model([tree_classifier_node(["label", "probabilities"])], [float_input(3)],
                    [label, probabilities]), out_dir, "tree_classifier.onnx")

    zipmap = helper.make_node("ZipMap", ["probabilities"], ["output_probability"],
                              domain="ai.onnx.ml", classlabels_int64s=[0, 1])
    maps = ValueInfoProto(name="output_probability")  # seq(map(int64, tensor(float)))
    map_type = maps.type.sequence_type.elem_type.map_type
    map_type.key_type = TensorProto.INT64
    map_type.value_type.tensor_type.elem_type = TensorProto.FLOAT
    save(make_model([tree_classifier_node(["label", "probabilities"]), zipmap],
                    [float_input(3)], [label, maps]), out_dir, "tree_zipmap.onnx")


def write_mlp(out_dir):
    rng = np.random.default_rng(4)
    w1 = rng.normal(size=(4, 8)).astype(np.float32)
    b1 = rng.normal(size=8).astype(np.float32)
    w2 = rng.normal(size=(8, 1)).astype(np.float32)
    b2 = rng.normal(size=1).astype(np.float32)
    nodes = [
        helper.make_node("MatMul", ["x", "w1"], ["h0"]),
        helper.make_node("Add", ["h0", "b1"], ["h1"]),
        helper.make_node("Relu", ["h1"], ["h2"]),
        helper.make_node("MatMul", ["h2", "w2"], ["z0"]),
        helper.make_node("Add", ["z0", "b2"], ["z1"]),
        helper.make_node("Sigmoid", ["z1"], ["score"]),
    ]
    weights = [numpy_helper.from_array(a, n) for a, n in ((w1, "w1"), (b1, "b1"), (w2, "w2"),
                                                           (b2, "b2"))]
    for batch, name in (("N", "mlp.onnx"), (1, "mlp_batch1.onnx")):
        score = helper.make_tensor_value_info("score", TensorProto.FLOAT, [batch, 1])
        save(make_model(nodes, [float_input(4, batch)], [score], weights), out_dir, name)

    rows = rng.normal(scale=2.0, size=(64, 4)).astype(np.float32)
    hidden = np.maximum(rows.astype(np.float64) @ w1 + b1, 0.0)
    expected = 1.0 / (1.0 + np.exp(-(hidden @ w2 + b2)))
    write_reference(os.path.join(out_dir, "mlp.txt"), rows, expected[:, 0])


def write_bad_models(out_dir):
    def out(name, elem, shape):
        return helper.make_tensor_value_info(name, elem, shape)

    w = numpy_helper.from_array(np.ones((5, 1), np.float32), "w")
    save(make_model([helper.make_node("MatMul", ["x", "w"], ["score"])], [float_input(5)],
                    [out("score", TensorProto.FLOAT, ["N", 1])], [w]),
         out_dir, "wide_input.onnx")

    w3 = numpy_helper.from_array(np.arange(12, dtype=np.float32).reshape(4, 3) / 10, "w")
    save(make_model([helper.make_node("MatMul", ["x", "w"], ["logits"]),
                     helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1)],
                    [float_input(4)], [out("probabilities", TensorProto.FLOAT, ["N", 3])],
                    [w3]),
         out_dir, "three_columns.onnx")

    save(make_model([helper.make_node("Identity", ["x"], ["y"])], [float_input("F")],
                    [out("y", TensorProto.FLOAT, ["N", "K"])]),
         out_dir, "dynamic_columns.onnx")

    axes = numpy_helper.from_array(np.array([0], np.int64), "axes")
    w1 = numpy_helper.from_array(np.ones((4, 1), np.float32), "w")
    save(make_model([helper.make_node("MatMul", ["x", "w"], ["s"]),
                     helper.make_node("ReduceSum", ["s", "axes"], ["total"], keepdims=1)],
                    [float_input(4)], [out("total", TensorProto.FLOAT, ["M", 1])],
                    [axes, w1]),
         out_dir, "one_value.onnx")

    save(make_model([helper.make_node("Cast", ["x"], ["text"], to=TensorProto.STRING)],
                    [float_input(4)], [out("text", TensorProto.STRING, ["N", 4])]),
         out_dir, "string_output.onnx")


def write_reference(path, rows, expected):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{rows.shape[0]} {rows.shape[1]}\n")
        for row, value in zip(rows, expected):
            f.write(" ".join(repr(float(v)) for v in row) + f" {float(value)!r}\n")


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_test_models.py OUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    write_tree_models(out_dir)
    write_mlp(out_dir)
    write_bad_models(out_dir)


if __name__ == "__main__":
    main()
