"""Shared fixtures of the Python tests: the herscan executable, synthesised tracks as WAV."""
import json
import os
import subprocess
import wave

import numpy as np
import pytest

HERSCAN = os.environ.get('HERSCAN_EXE', 'herscan')
SOURCE = os.environ.get('HERSCAN_SOURCE_DIR', os.path.join(os.path.dirname(__file__), '..', '..'))


def write_wav(path, samples, rate):
    """int16 WAV of float samples in [-1, 1]: 1-D mono or (n, channels)."""
    x = np.asarray(samples, dtype=np.float64)
    channels = 1 if x.ndim == 1 else x.shape[1]
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype('<i2')
    with wave.open(os.fsdecode(path), 'wb') as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


def read_wav(path):
    """(float32 samples as libsndfile reads int16: value / 32768, (n,) or (n, channels), rate)."""
    with wave.open(str(path), 'rb') as w:
        n, channels, rate = w.getnframes(), w.getnchannels(), w.getframerate()
        pcm = np.frombuffer(w.readframes(n), dtype='<i2')
    x = (pcm.astype(np.float32) / 32768.0)
    return (x if channels == 1 else x.reshape(-1, channels)), rate


def chord_piece(seconds, rate, bpm, tonic_hz=220.0, seed=0):
    """A minor triad of harmonic tones retriggered with a kick on every beat."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    beat = 60.0 / bpm
    phase = np.mod(t, beat)
    env = np.exp(-phase * 4)
    y = np.zeros_like(t)
    for ratio in (1.0, 1.2, 1.5):
        for h, a in ((1, 1.0), (2, 0.5), (3, 0.25)):
            y += 0.05 * a * env * np.sin(2 * np.pi * tonic_hz * ratio * h * t)
    y += 0.4 * np.exp(-phase * 30) * np.sin(2 * np.pi * 60 * phase)
    y += 0.01 * rng.standard_normal(len(t))
    return 0.8 * y / np.max(np.abs(y))


def cli(path, *args):
    """The record `herscan PATH ARGS` writes, parsed."""
    r = subprocess.run([HERSCAN, str(path), *args], capture_output=True, text=True)
    return json.loads(r.stdout.splitlines()[0])


def without_timing(record):
    record = json.loads(json.dumps(record)) if not isinstance(record, dict) else dict(record)
    if 'analysis' in record:
        record['analysis'] = {k: v for k, v in record['analysis'].items() if k != 'elapsed_s'}
    return record


@pytest.fixture(scope='session')
def tracks(tmp_path_factory):
    """Synthesised tracks: mono 22.05 kHz, stereo 44.1 kHz, 48 kHz stereo, a short one, silence."""
    d = tmp_path_factory.mktemp('tracks')
    out = {}
    out['mono22'] = d / 'mono22.wav'
    write_wav(out['mono22'], chord_piece(8, 22050, 120), 22050)
    out['stereo44'] = d / 'stereo44.wav'
    left, right = chord_piece(10, 44100, 96, 196.0, 1), chord_piece(10, 44100, 96, 196.0, 2)
    write_wav(out['stereo44'], np.stack([left, 0.7 * right], axis=1), 44100)
    out['stereo48'] = d / 'stereo48.wav'
    write_wav(out['stereo48'], np.stack([chord_piece(6, 48000, 140, 261.6, 3)] * 2, axis=1), 48000)
    out['short'] = d / 'short.wav'
    write_wav(out['short'], chord_piece(0.05, 22050, 120), 22050)
    out['silence'] = d / 'silence.wav'
    write_wav(out['silence'], np.zeros(22050), 22050)
    return out
