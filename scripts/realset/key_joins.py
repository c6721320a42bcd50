#!/usr/bin/env python3
"""Joins of two pieces in different keys, for herscan's key segments (a modulation with known truth).

    scripts/realset/key_joins.py OUTPUT_DIR [--count 40] [--seed 7] [--excerpt-s 40]

Reads OUTPUT_DIR/manifest_midi.json (midi_renders.py must have run) and, for COUNT random pairs
of renders of two different pieces whose trusted keys differ, writes the first EXCERPT_S seconds of
each, one after the other, to OUTPUT_DIR/joins/jNN.flac (44.1 kHz mono, decoded by ffmpeg, joined
by sox). OUTPUT_DIR/manifest_joins.json has, per file, `pieces` (both; `piece` joins their names
so that cross-validation can keep them apart) and truth {"key": null, "key_segments": [[0, key1],
[boundary_s, key2]]}: the key changes where the second excerpt begins. A hard cut between two
pieces is the easiest modulation there is to hear; a real one is gradual, so these measure
whether the segments find a change at all and where, not how music modulates.
"""
import argparse
import json
import os
import random
import subprocess


def decode(source, target, seconds):
    subprocess.run(["ffmpeg", "-v", "quiet", "-y", "-i", source, "-t", str(seconds), "-ac", "1",
                    "-ar", "44100", target], check=True)
    return float(subprocess.run(["soxi", "-D", target], capture_output=True, text=True, check=True).stdout)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--excerpt-s", type=float, default=40.0)
    args = parser.parse_args()
    manifest = json.load(open(os.path.join(args.output, "manifest_midi.json")))
    by_piece = {}
    for f in manifest["files"]:
        if f["truth"].get("key"):
            by_piece.setdefault(f["piece"], []).append(f)
    pieces = sorted(by_piece)
    rng = random.Random(args.seed)
    os.makedirs(os.path.join(args.output, "joins"), exist_ok=True)
    files = []
    for i in range(args.count):
        a, b = rng.sample(pieces, 2)
        first, second = rng.choice(by_piece[a]), rng.choice(by_piece[b])
        if first["truth"]["key"] == second["truth"]["key"]:
            continue
        path = f"joins/j{i:02d}.flac"
        tmp = [os.path.join(args.output, "joins", f".part{k}.wav") for k in (1, 2)]
        boundary = decode(os.path.join(args.output, first["path"]), tmp[0], args.excerpt_s)
        rest = decode(os.path.join(args.output, second["path"]), tmp[1], args.excerpt_s)
        subprocess.run(["sox", "-q", tmp[0], tmp[1], os.path.join(args.output, path)], check=True)
        for t in tmp:
            os.remove(t)
        files.append({"path": path, "piece": f"{a}+{b}", "pieces": [a, b], "source": "freedoom",
                      "render": "join", "style": "join of two keys", "duration_s": boundary + rest,
                      "truth": {"key": None, "key_segments": [[0.0, first["truth"]["key"]],
                                                              [boundary, second["truth"]["key"]]]}})
    with open(os.path.join(args.output, "manifest_joins.json"), "w") as out:
        json.dump({"files": files}, out, indent=1)
    print(f"{len(files)} joins in {args.output}/joins")


if __name__ == "__main__":
    main()
