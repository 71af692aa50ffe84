"""Record what the shipped JiT-SR model gives on the bundled test photos, as SHA-256 digests of its 8-bit outputs.

    python tools/shipped_outputs.py            # writes nbs/fixtures/shipped_outputs.json

Each test photo's centre 160x120 HR crop is degraded x4 (`make_pair`); `upscale` (tiled: the crop is larger than the
model's 16-px tiles) and `predict` on the first 12x12 LR pixels (one tile, quantised to 8 bits) are digested. Notebook
07 checks that the library still gives exactly these bytes: a change of layout must not change a single output pixel.
"""
from __future__ import annotations
import hashlib, json, sys
from pathlib import Path
import numpy as np
import torch

OUT = Path(__file__).resolve().parent.parent / 'nbs' / 'fixtures' / 'shipped_outputs.json'


def crops():
    "`(name, lr)` for the centre 160x120 crop of each bundled test photo, degraded x4 to 40x30."
    from jitsr.images import load_image, to_tensor
    from jitsr.data import find_data, image_files, make_pair
    for f in image_files(find_data('photos/test')):
        hr = to_tensor(load_image(f))[None]
        H, W = hr.shape[-2:]
        yield f.name, make_pair(hr[..., H // 2 - 60:H // 2 + 60, W // 2 - 80:W // 2 + 80])[1]


def digest(a: np.ndarray) -> str: return hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()


def outputs(model) -> dict:
    "`{photo: {'upscale': sha256, 'predict': sha256}}` of `model`'s 8-bit outputs."
    res = {}
    for name, lr in crops():
        up = np.asarray(model.upscale(lr))
        pred = model.predict(lr[..., :12, :12]).mul(255).round().byte().numpy()
        res[name] = {'upscale': digest(up), 'predict': digest(pred)}
    return res


if __name__ == '__main__':
    from jitsr.core import JiTSR
    torch.set_num_threads(2)
    OUT.write_text(json.dumps({'torch': str(torch.__version__), 'outputs': outputs(JiTSR.load())}, indent=1) + '\n')
    print(OUT)
