"""Every compression recipe on one table: ``make bench-compression [WORKERS=N]``.

    python benchmarks/bench_compression.py [--recipes configs/compression] [--out runs/compression]
                                           [--runs runs] [--board pynq-z2] [-n 1000]
                                           [--workers N] [--cpus-per-task C] [--compare-serial]

Trains (or resumes / reuses) each recipe in ``<runs>/<recipe name>``, runs the board flow on it
(C simulation on n latents, bit-exact check, PSNR vs the float teacher, cost model), and writes
table.md / table.csv / table.json / pareto.png / samples/ to --out.  Prints the table and the
issue's figures: a Pareto recipe >= 16x compressed within 1.25x the teacher's FID-FMNIST, bit-exact
and fitting the board (stretch: >= 32x within 1.5x); distilled vs from-scratch student.

Executor: the Ray cluster at $RAY_ADDRESS when set, a local Ray instance of --workers CPUs when Ray
is installed and --workers > 1, the serial loop otherwise.  Each task runs with --cpus-per-task
torch threads (default 1 on Ray, torch's own default serially): rows are identical to a serial run
with the same --cpus-per-task.

--compare-serial measures, in one invocation, the wall time of the whole set serially and then on
the executor, each from scratch in a fresh temporary runs folder (with the same threads per task),
and prints both, their ratio and whether the rows are identical.  Meant for small sets such as
configs/compression_tiny (a full set is hours).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

from fpgagan.report.compression_table import ENCODING_TARGETS, GENERATE, is_codebook
from fpgagan.workflows.compression import TARGETS, Row, run_compression
from fpgagan.workflows.executor import SerialExecutor, make_executor

MAX_DROP_DB = 0.5  # issue #14: a W4A8 image-to-image generator within 0.5 dB of its float teacher


def image_task_lines(rows: list[Row]) -> list[str]:
    """An image-to-image table: each quantized recipe's PSNR against the float teacher's (issue
    #14: W4A8 within 0.5 dB) and whether its C simulation was bit-exact."""
    ok = [r for r in rows if r.ok]
    teacher = next((r for r in ok if r.precision == "float32"), None)
    if teacher is None:
        return ["targets not checked: no float recipe (qat: null) among the recipes"]
    lines = []
    for r in ok:
        if r is teacher:
            continue
        lines.append(
            f"{r.recipe}: {r.compression:.1f}x, PSNR {r.gt_psnr_db:.2f} dB "
            f"({r.gt_drop_db:.2f} dB below the teacher's {teacher.gt_psnr_db:.2f}; within "
            f"{MAX_DROP_DB} dB: {'yes' if r.gt_drop_db <= MAX_DROP_DB else 'NO'}), "
            f"C simulation bit-exact on {r.csim_latents} test images: "
            f"{'yes' if r.csim_bit_exact else 'NO'}, FPGA PSNR {r.fpga_gt_psnr_db:.2f} dB"
        )
    return lines


def target_lines(rows: list[Row]) -> list[str]:
    ok = [r for r in rows if r.ok]
    lines = [f"FAILED {r.recipe}: {r.error}" for r in rows if not r.ok]
    if any(r.task != GENERATE for r in ok):
        return lines + image_task_lines(rows)
    teacher = next((r for r in ok if r.precision == "float32"), None)
    if teacher is None:
        return lines + ["targets not checked: no float recipe (qat: null) among the recipes"]
    for ratio, factor in TARGETS:
        hits = [
            r
            for r in ok
            if r.pareto and r.compression >= ratio and r.fid <= factor * teacher.fid
            and r.csim_bit_exact and r.fits
        ]  # fmt: skip
        best = ", ".join(f"{r.recipe} ({r.compression:.1f}x, FID {r.fid_ratio:.3f}x)" for r in hits)
        lines.append(
            f"Pareto recipe >= {ratio:g}x within {factor}x teacher FID, bit-exact, fits: "
            + (f"MET by {best}" if hits else "NOT MET")
        )
    coded = [r for r in ok if is_codebook(r)]  # weight-sharing recipes (issue #15)
    for ratio, factor in ENCODING_TARGETS if coded else ():
        hits = [r for r in coded if r.compression >= ratio and r.fid <= factor * teacher.fid
                and r.csim_bit_exact and r.fits]  # fmt: skip
        best = min((r for r in coded if r.compression >= ratio), key=lambda r: r.fid, default=None)
        lines.append(
            f"codebook recipe >= {ratio:g}x within {factor}x teacher FID, bit-exact, fits: "
            + (", ".join(f"MET by {r.recipe}" for r in hits) if hits else "NOT MET")
            + (
                f" (best at >= {ratio:g}x: {best.recipe}, FID {best.fid_ratio:.3f}x)"
                if best
                else ""
            )
        )
    by_name = {r.recipe: r for r in ok}
    d, s = by_name.get("w4a8-distill-half"), by_name.get("w4a8-scratch-half")
    if d and s:
        lines.append(
            f"half-width W4A8 student, same epochs: distilled FID {d.fid:.2f} vs from scratch "
            f"{s.fid:.2f} ({s.fid / d.fid:.2f}x worse from scratch)"
        )
    return lines


def _as_json(rows: list[Row]) -> str:
    return json.dumps([dataclasses.asdict(r) for r in rows], sort_keys=True)  # NaN == NaN here


def compare_serial(args: argparse.Namespace, recipes: list[Path], cpus: int) -> list[Row]:
    """The set from scratch serially, then on the executor; prints both wall times."""
    out = Path(args.out)
    with tempfile.TemporaryDirectory(prefix="bench-compression-") as tmp:
        t0 = time.perf_counter()
        with SerialExecutor() as ex:
            serial = run_compression(recipes, out / "serial", Path(tmp) / "serial", args.board,
                                     args.n, args.data_dir, ex, cpus)  # fmt: skip
        serial_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        with make_executor(args.workers) as ex:
            name = ex.name
            rows = run_compression(recipes, out, Path(tmp) / "parallel", args.board, args.n,
                                   args.data_dir, ex, cpus)  # fmt: skip
        parallel_s = time.perf_counter() - t0
    same = _as_json(rows) == _as_json(serial)
    print(f"{len(recipes)} recipes from scratch, {cpus} torch thread(s) per task")
    label = f"{name}, {args.workers} workers"
    print(f"  {'serial':<24}{serial_s:8.1f} s")
    print(f"  {label:<24}{parallel_s:8.1f} s  (starting {name} included)")
    print(f"  {'serial / ' + name:<24}{serial_s / parallel_s:8.2f}x")
    print(f"  rows identical to the serial run: {'yes' if same else 'NO'}")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--recipes", default="configs/compression")
    ap.add_argument("--out", default="runs/compression")
    ap.add_argument("--runs", default="runs")
    ap.add_argument("--board", default="pynq-z2")
    ap.add_argument("-n", type=int, default=1000, help="latents for the C simulation check")
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--workers", type=int, default=1, help="local Ray CPUs (> 1: Ray)")
    ap.add_argument("--cpus-per-task", type=int, default=None, help="torch threads per task")
    ap.add_argument("--compare-serial", action="store_true", help="time serial vs executor")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    recipes = sorted(Path(args.recipes).glob("*.yaml"))
    t0 = time.perf_counter()
    if args.compare_serial:
        rows = compare_serial(args, recipes, args.cpus_per_task or 1)
    else:
        with make_executor(args.workers) as ex:
            cpus = args.cpus_per_task or (None if isinstance(ex, SerialExecutor) else 1)
            rows = run_compression(recipes, Path(args.out), Path(args.runs), args.board, args.n,
                                   args.data_dir, ex, cpus)  # fmt: skip
    print((Path(args.out) / "table.md").read_text())
    for line in target_lines(rows):
        print(line)
    print(f"table, plot and samples in {args.out}  ({time.perf_counter() - t0:.0f} s)")
    return 1 if any(not r.ok for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
