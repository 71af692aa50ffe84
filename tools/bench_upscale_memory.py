"""Peak memory and speed of `jitsr-upscale` on a 12-megapixel photo (the design bounds memory to the 8-bit output plus
one strip of tiles).

    python tools/bench_upscale_memory.py --out benchmarks/upscale_memory.json

Every measurement is the real console script `jitsr-upscale IN OUT --model C` in a fresh process; its peak
resident set size (ru_maxrss of the child) and wall time are recorded. The input is a 4000x3000 crop of a real photo
(`--photo`, default: Dragonfly_by_Bolly.jpg of the shared data, else a bundled photo enlarged). Two models:

- `tiny`: a 2-block JiT-SR, 48 wide, with the shipped model's options (same tile, overlap, batch and heads, so the same
  tiles, strips, buffers and attention scores per head) and a fraction of its parameters: the whole 4000x3000 photo, start to written PNG, in minutes;
- `shipped`: the shipped model on the first `--rows` rows of tiles (a 4000-pixel-wide strip), which gives its speed in
  tiles per second; `--full` also runs it on the whole photo (about 25 minutes on 2 CPU cores).
"""
from __future__ import annotations
import argparse, json, sys, os, subprocess, platform, datetime, time, tempfile
from pathlib import Path
from jitsr.data import cpu_name as _cpu_name

ROOT = Path(__file__).resolve().parents[1]
SHARED_PHOTO = ROOT.parent / 'shared' / 'data' / 'photos' / 'Dragonfly_by_Bolly.jpg'


CHILD = ("import sys, json, resource; from jitsr.cli import upscale_main; upscale_main(sys.argv[1:]); "
         "print(json.dumps({'peak_rss_kib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))")


def cli(inp: Path, out: Path, checkpoint: Path | None) -> dict:
    "Run `jitsr-upscale` in a fresh process: wall seconds and that process's own peak RSS."
    cmd = [sys.executable, '-c', CHILD, str(inp), str(out)] + (['--model', str(checkpoint)] if checkpoint else [])
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if r.returncode: raise SystemExit(r.stderr[-2000:])
    peak = json.loads(r.stdout.strip().splitlines()[-1])['peak_rss_kib']
    return {'seconds': round(secs, 1), 'peak_rss_mib': round(peak / 1024, 1)}


def tiles_of(model, w: int, h: int) -> int:
    "The number of tiles `model.upscale` cuts a `w`×`h` LR image into (its default tile and overlap)."
    from jitsr.tiling import TileGrid
    return TileGrid.cover(h, w, model.default_tile, model.default_overlap).n_tiles


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--size', default='4000x3000')
    ap.add_argument('--photo', default=str(SHARED_PHOTO))
    ap.add_argument('--rows', type=int, default=4, help='rows of tiles for the shipped model')
    ap.add_argument('--full', action='store_true', help='also the shipped model on the whole photo')
    ap.add_argument('--out', default=str(ROOT / 'benchmarks' / 'upscale_memory.json'))
    a = ap.parse_args(argv)
    import torch
    from PIL import Image
    from jitsr.core import JiTSR
    from jitsr.data import find_data
    from jitsr.images import load_image
    w, h = map(int, a.size.lower().split('x'))
    tmp = Path(tempfile.mkdtemp())
    if Path(a.photo).is_file() and min(Image.open(a.photo).size) >= min(w, h) and max(Image.open(a.photo).size) >= max(w, h):
        src, origin = load_image(a.photo), Path(a.photo).name
        W0, H0 = src.size
        src = src.crop(((W0 - w) // 2, (H0 - h) // 2, (W0 - w) // 2 + w, (H0 - h) // 2 + h))
    else:
        f = sorted((find_data('photos') / 'test').glob('*.png'))[0]
        src, origin = load_image(f).resize((w, h), Image.BICUBIC), f'{f.name}, enlarged'
    inp = tmp / 'in.png'; src.save(inp)
    shipped = JiTSR.load()
    tile = shipped.default_tile
    stride = tile - (tile // 4 if shipped.default_overlap is None else shipped.default_overlap)
    strip_h = a.rows * stride + (tile - stride)
    strip = tmp / 'strip.png'; src.crop((0, 0, w, strip_h)).save(strip)
    torch.manual_seed(0)
    c = shipped.cfg                       # the shipped options (tiling, positions, head), at a tiny width and depth
    tiny = JiTSR(c.arch, c.scheme, c.scale, c.hr_size, target=c.target, head=c.head,
                 jit={**c.jit, 'width': 48, 'depth': 2, 'bottleneck': 8}).eval()
    assert (tiny.default_tile, tiny.default_overlap) == (shipped.default_tile, shipped.default_overlap)
    tiny.save(tmp / 'tiny.pt')
    runs = [('shipped', 'shipped model, first rows of tiles', strip, None, (w, strip_h)),
            ('tiny', 'tiny model, same tiling, whole photo', inp, tmp / 'tiny.pt', (w, h))]
    if a.full: runs.append(('shipped', 'shipped model, whole photo', inp, None, (w, h)))
    recs = []
    for which, what, path, ckpt, (iw, ih) in runs:
        r = cli(path, tmp / 'out.png', ckpt)
        n = tiles_of(shipped, iw, ih)
        recs.append({'model': which, 'what': what, 'input': [iw, ih], 'output': [4 * iw, 4 * ih], 'tiles': n, **r,
                     'tiles_per_s': round(n / r['seconds'], 1)})
        print(recs[-1], flush=True)
    ship = next(r for r in recs if r['model'] == 'shipped')
    n_full = tiles_of(shipped, w, h)
    res = {'photo': origin, 'size': [w, h], 'records': recs, 'output_bytes_8bit': 16 * w * h * 3,
           'tiles_whole_photo': n_full, 'shipped_whole_photo_minutes_at_strip_speed': round(n_full / ship['tiles_per_s'] / 60, 1),
           'torch': str(torch.__version__), 'threads': torch.get_num_threads(), 'cpu_count': os.cpu_count(),
           'machine': platform.machine(), 'processor': _cpu_name(),
           'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
           'command': ' '.join(['python', 'tools/bench_upscale_memory.py'] + (argv if argv is not None else sys.argv[1:]))}
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
    print(a.out)



if __name__ == '__main__':
    main()
