#!/usr/bin/env python3
"""Trains herscan's downbeat network and bar tracker (include/herscan/bars.h) by cross-validation.

    scripts/train_downbeats.py MANIFEST... [--beats RESULTS.jsonl] [--features DIR]
                               [--bench build/release/bench] [--folds 5] [--steps 2000]
                               [--held-out CACHE.npz] [--write src/downbeat_net.inc]

Every file with downbeat annotations (truth.downbeats_s) takes part. The network is the beat
network's architecture (scripts/train_beats.py, herscan/beat_net.h) on the same features, its
target the downbeats (1 at the frame nearest each, 0.5 at its two neighbours). The bar tracker
then reads the activation at herscan's own beats (not the annotated ones: the bars are laid on the
beats herscan reports), the largest value within ±2 frames of each, and a hidden Markov model
over the beat's position in the bar (3 or 4 beats a bar, the meter fixed within a file) finds the
positions: each beat moves one position on, or, with probability `jump`, to any other position (a
beat the tracker missed or added, a bar of another length); a downbeat emits log a, any other
beat log(1 − a); 4 beats a bar has the prior log-odds `prior4` over 3, and the first beat is a
downbeat with the prior log-odds `first` against each other position. herscan's beats come from
`--beats` (bench/tempo_beats' output lines) or are computed by bench/tempo_beats.

Folds are grouped by `piece` (md5 of the name mod 5, as train_tempo.py, train_key.py and
train_beats.py assign them). Each fold's network gives the held-out activations of its test files;
the tracker's three parameters are chosen on a grid by the pooled held-out downbeat F-measure
(--held-out caches those activations, so that the grid can be rerun without the training), and
the confidence (the probability that the downbeats are right, F ≥ 0.5) is a logistic function of
the tracker's evidence (the mean posterior of the chosen positions, the meter's posterior), fitted
on the held-out files by the same 5 folds. Reported: downbeat F (±70 ms), against placing a
downbeat on every 4th beat from the first; meter accuracy on the files notated in 3/4 or 4/4;
the confidence's ROC AUC and reliability table. With --write the network fitted on everything
and the chosen parameters are written as C++ for src/bars.cpp.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_beats as tb  # noqa: E402
from calibration import print_calibration, roc_auc  # noqa: E402
from eval_tempo import f_measure  # noqa: E402

METERS = (3, 4)
WINDOW = 2  # frames each side of a beat where its activation is read
# The grid; a first one (jump 0.005..0.2 × prior4 0..8, no first-beat preference) chose 0.02 and 8.
JUMPS = (0.01, 0.02, 0.05)
PRIORS4 = (4.0, 8.0, 12.0)
FIRSTS = (0.0, 1.0, 2.0, 4.0, 8.0)


def load(manifests):
    files = []
    for name in manifests:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            truth = f.get("truth", {})
            if truth.get("downbeats_s"):
                path = os.path.abspath(os.path.join(base, f["path"]))
                files.append({"path": path, "piece": f.get("piece", path), "style": f.get("style", "?"),
                              "beats": truth["downbeats_s"], "true_beats": truth.get("beats_s") or [],
                              "meter": truth.get("time_signature")})
    return files


def herscan_beats(files, results, bench):
    beats = {}
    if results:
        for line in open(results):
            r = json.loads(line)
            beats[r["file"]] = r["tempo"].get("beats_s") or r["tempo"].get("beats") or []
    missing = [f["path"] for f in files if f["path"] not in beats]
    if missing:
        out = subprocess.run([os.path.join(bench, "tempo_beats")] + missing, capture_output=True, text=True,
                             check=False)
        for line in out.stdout.splitlines():
            r = json.loads(line)
            beats[r["file"]] = r["tempo"]["beats_s"] or []
    for f in files:
        f["est_beats"] = np.array(beats.get(f["path"], []), float)


def activation(net, x):
    """The network's activation of a whole file, extended by silence as herscan::beat_activation."""
    pad = np.zeros((tb.REACH, tb.FEATURES), np.float32)
    pad[:, tb.BANDS:] = -1
    full = np.concatenate([pad, x, pad]).T[None]
    with torch.no_grad():
        return torch.sigmoid(net(torch.from_numpy(full))).numpy()[0, tb.REACH:tb.REACH + len(x)]


def beat_values(act, beats, rate):
    s = np.zeros(len(beats))
    for i, b in enumerate(beats):
        f = int(round(b * rate))
        lo, hi = max(0, f - WINDOW), min(len(act), f + WINDOW + 1)
        s[i] = act[lo:hi].max() if lo < hi else 0.0
    return np.clip(s, 1e-4, 1 - 1e-4)


def track_bars(s, jump, prior4, first=0.0):
    """The bar tracker (herscan::track_bars): positions (0 = downbeat) of the beats, beats per bar,
    the mean posterior of the chosen positions and the posterior of the chosen meter."""
    n = len(s)
    if n == 0:
        return np.zeros(0, int), 4, 0.0, 0.0
    best = None
    log_z = {}
    posts = {}
    for m in METERS:
        stay, move = np.log(1 - jump), np.log(jump / (m - 1))
        trans = np.full((m, m), move)
        for k in range(m):
            trans[k, (k + 1) % m] = stay
        emit = np.tile(np.log(1 - s)[:, None], (1, m))
        emit[:, 0] = np.log(s)
        prior = (prior4 if m == 4 else 0.0) + np.r_[first, np.zeros(m - 1)] - np.log(np.exp(first) + m - 1)
        # Viterbi
        delta = prior + emit[0]
        back = np.zeros((n, m), int)
        for i in range(1, n):
            cand = delta[:, None] + trans
            back[i] = cand.argmax(0)
            delta = cand.max(0) + emit[i]
        path = np.zeros(n, int)
        path[-1] = int(delta.argmax())
        for i in range(n - 1, 0, -1):
            path[i - 1] = back[i, path[i]]
        score = float(delta.max())
        # forward-backward (log domain)
        fw = np.zeros((n, m))
        fw[0] = prior + emit[0]
        for i in range(1, n):
            fw[i] = np.logaddexp.reduce(fw[i - 1][:, None] + trans, axis=0) + emit[i]
        bw = np.zeros((n, m))
        for i in range(n - 2, -1, -1):
            bw[i] = np.logaddexp.reduce(trans + (emit[i + 1] + bw[i + 1])[None, :], axis=1)
        log_z[m] = float(np.logaddexp.reduce(fw[-1]))
        post = np.exp(fw + bw - log_z[m])
        posts[m] = float(post[np.arange(n), path].mean())
        if best is None or score > best[0]:
            best = (score, m, path)
    _, m, path = best
    total = np.logaddexp.reduce(list(log_z.values()))
    return path, m, posts[m], float(np.exp(log_z[m] - total))


def downbeats_of(beats, path):
    return [float(b) for b, k in zip(beats, path) if k == 0]


def fit_logistic(x, y, l2=1e-2, iters=500):
    x = np.column_stack([np.ones(len(x)), x])
    w = np.zeros(x.shape[1])
    for _ in range(iters):  # Newton's method
        p = 1 / (1 + np.exp(-x @ w))
        g = x.T @ (p - y) + l2 * np.r_[0, w[1:]]
        h = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.diag(np.r_[0, np.ones(len(w) - 1)])
        w -= np.linalg.solve(h, g)
    return w


def evidence(post, meter_post):
    return np.array([np.log(post / (1 - post + 1e-6)), np.log(meter_post / (1 - meter_post + 1e-6))])


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--beats", help="herscan's beats: bench/tempo_beats output lines")
    parser.add_argument("--features", default="/tmp/herscan_beat_features")
    parser.add_argument("--bench", default="build/release/bench")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--held-out", help="cache of the folds' held-out activations (.npz): reused when it "
                        "covers every file, else computed and written")
    parser.add_argument("--write", help="write the network fitted on everything and the tracker to this C++ include")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    files = tb.features_of(load(args.manifest), args.bench, args.features)
    herscan_beats(files, args.beats, args.bench)
    print(f"files {len(files)}, pieces {len({f['piece'] for f in files})}, "
          f"downbeats {sum(len(f['beats']) for f in files)}", flush=True)

    # The folds' held-out activations, whole (so that the cache outlives a change of the beats).
    held_out = {}
    if args.held_out and os.path.exists(args.held_out):
        with np.load(args.held_out) as cache:
            held_out = {str(p): cache[f"a{i}"] for i, p in enumerate(cache["paths"])}
    if not all(f["path"] in held_out for f in files):
        held_out = {}
        for fold in range(args.folds):
            train_files = [f for f in files if tb.fold_of(f["piece"], args.folds) != fold]
            test = [f for f in files if tb.fold_of(f["piece"], args.folds) == fold]
            print(f"fold {fold}: train {len(train_files)}, test {len(test)}", flush=True)
            net = tb.train(train_files, args.steps, seed=100 + fold, positive_weight=30.0)
            for f in test:
                held_out[f["path"]] = activation(net, f["x"])
        if args.held_out:
            paths = sorted(held_out)
            np.savez_compressed(args.held_out, paths=np.array(paths),
                                **{f"a{i}": held_out[p].astype(np.float32) for i, p in enumerate(paths)})
    for f in files:
        f["s"] = beat_values(held_out[f["path"]], f["est_beats"], f["rate"])

    def evaluate(jump, prior4, first):
        out = []
        for f in files:
            path, m, post, meter_post = track_bars(f["s"], jump, prior4, first)
            fm = f_measure(downbeats_of(f["est_beats"], path), f["beats"])[0]
            out.append((fm, m, post, meter_post))
        return out

    grid = {}
    for jump in JUMPS:
        for prior4 in PRIORS4:
            for first in FIRSTS:
                r = evaluate(jump, prior4, first)
                grid[(jump, prior4, first)] = r
                meter_ok = [m == int(f["meter"][0]) for f, (_, m, _, _) in zip(files, r)
                            if f["meter"] in ("3/4", "4/4")]
                print(f"  jump {jump:<5} prior4 {prior4:<4} first {first:<3} downbeat F "
                      f"{np.mean([x[0] for x in r]):.3f}  meter {np.mean(meter_ok):.3f}", flush=True)
    (jump, prior4, first), results = max(grid.items(), key=lambda kv: np.mean([x[0] for x in kv[1]]))
    base = [f_measure([float(b) for b in f["est_beats"][0::4]], f["beats"])[0] for f in files]
    print(f"chosen: jump {jump}, prior4 {prior4}, first {first}: downbeat F {np.mean([x[0] for x in results]):.3f} held out, "
          f"every 4th beat from the first {np.mean(base):.3f} ({len(files)} files)")
    three = [f for f in files if f["meter"] == "3/4"]
    four = [f for f in files if f["meter"] == "4/4"]
    for name, group in (("3/4", three), ("4/4", four)):
        idx = [files.index(f) for f in group]
        print(f"  notated {name}: {len(group)} files, read as {name[0]} beats a bar: "
              f"{np.mean([results[i][1] == int(name[0]) for i in idx]):.3f}")

    by_style = {}
    for f, r, b in zip(files, results, base):
        by_style.setdefault(f["style"], []).append((r[0], b))
    for name, v in sorted(by_style.items()):
        v = np.array(v)
        print(f"  {name:28s} files {len(v):3d}  downbeat F {v[:, 0].mean():.3f}  every 4th {v[:, 1].mean():.3f}")

    # Confidence: P(F >= 0.5) from the evidence, logistic, cross-validated by the same folds.
    x = np.array([evidence(r[2], r[3]) for r in results])
    y = np.array([r[0] >= 0.5 for r in results], float)
    held = np.zeros(len(files))
    folds = np.array([tb.fold_of(f["piece"], args.folds) for f in files])
    for fold in range(args.folds):
        w = fit_logistic(x[folds != fold], y[folds != fold])
        held[folds == fold] = 1 / (1 + np.exp(-(w[0] + x[folds == fold] @ w[1:])))
    print(f"mean posterior alone: ROC AUC {roc_auc(list(x[:, 0]), list(y > 0)):.3f}")
    print_calibration("bars (downbeat F >= 0.5), held out", list(held), list(y > 0))
    w_conf = fit_logistic(x, y)

    if args.write:
        net = tb.train(files, args.steps, seed=100 + args.folds, positive_weight=30.0)
        summary = (f"Cross-validated (5 folds by piece): downbeat F {np.mean([r[0] for r in results]):.3f}, "
                   f"every 4th beat {np.mean(base):.3f}.")
        tb.write_cpp(net, args.write, files, summary, name="shipped_downbeat_net",
                     script="scripts/train_downbeats.py", what="downbeat network")
        with open(args.write, "a") as out:
            out.write(f"constexpr double kShippedBarJump = {jump};\n")
            out.write(f"constexpr double kShippedBarPrior4 = {prior4};\n")
            out.write(f"constexpr double kShippedBarFirst = {first};\n")
            out.write("constexpr double kShippedBarConfidence[3] = {" + ", ".join(f"{v:.8g}" for v in w_conf) + "};\n")
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
