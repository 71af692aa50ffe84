"""Write a model shipped with the package: the EMA weights of a `jitsr-train` checkpoint in half precision, with the
record of the run that trained it (its command, configuration, steps, training time, machine and training log).

    python tools/ship_weights.py --checkpoint RUN/checkpoint.pt --name edsr-baseline \
        --command "jitsr-train --model edsr-baseline ..."

`--name` is a key of `jitsr.models.SHIPPED`; the file goes where `load_model(name)` reads it (`--out` to write it
elsewhere). A JiT-SR model is written by `JiTSR.save` (`jitsr-model-1`), a baseline by `save_weights`
(`jitsr-weights-1`). The training log (`metrics.jsonl` beside the checkpoint) is copied to `--log-dir/<name>.jsonl`.
Refuses a file over `--max-mb`. Measure the shipped file afterwards with `jitsr-eval --model NAME`.
"""
from __future__ import annotations
import argparse, datetime, json, shutil, sys
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from jitsr.checkpoint import load_checkpoint
from jitsr.core import JiTSR
from jitsr.data import environment
from jitsr.models import SHIPPED, load_model, save_weights, shipped_path


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', required=True, type=Path, help='a jitsr-train checkpoint')
    ap.add_argument('--name', required=True, choices=list(SHIPPED))
    ap.add_argument('--command', required=True, help='the jitsr-train command that wrote the checkpoint')
    ap.add_argument('--out', type=Path, default=None, help='default: the shipped file of --name')
    ap.add_argument('--log-dir', type=Path, default=ROOT / 'results' / 'shipped')
    ap.add_argument('--max-mb', type=float, default=16.0)
    a = ap.parse_args(argv)
    sd = load_checkpoint(a.checkpoint, formats='jitsr-train-1')
    log = a.checkpoint.parent / 'metrics.jsonl'
    recs = [json.loads(l) for l in log.read_text().splitlines() if l.strip()] if log.exists() else []
    model = load_model(a.checkpoint)
    record = {'command': a.command, 'train_config': sd['config'], 'steps': sd['step'], 'train_seconds': round(sd['elapsed'], 1),
              'environment': environment('cpu'), 'last_training_record': next((r for r in reversed(recs) if 'loss' in r), None),
              'training_log': f'results/shipped/{a.name}.jsonl', 'weights': 'EMA, stored as float16',
              'shipped': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}
    out = a.out or shipped_path(a.name)
    if isinstance(model, JiTSR): path = model.save(out, dtype=torch.float16, record=record)
    else: path = save_weights(model, sd['config']['model'], out, sd['config'].get('model_kwargs', {}), torch.float16, record)
    if log.exists():
        a.log_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, a.log_dir / f'{a.name}.jsonl')
    mb = Path(path).stat().st_size / 2 ** 20
    print(f"{path}: {mb:.2f} MiB")
    if mb > a.max_mb: raise SystemExit(f"{path} is {mb:.1f} MiB, over the {a.max_mb} MiB limit")


if __name__ == '__main__':
    main()
