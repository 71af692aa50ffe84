"""Build `gpu_data/`, the folder a lent GPU machine needs besides the repository (it has no network at all).

    python tools/prepare_gpu_data.py              # build what is missing (idempotent), print the size
    python tools/prepare_gpu_data.py --force      # rebuild from scratch
    python tools/prepare_gpu_data.py --src DIR --no-wheels   # crops of your own ImageNet-like folder, on a machine with pip
    python tools/prepare_gpu_data.py --smoke DIR  # a tiny train/ + val/ folder for `JITSR_GPU_SMOKE=1 tools/gpu_run.sh`

What it writes (the folder is git-ignored: ImageNet images and the benchmark sets may not be redistributed):

    gpu_data/imagenet256/train/*.jpg   256x256 centre crops of the ImageNet sample (the talk's pipeline:
                                       `center_square(load_image(f), 256)`), JPEG quality 95 (Pillow's default 4:2:0)
    gpu_data/imagenet256/val/*.png     ~50 held-out crops, lossless, chosen by `jitsr.data.split_files`'s hash
    gpu_data/imagenet256/manifest.json the source, the split fraction and the file lists
    gpu_data/testsets/Set5, Set14      copies, so that `find_data('testsets/Set5')` works with JITSR_DATA=$PWD/gpu_data
    gpu_data/wheels/*.whl              einops, fastprogress and Pillow (CPython 3.10-3.12, manylinux x86_64), to install
                                       offline when the machine's Python lacks them (matplotlib is left out: too big)

The whole folder travels to the GPU machine as a carried path (64 MiB for all of them), so it must stay under ~55 MiB.
"""
from __future__ import annotations
import argparse, json, os, shutil, subprocess, sys, zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from jitsr.data import find_data, image_files, center_square, split_files
from jitsr.images import load_image

SIZE = 256                 # HR crop side: the gpu preset trains JiT-SR on 256-px crops
N_VAL = 50                 # held-out images
LIMIT_MIB = 55             # what may travel (the carry limit is 64 MiB in all)
# fastcore (the library's `@patch`) has no dependencies of its own. Pinned for size and for having no dependencies:
# fastprogress >= 1.1 pulls in python-fasthtml, and
# Pillow 10.4's wheels are a third smaller than 12's (both satisfy the package's `pillow>=10.0`, `fastprogress>=1.0`).
PURE_WHEELS = ('einops', 'fastprogress==1.0.3', 'fastcore==2.2.41')
PILLOW = 'pillow==10.4.0'
PYTHONS = ('3.10', '3.11', '3.12')


def val_fraction(files, root, n_val: int) -> float:
    "The smallest `val_frac` for which `split_files(files, root, val_frac)` holds out `n_val` files (ties may add a few)."
    keys = sorted(zlib.crc32(str(Path(f).relative_to(root)).replace(os.sep, '/').encode()) % 10_000 for f in files)
    return (keys[min(n_val, len(keys)) - 1] + 0.5) / 10_000        # halfway: no float rounding at the edge


def save_atomic(img, path: Path, **kw):
    "Write an image through a temporary name, so an interrupted run never leaves a truncated file behind."
    tmp = path.with_name(f'.{path.name}.tmp')
    img.save(tmp, **kw); os.replace(tmp, path)


def write_crops(files, out: Path, fmt: str) -> int:
    "256x256 centre crops of `files` into `out` as JPEG q95 or PNG; files already there are skipped. Returns how many were written."
    out.mkdir(parents=True, exist_ok=True)
    ext, kw = ('.jpg', dict(format='JPEG', quality=95)) if fmt == 'jpeg' else ('.png', dict(format='PNG'))
    n = 0
    for f in files:
        dst = out / (Path(f).stem + ext)
        if dst.exists() and dst.stat().st_size > 0: continue
        save_atomic(center_square(load_image(f), SIZE), dst, **kw); n += 1
    return n


def build_imagenet(dst: Path, src: Path | None = None):
    src = src or find_data('imagenet-sample')
    if src is None or not Path(src).is_dir():
        sys.exit(f"prepare_gpu_data: no image folder {src or 'imagenet-sample'} (give --src, set JITSR_DATA or put it in shared/data)")
    files = image_files(src)
    frac = val_fraction(files, src, N_VAL)
    train, val = split_files(files, src, frac)
    nt, nv = write_crops(train, dst / 'train', 'jpeg'), write_crops(val, dst / 'val', 'png')
    manifest = {'source': 'imagenet-sample (ImageNet-1k images, one per class; ImageNet terms: not redistributable)', 'n_source': len(files),
                'crop': f'jitsr.data.center_square(load_image(f), {SIZE})', 'train_format': 'JPEG quality 95',
                'val_format': 'PNG', 'split': f'jitsr.data.split_files(files, root, val_frac={frac})',
                'train': [Path(f).name for f in train], 'val': [Path(f).name for f in val]}
    (dst / 'manifest.json').write_text(json.dumps(manifest, indent=1) + '\n')
    print(f"imagenet256: {len(train)} train (JPEG, {nt} new), {len(val)} val (PNG, {nv} new), val_frac {frac}")


def copy_testsets(dst: Path):
    for name in ('Set5', 'Set14'):
        src = find_data(f'testsets/{name}')
        if src is None: print(f"testsets/{name}: not found, skipped"); continue
        shutil.copytree(src, dst / name, dirs_exist_ok=True)
        print(f"testsets/{name}: {len(image_files(dst / name))} images")


def pip_download(dst: Path, *args):
    cmd = [sys.executable, '-m', 'pip', 'download', '-q', '--no-deps', '-d', str(dst), *args]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode: sys.exit(f"prepare_gpu_data: {' '.join(cmd)} failed:\n{r.stderr[-2000:]}")


def download_wheels(dst: Path):
    dst.mkdir(parents=True, exist_ok=True)
    have = lambda pattern: any(dst.glob(pattern))
    for spec in PURE_WHEELS:
        name = spec.split('==')[0]
        if not have(f'{name}-*.whl'): pip_download(dst, spec)
    for v in PYTHONS:
        tag = 'cp' + v.replace('.', '')
        if not have(f'pillow-*-{tag}-{tag}-*.whl'):
            pip_download(dst, '--only-binary=:all:', '--implementation', 'cp', '--python-version', v,
                         '--platform', 'manylinux_2_28_x86_64', '--platform', 'manylinux2014_x86_64', PILLOW)
    print('wheels:', ', '.join(sorted(p.name for p in dst.glob('*.whl'))))


def folder_mib(path: Path) -> float:
    "Disk usage as `du` reports it (falls back to the sum of file sizes where there is no `du`)."
    try: return int(subprocess.run(['du', '-sk', str(path)], capture_output=True, text=True, check=True).stdout.split()[0]) / 1024
    except (OSError, subprocess.CalledProcessError, ValueError):
        return sum(p.stat().st_size for p in path.rglob('*') if p.is_file()) / 2 ** 20


def make_smoke(dst: Path, n: int = 8):
    "`dst/train` and `dst/val` with `n` crops (the last two held out): from the ImageNet sample, else the bundled photos."
    src = find_data('imagenet-sample') or find_data('photos/train')
    files = image_files(src)[:n]
    write_crops(files[:-2], dst / 'train', 'jpeg'); write_crops(files[-2:], dst / 'val', 'png')
    print(f"smoke data: {len(files) - 2} train + 2 val crops from {src} in {dst}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default=str(REPO / 'gpu_data'), help='the folder to build (default: gpu_data/ at the repo root)')
    ap.add_argument('--src', default=None, help='a folder of ImageNet-like images (default: imagenet-sample via find_data)')
    ap.add_argument('--no-wheels', action='store_true', help='skip the offline wheels (a GPU machine that can install packages)')
    ap.add_argument('--force', action='store_true', help='delete the folder first and rebuild everything')
    ap.add_argument('--smoke', metavar='DIR', help='only write a tiny train/ + val/ data folder to DIR, then stop')
    ap.add_argument('--n', type=int, default=8, help='images in the --smoke folder')
    a = ap.parse_args(argv)
    if a.smoke: make_smoke(Path(a.smoke), a.n); return
    out = Path(a.out)
    if a.force and out.exists(): shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / 'README.txt').write_text("Built by tools/prepare_gpu_data.py for tools/gpu_run.sh. Never commit or share: "
                                    "ImageNet images and the benchmark sets may not be redistributed.\n")
    build_imagenet(out / 'imagenet256', Path(a.src) if a.src else None)
    copy_testsets(out / 'testsets')
    if not a.no_wheels: download_wheels(out / 'wheels')
    mib = folder_mib(out)
    print(f"{out}: {mib:.1f} MiB ({'ok' if mib <= LIMIT_MIB else 'TOO BIG'}: the limit is {LIMIT_MIB} MiB)")
    if mib > LIMIT_MIB: sys.exit(1)


if __name__ == '__main__':
    main()
