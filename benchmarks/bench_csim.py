"""C simulation at the speed of its integer arithmetic, measured in one run on this machine:

- the shipped default generator's C simulation (the board-planned project of ``make hls`` and
  ``fpgagan csim``'s defaults, both io types): build seconds (target < 20 s) and images/s with the
  batch driver on all cores (target >= 300), against onnxruntime running the float teacher;
- the exact float64 integer reference (bulk scoring), cross-checked against the C simulation;
- FID-FMNIST on 10,000 C-simulated images, C simulation plus scoring (target < 60 s);
- a 16x16 U-Net-shaped probe with stride-1 convolutions and a skip: build seconds in both io
  types (target < 30 s), bit-exact against qonnx.

    python benchmarks/bench_csim.py [--n 1000] [--fid-n 10000] [--board pynq-z2]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from fpgagan.boards import get_board
from fpgagan.data import load_images
from fpgagan.export import clean_for_hls, execute_batch, load_qonnx, reference_outputs
from fpgagan.export.integer_reference import integer_reference
from fpgagan.hls.convert import HlsOptions
from fpgagan.models import fold_batch_norm
from fpgagan.models.checkpoint import load_generator
from fpgagan.report.classifier import load_classifier
from fpgagan.report.quality import QualityScorer
from fpgagan.sim import build_csim
from fpgagan.workflows.hls_flow import HlsFlowConfig, default_model_dir, options, plan_board

BUILD_TARGET_S = 20.0
IMAGES_PER_S_TARGET = 300.0
FID_TARGET_S = 60.0
UNET_BUILD_TARGET_S = 30.0
CHECK_SAMPLES = 200  # integer reference vs C simulation, element by element


def onnxruntime_images_per_s(n: int) -> float:
    import onnxruntime as ort

    teacher = fold_batch_norm(load_generator(default_model_dir() / "teacher.pt")[0]).eval()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "float.onnx"
        torch.onnx.export(
            teacher,
            (torch.zeros(1, 64),),
            str(path),
            input_names=["z"],
            output_names=["y"],
            dynamic_axes={"z": {0: "n"}, "y": {0: "n"}},
            dynamo=False,
        )
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = os.cpu_count() or 1
        sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        z = np.random.default_rng(0).standard_normal((n, 64)).astype(np.float32)
        sess.run(None, {"z": z})  # warm-up
        t0 = time.perf_counter()
        sess.run(None, {"z": z})
        return n / (time.perf_counter() - t0)


def _timed(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--fid-n", type=int, default=10_000)
    ap.add_argument("--board", default="pynq-z2")
    args = ap.parse_args()
    model = load_qonnx(default_model_dir() / "generator.onnx")
    z = np.random.default_rng(1).standard_normal((args.n, 64)).astype(np.float32)
    ort_ips = onnxruntime_images_per_s(args.n)
    cores = os.cpu_count()
    print(f"onnxruntime, float teacher: {ort_ips:,.0f} images/s ({cores} threads)")

    board = get_board(args.board)
    cfg = HlsFlowConfig()
    rows, board_csim = [], None
    with tempfile.TemporaryDirectory() as tmp:
        plan = plan_board(model, board, cfg, Path(tmp))
        configs = [
            (f"{board.name} plan", options(board, cfg, plan.layer_config())),
            ("csim defaults", HlsOptions(io_type="io_parallel")),
            ("csim defaults", HlsOptions(io_type="io_stream")),
        ]
        ref_int = integer_reference(model)
        for i, (label, opts) in enumerate(configs):
            csim = build_csim(model, Path(tmp) / f"p{i}", opts)
            csim.predict(z[:2])  # warm-up
            y, s = _timed(csim.predict, z)
            exact = np.array_equal(y[:CHECK_SAMPLES], ref_int.run(z[:CHECK_SAMPLES]))
            rows.append((label, opts.io_type, csim.build_s, args.n / s, exact))
            if i == 0:
                board_csim = csim
        _, ref_s = _timed(ref_int.run, z)
        qonnx_exact = np.array_equal(
            ref_int.run(z[:CHECK_SAMPLES]), reference_outputs(model, z[:CHECK_SAMPLES])
        )
        print(f"\ndefault generator, {args.n} latents ({cores} cores):")
        print(
            f"{'project':18} {'io type':12} {'build s':>8} {'/ 20 s':>7} {'images/s':>9} "
            f"{'/ 300':>6} {'/ ORT':>7} {'= int ref':>9}"
        )
        for label, io_type, build_s, ips, exact in rows:
            print(
                f"{label:18} {io_type:12} {build_s:8.1f} {build_s / BUILD_TARGET_S:6.2f}x "
                f"{ips:9.0f} {ips / IMAGES_PER_S_TARGET:5.2f}x {ips / ort_ips:7.3f} {exact!s:>9}"
            )
        print(
            f"integer reference (float64 BLAS, exact): {args.n / ref_s:,.0f} images/s; equal to "
            f"qonnx execute_onnx on {CHECK_SAMPLES} latents: {qonnx_exact}"
        )

        # FID-FMNIST on fid-n C-simulated images of the board-planned project
        test_x, _ = load_images("fashion-mnist", "test")
        scorer = QualityScorer(load_classifier(), test_x[: args.fid_n])
        zf = np.random.default_rng(2).standard_normal((args.fid_n, 64)).astype(np.float32)
        t0 = time.perf_counter()
        images = board_csim.predict(zf)
        sim_s = time.perf_counter() - t0
        fid = scorer.scores(torch.from_numpy(images))["fid"]
        total = time.perf_counter() - t0
        print(
            f"\nFID-FMNIST of {args.fid_n:,} C-simulated images ({board.name} project): {fid:.2f} "
            f"in {total:.1f} s ({sim_s:.1f} s C simulation) = {total / FID_TARGET_S:.2f}x the "
            f"{FID_TARGET_S:.0f} s target"
        )

        # the U-Net-shaped probe
        from unet_probe import SIZE, unet_probe  # beside this script

        unet = unet_probe()
        x = np.clip(np.random.default_rng(3).standard_normal((16, 1, SIZE, SIZE)), -2, 2)
        x = x.astype(np.float32)
        ref = execute_batch(clean_for_hls(unet), x)
        print(f"\n{SIZE}x{SIZE} U-Net probe (stride-1 convolutions, a skip):")
        for io_type in ("io_parallel", "io_stream"):
            csim = build_csim(unet, Path(tmp) / f"unet_{io_type}", HlsOptions(io_type=io_type))
            mismatches = int(np.count_nonzero(csim.predict(x) != ref))
            print(
                f"  {io_type:12} build {csim.build_s:5.1f} s = {csim.build_s / UNET_BUILD_TARGET_S:.2f}x "
                f"the {UNET_BUILD_TARGET_S:.0f} s target; {mismatches} mismatching elements"
            )


if __name__ == "__main__":
    main()
