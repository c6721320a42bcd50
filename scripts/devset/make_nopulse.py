#!/usr/bin/env python3
"""Renders herscan's no-pulse set: sound that has onsets but no tempo, for the tempo confidence.

    scripts/devset/make_nopulse.py OUTPUT_DIR [--seed 1]

The development sets with a tempo teach the confidence what right and wrong metrical levels look
like; they never show it music without a pulse, where the only honest answer is a low confidence.
This set does: 35 files of 30 s (44.1 kHz mono FLAC in OUTPUT_DIR/nopulse/), seven kinds, five seeds
each, every onset time drawn at random so that no periodicity exists to find:

  poisson-piano   piano-like notes (harmonic partials, exponential decay) at Poisson times, 0.5–3 a
                  second, pitches from a random scale
  drone-swells    a sustained chord whose notes fade in and out at random times (ambient pads)
  rain            noise bursts of random length and level at Poisson times, 4–15 a second
  noise-swells    pink noise whose level wanders slowly (random, smoothed)
  steady-noise    white or pink noise at a constant level (wind, rain, a room)
  free-glissandi  slow sine glides between random pitches at random times (no attacks)
  sparse-chords   chords at exponential intervals (mean 2–5 s), rubato with no grid at all

Writes OUTPUT_DIR/manifest_nopulse.json in the format of the other manifests, truth
{"tempo_bpm": null, "beats_s": null, "pulse": false}. Byte-identical from run to run for a seed.
"""
import argparse
import json
import os

import numpy as np
import soundfile as sf

RATE = 44100
SECONDS = 30.0


def note(freq, seconds, decay, rng):
    t = np.arange(int(seconds * RATE)) / RATE
    x = sum((0.6 ** k) * np.sin(2 * np.pi * freq * (k + 1) * t + rng.uniform(0, 2 * np.pi)) for k in range(6))
    attack = np.minimum(1.0, t / 0.005)
    return x * attack * np.exp(-t / decay)


def scale_freqs(rng):
    root = rng.integers(45, 60)
    steps = [0, 2, 4, 5, 7, 9, 11] if rng.uniform() < 0.5 else [0, 2, 3, 5, 7, 8, 10]
    midi = [root + o + s for o in (0, 12, 24) for s in steps]
    return [440 * 2 ** ((m - 69) / 12) for m in midi]


def pink(n, rng):
    from scipy.signal import lfilter

    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    p = lfilter(b, a, rng.standard_normal(n))
    return p / (np.sqrt(np.mean(p ** 2)) + 1e-12)


def smooth_random(n, rng, seconds_per_knot):
    knots = rng.uniform(0, 1, int(SECONDS / seconds_per_knot) + 2)
    return np.interp(np.arange(n) / RATE, np.arange(len(knots)) * seconds_per_knot, knots)


def poisson_times(rate_hz, rng, start=0.3):
    times, t = [], start
    while True:
        t += rng.exponential(1 / rate_hz)
        if t > SECONDS - 1:
            return times
        times.append(t)


def add(x, at, y, gain):
    i = int(at * RATE)
    y = y[: len(x) - i]
    x[i:i + len(y)] += gain * y


def render(kind, rng):
    n = int(SECONDS * RATE)
    x = np.zeros(n)
    if kind == "poisson-piano":
        freqs = scale_freqs(rng)
        for t in poisson_times(rng.uniform(0.5, 3), rng):
            add(x, t, note(rng.choice(freqs), 3, rng.uniform(0.4, 1.5), rng), rng.uniform(0.05, 0.2))
    elif kind == "drone-swells":
        freqs = scale_freqs(rng)[:10]
        for f in rng.choice(freqs, 4, replace=False):
            env = smooth_random(n, rng, rng.uniform(2, 6)) ** 2
            x += 0.1 * env * note(f, SECONDS, 1e9, rng)[:n]
    elif kind == "rain":
        noise = rng.standard_normal(n)
        for t in poisson_times(rng.uniform(4, 15), rng):
            length = rng.uniform(0.005, 0.04)
            burst = noise[: int(length * RATE)] * np.exp(-np.arange(int(length * RATE)) / RATE / (length / 3))
            add(x, t, burst, rng.uniform(0.02, 0.2))
    elif kind == "noise-swells":
        x = 0.1 * pink(n, rng) * (0.2 + smooth_random(n, rng, rng.uniform(1.5, 4)))
    elif kind == "steady-noise":
        x = 0.1 * (pink(n, rng) if rng.uniform() < 0.5 else rng.standard_normal(n))
    elif kind == "free-glissandi":
        freqs = scale_freqs(rng)
        f = np.zeros(n)
        t, current = 0.0, rng.choice(freqs)
        while t < SECONDS:
            hold = rng.uniform(1, 4)
            target = rng.choice(freqs)
            a, b = int(t * RATE), min(n, int((t + hold) * RATE))
            f[a:b] = np.geomspace(current, target, max(1, b - a))
            current, t = target, t + hold
        phase = 2 * np.pi * np.cumsum(f) / RATE
        x = 0.15 * (np.sin(phase) + 0.3 * np.sin(2 * phase)) * (0.5 + 0.5 * smooth_random(n, rng, 3))
    elif kind == "sparse-chords":
        freqs = scale_freqs(rng)
        t = 0.3
        while t < SECONDS - 2:
            for f in rng.choice(freqs, 3, replace=False):
                add(x, t + rng.uniform(0, 0.08), note(f, 5, rng.uniform(1.5, 3), rng), 0.08)
            t += rng.exponential(rng.uniform(2, 5)) + 0.3
    peak = np.max(np.abs(x))
    return x / peak * 0.5 if peak > 0 else x


KINDS = ["poisson-piano", "drone-swells", "rain", "noise-swells", "steady-noise", "free-glissandi",
         "sparse-chords"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    folder = os.path.join(args.output, "nopulse")
    os.makedirs(folder, exist_ok=True)
    files = []
    for k, kind in enumerate(KINDS):
        for i in range(5):
            rng = np.random.default_rng([args.seed, k, i])
            name = f"{kind}_{i}"
            path = os.path.join(folder, name + ".flac")
            sf.write(path, render(kind, rng), RATE, subtype="PCM_16")
            files.append({"path": os.path.relpath(path, args.output), "piece": f"nopulse:{name}",
                          "source": "synthesised", "style": f"no pulse: {kind}", "sample_rate": RATE,
                          "channels": 1, "duration_s": SECONDS,
                          "truth": {"tempo_bpm": None, "beats_s": None, "pulse": False}})
    write_manifest(args.output, "nopulse", "herscan no-pulse set", files)


def write_manifest(output, name, title, files):
    """Writes OUTPUT/manifest_NAME.json in the development sets' manifest format."""
    manifest = os.path.join(output, f"manifest_{name}.json")
    with open(manifest, "w") as f:
        json.dump({"set": title, "files": files}, f, indent=1)
    print(f"{len(files)} files → {manifest}")


if __name__ == "__main__":
    main()
