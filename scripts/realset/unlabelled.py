#!/usr/bin/env python3
"""The unlabelled slice of herscan's real-music development set: recorded game soundtracks.

    scripts/realset/unlabelled.py OUTPUT_DIR

The music of the Debian packages in PACKAGES (Ogg Vorbis recordings: rock, electronic, blues,
orchestral and ambient pieces by their composers) is downloaded into OUTPUT_DIR/cache (apt-get
download, never installed), unpacked there (dpkg -x), and a 60 s excerpt of every music file
(those in the folders named, at least 400 kB: no sound effects) from 30 s in, or from the start
where the track is shorter than 90 s, is written to OUTPUT_DIR/unlabelled/PACKAGE-NAME.flac
(44.1 kHz stereo, by ffmpeg). There is no truth: nothing says what tempo or key these
recordings have. They serve the metamorphic checks (scripts/eval_metamorphic.py), which compare
herscan with itself on transformed copies. Writes OUTPUT_DIR/manifest_unlabelled.json in the
format of the other slices with `truth` empty. Idempotent: excerpts that exist are kept.
"""
import argparse
import glob
import json
import os
import subprocess

# package → the glob of its music files inside the unpacked package
PACKAGES = {
    "extremetuxracer-data": "usr/share/games/etr/music/*.ogg",
    "xmoto-data": "usr/share/games/xmoto/Textures/Musics/*.ogg",
    "frozen-bubble-data": "usr/share/games/frozen-bubble/snd/*zik*.ogg",
    "lincity-ng-data": "usr/share/games/lincity-ng/music/default/*.ogg",
    "solarwolf": "usr/share/games/solarwolf/data/music/*.ogg",
    "funnyboat": "usr/share/games/funnyboat/data/*.ogg",
}
MIN_BYTES = 400_000
EXCERPT_S, OFFSET_S = 60.0, 30.0


def unpack(cache, package):
    folder = os.path.join(cache, package)
    if not os.path.isdir(folder):
        if not glob.glob(os.path.join(cache, f"{package}_*.deb")):
            subprocess.run(["apt-get", "download", package], cwd=cache, check=True)
        deb = sorted(glob.glob(os.path.join(cache, f"{package}_*.deb")))[-1]
        subprocess.run(["dpkg", "-x", deb, folder], check=True)
    return folder


def duration(path):
    out = subprocess.run(["ffprobe", "-v", "quiet", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("output")
    args = parser.parse_args()
    cache = os.path.join(args.output, "cache")
    os.makedirs(cache, exist_ok=True)
    os.makedirs(os.path.join(args.output, "unlabelled"), exist_ok=True)
    files = []
    for package, pattern in PACKAGES.items():
        folder = unpack(cache, package)
        for source in sorted(glob.glob(os.path.join(folder, pattern))):
            if os.path.getsize(source) < MIN_BYTES:
                continue
            name = os.path.splitext(os.path.basename(source))[0].replace(" ", "_")
            path = f"unlabelled/{package.removesuffix('-data')}-{name}.flac"
            target = os.path.join(args.output, path)
            length = duration(source)
            start = OFFSET_S if length >= OFFSET_S + EXCERPT_S else 0.0
            if not os.path.exists(target):
                subprocess.run(["ffmpeg", "-v", "quiet", "-y", "-ss", str(start), "-t", str(EXCERPT_S), "-i", source,
                                "-ar", "44100", "-ac", "2", target], check=True)
            files.append({"path": path, "piece": f"{package}:{name}", "source": package, "render": "excerpt",
                          "style": "recording", "duration_s": min(EXCERPT_S, length - start), "truth": {}})
    with open(os.path.join(args.output, "manifest_unlabelled.json"), "w") as out:
        json.dump({"files": files}, out, indent=1)
    print(f"{len(files)} excerpts in {args.output}/unlabelled")


if __name__ == "__main__":
    main()
