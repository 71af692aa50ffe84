"""How fast is each shipped model through `jitsr-upscale`? A benchmark, not a test.

    python tools/bench_speed.py                    # writes benchmarks/upscale_speed.json (about 10 min on 2 CPU cores)
    python tools/bench_speed.py --photos 1 --out /tmp/speed.json   # a quick look

The same photos, the same machine, one run: each model upscales every photo with the real console script
(`jitsr-upscale IN OUT --model M`) in a fresh process. Recorded per model: the wall time and the process's peak
resident set size (ru_maxrss), the start-up time (the same command on an 8×8 image: Python, torch and the model's
weights), and from those the seconds per input megapixel, start-up excluded. FLOPs per output pixel come from
torch's FLOP counter (`torch.utils.flop_counter.FlopCounterMode`: matrix products, convolutions and attention) run
over `model.upscale` of the first photo, so they include what tiling costs (overlapping tiles are computed twice).
The photos are the bundled held-out photos (`data/photos/test`) halved with a box filter (`Image.reduce(2)`), as
inputs a user would upscale. JiT-SR's Y-PSNR on Set5 is measured in bf16 autocast
against float32 (`--bf16-row` also times it; `--jitsr-tiles` adds rows with larger tiles); and its `upscale` of the first photo is timed in-process as it is (`torch.no_grad`) and under `torch.inference_mode`.
"""
from __future__ import annotations
import argparse, datetime, json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ('bicubic', 'edsr-baseline', 'swinir-light', 'jitsr')


def run_cli(args: list) -> dict:
    "`jitsr-upscale *args` in a fresh process: wall seconds and that process's peak RSS (MiB)."
    exe = shutil.which('jitsr-upscale') or sys.exit('jitsr-upscale is not on the PATH: pip install -e .')
    with tempfile.TemporaryFile('w+') as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen([exe, *map(str, args)], stdout=subprocess.DEVNULL, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        secs = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status):
            err.seek(0); sys.exit(f"jitsr-upscale {' '.join(map(str, args))} failed: {err.read()[-1000:]}")
    return {'seconds': secs, 'peak_rss_mib': usage.ru_maxrss / 1024}


def flops_per_output_pixel(name: str, photo: Path, extra: list = ()) -> float:
    "FLOPs of `load_model(name).upscale(photo)` (torch's FLOP counter) per output pixel; `extra` may hold `--tile T`."
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from PIL import Image
    from jitsr.models import load_model
    model = load_model(name)
    with FlopCounterMode(display=False) as counter:
        sr = model.upscale(photo, tile=int(extra[extra.index('--tile') + 1]) if '--tile' in extra else None)
    return counter.get_total_flops() / (sr.width * sr.height)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--photos', type=int, default=2, help='how many of the bundled test photos (sorted by name)')
    ap.add_argument('--models', nargs='+', default=list(MODELS))
    ap.add_argument('--no-bf16', action='store_true', help="skip the bf16 autocast Y-PSNR check of JiT-SR on Set5")
    ap.add_argument('--jitsr-tiles', type=int, nargs='*', default=[], help='more JiT-SR rows with these LR tiles (slow: attention grows with the tile)')
    ap.add_argument('--bf16-row', action='store_true', help='also time JiT-SR in bf16 autocast (slow on CPUs without bf16 instructions)')
    ap.add_argument('--out', type=Path, default=ROOT / 'benchmarks' / 'upscale_speed.json')
    a = ap.parse_args(argv)
    import torch
    from PIL import Image
    from jitsr.data import environment, find_data, image_files
    work = Path(tempfile.mkdtemp(prefix='jitsr-speed-'))
    photos = []
    for f in image_files(find_data('photos/test'))[:a.photos]:
        with Image.open(f) as im: small = im.convert('RGB').reduce(2)
        small.save(work / f'{f.stem}.png'); photos.append(work / f'{f.stem}.png')
    Image.new('RGB', (8, 8), 'grey').save(work / 'tiny.png')
    mpx = sum(Image.open(p).width * Image.open(p).height for p in photos) / 1e6
    rows = []
    variants = [(m, []) for m in a.models]
    if 'jitsr' in a.models:                       # larger tiles (a quarter of the tile overlapping), and bf16
        variants += [('jitsr', ['--tile', str(t)]) for t in a.jitsr_tiles] + ([('jitsr', ['--bf16'])] if a.bf16_row else [])
    for name, extra in variants:
        startup = run_cli([work / 'tiny.png', work / 'tiny-out.png', '--model', name, '--device', 'cpu', *extra])
        runs = [run_cli([p, work / f'out-{p.stem}.png', '--model', name, '--device', 'cpu', *extra]) for p in photos]
        seconds = sum(r['seconds'] for r in runs)
        flops = flops_per_output_pixel(name, photos[0], extra) if '--bf16' not in extra else None
        rows.append({'model': name + (' ' + ' '.join(extra) if extra else ''), 'command': f"jitsr-upscale IN OUT --model {name} {' '.join(extra)}".strip(),
                     'seconds': round(seconds, 2), 'startup_s': round(startup['seconds'], 2),
                     's_per_input_mpx': round((seconds - len(runs) * startup['seconds']) / mpx, 2),
                     'peak_rss_mib': round(max(r['peak_rss_mib'] for r in runs), 1),
                     'flops_per_output_px': None if flops is None else round(flops)})
        print(rows[-1], flush=True)
    by = {r['model']: r for r in rows}
    ratios = {}
    if 'jitsr' in by and 'edsr-baseline' in by:
        ratios = {'time_jitsr_over_edsr_baseline': round(by['jitsr']['s_per_input_mpx'] / by['edsr-baseline']['s_per_input_mpx'], 2),
                  'flops_jitsr_over_edsr_baseline': round(by['jitsr']['flops_per_output_px'] / by['edsr-baseline']['flops_per_output_px'], 2)}
    bf16 = None
    if 'jitsr' in a.models and not a.no_bf16:
        from jitsr.metrics import evaluate
        from jitsr.models import upscaler
        set5 = image_files(find_data('testsets/Set5'))
        full = evaluate(upscaler('jitsr'), set5, progress=False)['psnr_y']
        half = evaluate(upscaler('jitsr', bf16=True), set5, progress=False)['psnr_y']
        bf16 = {'set5_psnr_y_fp32': round(full, 4), 'set5_psnr_y_bf16': round(half, 4), 'delta_db': round(half - full, 4)}
    modes = None
    if 'jitsr' in a.models:                       # in-process: `upscale` as it is (no_grad) against inference_mode
        from jitsr.models import load_model
        model, modes = load_model('jitsr'), {}
        model.upscale(photos[0])                   # warm-up: the position tables are made once
        for mode, ctx in (('no_grad', torch.no_grad), ('inference_mode', torch.inference_mode)):
            t0 = time.perf_counter()
            with ctx(): model.upscale(photos[0])
            modes[mode + '_s'] = round(time.perf_counter() - t0, 2)
    record = {'command': ('python tools/bench_speed.py ' + ' '.join(argv if argv is not None else sys.argv[1:])).strip(),
              'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
              'environment': environment('cpu'), 'threads': torch.get_num_threads(),
              'photos': [p.name + f' ({Image.open(p).width}x{Image.open(p).height}, data/photos/test halved)' for p in photos],
              'input_mpx': round(mpx, 4), 'rows': rows, 'ratios': ratios, 'bf16': bf16,
              'jitsr_upscale_first_photo_in_process': modes}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(record, indent=1) + '\n')
    print(json.dumps(ratios), bf16)


if __name__ == '__main__':
    main()
