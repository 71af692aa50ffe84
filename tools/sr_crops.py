"""A strip of 128x128 crops from a bundled test photo: HR, bicubic, EDSR-baseline and JiT-SR at several samplers.

    python tools/sr_crops.py --edsr runs/E/checkpoint.pt --jitsr runs/J/checkpoint.pt --out results/J/crops.png
"""
from __future__ import annotations
import argparse, sys
from pathlib import Path
import torch
from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.core import JiTSR
from jitsr.images import load_image, to_tensor, to_image
from jitsr.data import make_pair, bicubic_up
from jitsr.models import load_model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--edsr', required=True); ap.add_argument('--jitsr', required=True); ap.add_argument('--out', required=True)
    ap.add_argument('--photo', default=str(Path(__file__).resolve().parents[1] / 'data/photos/test/lxqt_butterfly.png'))
    ap.add_argument('--size', type=int, default=128)
    ap.add_argument('--at', default='0.5,0.5', help='crop centre as fractions of (height, width)')
    a = ap.parse_args(argv)
    img = to_tensor(load_image(a.photo))
    H, W = img.shape[-2:]
    s = a.size
    fy, fx = map(float, a.at.split(','))
    y0, x0 = min(max(int(fy * H) - s // 2, 0), H - s), min(max(int(fx * W) - s // 2, 0), W - s)
    hr_crop = img[:, y0:y0 + s, x0:x0 + s]
    hr, lr = make_pair(hr_crop[None], 4, 'standard')
    edsr, jit = load_model(a.edsr), JiTSR.load(a.jitsr)
    with torch.no_grad():
        panels = [('HR', hr), ('bicubic', bicubic_up(lr, 4)), ('EDSR-baseline', edsr(lr)),
                  ('JiT-SR, 1 call', to_tensor(jit.upscale(lr))[None]),
                  ('JiT-SR, Euler 10', to_tensor(jit.upscale(lr, steps=10))[None]),
                  ('JiT-SR, Heun 50', to_tensor(jit.upscale(lr, steps=50, solver='heun'))[None])]
    strip = Image.new('RGB', (len(panels) * (s + 4), s + 18), 'white')
    d = ImageDraw.Draw(strip)
    for i, (name, t) in enumerate(panels):
        strip.paste(to_image(t[0].clamp(0, 1)), (i * (s + 4), 18))
        d.text((i * (s + 4) + 2, 3), name, fill='black')
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    strip.save(a.out, optimize=True)
    print(a.out)


if __name__ == '__main__':
    main()
