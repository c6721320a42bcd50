#!/usr/bin/env python3
"""Trains herscan's beat network (include/herscan/beat_net.h) on development sets, by cross-validation.

    scripts/train_beats.py MANIFEST... [--unambiguous-only MANIFEST]... [--features DIR]
                           [--bench build/release/bench] [--folds 5] [--steps 3000] [--no-cv]
                           [--write src/beat_net.inc]

Every file with beat annotations (truth.beats_s) takes part, and every file marked as having no
pulse (truth.pulse false) as one without beats; files of the `--unambiguous-only` manifests that are
marked metrical_ambiguity are left out (their notated beat need not be the one heard). Features come
from bench/beat_features (cached in DIR, default /tmp/herscan_beat_features); the targets are 1 at
the frame nearest each beat and 0.5 at its two neighbours (the annotation's own uncertainty, as
madmom's training widens them).

The network is the one beat_net.h documents; it is trained with Adam on random 30 s crops (each with
the network's reach of context, silence beyond the file's ends as in herscan), weighted binary
cross-entropy. Folds are grouped by `piece` (renders of one composition never straddle training
and test), files assigned by a hash of the piece's name, as scripts/train_tempo.py and
scripts/train_key.py do. Each fold's network is written in read_beat_net's text form and scored on
the fold's held-out files by bench/tempo_beats (herscan's tempo and its beat programme on the
activation), against the same programme on the onset envelope (--no-net): the beat F-measure
(±70 ms) per fold, per style and overall. With --write the network fitted on everything is written as
C++ for src/beat_net.cpp.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from eval_tempo import f_measure  # noqa: E402

BANDS = 16
FEATURES = 2 * BANDS
CHANNELS = 16
DILATIONS = [1, 2, 4, 8, 16, 32, 64, 128]
CROP = 1300  # frames (30 s at 43.07 frames/s)
REACH = sum(DILATIONS)  # frames each side that an output sees


def fold_of(piece, folds):
    return int(hashlib.md5(piece.encode()).hexdigest()[:8], 16) % folds  # as train_tempo.py


def load(manifests, unambiguous_only):
    strict = {os.path.abspath(m) for m in unambiguous_only}
    files = []
    for name in list(manifests) + [m for m in unambiguous_only if m not in manifests]:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            truth = f.get("truth", {})
            if os.path.abspath(name) in strict and truth.get("metrical_ambiguity"):
                continue
            if truth.get("beats_s") or truth.get("pulse") is False:
                path = os.path.abspath(os.path.join(base, f["path"]))
                files.append({"path": path, "piece": f.get("piece", path), "style": f.get("style", "?"),
                              "beats": truth.get("beats_s") or [], "truth": truth})
    return files


def features_of(files, bench, cache):
    """Each file's feature rows (frames × FEATURES), dumped by bench/beat_features into `cache`."""
    os.makedirs(cache, exist_ok=True)
    index_path = os.path.join(cache, "index.jsonl")
    index = {}
    if os.path.exists(index_path):
        for line in open(index_path):
            r = json.loads(line)
            index[r["file"]] = r
    missing = [f["path"] for f in files if f["path"] not in index]
    if missing:
        start = len(index)
        sub = os.path.join(cache, f"part{start}")
        os.makedirs(sub, exist_ok=True)
        out = subprocess.run([os.path.join(bench, "beat_features"), sub] + missing, capture_output=True,
                             text=True, check=False)
        with open(index_path, "a") as log:
            for line in out.stdout.splitlines():
                r = json.loads(line)
                r["data"] = os.path.join(sub, f"{r['index']}.f32")
                index[r["file"]] = r
                log.write(json.dumps(r) + "\n")
    kept = []
    for f in files:
        r = index.get(f["path"])
        if r is None:
            continue
        x = np.fromfile(r["data"], dtype=np.float32).reshape(-1, FEATURES).copy()
        x[:, :BANDS] = np.log1p(np.maximum(x[:, :BANDS], 0))
        rate = r["rate_hz"]
        y = np.zeros(len(x), np.float32)
        for b in f["beats"]:
            t = int(round(b * rate))
            for dt, v in ((-1, 0.5), (1, 0.5), (0, 1.0)):
                if 0 <= t + dt < len(y):
                    y[t + dt] = max(y[t + dt], v)
        kept.append(dict(f, x=x, y=y, rate=rate))
    return kept


class Block(nn.Module):
    def __init__(self, c, d):
        super().__init__()
        self.conv = nn.Conv1d(c, c, 3, dilation=d, padding=d)
        self.mix = nn.Conv1d(c, c, 1)
        self.dilation = d

    def forward(self, h):
        return h + self.mix(nn.functional.elu(self.conv(h)))


class BeatNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.inp = nn.Conv1d(FEATURES, CHANNELS, 1)
        self.blocks = nn.ModuleList([Block(CHANNELS, d) for d in DILATIONS])
        self.out = nn.Conv1d(CHANNELS, 1, 1)
        self.drop = nn.Dropout(0.1)

    def forward(self, x):  # x: batch × FEATURES × frames → logits batch × frames
        h = self.inp(x)
        for b in self.blocks:
            h = self.drop(b(h))
        return self.out(h)[:, 0]


def train(files, steps, seed=0, positive_weight=8.0):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = BeatNet()
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    lengths = np.array([len(f["x"]) for f in files], float)
    p = np.minimum(lengths, CROP) / np.minimum(lengths, CROP).sum()
    net.train()
    for step in range(steps):
        batch_x, batch_y = [], []
        for i in rng.choice(len(files), size=16, p=p):
            f = files[i]
            n = len(f["x"])
            start = rng.integers(0, max(1, n - CROP + 1))
            m = min(CROP, n - start)
            # The crop with the network's reach of context each side, silence beyond the file (as
            # herscan::beat_activation extends it); only the crop's own frames are scored.
            x = np.zeros((CROP + 2 * REACH, FEATURES), np.float32)
            x[:, BANDS:] = -1
            y = np.full(CROP + 2 * REACH, -1, np.float32)
            lo, hi = max(0, start - REACH), min(n, start + CROP + REACH)
            x[lo - start + REACH:hi - start + REACH] = f["x"][lo:hi]
            y[REACH:REACH + m] = f["y"][start:start + m]
            batch_x.append(x.T)
            batch_y.append(y)
        x = torch.from_numpy(np.stack(batch_x))
        y = torch.from_numpy(np.stack(batch_y))
        logits = net(x)
        mask = (y >= 0).float()
        weight = mask * torch.where(y > 0, positive_weight, 1.0)  # beats are rare (about 1 frame in 25)
        loss = (nn.functional.binary_cross_entropy_with_logits(logits, y.clamp(min=0), reduction="none")
                * weight).sum() / weight.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % 500 == 0 or step == steps - 1:
            print(f"    step {step:5d} loss {loss.item():.4f}", flush=True)
    net.eval()
    return net


def arrays(net):
    """The network's arrays in the order of herscan::BeatNet."""
    def a(t):
        return t.detach().numpy().astype(np.float32).ravel()
    blocks = [(b.dilation, a(b.conv.weight), a(b.conv.bias), a(b.mix.weight), a(b.mix.bias)) for b in net.blocks]
    return a(net.inp.weight), a(net.inp.bias), blocks, a(net.out.weight), float(net.out.bias.item())


def write_text(net, path):
    in_w, in_b, blocks, out_w, out_b = arrays(net)
    with open(path, "w") as out:
        out.write(f"herscan-beat-net 1\n{CHANNELS} {len(blocks)}\n")
        out.write(" ".join(f"{v:.9g}" for v in in_w) + "\n" + " ".join(f"{v:.9g}" for v in in_b) + "\n")
        for d, cw, cb, mw, mb in blocks:
            out.write(f"{d}\n")
            for arr in (cw, cb, mw, mb):
                out.write(" ".join(f"{v:.9g}" for v in arr) + "\n")
        out.write(" ".join(f"{v:.9g}" for v in out_w) + f"\n{out_b:.9g}\n")


def write_cpp(net, path, files, summary, name="shipped_beat_net", script="scripts/train_beats.py",
              what="beat network"):
    in_w, in_b, blocks, out_w, out_b = arrays(net)

    def lst(v):
        return "{" + ", ".join(f"{x:.8g}f" for x in v) + "}"
    lines = [f"// Generated by {script} (do not edit by hand): herscan's {what},",
             f"// trained on {len(files)} files ({len({f['piece'] for f in files})} pieces). {summary}",
             f"BeatNet {name}() {{",
             "  BeatNet n;",
             f"  n.channels = {CHANNELS};",
             f"  n.in_w = {lst(in_w)};",
             f"  n.in_b = {lst(in_b)};"]
    for d, cw, cb, mw, mb in blocks:
        lines.append(f"  n.blocks.push_back({{{d}, {lst(cw)}, {lst(cb)}, {lst(mw)}, {lst(mb)}}});")
    lines += [f"  n.out_w = {lst(out_w)};", f"  n.out_b = {out_b:.8g}f;", "  return n;", "}"]
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")


def score(files, bench, net_path):
    """herscan's beats of `files` (bench/tempo_beats with the network, or --no-net), their F-measures."""
    args = ["--net", net_path] if net_path else ["--no-net"]
    out = subprocess.run([os.path.join(bench, "tempo_beats")] + args + [f["path"] for f in files],
                         capture_output=True, text=True, check=False)
    beats = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        beats[r["file"]] = r["tempo"]["beats_s"] or []
    return [f_measure(beats.get(f["path"], []), f["beats"])[0] for f in files]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--unambiguous-only", action="append", default=[], metavar="MANIFEST")
    parser.add_argument("--features", default="/tmp/herscan_beat_features")
    parser.add_argument("--bench", default="build/release/bench")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--no-cv", action="store_true", help="skip the cross-validation")
    parser.add_argument("--write", help="write the network fitted on everything to this C++ include")
    args = parser.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))

    files = features_of(load(args.manifest, args.unambiguous_only), args.bench, args.features)
    print(f"files {len(files)} (with beats {sum(bool(f['beats']) for f in files)}), "
          f"pieces {len({f['piece'] for f in files})}, frames {sum(len(f['x']) for f in files)}")
    summary = ""
    if not args.no_cv:
        f_net, f_env = {}, {}
        for fold in range(args.folds):
            train_files = [f for f in files if fold_of(f["piece"], args.folds) != fold]
            test = [f for f in files if fold_of(f["piece"], args.folds) == fold and f["beats"]]
            print(f"fold {fold}: train {len(train_files)}, test {len(test)}", flush=True)
            net = train(train_files, args.steps, seed=fold)
            path = os.path.join(args.features, f"fold{fold}.net")
            write_text(net, path)
            for f, a, b in zip(test, score(test, args.bench, path), score(test, args.bench, None)):
                f_net[f["path"]], f_env[f["path"]] = a, b
            print(f"  held out: F on the activation {np.mean([f_net[f['path']] for f in test]):.3f}, "
                  f"on the onset envelope {np.mean([f_env[f['path']] for f in test]):.3f}", flush=True)
        by_style = {}
        for f in files:
            if f["path"] in f_net:
                by_style.setdefault(f["style"], []).append((f_net[f["path"]], f_env[f["path"]]))
        for name, v in sorted(by_style.items()):
            v = np.array(v)
            print(f"  {name:28s} files {len(v):3d}  F activation {v[:, 0].mean():.3f}  envelope {v[:, 1].mean():.3f}")
        a, b = np.mean(list(f_net.values())), np.mean(list(f_env.values()))
        print(f"cross-validated beat F-measure: activation {a:.3f}, onset envelope {b:.3f} "
              f"({len(f_net)} files)")
        summary = f"Cross-validated (5 folds by piece): beat F {a:.3f}, onset envelope {b:.3f}."
    if args.write:
        net = train(files, args.steps, seed=args.folds)
        write_cpp(net, args.write, files, summary)
        print(f"wrote {args.write}")


if __name__ == "__main__":
    main()
