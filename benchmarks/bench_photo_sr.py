"""Super-resolution of photographs at video frame sizes (issue #25), one run, on the held-out
photographs of :mod:`fpgagan.data.photos` and the models of a ``configs/photo_sr2x.yaml`` run.

    python benchmarks/bench_photo_sr.py [--run runs/photo-sr2x] [--out DIR] [--skip-720p]

Printed:

1. quality on the five held-out photographs, whole (Y-PSNR on BT.601 luma with a border of 2
   cropped, Y-SSIM, RGB-PSNR; per photograph and mean): bicubic, the float teacher, each student;
   float - bicubic (floor +1.0 dB, goal +1.5) and float - W4A8 (floor 0.3 dB, goal 0.1);
2. the board flow (``fpgagan hls``'s library call) on the W4A8 model exported at a small frame,
   fed crops of every held-out photograph (ground truth the high-resolution crop): mismatching
   elements of the C simulation against qonnx and the integer reference (0 is bit-exact), Y-PSNR
   of the FPGA's output beside bicubic per crop, the planning and build times;
3. a whole 1280x720 output frame (the model at 640x360 input) through the C simulation, built
   with the small frame's plan settings: mismatches against qonnx, build and run times;
4. frames/s from the plan of the same model at 1280x720 and 1920x1080 outputs on the PYNQ-Z2 and
   the ZCU102 (frames/s = clock / interval; floors: PYNQ-Z2 >= 24 at 720p, goal 30; ZCU102 >= 60
   at 1080p), whether each fits by the count, its on-chip memory, and the ratio of the line
   buffers at 1080p and 720p beside the width ratio 1.5 (the memory depends on the width only).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from fpgagan.boards import get_board
from fpgagan.data.photos import crop_to, load_photos, make_lr, photo_crops
from fpgagan.export import load_qonnx, reference_outputs, save_qonnx
from fpgagan.export.frame_size import at_frame_size
from fpgagan.models.espcn import load_espcn
from fpgagan.report.sr_metrics import mean_score
from fpgagan.sim import build_csim, compare, output_lsb
from fpgagan.workflows.frame_rates import VIDEO_FRAMES, frame_rate_table, plan_frame
from fpgagan.workflows.hls_flow import HlsFlowConfig, options, run_hls_flow
from fpgagan.workflows.photo_sr import (
    BICUBIC,
    TEACHER,
    bicubic_outputs,
    model_outputs,
    score_photos,
)

FLOAT_GAIN_FLOOR_DB, FLOAT_GAIN_GOAL_DB = 1.0, 1.5
W4A8_DROP_FLOOR_DB, W4A8_DROP_GOAL_DB = 0.3, 0.1
PYNQ_720P_FLOOR, PYNQ_720P_GOAL = 24.0, 30.0
ZCU102_1080P_FLOOR = 60.0
SMALL_FRAME = (48, 64)  # input frame of the board flow's model: 96x128 crops of each photograph
FRAME_720P_INPUT = (360, 640)
SCALE = 2
W4A8 = "W4A8"


def spec_label(spec) -> str:
    kernels = ", ".join(f"{kh}x{kw}" for kh, kw in spec.kernels)
    return (f"ESPCN widths {list(spec.widths)}, kernels {kernels}, residual {spec.residual}, "
            f"{spec.macs_per_pixel:,} multiplications per input pixel")  # fmt: skip


def precision_label(p) -> str:
    """What a student's bits are: the same in every layer, or MIXED (first/last or per layer)."""
    mixed = p.first_last is not None or bool(p.layers)
    return (f"{p.weight_bits}-bit weights ({p.weight_scaling}, power-of-two scales), "
            f"{p.act_bits}-bit activations, {p.input_bits}-bit input, {p.output_bits}-bit output; "
            + ("MIXED precision (first/last or per-layer bits differ)" if mixed
               else "the same bits in every layer"))  # fmt: skip


def quality(run: Path) -> dict:
    test = load_photos("test")
    teacher, _ = load_espcn(run / "teacher.pt")
    results = {
        BICUBIC: score_photos(bicubic_outputs(test, SCALE), test, SCALE),
        TEACHER: score_photos(model_outputs(teacher, test, SCALE), test, SCALE),
    }
    labels = []
    for path in sorted(run.glob("student_*.pt")):
        student, _ = load_espcn(path)
        results[student.precision.tag] = score_photos(
            model_outputs(student, test, SCALE), test, SCALE
        )
        labels.append(f"{student.precision.tag}: {precision_label(student.precision)}")
    print("\n## 1. Quality on the held-out photographs (whole), x2")
    print(f"network: {spec_label(teacher.spec)}")
    print("students: " + "; ".join(labels))
    models = list(results)
    print("| photo | " + " | ".join(f"{m} Y-PSNR" for m in models) + " |")
    print("|---|" + "---|" * len(models))
    for i, p in enumerate(test):
        print(f"| {p.name} | " + " | ".join(f"{results[m][i].y_psnr:.2f}" for m in models) + " |")
    means = {m: mean_score(s) for m, s in results.items()}
    print("| **mean** | " + " | ".join(f"**{means[m].y_psnr:.2f}**" for m in models) + " |")
    print("\n| model | Y-PSNR dB | Y-SSIM | RGB-PSNR dB |\n|---|---|---|---|")
    for m, s in means.items():
        print(f"| {m} | {s.y_psnr:.2f} | {s.y_ssim:.4f} | {s.rgb_psnr:.2f} |")
    gain = means[TEACHER].y_psnr - means[BICUBIC].y_psnr
    print(
        f"\nfloat - bicubic: {gain:+.2f} dB (floor +{FLOAT_GAIN_FLOOR_DB}, goal "
        f"+{FLOAT_GAIN_GOAL_DB}): {'MET' if gain >= FLOAT_GAIN_FLOOR_DB else 'NOT MET'}"
    )
    for tag in models[2:]:
        drop = means[TEACHER].y_psnr - means[tag].y_psnr
        verdict = "" if tag != W4A8 else (
            f" (floor {W4A8_DROP_FLOOR_DB}, goal {W4A8_DROP_GOAL_DB}): "
            + ("MET" if drop <= W4A8_DROP_FLOOR_DB else "NOT MET")
        )  # fmt: skip
        print(f"float - {tag}: {drop:+.2f} dB{verdict}")
    return {m: {"y_psnr": s.y_psnr, "y_ssim": s.y_ssim, "rgb_psnr": s.rgb_psnr}
            for m, s in means.items()}  # fmt: skip


def board_flow(model: Path, out: Path) -> tuple[dict, dict]:
    small = out / "w4a8_small.onnx"
    sized = at_frame_size(load_qonnx(model), *SMALL_FRAME, str(model))
    save_qonnx(sized, small)
    n = len(load_photos("test"))
    t0 = time.perf_counter()
    report = run_hls_flow("pynq-z2", out / "hls-pynq-z2", model=str(small), n=n)
    wall = time.perf_counter() - t0
    plan = json.loads((out / "hls-pynq-z2" / "plan.json").read_text())
    y = np.load(out / "hls-pynq-z2" / "csim_images.npy")
    h, w = SMALL_FRAME[0] * SCALE, SMALL_FRAME[1] * SCALE
    # the flow's inputs again (its crops' bicubic-downsampled twins), for a per-crop comparison
    x = make_lr(torch.stack([c for _, c in photo_crops(n, h, w)])).numpy()
    ref = reference_outputs(sized, np.ascontiguousarray(x))
    lsb = output_lsb(sized)
    p = report.photo_sr
    assert p is not None, "the board flow wrote no photographs' section"
    print(f"\n## 2. Board flow (PYNQ-Z2) on {n} held-out photographs, {w}x{h} crops")
    print(
        f"C simulation vs qonnx: {report.bit_exact.mismatching_elements} mismatching of "
        f"{report.bit_exact.elements:,} elements; vs the integer reference: "
        f"{report.bit_exact_independent.mismatching_elements}"
    )
    print("| crop | bicubic Y-PSNR | FPGA Y-PSNR | FPGA Y-SSIM | FPGA RGB-PSNR | mismatching "
          "elements vs qonnx |\n|---|---|---|---|---|---|")  # fmt: skip
    for i, s in enumerate(p.photos):
        c = compare(y[i : i + 1], ref[i : i + 1], lsb)
        print(
            f"| {s.photo} | {s.bicubic.y_psnr:.2f} | {s.fpga.y_psnr:.2f} | {s.fpga.y_ssim:.4f} | "
            f"{s.fpga.rgb_psnr:.2f} | {c.mismatches} of {c.n_elements:,} |"
        )
    print(f"| **mean** | {p.mean_bicubic.y_psnr:.2f} | {p.mean_fpga.y_psnr:.2f} | "
          f"{p.mean_fpga.y_ssim:.4f} | {p.mean_fpga.rgb_psnr:.2f} | |")  # fmt: skip
    print("\nframes/s in the flow's report (report.md):\n" + frame_rate_table(list(p.frames)))
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.step_s.items())
    print(f"steps: {steps}; whole flow {wall:.1f} s")
    return plan, {"mismatches": report.bit_exact.mismatching_elements,
                  "independent": report.bit_exact_independent.mismatching_elements}  # fmt: skip


def frame_720p(model: Path, layer_config: dict, out: Path) -> dict:
    sized = at_frame_size(load_qonnx(model), *FRAME_720P_INPUT, str(model))
    board = get_board("pynq-z2")
    cfg = {
        k: {kk: vv for kk, vv in v.items() if kk != "FifoDepth"} for k, v in layer_config.items()
    }
    t0 = time.perf_counter()
    csim = build_csim(sized, out / "hls-720p", options(board, HlsFlowConfig(), cfg))
    build_s = time.perf_counter() - t0
    hr = crop_to(load_photos("test")[0].image, 720, 1280)[None]
    x = np.ascontiguousarray(make_lr(hr).numpy())
    t0 = time.perf_counter()
    y = csim.predict(x)
    run_s = time.perf_counter() - t0
    ref = reference_outputs(sized, x)
    c = compare(y, ref, output_lsb(sized))
    print("\n## 3. A whole 1280x720 output frame (640x360 input) through the C simulation")
    print(
        f"output {tuple(y.shape)}: {c.mismatches} mismatching of {c.n_elements:,} elements vs "
        f"qonnx; build {build_s:.1f} s, C simulation {run_s:.1f} s"
    )
    return {"mismatches": c.mismatches, "build_s": build_s, "csim_s": run_s}


def frame_rates(model: Path) -> list:
    qonnx = load_qonnx(model)
    rates = []
    for board, frames in (("pynq-z2", ("720p", "1080p")), ("zcu102", ("720p", "1080p"))):
        for f in frames:
            h, w = VIDEO_FRAMES[f]
            rates.append(plan_frame(qonnx, board, h, w, name=str(model)))
            print(f"  planned {board} at {w}x{h}: {rates[-1].plan_s:.1f} s", flush=True)
    print("\n## 4. Frames/s from the plan\n" + frame_rate_table(rates))
    by = {(r.board, r.out_height): r for r in rates}
    p720, z1080 = by[("pynq-z2", 720)], by[("zcu102", 1080)]
    print(
        f"\nPYNQ-Z2 at 1280x720: {p720.frames_per_s:.1f} frames/s (floor {PYNQ_720P_FLOOR}, goal "
        f"{PYNQ_720P_GOAL}), fits: {p720.fits}: "
        f"{'MET' if p720.frames_per_s >= PYNQ_720P_FLOOR and p720.fits else 'NOT MET'}"
    )
    print(
        f"ZCU102 at 1920x1080: {z1080.frames_per_s:.1f} frames/s (floor {ZCU102_1080P_FLOOR}), "
        f"fits: {z1080.fits}: "
        f"{'MET' if z1080.frames_per_s >= ZCU102_1080P_FLOOR and z1080.fits else 'NOT MET'}"
    )
    for board in ("pynq-z2", "zcu102"):
        a, b = by[(board, 720)], by[(board, 1080)]
        print(
            f"{board}: line buffers 1080p / 720p = {b.buffer_bits / a.buffer_bits:.3f} "
            f"(width ratio {1920 / 1280:.3f}); FIFOs {b.fifo_bits / a.fifo_bits:.3f}; weights and "
            f"biases {a.memory_bits - a.buffer_bits:,} vs {b.memory_bits - b.buffer_bits:,} bits"
        )
    return rates


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--run", default="runs/photo-sr2x", help="a configs/photo_sr2x.yaml run")
    ap.add_argument("--out", default=None, help="folder for the projects (default: temporary)")
    ap.add_argument("--skip-720p", action="store_true", help="skip the 1280x720 C simulation")
    ap.add_argument("--skip-rates", action="store_true", help="skip the video-size plans")
    args = ap.parse_args(argv)
    run = Path(args.run)
    model = run / f"student_{W4A8}.onnx"
    if not model.is_file():
        print(f"{model}: not found (train configs/photo_sr2x.yaml first)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="bench-photo-sr-") as tmp:
        out = Path(args.out) if args.out else Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        quality(run)
        plan, _ = board_flow(model, out)
        if not args.skip_720p:
            frame_720p(model, plan["layers"], out)
        if not args.skip_rates:
            frame_rates(model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
