"""Short probes of a recipe change for one JiT-SR row of the `cpu` preset, judged on its validation crops only.

    python tools/probe_token_recipe.py 'tok_lr2={"run": "JiT-SR T/4 token", "learning_rate": 2e-4}' \
        'rope_pz1={"run": "JiT-SR T/4 token-rope", "model_kwargs": {"p_zero": 1.0}}' \
        'rope_tie={"run": "JiT-SR T/4 token-rope", "tie_qk": true}' \
        'rope_no_local={"run": "JiT-SR T/4 token-rope", "model_kwargs": {"local_slope": 0.0}}'

Each probe trains the named row of `PRESETS['cpu']` with the given overrides (RunSpec fields such as `learning_rate`,
`batch_size`, `warmup_steps`; `model_kwargs`, e.g. the backbone options `local_slope` and `context_reads_image`; and
`tie_qk`: start every key projection equal to its query projection, a locality prior for the schemes whose LR tokens
share the HR patches' RoPE positions; `open_gates`: start the adaLN gates of the sub-layers that read LR tokens at 1) for the row's steps, validating on the preset's held-out validation crops
(never on the test sets), and appends a record to `results/token-recipe-probes/probes.jsonl`. The rows start from
the preset as it is now (the first twelve records were made with its first recipe: batch 16, 50 warm-up steps,
plain JiT; their `batch_size`/`warmup_steps` fields were added afterwards from those settings and their labels).
The committed records trained for `minutes` (2.5) and name the learning rate `lr`; a probe now trains for the row's
`steps` and records `steps` and `learning_rate`.
"""
from __future__ import annotations
import sys, json, time, platform, datetime
from dataclasses import replace
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parents[1]


@torch.no_grad()
def tie_qk(m):
    "Keys start equal to queries in the attention that reads LR tokens (joint attention, or the cross-attention)."
    for blk in m.net.blocks:
        if m.cfg.scheme == 'cross' and blk.cross is not None:
            D = blk.cross.q.weight.shape[0]
            blk.cross.kv.weight[:D] = blk.cross.q.weight; blk.cross.kv.bias[:D] = blk.cross.q.bias
        elif m.cfg.scheme in ('token', 'token-rope'):
            D = blk.attn.proj.weight.shape[0]
            blk.attn.qkv.weight[D:2 * D] = blk.attn.qkv.weight[:D]; blk.attn.qkv.bias[D:2 * D] = blk.attn.qkv.bias[:D]
    return m


@torch.no_grad()
def open_gates(m):
    """adaLN-Zero starts every gate at 0, so LR tokens cannot reach the HR stream before the zero-initialised output
    layer has learnt something from it (a saddle); start the gates of the sub-layers that read LR tokens at 1 instead."""
    D = m.net.blocks[0].attn.proj.weight.shape[0]
    for i, blk in enumerate(m.net.blocks):
        if m.cfg.scheme == 'cross' and blk.cross is not None: blk.ada_c.bias[2 * D:3 * D] = 1.0
        elif m.cfg.scheme in ('token', 'token-rope') and i >= m.net.cfg.in_context_start: blk.ada.bias[2 * D:3 * D] = 1.0
    return m


def main(argv):
    from jitsr.models import build_model
    from jitsr.presets import PRESETS
    from jitsr.reproduce import gather_data, train_run, centre_crops
    from jitsr.metrics import evaluate
    from jitsr.data import bicubic_up
    p = PRESETS['cpu']
    train, heldout, _ = gather_data(p)
    work = Path('/tmp/jitsr-probes'); work.mkdir(exist_ok=True)
    val = centre_crops(heldout[:p.val_images], p.val_crop)
    bic = round(evaluate(lambda lr: bicubic_up(lr, 4), val, progress=False)['psnr_y'], 4)
    out = ROOT / 'results' / 'token-recipe-probes'; out.mkdir(parents=True, exist_ok=True)
    for arg in argv:
        label, js = arg.split('=', 1); kw = json.loads(js)
        run, tie, gates = kw.pop('run'), kw.pop('tie_qk', False), kw.pop('open_gates', False)
        base = next(r for r in p.runs if r.label == run)
        spec = replace(base, model_kwargs={**base.model_kwargs, **kw.pop('model_kwargs', {})}, **kw)
        torch.manual_seed(0)                             # train_run's seed: the same initial weights as the preset's row
        model = build_model(spec.model, **spec.model_kwargs)
        if tie: tie_qk(model)
        if gates: open_gates(model)
        t0 = time.time()
        _, recs = train_run(spec, train, val, work / label, p.curve_points, model=model)
        rec = {'label': label, 'run': run, 'tie_qk': tie, 'open_gates': gates, 'learning_rate': spec.learning_rate,
               'batch_size': spec.batch_size, 'warmup_steps': spec.warmup_steps, 'model_kwargs': spec.model_kwargs, 'steps': spec.steps,
               'val_bicubic_psnr_y': bic, 'val': [{k: r[k] for k in ('step', 'elapsed_s', 'psnr_y')} for r in recs if 'psnr_y' in r],
               'wall_s': round(time.time() - t0), 'threads': torch.get_num_threads(), 'machine': platform.machine(),
               'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')}
        with open(out / 'probes.jsonl', 'a') as f: f.write(json.dumps(rec) + '\n')
        print(label, 'final', rec['val'][-1]['psnr_y'], 'bicubic', bic, flush=True)


if __name__ == '__main__':
    main(sys.argv[1:])
