"""Write the JiT-SR weights shipped with the package: the EMA weights of a jitsr-train checkpoint in half precision,
with the run's configuration, commands and measured results as the file's `record`.

    python tools/ship_weights.py --checkpoint runs/reproduce-cpu/runs/jit-sr-t4-concat/checkpoint.pt \
        --run results/reproduce-cpu --row "JiT-SR T/4 concat" --out jitsr/weights/jitsr-T4-concat.pt

`--run` is a jitsr-reproduce output folder (its results.json; `--row` names the model) or a jitsr-train results
folder (run.json, metrics.jsonl, eval_*.json).
"""
from __future__ import annotations
import argparse, json, sys, datetime
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.core import JiTSR


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', required=True, help='a jitsr-train checkpoint of a JiT-SR model')
    ap.add_argument('--run', required=True, help='the results folder of that run')
    ap.add_argument('--row', default=None, help='the model label in a jitsr-reproduce results.json')
    ap.add_argument('--out', required=True)
    ap.add_argument('--max-mb', type=float, default=16.0)
    a = ap.parse_args(argv)
    run = Path(a.run)
    model = JiTSR.load(a.checkpoint)
    if (run / 'results.json').exists():
        res = json.loads((run / 'results.json').read_text())
        row = next((r for r in res['rows'] if r['model'] == a.row), None)
        if row is None: raise SystemExit(f"no row {a.row!r} in {run / 'results.json'}")
        record = {'source_run': str(run), 'command': res['command'], 'preset': res['preset'], 'date': res['date'],
                  'device': res['device_name'], 'dataset': res['dataset'], 'row': row}
    else:
        recs = [json.loads(l) for l in (run / 'metrics.jsonl').read_text().splitlines() if l.strip()]
        record = {'source_run': str(run), 'run': json.loads((run / 'run.json').read_text()),
                  'last_training_record': [r for r in recs if 'loss' in r][-1],
                  'evaluations': {p.stem: json.loads(p.read_text()) for p in sorted(run.glob('eval_*.json'))}}
    record.update({'weights': 'EMA, stored as float16',
                   'shipped': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')})
    path = model.save(a.out, dtype=torch.float16, record=record)
    mb = Path(path).stat().st_size / 2 ** 20
    print(f"{path}: {mb:.2f} MiB")
    if mb > a.max_mb: raise SystemExit(f"{path} is {mb:.1f} MiB, over the {a.max_mb} MiB limit")


if __name__ == '__main__':
    main()
