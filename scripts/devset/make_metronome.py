#!/usr/bin/env python3
"""Renders herscan's metronome set: bare click tracks, whose tempo is the click rate.

    scripts/devset/make_metronome.py OUTPUT_DIR [--seed 1]

A click track is the first thing a user feeds a tempo estimator, and the one case where the
metrical level is not a matter of taste: with nothing between the clicks and no accents, the beat
is the click. The played development sets hardly hold such tracks (the own set has six), so a
level model fitted on them may read a bare click at half its rate (nothing between the clicks
looks like sparse music). This set gives the models that case as data: 30 files (44.1 kHz mono
FLAC in OUTPUT_DIR/metronome/), tempi log-uniform in 60–200 BPM, 12–30 s, the first click 0.2–1.5 s
in, each with one of five click sounds (sine bursts at 1, 1.5 and 2.5 kHz, a noise burst, a
two-partial wood block), a level drawn in −30..−6 dBFS and, in a third of the files, a quiet room
noise 40 dB down.

Writes OUTPUT_DIR/manifest_metronome.json in the format of the other manifests: per file its own
`piece`, style "metronome", truth {"tempo_bpm", "beats_s", "downbeats_s": null, "time_signature":
null}. Byte-identical from run to run for a seed.
"""
import argparse
import os
import sys

import numpy as np
import soundfile as sf

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_nopulse import write_manifest  # noqa: E402

RATE = 44100
FILES = 30


def click(kind, rng):
    """One click's samples (30 ms)."""
    t = np.arange(int(0.03 * RATE)) / RATE
    if kind == "noise":
        return rng.standard_normal(len(t)) * np.exp(-t / 0.004)
    if kind == "wood":
        return (np.sin(2 * np.pi * 800 * t) + 0.6 * np.sin(2 * np.pi * 2150 * t)) * np.exp(-t / 0.008)
    frequency = {"sine1000": 1000.0, "sine1500": 1500.0, "sine2500": 2500.0}[kind]
    return np.sin(2 * np.pi * frequency * t) * np.exp(-t / 0.006)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    folder = os.path.join(args.output, "metronome")
    os.makedirs(folder, exist_ok=True)
    kinds = ["sine1000", "sine1500", "sine2500", "noise", "wood"]
    files = []
    for i in range(FILES):
        bpm = float(np.exp(rng.uniform(np.log(60), np.log(200))))
        duration = float(rng.uniform(12, 30))
        start = float(rng.uniform(0.2, 1.5))
        kind = kinds[i % len(kinds)]
        gain = 10 ** (rng.uniform(-30, -6) / 20)
        x = np.zeros(int(duration * RATE))
        sound = click(kind, rng)
        sound /= np.max(np.abs(sound))
        beats = []
        t = start
        while t + 0.03 < duration:
            at = int(round(t * RATE))
            x[at:at + len(sound)] += gain * sound
            beats.append(round(at / RATE, 4))
            t += 60.0 / bpm
        if i % 3 == 2:
            x += gain * 10 ** (-40 / 20) * rng.standard_normal(len(x))
        name = f"m{i:02d}_{kind}_{bpm:.2f}bpm".replace(".", "p")
        path = os.path.join(folder, name + ".flac")
        sf.write(path, x.astype(np.float32), RATE, subtype="PCM_24")
        # The tempo over the clicks as placed (on whole samples).
        tempo = 60 * (len(beats) - 1) / (beats[-1] - beats[0])
        files.append({"path": os.path.relpath(path, args.output), "piece": f"metronome:{name}",
                      "source": "scripts/devset/make_metronome.py", "style": "metronome", "sample_rate": RATE,
                      "channels": 1, "duration_s": round(len(x) / RATE, 3),
                      "truth": {"tempo_bpm": round(tempo, 3), "beats_s": beats, "downbeats_s": None,
                                "time_signature": None}})
        print(f"[make_metronome] {name} {len(beats)} clicks", flush=True)
    write_manifest(args.output, "metronome", "herscan metronome set", files)


if __name__ == "__main__":
    main()
