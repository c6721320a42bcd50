#!/usr/bin/env python3
"""Draws a folder's distributions from herscan JSON Lines: tempo, key, integrated loudness.

    herscan ~/Music -o profiles.jsonl && scripts/plot_collection.py profiles.jsonl -o music.png
    herscan *.flac | scripts/plot_collection.py -o distributions.svg

One panel per quantity present in the profiles (tempo.bpm, key.tonic + key.mode,
loudness.integrated_lufs); error records are counted and skipped. The output format follows the
extension of -o. Needs python3-matplotlib (scripts/setup.sh --plots installs it).
"""
import argparse
import collections
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_collection.py: needs matplotlib (Debian: python3-matplotlib; scripts/setup.sh --plots)")

from herscan_json import PITCHES, read_records


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", nargs="?", default="-", help="herscan JSON Lines (default: stdin)")
    parser.add_argument("-o", "--output", required=True, help="picture to write (.png, .svg, .pdf)")
    args = parser.parse_args()

    records = read_records(args.input)
    profiles = [r for r in records if "error" not in r and "album" not in r]
    failed = sum(1 for r in records if "error" in r)
    bpms = [p["tempo"]["bpm"] for p in profiles if (p.get("tempo") or {}).get("bpm") is not None]
    keys = collections.Counter(
        f"{p['key']['tonic']} {p['key']['mode']}" for p in profiles if (p.get("key") or {}).get("tonic") is not None)
    lufs = [p["loudness"]["integrated_lufs"] for p in profiles
            if (p.get("loudness") or {}).get("integrated_lufs") is not None]

    panels = []
    if bpms:
        def draw_tempo(ax):
            ax.hist(bpms, bins=range(40, 252, 4), color="tab:blue")
            ax.set_xlabel("tempo (BPM)")
            ax.set_title(f"tempo, {len(bpms)} tracks", loc="left", fontsize=9)
        panels.append(draw_tempo)
    if keys:
        def draw_keys(ax):
            order = [f"{t} {m}" for m in ("major", "minor") for t in PITCHES]
            counts = [keys.get(k, 0) for k in order]
            ax.bar(range(24), counts, color=["tab:orange"] * 12 + ["tab:purple"] * 12)
            ax.set_xticks(range(24))
            ax.set_xticklabels([k.replace(" major", "").replace(" minor", "m") for k in order], fontsize=7)
            ax.set_title(f"key, {sum(keys.values())} tracks (major, then minor)", loc="left", fontsize=9)
        panels.append(draw_keys)
    if lufs:
        def draw_loudness(ax):
            ax.hist(lufs, bins=30, color="tab:green")
            ax.set_xlabel("integrated loudness (LUFS)")
            ax.set_title(f"loudness, {len(lufs)} tracks", loc="left", fontsize=9)
        panels.append(draw_loudness)
    if not panels:
        sys.exit("plot_collection.py: no tempo, key or loudness values in the input")

    fig, axes = plt.subplots(len(panels), 1, figsize=(9, 2.6 * len(panels) + 0.5), squeeze=False)
    for draw, ax in zip(panels, axes[:, 0]):
        draw(ax)
        ax.set_ylabel("tracks")
    title = f"{len(profiles)} profiles" + (f" ({failed} files failed)" if failed else "")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)


if __name__ == "__main__":
    main()
