"""The quality of every shipped model and bicubic, measured with `jitsr-eval` (one network call at t = 0 for JiT-SR).

    python tools/eval_shipped.py                  # writes results/shipped/quality.json (about 10 min on 2 CPU cores)

Sets: Set5 (`../shared/data/testsets/Set5`) and the ImageNet-sample images that `jitsr-train` held out of training
(`jitsr-eval --split val`: the same hash split the shipped models were trained with). For each set, the gap closure of
every model against the shipped EDSR-baseline: G = (PSNR - PSNR_bicubic) / (PSNR_EDSR-baseline - PSNR_bicubic).
Every number comes from the JSON line `jitsr-eval` prints; the commands are recorded beside them.
"""
from __future__ import annotations
import argparse, datetime, json, shlex, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / 'shared' / 'data'
SETS = {'Set5': ['--data', str(SHARED / 'testsets' / 'Set5')],
        'ImageNet held-out': ['--data', str(SHARED / 'imagenet-sample'), '--split', 'val']}
MODELS = ('bicubic', 'edsr-baseline', 'swinir-light', 'jitsr')


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--models', nargs='+', default=list(MODELS))
    ap.add_argument('--out', type=Path, default=ROOT / 'results' / 'shipped' / 'quality.json')
    a = ap.parse_args(argv)
    from jitsr.data import environment
    rows = []
    for set_name, data in SETS.items():
        for model in a.models:
            cmd = ['jitsr-eval', '--model', model, '--device', 'cpu', *data]
            r = subprocess.run(cmd, capture_output=True, text=True)
            if r.returncode: sys.exit(f"{shlex.join(cmd)} failed: {r.stderr[-1000:]}")
            res = json.loads(r.stdout.strip().splitlines()[-1])
            shown = shlex.join(cmd).replace(str(ROOT.parent) + '/', '../')
            rows.append({'set': set_name, 'model': model, 'command': shown, **res})
            print(f"{set_name:18s} {model:14s} {res['psnr_y']:.3f} dB {res['ssim_y']:.4f} ({res['n_images']} images)", flush=True)
    for set_name in SETS:
        sel = {r['model']: r for r in rows if r['set'] == set_name}
        if 'bicubic' in sel and 'edsr-baseline' in sel:
            gain = sel['edsr-baseline']['psnr_y'] - sel['bicubic']['psnr_y']
            for r in sel.values(): r['G'] = round((r['psnr_y'] - sel['bicubic']['psnr_y']) / gain, 3)
    record = {'command': ('python tools/eval_shipped.py ' + ' '.join(argv if argv is not None else sys.argv[1:])).strip(),
              'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
              'environment': environment('cpu'), 'rows': rows}
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(record, indent=1) + '\n')
    print(a.out)


if __name__ == '__main__':
    main()
