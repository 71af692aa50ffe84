"""Peak memory of `JiTSR.upscale` on a large photo (the design bounds it to the 8-bit output plus one strip of tiles).

    python tools/bench_upscale_memory.py --size 4000x3000 --out benchmarks/upscale_memory.json

Each measurement runs in a fresh process and reports its peak resident set size (ru_maxrss) and time. Two models:
`--model tiny` (a 2-block JiT-SR with the shipped model's tiling: same buffers and strips, 1/50 of the compute, so the
whole 4000x3000 image runs in minutes) and `--model shipped` for the first `--rows` rows of tiles only (the
network's own activations, a batch of 8 tiles, add to the tiny model's figure by that much).
"""
from __future__ import annotations
import argparse, json, sys, subprocess, platform, datetime, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r'''
import sys, time, resource, json, torch
sys.path.insert(0, {root!r})
from PIL import Image
from jitsr.core import JiTSR
from jitsr.data import find_data, load_image
w, h, which, rows = {w}, {h}, {which!r}, {rows}
torch.manual_seed(0)
src = load_image(sorted((find_data('photos') / 'train').glob('*.png'))[0]).resize((w, h), Image.BICUBIC)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if which == 'tiny': m = JiTSR('T/4', 'concat', hr_size=48, width=32, depth=2, heads=2, bottleneck=8).eval()
else: m = JiTSR.load()
if rows: src = src.crop((0, 0, w, min(h, rows * 9 + 3)))      # the first rows of tiles (stride 9 LR pixels)
t0 = time.perf_counter()
out = m.upscale(src)
path = '/tmp/_bench_upscale.png'; out.save(path)
print(json.dumps({{'seconds': round(time.perf_counter() - t0, 1), 'peak_rss_mib': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                  'rss_after_input_mib': round(base / 1024, 1), 'output': list(out.size)}}))
'''


def run(w, h, which, rows=0):
    code = CHILD.format(root=str(ROOT), w=w, h=h, which=which, rows=rows)
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    if r.returncode: raise SystemExit(r.stderr[-2000:])
    return json.loads(r.stdout.strip().splitlines()[-1])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size', default='4000x3000'); ap.add_argument('--rows', type=int, default=2)
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'upscale_memory.json'))
    a = ap.parse_args(argv)
    w, h = map(int, a.size.lower().split('x'))
    recs = [{'model': 'tiny (same tiling)', 'input': [w, h], **run(w, h, 'tiny')},
            {'model': f'shipped, first {a.rows} rows of tiles', 'input': [w, min(h, a.rows * 9 + 3)], **run(w, h, 'shipped', a.rows)}]
    import torch
    res = {'records': recs, 'output_bytes_8bit': 16 * w * h * 3, 'torch': str(torch.__version__), 'threads': torch.get_num_threads(),
           'machine': platform.machine(), 'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
           'command': ' '.join(['python', 'tools/bench_upscale_memory.py'] + (argv if argv is not None else sys.argv[1:]))}
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
    for r in recs: print(r)
    print(a.out)


if __name__ == '__main__':
    main()
