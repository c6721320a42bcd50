"""The Python module against the CLI and against numpy: the profile equals `herscan FILE`'s
JSON, frames are float32 arrays of the documented shapes with the JSON's values, arrays in
memory give the files' profiles, errors are exceptions, threads agree, the streaming classes
give the library's results (the STFT checked against numpy's FFT)."""
import os
import threading

import numpy as np
import pytest

import herscan
from conftest import SOURCE, cli, read_wav, without_timing

DEMO = os.path.join(SOURCE, 'data', 'demo.flac')


@pytest.mark.parametrize('name', ['demo', 'mono22', 'stereo44', 'stereo48', 'short', 'silence'])
def test_analyze_equals_the_cli(tracks, name):
    path = DEMO if name == 'demo' else str(tracks[name])
    got = herscan.analyze(path)
    want = cli(path)
    assert list(got) == list(want)  # the same keys in the same order
    assert without_timing(got) == without_timing(want)


def test_features_and_beats_equal_the_cli(tracks):
    path = str(tracks['stereo44'])
    got = herscan.analyze(path, features=['loudness', 'beats'], key_profile='temperley')
    assert without_timing(got) == without_timing(cli(path, '--features', 'loudness,beats',
                                                     '--key-profile', 'temperley'))
    assert 'beats' in got['tempo'] and 'key' not in got
    assert without_timing(herscan.analyze(path, features='key,chroma')) == \
        without_timing(cli(path, '--features', 'key,chroma'))


def test_frames_are_float32_arrays_with_the_json_values(tracks):
    path = str(tracks['stereo44'])
    got = herscan.analyze(path, frames='mel')
    want = cli(path, '--frames', 'mel')
    frames, json_frames = got['frames'], want['frames']
    assert sorted(frames) == sorted(json_frames)
    n = len(json_frames['time_s'])
    m = len(json_frames['loudness_time_s'])
    shapes = {'time_s': (n,), 'centroid_hz': (n,), 'rms': (n,), 'contrast_db': (n, 7),
              'mfcc': (n, 20), 'mel_db': (n, 128), 'chroma': (n, 12), 'onset_strength': (n,),
              'tempo_bpm': (n,), 'loudness_time_s': (m,), 'momentary_lufs': (m,),
              'short_term_lufs': (m,)}
    for key, shape in shapes.items():
        assert frames[key].dtype == np.float32, key
        assert frames[key].shape == shape, key
    for key, array in frames.items():
        expected = np.array([[np.nan if v is None else v for v in row] if isinstance(row, list)
                             else (np.nan if row is None else row) for row in json_frames[key]],
                            dtype=np.float64)
        finite = np.isfinite(array)
        # JSON writes 7 significant digits and null for what is not finite.
        assert np.array_equal(finite, np.isfinite(expected)), key
        np.testing.assert_allclose(array[finite], expected[finite], rtol=2e-6, atol=1e-30, err_msg=key)
    without = without_timing(got)
    without.pop('frames')
    assert without == {k: v for k, v in without_timing(want).items() if k != 'frames'}
    # The arrays own their memory: they outlive the profile.
    mel = frames['mel_db']
    del got, frames
    assert mel.sum() == mel.sum()


@pytest.mark.parametrize('name', ['mono22', 'stereo44', 'stereo48'])
def test_analyze_array_equals_analyze(tracks, name):
    path = str(tracks[name])
    samples, rate = read_wav(path)
    from_file = herscan.analyze(path, frames=True)
    if samples.ndim == 1:
        arrays = [herscan.analyze_array(samples, rate, frames=True, name=path)]
    else:
        arrays = [herscan.analyze_array(samples.T, rate, frames=True, name=path),  # librosa's
                  herscan.analyze_array(samples, rate, layout='channels_last', frames=True, name=path),
                  herscan.analyze_array(samples.T.astype(np.float64), rate, frames=True, name=path)]
    for got in arrays:
        assert got['format']['decoder'] == 'numpy' and got['format']['container'] == 'array'
        for key in ('sample_rate_hz', 'channels', 'frames', 'duration_s'):
            assert got['format'][key] == from_file['format'][key]
        a, b = without_timing(got), without_timing(from_file)
        fa, fb = a.pop('frames'), b.pop('frames')
        a.pop('format'), b.pop('format')
        assert a == b
        for key in fb:
            np.testing.assert_array_equal(fa[key], fb[key], err_msg=key)


def test_analyze_array_with_librosa_style_mono():
    rate = 22050
    t = np.arange(2 * rate) / rate
    y = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    p = herscan.analyze_array(y, rate, features='loudness,key')
    assert p['file'] == '<array>'
    assert p['key']['tonic'] == 'A'
    # A mono sine of amplitude 0.3: sample peak 20 log10(0.3).
    assert abs(p['loudness']['sample_peak_dbfs'] - 20 * np.log10(0.3)) < 0.01


def test_paths_as_str_bytes_pathlib_and_not_utf8(tracks, tmp_path):
    import pathlib
    path = str(tracks['mono22'])
    want = without_timing(herscan.analyze(path))
    assert without_timing(herscan.analyze(pathlib.Path(path))) == want
    assert without_timing(herscan.analyze(os.fsencode(path))) == want
    latin1 = os.path.join(os.fsencode(str(tmp_path)), b'caf\xe9.wav')
    with open(path, 'rb') as src, open(latin1, 'wb') as dst:
        dst.write(src.read())
    got = herscan.analyze(latin1)  # bytes, or os.fsdecode's str with a surrogate: the same file
    assert without_timing(herscan.analyze(os.fsdecode(latin1))) == without_timing(got)
    assert got['file'].endswith('caf\ufffd.wav')  # JSON strings are Unicode: as the CLI writes it
    assert without_timing(got) == without_timing(cli(os.fsdecode(latin1)))
    with pytest.raises(herscan.FileNotFound) as e:
        herscan.analyze(os.path.join(os.fsencode(str(tmp_path)), b'gone\xe9.wav'))
    assert 'gone\ufffd.wav' in str(e.value)


def test_errors_are_exceptions(tmp_path):
    with pytest.raises(herscan.FileNotFound) as e:
        herscan.analyze(str(tmp_path / 'missing.flac'))
    assert e.value.code == 'not_found' and isinstance(e.value, FileNotFoundError)
    text = tmp_path / 'notes.wav'
    text.write_text('not audio at all\n' * 10)
    with pytest.raises(herscan.UnsupportedFormat) as e:
        herscan.analyze(str(text))
    assert e.value.code == 'not_audio' and isinstance(e.value, herscan.HerscanError)
    cut = tmp_path / 'cut.wav'
    cut.write_bytes(b'RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x22\x56\x00\x00'
                    b'\x44\xac\x00\x00\x02\x00\x10\x00data\x00\x10\x00\x00')
    with pytest.raises(herscan.HerscanError) as e:
        herscan.analyze(str(cut))
    assert e.value.code == cli(str(cut))['error']['code']
    with pytest.raises(herscan.InvalidArgument) as e:
        herscan.analyze(DEMO, features='loudness,colour')
    assert isinstance(e.value, ValueError) and 'colour' in str(e.value)
    with pytest.raises(herscan.InvalidArgument):
        herscan.analyze(DEMO, key_profile='nonesuch')
    with pytest.raises(herscan.InvalidArgument):
        herscan.analyze(DEMO, frames='spectrogram')
    with pytest.raises(herscan.InvalidArgument):
        herscan.analyze_array(np.zeros((2, 1000)), 22050, layout='sideways')
    with pytest.raises(herscan.InvalidArgument) as e:
        herscan.analyze_array(np.zeros((1000, 2)), 22050)  # (n, channels) without the layout
    assert 'channels_last' in str(e.value)
    with pytest.raises(herscan.InvalidArgument):
        herscan.analyze_array(np.zeros(1000), 22050.5)
    with pytest.raises(herscan.InvalidArgument):
        herscan.analyze_array(np.zeros((2, 2, 2)), 22050)


def test_two_threads_give_the_results_of_one(tracks):
    paths = [str(tracks['stereo44']), str(tracks['mono22']), str(tracks['stereo48']), DEMO]
    alone = [without_timing(herscan.analyze(p)) for p in paths]
    results = [None] * len(paths)

    def work(k):
        for i in range(k, len(paths), 2):
            results[i] = without_timing(herscan.analyze(paths[i]))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == alone


def test_loudness_meter_in_blocks_equals_the_profile(tracks):
    samples, rate = read_wav(tracks['stereo48'])
    meter = herscan.LoudnessMeter(rate, channels=2, series=True)
    for start in range(0, len(samples), 4096):
        meter.process(samples[start:start + 4096])
    got = meter.result()
    want = herscan.analyze(str(tracks['stereo48']), features='loudness', frames=True)
    for key, value in want['loudness'].items():
        assert got[key] == value, key
    np.testing.assert_array_equal(got['short_term_lufs'], want['frames']['short_term_lufs'])
    with pytest.raises(ValueError):
        meter.process(samples[:10])  # after result()
    with pytest.raises(ValueError):
        herscan.LoudnessMeter(48000, channels=2).process(np.zeros(100))  # mono block, 2 channels


def test_stft_equals_numpy():
    rng = np.random.default_rng(7)
    x = rng.standard_normal(10000).astype(np.float32)
    stft = herscan.Stft(22050, n_fft=1024, hop=256)
    frames = [stft.process(x[i:i + 777]) for i in range(0, len(x), 777)] + [stft.result()]
    got = np.concatenate(frames)
    # librosa's centred STFT: zero padding of n_fft / 2, periodic Hann, |rfft|.
    n_fft, hop = 1024, 256
    padded = np.concatenate([np.zeros(n_fft // 2), x.astype(np.float64), np.zeros(n_fft // 2)])
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    count = 1 + len(x) // hop
    want = np.array([np.abs(np.fft.rfft(window * padded[t * hop:t * hop + n_fft])) for t in range(count)])
    assert got.shape == (count, n_fft // 2 + 1) and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-3)
    assert stft.finish().shape == (0, n_fft // 2 + 1)  # nothing after the end
    with pytest.raises(ValueError):
        stft.process(x[:100])


def test_mel_and_chroma_equal_the_profile(tracks):
    path = str(tracks['mono22'])  # mono at the analysis rate: the same signal as the profile's
    samples, rate = read_wav(path)
    mel, chroma = herscan.Mel(rate), herscan.Chroma(rate)
    for start in range(0, len(samples), 5000):
        mel.process(samples[start:start + 5000])
        chroma.process(samples[start:start + 5000])
    m, c = mel.result(), chroma.result()
    p = herscan.analyze(path, frames='mel')
    np.testing.assert_array_equal(m['mel_db'], p['frames']['mel_db'])
    np.testing.assert_array_equal(m['mfcc'], p['frames']['mfcc'])
    np.testing.assert_array_equal(c['chroma'], p['frames']['chroma'])
    assert c['key']['tonic'] == p['key']['tonic'] and c['key']['mode'] == p['key']['mode']
    assert c['key']['camelot'] == p['key']['camelot']
