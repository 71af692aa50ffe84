"""Does a JiT-SR model give the same result whatever the tile it is run on? An experiment, not a test.

    python tools/tile_invariance.py                      # both variants, the cpu preset's concat row, ~10 min on 2 cores
    python tools/tile_invariance.py --steps 100 --images 2 --out /tmp/ti   # a quick look

Trains the `cpu` preset's "JiT-SR T/4 concat" row (the shipped model's recipe: 48-px HR crops, that is 12 LR pixels)
twice from the same seed with the same data and steps: as it is (`abs_pos=True`, sin-cos absolute positions), and
with positions only through RoPE and the locality prior (`abs_pos=False`). Each model then upscales the bundled
held-out photos (`data/photos/test`, never trained on) with tiles of 1, 2, 4 and 8 times its training crop, one
network call at t = 0, and the Y-PSNR / Y-SSIM of each tile size are recorded. Writes `results.json` (with machine,
torch, seeds, steps and this command) and the two training logs to `--out` (default `results/tile-invariance`);
the checkpoints stay in `--work`."""
from __future__ import annotations
import argparse, datetime, json, platform, shutil, sys, tempfile, time
from dataclasses import replace
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=None, help="training steps (default: the preset row's)")
    ap.add_argument('--images', type=int, default=0, help='held-out photos evaluated (0: all)')
    ap.add_argument('--factors', type=int, nargs='+', default=[1, 2, 4, 8], help='tile sizes, in training crops')
    ap.add_argument('--out', type=Path, default=ROOT / 'results' / 'tile-invariance')
    ap.add_argument('--work', type=Path, default=Path(tempfile.gettempdir()) / 'jitsr-tile-invariance',
                    help='where the training runs (checkpoints) go; their logs are copied to --out')
    a = ap.parse_args(argv)
    from jitsr.data import environment, find_data, image_files
    from jitsr.metrics import evaluate
    from jitsr.models import build_model
    from jitsr.presets import PRESETS
    from jitsr.reproduce import centre_crops, gather_data, train_run

    p = PRESETS['cpu']
    row = next(r for r in p.runs if r.label == 'JiT-SR T/4 concat')
    train, heldout, _ = gather_data(p)
    val = centre_crops(heldout[:p.val_images], p.val_crop)
    test = image_files(find_data('photos/test'))
    test = test[:a.images] if a.images else test
    a.out.mkdir(parents=True, exist_ok=True)
    record = {'command': 'python tools/tile_invariance.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
              'environment': environment(), 'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
              'row': row.label, 'steps': a.steps or row.steps, 'seed': 0, 'test_images': [f.name for f in test],
              'variants': {}}
    for name, extra in (('sin-cos absolute positions', {}), ('RoPE and locality only', {'abs_pos': False})):
        spec = replace(row, model_kwargs={**row.model_kwargs, **extra})
        torch.manual_seed(0)
        model = build_model(spec.model, **spec.model_kwargs)
        t0 = time.time()
        run = a.work / ('rope' if extra else 'sincos')
        model, _ = train_run(spec, train, val, run, p.curve_points, steps=a.steps, model=model)
        shutil.copyfile(run / 'metrics.jsonl', a.out / f"metrics_{run.name}.jsonl")
        crop = model.train_size // model.scale                      # LR pixels of a training crop
        rows = []
        for k in a.factors:
            tile = crop * k
            res = evaluate(lambda lr: _upscale(model, lr, tile), test, progress=False)
            rows.append({'factor': k, 'tile_lr_px': tile, 'psnr_y': round(res['psnr_y'], 4), 'ssim_y': round(res['ssim_y'], 5),
                         'seconds': round(res['seconds'], 1)})
            print(f"{name:28s} tile {tile:4d} LR px ({k}x): {res['psnr_y']:.3f} dB / {res['ssim_y']:.4f}", flush=True)
        record['variants'][name] = {'model_kwargs': spec.model_kwargs, 'train_seconds': round(time.time() - t0), 'tiles': rows}
    (a.out / 'results.json').write_text(json.dumps(record, indent=1) + '\n')
    print(f"wrote {a.out / 'results.json'}")


def _upscale(model, lr, tile):
    "`lr` `(1, 3, h, w)` in [0, 1] -> SR `(1, 3, 4h, 4w)` through tiles of `tile` LR pixels (one call at t = 0)."
    from jitsr.images import to_tensor
    return to_tensor(model.upscale(lr[0], tile=tile))[None]


if __name__ == '__main__':
    main()
