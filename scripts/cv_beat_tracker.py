#!/usr/bin/env python3
"""Chooses the beat tracker's settings (src/tempo.cpp, beat_hmm) by nested cross-validation.

    scripts/cv_beat_tracker.py MANIFEST... [--nets /tmp/herscan_beat_features] [--bench build/release/bench]
                               [--activations CACHE.jsonl] [--jobs 2]

The tracker reads the beat network's activation, so it is scored on held-out activations: each
file's activation comes from the fold network of scripts/train_beats.py that did not see its piece
(`--nets`: the fold0.net … fold4.net that train_beats.py writes there; folds by md5(piece) mod 5),
through bench/tempo_beats --activation, which also gives herscan's tempo and the beats of the
programme shipped with that build. The activations are cached (--activations) so that the grid can be
rerun without them.

The tracker is reimplemented here (`beat_pointer`, the same model as beat_hmm: a beat-pointer HMM
over whole-frame intervals within ×range of the chosen period, an interval change costing
change·|τ'/τ − 1|, a pull of pull·(log τ'/period)² to the chosen tempo, beat states the first
⌈τ/states⌉ frames of an interval) and run over a grid of settings; for each fold the setting with
the best mean beat F-measure (±70 ms) on the other four folds' files is scored on that fold's files.
Reported: the nested held-out F per set and per style, each setting's pooled F, and the shipped
build's own beats on the same activations (its settings are one point of the grid).
"""
import argparse
import itertools
import json
import os
import subprocess
import sys
from multiprocessing import Pool

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train_beats import fold_of  # noqa: E402

GRID = {"range": (1.3, 1.5), "change": (50.0, 100.0), "states": (8.0, 16.0), "pull": (10.0, 30.0, 100.0)}


def f_measure(estimated, reference, window=0.07):
    """The beat F-measure, by one pass over both sorted lists (beats are further apart than 2 × window)."""
    est, ref = sorted(estimated), sorted(reference)
    i = j = hits = 0
    while i < len(est) and j < len(ref):
        d = est[i] - ref[j]
        if abs(d) <= window:
            hits, i, j = hits + 1, i + 1, j + 1
        elif d < 0:
            i += 1
        else:
            j += 1
    return 0.0 if hits == 0 else 2 * hits / (len(est) + len(ref))


def beat_pointer(act, period, range_, change, states, pull):
    """Beat frames: the Viterbi path's interval starts (as src/tempo.cpp beat_hmm)."""
    act = np.clip(np.asarray(act, float), 1e-6, 1 - 1e-6)
    taus = np.arange(max(2, int(np.floor(period / range_))), int(np.ceil(period * range_)) + 1)
    K = len(taus)
    offs = np.concatenate([[0], np.cumsum(taus)])
    pos = np.concatenate([np.arange(t) for t in taus])
    beat = pos < np.concatenate([np.full(t, max(1, np.ceil(t / states))) for t in taus])
    logT = -change * np.abs(taus[None, :] / taus[:, None] - 1)
    logT -= np.log(np.exp(logT).sum(axis=1, keepdims=True))
    logT -= pull * (np.log(taus / period) ** 2)[None, :]
    evidence = np.log(act) - np.log((1 - act) / (states - 1))
    first, last = offs[:-1], offs[1:] - 1
    delta = np.where(beat, evidence[0], 0.0)
    back = np.zeros((len(act), K), np.int32)
    for t in range(1, len(act)):
        new = np.empty_like(delta)
        new[1:] = delta[:-1]
        cand = delta[last][:, None] + logT
        back[t] = np.argmax(cand, axis=0)
        new[first] = cand[back[t], np.arange(K)]
        new[beat] += evidence[t]
        delta = new - new.max()
    s = int(np.argmax(delta))
    k = int(np.searchsorted(offs, s, side="right") - 1)
    p = s - offs[k]
    beats = []
    for t in range(len(act) - 1, -1, -1):
        if p == 0:
            beats.append(t)
            if t > 0:
                k = int(back[t, k])
                p = taus[k] - 1
        else:
            p -= 1
    return beats[::-1]


def place(act, frames):
    """src/tempo.cpp place_beats: to the activation's peak within ±2 frames where it is supported."""
    act = np.asarray(act, float)
    if not frames:
        return []
    peaks = [max(0, b - 2) + int(np.argmax(act[max(0, b - 2):b + 3])) for b in frames]
    values = act[peaks]
    supported = values > 0.3 * np.sqrt(np.mean(values ** 2))
    idx = np.nonzero(supported)[0]
    out = []
    for i in range(idx[0], idx[-1] + 1) if len(idx) else []:
        p = peaks[i]
        if not supported[i] or p == 0 or p + 1 >= len(act):
            out.append(float(frames[i] if not supported[i] else p))
            continue
        a, c = act[p - 1], act[p + 1]
        den = a - 2 * act[p] + c
        out.append(p + (float(np.clip(0.5 * (a - c) / den, -0.5, 0.5)) if den < 0 else 0.0))
    return out


def load(manifests):
    files = []
    for name in manifests:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            if f["truth"].get("beats_s"):
                path = os.path.abspath(os.path.join(base, f["path"]))
                files.append({"path": path, "piece": f.get("piece", path), "style": f.get("style", "?"),
                              "set": os.path.basename(name), "beats": f["truth"]["beats_s"]})
    return files


def activations(files, nets, bench, cache):
    rows = {}
    if cache and os.path.exists(cache):
        rows = {r["file"]: r for r in map(json.loads, open(cache))}
    missing = [f for f in files if f["path"] not in rows]
    for fold in range(5):
        paths = [f["path"] for f in missing if fold_of(f["piece"], 5) == fold]
        if not paths:
            continue
        out = subprocess.run([os.path.join(bench, "tempo_beats"), "--net", os.path.join(nets, f"fold{fold}.net"),
                              "--activation"] + paths, capture_output=True, text=True, check=False)
        for line in out.stdout.splitlines():
            r = json.loads(line)
            rows[r["file"]] = r
    if cache and missing:
        with open(cache, "w") as out:
            for r in rows.values():
                out.write(json.dumps(r) + "\n")
    return rows


def score(job):
    row, beats, setting, rate = job
    bpm = row["tempo"]["bpm"]
    if not bpm:
        return 0.0
    act = np.array(row["activation"], float)
    frames = beat_pointer(act, 60 * rate / bpm, setting["range"], setting["change"], setting["states"],
                          setting["pull"])
    return f_measure([b / rate for b in place(act, frames)], beats)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--nets", default="/tmp/herscan_beat_features")
    parser.add_argument("--bench", default="build/release/bench")
    parser.add_argument("--activations", help="cache of the held-out activations (JSON lines)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    rate = 22050 / 512
    files = load(args.manifest)
    rows = activations(files, args.nets, args.bench, args.activations)
    files = [f for f in files if f["path"] in rows]
    shipped = np.array([f_measure(rows[f["path"]]["tempo"]["beats_s"] or [], f["beats"]) for f in files])
    settings = [dict(zip(GRID, v)) for v in itertools.product(*GRID.values())]
    results = []
    with Pool(args.jobs) as pool:
        for s in settings:
            results.append(np.array(pool.map(score, [(rows[f["path"]], f["beats"], s, rate) for f in files])))
            print(f"  {json.dumps(s)}  F {results[-1].mean():.3f}", flush=True)
    folds = np.array([fold_of(f["piece"], 5) for f in files])
    held = np.zeros(len(files))
    for fold in range(5):
        best = max(range(len(settings)), key=lambda i: results[i][folds != fold].mean())
        held[folds == fold] = results[best][folds == fold]
        print(f"fold {fold}: {json.dumps(settings[best])}")
    print(f"nested cross-validated beat F {held.mean():.3f}, this build's beats {shipped.mean():.3f} "
          f"({len(files)} files, {len({f['piece'] for f in files})} pieces)")
    for key in ("set", "style"):
        for name in sorted({f[key] for f in files}):
            i = np.array([f[key] == name for f in files])
            print(f"  {name:30s} files {i.sum():3d}  held out {held[i].mean():.3f}  this build {shipped[i].mean():.3f}")


if __name__ == "__main__":
    main()
