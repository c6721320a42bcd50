#!/usr/bin/env python3
"""Fits herscan's metrical-level model and its tempo confidence on development sets, by cross-validation.

    scripts/train_tempo.py MANIFEST... [--unambiguous-only MANIFEST]... [--tool build/release/bench/tempo_evidence]
                           [--evidence FILE.jsonl] [--folds 5] [--write src/tempo_model.inc]

Every file with a constant true tempo (truth.tempo_bpm) takes part, and every file marked as having
no pulse (truth.pulse false, scripts/devset/make_nopulse.py) in the confidence only, as a miss. bench/tempo_evidence (built with
-DHERSCAN_BUILD_BENCH=ON) gives each file's candidates, the peaks of its mean tempogram, with the
evidence herscan::TempoEvidence documents; `--evidence` reuses a saved dump (it is written to
OUTPUT.evidence.jsonl beside the first manifest otherwise).

Two stages, both fitted in herscan's own terms so that the C++ reproduces them exactly:
  1. the level: a conditional logit over each file's candidates, score = w · x, the candidate
     within ±4 % of the true tempo being the one to pick; maximum likelihood with an L2 pull
     towards the rule herscan used before (log-periodicity minus a log-normal preference around
     140 BPM, σ 0.9 octave), its strength λ chosen by grouped cross-validation;
  2. the confidence: a logistic regression of "the chosen candidate is within ±4 %" on the chosen
     candidate's pulse clarity, phase contrast and peak height (TempoEvidence x6, x8, x11), and on
     the logit of its softmax probability (clipped to 0.01..0.99) and its periodicity, each times
     the pulse clarity (so that neither speaks where no peak stands out: a lone candidate of
     noise has probability 1 and a high, flat tempogram), fitted on
     out-of-fold stage-1 outputs (so that it learns how right the model is on music it has not
     seen).
Folds are grouped by `piece` (renders of one composition never straddle training and test), files
assigned by a hash of the piece's name. Printed: per fold and overall, Acc1 of the old rule and of
the model, the confidence's ROC AUC, calibration error and reliability table on held-out folds.
With --write the final weights (fitted on everything) are written as C++ for src/tempo.cpp.
"""
import argparse
import hashlib
import json
import math
import os
import subprocess
import sys

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from calibration import expected_calibration_error, print_calibration, roc_auc  # noqa: E402

FEATURES = ["periodicity", "level", "level²", "periodicity×2", "periodicity×½", "periodicity×3",
            "pulse clarity", "level×density", "phase contrast", "periodicity×4/3", "periodicity×2/3", "peak height"]
OLD_RULE = np.array([1.0, 0.0, -0.5 / 0.9 ** 2, 0, 0, 0, 0, 0, 0, 0, 0, 0])  # herscan 0.1's choice
LEVEL_FEATURES = np.array([True] * 11 + [False])  # the peak height speaks to the confidence only
DENSITY_CENTRE = 4.0  # onset peaks per second at which the density term is 0 (in src/tempo.cpp)


def load(manifests, tool, evidence_path, unambiguous_only=()):
    """The files with a constant true tempo, and those marked as having no pulse (truth.pulse false),
    with their candidates' evidence. Files of the manifests in `unambiguous_only` that are marked
    metrical_ambiguity are left out."""
    files, paths = [], []
    strict = {os.path.abspath(name) for name in unambiguous_only}
    for name in list(manifests) + [m for m in unambiguous_only if m not in manifests]:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            truth = f.get("truth", {})
            if os.path.abspath(name) in strict and truth.get("metrical_ambiguity"):
                continue
            if truth.get("tempo_bpm") or truth.get("pulse") is False:
                files.append(dict(f, set=os.path.basename(name)))
                paths.append(os.path.abspath(os.path.join(base, f["path"])))
    if not os.path.exists(evidence_path):
        with open(evidence_path, "w") as out:
            subprocess.run([tool] + paths, stdout=out, check=False)
    evidence = {}
    for line in open(evidence_path):
        record = json.loads(line)
        evidence[os.path.abspath(record["file"])] = record["candidates"]
    data, nopulse = [], []
    for f, path in zip(files, paths):
        candidates = evidence.get(path)
        if not candidates:
            continue
        truth = f["truth"].get("tempo_bpm")
        x = np.array([c["x"] for c in candidates])
        bpm = np.array([c["bpm"] for c in candidates])
        right = np.abs(bpm - truth) <= 0.04 * truth if truth else np.zeros(len(bpm), bool)
        (data if truth else nopulse).append({"piece": f.get("piece", path), "x": x, "bpm": bpm, "right": right,
                                             "truth": truth, "style": f.get("style", "?"), "set": f["set"]})
    return data, nopulse


def fold_of(piece, folds):
    return int(hashlib.md5(piece.encode()).hexdigest()[:8], 16) % folds


def nll(w, data, lam, scale):
    """The conditional logit's negative log-likelihood (files whose truth is among the candidates)
    plus λ‖(w − old rule)/scale‖², with its gradient."""
    total, grad = 0.0, np.zeros_like(w)
    for d in data:
        if not d["right"].any():
            continue
        s = d["x"] @ w
        s -= s.max()
        p = np.exp(s) / np.exp(s).sum()
        target = d["right"] / d["right"].sum()  # several candidates within ±4 %: share the target
        total -= float(target @ np.log(p + 1e-300))
        grad -= d["x"].T @ (target - p)
    grad[~LEVEL_FEATURES] = 0  # those weights stay at the old rule's 0
    diff = (w - OLD_RULE) / scale
    return total + lam * float(diff @ diff), grad + 2 * lam * diff / scale


def fit_level(data, lam, scale):
    result = minimize(nll, OLD_RULE.copy(), args=(data, lam, scale), jac=True, method="L-BFGS-B")
    return result.x


def choose(d, w):
    s = d["x"] @ w
    k = int(np.argmax(s))
    s = s - s.max()
    p = np.exp(s) / np.exp(s).sum()
    return k, float(p[k])


def confidence_features(d, k, p):
    p = min(max(p, 0.01), 0.99)  # as src/tempo.cpp: a lone candidate is not certain
    x = d["x"][k]
    return [x[6], x[8], x[11], math.log(p / (1 - p)) * x[6], x[0] * x[6]]


def fit_confidence(rows, labels, c=1.0):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c).fit(np.array(rows), np.array(labels))
    return np.concatenate([model.intercept_, model.coef_[0]])


def apply_confidence(weights, row):
    z = weights[0] + float(np.dot(weights[1:], row))
    return 1 / (1 + math.exp(-z))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--tool", default="build/release/bench/tempo_evidence")
    parser.add_argument("--evidence", help="the evidence dump to read (written when missing)")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write", help="write the fitted weights to this C++ include (src/tempo_model.inc)")
    parser.add_argument("--unambiguous-only", action="append", default=[], metavar="MANIFEST",
                        help="a manifest of which only the files without metrical_ambiguity take part (the "
                        "tracker modules: where the rows-per-beat tempo is outside 70-180 BPM or the metre "
                        "is ternary, the notated level is no label for the heard one)")
    args = parser.parse_args()
    evidence = args.evidence or os.path.splitext(os.path.abspath(args.manifest[0]))[0] + ".evidence.jsonl"
    data, nopulse = load(args.manifest, args.tool, evidence, args.unambiguous_only)
    pieces = len({d["piece"] for d in data + nopulse})
    covered = sum(d["right"].any() for d in data)
    print(f"files with a tempo {len(data)}, without a pulse {len(nopulse)}; pieces {pieces}; "
          f"truth among the candidates {covered} ({covered / len(data):.3f})")
    # Features differ in spread: the pull towards the old rule is scaled by each feature's spread.
    all_x = np.concatenate([d["x"] for d in data])
    scale = np.maximum(all_x.std(axis=0), 1e-3)
    scale = 1 / scale  # a unit change of a widely spread feature's weight matters more

    everything = data + nopulse  # the no-pulse files take part in the confidence only

    def cross_validate(lam):
        oof = [None] * len(everything)
        for fold in range(args.folds):
            train = [d for d in data if fold_of(d["piece"], args.folds) != fold]
            w = fit_level(train, lam, scale)
            for i, d in enumerate(everything):
                if fold_of(d["piece"], args.folds) == fold:
                    oof[i] = choose(d, w)
        return oof

    def acc(choices):
        return sum(bool(d["right"][k]) for d, (k, _) in zip(data, choices)) / len(data)

    old = [choose(d, OLD_RULE) for d in data]
    print(f"old rule (log-normal around 140 BPM, σ 0.9): Acc1 {acc(old):.3f}")
    best = None
    for lam in (0.01, 0.1, 1, 10, 100):
        oof = cross_validate(lam)
        a = acc(oof[:len(data)])
        print(f"  λ {lam:6g}: cross-validated Acc1 {a:.3f}")
        if best is None or a > best[1] + 1e-9:
            best = (lam, a, oof)
    lam, cv_acc, oof = best
    print(f"chosen λ {lam:g}: cross-validated Acc1 {cv_acc:.3f} (old rule {acc(old):.3f})")
    by_style = {}
    for d, (k, _), (k0, _) in zip(data, oof[:len(data)], old):
        s = by_style.setdefault(d["style"], [0, 0, 0])
        s[0] += 1
        s[1] += bool(d["right"][k0])
        s[2] += bool(d["right"][k])
    for name, (n, a_old, a_new) in sorted(by_style.items()):
        print(f"  {name:28s} files {n:3d}  Acc1 old {a_old / n:.3f}  model (held out) {a_new / n:.3f}")

    # Stage 2 on the out-of-fold choices, itself evaluated on held-out folds.
    rows = [confidence_features(d, k, p) for d, (k, p) in zip(everything, oof)]
    labels = [bool(d["right"][k]) for d, (k, _) in zip(everything, oof)]
    held_out = [0.0] * len(everything)
    for fold in range(args.folds):
        train = [i for i, d in enumerate(everything) if fold_of(d["piece"], args.folds) != fold]
        weights = fit_confidence([rows[i] for i in train], [labels[i] for i in train])
        for i, d in enumerate(everything):
            if fold_of(d["piece"], args.folds) == fold:
                held_out[i] = apply_confidence(weights, rows[i])
    print_calibration("tempo (files with a tempo), cross-validated", held_out[:len(data)], labels[:len(data)])
    if nopulse:
        print_calibration("tempo (with the no-pulse files), cross-validated", held_out, labels)
        quiet = held_out[len(data):]
        print(f"no-pulse files: held-out confidence median {np.median(quiet):.3f}, max {max(quiet):.3f}, "
              f"below 0.3: {sum(c < 0.3 for c in quiet)} of {len(quiet)}")
    for name in sorted({d["set"] for d in data}):
        conf = [c for c, d in zip(held_out, data) if d["set"] == name]
        right = [ok for ok, d in zip(labels, data) if d["set"] == name]
        auc = roc_auc(conf, right)
        print(f"  {name:28s} files {len(conf):3d}  Acc1 (held out) {np.mean(right):.3f}  "
              f"confidence AUC {'–' if auc is None else f'{auc:.3f}'}  ECE {expected_calibration_error(conf, right):.3f}")
    clarity = [d["x"][k][6] for d, (k, _) in zip(everything, oof)]
    auc = roc_auc(clarity[:len(data)], labels[:len(data)])
    print(f"pulse clarity alone (the old confidence) ROC AUC {auc:.3f}" if auc is not None else "")

    w = fit_level(data, lam, scale)
    final = [choose(d, w) for d in data]
    conf_weights = fit_confidence(rows, labels)
    print(f"final level weights ({', '.join(FEATURES)}): {np.round(w, 4).tolist()}")
    print(f"final confidence weights (bias, clarity, phase contrast, peak height, logit p × clarity, periodicity × clarity): {np.round(conf_weights, 4).tolist()}")
    print(f"in-sample Acc1 of the final model {acc(final):.3f}")
    if args.write:
        with open(args.write, "w") as out:
            out.write("// Generated by scripts/train_tempo.py (do not edit by hand): the metrical-level model's\n"
                      f"// weights and the confidence's calibration, fitted on {len(data)} files ({pieces} pieces)\n"
                      f"// of: {', '.join(os.path.basename(m) for m in args.manifest)}.\n"
                      f"// Cross-validated ({args.folds} folds by piece): Acc1 {cv_acc:.3f}, old rule {acc(old):.3f}.\n")
            out.write(f"constexpr double kDensityCentre = {DENSITY_CENTRE};\n")
            out.write("constexpr std::array<double, kTempoFeatures> kLevelWeights = {\n    " +
                      ", ".join(f"{v:.6g}" for v in w) + "};\n")
            out.write("constexpr std::array<double, 6> kConfidenceWeights = {" +
                      ", ".join(f"{v:.6g}" for v in conf_weights) + "};\n")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
