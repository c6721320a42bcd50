"""herscan.dask on a LocalCluster of 2 worker processes on loopback: the same records as
`herscan DIR -o FILE` (order aside) with one error record per bad file; a worker killed mid-run
loses no file and duplicates none; --resume after an interrupted client analyses only the
missing files. Bounded in time; every cluster is closed."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import HERSCAN, chord_piece, write_wav, without_timing

distributed = pytest.importorskip('distributed')
import herscan.dask  # noqa: E402  (needs distributed)

N_GOOD = 8
N_AUDIO = N_GOOD + 1  # and one whose name is not UTF-8


@pytest.fixture(scope='module')
def music(tmp_path_factory):
    d = tmp_path_factory.mktemp('dask')
    folder = d / 'music'
    (folder / 'sub').mkdir(parents=True)
    for k in range(N_GOOD):
        sub = 'sub/' if k % 3 == 0 else ''
        write_wav(folder / ('%strack%02d.wav' % (sub, k)), chord_piece(3, 22050, 90 + 7 * k, seed=k), 22050)
    write_wav(os.path.join(os.fsencode(folder), b'caf\xe9.wav'), chord_piece(2, 22050, 100), 22050)
    (folder / 'notes.wav').write_text('not audio\n' * 20)
    (folder / 'cut.wav').write_bytes(b'RIFF\x24\x00\x00\x00WAVEfmt ')
    return d


def records(path):
    with open(path) as f:
        return sorted((without_timing(json.loads(line)) for line in f), key=lambda r: r['file'])


def cli_records(music):
    out = music / 'cli.jsonl'
    subprocess.run([HERSCAN, 'music', '-q', '-o', str(out)], cwd=music, check=False)
    return records(out)


@pytest.fixture
def cluster():
    made = []

    def make(**env):
        c = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     host='127.0.0.1', dashboard_address=None, env=env,
                                     silence_logs=50)
        client = distributed.Client(c)
        made.append((client, c))
        return client

    yield make
    for client, c in made:
        client.close()
        c.close()


def test_same_records_as_the_cli(music, cluster, monkeypatch):
    monkeypatch.chdir(music)
    summary = herscan.dask.run(['music'], 'dask.jsonl', client=cluster())
    assert summary['files'] == N_AUDIO + 2 and summary['failed'] == 2
    got = records(music / 'dask.jsonl')
    assert got == cli_records(music)
    errors = [r['file'] for r in got if 'error' in r]
    assert errors == ['music/cut.wav', 'music/notes.wav']
    latin1 = [r for r in got if 'file_bytes' in r]  # the CLI's way with a name that is not UTF-8
    assert [r['file'] for r in latin1] == ['music/caf\ufffd.wav'] and 'tempo' in latin1[0]
    assert not (music / 'dask.jsonl.partial').exists()


def test_a_file_list(music, tmp_path):
    listed = ['music/track01.wav', 'music/notes.wav', 'music/sub/track00.wav']
    (music / 'list.txt').write_text('\n'.join(listed) + '\n')
    r = subprocess.run([sys.executable, '-m', 'herscan.dask', '--files-from', 'list.txt', '-o',
                        'listed.jsonl', '--workers', '2', '-q'], cwd=music, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 1, r.stderr  # notes.wav is not audio
    got = records(music / 'listed.jsonl')
    assert [x['file'] for x in got] == sorted(listed)
    assert got == [x for x in cli_records(music) if x['file'] in listed]
    usage = subprocess.run([sys.executable, '-m', 'herscan.dask', '-o', 'x.jsonl'], cwd=music,
                           capture_output=True, text=True, timeout=60)
    assert usage.returncode == 2 and 'no PATH' in usage.stderr


def test_a_killed_worker_loses_and_duplicates_nothing(music, cluster, monkeypatch):
    monkeypatch.chdir(music)
    client = cluster(HERSCAN_TEST_DELAY_MS='400')  # every analysis takes 0.4 s more
    killed = []

    def on_record(path, line):
        if len(killed) == 0:
            pids = client.run(os.getpid)  # {worker address: pid}
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            killed.append(pids)

    summary = herscan.dask.run(['music'], 'killed.jsonl', client=client, on_record=on_record)
    assert killed, 'no worker was killed'
    assert not summary['interrupted'] and summary['crashed'] == 0
    with open(music / 'killed.jsonl') as f:
        files = [json.loads(line)['file'] for line in f]
    assert len(files) == len(set(files)) == N_AUDIO + 2
    assert records(music / 'killed.jsonl') == cli_records(music)


def test_a_file_that_kills_every_worker_gets_a_crashed_record(music, cluster, monkeypatch):
    monkeypatch.chdir(music)
    # records.cpp's test hook: the analysis of a path containing "track03" dies on SIGSEGV.
    client = cluster(HERSCAN_TEST_CRASH='track03')
    summary = herscan.dask.run(['music'], 'crash.jsonl', client=client)
    assert summary['crashed'] == 1
    got = {r['file']: r for r in records(music / 'crash.jsonl')}
    assert len(got) == N_AUDIO + 2
    assert got['music/sub/track03.wav']['error']['code'] == 'crashed'
    cli = {r['file']: r for r in cli_records(music)}
    assert all(got[f] == cli[f] for f in cli if f != 'music/sub/track03.wav')


def test_resume_after_an_interrupted_client(music):
    out = music / 'resumed.jsonl'
    partial = music / 'resumed.jsonl.partial'
    env = dict(os.environ, HERSCAN_TEST_DELAY_MS='500')
    command = [sys.executable, '-m', 'herscan.dask', 'music', '-o', str(out), '--workers', '2']
    first = subprocess.Popen(command, cwd=music, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            if partial.exists() and partial.read_text().count('\n') >= 3:
                break
            time.sleep(0.05)
        else:
            pytest.fail('no records written within 60 s')
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=60) == 130, first.stderr.read()
    finally:
        if first.poll() is None:
            first.kill()
    assert 'run again with --resume' in first.stderr.read()
    assert not out.exists()
    kept = partial.read_text().splitlines(keepends=True)
    assert 3 <= len(kept) < N_AUDIO + 2
    second = subprocess.run(command + ['--resume'], cwd=music, capture_output=True, text=True,
                            timeout=120)
    assert second.returncode == 1, second.stderr  # the two bad files
    assert '%d analysed, %d resumed' % (N_AUDIO + 2 - len(kept), len(kept)) in second.stderr
    lines = out.read_text().splitlines(keepends=True)
    assert lines[:len(kept)] == kept  # the earlier records untouched (their timings too)
    files = [json.loads(line)['file'] for line in lines]
    assert len(files) == len(set(files)) == N_AUDIO + 2
    assert records(out) == cli_records(music)
    # Resuming a finished file analyses nothing and leaves it as it was.
    third = subprocess.run(command + ['--resume'], cwd=music, capture_output=True, text=True,
                           timeout=120)
    assert '0 analysed, %d resumed' % (N_AUDIO + 2) in third.stderr, third.stderr
    assert out.read_text().splitlines(keepends=True) == lines
