#!/usr/bin/env python3
"""Fits herscan's key model (the default `--key-profile herscan`) and its confidence on development
sets, by cross-validation grouped by piece.

    scripts/train_key.py MANIFEST... [--tool build/release/bench/key_evidence] [--evidence FILE.jsonl]
                         [--fitted-from NAME,...] [--folds 5] [--lambda 0.01] [--write src/key_model.inc]

Every file with a truth key takes part. bench/key_evidence (built with -DHERSCAN_BUILD_BENCH=ON)
gives each file's evidence, herscan::KeyEvidence: the key chroma of the whole recording and of its
opening and closing seconds (`--evidence` reuses a saved dump; it is written to
key_evidence.jsonl beside the first manifest otherwise).

The model scores each of the 24 keys by w · x with
  x0  the Pearson correlation of the global chroma with Temperley's profile for the key
  x1  the same with the EDMA profile (Faraldo et al. 2016)
  x2  the same with a profile fitted on the real set: the mean of the training pieces' global
      chroma (each normalised to sum 1) rotated to their true tonic, per mode; only the files of
      the manifests whose name contains one of --fitted-from (default "midi,freedm": the played music), since
      the synthetic sets' chroma is one set of samples playing textbook progressions
  x3  the correlation of the opening chroma with the key's tonic triad
  x4  the same for the closing chroma
  x5  1 for minor keys (the prior between the modes)
and P(key) = softmax over the 24 keys, fitted by conditional logistic regression (maximum
likelihood of the true key, L2 penalty lambda). The confidence is a logistic calibration of the
winner's probability p1: sigma(c0 + c1 logit(p1)), fitted on held-out probabilities (monotone, so
its ROC AUC is the probability's).
Folds: md5(piece) mod 5, renders of one composition never straddle training and test.
Printed, on held-out folds: the MIREX weighted score and share right per manifest for the model and
for the previous rule (Temperley + tonic triads, weights 1, 0.5, 0.5), the confidence's ROC AUC,
calibration error and reliability table. With --write the final model (fitted on every file) is
written as C++ for src/key.cpp.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
from scipy.optimize import minimize
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calibration import print_calibration  # noqa: E402
from eval_key import WEIGHTS, category, parse_key  # noqa: E402

TEMPERLEY = [[5.0, 2.0, 3.5, 2.0, 4.5, 4.0, 2.0, 4.5, 2.0, 3.5, 1.5, 4.0],
             [5.0, 2.0, 3.5, 4.5, 2.0, 4.0, 2.0, 4.5, 3.5, 2.0, 1.5, 4.0]]
EDMA = [[0.16519551, 0.04749026, 0.08293076, 0.06687112, 0.09994645, 0.09274123, 0.05294487,
         0.13159476, 0.05218986, 0.07443653, 0.06940723, 0.0642515],
        [0.17235348, 0.05336489, 0.0761009, 0.10043649, 0.05621498, 0.08527853, 0.0497915,
         0.13451001, 0.07458916, 0.05003023, 0.09187879, 0.05545106]]
TRIADS = [[1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0], [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]]


def fold_of(piece, folds):
    return int(hashlib.md5(piece.encode()).hexdigest()[:8], 16) % folds


def correlations(chroma, profile):
    """Pearson correlation of the chroma, seen from each tonic 0..11, with the profile (as key.cpp)."""
    x, p = np.asarray(chroma, float), np.asarray(profile, float)
    b = p - p.mean()
    out = np.zeros(12)
    for tonic in range(12):
        a = np.roll(x, -tonic) - x.mean()
        d = np.sqrt((a * a).sum() * (b * b).sum())
        out[tonic] = (a * b).sum() / d if d > 0 else 0.0
    return out


def features(e, fitted):
    """24 × 6: the model's evidence for each key (major tonics 0..11, then minor)."""
    def both(chroma, profiles):
        return np.concatenate([correlations(chroma, profiles[0]), correlations(chroma, profiles[1])])
    cols = [both(e["global"], TEMPERLEY), both(e["global"], EDMA), both(e["global"], fitted),
            both(e["opening"], TRIADS), both(e["closing"], TRIADS),
            np.concatenate([np.zeros(12), np.ones(12)])]
    return np.stack(cols, 1)


def key_index(key):
    tonic, mode = key
    return tonic + (12 if mode == "minor" else 0)


def fit_profile(items):
    profile = np.zeros((2, 12))
    for item in items:
        g = np.asarray(item["evidence"]["global"], float)
        if g.sum() > 0:
            profile[item["truth"] // 12] += np.roll(g / g.sum(), -(item["truth"] % 12))
    return profile / np.maximum(profile.sum(1, keepdims=True), 1e-12)


def fit_weights(X, y, lam):
    def loss(w):
        value, grad = 0.0, np.zeros(len(w))
        for x, t in zip(X, y):
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            value -= np.log(p[t] + 1e-300)
            grad -= x[t] - p @ x
        return value / len(X) + lam * w @ w, grad / len(X) + 2 * lam * w
    return minimize(loss, np.zeros(X[0].shape[1]), jac=True, method="L-BFGS-B").x


def probabilities(x, w):
    z = x @ w
    p = np.exp(z - z.max())
    return p / p.sum()


def calibration_inputs(p):
    q = np.clip(p.max(), 1e-6, 1 - 1e-6)
    return [np.log(q / (1 - q))]


def load(manifests, tool, evidence_path):
    items = []
    for name in manifests:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            if f.get("truth", {}).get("key"):
                items.append({"path": os.path.abspath(os.path.join(base, f["path"])),
                              "piece": f.get("piece", f["path"]), "manifest": os.path.basename(name),
                              "key": parse_key(f["truth"]["key"])})
    if not os.path.exists(evidence_path):
        with open(evidence_path, "w") as out:
            subprocess.run([tool] + [i["path"] for i in items], stdout=out, check=False)
    evidence = {}
    for line in open(evidence_path):
        record = json.loads(line)
        evidence[os.path.abspath(record["file"])] = record
    kept = [i for i in items if i["path"] in evidence]
    for i in kept:
        i["evidence"], i["truth"] = evidence[i["path"]], key_index(i["key"])
    return kept


def old_rule(e):
    x = features(e, np.zeros((2, 12)))
    return x[:, 0] + 0.5 * x[:, 3] + 0.5 * x[:, 4]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--tool", default="build/release/bench/key_evidence")
    parser.add_argument("--evidence", help="saved bench/key_evidence output for the manifests' files")
    parser.add_argument("--fitted-from", default="midi,freedm")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--lambda", dest="lam", type=float, default=0.01)
    parser.add_argument("--write", help="write the fitted model to this C++ include (src/key_model.inc)")
    args = parser.parse_args()
    evidence_path = args.evidence or os.path.join(
        os.path.dirname(os.path.abspath(args.manifest[0])), "key_evidence.jsonl")
    items = load(args.manifest, args.tool, evidence_path)
    print(f"files {len(items)}  pieces {len(set(i['piece'] for i in items))}")
    real = [i for i in items if any(name in i["manifest"] for name in args.fitted_from.split(","))]

    held_out, calib_x, calib_y, folds = {}, [], [], []
    for fold in range(args.folds):
        train = [i for i in items if fold_of(i["piece"], args.folds) != fold]
        test = [i for i in items if fold_of(i["piece"], args.folds) == fold]
        if not test:
            continue
        fitted = fit_profile([i for i in train if i in real])
        w = fit_weights([features(i["evidence"], fitted) for i in train], [i["truth"] for i in train],
                        args.lam)
        for i in test:
            p = probabilities(features(i["evidence"], fitted), w)
            held_out[i["path"]] = int(np.argmax(p))
            calib_x.append(calibration_inputs(p))
            calib_y.append(int(np.argmax(p)) == i["truth"])
            folds.append(fold)

    def name(index):
        return (index % 12, "minor" if index >= 12 else "major")
    for manifest in sorted(set(i["manifest"] for i in items)):
        group = [i for i in items if i["manifest"] == manifest]
        for label, guess in (("old rule", lambda i: int(np.argmax(old_rule(i["evidence"])))),
                             ("model (held out)", lambda i: held_out[i["path"]])):
            scores = [WEIGHTS[category(i["key"], name(guess(i)))] for i in group]
            print(f"{manifest:32s} {label:17s} files {len(group):3d}  MIREX {np.mean(scores):.3f}  "
                  f"right {np.mean([s == 1.0 for s in scores]):.3f}")

    # The calibration, itself cross-validated on the held-out probabilities (same folds).
    calib_x, calib_y, folds = np.array(calib_x), np.array(calib_y), np.array(folds)
    confidence = np.zeros(len(calib_y))
    for fold in range(args.folds):
        test = folds == fold
        if test.any() and len(set(calib_y[~test])) == 2:
            confidence[test] = LogisticRegression().fit(calib_x[~test], calib_y[~test]).predict_proba(
                calib_x[test])[:, 1]
    print_calibration("key, cross-validated", confidence.tolist(), calib_y.tolist())
    print_calibration("key, model's probability uncalibrated", (1 / (1 + np.exp(-calib_x[:, 0]))).tolist(),
                      calib_y.tolist())

    fitted = fit_profile(real)
    w = fit_weights([features(i["evidence"], fitted) for i in items], [i["truth"] for i in items], args.lam)
    calibration = LogisticRegression().fit(calib_x, calib_y)
    c = np.concatenate([calibration.intercept_, calibration.coef_[0]])
    print(f"weights (temperley, edma, fitted, opening triad, closing triad, minor): {np.round(w, 4).tolist()}")
    print(f"calibration (bias, logit p1): {np.round(c, 4).tolist()}")
    if args.write:
        def array(values):
            return "{" + ", ".join(f"{v:.6g}" for v in values) + "}"
        with open(args.write, "w") as out:
            out.write("// Generated by scripts/train_key.py (do not edit by hand): the key model, fitted on "
                      f"{len(items)} files\n// ({len(set(i['piece'] for i in items))} pieces) of "
                      f"{', '.join(os.path.basename(m) for m in args.manifest)};\n"
                      f"// the fitted profile from the {len(real)} files of the *{args.fitted_from}* "
                      "manifests. docs/accuracy.md has its cross-validation.\n")
            out.write(f"constexpr std::array<double, 12> kFittedMajor = {array(fitted[0])};\n")
            out.write(f"constexpr std::array<double, 12> kFittedMinor = {array(fitted[1])};\n")
            out.write("// Weights of: Temperley, EDMA and fitted profile correlations, opening and closing\n"
                      "// tonic-triad correlations, minor.\n")
            out.write(f"constexpr std::array<double, 6> kKeyModelWeights = {array(w)};\n")
            out.write("// Confidence: sigma(c0 + c1 logit(p1)) of the winner's probability p1.\n")
            out.write(f"constexpr std::array<double, 2> kKeyConfidenceWeights = {array(c)};\n")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
