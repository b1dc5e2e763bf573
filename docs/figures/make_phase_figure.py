"""Draw docs/figures/conv_transpose_phases.png: a stride-2, 4x4, pad-1 transposed convolution
(the generator's layers) computed by zero insertion and by phase decomposition.

    .venv/bin/python docs/figures/make_phase_figure.py [--out PATH]

The tap tables come from the same index arithmetic as ``nnet_conv2d_transpose.h``
(``kh = ph + jh * stride``, ``ih = (oh + pad) / stride - jh``); tests/test_docs.py checks them
against ``fpgagan.export.ops.conv_transpose``.  The PNG carries no timestamp or version, so the
same matplotlib writes the same bytes.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

STRIDE, KERNEL, PAD, N_IN = 2, 4, 1, 4  # one axis of the generator's layers, on a 4-pixel input
OUT = Path(__file__).resolve().parent / "conv_transpose_phases.png"

# Okabe-Ito colours (safe for colour-blind readers)
REAL, INSERTED, BORDER = "#009E73", "#D55E00", "#BBBBBB"
PHASE_1D = {0: "#0072B2", 1: "#E69F00"}
PHASE_2D = {(0, 0): "#0072B2", (0, 1): "#E69F00", (1, 0): "#F0E442", (1, 1): "#CC79A7"}


def n_out(n_in: int = N_IN, kernel: int = KERNEL, stride: int = STRIDE, pad: int = PAD) -> int:
    """ONNX ConvTranspose output size with equal pads and no output_padding."""
    return stride * (n_in - 1) + kernel - 2 * pad


def zero_insertion_taps(
    n_in: int = N_IN, kernel: int = KERNEL, stride: int = STRIDE, pad: int = PAD
) -> dict[tuple[int, int], int]:
    """(output o, position t of the zero-inserted input) -> kernel tap k, for every product.

    Zero insertion puts input i at position ``t = i * stride`` and zeros between; output ``o``
    is the correlation of that sequence with the kernel: ``out[o] = sum_k u[o + pad - k] * w[k]``.
    """
    return {
        (o, o + pad - k): k for o in range(n_out(n_in, kernel, stride, pad)) for k in range(kernel)
    }


def phase_taps(
    n_in: int = N_IN, kernel: int = KERNEL, stride: int = STRIDE, pad: int = PAD
) -> dict[tuple[int, int], int]:
    """(output o, input i) -> kernel tap k, enumerated as the HLS kernel's TapsHeight loop does."""
    taps: dict[tuple[int, int], int] = {}
    for o in range(n_out(n_in, kernel, stride, pad)):
        base, phase = divmod(o + pad, stride)
        for j in range(math.ceil(kernel / stride)):
            k, i = phase + j * stride, base - j
            if k < kernel and 0 <= i < n_in:
                taps[(o, i)] = k
    return taps


def _kind(t: int, n_in: int = N_IN, stride: int = STRIDE) -> str:
    if t < 0 or t > stride * (n_in - 1):
        return "border"
    return "real" if t % stride == 0 else "inserted"


def _cell(ax, x: float, y: float, text: str, color: str, hatch: str | None = None) -> None:
    ax.add_patch(
        Rectangle((x, y), 1, 1, facecolor=color, edgecolor="white", linewidth=1.5, hatch=hatch)
    )
    ax.text(x + 0.5, y + 0.5, text, ha="center", va="center", fontsize=9, color="black")


def _frame(ax, width: float, height: float, title: str) -> None:
    ax.set_xlim(-2.2, width + 0.2)
    ax.set_ylim(height + 1.6, -0.4)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=11, loc="left")


def draw_zero_insertion(ax) -> None:
    taps = zero_insertion_taps()
    ts = sorted({t for _, t in taps})
    col = {t: c for c, t in enumerate(ts)}
    n = n_out()
    wasted = sum(1 for (_, t) in taps if _kind(t) != "real")
    _frame(
        ax,
        len(ts),
        n,
        f"(a) zero insertion: {len(taps)} products per row of {n} outputs, {wasted} of them with a zero",
    )
    for t in ts:
        kind = _kind(t)
        label = f"x{t // STRIDE}" if kind == "real" else "0"
        color = {"real": "#DDF2EA", "inserted": "#F6D5C3", "border": "#EEEEEE"}[kind]
        _cell(ax, col[t], 0, label, color)
    ax.text(-0.2, 0.5, "input u[t]", ha="right", va="center", fontsize=9)
    for o in range(n):
        ax.text(-0.2, o + 1.9, f"out o={o}", ha="right", va="center", fontsize=9)
    for (o, t), k in sorted(taps.items()):
        kind = _kind(t)
        color = {"real": REAL, "inserted": INSERTED, "border": BORDER}[kind]
        _cell(ax, col[t], o + 1.4, f"w{k}", color, hatch="//" if kind != "real" else None)
    ax.legend(
        handles=[
            Patch(facecolor=REAL, label="w x real input"),
            Patch(facecolor=INSERTED, hatch="//", label="w x inserted zero"),
            Patch(facecolor=BORDER, hatch="//", label="w x border padding"),
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, 0.0),
        ncol=3,
        fontsize=8,
        frameon=False,
    )


def draw_phases(ax) -> None:
    taps = phase_taps()
    n = n_out()
    _frame(
        ax,
        N_IN + 4.5,
        n,
        f"(b) phase decomposition (fpgagan): {len(taps)} products, all with real inputs",
    )
    for i in range(N_IN):
        _cell(ax, i, 0, f"x{i}", "#DDF2EA")
    ax.text(-0.2, 0.5, "input x[i]", ha="right", va="center", fontsize=9)
    for o in range(n):
        base, phase = divmod(o + PAD, STRIDE)
        ax.text(-0.2, o + 1.9, f"out o={o}", ha="right", va="center", fontsize=9)
        used = sorted(k for (oo, _), k in taps.items() if oo == o)
        ax.text(
            N_IN + 0.3,
            o + 1.9,
            f"phase {phase}: taps k={','.join(map(str, range(phase, KERNEL, STRIDE)))}"
            + ("" if len(used) == math.ceil(KERNEL / STRIDE) else " (one off the edge)"),
            va="center",
            fontsize=8.5,
        )
    for (o, i), k in sorted(taps.items()):
        _cell(ax, i, o + 1.4, f"w{k}", PHASE_1D[(o + PAD) % STRIDE])
    ax.text(
        0,
        n + 2.0,
        f"phase r = (o + pad) mod {STRIDE};  k = r + j*{STRIDE};  i = (o + pad) div {STRIDE} - j,"
        f"  j < ceil({KERNEL}/{STRIDE})",
        fontsize=8.5,
        va="top",
    )


def draw_kernel(ax) -> None:
    _frame(ax, KERNEL, KERNEL, "(c) 4x4 kernel split into 4 phase sub-kernels")
    for kh in range(KERNEL):
        for kw in range(KERNEL):
            _cell(ax, kw, kh + 0.4, f"{kh},{kw}", PHASE_2D[(kh % STRIDE, kw % STRIDE)])
    ax.text(KERNEL / 2, 0.3, "kw", ha="center", va="bottom", fontsize=9)
    ax.text(-0.2, KERNEL / 2 + 0.4, "kh", ha="right", va="center", fontsize=9)
    ax.text(
        0,
        KERNEL + 1.0,
        f"tap (kh, kw) belongs to phase (kh mod {STRIDE}, kw mod {STRIDE}):\n"
        f"each phase is a {math.ceil(KERNEL / STRIDE)}x{math.ceil(KERNEL / STRIDE)} sub-kernel",
        fontsize=8.5,
        va="top",
    )


def draw_output(ax) -> None:
    n = n_out()
    per_axis = {o: sum(1 for (oo, _) in phase_taps() if oo == o) for o in range(n)}
    _frame(ax, n, n, f"(d) {n}x{n} output from a {N_IN}x{N_IN} input: phase and taps used")
    for oh in range(n):
        for ow in range(n):
            phase = ((oh + PAD) % STRIDE, (ow + PAD) % STRIDE)
            _cell(ax, ow, oh + 0.4, str(per_axis[oh] * per_axis[ow]), PHASE_2D[phase])
    total = sum(per_axis.values()) ** 2
    ax.text(
        0,
        n + 1.0,
        f"pixel (oh, ow) is in phase ((oh+{PAD}) mod {STRIDE}, (ow+{PAD}) mod {STRIDE}) and uses only\n"
        f"that phase's taps in (c); number = taps that reach it inside the input.\n"
        f"{total} products per channel pair; zero insertion computes {(n * KERNEL) ** 2}",
        fontsize=8.5,
        va="top",
    )
    ax.legend(
        handles=[Patch(facecolor=c, label=f"phase {p}") for p, c in PHASE_2D.items()],
        loc="center left",
        bbox_to_anchor=(1.0, 0.5),
        fontsize=8,
        frameon=False,
    )


def make_figure(out: Path = OUT) -> Path:
    """Draw the four panels and write ``out`` atomically."""
    plt.rcParams.update({"hatch.linewidth": 0.6, "font.family": "DejaVu Sans"})
    fig = plt.figure(figsize=(13, 9.2), dpi=90)
    grid = fig.add_gridspec(2, 2, width_ratios=[1.25, 1], height_ratios=[1.15, 1])
    draw_zero_insertion(fig.add_subplot(grid[0, 0]))
    draw_phases(fig.add_subplot(grid[0, 1]))
    draw_kernel(fig.add_subplot(grid[1, 0]))
    draw_output(fig.add_subplot(grid[1, 1]))
    fig.suptitle(
        "ConvTranspose, stride 2, kernel 4x4, pad 1: no multiplication touches an inserted zero",
        fontsize=13,
    )
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".png", dir=out.parent)
    os.close(fd)
    try:
        fig.savefig(tmp, format="png", metadata={"Software": None})
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT)
    print("wrote", make_figure(ap.parse_args().out))


if __name__ == "__main__":
    main()
