"""Benchmark one JiT training step (forward + backward + AdamW) and append the result to a JSON file.

    python tools/bench_jit.py --arch B/16 --batch 2 --steps 3            # CPU, fp32
    python tools/bench_jit.py --arch B/16 --batch 128 --dtype bf16       # GPU, bf16 autocast (add --compile)

Records images/s, peak memory, model FLOPs per image (counted by torch.utils.flop_counter on the meta device,
cross-checked against the closed form) and, on a GPU with a known peak rate, model FLOPs utilisation (MFU).
A benchmark, not a test: nothing here asserts on time.
"""
from __future__ import annotations
import argparse, json, platform, resource, sys, time, datetime
from pathlib import Path
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.jit import JiT, jit_config, count_params

# dense bf16 tensor-core peaks (vendor data sheets), by a substring of the device name
PEAK_BF16 = {'H100 PCIe': 756e12, 'H100': 989.4e12, 'H200': 989.4e12, 'A100': 312e12}


from jitsr.data import cpu_name


def peak_flops(name: str):
    return next((v for k, v in PEAK_BF16.items() if k in name), None)


def analytic_train_flops(cfg, img_size: int) -> float:
    "3x the forward matmul FLOPs (2 per multiply-add) of one image: weights x tokens, plus QK^T and AV."
    n = (img_size // cfg.patch_size) ** 2
    D, hid = cfg.width, int(cfg.width * cfg.mlp_ratio * 2 / 3)
    per_token_block = 2 * (3 * D * D + D * D + 3 * D * hid)   # qkv, proj, SwiGLU (adaLN acts on c, once per image)
    fwd = cfg.depth * (n * per_token_block + 2 * 2 * n * n * D)
    fwd += 2 * n * (cfg.patch_size ** 2 * cfg.in_chans * cfg.bottleneck + cfg.bottleneck * D + D * cfg.patch_size ** 2 * cfg.out_chans)
    return 3 * fwd


def counted_train_flops(cfg, img_size: int) -> float:
    "FLOPs of forward + backward for one image, counted on the meta device (no memory, no compute)."
    with torch.device('meta'):
        model = JiT(cfg)
        x, t = torch.randn(1, cfg.in_chans, img_size, img_size), torch.rand(1)
    with FlopCounterMode(display=False) as fc:
        F.mse_loss(model(x, t), x).backward()
    return float(fc.get_total_flops())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--arch', default='B/16'); ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--batch', type=int, default=2); ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--warmup', type=int, default=1); ap.add_argument('--dtype', choices=['fp32', 'bf16'], default=None)
    ap.add_argument('--compile', action='store_true'); ap.add_argument('--device', default=None)
    ap.add_argument('--out', default=str(Path(__file__).resolve().parents[1] / 'benchmarks' / 'jit_train_step.json'))
    a = ap.parse_args(argv)
    dev = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    dtype = a.dtype or ('bf16' if dev.type == 'cuda' else 'fp32')
    torch.manual_seed(0)
    if dev.type == 'cuda': torch.backends.cuda.matmul.allow_tf32 = True; torch.backends.cudnn.allow_tf32 = True
    cfg = jit_config(a.arch, img_size=a.size)
    flops_img = counted_train_flops(cfg, a.size)
    model = JiT(cfg).to(dev)
    step_model = torch.compile(model) if a.compile else model
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), weight_decay=0.0, fused=dev.type == 'cuda')
    x = torch.randn(a.batch, 3, a.size, a.size, device=dev); t = torch.rand(a.batch, device=dev)

    def step():
        with torch.autocast(dev.type, dtype=torch.bfloat16, enabled=dtype == 'bf16'):
            loss = F.mse_loss(step_model(x, t).float(), x)
        loss.backward(); opt.step(); opt.zero_grad(set_to_none=True)

    sync = torch.cuda.synchronize if dev.type == 'cuda' else (lambda: None)
    for _ in range(a.warmup): step()
    sync()
    if dev.type == 'cuda': torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    for _ in range(a.steps): step()
    sync(); dt = (time.perf_counter() - t0) / a.steps
    name = torch.cuda.get_device_name(dev) if dev.type == 'cuda' else cpu_name()
    peak = peak_flops(name) if dev.type == 'cuda' and dtype == 'bf16' else None
    achieved = flops_img * a.batch / dt
    rec = dict(
        date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'), arch=a.arch, img_size=a.size,
        params_m=round(count_params(model) / 1e6, 2), batch=a.batch, dtype=dtype, compile=a.compile,
        device=dev.type, device_name=name, threads=torch.get_num_threads(), torch=torch.__version__,
        python=platform.python_version(), steps_timed=a.steps, s_per_step=round(dt, 4),
        images_per_s=round(a.batch / dt, 3), train_gflop_per_image=round(flops_img / 1e9, 2),
        analytic_gflop_per_image=round(analytic_train_flops(cfg, a.size) / 1e9, 2), achieved_tflops=round(achieved / 1e12, 3),
        peak_memory_gib=round((torch.cuda.max_memory_allocated(dev) if dev.type == 'cuda'
                               else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) / 2 ** 30, 2),
        peak_memory_kind='max allocated by torch' if dev.type == 'cuda' else 'process max RSS',
        mfu=round(achieved / peak, 4) if peak else None, peak_tflops_bf16=peak / 1e12 if peak else None,
        command=' '.join(['python', 'tools/bench_jit.py'] + (argv if argv is not None else sys.argv[1:])))
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    recs = json.loads(out.read_text()) if out.exists() else []
    recs.append(rec); out.write_text(json.dumps(recs, indent=1) + '\n')
    print(json.dumps(rec))


if __name__ == '__main__':
    main()
