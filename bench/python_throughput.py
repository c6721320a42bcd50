#!/usr/bin/env python3
"""Files per second and realtime factor on one folder, in one run, for: the CLI with -j N, the
Python module in one thread and in N threads (herscan.analyze in a ThreadPoolExecutor: the GIL is released during
the analysis), and herscan.dask on a LocalCluster of N worker processes (timed with and without
starting the cluster). Every way profiles the same files with the default features; the
records are checked to agree. docs/python.md and docs/scaling.md quote its figures.

    PYTHONPATH=build/release/python bench/python_throughput.py build/release/apps/herscan DIR [-n 2]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import herscan
import herscan.dask


def without_timing(record):
    record = dict(record)
    record['analysis'] = {k: v for k, v in record.get('analysis', {}).items() if k != 'elapsed_s'}
    return record


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('herscan')
    p.add_argument('folder')
    p.add_argument('-n', '--parallel', type=int, default=2)
    args = p.parse_args()
    n = args.parallel
    work = tempfile.mkdtemp(prefix='herscan-py-bench-')
    inputs, _ = herscan._herscan._collect_inputs([args.folder])
    files = [path for path, code, _ in inputs if code is None]
    rows = []

    start = time.perf_counter()
    cli_out = os.path.join(work, 'cli.jsonl')
    subprocess.run([args.herscan, args.folder, '-j', str(n), '-q', '-o', cli_out], check=False)
    cli_s = time.perf_counter() - start
    with open(cli_out) as f:
        cli = {r['file']: r for r in map(json.loads, f)}
    audio_s = sum(r.get('format', {}).get('duration_s', 0) for r in cli.values())
    rows.append(('CLI `herscan DIR -j %d`' % n, cli_s))

    start = time.perf_counter()
    for f in files:
        herscan.analyze(f)
    rows.append(('Python module, 1 thread', time.perf_counter() - start))
    start = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        py = dict(zip(files, pool.map(herscan.analyze, files)))
    rows.append(('Python module, %d threads' % n, time.perf_counter() - start))

    from distributed import Client, LocalCluster
    start = time.perf_counter()
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=50)
    client = Client(cluster)
    started = time.perf_counter()
    dask_out = os.path.join(work, 'dask.jsonl')
    herscan.dask.run([args.folder], dask_out, client=client)
    done = time.perf_counter()
    client.close()
    cluster.close()
    rows.append(('Dask LocalCluster, %d workers (analysis)' % n, done - started))
    rows.append(('Dask LocalCluster, %d workers (with cluster start)' % n, done - start))
    with open(dask_out) as f:
        dask = {r['file']: r for r in map(json.loads, f)}

    agree = all(without_timing(py[f]) == without_timing(cli[f]) == without_timing(dask[f])
                for f in files if 'error' not in cli[f])
    print('%d files, %.0f s of audio, %s; records agree: %s' % (len(files), audio_s, os.cpu_count() and
          '%d cores' % os.cpu_count(), agree), file=sys.stderr)
    print('| way | wall s | files/s | realtime factor |')
    print('|---|---|---|---|')
    for name, seconds in rows:
        print('| %s | %.2f | %.2f | %.0f× |' % (name, seconds, len(files) / seconds, audio_s / seconds))


if __name__ == '__main__':
    main()
