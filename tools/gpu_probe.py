"""Measure, in about 100 seconds, what a lent GPU machine does with this package; plan the reproduce run from it.

    python tools/gpu_probe.py --out $OUT/probe.json --budget 100      # on the GPU machine (stage 1 of tools/gpu_run.sh)
    python tools/gpu_probe.py --smoke --out /tmp/probe.json           # CPU, toy sizes, well under a minute: tests this script
    python tools/gpu_probe.py --plan $OUT/probe.json --seconds 400    # print the --steps-scale whose training fits
    python tools/gpu_probe.py --summary $OUT/probe.json               # a markdown digest of probe.json (for SUMMARY.md)

Sub-probes (the ones the plan needs first; run in the order of `PROBES`); each is wrapped so that a failure is recorded, not fatal,
and none starts once `--budget` seconds have passed. probe.json is rewritten after each one, so a run killed by
`timeout` still leaves what it measured:

    env           GPU name, driver, torch/CUDA/cuDNN/Python versions, which optional packages import
    step_split    jitsr-B/16-concat, batch 64, 256 px, bf16, AdamW: time waiting for the DataLoader (SRDataset with
                  cache=True, as the trainer feeds it; 0 workers as the gpu preset has, and min(8, CPUs) workers), time of
                  `model.fm.noisy(x)` on the device, and of the training step (forward, backward, clip, AdamW, EMA,
                  as `jitsr.training.Trainer` does it; synchronised); medians over 10 steps after 3 warm-up
    memory        peak `max_memory_allocated` and step time of B/16 and L/16 (jitsr-L/16-token) at batch 64, 256 px
    preset_steps  the step time of every run of `jitsr.presets.PRESETS['gpu']` with its own model, batch and crop
    sdpa          which SDPA kernel each conditioning scheme's attention can use (flash, efficient, cuDNN, math, one at
                  a time under `sdpa_kernel`) and which one it gets by default, also with the locality prior
    mfu           training FLOPs per step (`FlopCounterMode`) over the measured step time and the GPU's dense bf16 peak
    resume        a tiny Trainer run: 4 steps straight, again (is the device deterministic?), and 2 steps + resume() + 2
    bf16_infer    Y-PSNR of the shipped JiT-SR in fp32 and under bf16 autocast, and how far apart the two outputs are

`--smoke` runs everything on the CPU at toy size (JiT width 32, depth 2, 32-px crops, batch 2), fp32.
Every record carries the device, its name, the torch and CUDA versions, the dtype and its config.
"""
from __future__ import annotations
import argparse, contextlib, datetime, gc, json, math, os, platform, shutil, statistics, subprocess, sys, tempfile, time, warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
import torch

# dense bf16 tensor-core peaks from the vendors' data sheets, matched as substrings of the device name (most specific first)
PEAK_BF16 = [('H100 PCIe', 756e12), ('H100 NVL', 835e12), ('H100', 989.4e12), ('H200', 989.4e12), ('A100', 312e12),
             ('L40S', 362e12)]
TOY_JIT = {'width': 32, 'depth': 2, 'heads': 2, 'bottleneck': 8}     # the same toy size as jitsr.presets.dry_run
TOY_EDSR = {'n_blocks': 1, 'n_feats': 8}
SCHEMES = ('concat', 'token', 'token-rope', 'cross')
# what the plan assumes for a run the probe could not time: seconds per step at batch 64, 256 px (JiT) or batch 16,
# 192 px (EDSR, SwinIR) on an H100-class GPU, and per batch of 64 256-px crops built by the main process; on the slow side
GUESS_STEP = {'B/16': 0.35, 'L/16': 1.0, 'edsr': 0.3, 'swinir': 0.8, 'other': 1.0}
GUESS_DATA_0W = 0.6
FIXED_PER_RUN = 10.0       # seconds a run costs besides its steps: data decoding, build, warm-up, validations, final load


def peak_bf16(name: str):
    return next((v for k, v in PEAK_BF16 if k in name), None)


def now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')


def short(e: BaseException, n: int = 600) -> str:
    "An exception as one short string: its type and the first lines of its message."
    return f"{type(e).__name__}: {' | '.join(str(e).strip().splitlines()[:4])}"[:n]


# ------------------------------------------------------------------------------------------------ the probe's context
class Ctx:
    "Device, sizes and bookkeeping shared by the sub-probes."
    def __init__(self, a):
        self.smoke, self.budget, self.t0 = a.smoke, a.budget, time.perf_counter()
        if a.smoke: torch.set_num_threads(1)              # toy sizes: one thread is fastest, and immune to a busy machine
        self.dev = torch.device('cpu' if a.smoke or not torch.cuda.is_available() else 'cuda')
        self.cuda = self.dev.type == 'cuda'
        self.amp = self.cuda                              # bf16 autocast on CUDA, as the trainer does; fp32 on the CPU
        self.dtype = 'bf16' if self.amp else 'fp32'
        self.hr, self.batch = (32, 2) if a.smoke else (256, 64)
        self.jit_kw = dict(TOY_JIT) if a.smoke else {}
        self.warmup, self.steps = (1, 3) if a.smoke else (3, 10)
        self.workers = min(8, os.cpu_count() or 1)
        self.data = self._data_folder(a.data)
        self.base = {'device': self.dev.type, 'device_name': torch.cuda.get_device_name(0) if self.cuda else cpu_name(),
                     'torch': str(torch.__version__), 'cuda': torch.version.cuda, 'dtype': self.dtype}
        self.step_cache = {}                              # (model, batch, hr) -> a timing record, reused by later probes
        self._datasets = {}

    def elapsed(self) -> float: return time.perf_counter() - self.t0
    def left(self) -> float: return self.budget - self.elapsed()

    def sync(self):
        if self.cuda: torch.cuda.synchronize()

    @staticmethod
    def _data_folder(given):
        "Training images: --data, else the prepared ImageNet crops, else the ImageNet sample, else the bundled photos."
        if given: return Path(given)
        prepared = REPO / 'gpu_data' / 'imagenet256' / 'train'
        if prepared.is_dir(): return prepared
        from jitsr.data import find_data
        return find_data('imagenet-sample') or find_data('photos/train')

    def dataset(self, hr: int):
        "The training set at crop size `hr`, decoded once (`cache=True`, as the gpu preset trains)."
        if hr not in self._datasets:
            from jitsr.data import SRDataset, image_files
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')           # images smaller than the crop are skipped: fine here
                self._datasets[hr] = SRDataset(image_files(self.data), hr_size=hr, train=True, cache=True)
        return self._datasets[hr]

    def build(self, name: str, **kw):
        "A model by `jitsr.models.build_model` name, toy-sized in smoke mode, seeded, on the device."
        from jitsr.models import build_model
        if self.smoke: kw = {**kw, **(TOY_JIT if name.startswith('jitsr-') else TOY_EDSR if name.startswith('edsr') else {})}
        torch.manual_seed(0)
        return build_model(name, **kw).to(self.dev)


def cpu_name() -> str:
    "The CPU's model name (`jitsr.data.cpu_name`; imported here, as every jitsr import of this script is, when used)."
    from jitsr.data import cpu_name as library_cpu_name
    return library_cpu_name()


def free(ctx: Ctx):
    gc.collect()
    if ctx.cuda: torch.cuda.empty_cache()




# ------------------------------------------------------------------------------------------------ timing a training step
def train_step(model, opt, ema, hr, lr, amp: bool, channels_last: bool = False):
    "One step as `Trainer.fit` takes it (one micro-batch): zero_grad, bf16 autocast loss, backward, .item(), clip to 1, AdamW, EMA."
    if channels_last: lr = lr.contiguous(memory_format=torch.channels_last)
    opt.zero_grad(set_to_none=True)
    with torch.autocast(hr.device.type, dtype=torch.bfloat16, enabled=amp):
        loss = model.loss(hr, lr)
    loss.backward()
    val = loss.item()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    ema.update(model)
    return val


def time_training(ctx: Ctx, name: str, kw: dict, batch: int, hr: int, workers: int | None = None,
                  warmup: int | None = None, steps: int | None = None, noise: bool = False) -> dict:
    """Median times of a training step of `name`: with `workers` set, batches come from the trainer's own DataLoader
    (`SeededItems` + `StepSampler` over the cached `SRDataset`) and the wait for each is timed; else random tensors."""
    from torch.utils.data import DataLoader
    from jitsr.training import EMA, conv_heavy
    from jitsr.jit import count_params
    from jitsr.distributed import SeededItems, StepSampler
    warmup, steps = warmup if warmup is not None else ctx.warmup, steps if steps is not None else ctx.steps
    model = ctx.build(name, **kw).train()
    cl = conv_heavy(model)                               # the trainer's channels_last=None rule
    if cl: model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-4, betas=(0.9, 0.99), weight_decay=0.0)
    ema = EMA(model, 0.999)
    batches = None
    if workers is not None:
        ds = ctx.dataset(hr)
        dl = DataLoader(SeededItems(ds, 0), batch_sampler=StepSampler(len(ds), batch, 0), num_workers=workers,
                        pin_memory=ctx.cuda, persistent_workers=workers > 0)
        batches = iter(dl)
    else:
        fixed_hr = torch.rand(batch, 3, hr, hr, device=ctx.dev)
        fixed = (fixed_hr, torch.nn.functional.avg_pool2d(fixed_hr, 4))
    if ctx.cuda: torch.cuda.reset_peak_memory_stats()
    t_data, t_noise, t_step = [], [], []
    for i in range(warmup + steps):
        t = time.perf_counter()
        hr_img, lr_img = next(batches) if batches is not None else fixed
        t_wait = time.perf_counter() - t
        lr_img, hr_img = lr_img.to(ctx.dev, non_blocking=True), hr_img.to(ctx.dev, non_blocking=True)
        if noise:                                        # the diffusion noise alone, drawn on the device
            x = hr_img * 2 - 1
            ctx.sync(); t = time.perf_counter(); model.fm.noisy(x); ctx.sync()
            t_nz = time.perf_counter() - t
        ctx.sync(); t = time.perf_counter()
        loss = train_step(model, opt, ema, hr_img, lr_img, ctx.amp, cl)
        ctx.sync(); dt = time.perf_counter() - t
        if i >= warmup:
            t_step.append(dt); t_data.append(t_wait)
            if noise: t_noise.append(t_nz)
    med = lambda xs: round(statistics.median(xs), 5) if xs else None
    rec = {'config': {'model': name, 'model_kwargs': {**kw, **(ctx.jit_kw if ctx.smoke and name.startswith('jitsr-') else {})},
                      'batch': batch, 'hr_size': hr, 'optimizer': 'AdamW', 'channels_last': cl, 'warmup': warmup, 'steps': steps,
                      'data': 'random tensors on the device' if workers is None else
                              f'DataLoader, {workers} workers, SRDataset(cache=True) of {ctx.data}',
                      'step_includes': 'zero_grad, loss fwd (autocast), backward, .item(), clip_grad_norm, AdamW, EMA; synchronised'},
           'params_m': round(count_params(model) / 1e6, 2), 's_step': med(t_step), 's_step_min': round(min(t_step), 5),
           's_data_wait': med(t_data) if workers is not None else None, 's_noise': med(t_noise) if noise else None,
           'images_per_s_step': round(batch / statistics.median(t_step), 1), 'last_loss': round(loss, 5)}
    if workers is not None:
        rec['s_end_to_end'] = med([a + b for a, b in zip(t_data, t_step)])
        rec['images_per_s_end_to_end'] = round(batch / rec['s_end_to_end'], 1)
    if ctx.cuda:
        rec['peak_mem_gib'] = round(torch.cuda.max_memory_allocated() / 2 ** 30, 2)
        rec['peak_reserved_gib'] = round(torch.cuda.max_memory_reserved() / 2 ** 30, 2)
    del model, opt, ema, batches
    free(ctx)
    ctx.step_cache.setdefault((name, batch, hr), rec)
    return rec


# ------------------------------------------------------------------------------------------------ the sub-probes
def probe_env(ctx: Ctx):
    env = {'python': platform.python_version(), 'executable': sys.executable, 'cpu': cpu_name(), 'cpus': os.cpu_count(),
           'torch_threads': torch.get_num_threads(), 'cuda_available': torch.cuda.is_available(),
           'cudnn': torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None}
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        env.update(gpu=torch.cuda.get_device_name(0), gpus=torch.cuda.device_count(), capability=f'{p.major}.{p.minor}',
                   gpu_mem_gib=round(p.total_memory / 2 ** 30, 1), sms=p.multi_processor_count,
                   bf16_supported=torch.cuda.is_bf16_supported(), peak_bf16_tflops=(peak_bf16(p.name) or 0) / 1e12 or 'unknown',
                   flash_available=getattr(torch.backends.cuda, 'is_flash_attention_available', lambda: None)(),
                   tf32_matmul=torch.backends.cuda.matmul.allow_tf32)
    if shutil.which('nvidia-smi'):
        r = subprocess.run(['nvidia-smi', '--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'],
                           capture_output=True, text=True, timeout=20)
        env['nvidia_smi'] = r.stdout.strip() or r.stderr.strip()
        env['driver'] = r.stdout.split(',')[1].strip() if r.returncode == 0 and ',' in r.stdout else None
    mods = {}
    for m in ('numpy', 'PIL', 'einops', 'fastprogress', 'matplotlib', 'jitsr'):
        try: mod = __import__(m); mods[m] = getattr(mod, '__version__', 'yes')
        except Exception as e: mods[m] = f'missing ({short(e, 120)})'
    env['imports'] = mods
    return [{'config': {}, **env}]


def preset_workers(smoke: bool) -> int:
    "DataLoader workers the gpu preset's runs get here: its `num_workers`, None meaning one per CPU but one, at most 8 (0 in dry runs)."
    from jitsr.presets import PRESETS
    n = PRESETS['gpu'].num_workers
    if smoke: return 0                                   # reproduce --dry-run loads in the main process
    return n if n is not None else min(8, max((os.cpu_count() or 1) - 1, 0))


def probe_step_split(ctx: Ctx):
    "Where a B/16 step's time goes: with min(8, CPUs) DataLoader workers, with the gpu preset's count, and with none."
    preset = preset_workers(ctx.smoke)
    out = []
    for w in dict.fromkeys([ctx.workers, preset, 0]):    # the parallel case first: it also warms the caches
        if out and ctx.left() < 15: out.append({'config': {'num_workers': w}, 'skipped': 'budget'}); continue
        steps = ctx.steps if w == ctx.workers else max(ctx.steps // 2, 2)
        rec = time_training(ctx, 'jitsr-B/16-concat', {'hr_size': ctx.hr}, ctx.batch, ctx.hr, workers=w, steps=steps, noise=True)
        rec['config']['num_workers'] = w
        rec['is_gpu_preset_workers'] = w == preset
        out.append(rec)
    return out


def probe_memory(ctx: Ctx):
    out = []
    for name in ('jitsr-B/16-concat', 'jitsr-L/16-token'):
        rec = ctx.step_cache.get((name, ctx.batch, ctx.hr))
        if rec is not None: out.append({**rec, 'reused_from': 'step_split'}); continue
        if ctx.left() < 10: out.append({'config': {'model': name}, 'skipped': 'budget'}); continue
        try: out.append(time_training(ctx, name, {'hr_size': ctx.hr}, ctx.batch, ctx.hr, steps=min(ctx.steps, 5)))
        except Exception as e:                       # an OOM is a result too
            out.append({'config': {'model': name, 'batch': ctx.batch, 'hr_size': ctx.hr}, 'error': short(e)})
        free(ctx)
    return out


def gpu_preset_runs(smoke: bool) -> list:
    from jitsr.presets import PRESETS, dry_run
    p = PRESETS['gpu']
    return dry_run(p).runs if smoke else p.runs


def probe_preset_steps(ctx: Ctx):
    "GPU step time of every run of the gpu preset, on random tensors (the data cost is step_split's, scaled by the plan)."
    out = []
    for r in gpu_preset_runs(ctx.smoke):
        key = (r.model, r.batch_size, r.crop)
        base = {'label': r.label, 'steps_planned': getattr(r, 'steps', None)}
        if key in ctx.step_cache:
            out.append({**ctx.step_cache[key], **base, 'reused_from': 'an earlier probe (same model, batch, crop)'}); continue
        if ctx.left() < 8: out.append({'config': {'model': r.model}, **base, 'skipped': 'budget'}); continue
        try:
            rec = time_training(ctx, r.model, r.model_kwargs, r.batch_size, r.crop,
                                warmup=1 if ctx.smoke else 2, steps=2 if ctx.smoke else 3)
            out.append({**rec, **base})
        except Exception as e:
            out.append({'config': {'model': r.model, 'batch': r.batch_size, 'hr_size': r.crop}, **base, 'error': short(e)})
        free(ctx)
    return out


def sdpa_ops(fn) -> dict:
    "Names and counts of the SDPA implementations (aten ops) that `fn()` dispatches to, from the profiler's CPU events."
    from torch.profiler import profile, ProfilerActivity
    with profile(activities=[ProfilerActivity.CPU]) as prof: fn()
    return {e.key.removeprefix('aten::'): e.count for e in prof.key_averages()
            if e.key.startswith('aten::_scaled_dot_product') or e.key.startswith('aten::_efficient_attention')
            or e.key.startswith('aten::_flash_attention') or e.key.startswith('aten::_cudnn_attention')}


def probe_sdpa(ctx: Ctx):
    "For each scheme: can its forward+backward run with only flash / only efficient / only cuDNN / only math attention?"
    from torch.nn.attention import sdpa_kernel, SDPBackend
    backends = [(n, getattr(SDPBackend, b)) for n, b in (('flash', 'FLASH_ATTENTION'), ('efficient', 'EFFICIENT_ATTENTION'),
                                                          ('cudnn', 'CUDNN_ATTENTION'), ('math', 'MATH')) if hasattr(SDPBackend, b)]
    cases = [(f'jitsr-B/16-{s}', {}) for s in SCHEMES] + [
        ('jitsr-B/16-concat', {'local_slope': 4.0}),                                  # the locality prior: an additive bias
        ('jitsr-B/16-token', {'local_slope': 4.0, 'context_reads_image': False})]    # the cpu preset's JiT-SR options
    B = 2 if ctx.smoke else 8
    hr, lr = torch.rand(B, 3, ctx.hr, ctx.hr, device=ctx.dev), torch.rand(B, 3, ctx.hr // 4, ctx.hr // 4, device=ctx.dev)
    out = []
    for name, kw in cases:
        cfg = {'model': name, 'model_kwargs': kw, 'batch': B, 'hr_size': ctx.hr, 'pass': 'model.loss forward + backward'}
        if ctx.left() < 6: out.append({'config': cfg, 'skipped': 'budget'}); continue
        try: model = ctx.build(name, hr_size=ctx.hr, **kw)
        except Exception as e: out.append({'config': cfg, 'error': short(e)}); continue

        def fwd_bwd():
            with torch.autocast(ctx.dev.type, dtype=torch.bfloat16, enabled=ctx.amp): loss = model.loss(hr, lr)
            loss.backward(); model.zero_grad(set_to_none=True)

        rec = {'config': cfg, 'backends': {}}
        try:
            fwd_bwd(); ctx.sync()
            rec['default_ops'] = sdpa_ops(lambda: (fwd_bwd(), ctx.sync()))
        except Exception as e: rec['default_error'] = short(e)
        for bname, b in backends:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter('always')
                try:
                    reps = 1 if ctx.smoke else 3
                    with sdpa_kernel([b]):
                        fwd_bwd(); ctx.sync()
                        t = time.perf_counter()
                        for _ in range(reps): fwd_bwd()
                        ctx.sync()
                    res = {'ok': True, 'ms_fwd_bwd': round((time.perf_counter() - t) / reps * 1000, 2)}
                except Exception as e: res = {'ok': False, 'error': short(e, 300)}
            why = sorted({str(w.message).strip()[:300] for w in caught if 'attention' in str(w.message).lower()
                          or 'kernel' in str(w.message).lower()})
            if why: res['warnings'] = why[:6]                   # torch says why it rejected a kernel
            rec['backends'][bname] = res
        rec['usable'] = [n for n, r in rec['backends'].items() if r['ok']]
        out.append(rec)
        del model; free(ctx)
    return out


def probe_mfu(ctx: Ctx):
    "Model FLOPs of one B/16 training step (counted), over the step time measured by step_split, over the bf16 peak."
    from torch.utils.flop_counter import FlopCounterMode
    name = 'jitsr-B/16-concat'
    model = ctx.build(name, hr_size=ctx.hr).train()
    hr, lr = torch.rand(ctx.batch, 3, ctx.hr, ctx.hr, device=ctx.dev), torch.rand(ctx.batch, 3, ctx.hr // 4, ctx.hr // 4, device=ctx.dev)
    with FlopCounterMode(display=False) as fc:
        with torch.autocast(ctx.dev.type, dtype=torch.bfloat16, enabled=ctx.amp): loss = model.loss(hr, lr)
        loss.backward()
    flops = float(fc.get_total_flops())
    del model, loss; free(ctx)
    rec = ctx.step_cache.get((name, ctx.batch, ctx.hr)) or time_training(ctx, name, {'hr_size': ctx.hr}, ctx.batch, ctx.hr, steps=5)
    peak = peak_bf16(ctx.base['device_name']) if ctx.cuda else None
    achieved = flops / rec['s_step']
    out = {'config': {'model': name, 'batch': ctx.batch, 'hr_size': ctx.hr, 'flops': 'FlopCounterMode, one fwd+bwd of model.loss',
                      'step_time': 'median GPU step of step_split (fwd, bwd, clip, AdamW, EMA)'},
           'train_gflop_per_step': float(f'{flops / 1e9:.4g}'), 'train_gflop_per_image': float(f'{flops / ctx.batch / 1e9:.4g}'),
           's_step': rec['s_step'], 'achieved_tflops': float(f'{achieved / 1e12:.4g}'),
           'peak_bf16_tflops': peak / 1e12 if peak else 'unknown', 'mfu': round(achieved / peak, 4) if peak else None}
    if peak and rec.get('s_end_to_end'):
        out['mfu_with_data_wait'] = round(flops / rec['s_end_to_end'] / peak, 4)
    return [out]


def probe_resume(ctx: Ctx):
    "Does a run stopped after 2 steps and resumed in a fresh Trainer end bit-identical to 4 steps straight, on this device?"
    from jitsr.data import SRDataset, image_files
    from jitsr.training import Trainer
    from jitsr.config import TrainConfig
    from jitsr.models import build_model
    files = image_files(ctx.data)[:8]
    out = []
    for name, kw in (('edsr-baseline', TOY_EDSR), ('jitsr-T/4-concat', {**TOY_JIT, 'hr_size': 32})):
        cfg = TrainConfig(model=name, model_kwargs=kw, steps=4, batch_size=2, hr_size=32, log_every=1, ckpt_every=2,
                          warmup_steps=2, schedule='constant', max_val_images=0)
        rec = {'config': {'model': name, 'model_kwargs': kw, 'steps': 4, 'batch': 2, 'hr_size': 32, 'amp': ctx.amp,
                          'runs': 'A: 4 steps; A2: 4 steps again; B: 2 steps, then resume() in a new Trainer and 2 more'}}
        try:
            ds = SRDataset(files, hr_size=32, train=True, cache=True)
            with tempfile.TemporaryDirectory() as tmp:
                def run(sub, steps, resume=False):
                    from dataclasses import replace
                    torch.manual_seed(cfg.seed)
                    model = build_model(cfg.model, **cfg.model_kwargs)
                    tr = Trainer(replace(cfg, steps=steps), ds, Path(tmp) / sub, model, device=ctx.dev, progress=False, quiet=True)
                    if resume: rec[f'{sub}_resumed'] = tr.resume()
                    tr.fit()
                    return {k: v.detach().float().cpu().clone() for k, v in tr.model.state_dict().items()}, \
                           {k: v.detach().float().cpu().clone() for k, v in tr.ema.model.state_dict().items()}
                a, a2 = run('A', 4), run('A2', 4)
                run('B', 2); b = run('B', 4, resume=True)
            diff = lambda x, y: max((x[k] - y[k]).abs().max().item() for k in x)
            rec.update(deterministic=all(torch.equal(a[0][k], a2[0][k]) for k in a[0]), max_diff_A_A2=diff(a[0], a2[0]),
                       resume_bit_identical=all(torch.equal(a[0][k], b[0][k]) for k in a[0])
                                            and all(torch.equal(a[1][k], b[1][k]) for k in a[1]),
                       max_diff_A_B=diff(a[0], b[0]), max_diff_A_B_ema=diff(a[1], b[1]))
            rec['pass'] = rec['resume_bit_identical']
        except Exception as e: rec.update({'pass': False, 'error': short(e, 1500)})
        out.append(rec)
    return out


def probe_bf16_infer(ctx: Ctx):
    "The shipped JiT-SR (the only trained JiT-SR at hand; a randomly initialised one outputs exactly 0) in fp32 and bf16."
    from jitsr.core import JiTSR
    from jitsr.data import find_data, image_files, make_pair
    from jitsr.images import load_image, to_tensor
    from jitsr.metrics import sr_metrics, psnr
    model = JiTSR.load(device=ctx.dev)
    src = find_data('testsets/Set5') or find_data('photos/test')
    files = image_files(src)
    pairs = []
    for f in files[:2] if ctx.smoke else files:
        hr = to_tensor(load_image(f))[None]
        if ctx.smoke: hr = hr[..., :48, :48]                  # one tile: the CPU would take minutes on whole images
        pairs.append(make_pair(hr))
    res = {}
    outs = {}
    for dt in ('fp32', 'bf16'):
        t = time.perf_counter(); srs = []
        with torch.autocast(ctx.dev.type, dtype=torch.bfloat16, enabled=dt == 'bf16'):
            for hr, lr in pairs: srs.append(model.predict(lr.to(ctx.dev)).float().cpu())
        ctx.sync()
        res[dt] = {'psnr_y': round(statistics.mean(sr_metrics(s, hr)['psnr_y'].item() for s, (hr, _) in zip(srs, pairs)), 4),
                   'seconds': round(time.perf_counter() - t, 2)}
        outs[dt] = srs
    agree = [psnr(a.clamp(0, 1), b.clamp(0, 1)).item() for a, b in zip(outs['fp32'], outs['bf16'])]
    return [{'config': {'model': 'JiTSR.load() (shipped T/4 concat)', 'set': str(src.relative_to(src.parents[1])),
                        'n_images': len(pairs), 'crop': 48 if ctx.smoke else 'whole images', 'bf16': 'torch.autocast'},
             'fp32': res['fp32'], 'bf16': res['bf16'], 'delta_psnr_y': round(res['bf16']['psnr_y'] - res['fp32']['psnr_y'], 4),
             'psnr_bf16_vs_fp32_db': round(statistics.mean(agree), 2),
             'max_abs_diff': round(max((a - b).abs().max().item() for a, b in zip(outs['fp32'], outs['bf16'])), 5)}]


# bf16_infer before resume (the Trainer turns TF32 on for the process); sdpa last (forcing one attention backend at a
# time is the likeliest to leave CUDA unusable)
PROBES = [('env', probe_env), ('step_split', probe_step_split), ('memory', probe_memory),
          ('preset_steps', probe_preset_steps), ('mfu', probe_mfu), ('bf16_infer', probe_bf16_infer),
          ('resume', probe_resume), ('sdpa', probe_sdpa)]


def write_json(obj, path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f'.{path.name}.tmp')
    tmp.write_text(json.dumps(obj, indent=1, default=str) + '\n'); os.replace(tmp, path)


def run_probes(a):
    ctx = Ctx(a)
    out = Path(a.out or 'probe.json')
    doc = {'format': 'jitsr-gpu-probe-1', 'date': now(), 'smoke': ctx.smoke, 'budget_s': ctx.budget,
           'command': ' '.join(['python', 'tools/gpu_probe.py'] + sys.argv[1:]), **ctx.base, 'data': str(ctx.data),
           'records': [], 'probes': {}}
    for name, fn in PROBES:
        if ctx.left() <= 0:
            doc['probes'][name] = {'status': 'skipped: past the time budget'}; write_json(doc, out); continue
        t = time.perf_counter()
        print(f"[{ctx.elapsed():6.1f}s] {name} ...", file=sys.stderr, flush=True)
        try:
            recs, status = fn(ctx), 'ok'
        except Exception as e:
            recs, status = [{'config': {}, 'error': short(e, 2000)}], 'error'
        free(ctx)
        doc['records'] += [{'probe': name, **ctx.base, **r} for r in recs]
        doc['probes'][name] = {'status': status, 'seconds': round(time.perf_counter() - t, 1)}
        if ctx.smoke and name in ('memory', 'mfu'): doc['probes'][name]['note'] = 'CPU: no device memory counter, no bf16 peak'
        doc['seconds_total'] = round(ctx.elapsed(), 1)
        write_json(doc, out)
        print(f"[{ctx.elapsed():6.1f}s] {name}: {status}", file=sys.stderr, flush=True)
    print(out)


# ------------------------------------------------------------------------------------------------ the plan
def records(doc: dict, probe: str) -> list:
    return [r for r in doc.get('records', []) if r.get('probe') == probe and not r.get('error') and not r.get('skipped')]


def estimate_step(doc: dict, run, preset_workers: int) -> tuple:
    "(seconds per step, where the number comes from) for a RunSpec: its GPU step plus the data wait, from the probe or guesses."
    arch = run.model.split('-')[1] if run.model.startswith('jitsr-') else None
    fam = arch if arch in GUESS_STEP else run.model.split('-')[0] if run.model.split('-')[0] in GUESS_STEP else 'other'
    pix = run.batch_size * run.crop ** 2
    mine = [r for r in records(doc, 'preset_steps') + records(doc, 'memory') + records(doc, 'step_split')
            if r['config'].get('model') == run.model and r['config'].get('batch') == run.batch_size
            and r['config'].get('hr_size') == run.crop and r.get('s_step')]
    same_arch = [r for r in records(doc, 'memory') + records(doc, 'step_split') if arch and r.get('s_step')
                 and r['config'].get('model', '').startswith(f'jitsr-{arch}-')]
    if mine: step, src = mine[0]['s_step'], 'measured'
    elif same_arch:                                       # scale by pixels: JiT's cost is linear in tokens at 256 tokens
        r = same_arch[0]; step, src = r['s_step'] * pix / (r['config']['batch'] * r['config']['hr_size'] ** 2), f'scaled from {r["config"]["model"]}'
    else:
        ref = 64 * 256 ** 2 if arch else 16 * 192 ** 2
        step, src = GUESS_STEP[fam] * pix / ref, 'guess'
    # the wait for the batches the trainer's workers (or main process) build: measured by step_split, scaled per pixel;
    # the preset's own worker count if measured, else the fewest workers measured above 0, else none (slowest)
    split = sorted((r for r in records(doc, 'step_split') if r.get('s_data_wait') is not None), key=lambda r: r['config']['num_workers'])
    match = [r for r in split if r['config']['num_workers'] == preset_workers] or \
            [r for r in split if 0 < r['config']['num_workers'] and preset_workers > 0] or \
            [r for r in split if r['config']['num_workers'] == 0]
    if match:
        r = match[0]; data = r['s_data_wait'] * pix / (r['config']['batch'] * r['config']['hr_size'] ** 2)
    else: data, src = GUESS_DATA_0W * pix / (64 * 256 ** 2), src + ', data guessed'
    return step + data, src


def make_plan(a) -> dict:
    "The largest steps scale (<= 1) whose training of every gpu-preset run takes at most `train_frac` of `seconds`."
    doc = json.loads(Path(a.plan).read_text()) if Path(a.plan).is_file() else {}
    runs, workers = gpu_preset_runs(doc.get('smoke', False)), preset_workers(doc.get('smoke', False))
    target = a.seconds * a.train_frac
    rows, no_steps = [], []
    for r in runs:
        s, src = estimate_step(doc, r, workers)
        s *= a.safety
        steps = getattr(r, 'steps', None)
        if steps is None: no_steps.append(r.label)
        try:
            with torch.device('meta'):
                from jitsr.models import build_model
                from jitsr.jit import count_params
                params = count_params(build_model(r.model, **r.model_kwargs))
        except Exception: params = 500e6                # unknown: assume an L/16
        # the trainer saves model + EMA + AdamW's two moments (16 bytes a parameter) every 100 steps and at the end;
        # assume 1 GB/s with fsync
        save_s = 1.0 + 16 * params / 1e9
        rows.append({'label': r.label, 'model': r.model, 'steps': steps, 's_per_step': round(s, 4), 'source': src,
                     'params_m': round(params / 1e6, 1), 's_per_checkpoint': round(save_s, 1)})

    def cost(scale):
        "Seconds to train every run at `scale`: steps, checkpoints, and a fixed part (build, warm-up, the 6 validations)."
        total = 0.0
        for x in rows:
            n = math.ceil(x['steps'] * scale)
            total += n * x['s_per_step'] + (n // 100 + 1) * x['s_per_checkpoint'] + FIXED_PER_RUN
        return total
    if no_steps: scale = 1.0
    elif cost(1.0) <= target: scale = 1.0
    else:
        lo, hi = 0.0, 1.0                                  # cost grows with scale: bisect
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if cost(mid) <= target else (lo, mid)
        scale = max(math.floor(lo * 1000) / 1000, 0.001)
    plan = {'date': now(), 'seconds_for_reproduce': a.seconds, 'train_frac': a.train_frac, 'train_target_s': round(target, 1),
            'safety_factor': a.safety, 'scale': scale, 'predicted_train_s': round(cost(scale), 1) if not no_steps else None,
            'predicted_train_s_at_scale_1': round(cost(1.0), 1) if not no_steps else None, 'probe': a.plan,
            'preset_num_workers': workers, 's_fixed_per_run': FIXED_PER_RUN, 'runs': rows}
    if no_steps: plan['note'] = f"RunSpec has no `steps` (runs {no_steps}): nothing to scale, scale 1 printed"
    return plan


# ------------------------------------------------------------------------------------------------ the digest
def summary(doc: dict, plan: dict | None = None) -> str:
    "Markdown: the numbers of probe.json (and plan.json) a person reads first."
    L = [f"probe on {doc.get('device_name')} ({doc.get('device')}, torch {doc.get('torch')}, CUDA {doc.get('cuda')}), "
         f"{doc.get('seconds_total')} s of a {doc.get('budget_s')} s budget; " +
         ', '.join(f"{k} {v['status']}" + (f" ({v['seconds']} s)" if 'seconds' in v else '') for k, v in doc.get('probes', {}).items()), '']
    for r in doc.get('records', []):
        if r.get('error') or r.get('skipped'):
            L.append(f"- {r['probe']} {r['config'].get('model', '')}: {r.get('error') or 'skipped (' + r['skipped'] + ')'}")
    env = next(iter(records(doc, 'env')), {})
    if env: L += [f"- env: Python {env.get('python')}, driver {env.get('driver')}, cuDNN {env.get('cudnn')}, imports "
                  + ', '.join(f'{k} {v}' for k, v in env.get('imports', {}).items())]
    for r in records(doc, 'step_split'):
        L.append(f"- step split B/16 batch {r['config']['batch']}, {r['config']['num_workers']} workers: data wait {r['s_data_wait']} s, "
                 f"noise {r['s_noise']} s, step {r['s_step']} s, end to end {r.get('s_end_to_end')} s, peak {r.get('peak_mem_gib')} GiB")
    for r in records(doc, 'memory') + records(doc, 'preset_steps'):
        L.append(f"- {r['probe']} {r.get('label') or r['config']['model']} batch {r['config']['batch']} {r['config']['hr_size']} px: "
                 f"{r['s_step']} s/step, peak {r.get('peak_mem_gib')} GiB, {r['params_m']} M params")
    if records(doc, 'sdpa'):
        L += ['', '| model | overrides | default op | flash | efficient | cudnn | math |', '|---|---|---|---|---|---|---|']
        for r in records(doc, 'sdpa'):
            b = r['backends']
            cell = lambda n: ('ok ' + str(b[n].get('ms_fwd_bwd')) + ' ms') if b.get(n, {}).get('ok') else ('no' if n in b else '-')
            L.append(f"| {r['config']['model']} | {r['config']['model_kwargs'] or ''} | {', '.join(r.get('default_ops', {})) or r.get('default_error', '')} | "
                     + ' | '.join(cell(n) for n in ('flash', 'efficient', 'cudnn', 'math')) + ' |')
        L.append('')
    for r in records(doc, 'mfu'):
        L.append(f"- MFU B/16: {r['train_gflop_per_step']} GFLOP/step, {r['achieved_tflops']} TFLOP/s achieved, peak {r['peak_bf16_tflops']}, "
                 f"MFU {r['mfu']} (with data wait {r.get('mfu_with_data_wait')})")
    for r in doc.get('records', []):
        if r.get('probe') == 'resume':
            L.append(f"- resume {r['config']['model']}: pass {r.get('pass')}, deterministic {r.get('deterministic')}, "
                     f"max diff straight/resumed {r.get('max_diff_A_B')}" + (f", error {r['error']}" if r.get('error') else ''))
    for r in records(doc, 'bf16_infer'):
        L.append(f"- bf16 inference ({r['config']['model']}, {r['config']['set']}): Y-PSNR fp32 {r['fp32']['psnr_y']}, bf16 {r['bf16']['psnr_y']}, "
                 f"outputs agree to {r['psnr_bf16_vs_fp32_db']} dB")
    if plan:
        L += ['', f"plan: scale {plan['scale']} for {plan['seconds_for_reproduce']} s ({plan['train_frac']:.0%} for training, "
                  f"safety x{plan['safety_factor']}); predicted training {plan['predicted_train_s']} s "
                  f"(at scale 1: {plan['predicted_train_s_at_scale_1']} s)" + (f"; {plan['note']}" if plan.get('note') else '')]
        L += [f"- {x['label']}: {x['steps']} steps x {x['s_per_step']} s ({x['source']})" for x in plan['runs']]
    return '\n'.join(L) + '\n'


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=None, help='where to write probe.json (default ./probe.json), or plan.json with --plan')
    ap.add_argument('--budget', type=float, default=100, help='seconds after which no further sub-probe starts')
    ap.add_argument('--smoke', action='store_true', help='CPU, toy sizes: a test of this script')
    ap.add_argument('--data', default=None, help='training images (default: gpu_data/imagenet256/train, else the ImageNet sample)')
    ap.add_argument('--plan', metavar='PROBE_JSON', help='print the --steps-scale that fits --seconds (writes --out if given)')
    ap.add_argument('--seconds', type=float, default=400, help='--plan: seconds the reproduce command will have')
    ap.add_argument('--train-frac', type=float, default=0.55, help='--plan: share of those seconds for training')
    ap.add_argument('--safety', type=float, default=1.3, help='--plan: factor on every estimated step time')
    ap.add_argument('--summary', metavar='PROBE_JSON', help='print a markdown digest (with --plan-json: the plan too)')
    ap.add_argument('--plan-json', default=None)
    a = ap.parse_args(argv)
    if a.summary:
        doc = json.loads(Path(a.summary).read_text())
        plan = json.loads(Path(a.plan_json).read_text()) if a.plan_json and Path(a.plan_json).is_file() else None
        print(summary(doc, plan), end=''); return
    if a.plan:
        plan = make_plan(a)
        if a.out: write_json(plan, Path(a.out))
        print(json.dumps({k: v for k, v in plan.items() if k != 'runs'}), file=sys.stderr)
        print(plan['scale']); return
    run_probes(a)


if __name__ == '__main__':
    main()
