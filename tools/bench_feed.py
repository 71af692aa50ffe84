"""How long the host takes to feed one training step of the `gpu` preset: building a batch, and drawing the noise.

    python tools/bench_feed.py --label before          # appends records to benchmarks/feed.json

A batch of the `gpu` preset is 64 HR crops of 256² and their LR images; the noise is a `(t, eps)` pair per crop
(12.6 M normals). On a GPU both must cost far less than a training step (20-50 ms for B/16 on an H100-class GPU),
or the GPU waits. Each record: what was timed, its median seconds per batch, the settings (cache, workers, images),
the machine, device, threads, torch version, date and command. A benchmark, not a test.
"""
from __future__ import annotations
import argparse, json, sys, time, datetime, statistics, shlex
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.data import SRDataset, image_files, find_data
from jitsr.diffusion import FlowMatching
from jitsr.distributed import StepSampler, SeededItems


from jitsr.data import cpu_name


def time_batches(files, cache: bool, workers: int, batch: int, hr: int, n: int) -> dict:
    "Median seconds the training loop waits for each of `n` batches (after one warm-up batch), as the engine loads them."
    t0 = time.perf_counter()
    ds = SeededItems(SRDataset(files, hr_size=hr, train=True, cache=cache), seed=0)
    setup = time.perf_counter() - t0
    dl = torch.utils.data.DataLoader(ds, batch_sampler=StepSampler(len(ds), batch, 0), num_workers=workers,
                                     persistent_workers=workers > 0)
    it, waits = iter(dl), []
    next(it)
    for _ in range(n):
        t = time.perf_counter(); next(it); waits.append(time.perf_counter() - t)
    return {'median_s': round(statistics.median(waits), 4), 'setup_s': round(setup, 2)}


def time_noise(batch: int, hr: int, device: str, n: int) -> dict:
    "Median seconds of `FlowMatching.noisy` on a batch already on `device` (synchronised on CUDA)."
    fm, x = FlowMatching(), torch.zeros(batch, 3, hr, hr, device=device)
    ts = []
    for i in range(n + 1):
        if device == 'cuda': torch.cuda.synchronize()
        t = time.perf_counter(); fm.noisy(x)
        if device == 'cuda': torch.cuda.synchronize()
        ts.append(time.perf_counter() - t)
    return {'median_s': round(statistics.median(ts[1:]), 4)}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--label', required=True, help='what this code state is, e.g. before/after')
    p.add_argument('--data', nargs='+', default=None, help='image folders (default: imagenet-sample, then photos/train)')
    p.add_argument('--batch', type=int, default=64)
    p.add_argument('--hr', type=int, default=256)
    p.add_argument('--n', type=int, default=5)
    p.add_argument('--workers', type=int, nargs='+', default=[0])
    p.add_argument('--cache', choices=['no', 'yes', 'both'], default='both')
    p.add_argument('--max-images', type=int, default=200)
    p.add_argument('--out', default='benchmarks/feed.json')
    a = p.parse_args(argv)
    roots = [Path(d) for d in a.data] if a.data else [d for d in (find_data('imagenet-sample'), find_data('photos/train')) if d]
    files = [f for r in roots for f in image_files(r)][:a.max_images]
    dev = 'cuda' if torch.cuda.is_available() else 'cpu'
    base = {'label': a.label, 'batch': a.batch, 'hr_size': a.hr, 'device': dev,
            'device_name': torch.cuda.get_device_name(0) if dev == 'cuda' else cpu_name(),
            'threads': torch.get_num_threads(), 'torch': str(torch.__version__),
            'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
            'command': 'python tools/bench_feed.py ' + ' '.join(map(shlex.quote, argv if argv is not None else sys.argv[1:]))}
    recs = []
    for cache in {'no': [False], 'yes': [True], 'both': [False, True]}[a.cache]:
        for w in a.workers:
            r = time_batches(files, cache, w, a.batch, a.hr, a.n)
            recs.append({**base, 'what': 'batch', 'images': len(files), 'data': [str(r_) for r_ in roots],
                         'cache': cache, 'num_workers': w, **r})
            print(json.dumps(recs[-1]), flush=True)
    recs.append({**base, 'what': 'noise', **time_noise(a.batch, a.hr, dev, a.n)})
    print(json.dumps(recs[-1]), flush=True)
    out = Path(a.out)
    old = json.loads(out.read_text()) if out.exists() else []
    out.write_text(json.dumps(old + recs, indent=1) + '\n')


if __name__ == '__main__':
    main()
