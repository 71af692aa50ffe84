"""HR->LR attention of trained joint-attention JiT-SR models (the talk's figure 7): a figure and a JSON summary.

    python tools/attention_maps.py --model token=runs/jitsr-T4-token-cpu15/checkpoint.pt \
        --model token-rope=runs/jitsr-T4-token-rope-cpu15/checkpoint.pt --out results/attention

For each model: per block, the attention of the centre HR token over the LR grid (mean over heads) on one crop, and
over all HR tokens of several crops the share of attention going to LR tokens and its locality (the share of the
HR->LR attention on the LR token under the HR token or its 8 neighbours).
"""
from __future__ import annotations
import argparse, json, sys, datetime, platform
from pathlib import Path
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from jitsr.core import JiTSR
from jitsr.conditioning import lr_attention
from jitsr.images import load_image, to_tensor
from jitsr.data import image_files, make_pair, find_data
from jitsr.analysis import detail_crop


def locality_mask(gh: int, gw: int, q: int = 1, radius: int = 1) -> torch.Tensor:
    "`(n_hr, n_lr)`: 1 where the LR token is within `radius` (Chebyshev) of the LR position under the HR token."
    hy, hx = torch.meshgrid(torch.arange(gh), torch.arange(gw), indexing='ij')
    return ((hy.flatten()[:, None] - hy.flatten()[None]).abs().maximum((hx.flatten()[:, None] - hx.flatten()[None]).abs()) <= radius).float()


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--model', action='append', required=True, help='NAME=CHECKPOINT (repeatable)')
    ap.add_argument('--photos', default=str(find_data('photos/test')), help='held-out images to cut crops from')
    ap.add_argument('--n-crops', type=int, default=6)
    ap.add_argument('--out', required=True)
    a = ap.parse_args(argv)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    models = {n: JiTSR.load(c) for n, c in (m.split('=', 1) for m in a.model)}
    size = next(iter(models.values())).cfg.hr_size
    crops = []
    for f in image_files(a.photos)[:a.n_crops]:
        hr = to_tensor(load_image(f))[None]
        y, x = detail_crop(hr, size)
        crops.append(make_pair(hr[..., y:y + size, x:x + size])[1])
    lr = torch.cat(crops)
    report, maps = {}, {}
    for name, m in models.items():
        A = lr_attention(m, lr)                                  # (blocks, B, heads, n_hr, n_lr)
        g = lr.shape[-1] // m.scheme.tokens.q
        mask = locality_mask(g, g)
        Ah = A.mean(2)                                           # mean over heads
        report[name] = [{'block': m.net.cfg.in_context_start + i,
                         'lr_share': float(Ah[i].sum(-1).mean()),
                         'locality': float(((Ah[i] * mask).sum(-1) / Ah[i].sum(-1).clamp_min(1e-12)).mean())}
                        for i in range(A.shape[0])]
        centre = (g // 2) * g + g // 2
        maps[name] = Ah[:, 0, centre].reshape(-1, g, g)          # first crop, centre HR token
    import matplotlib; matplotlib.use('Agg'); import matplotlib.pyplot as plt
    nb = max(v.shape[0] for v in maps.values())
    fig, axs = plt.subplots(len(maps), nb + 1, figsize=(1.7 * (nb + 1), 2.1 * len(maps)), dpi=80, squeeze=False)  # 11-px text at page width
    for r, (name, mp) in enumerate(maps.items()):
        axs[r, 0].imshow(lr[0].permute(1, 2, 0).clamp(0, 1), interpolation='nearest'); axs[r, 0].set_title('LR crop', fontsize=10)
        g = mp.shape[-1]; axs[r, 0].plot([g // 2], [g // 2], 'r+', ms=8)
        axs[r, 0].set_ylabel(name, fontsize=10)
        for i in range(nb):
            ax = axs[r, i + 1]
            if i < mp.shape[0]:
                ax.imshow(mp[i], cmap='magma'); ax.plot([g // 2], [g // 2], 'c+', ms=6)
                ax.set_title(f"block {report[name][i]['block']}\nlocality {report[name][i]['locality']:.2f}", fontsize=10)
            else: ax.axis('off')                                  # this model has fewer blocks with LR tokens
        for ax in axs[r]: ax.set_xticks([]); ax.set_yticks([])
    fig.tight_layout(); fig.savefig(out / 'attention.png'); plt.close(fig)
    (out / 'attention.json').write_text(json.dumps({
        'models': report, 'checkpoints': dict(m.split('=', 1) for m in a.model), 'n_crops': len(crops), 'crop_hr': size,
        'uniform_locality': float(locality_mask(g, g).sum(-1).mean() / g ** 2),
        'date': datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds'), 'machine': platform.machine(),
        'command': ' '.join(['python', 'tools/attention_maps.py'] + (argv if argv is not None else sys.argv[1:]))}, indent=1) + '\n')
    print(out / 'attention.json')


if __name__ == '__main__':
    main()
