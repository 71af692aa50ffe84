"""Does a JiT-SR model give the same result whatever the tile it is run on? An experiment, not a test.

    python tools/tile_invariance.py --before /tmp/before.pt     # about 10 min on 2 CPU cores
    git show 42f0919:jitsr/weights/jitsr-T4-concat.pt > /tmp/before.pt     # the model shipped before, for --before

Each model upscales held-out images — the centre 384×384 crops of the bundled test photos (`data/photos/test`, never
trained on), so 96×96 LR pixels — with tiles of 1, 2, 4 and 8 times its training crop (at 8 times, one tile is the
whole image), one network call at t = 0, and the Y-PSNR / Y-SSIM of each tile size are recorded. Models: the shipped
JiT-SR (`jitsr`) and, with `--before`, another JiT-SR file (the model shipped before this design: sin-cos absolute
positions and the noise as its input at t = 0). Writes `results.json` (machine, torch, images, this command) to
`--out` (default `results/tile-invariance`)."""
from __future__ import annotations
import argparse, datetime, json, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--before', type=Path, default=None, help='a JiT-SR file to compare with (the model shipped before)')
    ap.add_argument('--before-name', default='shipped before (commit 42f0919)')
    ap.add_argument('--crop', type=int, default=384, help='HR side of the centre crops')
    ap.add_argument('--factors', type=int, nargs='+', default=[1, 2, 4, 8], help='tile sizes, in training crops')
    ap.add_argument('--out', type=Path, default=ROOT / 'results' / 'tile-invariance')
    a = ap.parse_args(argv)
    from jitsr.core import JiTSR
    from jitsr.data import environment, find_data, image_files
    from jitsr.images import to_tensor
    from jitsr.metrics import evaluate
    from jitsr.reproduce import centre_crops

    files = image_files(find_data('photos/test'))
    images = centre_crops(files, a.crop)
    models = {'shipped (jitsr)': JiTSR.load()}
    if a.before: models[a.before_name] = JiTSR.load(a.before)
    record = {'command': ('python tools/tile_invariance.py ' + ' '.join(argv if argv is not None else sys.argv[1:])).strip(),
              'environment': environment('cpu'), 'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
              'images': [f'{f.name} (centre {a.crop}x{a.crop})' for f in files], 'variants': {}}
    for name, model in models.items():
        crop = model.train_size // model.scale                      # LR pixels of a training crop
        rows = []
        for k in a.factors:
            tile = crop * k
            up = lambda lr: to_tensor(model.upscale(lr[0], tile=tile))[None]
            res = evaluate(up, images, progress=False)
            rows.append({'factor': k, 'tile_lr_px': tile, 'psnr_y': round(res['psnr_y'], 4), 'ssim_y': round(res['ssim_y'], 5),
                         'seconds': round(res['seconds'], 1)})
            print(f"{name:32s} tile {tile:4d} LR px ({k}x): {res['psnr_y']:.3f} dB / {res['ssim_y']:.4f}", flush=True)
        psnrs = [r['psnr_y'] for r in rows]
        record['variants'][name] = {'config': {k: v for k, v in vars(model.cfg).items() if k in ('hr_size', 'target', 'jit', 'head', 'mask_t0')},
                                    'size_free': model.size_free, 'spread_db': round(max(psnrs) - min(psnrs), 4), 'tiles': rows}
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / 'results.json').write_text(json.dumps(record, indent=1) + '\n')
    print(f"wrote {a.out / 'results.json'}")


if __name__ == '__main__':
    main()
