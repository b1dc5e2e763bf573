"""Every compression recipe on one table: ``make bench-compression``.

    python benchmarks/bench_compression.py [--recipes configs/compression] [--out runs/compression]
                                           [--runs runs] [--board pynq-z2] [-n 1000]

Trains (or resumes / reuses) each recipe in ``<runs>/<recipe name>``, runs the board flow on it
(C simulation on n latents, bit-exact check, PSNR vs the float teacher, cost model), and writes
table.md / table.csv / table.json / pareto.png / samples/ to --out.  Prints the table and the
issue's figures: a Pareto recipe >= 16x compressed within 1.25x the teacher's FID-FMNIST, bit-exact
and fitting the board (stretch: >= 32x within 1.5x); distilled vs from-scratch student.
"""

from __future__ import annotations

import argparse
import logging
import time
from pathlib import Path

from fpgagan.workflows.compression import TARGETS, Row, run_compression


def target_lines(rows: list[Row]) -> list[str]:
    teacher = next((r for r in rows if r.precision == "float32"), None)
    if teacher is None:
        return ["targets not checked: no float recipe (qat: null) among the recipes"]
    lines = []
    for ratio, factor in TARGETS:
        hits = [
            r
            for r in rows
            if r.pareto and r.compression >= ratio and r.fid <= factor * teacher.fid
            and r.csim_bit_exact and r.fits
        ]  # fmt: skip
        best = ", ".join(f"{r.recipe} ({r.compression:.1f}x, FID {r.fid_ratio:.3f}x)" for r in hits)
        lines.append(
            f"Pareto recipe >= {ratio:g}x within {factor}x teacher FID, bit-exact, fits: "
            + (f"MET by {best}" if hits else "NOT MET")
        )
    by_name = {r.recipe: r for r in rows}
    d, s = by_name.get("w4a8-distill-half"), by_name.get("w4a8-scratch-half")
    if d and s:
        lines.append(
            f"half-width W4A8 student, same epochs: distilled FID {d.fid:.2f} vs from scratch "
            f"{s.fid:.2f} ({s.fid / d.fid:.2f}x worse from scratch)"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--recipes", default="configs/compression")
    ap.add_argument("--out", default="runs/compression")
    ap.add_argument("--runs", default="runs")
    ap.add_argument("--board", default="pynq-z2")
    ap.add_argument("-n", type=int, default=1000, help="latents for the C simulation check")
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    recipes = sorted(Path(args.recipes).glob("*.yaml"))
    t0 = time.perf_counter()
    rows = run_compression(
        recipes, Path(args.out), Path(args.runs), args.board, args.n, args.data_dir
    )
    print((Path(args.out) / "table.md").read_text())
    for line in target_lines(rows):
        print(line)
    print(f"table, plot and samples in {args.out}  ({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
