#!/usr/bin/env python3
"""Chooses key.segments' two settings (include/herscan/key.h) by nested cross-validation.

    scripts/cv_key_segments.py MANIFEST... [--tool build/release/bench/key_evidence] [--evidence FILE.jsonl]
                               [--model src/key_model.inc]

Every file with a truth key (a single-key piece) or truth key_segments (scripts/realset/key_joins.py:
two pieces in different keys, joined) takes part. bench/key_evidence gives each file's 4 s block
chroma (dumped to --evidence, or reused from it). The segmenter is reimplemented here as
src/key.cpp segment_keys runs it: the shipped key model (its fitted profile and weights read from
--model) scores each block's chroma summed with `context` blocks on either side, and a Viterbi path
through the 24 keys, a change costing `switch` nats, joins the blocks. The score of a setting on a
file is the share of the file's time in the true key; the grid is context 0, 1, 2, 3, 5 × switch 5,
10, 20, 40, 80. Folds by piece (md5 mod 5, as train_key.py); a join belongs to the fold of its
first piece and is kept out of the training of every fold that holds either of its pieces. For
each fold the setting with the best mean score on the training files is scored on the fold.
Reported: the nested held-out time in the right key, spurious changes on single-key files and
joins found (both keys, the change within ±8 s), each setting's pooled figures.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_key import parse_key, segment_score  # noqa: E402
from train_key import features, fold_of, key_index, probabilities  # noqa: E402

CONTEXTS = (0, 1, 2, 3, 5)
SWITCHES = (5.0, 10.0, 20.0, 40.0, 80.0)


def read_model(path):
    text = open(path).read()

    def array(name):
        return np.array([float(v) for v in re.search(name + r"\s*=\s*\{([^}]*)\}", text).group(1).split(",")])
    return np.stack([array("kFittedMajor"), array("kFittedMinor")]), array("kKeyModelWeights")


def segment(blocks, context, switch, fitted, weights):
    """Block keys (0..23: major tonics, then minor) along the Viterbi path."""
    n = len(blocks)
    none = np.zeros(12)
    score = np.zeros((n, 24))
    for i in range(n):
        window = blocks[max(0, i - context):i + context + 1].sum(0)
        p = probabilities(features({"global": window, "opening": none, "closing": none}, fitted), weights)
        score[i] = np.log(np.maximum(p, 1e-300))
    total = score[0].copy()
    back = np.zeros((n, 24), int)
    for i in range(1, n):
        best = int(np.argmax(total))
        stay = total >= total[best] - switch
        back[i] = np.where(stay, np.arange(24), best)
        total = np.where(stay, total, total[best] - switch) + score[i]
    path = [int(np.argmax(total))]
    for i in range(n - 1, 0, -1):
        path.append(back[i][path[-1]])
    return path[::-1]


def measure(f, keys):
    """(time in the true key, number of segments, both keys found with the change within 8 s)."""
    e = f["evidence"]
    start, step, end = e["start_s"], e["block_s"], e.get("end_s")
    segs = []
    for i, k in enumerate(keys):
        a = start + i * step
        b = a + step if end is None else min(end, a + step)
        if segs and segs[-1][2] == k:
            segs[-1][1] = b
        else:
            segs.append([a, b, k])
    share, changes = segment_score(segs, f["truth"])
    return share, len(segs), changes is not None and all(c <= 8.0 for c in changes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--tool", default="build/release/bench/key_evidence")
    parser.add_argument("--evidence", default="/tmp/herscan_key_segments.jsonl")
    parser.add_argument("--model", default="src/key_model.inc")
    args = parser.parse_args()
    fitted, weights = read_model(args.model)

    files = []
    for name in args.manifest:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            t = f["truth"]
            truth = t.get("key_segments") or ([[0.0, t["key"]]] if t.get("key") else None)
            if truth:
                path = os.path.abspath(os.path.join(base, f["path"]))
                files.append({"path": path, "pieces": f.get("pieces") or [f.get("piece", path)],
                              "truth": [(s, key_index(parse_key(k))) for s, k in truth]})
    if not os.path.exists(args.evidence):
        with open(args.evidence, "w") as out:
            subprocess.run([args.tool] + [f["path"] for f in files], stdout=out, check=False)
    evidence = {os.path.abspath(r["file"]): r for r in map(json.loads, open(args.evidence))}
    files = [dict(f, evidence=evidence[f["path"]]) for f in files if f["path"] in evidence]
    for f in files:
        f["blocks"] = np.array(f["evidence"]["blocks"], float).reshape(-1, 12)
    files = [f for f in files if len(f["blocks"])]
    print(f"files {len(files)} ({sum(len(f['truth']) > 1 for f in files)} joins)")

    settings = [(c, s) for c in CONTEXTS for s in SWITCHES]
    result = {}  # setting → per file (time right, segments, found)
    for c, s in settings:
        result[(c, s)] = [measure(f, segment(f["blocks"], c, s, fitted, weights)) for f in files]
        r = result[(c, s)]
        single = [x for f, x in zip(files, r) if len(f["truth"]) == 1]
        joins = [x for f, x in zip(files, r) if len(f["truth"]) > 1]
        print(f"  context ±{c} switch {s:4g}: time right {np.mean([x[0] for x in r]):.3f}  "
              f"spurious {np.mean([x[1] > 1 for x in single]):.3f}  joins found "
              f"{sum(x[2] for x in joins)}/{len(joins)}", flush=True)

    fold = [fold_of(f["pieces"][0], 5) for f in files]
    held = [None] * len(files)
    for k in range(5):
        train = [i for i, f in enumerate(files) if all(fold_of(p, 5) != k for p in f["pieces"])]
        best = max(settings, key=lambda st: np.mean([result[st][i][0] for i in train]))
        print(f"fold {k}: context ±{best[0]} switch {best[1]:g}")
        for i in range(len(files)):
            if fold[i] == k:
                held[i] = result[best][i]
    single = [x for f, x in zip(files, held) if len(f["truth"]) == 1]
    joins = [x for f, x in zip(files, held) if len(f["truth"]) > 1]
    print(f"nested cross-validated: time in the right key {np.mean([x[0] for x in held]):.3f} "
          f"(single-key {np.mean([x[0] for x in single]):.3f}, joins {np.mean([x[0] for x in joins]):.3f}); "
          f"spurious changes {np.mean([x[1] > 1 for x in single]):.3f} of {len(single)}; "
          f"joins found {sum(x[2] for x in joins)}/{len(joins)}")


if __name__ == "__main__":
    main()
