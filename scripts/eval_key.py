#!/usr/bin/env python3
"""Evaluates herscan's key estimates against a manifest of true keys: the MIREX weighted score.

    scripts/eval_key.py MANIFEST... [--results RESULTS.jsonl | --herscan build/release/apps/herscan]
                        [--key-profile NAME] [--per-file] [--by-style] [--save RESULTS.jsonl]

MANIFEST is JSON: {"files": [{"path": …, "truth": {"key": "A minor", …}}, …]} with paths relative
to the manifest's folder (the format of ../shared/devset's, scripts/devset/'s and scripts/realset/'s
manifests; files without a truth key are left out). Several manifests are scored together.
Without --results the script runs herscan (--features key) on every file. `--method
librosa-recipe` scores instead what a librosa user gets: the mean chroma_stft (herscan's chroma
block, librosa's definition) correlated with the Krumhansl–Kessler profiles (Krumhansl–Schmuckler,
librosa having no key estimator of its own). It prints the MIREX
weighted score (same key 1.0, perfect fifth above 0.5, relative major/minor 0.3, parallel 0.2,
other 0) and the share of each category, and the same score from mir_eval when python3-mir-eval
is installed (a cross-check of this script's scoring), and, for herscan, how well key.confidence
tells right keys from wrong ones: its ROC AUC and a reliability table per confidence decile, and
how well key.segments follows the key: spurious changes on single-key files, and on files whose truth
has `key_segments` instead of a key (scripts/realset/key_joins.py) the changes found.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

from calibration import print_calibration

PITCH = {"C": 0, "C#": 1, "Db": 1, "D": 2, "D#": 3, "Eb": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
         "G": 7, "G#": 8, "Ab": 8, "A": 9, "A#": 10, "Bb": 10, "B": 11}


def parse_key(text):
    tonic, mode = text.split()
    return PITCH[tonic], mode


def category(ref, est):
    (rt, rm), (et, em) = ref, est
    if (rt, rm) == (et, em):
        return "correct"
    if rm == em and (et - rt) % 12 == 7:
        return "fifth"
    if rm == "major" and em == "minor" and (et - rt) % 12 == 9:
        return "relative"
    if rm == "minor" and em == "major" and (et - rt) % 12 == 3:
        return "relative"
    if rt == et and rm != em:
        return "parallel"
    return "other"


WEIGHTS = {"correct": 1.0, "fifth": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}


KK_MAJOR = [6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88]
KK_MINOR = [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17]
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def pearson(x, y):
    mx, my = sum(x) / len(x), sum(y) / len(y)
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / (sxx * syy) ** 0.5 if sxx > 0 and syy > 0 else 0.0


def krumhansl_schmuckler(chroma):
    best = None
    for mode, profile in (("major", KK_MAJOR), ("minor", KK_MINOR)):
        for tonic in range(12):
            r = pearson([chroma[(i + tonic) % 12] for i in range(12)], profile)
            if best is None or r > best[0]:
                best = (r, tonic, mode)
    return {"tonic": NAMES[best[1]], "mode": best[2], "strength": best[0]}


def run_herscan(herscan, paths, profile, features="key"):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "keys.jsonl")
        command = [herscan, "--features", features, "-q", "-o", out] + (["--key-profile", profile] if profile else []) + paths
        subprocess.run(command, check=False)
        return [json.loads(line) for line in open(out)]


def segment_score(found, truth):
    """Found segments [(start_s, end_s, key)] against true ones [(start_s, key)] (keys of one kind):
    the share of the found time in the true key, and the errors of the changes (seconds) where the
    found keys are the true ones in order (None otherwise)."""
    bounds = [t for t, _ in truth[1:]] + [float("inf")]
    right = sum(max(0.0, min(end, t1) - max(start, t0))  # overlap with the true segments of the same key
                for start, end, key in found for (t0, k), t1 in zip(truth, bounds) if k == key)
    total = sum(end - start for start, end, _ in found)
    changes = None
    if [k for _, _, k in found] == [k for _, k in truth]:
        changes = [abs(found[i][0] - truth[i][0]) for i in range(1, len(truth))]
    return (right / total if total > 0 else 0.0), changes


def print_segments(files, paths, by_path, tolerance_s=8.0):
    """key.segments against the truth: on single-key files how often a spurious change appears and
    how much of the time is in the true key; on files with truth key_segments (scripts/realset/
    key_joins.py) how often every true segment is found with its key and each change within
    TOLERANCE_S, the median error of the changes found, and the share of time in the right key."""
    single, spurious, joins, exact, errors, time_right = 0, 0, 0, 0, [], []
    for f, path in zip(files, paths):
        segments = (((by_path.get(os.path.abspath(path)) or {}).get("key") or {}).get("segments")) or []
        if not segments:
            continue
        truth = [(t, parse_key(k)) for t, k in f["truth"].get("key_segments") or [[0.0, f["truth"]["key"]]]]
        found = [(s["start_s"], s["end_s"], parse_key(f"{s['tonic']} {s['mode']}")) for s in segments]
        share, changes = segment_score(found, truth)
        time_right.append(share)
        if len(truth) == 1:
            single += 1
            spurious += len(found) > 1
        else:
            joins += 1
            if changes is not None:
                errors += changes
                exact += all(c <= tolerance_s for c in changes)
    if single:
        print(f"key segments: single-key files {single}  with a spurious change {spurious / single:.3f}")
    if joins:
        median = statistics.median(errors) if errors else float("nan")
        print(f"key segments: joins {joins}  every key and change (±{tolerance_s:g} s) found {exact} "
              f"({exact / joins:.3f})  median change error {median:.1f} s")
    if time_right:
        print(f"key segments: time in the right key {sum(time_right) / len(time_right):.3f} (mean over files)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--results", help="herscan JSON Lines for the manifest's files")
    parser.add_argument("--herscan", default="build/release/apps/herscan", help="the herscan binary to run")
    parser.add_argument("--key-profile", help="passed to herscan")
    parser.add_argument("--per-file", action="store_true", help="print every file's result")
    parser.add_argument("--method", choices=["herscan", "librosa-recipe"], default="herscan")
    parser.add_argument("--by-style", action="store_true", help="the score per style")
    parser.add_argument("--save", help="write the records scored to this JSON Lines file")
    args = parser.parse_args()

    files, paths = [], []
    for name in args.manifest:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            if f.get("truth", {}).get("key") or f.get("truth", {}).get("key_segments"):
                files.append(f)
                paths.append(os.path.join(base, f["path"]))
    if args.results:
        records = [json.loads(line) for line in open(args.results) if line.strip()]
    else:
        records = run_herscan(args.herscan, paths, args.key_profile,
                              "chroma" if args.method == "librosa-recipe" else "key")
    if args.method == "librosa-recipe":
        for r in records:
            if "chroma" in r:
                r["key"] = krumhansl_schmuckler(r["chroma"]["mean"])
    if args.save:
        with open(args.save, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in records)
    by_path = {os.path.abspath(r["file"]): r for r in records}

    if args.method == "herscan":
        print_segments(files, paths, by_path)
    joins = [f for f in files if not f["truth"].get("key")]
    paths = [p for f, p in zip(files, paths) if f["truth"].get("key")]
    files = [f for f in files if f["truth"].get("key")]
    if not files:
        return
    if joins:
        print(f"(the {len(joins)} files with key segments only are scored above only)")
    counts = {c: 0 for c in WEIGHTS}
    refs, ests = [], []
    confidences, right = [], []
    by_style = {}  # style → MIREX weights of its files
    for f, path in zip(files, paths):
        record = by_path.get(os.path.abspath(path))
        key = (record or {}).get("key") or {}
        if key.get("tonic") is None:
            estimate = None
            cat = "other"
        else:
            estimate = f"{key['tonic']} {key['mode']}"
            cat = category(parse_key(f["truth"]["key"]), parse_key(estimate))
        counts[cat] += 1
        by_style.setdefault(f.get("style", "?"), []).append(WEIGHTS[cat])
        if "confidence" in key:
            confidences.append(key["confidence"] or 0.0)
            right.append(cat == "correct")
        refs.append(f["truth"]["key"])
        ests.append(estimate or "C major")  # an undefined key scores as wrong
        if args.per_file:
            print(f"{cat:9s} truth {f['truth']['key']:10s} herscan {estimate or '-':10s} "
                  f"strength {key.get('strength') or 0:.2f}  {f.get('style', '')}  {os.path.basename(path)}")
    n = len(files)
    score = sum(WEIGHTS[c] * k for c, k in counts.items()) / n
    print(f"files {n}  MIREX weighted score {score:.3f}  " +
          "  ".join(f"{c} {counts[c] / n:.3f}" for c in WEIGHTS))
    if args.by_style:
        for name, weights in sorted(by_style.items()):
            print(f"  {name:24s} files {len(weights):3d}  MIREX {sum(weights) / len(weights):.3f}"
                  f"  correct {sum(w == 1.0 for w in weights) / len(weights):.3f}")
    if confidences:
        print_calibration("key (correct)", confidences, right)
    try:
        import mir_eval

        ref_keys = [r.replace("Db", "C#").replace("Gb", "F#") for r in refs]
        scores = [mir_eval.key.weighted_score(r, e) for r, e in zip(ref_keys, ests)]
        print(f"mir_eval weighted score {sum(scores) / n:.3f}")
    except ImportError:
        pass


if __name__ == "__main__":
    main()
