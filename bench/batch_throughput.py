#!/usr/bin/env python3
"""Batch throughput of herscan on a folder: the default profile with -j 1 and with -j N, best of
R runs each: wall and CPU time, the realtime factor (audio seconds per wall second, which is
also audio hours per wall-clock hour, and per CPU second), the herscan process's peak resident
memory, and the speed-up. bench/, not CI; docs/scaling.md and docs/performance.md have the figures.

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
            """(wall s, CPU s, peak RSS MB) of one run, from wait4's rusage of that process."""
            start = time.monotonic()
            proc = subprocess.Popen([args.herscan, args.folder, "-q", "-j", str(jobs), "-o", out] + args.extra)
            _, _, usage = os.wait4(proc.pid, 0)
            proc.returncode = 0  # reaped by wait4
            wall = time.monotonic() - start
            return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024

        results = {j: min((run(j) for _ in range(args.runs)), key=lambda r: r[0]) for j in (1, args.jobs)}
        records = [json.loads(line) for line in open(out)]
    audio_s = sum((r.get("format") or {}).get("duration_s", 0) for r in records)
    failed = sum("error" in r for r in records)
    print(f"{len(records)} files ({failed} failed), {audio_s / 3600:.3f} h of audio")
    for j, (wall, cpu, rss) in results.items():
        print(f"-j {j}: {wall:.2f} s wall, {cpu:.2f} s CPU; realtime factor {audio_s / wall:.0f}x "
              f"(= audio hours per wall hour), {audio_s / cpu:.0f}x per CPU second; peak RSS {rss:.1f} MB")
    print(f"speed-up {results[1][0] / results[args.jobs][0]:.2f}x")


if __name__ == "__main__":
    main()
