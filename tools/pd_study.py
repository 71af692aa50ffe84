"""Perception-distortion study of a trained JiT-SR model: PSNR/SSIM and sharpness against the number of network
evaluations, and against averaging several samples. Writes a JSON file; the notebooks plot it.

    python tools/pd_study.py --data ../shared/data/testsets/Set5 --out results/shipped/pd_Set5.json   # the shipped JiT-SR
    python tools/pd_study.py --checkpoint runs/X/checkpoint.pt --data ../shared/data/testsets/Set5 --out results/X/pd_study.json

`--reference` adds the rows of other upscalers (e.g. the shipped `edsr-baseline`), measured the same way.
Sharpness is the ratio of high-frequency spectral energy (radial frequency above half Nyquist, Y channel) of the
SR image to that of the HR image: 1 means as much fine detail as the original, bicubic is far below 1.
"""
from __future__ import annotations
import argparse, json, sys, time, platform, datetime
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.core import JiTSR
from jitsr.data import image_files
from jitsr.analysis import pd_study, pd_measure
from jitsr.data import make_pair
from jitsr.images import load_image, to_tensor
from jitsr.models import upscaler


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--checkpoint', default=None, help='a JiT-SR file (default: the shipped model)')
    ap.add_argument('--data', required=True); ap.add_argument('--out', required=True)
    ap.add_argument('--euler', default='1,2,5,10,50'); ap.add_argument('--heun', default='')
    ap.add_argument('--avg-steps', type=int, default=5); ap.add_argument('--avg-n', default='2,4')
    ap.add_argument('--reference', nargs='*', default=['edsr-baseline'], help='other upscalers (load_model names or files) measured alongside')
    a = ap.parse_args(argv)
    torch.manual_seed(0)
    model = JiTSR.load(a.checkpoint)
    files = image_files(a.data)
    ints = lambda v: tuple(int(x) for x in v.split(',') if x)
    t0 = time.perf_counter()
    rows = pd_study(model, files, ints(a.euler), ints(a.heun), ints(a.avg_n), a.avg_steps)
    pairs = [make_pair(to_tensor(load_image(f))[None], model.scale) for f in files]
    for ref in a.reference:
        up = upscaler(ref)
        rows.append(dict(kind='reference', model=ref, nfe=1, **pd_measure(pairs, lambda lr: up(lr).clamp(0, 1))))
    out = dict(checkpoint=a.checkpoint or 'jitsr (shipped)', data=a.data, n_images=len(files), rows=rows, seconds=round(time.perf_counter() - t0, 1),
               torch=str(torch.__version__), machine=platform.machine(), threads=torch.get_num_threads(),
               date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'),
               command=' '.join(['python', 'tools/pd_study.py'] + (argv if argv is not None else sys.argv[1:])))
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + '\n')
    print(a.out)


if __name__ == '__main__':
    main()
