#!/usr/bin/python3
"""Trains an XGBoost binary:logistic model (Debian python3-xgboost), converts it with
scripts/xgboost_to_onnx.py and writes, into OUT_DIR:

  xgboost.json         the XGBoost model
  xgboost.onnx         the converted model (probability)
  xgboost_margin.onnx  the converted model with --raw-margin
  xgboost.txt          rows (about a fifth of the values NaN, some rows all NaN, some values
                       exactly on a threshold) and XGBoost's own probabilities for them
  xgboost_margin.txt   the same rows and XGBoost's margins (output_margin=True)

    make_xgboost_reference.py OUT_DIR [FEATURES TREES DEPTH]   (default 6 20 4)

Reference format as in make_test_models.py: "<rows> <features>", then per row the features
and the expected score. Deterministic (fixed seeds, one thread).
"""

import json
import os
import subprocess
import sys

import numpy as np
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(HERE, "..", "..", "..", "..", "scripts", "xgboost_to_onnx.py")


def thresholds(model_path):
    with open(model_path, encoding="utf-8") as f:
        trees = json.load(f)["learner"]["gradient_booster"]["model"]["trees"]
    for tree in trees:
        for node, left in enumerate(tree["left_children"]):
            if left != -1:
                yield tree["split_indices"][node], tree["split_conditions"][node]


def write_reference(path, rows, expected):
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"{rows.shape[0]} {rows.shape[1]}\n")
        for row, value in zip(rows, expected):
            f.write(" ".join(repr(float(v)) for v in row) + f" {float(value)!r}\n")


def main():
    if len(sys.argv) not in (2, 5):
        sys.exit("usage: make_xgboost_reference.py OUT_DIR [FEATURES TREES DEPTH]")
    out_dir = sys.argv[1]
    features, trees, depth = (int(a) for a in sys.argv[2:5]) if len(sys.argv) == 5 else (6, 20, 4)
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(1000, features)).astype(np.float32)
    y = ((x[:, 0] + 0.5 * x[:, 1] * x[:, 2] - x[:, 3] > 0.2) ^ (rng.random(len(x)) < 0.1))
    x[rng.random(x.shape) < 0.2] = np.nan
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": depth, "eta": 0.3, "base_score": 0.35,
         "seed": 1, "nthread": 1, "tree_method": "exact"},
        xgb.DMatrix(x, label=y.astype(np.float32), missing=np.nan), num_boost_round=trees)
    model_json = os.path.join(out_dir, "xgboost.json")
    booster.save_model(model_json)

    test = rng.normal(size=(200, features)).astype(np.float32)
    test[rng.random(test.shape) < 0.2] = np.nan
    test[:3, :] = np.nan  # rows with every feature missing
    # Values exactly on a split threshold: XGBoost sends them right (x < threshold is false).
    for row, (feature, threshold) in enumerate(list(thresholds(model_json))[:40], start=3):
        test[row, feature] = np.float32(threshold)
    matrix = xgb.DMatrix(test, missing=np.nan)

    for suffix, flags, expected in (
            ("", [], booster.predict(matrix)),
            ("_margin", ["--raw-margin"], booster.predict(matrix, output_margin=True))):
        subprocess.run([sys.executable, CONVERTER, *flags, model_json,
                        os.path.join(out_dir, f"xgboost{suffix}.onnx")], check=True)
        write_reference(os.path.join(out_dir, f"xgboost{suffix}.txt"), test, expected)


if __name__ == "__main__":
    main()
