"""A float generator made FPGA-ready by ``fpgagan.compress.quantize`` and data-free distillation,
measured in one run on this machine:

- the project's float teacher (Fashion-MNIST, ``fpgagan/assets/default/teacher.pt``) quantized
  to W4A8 and distilled **without any training image** (target FID-FMNIST <= 1.3x the
  teacher's, goal 1.2x), and the same with the Fashion-MNIST training images added (the
  adversarial term; target <= 1.15x); each through the main job (``run_hls_flow``: bit-exact in
  C simulation on 1,000 latents), printed beside the recipe-trained W4A8 student
  (``fpgagan/assets/default/generator.pt``, ``fpgagan train-qat``'s default recipe);
- the PyTorch-examples DCGAN (float, 4-D latent, batch-norm, Tanh; randomly initialised, as no
  64x64 RGB data ships here) exported with ``torch.onnx.export``, through
  ``fpgagan quantize --float dcgan64.onnx`` and ``fpgagan hls``: exit codes, bit-exactness and
  the student's PSNR against the float model;
- an outside float U-Net (skip concatenations, pixel-shuffle head, 2x super-resolution) through
  the same two commands.

FID-FMNIST is computed on 10,000 latents against the 10,000 test images for every row, with the
Brevitas forward (which qonnx execution equals bit for bit, and the C simulation equals on the
1,000 latents it runs).  The training budget is stated in the rows; ``--quick`` runs everything
with reduced settings, clearly labelled, for a smoke test.

    OMP_NUM_THREADS=1 python benchmarks/bench_quantize.py [--quick] [--board pynq-z2]
        [--out runs/bench-quantize]

Budget (the real settings): 6 epochs x 250 steps of 64 latents for each Fashion-MNIST student
(``fpgagan quantize``'s defaults; 149 s data-free, 286 s with images on 2 shared CPU cores, one
torch thread: with two threads and other jobs on the cores it ran ten times slower), 2 x 100 steps
of 16 inputs for the DCGAN and the U-Net; the whole run took about 16 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import time
from pathlib import Path

import torch

from fpgagan.cli import main as fpgagan_main
from fpgagan.config import Precision
from fpgagan.data import load_images
from fpgagan.models.checkpoint import load_generator
from fpgagan.models.outside import (
    DcganShape,
    FloatDcgan,
    FloatUNet,
    export_float_onnx,
    randomise_float,
)
from fpgagan.report.classifier import load_classifier
from fpgagan.report.quality import QualityScorer
from fpgagan.workflows.hls_flow import default_model_dir, run_hls_flow
from fpgagan.workflows.quantize_float import QONNX, DistilConfig, quantize_and_distil

DATA_FREE_TARGET, DATA_FREE_GOAL, WITH_IMAGES_TARGET = 1.3, 1.2, 1.15
N_FID = 10_000
N_CSIM = 1_000
W4A8 = Precision(weight_bits=4, act_bits=8, input_bits=8, input_range=4.0, output_bits=8)


def fid_of(gen, scorer: QualityScorer, z: torch.Tensor) -> float:
    gen.eval()
    with torch.no_grad():
        return scorer.fid(torch.cat([gen(b) for b in z.split(1000)]))


def csim_row(board: str, model: Path, out: Path) -> tuple[int, int]:
    """(mismatching elements, elements) of the main job's C simulation on N_CSIM latents."""
    report = run_hls_flow(board, out, model=str(model), n=N_CSIM)
    return report.bit_exact.mismatching_elements, report.bit_exact.elements


def cli(argv: list[str]) -> tuple[int, str]:
    """``fpgagan ARGV`` in this process: its exit code and what it printed."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = fpgagan_main(argv)
    return code, buf.getvalue()


def fmnist_rows(args, out: Path, cfg: DistilConfig) -> list[str]:
    teacher, _ = load_generator(default_model_dir() / "teacher.pt")
    recipe, _ = load_generator(default_model_dir() / "generator.pt")
    test_x, _ = load_images("fashion-mnist", "test", args.data_dir)
    train_x, _ = load_images("fashion-mnist", "train", args.data_dir)
    scorer = QualityScorer(load_classifier(), test_x[:N_FID])
    z = torch.randn(N_FID, 64, generator=torch.Generator().manual_seed(2024))
    t_fid = fid_of(teacher, scorer, z)
    rows = [("float teacher", t_fid, None, "14 GAN epochs on 60,000 images")]
    mm = csim_row(args.board, default_model_dir() / "generator.onnx", out / "hls-recipe")
    rows.append(("W4A8 recipe-trained (train-qat)", fid_of(recipe, scorer, z), mm,
                 "4 QAT epochs on 60,000 images, GAN + 10 L1"))  # fmt: skip
    budget = f"{cfg.epochs} x {cfg.steps_per_epoch} steps of {cfg.batch_size} latents"
    for label, images, run in (
        ("W4A8 data-free (no image)", None, "data-free"),
        ("W4A8 data-free + FMNIST images", train_x, "with-images"),
    ):
        t0 = time.perf_counter()
        res = quantize_and_distil(teacher, out / run, W4A8, cfg, input_shape=(64,),
                                  images=images, data_root=args.data_dir)  # fmt: skip
        took = time.perf_counter() - t0
        mm = csim_row(args.board, out / run / QONNX, out / f"hls-{run}")
        extra = ", adversarial" if images is not None else ", no image"
        rows.append((label, fid_of(res.student, scorer, z), mm, f"{budget}{extra}, {took:.0f} s"))
    lines = [
        f"FID-FMNIST on {N_FID:,} latents vs the {N_FID:,} test images (lower is better); "
        f"C simulation vs qonnx on {N_CSIM:,} latents ({args.board})",
        f"  {'model':<34} {'FID':>7} {'/teacher':>9}  {'csim mismatches':<18} training",
    ]
    for label, fid, mm, how in rows:
        exact = "-" if mm is None else f"{mm[0]} of {mm[1]:,}"
        lines.append(f"  {label:<34} {fid:7.2f} {fid / t_fid:8.3f}x  {exact:<18} {how}")
    df, wi = rows[2][1] / t_fid, rows[3][1] / t_fid
    lines.append(
        f"  data-free {df:.3f}x (target <= {DATA_FREE_TARGET}x, goal {DATA_FREE_GOAL}x): "
        f"{'met' if df <= DATA_FREE_TARGET else 'NOT met'}; with images {wi:.3f}x "
        f"(target <= {WITH_IMAGES_TARGET}x): {'met' if wi <= WITH_IMAGES_TARGET else 'NOT met'}"
    )
    return lines


def outside_row(name: str, model, args, out: Path, steps: list[str], n: int) -> str:
    onnx_path = out / f"{name}.onnx"
    export_float_onnx(model, onnx_path)
    t0 = time.perf_counter()
    q_code, _ = cli(
        ["quantize", "--float", str(onnx_path), "--out", str(out / f"q-{name}"), *steps]
    )
    q_s = time.perf_counter() - t0
    if q_code != 0:
        return f"  {name}: fpgagan quantize exit {q_code}"
    metrics = json.loads((out / f"q-{name}" / "metrics.json").read_text())
    t0 = time.perf_counter()
    h_code, printed = cli(["hls", "--board", args.board, "--model", str(out / f"q-{name}" / QONNX),
                           "--out", str(out / f"hls-{name}"), "-n", str(n)])  # fmt: skip
    h_s = time.perf_counter() - t0
    report = json.loads((out / f"hls-{name}" / "report.json").read_text())
    be = report["bit_exact"]
    return (
        f"  {name:<8} quantize exit {q_code} ({q_s:.0f} s), hls exit {h_code} ({h_s:.0f} s); "
        f"C sim vs qonnx on {n} inputs: {be['mismatching_elements']} of "
        f"{be['elements']:,} differ; student vs float PSNR {metrics['final']['val_psnr']:.2f} dB, "
        f"SSIM {metrics['final']['val_ssim']:.4f} (hard tanh alone: "
        f"{metrics['quantize']['hard_shift_psnr_db']:.2f} dB)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="reduced settings (a smoke test)")
    ap.add_argument("--board", default="pynq-z2")
    ap.add_argument("--out", default="runs/bench-quantize")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--skip-fmnist", action="store_true")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    if args.quick:
        cfg = DistilConfig(epochs=1, steps_per_epoch=20, n_val=500)
        outside = ["--epochs", "1", "--steps", "5", "--batch-size", "8", "--n-val", "32"]
    else:
        cfg = DistilConfig()  # 6 x 250 steps of 64 latents: fpgagan quantize's defaults
        outside = ["--epochs", "2", "--steps", "100", "--batch-size", "16", "--n-val", "200"]
    print(f"settings: {'REDUCED (--quick)' if args.quick else 'real'}")
    if not args.skip_fmnist:
        for line in fmnist_rows(args, out, cfg):
            print(line, flush=True)
    print(
        f"float models from elsewhere through fpgagan quantize ({' '.join(outside)}) and fpgagan hls:"
    )
    dcgan = randomise_float(FloatDcgan(DcganShape(nz=100, ngf=64, channels=3, side=64)))
    print(outside_row("dcgan64", dcgan, args, out, outside, 100), flush=True)
    unet = randomise_float(FloatUNet(channels=1, side=16, width=16))
    print(outside_row("unet", unet, args, out, outside, 200), flush=True)


if __name__ == "__main__":
    main()
