#!/usr/bin/env python3
"""Metamorphic checks: herscan against itself on transformed copies of recordings without labels.

    scripts/eval_metamorphic.py MANIFEST... [--herscan build/release/apps/herscan] [--work DIR]
                                [--limit N] [--per-file] [--save RESULTS.jsonl]

No truth is needed: each transform has a known effect on the answer, so herscan's answer on the copy
must follow from its answer on the original (scripts/realset/unlabelled.py makes a set of recorded
soundtracks for this; any manifest works). The transforms (rubberband-cli, sox, lame):

  stretch ×0.9, ×1.12   rubberband -T (tempo ×0.9, ×1.12): the BPM must scale by the factor, the key stay
  pitch +2, −3          rubberband -p (semitones): the tonic must move by that much, the mode and BPM stay
  gain −12 dB           sox vol: nothing may move
  MP3 V2                lame -V2 and back: nothing may move
  mono                  sox channels 1 (the mean of the channels): nothing may move

A tempo agrees when the copy's BPM is within ±4 % of the original's × the factor; a key agrees when
tonic and mode are exactly the expected ones. Printed per transform: files, the share where the
tempo agrees and where the key agrees, the same among the files whose original answer had a
confidence of at least 0.5 (a confident answer should survive), and the median change of the
confidence. Copies are written to --work (a temporary folder by default).
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

PITCH = {"C": 0, "C#": 1, "D": 2, "Eb": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "Ab": 8, "A": 9, "Bb": 10, "B": 11}

# name → (command building the copy from a WAV, tempo factor, semitones, copy's extension)
TRANSFORMS = {
    "stretch ×0.9": (lambda i, o: ["rubberband", "-q", "-T0.9", i, o], 0.9, 0, "wav"),
    "stretch ×1.12": (lambda i, o: ["rubberband", "-q", "-T1.12", i, o], 1.12, 0, "wav"),
    "pitch +2": (lambda i, o: ["rubberband", "-q", "-p2", i, o], 1.0, 2, "wav"),
    "pitch −3": (lambda i, o: ["rubberband", "-q", "-p-3", i, o], 1.0, -3, "wav"),
    "gain −12 dB": (lambda i, o: ["sox", i, o, "vol", "-12dB"], 1.0, 0, "wav"),
    "MP3 V2": (lambda i, o: ["lame", "--quiet", "-V2", i, o], 1.0, 0, "mp3"),
    "mono": (lambda i, o: ["sox", i, o, "channels", "1"], 1.0, 0, "wav"),
}


def analyse(herscan, paths, out):
    subprocess.run([herscan, "--features", "tempo,key", "-q", "-o", out] + paths, check=False)
    return {os.path.abspath(r["file"]): r for r in map(json.loads, open(out))}


def agree(original, copy, factor, semitones):
    """(tempo agrees, key agrees) or None where the original has no answer."""
    t0, t1 = original.get("tempo") or {}, copy.get("tempo") or {}
    k0, k1 = original.get("key") or {}, copy.get("key") or {}
    tempo = None
    if t0.get("bpm"):
        tempo = bool(t1.get("bpm")) and abs(t1["bpm"] / (t0["bpm"] * factor) - 1) <= 0.04
    key = None
    if k0.get("tonic"):
        expected = (PITCH[k0["tonic"]] + semitones) % 12
        key = bool(k1.get("tonic")) and PITCH[k1["tonic"]] == expected and k1["mode"] == k0["mode"]
    return tempo, key


def share(values):
    values = [v for v in values if v is not None]
    return f"{sum(values) / len(values):.3f} ({sum(values)}/{len(values)})" if values else "–"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("manifest", nargs="+")
    parser.add_argument("--herscan", default="build/release/apps/herscan")
    parser.add_argument("--work", help="folder for the transformed copies (default: a temporary one)")
    parser.add_argument("--limit", type=int, help="only the first N files")
    parser.add_argument("--per-file", action="store_true")
    parser.add_argument("--save", help="write per-file results to this JSON Lines file")
    args = parser.parse_args()
    herscan = os.path.abspath(args.herscan)
    paths = []
    for name in args.manifest:
        base = os.path.dirname(os.path.abspath(name))
        paths += [os.path.abspath(os.path.join(base, f["path"])) for f in json.load(open(name))["files"]]
    paths = paths[: args.limit] if args.limit else paths
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or tmp
        os.makedirs(work, exist_ok=True)
        copies = {}  # (file, transform) → copy
        for i, path in enumerate(paths):
            wav = os.path.join(work, f"{i:03d}.wav")
            if not os.path.exists(wav):
                subprocess.run(["ffmpeg", "-v", "quiet", "-y", "-i", path, wav], check=True)
            for t, (command, _, _, ext) in TRANSFORMS.items():
                copy = os.path.join(work, f"{i:03d}-{list(TRANSFORMS).index(t)}.{ext}")
                if not os.path.exists(copy):
                    subprocess.run(command(wav, copy), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                copies[(path, t)] = copy
        results = analyse(herscan, paths + list(copies.values()), os.path.join(work, "results.jsonl"))
    rows = []
    for (path, t), copy in copies.items():
        original, transformed = results.get(path), results.get(os.path.abspath(copy))
        if not original or not transformed:
            continue
        _, factor, semitones, _ = TRANSFORMS[t]
        tempo, key = agree(original, transformed, factor, semitones)
        rows.append({"file": path, "transform": t, "tempo_agrees": tempo, "key_agrees": key,
                     "tempo_confidence": (original.get("tempo") or {}).get("confidence"),
                     "key_confidence": (original.get("key") or {}).get("confidence"),
                     "bpm": [(original.get("tempo") or {}).get("bpm"), (transformed.get("tempo") or {}).get("bpm")],
                     "key": [" ".join(str((r.get("key") or {}).get(f)) for f in ("tonic", "mode"))
                             for r in (original, transformed)],
                     "tempo_confidence_change": ((transformed.get("tempo") or {}).get("confidence") or 0) -
                                                ((original.get("tempo") or {}).get("confidence") or 0)})
        if args.per_file:
            r = rows[-1]
            print(f"{t:14s} tempo {r['bpm'][0]} → {r['bpm'][1]} {'ok' if tempo else 'MOVED'}  key {r['key'][0]} → "
                  f"{r['key'][1]} {'ok' if key else 'MOVED'}  {os.path.basename(path)}")
    if args.save:
        with open(args.save, "w") as out:
            out.writelines(json.dumps(r) + "\n" for r in rows)
    print(f"files {len(paths)}")
    print(f"{'transform':14s} {'tempo agrees':16s} {'  if conf ≥ 0.5':16s} {'key agrees':16s} "
          f"{'  if conf ≥ 0.5':16s} median |Δ tempo conf.|")
    for t in TRANSFORMS:
        group = [r for r in rows if r["transform"] == t]
        confident_tempo = [r["tempo_agrees"] for r in group if (r["tempo_confidence"] or 0) >= 0.5]
        confident_key = [r["key_agrees"] for r in group if (r["key_confidence"] or 0) >= 0.5]
        change = statistics.median(abs(r["tempo_confidence_change"]) for r in group) if group else float("nan")
        print(f"{t:14s} {share([r['tempo_agrees'] for r in group]):16s} {share(confident_tempo):16s} "
              f"{share([r['key_agrees'] for r in group]):16s} {share(confident_key):16s} {change:.3f}")


if __name__ == "__main__":
    main()
