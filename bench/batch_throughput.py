#!/usr/bin/env python3
"""Batch throughput of herscan on a folder: the default profile with -j 1 and with -j N, best of
R runs each, as audio hours analysed per wall-clock hour, and the speed-up. bench/, not CI;
docs/scaling.md has the figures.

    bench/batch_throughput.py FOLDER [--jobs N] [--runs R] [--herscan PATH] [-- HERSCAN OPTIONS...]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--herscan", default=os.path.join(HERE, "build/release/apps/herscan"))
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    args.extra = extra
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "run.jsonl")

        def run(jobs):
            start = time.monotonic()
            subprocess.run([args.herscan, args.folder, "-q", "-j", str(jobs), "-o", out] + args.extra, check=False)
            return time.monotonic() - start

        times = {j: min(run(j) for _ in range(args.runs)) for j in (1, args.jobs)}
        records = [json.loads(line) for line in open(out)]
    audio_s = sum((r.get("format") or {}).get("duration_s", 0) for r in records)
    failed = sum("error" in r for r in records)
    print(f"{len(records)} files ({failed} failed), {audio_s / 3600:.3f} h of audio")
    for j, t in times.items():
        print(f"-j {j}: {t:.2f} s wall, {audio_s / t:.0f} audio hours per wall hour")
    print(f"speed-up {times[1] / times[args.jobs]:.2f}x")


if __name__ == "__main__":
    main()
