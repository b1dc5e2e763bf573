"""The board plan of a generator on every board in boards/: parallelism, resources counted by the
cost model, the pipeline's simulated throughput, and whether it fits, in one table.

    python benchmarks/bench_boards.py [--model M.onnx] [--markdown]

Without --model: the shipped default (and runs/w4a8-sparse75/generator.onnx when it exists).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fpgagan.boards import get_board, known_boards
from fpgagan.export import load_qonnx
from fpgagan.workflows.hls_flow import HlsFlowConfig, default_model_dir, plan_board

GOAL_IMAGES_PER_S = 5900  # Perri et al. 2020, XC7Z020 at 200 MHz; issue #11's goal at 100 MHz
FLOOR_IMAGES_PER_S = 2000  # issue #11's floor on the PYNQ-Z2 at 100 MHz


def rows(model_path: Path) -> list[dict]:
    model = load_qonnx(model_path)
    out = []
    for name in known_boards():
        board = get_board(name)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            plan = plan_board(model, board, HlsFlowConfig(), Path(tmp))
        layers = "; ".join(
            f"{s.parallelism.n_par}x{s.parallelism.k_par}"
            + (
                f" ({s.parallelism.dsp} DSP pairs)"
                if s.parallelism.dsp_pack == 2 and s.parallelism.dsp
                else ""
            )
            + (" sparse" if s.sparse else "")
            for s in plan.shapes
        )
        t = plan.totals
        out.append(
            {
                "board": name,
                "clock_mhz": board.clock_mhz,
                "images_per_s": plan.images_per_s,
                "interval": plan.interval_cycles,
                "lut": t.lut,
                "ff": t.ff,
                "dsp": t.dsp,
                "bram_18k": t.bram_18k,
                "usage": plan.usage,
                "fits": plan.fits,
                "layers": layers,
                "plan_s": time.perf_counter() - t0,
            }
        )
    return out


def markdown(title: str, table: list[dict]) -> str:
    lines = [
        f"**{title}**",
        "",
        "| board | clock | images/s | interval (cycles) | LUT | FF | DSP | BRAM_18K | fits | lanes per layer (n_par x k_par) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        u = r["usage"]
        lines.append(
            f"| {r['board']} | {r['clock_mhz']:g} MHz | {r['images_per_s']:,.0f} | {r['interval']:,} | "
            f"{r['lut']:,.0f} ({100 * u['lut']:.0f}%) | {r['ff']:,.0f} ({100 * u['ff']:.0f}%) | "
            f"{r['dsp']:,.0f} ({100 * u['dsp']:.0f}%) | {r['bram_18k']:,.0f} ({100 * u['bram_18k']:.0f}%) | "
            f"{'yes' if r['fits'] else 'NO'} | {r['layers']} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--model", default=None)
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    models = [("shipped default W4A8", default_model_dir() / "generator.onnx")]
    sparse = Path("runs/w4a8-sparse75/generator.onnx")
    if args.model:
        models = [(args.model, Path(args.model))]
    elif sparse.is_file():
        models.append(("W4A8, 75% sparse (runs/w4a8-sparse75)", sparse))
    for title, path in models:
        table = rows(path)
        if args.markdown:
            print(markdown(title, table) + "\n")
            continue
        print(f"\n== {title} ==")
        for r in table:
            print(
                f"{r['board']:12} {r['images_per_s']:9,.0f} images/s  LUT {r['lut']:8,.0f}  FF "
                f"{r['ff']:8,.0f}  DSP {r['dsp']:5,.0f}  BRAM {r['bram_18k']:5,.0f}  "
                f"{'fits' if r['fits'] else 'does NOT fit'}  [{r['layers']}]  (plan {r['plan_s']:.1f} s)"
            )
        pynq = next((r for r in table if r["board"] == "pynq-z2"), None)
        if pynq:
            print(
                f"pynq-z2: {pynq['images_per_s']:,.0f} images/s = "
                f"{pynq['images_per_s'] / FLOOR_IMAGES_PER_S:.2f}x the {FLOOR_IMAGES_PER_S:,} floor, "
                f"{pynq['images_per_s'] / GOAL_IMAGES_PER_S:.2f}x the {GOAL_IMAGES_PER_S:,} goal"
            )


if __name__ == "__main__":
    main()
