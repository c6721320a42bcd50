#!/usr/bin/env python3
"""Evaluates herscan's tempo and beats against a manifest with true tempi and beat times.

    scripts/eval_tempo.py MANIFEST... [--results RESULTS.jsonl | --herscan build/release/apps/herscan]
                          [--method herscan|librosa|aubio] [--per-file] [--by-style] [--by-source]
                          [--save RESULTS.jsonl]

MANIFEST: {"files": [{"path": …, "style": …, "truth": {"tempo_bpm": … or null,
"beats_s": [...], "metrical_ambiguity": …}}, …]}, paths relative to the manifest's folder (the
format of ../shared/devset's, scripts/devset/'s and scripts/realset/'s manifests; a file whose
`beats_s` is null has no beat truth and counts only for the tempo). Without --results the script runs
herscan (--features tempo,beats). `--method librosa` scores librosa 0.11's tempo and beat_track
instead, through herscan's exact reimplementation (bench/librosa_beats, parity-tested against
librosa's own outputs); `--method aubio` scores aubio's `aubio tempo` and `aubio beat` (Debian
package aubio-tools, default settings).

Prints, over the files with a constant true tempo:
  Acc1  estimate within ±4 % of the true tempo
  Acc2  within ±4 % of the tempo × 1, 2, 3, 1/2 or 1/3 (octave and triple errors allowed)
  Acc1+ Acc1 where a track's annotated alternative metrical level also counts (half the tempo for
        "half-time feel", a third for 3/4 bars, half a beat notated above 180 BPM, twice one below
        70), and Acc1 on the files without such an ambiguity
and over all files the beat F-measure (±70 ms, every beat, no trimming) and the median offset of
matched beats; the F-measure again from mir_eval when python3-mir-eval is installed; and, for
herscan, how well tempo.confidence tells Acc1 hits from misses: its ROC AUC and a reliability table
(mean confidence and observed Acc1 per confidence decile).

Over the files with annotated downbeats (truth.downbeats_s): the downbeat F-measure (±70 ms) of
herscan's tempo.downbeats, against every 4th of the method's beats from the first (the baseline,
and the only figure for methods without downbeats); beats_per_bar against the notation on the files
in 3/4 or 4/4; and how well tempo.bar_confidence tells right bars (downbeat F ≥ 0.5) from wrong.
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

from calibration import print_calibration


def f_measure(estimated, reference, window=0.07):
    if not estimated or not reference:
        return 0.0, []
    used = [False] * len(estimated)
    hits, offsets = 0, []
    for r in reference:
        best, j = None, -1
        for i, e in enumerate(estimated):
            if used[i]:
                continue
            d = abs(e - r)
            if best is None or d < best:
                best, j = d, i
        if best is not None and best <= window:
            used[j] = True
            hits += 1
            offsets.append(estimated[j] - r)
    if hits == 0:
        return 0.0, []
    precision, recall = hits / len(estimated), hits / len(reference)
    return 2 * precision * recall / (precision + recall), offsets


def within(estimate, truth, factor=1.0):
    return abs(estimate - truth * factor) <= 0.04 * truth * factor


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+", help="one or more manifests, scored together")
    parser.add_argument("--results")
    parser.add_argument("--herscan", default="build/release/apps/herscan")
    parser.add_argument("--method", choices=["herscan", "librosa", "aubio"], default="herscan")
    parser.add_argument("--per-file", action="store_true")
    parser.add_argument("--by-style", action="store_true", help="Acc1 and F-measure per style")
    parser.add_argument("--by-source", action="store_true", help="Acc1 and F-measure per source package")
    parser.add_argument("--save", help="write the records scored to this JSON Lines file")
    args = parser.parse_args()

    files, paths = [], []
    for name in args.manifest:
        base = os.path.dirname(os.path.abspath(name))
        for f in json.load(open(name))["files"]:
            files.append(f)
            paths.append(os.path.join(base, f["path"]))
    if args.results:
        records = [json.loads(line) for line in open(args.results) if line.strip()]
    elif args.method == "aubio":
        records = []
        for path in paths:
            tempo = subprocess.run(["aubio", "tempo", "-i", path], check=True, capture_output=True, text=True).stdout
            beats = subprocess.run(["aubio", "beat", "-i", path], check=True, capture_output=True, text=True).stdout
            bpm = float(tempo.split()[0]) if tempo.split() else None
            records.append({"file": path, "tempo": {"bpm": bpm, "beats": [float(b) for b in beats.split()]}})
    elif args.method == "librosa":
        tool = os.path.join(os.path.dirname(args.herscan), "..", "bench", "librosa_beats")
        out = subprocess.run([tool] + paths, check=True, capture_output=True, text=True).stdout
        records = [json.loads(line) for line in out.splitlines()]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "tempo.jsonl")
            subprocess.run([args.herscan, "--features", "tempo,beats", "-q", "-o", out] + paths, check=False)
            records = [json.loads(line) for line in open(out)]
    if args.save:
        with open(args.save, "w") as f:
            f.writelines(json.dumps(r) + "\n" for r in records)
    by_path = {os.path.abspath(r["file"]): r for r in records}

    acc1 = acc2 = acc1_alt = n_tempo = 0
    errors = []  # |bpm − truth| / truth, in %, where the level is right (Acc1)
    fs, all_offsets, pairs = [], [], []
    by_style = {}  # style (or source) → [tempo files, Acc1 hits, F-measures]
    confidences, hits = [], []  # herscan's confidence and Acc1 on the files with a tempo
    plain = []  # Acc1 hits on the files whose metrical level is not ambiguous
    no_pulse = []  # herscan's confidence on the files marked as having no pulse (truth.pulse false)
    bars = []  # per file with downbeats: (F, F of every 4th beat, meter right or None, bar confidence, notation)
    for f, path in zip(files, paths):
        truth = f["truth"]
        tempo = (by_path.get(os.path.abspath(path)) or {}).get("tempo") or {}
        bpm = tempo.get("bpm")
        beats = tempo.get("beats") or []
        group = f.get("source", "?") if args.by_source else f.get("style", "?")
        style = by_style.setdefault(group, [0, 0, []])  # then (downbeat F, every 4th) per file
        line = ""
        if truth.get("beats_s") is not None:
            fm, offsets = f_measure(beats, truth["beats_s"])
            fs.append(fm)
            style[2].append(fm)
            all_offsets += offsets
            pairs.append((truth["beats_s"], beats))
            line = f"F {fm:.2f}  offset {statistics.median(offsets) * 1000 if offsets else float('nan'):+5.1f} ms"
        if truth.get("downbeats_s"):
            db = f_measure(tempo.get("downbeats") or [], truth["downbeats_s"])[0]
            every4 = f_measure(beats[0::4], truth["downbeats_s"])[0]
            sig = truth.get("time_signature")
            meter = (tempo.get("beats_per_bar") == int(sig[0])) if sig in ("3/4", "4/4") and "beats_per_bar" in tempo else None
            bars.append((db, every4, meter, tempo.get("bar_confidence"), sig))
            style.append((db, every4))
            line += f"  downbeat F {db:.2f} (every 4th {every4:.2f})"
        if truth.get("pulse") is False:
            if "confidence" in tempo:
                no_pulse.append(tempo["confidence"] or 0.0)
            line = f"tempo {bpm if bpm is None else round(bpm, 2)} (no pulse) confidence {tempo.get('confidence')}"
        if truth.get("tempo_bpm"):
            t = truth["tempo_bpm"]
            n_tempo += 1
            a1 = bpm is not None and within(bpm, t)
            a2 = bpm is not None and any(within(bpm, t, k) for k in (1, 2, 3, 0.5, 1 / 3))
            # The other level a listener may tap: half a 4/4 beat, a 3/4 bar, half a fast notated
            # beat, twice a slow one (where the manifest marks the level ambiguous).
            alts = {{"4/4": 0.5, "3/4": 1 / 3}.get(truth.get("time_signature"), 0.5)}
            alts |= {0.5} if t > 180 else {2} if t < 70 else set()
            a1_alt = a1 or (bpm is not None and bool(truth.get("metrical_ambiguity"))
                            and any(within(bpm, t, k) for k in alts))
            acc1 += a1
            if not truth.get("metrical_ambiguity"):
                plain.append(bool(a1))
            if "confidence" in tempo:
                confidences.append(tempo["confidence"] or 0.0)
                hits.append(bool(a1))
            style[0] += 1
            style[1] += a1
            if a1:
                errors.append(abs(bpm - t) / t * 100)
            acc2 += a2
            acc1_alt += a1_alt
            line = f"tempo {bpm if bpm is None else round(bpm, 2)} truth {t:.2f} {'ok' if a1 else 'MISS'}  " + line
        if args.per_file:
            print(f"{f.get('style', ''):14s} {line}  {os.path.basename(path)}")
    if n_tempo:
        print(f"tempo: files {n_tempo}  Acc1 {acc1 / n_tempo:.3f}  Acc2 {acc2 / n_tempo:.3f}  Acc1+ {acc1_alt / n_tempo:.3f}"
              f"  error (Acc1 hits) median {statistics.median(errors) if errors else float('nan'):.2f} %"
              f" max {max(errors) if errors else float('nan'):.2f} %")
        if plain and len(plain) < n_tempo:
            print(f"  files without metrical ambiguity {len(plain)}  Acc1 {sum(plain) / len(plain):.3f}")
    if args.by_style or args.by_source:
        for name, (n, style_hits, style_fs, *style_bars) in sorted(by_style.items()):
            acc = f"Acc1 {style_hits / n:.3f} ({style_hits}/{n})" if n else "Acc1 –"
            f_text = f"F {sum(style_fs) / len(style_fs):.3f}" if style_fs else "F –"
            if style_bars:
                f_text += (f"  downbeat F {sum(b[0] for b in style_bars) / len(style_bars):.3f}"
                           f" (every 4th {sum(b[1] for b in style_bars) / len(style_bars):.3f})")
            print(f"  {name:24s} files {max(n, len(style_fs)):3d}  {acc:18s}  {f_text}")
    median_offset = statistics.median(all_offsets) * 1000 if all_offsets else float("nan")
    if fs:
        print(f"beats: files {len(fs)}  F-measure {sum(fs) / len(fs) if fs else float('nan'):.3f}"
              f"  median offset {median_offset:+.1f} ms")
    try:
        import mir_eval
        import numpy as np

        scores = [mir_eval.beat.f_measure(np.array(ref), np.array(est), 0.07) for ref, est in pairs]
        if scores:
            print(f"mir_eval beat F-measure {sum(scores) / len(scores):.3f}")
    except ImportError:
        pass
    if bars:
        print(f"downbeats: files {len(bars)}  F-measure {sum(b[0] for b in bars) / len(bars):.3f}"
              f"  every 4th beat {sum(b[1] for b in bars) / len(bars):.3f}")
        for sig in ("3/4", "4/4"):
            right = [b[2] for b in bars if b[4] == sig and b[2] is not None]
            if right:
                print(f"  notated {sig}: files {len(right)}  beats_per_bar {sig[0]} {sum(right) / len(right):.3f}")
        rated = [(b[3], b[0] >= 0.5) for b in bars if b[3] is not None]
        if rated:
            print_calibration("bars (downbeat F >= 0.5)", [c for c, _ in rated], [h for _, h in rated])
    if confidences:
        print_calibration("tempo (Acc1)", confidences, hits)
    if no_pulse:
        print(f"no pulse: files {len(no_pulse)}  confidence median {statistics.median(no_pulse):.3f}"
              f"  max {max(no_pulse):.3f}  below 0.3 (no reliable pulse) {sum(c < 0.3 for c in no_pulse)}")
        if confidences:  # a wrong answer, whatever the tempo: the no-pulse files join the misses
            print_calibration("tempo (Acc1, no-pulse files as misses)", confidences + no_pulse,
                              hits + [False] * len(no_pulse))


if __name__ == "__main__":
    main()
