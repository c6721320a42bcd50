#!/usr/bin/env python3
"""The MIDI slice of herscan's real-music development set: published compositions, rendered three ways.

    scripts/realset/midi_renders.py OUTPUT_DIR [--package freedoom|freedm] [--only NAME]

The pieces are the 66 distinct MIDI scores of Freedoom's soundtrack (Debian package freedoom:
rock, metal, funk, ambient and orchestral game music by some thirty composers, each written and
sequenced by hand), or with --package freedm the 28 scores of FreeDM (the same project's deathmatch
game, package freedm) that are not Freedoom's. The script downloads the package into
OUTPUT_DIR/cache (apt-get download, never installed), takes the music lumps (D_*, standard MIDI) out
of its WAD files, and renders every piece three times with FluidSynth into OUTPUT_DIR/midi/ (FreeDM's
files named dm-NAME_…):

  band     the score as written, FluidR3 GM SoundFont, FluidSynth's reverb and chorus, MP3 (lame -V2)
  band2    TimGM6mb SoundFont (another set of samples), transposed by a per-piece offset in −4..+4
           semitones (drums stay), humanised: every note 0–12 ms late or early (Gaussian, σ 6 ms) and
           its velocity ×0.8–1.2, pink noise 35 dB under the music, Ogg Vorbis (-q 4)
  solo     drums removed, every part played by one instrument (acoustic grand piano, or for a third
           of the pieces the string ensemble), a different transposition, and rubato: the tempo wanders
           smoothly by up to ±6 % (two slow sinusoids), MuseScore General SoundFont when installed
           (FluidR3 otherwise), FLAC

Writes OUTPUT_DIR/manifest_midi.json (manifest_freedm.json for FreeDM) in the format of
../shared/devset's manifests, with per file
`piece` (the composition: renders of one piece share it, so cross-validation splits by piece),
`render`, `style` and `truth`:
  tempo_bpm      the score's tempo in beats per minute (the mean over the rubato), null where the score
                 changes tempo by more than ±2 % (then `tempo_segments`), or where the score's clock is
                 not musical time (below)
  beats_s        the beats from the score's tempo map and time signatures (a quarter note in x/4 and x/2,
                 a dotted quarter in 6/8, 9/8 and 12/8), from the first note to the last, in seconds of the
                 rendered file, through the same time warp as the notes; null where unknown
  downbeats_s    the bar starts
  time_signature the first one
  metrical_ambiguity  true for 3/4 and compound metres, and where the score's tempo (any of its
                 segments') lies outside 70–180 BPM (as modules.py marks it): there the notated
                 beat and the one a listener taps may differ by a factor of two, though the
                 notation stays the truth of tempo_bpm (docs/accuracy.md)
  key            only where the score settles it: see `score_key` below; absent otherwise
Scores converted from Doom's MUS format (89 ticks per quarter at 95 BPM: a 140 Hz clock) carry no
musical tempo: their beats and tempo are null, their key is kept.
"""
import argparse
import glob
import hashlib
import io
import json
import math
import os
import shutil
import struct
import subprocess
import sys

import mido
import numpy as np
import soundfile as sf

RATE = 44100
CAP_S = 240.0  # longer scores are cut here
NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]
# Key profiles for the symbolic key (Krumhansl & Kessler 1982; Aarden 2003, from the Essen corpus):
# two different ones, so that the truth does not lean on herscan's default (Temperley's).
KK = ([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88],
      [6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
AARDEN = ([17.77, 0.15, 14.93, 0.16, 19.8, 11.36, 0.29, 22.06, 0.15, 8.15, 0.23, 4.95],
          [18.26, 0.74, 14.05, 16.86, 0.7, 14.44, 0.7, 18.62, 4.57, 1.93, 7.38, 1.76])
# The packages whose WADs hold the scores, and the prefix of their files' names (FreeDM reuses
# Freedoom's lump names for other music).
PREFIXES = {"freedoom": "", "freedm": "dm-"}
SOUNDFONTS = {
    "fluidr3": "/usr/share/sounds/sf2/FluidR3_GM.sf2",
    "timgm6mb": "/usr/share/sounds/sf2/TimGM6mb.sf2",
    "musescore": "/usr/share/sounds/sf3/MuseScore_General.sf3",
}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def wad_scores(cache, package):
    """The distinct D_* MIDI lumps of a Debian package's WAD files, as (name, bytes), sorted."""
    os.makedirs(cache, exist_ok=True)
    debs = glob.glob(os.path.join(cache, f"{package}_*.deb"))
    if not debs:
        run(["apt-get", "download", package], cwd=cache, stdout=subprocess.DEVNULL)
        debs = glob.glob(os.path.join(cache, f"{package}_*.deb"))
    root = os.path.join(cache, package)
    if not os.path.isdir(root):
        run(["dpkg", "-x", debs[0], root])
    seen, scores = set(), []
    for wad in sorted(glob.glob(os.path.join(root, "usr/share/games/doom/*.wad"))):
        data = open(wad, "rb").read()
        _, count, offset = struct.unpack("<4sii", data[:12])
        for i in range(count):
            pos, size, name = struct.unpack("<ii8s", data[offset + 16 * i: offset + 16 * i + 16])
            name = name.rstrip(b"\0").decode()
            lump = data[pos: pos + size]
            digest = hashlib.md5(lump).hexdigest()
            if name.startswith("D_") and lump[:4] == b"MThd" and digest not in seen:
                seen.add(digest)
                scores.append((name[2:].lower(), lump))
    return sorted(scores)


def pitch_histogram(lump):
    """How often each MIDI note is struck (drums left out), as a unit vector: a score's fingerprint."""
    h = np.zeros(128)
    for track in mido.MidiFile(file=io.BytesIO(lump)).tracks:
        for m in track:
            if m.type == "note_on" and m.velocity > 0 and m.channel != 9:
                h[m.note] += 1
    return h / max(np.linalg.norm(h), 1e-12)


def fetch_scores(cache, package):
    """The scores of `package` (freedoom, or freedm: FreeDM, the deathmatch game of the same
    project, whose soundtrack is mostly its own). FreeDM's scores that are Freedoom's (the same
    notes, or a pitch histogram within cosine 0.95 of one: another sequencing of the same piece)
    are left out, so that no composition is in both slices."""
    scores = wad_scores(cache, package)
    if package == "freedoom":
        return scores
    known = [pitch_histogram(lump) for _, lump in wad_scores(cache, "freedoom")]
    kept, fingerprints = [], []
    for name, lump in scores:
        h = pitch_histogram(lump)
        if all(float(h @ k) < 0.95 for k in known + fingerprints):
            kept.append((name, lump))
            fingerprints.append(h)
    return kept


class Score:
    """A MIDI file as notes and meta events in seconds, with its tempo map."""

    def __init__(self, path):
        self.midi = mido.MidiFile(path)
        self.tpb = self.midi.ticks_per_beat
        events = []  # (tick, order, track, message)
        for t, track in enumerate(self.midi.tracks):
            tick = 0
            for i, msg in enumerate(track):
                tick += msg.time
                events.append((tick, i, t, msg))
        events.sort(key=lambda e: (e[0], e[2], e[1]))
        self.tempos = [(0, 500000)]  # (tick, µs per quarter)
        self.signatures = [(0, 4, 4)]
        for tick, _, _, msg in events:
            if msg.type == "set_tempo":
                if tick == self.tempos[-1][0]:
                    self.tempos[-1] = (tick, msg.tempo)  # the last change at a tick wins
                elif msg.tempo != self.tempos[-1][1]:
                    self.tempos.append((tick, msg.tempo))
            elif msg.type == "time_signature":
                entry = (tick, msg.numerator, msg.denominator)
                if tick == self.signatures[-1][0]:
                    self.signatures[-1] = entry
                else:
                    self.signatures.append(entry)
        self.key_signatures = [msg.key for _, _, _, msg in events if msg.type == "key_signature"]
        self.events = [(self.seconds(tick), t, msg) for tick, _, t, msg in events if not msg.is_meta]
        self.notes = []  # (start_s, end_s, channel, pitch, velocity)
        open_notes = {}
        for time, _, msg in self.events:
            if msg.type == "note_on" and msg.velocity > 0:
                open_notes.setdefault((msg.channel, msg.note), []).append((time, msg.velocity))
            elif msg.type in ("note_off", "note_on"):
                started = open_notes.get((msg.channel, msg.note))
                if started:
                    start, velocity = started.pop(0)
                    self.notes.append((start, time, msg.channel, msg.note, velocity))
        self.notes.sort()

    def seconds(self, tick):
        """The time of a tick through the tempo map."""
        time, last_tick, tempo = 0.0, 0, self.tempos[0][1]
        for change_tick, change_tempo in self.tempos[1:]:
            if change_tick >= tick:
                break
            time += (change_tick - last_tick) * tempo / 1e6 / self.tpb
            last_tick, tempo = change_tick, change_tempo
        return time + (tick - last_tick) * tempo / 1e6 / self.tpb

    def beat_ticks(self, numerator, denominator):
        """The beat's length in ticks: the denominator's note, or three of them in compound metres."""
        unit = self.tpb * 4 / denominator
        return 3 * unit if denominator == 8 and numerator in (6, 9, 12) else unit

    def grid(self, end_tick):
        """Beat and downbeat ticks over [0, end_tick], following the time signatures."""
        beats, downbeats = [], []
        for i, (start, numerator, denominator) in enumerate(self.signatures):
            stop = self.signatures[i + 1][0] if i + 1 < len(self.signatures) else end_tick
            beat = self.beat_ticks(numerator, denominator)
            bar = self.tpb * 4 * numerator / denominator
            tick = start
            while tick < stop - 1e-9 and tick <= end_tick:
                beats.append(tick)
                tick += beat
            tick = start
            while tick < stop - 1e-9 and tick <= end_tick:
                downbeats.append(tick)
                tick += bar
        return beats, downbeats


def ticks_of(score, seconds):
    """The tick at a time (inverse of Score.seconds), by bisection on the monotone map."""
    lo, hi = 0.0, 1.0
    while score.seconds(hi) < seconds:
        hi *= 2
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if score.seconds(mid) < seconds else (lo, mid)
    return (lo + hi) / 2


def score_key(score):
    """The key the score settles, or None: the duration × velocity weighted pitch-class profile of
    every pitched note, correlated with two different key profiles (Krumhansl–Kessler and Aarden);
    trusted when both choose the same key and the piece's final bass note (the lowest note sounding in
    its last second) or its first bass note is that key's tonic. A declared key signature, where the
    score has one other than the sequencers' default C major, must agree as well."""
    weights = np.zeros(12)
    pitched = [n for n in score.notes if n[2] != 9]
    if not pitched:
        return None
    for start, end, _, pitch, velocity in pitched:
        weights[pitch % 12] += (min(end, CAP_S) - start) * velocity / 127 if start < CAP_S else 0
    choices = []
    for major, minor in (KK, AARDEN):
        best = None
        for mode, profile in (("major", major), ("minor", minor)):
            for tonic in range(12):
                r = np.corrcoef(np.roll(weights, -tonic), profile)[0, 1]
                if best is None or r > best[0]:
                    best = (r, tonic, mode)
        choices.append(best)
    (r1, tonic, mode), (_, tonic2, mode2) = choices
    if (tonic, mode) != (tonic2, mode2) or r1 < 0.6:
        return None
    last = min(max(n[1] for n in pitched), CAP_S)
    final = [n for n in pitched if n[1] >= last - 1.0 and n[0] < last]
    first_time = pitched[0][0]
    opening = [n for n in pitched if n[0] <= first_time + 1.0]
    bass = {min(final, key=lambda n: n[3])[3] % 12, min(opening, key=lambda n: n[3])[3] % 12}
    if tonic not in bass:
        return None
    declared = [k for k in score.key_signatures if k != "C"]
    if declared:
        name = declared[0]
        d_minor = name.endswith("m")
        d_tonic = {"C": 0, "C#": 1, "Db": 1, "D": 2, "Eb": 3, "D#": 3, "E": 4, "F": 5, "F#": 6, "Gb": 6,
                   "G": 7, "Ab": 8, "G#": 8, "A": 9, "Bb": 10, "A#": 10, "B": 11, "Cb": 11}[name.rstrip("m")]
        if (d_tonic, d_minor) != (tonic, mode == "minor"):
            return None
    return tonic, mode, float(r1)


def piece_seed(name):
    return int(hashlib.md5(name.encode()).hexdigest()[:8], 16)


def rubato_warp(rng):
    """A time map score seconds → played seconds whose tempo wanders smoothly by up to ±6 %."""
    periods = rng.uniform(7, 13), rng.uniform(17, 29)
    phases = rng.uniform(0, 2 * math.pi, 2)
    depth = 0.06 / 2
    step = 0.01
    knots = np.arange(0, CAP_S * 1.2 + step, step)
    rate = 1 + depth * (np.sin(2 * math.pi * knots / periods[0] + phases[0]) +
                        np.sin(2 * math.pi * knots / periods[1] + phases[1]))
    played = np.concatenate([[0.0], np.cumsum(step / rate[:-1])])  # slower tempo: longer gaps
    return lambda t: float(np.interp(t, knots, played))


def write_midi(score, path, warp, transpose, solo_program, jitter_rng):
    """The score re-timed through `warp` (and humanised with jitter_rng) as a MIDI file at a fixed
    tempo (120 BPM, 960 ticks per quarter: 1/1920 s per tick)."""
    out = mido.MidiFile(ticks_per_beat=960)
    track = mido.MidiTrack()
    out.tracks.append(track)
    track.append(mido.MetaMessage("set_tempo", tempo=500000, time=0))
    timed = []
    for order, (time, _, msg) in enumerate(score.events):
        if time > CAP_S:
            continue
        if solo_program is not None:
            if getattr(msg, "channel", None) == 9:  # (system exclusive messages have no channel)
                continue
            if msg.type == "program_change":
                msg = msg.copy(program=solo_program)
        if msg.type in ("note_on", "note_off") and msg.channel != 9 and transpose:
            msg = msg.copy(note=min(127, max(0, msg.note + transpose)))
        played = warp(time)
        if jitter_rng is not None and msg.type == "note_on" and msg.velocity > 0:
            played = max(0.0, played + float(np.clip(jitter_rng.normal(0, 0.006), -0.012, 0.012)))
            msg = msg.copy(velocity=int(min(127, max(1, round(msg.velocity * jitter_rng.uniform(0.8, 1.2))))))
        timed.append((played, order, msg))
    if solo_program is not None:  # every channel plays the solo instrument from the start
        for channel in range(16):
            if channel != 9:
                timed.append((0.0, -1, mido.Message("program_change", channel=channel, program=solo_program)))
    timed.sort(key=lambda e: (e[0], e[1]))
    end = max([warp(min(CAP_S, score.events[-1][0]))] + [t for t, _, _ in timed])
    # Notes still held at the cut (their note-offs lie beyond CAP_S) end there: all notes and all
    # sound off on every channel, then the end of the track.
    for channel in range(16):
        timed.append((end, len(score.events) + 1, mido.Message("control_change", channel=channel, control=123)))
        timed.append((end, len(score.events) + 2, mido.Message("control_change", channel=channel, control=120)))
    tick = 0
    for played, _, msg in timed:
        target = int(round(played * 1920))
        track.append(msg.copy(time=target - tick))
        tick = target
    track.append(mido.MetaMessage("end_of_track", time=1920))
    out.save(path)


def pink_noise(n, rng):
    """Pink (1/f) noise by filtering white noise (Paul Kellet's economy filter)."""
    white = rng.standard_normal(n)
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    from scipy.signal import lfilter
    pink = lfilter(b, a, white)
    return pink / (np.sqrt(np.mean(pink ** 2)) + 1e-12)


def render(midi_path, soundfont, wav_path, reverb=True):
    """FluidSynth's offline rendering; it ends when the score's last sound has died away."""
    run(["fluidsynth", "-ni", "-q", "-F", wav_path, "-T", "wav", "-O", "s16", "-r", str(RATE), "-g", "0.5",
         "-R", "1" if reverb else "0", "-C", "1" if reverb else "0", soundfont, midi_path],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    parser.add_argument("--only", help="render one piece (its lower-case name, e.g. e1m1)")
    parser.add_argument("--package", choices=PREFIXES, default="freedoom",
                        help="the scores' package: freedoom (manifest_midi.json) or freedm (manifest_freedm.json)")
    args = parser.parse_args()
    prefix = PREFIXES[args.package]
    for tool, package in (("fluidsynth", "fluidsynth"), ("lame", "lame"), ("oggenc", "vorbis-tools"),
                          ("flac", "flac")):
        if not shutil.which(tool):
            sys.exit(f"midi_renders: {tool} missing (apt-get install {package})")
    cache = os.path.join(args.output, "cache")
    out_dir = os.path.join(args.output, "midi")
    os.makedirs(out_dir, exist_ok=True)
    solo_font = SOUNDFONTS["musescore"] if os.path.exists(SOUNDFONTS["musescore"]) else SOUNDFONTS["fluidr3"]
    files = []
    for name, lump in fetch_scores(cache, args.package):
        if args.only and name != args.only:
            continue
        midi_path = os.path.join(cache, f"{prefix}{name}.mid")
        open(midi_path, "wb").write(lump)
        score = Score(midi_path)
        pitched = [n for n in score.notes if n[2] != 9]
        if not score.notes:
            continue
        first = min(n[0] for n in score.notes)
        last = min(max(n[1] for n in score.notes), CAP_S)
        if last - first < 20:
            print(f"{name}: skipped ({last - first:.0f} s of music)")
            continue
        mus_clock = score.tpb == 89  # converted from MUS: a 140 Hz clock, not musical time
        bpms = [60e6 / tempo for tick, tempo in score.tempos if score.seconds(tick) < last]
        steady = max(bpms) / min(bpms) <= 1.04
        numerator, denominator = score.signatures[0][1:]
        beat_scale = score.beat_ticks(numerator, denominator) / score.tpb  # quarters per beat
        beat_ticks, downbeat_ticks = score.grid(ticks_of(score, last) + 1)
        beat_times = [score.seconds(t) for t in beat_ticks]
        downbeat_times = [score.seconds(t) for t in downbeat_ticks]
        # Beats from the one at or before the first note to the last note's end.
        beat_times = [t for t in beat_times if first - 1e-6 - 60 / max(bpms) * beat_scale < t <= last]
        downbeat_times = [t for t in downbeat_times if beat_times and beat_times[0] - 1e-6 <= t <= last]
        key = score_key(score)
        drums = any(n[2] == 9 for n in score.notes)
        seed = piece_seed(prefix + name)
        rng = np.random.default_rng(seed)
        transpose2, transpose3 = int(rng.integers(-4, 5)), int(rng.integers(-4, 5))
        solo_program = 48 if rng.uniform() < 1 / 3 else 0
        renders = [
            ("band", SOUNDFONTS["fluidr3"], "mp3", lambda t: t, 0, None, None, True),
            ("band2", SOUNDFONTS["timgm6mb"], "ogg", lambda t: t, transpose2, None,
             np.random.default_rng(seed + 1), True),
            ("solo", solo_font, "flac", rubato_warp(rng), transpose3, solo_program, None, True),
        ]
        for render_name, font, codec, warp, transpose, program, jitter, reverb in renders:
            base = f"{prefix}{name}_{render_name}"
            audio = os.path.join(out_dir, f"{base}.{codec}")
            if not os.path.exists(audio):
                tmp_mid = os.path.join(cache, f"{base}.mid")
                tmp_wav = os.path.join(cache, f"{base}.wav")
                write_midi(score, tmp_mid, warp, transpose, program, jitter)
                render(tmp_mid, font, tmp_wav, reverb)
                if render_name == "band2":
                    x, rate = sf.read(tmp_wav)
                    rms = np.sqrt(np.mean(x ** 2)) + 1e-12
                    noise = pink_noise(len(x), np.random.default_rng(seed + 2))
                    x = x + (rms * 10 ** (-35 / 20)) * noise[:, None]
                    x /= max(1.0, np.max(np.abs(x)) / 0.99)
                    sf.write(tmp_wav, x, rate, subtype="PCM_16")
                if codec == "mp3":
                    run(["lame", "--quiet", "-V2", tmp_wav, audio])
                elif codec == "ogg":
                    run(["oggenc", "--quiet", "-q", "4", "-o", audio, tmp_wav])
                else:
                    run(["flac", "--silent", "-f", "-o", audio, tmp_wav])
                os.remove(tmp_wav)
                os.remove(tmp_mid)
            info = sf.info(audio) if codec != "mp3" else None
            duration = info.duration if info else float(subprocess.run(
                ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", audio],
                check=True, capture_output=True, text=True).stdout)
            truth = {"time_signature": f"{numerator}/{denominator}",
                     "metrical_ambiguity": f"{numerator}/{denominator}" in ("3/4", "6/8", "9/8", "12/8", "6/4")}
            if mus_clock:
                truth.update(tempo_bpm=None, beats_s=None, downbeats_s=None, tempo_note="MUS clock: no musical tempo")
            else:
                beats = [round(warp(t), 4) for t in beat_times]
                truth["beats_s"] = beats
                truth["downbeats_s"] = [round(warp(t), 4) for t in downbeat_times]
                if steady:
                    # The mean tempo over the played beats (the score's tempo, or its rubato mean).
                    truth["tempo_bpm"] = round(60 * (len(beats) - 1) / (beats[-1] - beats[0]), 3)
                else:
                    truth["tempo_bpm"] = None
                    truth["tempo_segments"] = [[round(warp(score.seconds(tick)), 3), round(60e6 / tempo / beat_scale, 3)]
                                               for tick, tempo in score.tempos if score.seconds(tick) < last]
                tempi = [truth["tempo_bpm"]] if steady else [bpm for _, bpm in truth["tempo_segments"]]
                if tempi and (min(tempi) < 70 or max(tempi) > 180):
                    truth["metrical_ambiguity"] = True
            if key:
                tonic = (key[0] + transpose) % 12
                truth.update(key=f"{NAMES[tonic]} {key[1]}", key_tonic_pc=tonic, key_mode=key[1],
                             key_source="score (pitch profile and bass agree)", key_score_r=round(key[2], 3))
            style = {"band": "band (drums)" if drums else "band (no drums)", "band2": "band, humanised + noise",
                     "solo": "solo strings, rubato" if program == 48 else "solo piano, rubato"}[render_name]
            files.append({"path": os.path.relpath(audio, args.output), "piece": f"{args.package}:{name}",
                          "source": args.package, "render": render_name, "style": style, "sample_rate": RATE,
                          "channels": 2, "duration_s": round(duration, 3), "truth": truth})
        print(f"{name}: {len(pitched)} notes, {'tempo ' + str(files[-1]['truth'].get('tempo_bpm'))}, "
              f"key {files[-3]['truth'].get('key', '-')}", flush=True)
    manifest = os.path.join(args.output, "manifest_midi.json" if args.package == "freedoom" else
                            f"manifest_{args.package}.json")
    if not args.only:
        with open(manifest, "w") as f:
            json.dump({"set": f"herscan realset (MIDI renders, {args.package})", "files": files}, f, indent=1)
        print(f"{len(files)} files → {manifest}")


if __name__ == "__main__":
    main()
