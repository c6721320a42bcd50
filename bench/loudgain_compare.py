#!/usr/bin/env python3
"""herscan-loudness against loudgain 0.6.8 (Debian) on the same files: track and album gains
(ReplayGain 2.0, -18 LUFS) and peaks. Neither tool writes anything here (loudgain -s s is its
default; herscan-loudness measures without --tag, which computes the same gains it would write).

    bench/loudgain_compare.py BUILD/apps/herscan-loudness FOLDER...

Each FOLDER is one album for both tools (loudgain -a on its files; herscan --album-per-folder).
Prints per-file differences over 0.1 dB and a summary: the figures of docs/loudness.md.
"""
import json
import math
import os
import subprocess
import sys

AUDIO = (".flac", ".ogg", ".opus", ".mp3", ".m4a", ".wv")


def loudgain(files):
    out = subprocess.run(["loudgain", "-a", "-O", "-q", *files], capture_output=True, text=True,
                         check=True).stdout
    rows = {}
    for line in out.splitlines()[1:]:
        f = line.split("\t")
        if len(f) < 9:
            continue
        rows[f[0]] = {"lufs": float(f[1].split()[0]), "true_peak": float(f[3]),
                      "gain": float(f[8].split()[0])}
    return rows


def herscan(exe, folder):
    out = subprocess.run([exe, "--album-per-folder", "-f", "jsonl", "-q", folder],
                         capture_output=True, text=True).stdout
    rows = {}
    for line in out.splitlines():
        r = json.loads(line)
        if "error" in r:
            continue
        l = r["loudness"]
        key = "Album" if "album" in r else r["file"]
        rows[key] = {"lufs": l["integrated_lufs"], "gain": l["replaygain_db"],
                     "true_peak": 10 ** (l["true_peak_dbtp"] / 20)}
    return rows


def main():
    exe, folders = sys.argv[1], sys.argv[2:]
    diffs, peak_diffs, album_diffs, n_files = [], [], [], 0
    for folder in folders:
        files = sorted(os.path.join(folder, f) for f in os.listdir(folder)
                       if f.lower().endswith(AUDIO))
        if not files:
            continue
        lg, hs = loudgain(files), herscan(exe, folder)
        for f in files:
            if f not in lg or f not in hs:
                print(f"{f}: only in {'loudgain' if f in lg else 'herscan'}")
                continue
            n_files += 1
            d = hs[f]["gain"] - lg[f]["gain"]
            diffs.append(abs(d))
            pd = 20 * math.log10(hs[f]["true_peak"] / lg[f]["true_peak"])
            peak_diffs.append(abs(pd))
            if abs(pd) > 0.5:
                print(f"{f}: true peak herscan {20 * math.log10(hs[f]['true_peak']):.2f} dBTP, "
                      f"loudgain {20 * math.log10(lg[f]['true_peak']):.2f} dBTP")
            if abs(d) > 0.1:
                print(f"{f}: herscan {hs[f]['gain']:.2f} dB, loudgain {lg[f]['gain']:.2f} dB")
        if "Album" in lg and "Album" in hs:
            album_diffs.append(abs(hs["Album"]["gain"] - lg["Album"]["gain"]))
            print(f"{folder}: album herscan {hs['Album']['gain']:.2f} dB, "
                  f"loudgain {lg['Album']['gain']:.2f} dB")
    diffs.sort()
    print(f"{n_files} files in {len(folders)} folders")
    if diffs:
        within = sum(d <= 0.1 for d in diffs)
        print(f"track gain |herscan - loudgain|: max {diffs[-1]:.3f} dB, "
              f"median {diffs[len(diffs) // 2]:.3f} dB, within 0.1 dB: {within}/{len(diffs)}")
        peak_diffs.sort()
        print(f"true peak |difference|: max {peak_diffs[-1]:.3f} dB, "
              f"median {peak_diffs[len(peak_diffs) // 2]:.3f} dB, "
              f"within 0.1 dB: {sum(d <= 0.1 for d in peak_diffs)}/{len(peak_diffs)}")
    if album_diffs:
        print(f"album gain |difference|: max {max(album_diffs):.3f} dB over {len(album_diffs)}")


if __name__ == "__main__":
    main()
