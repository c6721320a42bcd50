#!/usr/bin/env python3
"""The tracker-module slice of herscan's real-music development set: game music as its composers sequenced it.

    scripts/realset/modules.py OUTPUT_DIR [--only PACKAGE[:NAME]]

The pieces are the tracker modules (ProTracker .mod, FastTracker .xm, Impulse Tracker .it, Scream
Tracker .s3m/.stm) shipped by the Debian game packages in PACKAGES below: Amiga four-channel MODs,
chip tunes and up to 32-channel sample music by some twenty composers. The script downloads each
package into OUTPUT_DIR/cache (apt-get download, never installed), unpacks it there (dpkg -x), finds
the modules by their file signature (so an XM named .zik or .mod is found too), drops duplicates (the
same bytes in two packages, or the same music saved in two formats: the notes per row of the first 400
rows agree) and keeps at most MAX_PER_PACKAGE per package. Every module is played once by libopenmpt
(repeat count 0, no looping) through module_rows.c, compiled on the fly into OUTPUT_DIR/cache/
module_rows, which renders the first CAP_S seconds at 44100 Hz and says when each row began (to
±0.2 ms). Silence after the music (some songs stop on a row of speed 255) is cut: render and analysis
end half a second after the last sound within 60 dB of the peak. Two renders per module, in
OUTPUT_DIR/modules/:

  clean    libopenmpt's stereo output as it is (scaled down only where it would clip), FLAC
  lofi     mono downmix, pink noise 35 dB under the music, MP3 (lame -V4) or Ogg Vorbis (-q 3),
           alternating from module to module

Writes OUTPUT_DIR/manifest_modules.json in the format of ../shared/devset's manifests (as
midi_renders.py does), with per file `piece` (package:module; both renders share it, so
cross-validation splits by piece), `source` (the package), `render`, `style` ("chiptune" where the
median sample is under 1024 frames: single-cycle waveforms; "tracker (MOD)" for the other 4–8 channel
MODs, Amiga style; "tracker" for the rest) and `truth`, all of it from the rows the player played,
never from the audio:
  rows_per_beat, rows_per_measure  from the Impulse Tracker header's pattern highlight (IT and MPTM,
                 bytes 0x1E/0x1F, "PHiligt") where it is sane (2..8 rows per beat, 2..8 beats per
                 measure); else the trackers' convention of 4 and 16 (speed 6 at tempo 125: 125 BPM).
                 MOD, XM and S3M have no such field; `rows_per_beat_source` says which it was.
  tempo_bpm      60 / (rows_per_beat × the median row duration) over the rows from the first note on,
                 each row's duration averaged over a window of lcm(2, rows_per_beat) rows, so that swing
                 written as alternating speeds (5/7, or 6 6 3 3) counts as its mean. Null where the row
                 duration varies by more than ±2 % over the analysed span (more than 5 % of the windows
                 off the median: tempo or speed changes; a rare long row, a fermata or a pattern delay,
                 is no change of tempo), and then `tempo_segments` [[start_s, bpm], ...]: runs of
                 steady (±2 %) duration lasting longer than the window.
  beats_s        the times of every rows_per_beat-th row counted from row 0 of each pattern (a pattern
                 break or a jump into the middle of a pattern restarts the grid on the new pattern's row
                 numbers), from the beat at or before the first row with a note to the last row with a
                 note plus one measure (or the end); `grid_breaks` counts the beats that are not
                 rows_per_beat rows after the one before (patterns cut short). Null where the longest
                 tempo segments, which together cover 90 % of the span, differ by more than a factor 1.5
                 (a change of speed that may as well be a change of notation as one of tempo).
  downbeats_s    every rows_per_measure-th row of each pattern, likewise
  time_signature rows_per_measure / rows_per_beat as "N/4"
  metrical_ambiguity  true where the derived tempo (of any of those main segments) lies outside 70–180
                 BPM, so that another grouping of the rows would be as plausible, or where the measure
                 has 3, 6, 9 or 12 beats (as in midi_renders.py). The tempo is never folded.
No key: nothing in a module says which key it is in. Modules with under MIN_MUSIC_S seconds from the
first note to the end, or under MIN_ROWS rows, are skipped; the analysed span is the first CAP_S
seconds.
"""
import argparse
import glob
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np
import soundfile as sf

RATE = 44100
CAP_S = 120.0  # longer songs are cut here
MIN_MUSIC_S = 20.0
MIN_ROWS = 32
MAX_PER_PACKAGE = 15
# Debian packages with tracker modules (none of them held out: ../realset/README.md).
PACKAGES = [
    "pingus-data", "biniax2-data", "gltron", "madbomber-data", "tecnoballz-data", "tuxmath-data",
    "circuslinux-data", "open-invaders-data", "ri-li-data", "powermanga-data", "njam-data", "pachi-data",
    "penguin-command", "monsterz-data", "gweled", "vectoroids", "ceferino-data",
]
HERE = os.path.dirname(os.path.abspath(__file__))
MOD_TAGS = {b"M.K.", b"M!K!", b"M&K!", b"FLT4", b"FLT8", b"4CHN", b"6CHN", b"8CHN", b"CD81", b"OKTA", b"OCTA"}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def module_kind(path):
    """The module format from the file's signature ('mod', 'xm', 'it', 's3m', 'stm'), or None."""
    try:
        with open(path, "rb") as f:
            head = f.read(1084)
    except OSError:
        return None
    if head.startswith(b"Extended Module:"):
        return "xm"
    if head.startswith(b"IMPM"):
        return "it"
    if head[44:48] == b"SCRM":
        return "s3m"
    if head[20:28] in (b"!Scream!", b"BMOD2STM") and head[29:30] == b"\x02":
        return "stm"
    if len(head) == 1084 and (head[1080:1084] in MOD_TAGS or
                              (head[1082:1084] == b"CH" and head[1080:1082].isdigit())):
        return "mod"
    return None


def fetch_modules(cache, package):
    """The package's modules as (name, path, kind), sorted by name."""
    os.makedirs(cache, exist_ok=True)
    debs = glob.glob(os.path.join(cache, f"{package}_*.deb"))
    if not debs:
        run(["apt-get", "download", package], cwd=cache, stdout=subprocess.DEVNULL)
        debs = glob.glob(os.path.join(cache, f"{package}_*.deb"))
    root = os.path.join(cache, package)
    if not os.path.isdir(root):
        run(["dpkg", "-x", sorted(debs)[-1], root + ".part"])
        os.replace(root + ".part", root)
    found = []
    for folder, _, names in os.walk(os.path.join(root, "usr")):
        if "/usr/share/doc" in folder:
            continue
        for name in names:
            path = os.path.join(folder, name)
            kind = None if os.path.islink(path) else module_kind(path)
            if kind:
                found.append((os.path.splitext(name)[0], path, kind))
    return sorted(found)


def sample_lengths(data, kind):
    """The lengths in frames of the module's non-empty samples (for the style), [] where unreadable."""
    u16 = lambda o, big=False: struct.unpack(">H" if big else "<H", data[o:o + 2])[0]
    u32 = lambda o: struct.unpack("<I", data[o:o + 4])[0]
    lengths = []
    try:
        if kind == "mod":
            lengths = [2 * u16(20 + 30 * i + 22, big=True) for i in range(31)]
        elif kind == "xm":
            pos = 60 + u32(60)
            patterns, instruments = u16(70), u16(72)
            for _ in range(patterns):
                pos += u32(pos) + u16(pos + 7)
            for _ in range(instruments):
                size, count = u32(pos), u16(pos + 27)
                header = u32(pos + 29) if count else 0
                pos += size
                total = 0
                for s in range(count):
                    length, flags = u32(pos), data[pos + 14]
                    lengths.append(length // 2 if flags & 16 else length)
                    total += length
                    pos += header
                pos += total
        elif kind == "s3m":
            orders, count = u16(0x20), u16(0x22)
            for i in range(count):
                at = 16 * u16(0x60 + orders + 2 * i)
                if data[at] == 1:
                    lengths.append(u32(at + 0x10))
        elif kind == "it":
            orders, instruments, samples = u16(0x20), u16(0x22), u16(0x24)
            table = 0xC0 + orders + 4 * instruments
            for i in range(samples):
                at = u32(table + 4 * i)
                if data[at:at + 4] == b"IMPS" and data[at + 0x12] & 1:
                    lengths.append(u32(at + 0x30))
        elif kind == "stm":
            lengths = [u16(48 + 32 * i + 16) for i in range(31)]
    except (struct.error, IndexError):
        return []
    return [n for n in lengths if n > 2]


def module_rows(tool, path, wav_path):
    """Runs module_rows: (header dict, rows as (t, order, pattern, row, speed, tempo, notes), end_s)."""
    out = run([tool, path, wav_path, str(CAP_S)], capture_output=True, text=True, errors="replace",
              timeout=600).stdout
    header, rows, end = {}, [], None
    for line in out.splitlines():
        if line.startswith("# "):
            key, _, value = line[2:].partition(" ")
            header[key] = value
            if key == "end_s":
                end = float(value)
        elif line.strip():
            t, *ints = line.split()
            rows.append((float(t), *map(int, ints)))
    return header, rows, end


def metre(header):
    """(rows per beat, rows per measure, source) from the IT highlight where sane, else 4 and 16."""
    if "highlight" in header:
        beat, measure = map(int, header["highlight"].split())
        if 2 <= beat <= 8 and measure % beat == 0 and 2 <= measure // beat <= 8:
            return beat, measure, "IT highlight"
    return 4, 16, "tracker convention"


def tempo_segments(times, row_s, rows_per_beat, window):
    """Runs of steady (±2 %) windowed row duration as [(start_s, end_s, bpm)]: a new run starts where the
    duration leaves the current run's median for more than `window` rows (one long row, a pattern delay,
    moves `window` of the windowed durations: that is no change of tempo); runs shorter than `window` rows (the
    window sliding over a change) join the run before, and neighbours within 2 % of each other merge."""
    runs, start = [], 0
    for i in range(1, len(row_s)):
        ref = float(np.median(row_s[start:i]))
        if all(abs(d / ref - 1) > 0.02 for d in row_s[i:i + window + 1]):
            runs.append([start, i])
            start = i
    runs.append([start, len(row_s)])
    merged = []
    for run_ in runs:
        if merged and run_[1] - run_[0] < window:
            merged[-1][1] = run_[1]
        else:
            merged.append(run_)
    out = []
    for a, b in merged:
        bpm = 60 / (rows_per_beat * float(np.median(row_s[a:b])))
        if out and abs(out[-1][2] / bpm - 1) <= 0.02:
            out[-1][1] = float(times[b])
        else:
            out.append([float(times[a]), float(times[b]), bpm])
    return out


def derive_truth(header, rows, end):
    """The truth from the rows played, or (None, reason) where the module is skipped."""
    noted = [i for i, r in enumerate(rows) if r[6] > 0]
    if not noted:
        return None, "no notes"
    first, last = noted[0], noted[-1]
    if end - rows[first][0] < MIN_MUSIC_S:
        return None, f"{end - rows[first][0]:.0f} s of music"
    if len(rows) - first < MIN_ROWS:
        return None, f"{len(rows) - first} rows"
    rows_per_beat, rows_per_measure, source = metre(header)
    times = np.array([r[0] for r in rows] + [end])
    durations = np.diff(times)[first:-1]  # the rows from the first note on (the last row's end is unknown)
    # Row durations averaged over a window of lcm(2, rows_per_beat) rows: swing written as alternating
    # speeds (5/7, or 6 6 3 3) counts as its mean.
    window = int(np.lcm(2, rows_per_beat))
    pairs = np.convolve(durations, np.ones(window) / window, mode="valid")
    row_s = float(np.median(pairs))
    steady = np.mean(np.abs(pairs / row_s - 1) > 0.02) <= 0.05
    truth = {"rows_per_beat": rows_per_beat, "rows_per_measure": rows_per_measure, "rows_per_beat_source": source}
    beats_per_measure = rows_per_measure // rows_per_beat
    if steady:
        bpms = [60 / (rows_per_beat * row_s)]
        truth["tempo_bpm"] = round(bpms[0], 3)
        main = bpms
    else:
        segments = tempo_segments(times[first:], pairs, rows_per_beat, window)
        bpms = [bpm for _, _, bpm in segments]
        truth["tempo_bpm"] = None
        truth["tempo_segments"] = [[round(a, 3), round(bpm, 3)] for a, _, bpm in segments]
        # The longest segments that together cover 90 % of the span: their tempi decide the beats.
        main, covered, total = [], 0.0, segments[-1][1] - segments[0][0]
        for a, b, bpm in sorted(segments, key=lambda seg: seg[0] - seg[1]):
            if covered < 0.9 * total:
                main.append(bpm)
                covered += b - a
    beat_s = rows_per_beat * row_s
    stop = min(end, rows[last][0] + rows_per_measure * row_s)
    beat_rows = [i for i, r in enumerate(rows) if r[3] % rows_per_beat == 0 and r[0] <= stop + 1e-6]
    before = [i for i in beat_rows if i <= first]
    beat_rows = [i for i in beat_rows if i >= (before[-1] if before else first)]
    if beat_rows and rows[beat_rows[0]][0] < rows[first][0] - 1.5 * beat_s:  # a beat row long before the note
        beat_rows = beat_rows[1:]
    if max(main) / min(main) <= 1.5:
        truth["beats_s"] = [round(rows[i][0], 4) for i in beat_rows]
        truth["downbeats_s"] = [round(rows[i][0], 4) for i in beat_rows if rows[i][3] % rows_per_measure == 0]
    else:
        truth["beats_s"] = truth["downbeats_s"] = None
    truth["time_signature"] = f"{beats_per_measure}/4"
    truth["metrical_ambiguity"] = bool(min(main) < 70 or max(main) > 180 or beats_per_measure in (3, 6, 9, 12))
    # Where the grid breaks: consecutive beats that are not rows_per_beat rows apart in play order.
    truth["grid_breaks"] = sum(1 for a, b in zip(beat_rows, beat_rows[1:]) if b - a != rows_per_beat)
    return truth, None


def pink_noise(n, rng):
    """Pink (1/f) noise by filtering white noise (Paul Kellet's economy filter)."""
    from scipy.signal import lfilter
    white = rng.standard_normal(n)
    b = [0.049922035, -0.095993537, 0.050612699, -0.004408786]
    a = [1, -2.494956002, 2.017265875, -0.522189400]
    pink = lfilter(b, a, white)
    return pink / (np.sqrt(np.mean(pink ** 2)) + 1e-12)


def piece_seed(name):
    return int(hashlib.md5(name.encode()).hexdigest()[:8], 16)


def style_of(kind, channels, lengths):
    if lengths and np.median(lengths) < 1024:
        return "chiptune"
    if kind == "mod" and channels <= 8:
        return "tracker (MOD)"
    return "tracker"


def audible_end(x):
    """The end in seconds of the last 10 ms block whose peak is within 60 dB of the whole's peak."""
    block = RATE // 100
    n = len(x) // block
    if n == 0:
        return len(x) / RATE
    peaks = np.abs(x[:n * block]).max(axis=1).reshape(n, block).max(axis=1)
    loud = np.nonzero(peaks > peaks.max() * 10 ** (-60 / 20))[0]
    return (loud[-1] + 1) * block / RATE if len(loud) else 0.0


def duration_of(path):
    if path.endswith(".mp3"):
        return float(run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         capture_output=True, text=True).stdout)
    return sf.info(path).duration


def build_tool(cache):
    source = os.path.join(HERE, "module_rows.c")
    tool = os.path.join(cache, "module_rows")
    if not os.path.exists(tool) or os.path.getmtime(tool) < os.path.getmtime(source):
        flags = run(["pkg-config", "--cflags", "--libs", "libopenmpt"], capture_output=True, text=True).stdout.split()
        run(["cc", "-O2", source, *flags, "-o", tool])
    return tool


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    parser.add_argument("--only", help="one package, or one module as package:name (e.g. pingus-data:pingus-1)")
    args = parser.parse_args()
    for tool, package in (("cc", "gcc"), ("pkg-config", "pkg-config"), ("lame", "lame"),
                          ("oggenc", "vorbis-tools"), ("ffprobe", "ffmpeg")):
        if not shutil.which(tool):
            sys.exit(f"modules: {tool} missing (apt-get install {package})")
    if subprocess.run(["pkg-config", "--exists", "libopenmpt"]).returncode != 0:
        sys.exit("modules: libopenmpt missing (apt-get install libopenmpt-dev)")
    cache = os.path.join(args.output, "cache")
    out_dir = os.path.join(args.output, "modules")
    rows_dir = os.path.join(cache, "module_rows.d")
    for folder in (cache, out_dir, rows_dir):
        os.makedirs(folder, exist_ok=True)
    tool = build_tool(cache)
    seen, files = {}, []
    for package_index, package in enumerate(PACKAGES):
        if args.only and args.only.split(":")[0] != package:
            continue
        kept = position = 0
        for name, path, kind in fetch_modules(cache, package):
            data = open(path, "rb").read()
            digest = hashlib.md5(data).hexdigest()
            if digest in seen:
                print(f"{package}:{name}: skipped (the same file as {seen[digest]})")
                continue
            seen[digest] = f"{package}:{name}"
            position += 1
            if kept >= MAX_PER_PACKAGE:
                print(f"{package}:{name}: skipped (over {MAX_PER_PACKAGE} per package)")
                continue
            piece = f"{package}:{name}"
            base = f"{package.removesuffix('-data')}-{name}".replace(" ", "_")
            rows_path = os.path.join(rows_dir, f"{base}.json")
            wav = os.path.join(cache, f"{base}.wav")
            codec = ("mp3", "ogg")[(package_index + position) % 2]  # alternating from module to module
            clean = os.path.join(out_dir, f"{base}_clean.flac")
            lofi = os.path.join(out_dir, f"{base}_lofi.{codec}")
            if args.only and ":" in args.only and args.only.split(":", 1)[1] != name:
                continue
            x = None
            if os.path.exists(rows_path) and os.path.exists(clean) and os.path.exists(lofi):
                header, rows, end = json.load(open(rows_path))
            else:
                try:
                    header, rows, end = module_rows(tool, path, wav)
                except subprocess.CalledProcessError as error:
                    print(f"{piece}: skipped (module_rows: {error.stderr.strip()})")
                    continue
                x, rate = sf.read(wav, dtype="float64")
                os.remove(wav)
                # Silence after the music (some songs end on a row of speed 255) is cut: the render and
                # the analysed span end half a second after the last sound above -60 dB re the peak.
                end = min(end, audible_end(x) + 0.5)
                x = x[:int(round(end * RATE))]
                rows = [r for r in rows if r[0] < end]
            truth, reason = derive_truth(header, rows, end) if rows else (None, "nothing played")
            if truth is None:
                print(f"{piece}: skipped ({reason})")
                continue
            # The same music in another file (a MOD saved again as XM): the notes per row of the first
            # 400 rows agree.
            music = hashlib.md5(repr([(r[3], r[6]) for r in rows[:400]]).encode()).hexdigest()
            if music in seen:
                print(f"{piece}: skipped (the same music as {seen[music]})")
                continue
            seen[music] = piece
            kept += 1
            if x is not None:
                x /= max(1.0, np.max(np.abs(x)) / 0.99)
                sf.write(clean + ".part", x, RATE, subtype="PCM_16", format="FLAC")
                os.replace(clean + ".part", clean)
                mono = x.mean(axis=1)
                rms = np.sqrt(np.mean(mono ** 2)) + 1e-12
                mono = mono + rms * 10 ** (-35 / 20) * pink_noise(len(mono), np.random.default_rng(piece_seed(piece)))
                mono /= max(1.0, np.max(np.abs(mono)) / 0.99)
                sf.write(wav, mono, RATE, subtype="PCM_16")
                part = lofi + ".part"
                if codec == "mp3":
                    run(["lame", "--quiet", "-V4", wav, part])
                else:
                    run(["oggenc", "--quiet", "-q", "3", "-o", part, wav])
                os.replace(part, lofi)
                os.remove(wav)
                with open(rows_path, "w") as f:
                    json.dump([header, rows, end], f)
            lengths = sample_lengths(data, kind)
            channels = int(header.get("channels", 0))
            style = style_of(kind, channels, lengths)
            for render, audio, n in (("clean", clean, 2), ("lofi", lofi, 1)):
                files.append({"path": os.path.relpath(audio, args.output), "piece": piece, "source": package,
                              "render": render, "style": style, "sample_rate": RATE, "channels": n,
                              "duration_s": round(duration_of(audio), 3), "truth": truth})
            segs = truth.get("tempo_segments")
            tempo = truth["tempo_bpm"] if segs is None else "/".join(f"{b:.0f}" for _, b in segs[:6])
            print(f"{piece}: {kind}, {channels} ch, {style}, {len(rows)} rows, tempo {tempo} "
                  f"({truth['rows_per_beat']} rows/beat, {truth['rows_per_beat_source']}), "
                  f"{len(truth['beats_s'] or [])} beats, {truth['grid_breaks']} grid breaks"
                  f"{', ambiguous' if truth['metrical_ambiguity'] else ''}", flush=True)
    manifest = os.path.join(args.output, "manifest_modules.json")
    if not args.only:
        with open(manifest, "w") as f:
            json.dump({"set": "herscan realset (tracker modules)", "files": files}, f, indent=1)
        print(f"{len(files)} files from {len(files) // 2} modules → {manifest}")


if __name__ == "__main__":
    main()
