#!/usr/bin/env python3
"""Draws one picture of a herscan profile: the panels whose data are present.

    herscan --frames mel track.flac | scripts/plot_profile.py -o track.png
    scripts/plot_profile.py profiles.jsonl --index 3 -o third.svg

Reads herscan JSON (one object, a JSON array, or JSON Lines) from a file or stdin and draws,
top to bottom, whichever of these the record holds:
  - the mel spectrogram (frames.mel_db, from `--frames mel`)
  - the chroma-gram (frames.chroma)
  - loudness over time (frames.momentary_lufs / short_term_lufs, with the integrated loudness)
  - the onset envelope with the beats (frames.onset_strength, tempo.beats)
  - spectral shape over time (frames.centroid_hz, rolloff_hz) when nothing above is present
The output format follows the extension of -o (PNG, SVG, PDF). Needs python3-matplotlib
(scripts/setup.sh --plots installs it).
"""
import argparse
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    sys.exit("plot_profile.py: needs matplotlib (Debian: python3-matplotlib; scripts/setup.sh --plots)")

from herscan_json import PITCHES, read_records


def none_to_nan(values):
    return [float("nan") if v is None else v for v in values]


def panel_mel(ax, frames):
    import numpy as np

    mel = np.array(frames["mel_db"], dtype=float).T  # bands × frames
    t = frames["time_s"]
    image = ax.imshow(mel, origin="lower", aspect="auto", cmap="magma",
                      extent=[t[0], t[-1] if len(t) > 1 else 1, 0, mel.shape[0]])
    ax.set_ylabel("mel band")
    ax.set_title("mel spectrogram (dB)", loc="left", fontsize=9)
    # An inset colour bar keeps this panel as wide as the others, so the time axes line up.
    bar = ax.inset_axes([1.005, 0.0, 0.012, 1.0])
    plt.colorbar(image, cax=bar, label="dB")


def panel_chroma(ax, frames):
    import numpy as np

    chroma = np.array(frames["chroma"], dtype=float).T
    t = frames["time_s"]
    ax.imshow(chroma, origin="lower", aspect="auto", cmap="viridis",
              extent=[t[0], t[-1] if len(t) > 1 else 1, -0.5, 11.5], vmin=0, vmax=1)
    ax.set_yticks(range(12))
    ax.set_yticklabels(PITCHES, fontsize=7)
    ax.set_title("chroma", loc="left", fontsize=9)


def panel_loudness(ax, frames, record):
    t = frames["loudness_time_s"]
    if "momentary_lufs" in frames:
        ax.plot(t, none_to_nan(frames["momentary_lufs"]), lw=0.7, color="0.6", label="momentary (400 ms)")
    if "short_term_lufs" in frames:
        ax.plot(t, none_to_nan(frames["short_term_lufs"]), lw=1.4, color="tab:blue", label="short-term (3 s)")
    integrated = record.get("loudness", {}).get("integrated_lufs")
    if integrated is not None:
        ax.axhline(integrated, color="tab:red", lw=1, ls="--", label=f"integrated {integrated:.1f} LUFS")
    ax.set_ylabel("LUFS")
    ax.set_title("loudness", loc="left", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")


def panel_onsets(ax, frames, record):
    ax.plot(frames["time_s"], none_to_nan(frames["onset_strength"]), lw=0.8, color="tab:green")
    for beat in record.get("tempo", {}).get("beats", []) or []:
        ax.axvline(beat, color="tab:red", lw=0.6, alpha=0.7)
    bpm = record.get("tempo", {}).get("bpm")
    ax.set_title("onset envelope" + (f" and beats ({bpm:.1f} BPM)" if bpm else ""), loc="left", fontsize=9)


def panel_spectral(ax, frames):
    t = frames["time_s"]
    for key, label in (("centroid_hz", "centroid"), ("rolloff_hz", "roll-off (85 %)")):
        if key in frames:
            ax.plot(t, none_to_nan(frames[key]), lw=0.8, label=label)
    ax.set_ylabel("Hz")
    ax.set_title("spectral shape", loc="left", fontsize=9)
    ax.legend(fontsize=7, loc="upper right")


def title_of(record):
    parts = [record.get("file", "?")]
    loudness = record.get("loudness", {})
    if loudness.get("integrated_lufs") is not None:
        parts.append(f"{loudness['integrated_lufs']:.1f} LUFS")
    tempo = record.get("tempo", {})
    if tempo.get("bpm") is not None:
        parts.append(f"{tempo['bpm']:.1f} BPM")
    key = record.get("key", {})
    if key.get("tonic") is not None:
        parts.append(f"{key['tonic']} {key.get('mode', '')}")
    return "  ·  ".join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("input", nargs="?", default="-", help="herscan JSON file (default: stdin)")
    parser.add_argument("-o", "--output", required=True, help="picture to write (.png, .svg, .pdf)")
    parser.add_argument("-i", "--index", type=int, default=0, help="which record (default: the first)")
    args = parser.parse_args()

    records = [r for r in read_records(args.input) if "error" not in r and "album" not in r]
    if not records:
        sys.exit("plot_profile.py: no profile in the input")
    if not 0 <= args.index < len(records):
        sys.exit(f"plot_profile.py: --index {args.index}: the input has {len(records)} profile(s)")
    record = records[args.index]
    frames = record.get("frames")
    if not frames:
        sys.exit("plot_profile.py: the profile has no frame series: run herscan with --frames (or --frames mel)")

    panels = []
    if frames.get("mel_db"):
        panels.append(lambda ax: panel_mel(ax, frames))
    if frames.get("chroma"):
        panels.append(lambda ax: panel_chroma(ax, frames))
    if frames.get("loudness_time_s"):
        panels.append(lambda ax: panel_loudness(ax, frames, record))
    if frames.get("onset_strength"):
        panels.append(lambda ax: panel_onsets(ax, frames, record))
    if not panels and frames.get("time_s") and (frames.get("centroid_hz") or frames.get("rolloff_hz")):
        panels.append(lambda ax: panel_spectral(ax, frames))
    if not panels:
        sys.exit("plot_profile.py: nothing to draw in this profile's frames")

    fig, axes = plt.subplots(len(panels), 1, figsize=(11, 2.4 * len(panels) + 0.6), sharex=True, squeeze=False)
    for draw, ax in zip(panels, axes[:, 0]):
        draw(ax)
    axes[-1, 0].set_xlabel("time (s)")
    fig.suptitle(title_of(record), fontsize=10)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)


if __name__ == "__main__":
    main()
