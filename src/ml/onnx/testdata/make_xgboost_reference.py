#!/usr/bin/python3
"""Trains a small XGBoost binary:logistic model (Debian python3-xgboost), converts it with
scripts/xgboost_to_onnx.py and writes, into OUT_DIR:

  xgboost.json   the XGBoost model
  xgboost.onnx   the converted model
  xgboost.txt    rows (about a fifth of the values NaN, some rows all NaN, some values exactly
                 on a threshold) and XGBoost's own predictions for them (reference)

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
NUM_FEATURES = 6


def thresholds(model_path):
    with open(model_path, encoding="utf-8") as f:
        trees = json.load(f)["learner"]["gradient_booster"]["model"]["trees"]
    for tree in trees:
        for node, left in enumerate(tree["left_children"]):
            if left != -1:
                yield tree["split_indices"][node], tree["split_conditions"][node]


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_xgboost_reference.py OUT_DIR")
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(7)
    x = rng.normal(size=(600, NUM_FEATURES)).astype(np.float32)
    y = ((x[:, 0] + 0.5 * x[:, 1] * x[:, 2] - x[:, 3] > 0.2) ^ (rng.random(600) < 0.1))
    x[rng.random(x.shape) < 0.2] = np.nan
    booster = xgb.train(
        {"objective": "binary:logistic", "max_depth": 4, "eta": 0.3, "base_score": 0.35,
         "seed": 1, "nthread": 1, "tree_method": "exact"},
        xgb.DMatrix(x, label=y.astype(np.float32), missing=np.nan), num_boost_round=20)
    model_json = os.path.join(out_dir, "xgboost.json")
    booster.save_model(model_json)

    test = rng.normal(size=(200, NUM_FEATURES)).astype(np.float32)
    test[rng.random(test.shape) < 0.2] = np.nan
    test[:3, :] = np.nan  # rows with every feature missing
    # Values exactly on a split threshold: XGBoost sends them right (x < threshold is false).
    for row, (feature, threshold) in enumerate(list(thresholds(model_json))[:40], start=3):
        test[row, feature] = np.float32(threshold)
    expected = booster.predict(xgb.DMatrix(test, missing=np.nan))

    subprocess.run([sys.executable, CONVERTER, model_json, os.path.join(out_dir, "xgboost.onnx")],
                   check=True)
    with open(os.path.join(out_dir, "xgboost.txt"), "w", encoding="utf-8") as f:
        f.write(f"{test.shape[0]} {test.shape[1]}\n")
        for row, value in zip(test, expected):
            f.write(" ".join(repr(float(v)) for v in row) + f" {float(value)!r}\n")


if __name__ == "__main__":
    main()
