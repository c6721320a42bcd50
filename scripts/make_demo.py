#!/usr/bin/env python3
"""Synthesise herscan's demo track, data/demo.flac, and its ground truth, data/demo_truth.json.

A 13-bar loop-based piece in A minor at 112 BPM (4/4): pad chords Am | F | Dm | E (the E
major chord carries the leading tone G#, so the key is unambiguous), a bass on the roots, a
plucked arpeggio, and a drum kit (kick on 1 and 3, snare on 2 and 4, closed hi-hat on
eighths). 0.5 s of silence precedes the first downbeat; the last bar is a held A minor chord
that rings out. 44.1 kHz, stereo, 16-bit FLAC. Deterministic: the same bytes on every run.

Needs python3-numpy and python3-soundfile (scripts/setup.sh --dev installs them).
Usage: scripts/make_demo.py [OUTPUT_DIR]   (default: data/ beside this script)
"""
import json
import os
import sys

import numpy as np
import soundfile as sf

RATE = 44100
BPM = 112.0
BEAT_S = 60.0 / BPM
LEAD_IN_S = 0.5
BARS = 13  # three rounds of the four-bar progression, then a final A minor bar
TAIL_S = 1.5
A4_HZ = 440.0

# Chords as MIDI notes (root position, octave 3-4) and their bass roots (octave 2).
PROGRESSION = [
    ("Am", [57, 60, 64], 45),  # A C E
    ("F", [53, 57, 60], 41),   # F A C
    ("Dm", [50, 53, 57], 38),  # D F A
    ("E", [52, 56, 59], 40),   # E G# B
]


def hz(midi):
    return A4_HZ * 2.0 ** ((midi - 69) / 12.0)


def beat_time(beat_index):
    return LEAD_IN_S + beat_index * BEAT_S


def envelope(n, attack_s, decay_s):
    t = np.arange(n) / RATE
    env = np.minimum(t / attack_s, 1.0) if attack_s > 0 else np.ones(n)
    return env * np.exp(-t / decay_s)


def harmonic_tone(freq, dur_s, partials, decay_s, attack_s=0.005, brightness=1.0):
    n = int(dur_s * RATE)
    t = np.arange(n) / RATE
    out = np.zeros(n)
    for k in range(1, partials + 1):
        if k * freq > RATE / 2 * 0.9:
            break
        # higher partials are quieter and die faster, as in a plucked or struck string
        out += (brightness / k) * np.sin(2 * np.pi * k * freq * t) * np.exp(-t * (k - 1) / (decay_s * 4))
    return out * envelope(n, attack_s, decay_s)


def add(track, start_s, signal, gain_l, gain_r):
    i = int(round(start_s * RATE))
    j = min(i + len(signal), track.shape[0])
    track[i:j, 0] += gain_l * signal[: j - i]
    track[i:j, 1] += gain_r * signal[: j - i]


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "data")
    rng = np.random.RandomState(20261122)
    total_s = beat_time(BARS * 4) + TAIL_S
    track = np.zeros((int(total_s * RATE), 2))

    # Drums.
    kick_n = int(0.35 * RATE)
    kt = np.arange(kick_n) / RATE
    kick_freq = 50 + 90 * np.exp(-kt / 0.03)  # pitch drop 140 → 50 Hz
    kick = np.sin(2 * np.pi * np.cumsum(kick_freq) / RATE) * np.exp(-kt / 0.12)
    snare_n = int(0.25 * RATE)
    st = np.arange(snare_n) / RATE
    snare_noise = rng.standard_normal(snare_n)
    snare = (0.6 * snare_noise * np.exp(-st / 0.06) + 0.5 * np.sin(2 * np.pi * 185 * st) * np.exp(-st / 0.05))
    hat_n = int(0.06 * RATE)
    hat_noise = rng.standard_normal(hat_n)
    hat = np.diff(hat_noise, prepend=0.0) * np.exp(-np.arange(hat_n) / RATE / 0.015)  # crude high-pass

    drum_bars = BARS - 1  # the last bar is the chord ringing out alone
    for bar in range(drum_bars):
        for beat in range(4):
            b = bar * 4 + beat
            if beat in (0, 2):
                add(track, beat_time(b), kick, 0.9, 0.9)
            else:
                add(track, beat_time(b), snare, 0.35, 0.30)
            for eighth in (0, 0.5):
                accent = 0.16 if eighth == 0 else 0.10
                add(track, beat_time(b + eighth), hat, accent * 0.8, accent)

    # Harmony: pad chords, bass, arpeggio.
    for bar in range(BARS):
        name, notes, root = PROGRESSION[bar % 4] if bar < BARS - 1 else PROGRESSION[0]
        bar_start = beat_time(bar * 4)
        bar_len = 4 * BEAT_S
        last = bar == BARS - 1
        for note in notes:
            pad = harmonic_tone(hz(note), bar_len + (TAIL_S if last else 0.05), 8, 2.5, attack_s=0.08, brightness=0.5)
            add(track, bar_start, pad, 0.11, 0.09)
        for eighth in range(8 if not last else 1):
            bass = harmonic_tone(hz(root), BEAT_S * 0.5, 6, 0.25, attack_s=0.004)
            add(track, bar_start + eighth * BEAT_S / 2, bass, 0.30, 0.30)
        if not last:
            pattern = [notes[0] + 12, notes[1] + 12, notes[2] + 12, notes[1] + 12]
            for sixteenth in range(0, 16, 2):
                note = pattern[(sixteenth // 2) % 4]
                pluck = harmonic_tone(hz(note), BEAT_S, 10, 0.3, attack_s=0.002)
                add(track, bar_start + sixteenth * BEAT_S / 4, pluck, 0.06, 0.09)

    # Fade the tail, normalise the peak to -1 dBFS.
    fade = int(TAIL_S * RATE)
    track[-fade:] *= np.linspace(1.0, 0.0, fade)[:, None]
    track *= 10 ** (-1 / 20) / np.max(np.abs(track))
    silence = int(LEAD_IN_S * RATE)
    track[:silence] = 0.0

    os.makedirs(out_dir, exist_ok=True)
    flac_path = os.path.join(out_dir, "demo.flac")
    sf.write(flac_path, track, RATE, subtype="PCM_16", format="FLAC")

    beats = [round(beat_time(b), 6) for b in range(BARS * 4)]
    truth = {
        "file": "demo.flac",
        "made_by": "scripts/make_demo.py",
        "sample_rate_hz": RATE,
        "channels": 2,
        "duration_s": round(track.shape[0] / RATE, 6),
        "tempo_bpm": BPM,
        "time_signature": "4/4",
        "key": "A minor",
        "key_tonic": "A",
        "key_mode": "minor",
        "chords": [PROGRESSION[b % 4][0] if b < BARS - 1 else "Am" for b in range(BARS)],
        "beats_s": beats,
        "downbeats_s": beats[::4],
    }
    with open(os.path.join(out_dir, "demo_truth.json"), "w") as f:
        json.dump(truth, f, indent=2)
        f.write("\n")
    print(f"wrote {flac_path} ({os.path.getsize(flac_path)} bytes, {track.shape[0] / RATE:.2f} s)")


if __name__ == "__main__":
    main()
