"""docs/figures/hardware_dataflow.png: the dataflow fpgagan generates for the shipped default on a
board, drawn from the board plan: per layer its lanes, memories and cycles, and the FIFOs between.

    python docs/figures/make_hardware_figure.py [--board pynq-z2]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

from fpgagan.boards import get_board  # noqa: E402
from fpgagan.export import load_qonnx  # noqa: E402
from fpgagan.hw.layer_memories import memories  # noqa: E402
from fpgagan.workflows.hls_flow import HlsFlowConfig, default_model_dir, plan_board  # noqa: E402

OUT = Path(__file__).resolve().parent / "hardware_dataflow.png"
BOX_W, BOX_H, GAP = 3.2, 2.4, 1.3


def _layer_text(shape, cost) -> str:
    p, g = shape.parallelism, shape.geometry
    mult = (
        f"{p.dsp} DSP48 ({p.dsp * p.dsp_pack} products)"
        + (f" + {p.fabric_lanes} LUT" if p.fabric_lanes else "")
        if p.dsp
        else f"{p.lanes} LUT multipliers"
    )
    lines = [
        f"{shape.name}",
        f"{shape.kernel}" + (f", {shape.activation} fused" if shape.activation != "none" else ""),
        f"{g.n_pix} pixels x {shape.n_steps} steps",
        f"lanes {p.n_par} out x {p.k_par} in",
        mult,
        f"{p.n_par} adder trees of {p.k_par}",
        f"{p.n_par} accumulators {shape.widths.acc_bits}b",
    ]
    for m in memories(shape):
        lines.append(f"{m.name}: {m.depth}x{m.width}b {m.impl}")
    lines.append(f"{cost.cycles.total:,} cycles/image")
    return "\n".join(lines)


def draw(plan, board_name: str, out: Path) -> None:
    n = len(plan.shapes)
    fig, ax = plt.subplots(figsize=(2.2 + n * (BOX_W + GAP) * 1.05, 3.9))
    ax.set_xlim(-0.4, n * (BOX_W + GAP))
    ax.set_ylim(-1.6, BOX_H + 0.9)
    ax.axis("off")
    for i, (shape, cost) in enumerate(zip(plan.shapes, plan.layers, strict=True)):
        x = i * (BOX_W + GAP)
        ax.add_patch(
            FancyBboxPatch(
                (x, 0), BOX_W, BOX_H, boxstyle="round,pad=0.05", fc="#eef3fb", ec="#34568b"
            )
        )
        ax.text(
            x + 0.12,
            BOX_H - 0.15,
            _layer_text(shape, cost),
            va="top",
            fontsize=7.2,
            family="monospace",
        )
        if i + 1 < n:
            depth = plan.fifos.depths[i]
            width = plan.fifos.widths[i]
            ax.add_patch(
                FancyArrowPatch(
                    (x + BOX_W + 0.05, BOX_H / 2), (x + BOX_W + GAP - 0.05, BOX_H / 2),
                    arrowstyle="-|>", mutation_scale=14, color="#34568b",
                )
            )  # fmt: skip
            ax.text(
                x + BOX_W + GAP / 2, BOX_H / 2 + 0.2, f"FIFO\n{depth} x {width}b",
                ha="center", va="bottom", fontsize=7,
            )  # fmt: skip
    t = plan.totals
    ax.text(
        0,
        -0.6,
        f"{board_name}: {plan.images_per_s:,.0f} images/s at {plan.clock_mhz:g} MHz (interval "
        f"{plan.interval_cycles:,} cycles); LUT {t.lut:,.0f}, FF {t.ff:,.0f}, DSP {t.dsp:,.0f}, "
        f"BRAM_18K {t.bram_18k:,.0f} ({', '.join(f'{k} {100 * v:.0f}%' for k, v in plan.usage.items())})",
        fontsize=8,
    )
    ax.text(
        0,
        -1.15,
        "One stream element per pixel; each step reads one weight word (k_par x n_par weights) "
        "and k_par input values.",
        fontsize=7.5,
        color="#444",
    )
    fig.savefig(out, dpi=130, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--board", default="pynq-z2")
    args = ap.parse_args()
    model = load_qonnx(default_model_dir() / "generator.onnx")
    board = get_board(args.board)
    with tempfile.TemporaryDirectory() as tmp:
        plan = plan_board(model, board, HlsFlowConfig(), Path(tmp))
    draw(plan, board.name, OUT)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
