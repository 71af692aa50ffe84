"""Which change to the JiT-SR recipe buys how much? An experiment on validation crops, not a test.

    python tools/ablation.py --steps 300            # every row: about 25 min on 2 CPU cores
    python tools/ablation.py --steps 20 --rows A B --out /tmp/abl   # a quick look

Each row trains one model with `jitsr-train` (the project's training command) on the bundled training photos plus
the ImageNet sample (`--data`), with the same seed, batch, crop rule and number of steps, then measures one network
call at t = 0 on the validation crops: the centre 96×96 HR crop of every image that `jitsr-train` holds out of those
folders (its hash split, `--val-frac 0.1`). No evaluation set (Set5, Set14, the bundled test photos) is looked at.
The rows change one thing at a time, from the recipe of the model shipped before (row A) to the shipped recipe; the
EDSR-baseline row, trained the same way, is the reference of the gap closure
G = (PSNR - PSNR_bicubic) / (PSNR_EDSR-baseline - PSNR_bicubic).
Writes `results.json` (machine, torch, seed, steps, every row's options, metrics and training time, this command) and
each row's `metrics.jsonl` to `--out` (default `results/ablation`); checkpoints stay in `--work`."""
from __future__ import annotations
import argparse, datetime, json, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = [ROOT / 'data' / 'photos' / 'train', ROOT.parent / 'shared' / 'data' / 'imagenet-sample']

# one change per row: A to D each add one change to the row before; F, G and H each add one to C
JIT = 'jitsr-T/4-concat'
ROWS = {
    'A': ('the recipe shipped before (sin-cos positions)', JIT, {}, {}),
    'B': ('positions through RoPE and the locality prior only', JIT, {'abs_pos': False}, {}),
    'C': ('+ zeros instead of the noise at t = 0', JIT, {'abs_pos': False, 'mask_t0': True}, {}),
    'D': ('+ a convolutional head at HR resolution (32 channels)', JIT, {'abs_pos': False, 'mask_t0': True, 'head': 32}, {}),
    'E': ('EDSR-baseline (the reference)', 'edsr-baseline', {'bicubic_skip': True}, {'hr_size': 96}),
    'F': ('C + 64-px training crops (256 tokens)', JIT, {'abs_pos': False, 'mask_t0': True, 'hr_size': 64}, {}),
    'G': ('C + three quarters of the training times at t = 0', JIT, {'abs_pos': False, 'mask_t0': True, 'p_zero': 0.75}, {}),
    'H': ('C + twice the learning rate (1e-3)', JIT, {'abs_pos': False, 'mask_t0': True}, {'learning_rate': 1e-3}),
}
TRAIN = dict(batch_size=16, learning_rate=5e-4, warmup_steps=20, schedule='cosine', seed=0)


def val_crops(folders, size: int, out: Path) -> list[Path]:
    "The centre `size`×`size` crops of the images `jitsr-train` holds out of `folders`, written as PNGs to `out`."
    from jitsr.data import split_folder
    from jitsr.images import save_image
    from jitsr.reproduce import centre_crops
    out.mkdir(parents=True, exist_ok=True)
    files = [f for d in folders for f in split_folder(d)[1]]
    paths = []
    for f, crop in zip(files, centre_crops(files, size)):
        if min(crop.shape[-2:]) < size: continue
        paths.append(save_image(crop, out / f"{f.stem}.png"))
    return paths


def train(row: str, steps: int, work: Path, data) -> tuple[Path, float]:
    "Train `row` with `jitsr-train`; its checkpoint and the training seconds."
    _, model, kwargs, extra = ROWS[row]
    cfg = {**TRAIN, **extra}
    if model == 'edsr-baseline': cfg['learning_rate'] = 4e-4            # the cpu preset's EDSR-baseline rate
    cmd = ['jitsr-train']
    cmd += ['--model', model, '--model-kwargs', json.dumps(kwargs), '--steps', str(steps), '--out', str(work / row),
            '--data', *map(str, data), '--cache', '--no-progress', '--eval-every', '0', '--max-val-images', '1',
            '--ckpt-every', str(steps), '--log-every', '50']
    for k, v in cfg.items(): cmd += [f"--{k.replace('_', '-')}", str(v)]
    shutil.rmtree(work / row, ignore_errors=True)                       # every row starts from scratch
    t0 = time.time()
    subprocess.run(cmd, check=True)
    return work / row / 'checkpoint.pt', time.time() - t0


def noise_check(a, crops, record: dict, res_path: Path):
    "For each row of `a.noise_check`: Y-PSNR of one call on each whole crop (seed 0) and of the mean of 4 seeds."
    import torch
    from jitsr.metrics import evaluate
    from jitsr.models import load_model
    out = record.setdefault('noise_check', {})
    for row in a.noise_check:
        m = load_model(a.work / row / 'checkpoint.pt')
        one = lambda lr: m.sample(lr, seed=[0] * lr.shape[0]).clamp(0, 1)
        mean4 = lambda lr: torch.stack([m.sample(lr, seed=[s] * lr.shape[0]) for s in range(4)]).mean(0).clamp(0, 1)
        out[row] = {'one_call_seed0': evaluate(one, crops, progress=False)['psnr_y'],
                    'mean_of_4_seeds': evaluate(mean4, crops, progress=False)['psnr_y'],
                    'command': 'python tools/ablation.py ' + ' '.join(sys.argv[1:])}
        print(row, out[row], flush=True)
    res_path.write_text(json.dumps(record, indent=1) + '\n')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--steps', type=int, default=400)
    ap.add_argument('--rows', nargs='+', default=list(ROWS), choices=list(ROWS))
    ap.add_argument('--crop', type=int, default=96, help='HR side of the validation crops')
    ap.add_argument('--out', type=Path, default=ROOT / 'results' / 'ablation')
    ap.add_argument('--work', type=Path, default=Path(tempfile.gettempdir()) / 'jitsr-ablation')
    ap.add_argument('--noise-check', nargs='*', default=None, metavar='ROW',
                    help='instead of training: evaluate the trained ROWs (in --work) on the whole crops, one call with '
                         'seed 0 and the mean of four seeds, to see how much of a row\'s result is noise')
    a = ap.parse_args(argv)
    import torch
    from jitsr.data import environment
    from jitsr.metrics import evaluate
    from jitsr.models import upscaler
    a.out.mkdir(parents=True, exist_ok=True)
    crops = val_crops(DATA, a.crop, a.work / 'val-crops')
    res_path = a.out / 'results.json'
    record = json.loads(res_path.read_text()) if res_path.exists() else {}
    if a.noise_check is not None: return noise_check(a, crops, record, res_path)
    record.update({'command': ('python tools/ablation.py ' + ' '.join(argv if argv is not None else sys.argv[1:])).strip(),
                   'environment': environment(), 'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
                   'steps': a.steps, 'train': TRAIN, 'data': [str(d.relative_to(ROOT.parent)) for d in DATA],
                   'val_crops': len(crops), 'crop': a.crop})
    rows = record.setdefault('rows', {})
    bic = evaluate(upscaler('bicubic'), crops, progress=False)
    rows['bicubic'] = {'label': 'bicubic', 'psnr_y': bic['psnr_y'], 'ssim_y': bic['ssim_y']}
    for row in a.rows:
        ckpt, seconds = train(row, a.steps, a.work, DATA)
        (a.out / f'metrics_{row}.jsonl').write_text((a.work / row / 'metrics.jsonl').read_text())
        res = evaluate(upscaler(str(ckpt)), crops, progress=False)
        label, model, kwargs, extra = ROWS[row]
        rows[row] = {'label': label, 'command': record['command'], 'model': model, 'model_kwargs': kwargs, **extra, 'train_s': round(seconds, 1),
                     'psnr_y': res['psnr_y'], 'ssim_y': res['ssim_y']}
        print(f"{row} {label}: {res['psnr_y']:.3f} dB, {res['ssim_y']:.4f} ({seconds:.0f} s)", flush=True)
        res_path.write_text(json.dumps(record, indent=1) + '\n')
    if 'E' in rows:
        gain = rows['E']['psnr_y'] - rows['bicubic']['psnr_y']
        for r in rows.values(): r['G'] = round((r['psnr_y'] - rows['bicubic']['psnr_y']) / gain, 3)
    res_path.write_text(json.dumps(record, indent=1) + '\n')


if __name__ == '__main__':
    main()
