"""Perception-distortion study of a trained JiT-SR model: PSNR/SSIM and sharpness against the number of network
evaluations, and against averaging several samples. Writes a JSON file; the notebooks plot it.

    python tools/pd_study.py --checkpoint runs/X/checkpoint.pt --data ../shared/data/testsets/Set5 --out results/X/pd_study.json

Sharpness is the ratio of high-frequency spectral energy (radial frequency above half Nyquist, Y channel) of the
SR image to that of the HR image: 1 means as much fine detail as the original, bicubic is far below 1.
"""
from __future__ import annotations
import argparse, json, sys, time, platform, datetime
from pathlib import Path
import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.core import JiTSR
from jitsr.data import image_files, load_image, to_tensor, make_pair, bicubic_up
from jitsr.diffusion import nfe
from jitsr.metrics import sr_metrics, rgb_to_y, crop_border


def hf_energy(img: torch.Tensor, scale: int = 4) -> float:
    "Spectral energy of the Y channel above half Nyquist, border cropped."
    y = crop_border(rgb_to_y(img.clamp(0, 1), rounded=False)[0, 0], scale).double()
    F = torch.fft.fftshift(torch.fft.fft2(y - y.mean()))
    h, w = y.shape
    fy, fx = torch.meshgrid(torch.fft.fftshift(torch.fft.fftfreq(h)), torch.fft.fftshift(torch.fft.fftfreq(w)), indexing='ij')
    return float((F.abs() ** 2)[(fy ** 2 + fx ** 2).sqrt() > 0.25].sum())


def measure(pairs, make_sr):
    psnr, ssim, sharp = [], [], []
    for hr, lr in pairs:
        sr = make_sr(lr)
        m = sr_metrics(sr, hr, 4)
        psnr.append(m['psnr_y']); ssim.append(m['ssim_y']); sharp.append(hf_energy(sr) / hf_energy(hr))
    return dict(psnr_y=float(np.mean(psnr)), ssim_y=float(np.mean(ssim)), sharpness=float(np.mean(sharp)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', required=True); ap.add_argument('--data', required=True); ap.add_argument('--out', required=True)
    ap.add_argument('--euler', default='1,2,4,10'); ap.add_argument('--heun', default='50')
    ap.add_argument('--avg-steps', type=int, default=10); ap.add_argument('--avg-n', default='1,2,4,8')
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    model = JiTSR.load(a.checkpoint)
    pairs = [make_pair(to_tensor(load_image(f))[None], 4, 'standard') for f in image_files(a.data)]
    up = lambda lr, **kw: to_tensor(model.upscale(lr, **kw))[None]
    t0, rows = time.perf_counter(), []
    rows.append(dict(kind='bicubic', nfe=0, **measure(pairs, lambda lr: bicubic_up(lr, 4).clamp(0, 1))))
    for s in map(int, a.euler.split(',')):
        rows.append(dict(kind='euler', steps=s, nfe=nfe(s, 'euler'), **measure(pairs, lambda lr: up(lr, steps=s, solver='euler'))))
        print(rows[-1], file=sys.stderr)
    for s in map(int, a.heun.split(',')):
        rows.append(dict(kind='heun', steps=s, nfe=nfe(s, 'heun'), **measure(pairs, lambda lr: up(lr, steps=s, solver='heun'))))
        print(rows[-1], file=sys.stderr)
    for n in map(int, a.avg_n.split(',')):
        avg = lambda lr: torch.stack([up(lr, steps=a.avg_steps, solver='euler', seed=1000 * k) for k in range(n)]).mean(0)
        rows.append(dict(kind='average', steps=a.avg_steps, n_samples=n, nfe=n * a.avg_steps, **measure(pairs, avg)))
        print(rows[-1], file=sys.stderr)
    out = dict(checkpoint=a.checkpoint, data=a.data, n_images=len(pairs), rows=rows, seconds=round(time.perf_counter() - t0, 1),
               torch=str(torch.__version__), machine=platform.machine(), threads=torch.get_num_threads(),
               date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
               command=' '.join(['python', 'tools/pd_study.py'] + (argv if argv is not None else sys.argv[1:])))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + '\n')
    print(a.out)


if __name__ == '__main__':
    main()
