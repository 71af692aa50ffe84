"""Benchmark one training step (model.loss, backward, AdamW) of SR models and append the results to a JSON file.

    python tools/bench_sr_step.py                      # the CPU set quoted in notebooks 05 and 07

Each record: model, overrides, memory format, batch, crop size, images/s, device, threads, torch, date, command.
A benchmark, not a test.
"""
from __future__ import annotations
import argparse, json, sys, time, datetime
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.models import build_model

JIT_KW = {'hr_size': 48, 'p_zero': 0.5, 'bottleneck': 64}
CASES = [('edsr-baseline', {}, 96, False), ('edsr-baseline', {}, 96, True)] + \
        [(f'jitsr-T/4-{s}', JIT_KW, 48, False) for s in ('concat', 'residual', 'token', 'token-rope', 'cross')]


from jitsr.data import cpu_name


def time_step(name, kw, hr_size, channels_last, batch, steps, warmup):
    torch.manual_seed(0)
    m = build_model(name, **kw)
    if channels_last: m = m.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(m.parameters(), 2e-4)
    hr, lr = torch.rand(batch, 3, hr_size, hr_size), torch.rand(batch, 3, hr_size // 4, hr_size // 4)
    if channels_last: lr = lr.contiguous(memory_format=torch.channels_last)
    for i in range(warmup + steps):
        if i == warmup: t0 = time.perf_counter()
        loss = m.loss(hr, lr); opt.zero_grad(); loss.backward(); opt.step()
    return (time.perf_counter() - t0) / steps


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--batch', type=int, default=16); ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=3)
    ap.add_argument('--out', default=str(Path(__file__).resolve().parents[1] / 'benchmarks' / 'sr_train_step.json'))
    a = ap.parse_args(argv)
    out = Path(a.out); recs = json.loads(out.read_text()) if out.exists() else []
    for name, kw, hr_size, cl in CASES:
        dt = time_step(name, kw, hr_size, cl, a.batch, a.steps, a.warmup)
        rec = dict(date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'), model=name,
                   overrides=kw, channels_last=cl, batch=a.batch, hr_size=hr_size, ms_per_step=round(1000 * dt, 1),
                   images_per_s=round(a.batch / dt, 2), device='cpu', device_name=cpu_name(), threads=torch.get_num_threads(),
                   torch=str(torch.__version__), steps_timed=a.steps,
                   command=' '.join(['python', 'tools/bench_sr_step.py'] + (argv if argv is not None else sys.argv[1:])))
        recs.append(rec); print(json.dumps(rec))
    out.parent.mkdir(parents=True, exist_ok=True); out.write_text(json.dumps(recs, indent=1) + '\n')


if __name__ == '__main__':
    main()
