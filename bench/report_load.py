#!/usr/bin/env python3
"""Load time and memory of `herscan report` pages in headless Chromium, for collections of
synthetic records shaped like herscan's own (every summary block, no frames): the time and peak
memory of `herscan report`, the page's size, the time from navigation to a usable page, the JS
heap and DOM size once loaded, and the time of a sort, a key filter and a scroll to the end.
docs/report.md quotes its figures.

    bench/report_load.py build/release/apps/herscan [--records 10,1000,50000] [--work DIR]
"""
import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

KEYS = ['C', 'C#', 'D', 'Eb', 'E', 'F', 'F#', 'G', 'Ab', 'A', 'Bb', 'B']
CAMELOT_MAJOR = [8, 3, 10, 5, 12, 7, 2, 9, 4, 11, 6, 1]  # C major = 8B, ...


def record(i, rng):
    """One profile with every block herscan writes by default, values drawn at random."""
    tonic, major = rng.randrange(12), rng.random() < 0.5
    number = CAMELOT_MAJOR[tonic] if major else CAMELOT_MAJOR[(tonic + 3) % 12]
    lufs = rng.uniform(-30, -6)
    stats = lambda lo, hi: {'mean': rng.uniform(lo, hi), 'std': rng.uniform(0, hi - lo)}
    return {
        'schema': 'herscan.profile/1',
        'file': 'Music/Artist %03d/Album %04d/%02d Track %06d.flac' % (i % 997, i // 12, i % 12 + 1, i),
        'format': {'decoder': 'libsndfile', 'container': 'FLAC', 'codec': 'flac', 'sample_rate_hz': 44100,
                   'channels': 2, 'frames': 10000000, 'duration_s': rng.uniform(90, 600), 'bit_depth': 16,
                   'channel_layout': None},
        'tags': {'title': 'Track %d' % i, 'artist': 'Artist %03d' % (i % 997), 'album': 'Album %04d' % (i // 12)},
        'loudness': {'integrated_lufs': lufs, 'range_lu': rng.uniform(1, 20), 'momentary_max_lufs': lufs + 4,
                     'short_term_max_lufs': lufs + 2, 'sample_peak_dbfs': rng.uniform(-6, 0),
                     'true_peak_dbtp': rng.uniform(-6, 1), 'replaygain_db': -18 - lufs},
        'spectral': {name: stats(0, 4000) for name in ('centroid_hz', 'bandwidth_hz', 'rolloff_hz', 'flatness',
                                                       'flux', 'zero_crossing_rate', 'rms')},
        'mfcc': {'mean': [rng.uniform(-50, 50) for _ in range(20)], 'std': [rng.uniform(0, 30) for _ in range(20)]},
        'key': {'tonic': KEYS[tonic], 'mode': 'major' if major else 'minor', 'strength': rng.random(),
                'confidence': rng.random(), 'tuning_cents': 0, 'camelot': '%d%s' % (number, 'B' if major else 'A'),
                'profile': 'herscan'},
        'chroma': {'mean': [rng.random() for _ in range(12)], 'std': [rng.random() for _ in range(12)]},
        'tempo': {'bpm': rng.uniform(60, 180), 'confidence': rng.random(), 'pulse_clarity': rng.random()},
        'analysis': {'version': '0.1.0', 'analysis_rate_hz': 22050, 'n_fft': 2048, 'hop_frames': 512},
    }


def renderer_rss_mb():
    """The resident memory of Chromium's renderer processes (the page's process), in MB."""
    total = 0
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmdline = f.read()
            if b'chrom' not in cmdline or b'--type=renderer' not in cmdline:
                continue
            with open('/proc/%s/status' % pid) as f:
                total += next(int(line.split()[1]) for line in f if line.startswith('VmRSS:'))
        except (OSError, StopIteration):
            continue
    return total / 1024


def measure(herscan, work, n, driver):
    jsonl = os.path.join(work, 'c%d.jsonl' % n)
    rng = random.Random(n)
    with open(jsonl, 'w') as f:
        for i in range(n):
            f.write(json.dumps(record(i, rng)) + '\n')
    page = os.path.join(work, 'c%d.html' % n)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([herscan, 'report', jsonl, '-o', page], check=True, capture_output=True)
    build_s = time.perf_counter() - start
    rss_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the largest child so far
    driver.get('about:blank')
    driver.execute_cdp_cmd('HeapProfiler.collectGarbage', {})
    start = time.perf_counter()
    driver.get('file://' + page)  # returns after the load event: the page's script has run
    wall_s = time.perf_counter() - start
    ready = driver.execute_script('return document.body.dataset.ready')
    assert ready == '1', driver.get_log('browser')
    timing = driver.execute_script(
        "const n = performance.getEntriesByType('navigation')[0];"
        "return {script_ms: herscanReport.loadMs, load_event_ms: n.loadEventEnd, dom_ms: n.domInteractive};")
    driver.execute_cdp_cmd('HeapProfiler.collectGarbage', {})
    rss = renderer_rss_mb()
    metrics = {m['name']: m['value'] for m in driver.execute_cdp_cmd('Performance.getMetrics', {})['metrics']}
    ops = driver.execute_script("""
        const t = () => performance.now();
        let a = t(); document.querySelector('#table-head span[data-column="bpm"]').click(); const sort = t() - a;
        a = t(); const c = herscanReport.sectorCenter('8A'), w = document.getElementById('wheel');
        const r = w.getBoundingClientRect();
        w.dispatchEvent(new MouseEvent('click', {clientX: r.left + c.x, clientY: r.top + c.y, bubbles: true}));
        const filter = t() - a; const shown = document.getElementById('count').textContent;
        a = t(); document.getElementById('clear').click(); const clear = t() - a;
        const v = document.getElementById('viewport'); a = t(); v.scrollTop = v.scrollHeight;
        v.dispatchEvent(new Event('scroll')); const scroll = t() - a;
        return {sort, filter, clear, scroll, shown, rows: document.querySelectorAll('#rows .row').length};""")
    return {
        'records': n,
        'jsonl_mb': os.path.getsize(jsonl) / 1e6,
        'report_s': build_s,
        'report_max_rss_mb': max(rss_kb, before) / 1024,
        'page_mb': os.path.getsize(page) / 1e6,
        'load_wall_s': wall_s,
        'load_event_ms': timing['load_event_ms'],
        'script_ms': timing['script_ms'],
        'js_heap_mb': metrics['JSHeapUsedSize'] / 1e6,
        'renderer_rss_mb': rss,
        'dom_nodes': int(metrics['Nodes']),
        'sort_ms': ops['sort'], 'wheel_filter_ms': ops['filter'], 'clear_ms': ops['clear'],
        'scroll_ms': ops['scroll'], 'rows_in_dom': ops['rows'], 'after_filter': ops['shown'],
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('herscan')
    p.add_argument('--records', default='10,1000,50000')
    p.add_argument('--work')
    args = p.parse_args()
    work = args.work or tempfile.mkdtemp(prefix='herscan-report-load-')
    os.makedirs(work, exist_ok=True)
    options = webdriver.ChromeOptions()
    for a in ('--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
              '--window-size=1400,1000', '--force-device-scale-factor=1'):
        options.add_argument(a)
    options.binary_location = shutil.which('chromium') or '/usr/bin/chromium'
    driver = webdriver.Chrome(service=Service(shutil.which('chromedriver') or '/usr/bin/chromedriver'),
                              options=options)
    driver.execute_cdp_cmd('Performance.enable', {})
    print('Chromium', driver.capabilities.get('browserVersion'), file=sys.stderr)
    try:
        rows = [measure(os.path.abspath(args.herscan), work, int(n), driver) for n in args.records.split(',')]
    finally:
        driver.quit()
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print('| records | JSONL MB | `herscan report` s | its max RSS MB | page MB | load event ms | '
          'script ms | JS heap MB | renderer RSS MB | DOM nodes | sort ms | wheel filter ms | scroll ms | rows in DOM |')
    print('|' + '---|' * 14)
    for r in rows:
        print('| {records} | {jsonl_mb:.1f} | {report_s:.2f} | {report_max_rss_mb:.0f} | {page_mb:.1f} | '
              '{load_event_ms:.0f} | {script_ms:.0f} | {js_heap_mb:.1f} | {renderer_rss_mb:.0f} | {dom_nodes} | {sort_ms:.0f} | '
              '{wheel_filter_ms:.0f} | {scroll_ms:.1f} | {rows_in_dom} |'.format(**r))


if __name__ == '__main__':
    main()
