#!/usr/bin/env python3
"""herscan report in a real browser: headless Chromium (Debian's chromium + chromium-driver,
driven by python3-selenium) opens pages made from herscan's profiles of synthesised tracks and
the test asserts on the DOM: rows, sorting, filters (search, ranges, a click on the Camelot wheel
and on the tempo histogram, a drag on the scatter), the tracks that mix with a selected one
(computed here from docs/report.md's rules, and by `herscan similar`), the error and skipped-line
panels, hostile file names and tags shown as text with no script run, the track view's canvases,
a virtualised 5,000-row table, an empty file, and a screenshot that is not blank.

    report_browser_test.py --herscan build/release/apps/herscan [--keep DIR]
    report_browser_test.py --herscan ... --screenshot docs/report.png   # the README's picture

Exit status 77 (CTest: skipped) with a message when Chromium, its driver, Selenium or numpy is
missing; scripts/setup.sh installs them.
"""
import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import unittest
import wave
import zlib

SKIP = 77
ARGS = None

try:
    import numpy as np
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
except ImportError as e:  # reported in main()
    IMPORT_ERROR = e
else:
    IMPORT_ERROR = None

CHROMIUM = shutil.which('chromium') or shutil.which('chromium-browser')
DRIVER = shutil.which('chromedriver') or ('/usr/bin/chromedriver' if os.path.exists('/usr/bin/chromedriver') else None)

SR = 22050
NOTE = {'C': 0, 'C#': 1, 'D': 2, 'Eb': 3, 'E': 4, 'F': 5, 'F#': 6, 'G': 7, 'Ab': 8, 'A': 9, 'Bb': 10, 'B': 11}


def chord_track(tonic, minor, bpm, seconds=12.0, seed=0, gain_db=0.0, swell_db=0.0):
    """A synthesised piece: i-iv-V-i (or I-IV-V-I) chords of decaying harmonic tones, a bass
    note and a kick on every beat, so key and tempo are well defined; `gain_db` below a peak of
    0.7, rising by `swell_db` from start to end (a loudness range)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    t = np.arange(n) / SR
    y = np.zeros(n)
    root = 48 + NOTE[tonic]  # MIDI note of the tonic below middle C
    third = 3 if minor else 4
    degrees = [(0, third, 7), (5, 5 + (3 if minor else 4), 12), (7, 11, 14), (0, third, 7)]
    beat = 60.0 / bpm
    bar = 4 * beat
    for k in range(int(seconds / bar) + 1):
        chord = degrees[k % 4]
        start = int(k * bar * SR)
        length = min(n - start, int(bar * SR))
        if length <= 0:
            break
        tt = np.arange(length) / SR
        env = np.exp(-tt * 1.5)
        for step in chord:
            f = 440.0 * 2 ** ((root + 12 + step - 69) / 12)
            for h, a in ((1, 1.0), (2, 0.4), (3, 0.2)):
                y[start:start + length] += 0.08 * a * env * np.sin(2 * np.pi * f * h * tt)
        fb = 440.0 * 2 ** ((root - 12 + chord[0] - 69) / 12)
        y[start:start + length] += 0.12 * env * np.sin(2 * np.pi * fb * tt)
    for b in range(int(seconds / beat) + 1):
        start = int(b * beat * SR)
        length = min(n - start, int(0.12 * SR))
        if length <= 0:
            break
        tt = np.arange(length) / SR
        y[start:start + length] += 0.5 * np.exp(-tt * 35) * np.sin(2 * np.pi * (50 + 90 * np.exp(-tt * 40)) * tt)
        y[start:start + length] += 0.05 * np.exp(-tt * 60) * rng.standard_normal(length)
    y *= 10 ** ((swell_db * (t / seconds - 1)) / 20)
    y *= 0.7 * 10 ** (gain_db / 20) / np.max(np.abs(y))
    return y


def write_wav(path, y):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with wave.open(path, 'wb') as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes((np.clip(y, -1, 1) * 32767).astype('<i2').tobytes())


HOSTILE_DIR = '<script>alert(1)<'          # with the file name below: "<script>alert(1)</script>.wav"
HOSTILE_FILE = 'script>.wav'
HOSTILE_IMG = '<img src=x onerror="window.__pwned=2">.wav'
HOSTILE_TITLE = '</script><script>window.__pwned=3</script>'

# (file, tonic, minor, bpm): relations to a.wav (A minor, 8A, 120 BPM) in the comments.
PIECES = [
    ('a.wav', 'A', True, 120),          # the selected track
    ('b.wav', 'A', True, 123),          # same key, +2.5 %
    ('c.wav', 'C', False, 118),         # relative major (8B), -1.7 %
    ('d.wav', 'E', True, 121),          # +1 (9A)
    ('e.wav', 'D', True, 61),           # -1 (7A) at double tempo
    ('f.wav', 'F#', False, 120),        # 2B: no
    ('g.wav', 'A', True, 140),          # same key, +16.7 %: no
    (HOSTILE_IMG, 'G', False, 100),     # 9B
    (os.path.join(HOSTILE_DIR, HOSTILE_FILE), 'Bb', False, 96),
]


def mixes_with(sel, sel_bpm, cand, cand_bpm, tolerance=6.0, half_double=True):
    """docs/report.md "Mixing rules", written again from the text."""
    (sn, sm), (cn, cm) = sel, cand
    step = (cn - sn) % 12
    if cm == sm and step == 0:
        key_cost = 0.0
    elif (cm == sm and step in (1, 11)) or (cm != sm and step == 0):
        key_cost = 0.5
    else:
        return None
    best = None
    for ratio in ((1, 2, 0.5) if half_double else (1,)):
        diff = 100 * (cand_bpm * ratio - sel_bpm) / sel_bpm
        if abs(diff) <= tolerance + 1e-9 and (best is None or abs(diff) < abs(best[1])):
            best = (ratio, diff)
    if best is None:
        return None
    return key_cost + abs(best[1]) / tolerance + (0 if best[0] == 1 else 0.25)


def camelot(code):
    if not code or code[-1] not in 'AB' or not code[:-1].isdigit():
        return None
    n = int(code[:-1])
    return (n, code[-1] == 'B') if 1 <= n <= 12 else None


def png_pixels(path):
    """(width, height, rows of RGBA/RGB bytes) of an 8-bit, non-interlaced PNG."""
    with open(path, 'rb') as f:
        data = f.read()
    assert data[:8] == b'\x89PNG\r\n\x1a\n'
    pos, idat = 8, b''
    while pos < len(data):
        length, kind = struct.unpack('>I4s', data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b'IHDR':
            width, height, depth, color = struct.unpack('>IIBB', body[:10])
        elif kind == b'IDAT':
            idat += body
        pos += 12 + length
    assert depth == 8 and color in (2, 6)
    bpp = 3 if color == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for r in range(height):
        kind = raw[r * (stride + 1)]
        line = bytearray(raw[r * (stride + 1) + 1:(r + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, bpp, rows


class Fixture:
    """The synthesised collection, its profiles and the pages, made once."""

    def __init__(self, work, herscan, pieces=PIECES, extras=True):
        self.work = work
        music = os.path.join(work, 'music')
        for k, (name, tonic, minor, bpm, *level) in enumerate(pieces):
            write_wav(os.path.join(music, name), chord_track(tonic, minor, bpm, 12.0, k, *level))
        with open(os.path.join(music, 'broken.wav'), 'wb') as f:
            f.write(b'RIFF\x24\x00\x00\x00WAVEfmt ')  # a header cut short
        self.profiles = os.path.join(work, 'profiles.jsonl')
        run = subprocess.run([herscan, 'music', '-q', '--frames', 'mel', '--features',
                              'loudness,spectral,key,chroma,tempo,beats', '-o', self.profiles],
                             cwd=work, capture_output=True, text=True)
        assert run.returncode == 1 and 'broken.wav' in run.stderr, run.stderr  # one file failed
        with open(self.profiles, 'rb') as f:
            lines = f.read().splitlines()
        self.records = [json.loads(line) for line in lines]
        if extras:
            self.add_foreign_lines(lines)
        self.page = os.path.join(work, 'report.html')
        r = subprocess.run([herscan, 'report', 'profiles.jsonl', '-o', self.page], capture_output=True, text=True, cwd=work)
        assert r.returncode == 0, r.stderr
        self.report_stderr = r.stderr
        self.tracks = [rec for rec in self.records if 'error' not in rec and 'album' not in rec]
        if extras:
            self.tracks.append({'file': 'music/caf\ufffd.wav', 'tempo': {'bpm': 77.0}})
        self.errors = [rec for rec in self.records if 'error' in rec]

    def add_foreign_lines(self, lines):
        # What a hand-edited or foreign file may hold: a record with a hostile title, one whose
        # file name is not UTF-8, and a line that is not JSON.
        titled = {'schema': 'herscan.profile/1', 'file': 'music/titled.flac', 'tags': {'title': HOSTILE_TITLE},
                  'format': {'duration_s': 200.0}, 'tempo': {'bpm': 90.0}, 'key': {'tonic': 'F', 'mode': 'major', 'camelot': '7B'},
                  'loudness': {'integrated_lufs': -20.0, 'range_lu': 7.0}}
        lines.append(json.dumps(titled).encode())
        self.records.append(titled)
        lines.append(b'this line is not JSON')
        self.malformed_line = len(lines)
        lines.append(b'{"schema":"herscan.profile/1","file":"music/caf\xe9.wav","tempo":{"bpm":77.0}}')
        self.latin1_line = len(lines)
        with open(self.profiles, 'wb') as f:
            f.write(b'\n'.join(lines) + b'\n')


class ReportInBrowser(unittest.TestCase):
    fx = None
    driver = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = ARGS.keep or tempfile.mkdtemp(prefix='herscan-report-')
        cls.fx = Fixture(cls.tmp, ARGS.herscan)
        options = webdriver.ChromeOptions()
        for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                  '--window-size=1400,1000', '--force-device-scale-factor=1'):
            options.add_argument(a)
        options.binary_location = CHROMIUM
        cls.driver = webdriver.Chrome(service=Service(DRIVER), options=options)

    @classmethod
    def tearDownClass(cls):
        if cls.driver:
            cls.driver.quit()
        if not ARGS.keep:
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # -- helpers
    def open(self, page=None):
        d = self.driver
        d.get('file://' + (page or self.fx.page))
        self.assertEqual(d.execute_script('return document.body.dataset.ready'), '1', self.console())
        return d

    def console(self):
        return '\n'.join(str(e) for e in self.driver.get_log('browser'))

    def visible_files(self):
        """The file of every row in the DOM, top to bottom (the viewport shows them all here)."""
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#rows .row')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))"
            ".map(r => r.children[0].title)")

    def column(self, key):
        k = self.driver.execute_script(
            "return [...document.querySelectorAll('#table-head span')].findIndex(s => s.dataset.column === arguments[0])", key)
        return self.driver.execute_script(
            "return [...document.querySelectorAll('#rows .row')].sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))"
            ".map(r => r.children[arguments[0]].textContent)", k)

    def click_canvas(self, canvas_id, point):
        canvas = self.driver.find_element(By.ID, canvas_id)
        size = canvas.size
        ActionChains(self.driver).move_to_element_with_offset(
            canvas, int(point['x'] - size['width'] / 2), int(point['y'] - size['height'] / 2)).click().perform()

    def count_text(self):
        return self.driver.find_element(By.ID, 'count').text

    def track_files(self):
        return sorted(t['file'] for t in self.fx.tracks)

    # -- tests
    def test_rows_and_values(self):
        d = self.open()
        self.assertEqual(self.count_text(), '%d tracks' % len(self.fx.tracks))
        self.assertEqual(sorted(self.visible_files()), self.track_files())
        row = next(t for t in self.fx.tracks if t['file'].endswith('/a.wav'))
        files = self.visible_files()
        bpm = self.column('bpm')[files.index(row['file'])]
        self.assertEqual(bpm, '%.1f' % row['tempo']['bpm'])
        self.assertEqual(d.execute_script('return document.scripts.length'), 2)

    def test_sorting(self):
        d = self.open()
        head = d.find_element(By.CSS_SELECTOR, '#table-head span[data-column="bpm"]')
        head.click()  # numbers sort from the highest first
        self.assertEqual(head.get_attribute('aria-sort'), 'descending')
        expected = sorted(self.fx.tracks, key=lambda t: -t.get('tempo', {}).get('bpm', -1))
        got = [float(v) for v in self.column('bpm')]
        self.assertEqual(got, [round(t['tempo']['bpm'], 1) for t in expected])
        head.click()
        self.assertEqual(head.get_attribute('aria-sort'), 'ascending')
        got = [float(v) for v in self.column('bpm')]
        self.assertEqual(got, sorted(got))
        d.find_element(By.CSS_SELECTOR, '#table-head span[data-column="integrated_lufs"]').click()
        values = [float(v) for v in self.column('integrated_lufs') if v != '–']
        self.assertEqual(values, sorted(values, reverse=True))
        self.assertEqual(self.column('integrated_lufs')[-1], '–')  # missing values last

    def test_wheel_click_filters(self):
        d = self.open()
        code = next(t for t in self.fx.tracks if t['file'].endswith('/a.wav'))['key']['camelot']
        self.click_canvas('wheel', d.execute_script('return herscanReport.sectorCenter(arguments[0])', code))
        want = sorted(t['file'] for t in self.fx.tracks if t.get('key', {}).get('camelot') == code)
        self.assertGreaterEqual(len(want), 2)
        self.assertEqual(sorted(self.visible_files()), want)
        self.assertEqual(self.count_text(), '%d of %d tracks' % (len(want), len(self.fx.tracks)))
        self.assertIn(code, d.find_element(By.ID, 'key-chip').text)
        self.click_canvas('wheel', d.execute_script('return herscanReport.sectorCenter(arguments[0])', code))
        self.assertEqual(self.count_text(), '%d tracks' % len(self.fx.tracks))

    def test_histogram_click_filters(self):
        d = self.open()
        # The report bins and filters tempi at the 0.01 BPM its range fields take.
        bpm = round(next(t for t in self.fx.tracks if t['file'].endswith('/a.wav'))['tempo']['bpm'], 2)
        start = math.floor(bpm / 5) * 5
        self.click_canvas('histogram', d.execute_script('return herscanReport.barCenter(arguments[0])', start))
        want = sorted(t['file'] for t in self.fx.tracks
                      if start <= round(t.get('tempo', {}).get('bpm', -1) or -1, 2) < start + 5)
        self.assertEqual(sorted(self.visible_files()), want)
        self.assertEqual(d.find_element(By.ID, 'bpm-min').get_attribute('value'), str(start))

    def test_search_and_ranges(self):
        d = self.open()
        d.find_element(By.ID, 'search').send_keys('B.WAV')
        self.assertEqual(self.visible_files(), [t['file'] for t in self.fx.tracks if t['file'].lower().endswith('b.wav')])
        d.find_element(By.ID, 'clear').click()
        d.find_element(By.ID, 'bpm-min').send_keys('100')
        d.find_element(By.ID, 'bpm-max').send_keys('125')
        want = sorted(t['file'] for t in self.fx.tracks if 100 <= t.get('tempo', {}).get('bpm', -1) <= 125)
        self.assertEqual(sorted(self.visible_files()), want)

    def test_scatter_drag_filters(self):
        d = self.open()
        canvas = d.find_element(By.ID, 'scatter')
        w, h = canvas.size['width'], canvas.size['height']
        ActionChains(d).move_to_element_with_offset(canvas, int(-w / 2 + 40), int(-h / 2 + 10)).click_and_hold() \
            .move_to_element_with_offset(canvas, int(w / 2 - 10), int(h / 2 - 32)).release().perform()
        lo = float(d.find_element(By.ID, 'integrated_lufs-min').get_attribute('value'))
        hi = float(d.find_element(By.ID, 'integrated_lufs-max').get_attribute('value'))
        rlo = float(d.find_element(By.ID, 'range_lu-min').get_attribute('value'))
        rhi = float(d.find_element(By.ID, 'range_lu-max').get_attribute('value'))
        def inside(t):
            loud = t.get('loudness', {})
            x, y = loud.get('integrated_lufs'), loud.get('range_lu')
            return x is not None and y is not None and lo <= round(x, 2) <= hi and rlo <= round(y, 2) <= rhi
        want = sorted(t['file'] for t in self.fx.tracks if inside(t))
        self.assertGreater(len(want), 0)
        self.assertEqual(sorted(self.visible_files()), want)

    def test_mixing_list(self):
        d = self.open()
        sel = next(t for t in self.fx.tracks if t['file'].endswith('/a.wav'))
        d.execute_script("[...document.querySelectorAll('#rows .row')].find(r => r.children[0].title === arguments[0]).click()", sel['file'])
        got = d.execute_script("return [...document.querySelectorAll('#mix-list li')].map(li => li.dataset.file)")
        s = camelot(sel['key']['camelot'])
        expected = []
        for t in self.fx.tracks:
            c = camelot(t.get('key', {}).get('camelot'))
            b = t.get('tempo', {}).get('bpm')
            if t is sel or not c or not b:
                continue
            dist = mixes_with(s, sel['tempo']['bpm'], c, b)
            if dist is not None:
                expected.append((dist, t['file']))
        expected = [f for _, f in sorted(expected)]
        self.assertGreaterEqual(len(expected), 3, expected)
        self.assertEqual(got, expected)
        cli = subprocess.run([ARGS.herscan, 'similar', self.fx.profiles, sel['file']], capture_output=True, text=True)
        self.assertEqual(cli.returncode, 0, cli.stderr)
        self.assertEqual([json.loads(line)['file'] for line in cli.stdout.splitlines()], expected)
        # A narrower tolerance, typed into the page, narrows the list the same way.
        tol = d.find_element(By.ID, 'mix-tolerance')
        tol.clear()
        tol.send_keys('2')
        got = d.execute_script("return [...document.querySelectorAll('#mix-list li')].map(li => li.dataset.file)")
        narrow = [f for f in expected
                  if mixes_with(s, sel['tempo']['bpm'], camelot(next(t for t in self.fx.tracks if t['file'] == f)['key']['camelot']),
                                next(t for t in self.fx.tracks if t['file'] == f)['tempo']['bpm'], tolerance=2) is not None]
        self.assertEqual(got, narrow)

    def test_track_view_draws_frames(self):
        d = self.open()
        d.execute_script("[...document.querySelectorAll('#rows .row')].find(r => r.children[0].title.endsWith('/a.wav')).click()")
        panels = d.execute_script("return [...document.querySelectorAll('#track canvas')].map(c => c.dataset.panel)")
        self.assertEqual(len(panels), 4, panels)
        for title in ('Mel spectrogram', 'Chroma', 'Loudness', 'Onset strength, beats and downbeats'):
            self.assertTrue(any(p.startswith(title) for p in panels), panels)
        colours = d.execute_script("""return [...document.querySelectorAll('#track canvas')].map(c => {
            const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const seen = new Set();
            for (let i = 0; i < px.length; i += 4 * 7) if (px[i + 3]) seen.add(px[i] << 16 | px[i + 1] << 8 | px[i + 2]);
            return seen.size; })""")
        self.assertTrue(all(c >= 2 for c in colours), colours)
        # A record without frames shows its values and says how to get the series.
        d.execute_script("[...document.querySelectorAll('#rows .row')].find(r => r.children[0].title === 'music/titled.flac').click()")
        self.assertIn('--frames', d.find_element(By.ID, 'track').text)

    def test_errors_and_skipped_lines(self):
        d = self.open()
        errors = d.execute_script("return [...document.querySelectorAll('#error-rows tr')].map(tr => [...tr.children].map(td => td.textContent))")
        self.assertEqual([e[0] for e in errors], [r['file'] for r in self.fx.errors])
        self.assertTrue(errors[0][0].endswith('broken.wav'))
        self.assertEqual(errors[0][1], self.fx.errors[0]['error']['code'])
        problems = d.execute_script("return [...document.querySelectorAll('#problem-rows tr')].map(tr => tr.children[0].textContent)")
        self.assertEqual(problems, [str(self.fx.malformed_line)])
        self.assertIn(':%d: not JSON' % self.fx.malformed_line, self.fx.report_stderr)
        summary = d.find_element(By.ID, 'summary').text
        self.assertIn('1 file not analysed', summary)
        self.assertIn('1 line skipped', summary)
        self.assertIn('invalid UTF-8', summary)

    def test_hostile_names_are_text(self):
        d = self.open()
        files = self.visible_files()
        self.assertIn('music/' + HOSTILE_DIR + '/' + HOSTILE_FILE, files)  # "<script>alert(1)</script>.wav"
        self.assertIn('music/' + HOSTILE_IMG, files)
        self.assertIn('music/caf\ufffd.wav', files)
        names = d.execute_script("return [...document.querySelectorAll('#rows .row')].map(r => r.children[0].textContent)")
        self.assertIn(HOSTILE_TITLE, names)
        try:
            alert = d.switch_to.alert
            self.fail('an alert ran: ' + alert.text)
        except NoAlertPresentException:
            pass
        self.assertIsNone(d.execute_script('return window.__pwned === undefined ? null : window.__pwned'))
        self.assertEqual(d.execute_script('return document.querySelectorAll("img").length'), 0)
        self.assertEqual(d.execute_script('return document.scripts.length'), 2)
        self.assertEqual(d.execute_script('return herscanReport.violations'), [])  # nothing even tried
        self.assertIn(d.title.split(' · ')[0], os.path.basename(self.fx.profiles))
        # The page's source holds no hostile markup: every '<' of the data is \u003c.
        with open(self.fx.page, encoding='utf-8') as f:
            html = f.read()
        self.assertNotIn('<script>alert', html)
        self.assertNotIn('<img', html)
        self.assertEqual(html.count('</script>'), 2)

    def test_virtualised_5000_rows(self):
        path = os.path.join(self.tmp, 'many.jsonl')
        rng = np.random.default_rng(1)
        with open(path, 'w') as f:
            for i in range(5000):
                n, m = int(rng.integers(1, 13)), 'AB'[int(rng.integers(0, 2))]
                f.write(json.dumps({'schema': 'herscan.profile/1', 'file': 'lib/track%05d.flac' % i,
                                    'format': {'duration_s': float(rng.uniform(60, 600))},
                                    'tempo': {'bpm': float(rng.uniform(60, 180))},
                                    'key': {'tonic': 'C', 'mode': 'major', 'camelot': '%d%s' % (n, m)},
                                    'loudness': {'integrated_lufs': float(rng.uniform(-30, -6)),
                                                 'range_lu': float(rng.uniform(1, 20))}}) + '\n')
        page = os.path.join(self.tmp, 'many.html')
        subprocess.run([ARGS.herscan, 'report', path, '-o', page], check=True, capture_output=True)
        d = self.open(page)
        self.assertEqual(self.count_text(), '5000 tracks')
        in_dom = d.execute_script("return document.querySelectorAll('#rows .row').length")
        self.assertLess(in_dom, 60)
        d.execute_script("const v = document.getElementById('viewport'); v.scrollTop = v.scrollHeight;")
        d.execute_script("return new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        self.assertIn('lib/track04999.flac', self.visible_files())
        self.assertLess(d.execute_script("return document.querySelectorAll('#rows .row').length"), 60)

    def test_empty_file(self):
        path = os.path.join(self.tmp, 'empty.jsonl')
        open(path, 'w').close()
        page = os.path.join(self.tmp, 'empty.html')
        subprocess.run([ARGS.herscan, 'report', path, '-o', page], check=True, capture_output=True)
        d = self.open(page)
        self.assertTrue(d.find_element(By.ID, 'empty').is_displayed())
        self.assertIn('no track records', d.find_element(By.ID, 'empty').text)
        self.assertEqual(self.count_text(), '0 tracks')

    def test_screenshot_not_blank(self):
        d = self.open()
        d.execute_script("[...document.querySelectorAll('#rows .row')].find(r => r.children[0].title.endsWith('/a.wav')).click()")
        path = os.path.join(self.tmp, 'screenshot.png')
        self.assertTrue(d.save_screenshot(path))
        width, height, bpp, rows = png_pixels(path)
        self.assertEqual(width, 1400)  # the window; its height less the (headless) browser's own
        self.assertGreater(height, 600)
        colours = set()
        for row in rows[::9]:
            for i in range(0, len(row), bpp * 9):
                colours.add(row[i:i + 3])
        self.assertGreater(len(colours), 50)  # text, charts, a spectrogram: many colours


def screenshot(out):
    """The README's picture: a collection of 30 synthesised pieces, one of them opened."""
    work = tempfile.mkdtemp(prefix='herscan-report-shot-')
    try:
        pieces = []
        keys = ['C', 'G', 'D', 'A', 'E', 'B', 'F#', 'F', 'Bb', 'Eb', 'Ab', 'C#']
        for k in range(30):
            tonic, minor = keys[(k * 5) % 12], k % 3 == 0
            bpm = [92, 100, 120, 124, 128, 140, 174, 86][k % 8] + (k % 5)
            gain, swell = -float((k * 7) % 9), float((k * 5) % 12)
            pieces.append(('piece %02d in %s %s.wav' % (k + 1, tonic, 'minor' if minor else 'major'), tonic, minor, bpm,
                           gain, swell))
        fx = Fixture(work, ARGS.herscan, pieces, extras=False)
        options = webdriver.ChromeOptions()
        for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--window-size=1400,1080', '--force-device-scale-factor=1'):
            options.add_argument(a)
        options.binary_location = CHROMIUM
        d = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            d.get('file://' + fx.page)
            d.execute_script("document.querySelector('#table-head span[data-column=\"bpm\"]').click();"
                             "[...document.querySelectorAll('#rows .row')].find(r => r.children[0].title.includes('piece 03')).click()")
            d.save_screenshot(out)
        finally:
            d.quit()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--herscan', required=True)
    p.add_argument('--keep', help='work in this folder and keep it')
    p.add_argument('--screenshot', help='write the README picture to this PNG and exit')
    ARGS, rest = p.parse_known_args()
    ARGS.herscan = os.path.abspath(ARGS.herscan)
    missing = []
    if IMPORT_ERROR is not None:
        missing.append('Python module %s (python3-selenium, python3-numpy)' % IMPORT_ERROR.name)
    if not CHROMIUM:
        missing.append('chromium')
    if not DRIVER:
        missing.append('chromedriver (chromium-driver)')
    if missing:
        print('SKIPPED: the browser tests need ' + ', '.join(missing) + '; scripts/setup.sh installs them', file=sys.stderr)
        return SKIP
    if ARGS.keep:
        os.makedirs(ARGS.keep, exist_ok=True)
    if ARGS.screenshot:
        screenshot(ARGS.screenshot)
        return 0
    result = unittest.main(argv=[sys.argv[0]] + rest, exit=False, verbosity=2).result
    return 0 if result.wasSuccessful() else 1


if __name__ == '__main__':
    sys.exit(main())
