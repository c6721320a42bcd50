"""herscan on a Dask cluster: one task per file (or per batch of small files), scheduled, retried
and watched by Dask, written as the same JSON Lines as `herscan DIR -o FILE`.

    python3 -m herscan.dask ~/Music -o profiles.jsonl                  # a LocalCluster here
    python3 -m herscan.dask ~/Music -o profiles.jsonl --scheduler tcp://head:8786
    python3 -m herscan.dask ~/Music -o profiles.jsonl --resume         # after an interruption

The folder walk, each record (profile or error record) and the output file are the CLI's own
code (herscan._collect_inputs, _record_line, _ResumableOutput): records go to FILE.partial as
they arrive, flushed, and FILE appears when every file is done; --resume continues a partial
file, analysing only the files without a record. A task whose worker dies is run again by the
scheduler on another worker (Dask's `distributed.scheduler.allowed-failures` times); a file that
keeps killing its workers gets an error record with code "crashed", as `herscan --isolate`
gives it. From Python: herscan.dask.run(paths, output, client=...). docs/scaling.md.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time

import herscan._herscan as _h

# Dask is imported where it is used, so that `import herscan.dask` fails only when it is used
# without python3-distributed.


def analyze_batch(paths, features=None, frames=False, key_profile='herscan'):
    """Runs on a worker: the JSON lines of `paths`, in order (a file never raises here)."""
    import herscan._herscan as h  # on the worker
    return [h._record_line(p, features, frames, key_profile) for p in paths]


def batches_of(paths, batch_files, batch_bytes):
    """Consecutive groups of at most `batch_files` files and, past the first, `batch_bytes`."""
    group, size = [], 0
    for p in paths:
        try:
            n = os.stat(p).st_size
        except OSError:
            n = 0
        if group and (len(group) >= batch_files or size + n > batch_bytes):
            yield group
            group, size = [], 0
        group.append(p)
        size += n
    if group:
        yield group


def _local_client(workers, threads_per_worker, dashboard):
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1,
                           threads_per_worker=threads_per_worker, processes=True,
                           dashboard_address=dashboard, silence_logs=40)
    return Client(cluster), cluster


def run(paths, output, client=None, scheduler=None, workers=None, threads_per_worker=1,
        resume=False, batch_files=1, batch_bytes=64 << 20, features=None, frames=False,
        key_profile='herscan', include=(), exclude=(), retries=1, dashboard=None, quiet=True,
        on_record=None):
    """Analyses `paths` (files and folders, walked like `herscan`) on a Dask cluster: `client`,
    or a Client of `scheduler` (an address), or a LocalCluster of `workers` processes. Writes
    `output` as `herscan ... -o output [--resume]` does. Returns a summary dict: files,
    resumed, analysed, failed (error records in the output, resumed ones included), crashed,
    interrupted. `on_record(path, line)` is called after each record is written."""
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    inputs, empty_folders = _h._collect_inputs(list(paths), list(include), list(exclude))
    for folder in empty_folders:
        print('herscan-dask: %s: no audio files found' % folder, file=sys.stderr)
    out = _h._ResumableOutput(output, resume)
    done = set(out.done())
    # failed: error records in the output, the resumed ones included (as the CLI counts them)
    summary = {'files': len(inputs), 'resumed': out.resumed(), 'analysed': 0,
               'failed': out.resumed_failed(), 'crashed': 0, 'interrupted': False}
    written = set()
    progress = not quiet and sys.stderr.isatty()

    def write(line, path, failed):
        out.write(line)
        if failed and not quiet:  # one line per failure on stderr, as the CLI
            error = json.loads(line)['error']
            print('%sherscan-dask: %s: %s' % ('\n' if progress else '', path, error['message']), file=sys.stderr)
        written.add(path)
        summary['analysed'] += 1
        if failed:
            summary['failed'] += 1
        if on_record:
            on_record(path, line)

    todo = []
    for path, code, message in inputs:
        if path in done or path in written:
            continue
        if code is not None:  # found while walking (a folder that cannot be read)
            write(_h._error_line(path, code, message), path, True)
        else:
            todo.append(path)

    own = None
    groups = list(batches_of(todo, max(1, batch_files), batch_bytes))
    if not groups:  # everything resumed or found while walking: no cluster needed
        return _finish(out, summary, quiet)
    if client is None:
        if scheduler:
            from distributed import Client
            client = Client(scheduler)
            own = (client, None)
        else:
            client, cluster = _local_client(workers, threads_per_worker, dashboard)
            own = (client, cluster)
    futures = client.map(analyze_batch, groups, features=features, frames=frames,
                         key_profile=key_profile, pure=False, retries=retries)
    group_of = {f.key: g for f, g in zip(futures, groups)}
    started = time.monotonic()
    # SIGTERM (a batch system's stop) ends the run as Ctrl-C does: the partial file is kept.
    previous = None
    if threading.current_thread() is threading.main_thread():
        def on_term(signum, frame):
            raise KeyboardInterrupt
        previous = signal.signal(signal.SIGTERM, on_term)
    try:
        for future in as_completed(futures):
            group = group_of[future.key]
            try:
                lines = future.result()
            except KilledWorker:
                # Workers died while this task was on them (Dask counts every task assigned to a
                # dying worker, so an innocent file can be marked too): each file runs again,
                # alone; one that kills its worker again gets a "crashed" record.
                lines = []
                for p in group:
                    try:
                        lines += client.submit(analyze_batch, [p], features, frames, key_profile,
                                               pure=False).result()
                    except KilledWorker:
                        lines.append(_h._error_line(p, 'crashed', 'the analysis killed its worker '
                                                    'process every time it ran'))
                        summary['crashed'] += 1
            except Exception as e:  # an error of the task itself (not of a file): retried already
                lines = [_h._error_line(p, 'internal', '%s: %s' % (type(e).__name__, e)) for p in group]
            for path, line in zip(group, lines):
                if path not in written:  # a task's result is taken once; this is a safeguard
                    write(line, path, '"error":{' in line and 'error' in json.loads(line))
            if progress:
                n = summary['analysed']
                rate = n / max(1e-9, time.monotonic() - started)
                print('\rherscan-dask: %d/%d files, %.1f files/s' % (n + summary['resumed'], len(inputs), rate),
                      end='', file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        summary['interrupted'] = True
        client.cancel(futures)
        out.keep()
        print('\nherscan-dask: interrupted; %s keeps the finished files: run again with --resume'
              % out.partial_path, file=sys.stderr)
        return summary
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        if own:
            own[0].close()
            if own[1] is not None:
                own[1].close()
    return _finish(out, summary, quiet)


def _finish(out, summary, quiet):
    out.commit()
    if not quiet:
        print('\nherscan-dask: %d files: %d analysed, %d resumed, %d failed' % (
            summary['files'], summary['analysed'], summary['resumed'], summary['failed']),
            file=sys.stderr)
    return summary


def main(argv=None):
    p = argparse.ArgumentParser(
        prog='herscan-dask', description=__doc__.split('\n\n')[0],
        epilog='Exit status: 0 when every file was analysed, 1 when some failed (each has an '
               'error record), 2 for a usage error, 130 when interrupted.')
    p.add_argument('paths', nargs='*', metavar='PATH', help='files and folders (walked like herscan)')
    p.add_argument('--files-from', metavar='LIST', help='also the paths in LIST, one per line (- for stdin)')
    p.add_argument('-o', '--output', required=True, help='the JSON Lines file to write')
    p.add_argument('--resume', action='store_true', help='continue OUTPUT.partial (or OUTPUT)')
    p.add_argument('--scheduler', help='a running scheduler (tcp://host:8786); default: a LocalCluster')
    p.add_argument('--workers', type=int, help='LocalCluster worker processes (default: every core)')
    p.add_argument('--threads-per-worker', type=int, default=1)
    p.add_argument('--dashboard', help='LocalCluster dashboard address, e.g. :8787 (needs bokeh)')
    p.add_argument('--batch-files', type=int, default=1, help='files per task (default 1)')
    p.add_argument('--batch-mb', type=float, default=64, help='at most this many MB per task beyond its first file')
    p.add_argument('--retries', type=int, default=1, help='reruns of a task that raised (worker deaths: Dask\'s allowed-failures)')
    p.add_argument('--features', help='as herscan --features')
    p.add_argument('--frames', nargs='?', const=True, default=False, help='frame series (--frames mel: also the mel spectrogram)')
    p.add_argument('--key-profile', default='herscan')
    p.add_argument('--include', action='append', default=[])
    p.add_argument('--exclude', action='append', default=[])
    p.add_argument('-q', '--quiet', action='store_true')
    args = p.parse_args(argv)
    if args.frames not in (True, False, 'mel'):
        p.error('--frames takes no value or "mel"')
    paths = list(args.paths)
    if args.files_from:
        try:
            with (sys.stdin if args.files_from == '-' else open(args.files_from)) as f:
                paths += [line.rstrip('\n') for line in f if line.strip()]
        except OSError as e:
            p.error('--files-from: %s' % e)
    if not paths:
        p.error('no PATH given (files or folders, or --files-from LIST)')
    try:
        summary = run(paths, args.output, scheduler=args.scheduler, workers=args.workers,
                      threads_per_worker=args.threads_per_worker, resume=args.resume,
                      batch_files=args.batch_files, batch_bytes=int(args.batch_mb * 1e6),
                      features=args.features, frames=args.frames, key_profile=args.key_profile,
                      include=args.include, exclude=args.exclude, retries=args.retries,
                      dashboard=args.dashboard, quiet=args.quiet)
    except (ValueError, _h.HerscanError) as e:
        print('herscan-dask: %s' % e, file=sys.stderr)
        return 2
    if summary['interrupted']:
        return 130
    return 1 if summary['failed'] else 0


if __name__ == '__main__':
    from herscan import dask as _module  # run the importable copy, so tasks pickle by reference
    sys.exit(_module.main())
