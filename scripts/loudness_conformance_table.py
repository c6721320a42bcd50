#!/usr/bin/env python3
"""Prints the EBU conformance table of docs/loudness.md from a run of the conformance tests.

usage: scripts/loudness_conformance_table.py [build/release/tests/herscan_tests]

Runs the Tech 3341 / Tech 3342 tests with --gtest_output=json and formats the values each case
recorded (tests/conformance_test.cpp, struct Measured) as a Markdown table, one column per rate.
"""
import json
import os
import subprocess
import sys
import tempfile

binary = sys.argv[1] if len(sys.argv) > 1 else "build/release/tests/herscan_tests"
with tempfile.TemporaryDirectory() as tmp:
    report = os.path.join(tmp, "report.json")
    subprocess.run([binary, "--gtest_filter=*Tech334*", f"--gtest_output=json:{report}"],
                   check=True, stdout=subprocess.DEVNULL)
    data = json.load(open(report))

rows = {}  # name -> {rate: (lo, hi), "expected":…, "tolerance":…}
for suite in data["testsuites"]:
    for test in suite["testsuite"]:
        rate = test["name"].split("/")[-1] if "/" in test["name"] else test.get("value_param", "")
        rate = test.get("value_param", rate)
        rate = "48 kHz" if rate.startswith("48000") else "44.1 kHz"
        for key, value in test.items():
            if not key[:4].isdigit():
                continue
            lo, hi, expected, tolerance = value.split(" ", 3)
            tolerance = tolerance.replace("+-", "±").replace("-0.4", "−0.4")
            row = rows.setdefault(key, {"expected": expected, "tolerance": tolerance})
            row[rate] = (float(lo), float(hi))


def cell(r):
    lo, hi = r
    return f"{lo:.2f}" if abs(hi - lo) < 0.005 else f"{lo:.2f} … {hi:.2f}"


print("| case | quantity | expected | tolerance | herscan 48 kHz | herscan 44.1 kHz |")
print("|---|---|---|---|---|---|")
for key in sorted(rows):
    row = rows[key]
    case, quantity = key.split(" ", 1)
    print(f"| {case} | {quantity} | {row['expected']} | {row['tolerance']} | "
          f"{cell(row['48 kHz'])} | {cell(row['44.1 kHz'])} |")
