"""Pareto front of (compression ratio, FID) points and its plot."""

from __future__ import annotations

import os
from collections.abc import Sequence


def pareto_front(points: Sequence[tuple[float, float]]) -> set[int]:
    """Indices of the points no other point beats: higher compression and lower FID (one strictly)."""
    front = set()
    for i, (ci, fi) in enumerate(points):
        dominated = any(
            cj >= ci and fj <= fi and (cj > ci or fj < fi)
            for j, (cj, fj) in enumerate(points)
            if j != i
        )
        if not dominated:
            front.add(i)
    return front


def pareto_plot(
    points: Sequence[tuple[str, float, float, bool]],
    path: str | os.PathLike[str],
    teacher_fid: float | None = None,
    targets: Sequence[tuple[float, float]] = (),
    y_label: str = "FID-FMNIST (lower is better)",
) -> None:
    """Scatter of FID-FMNIST (or ``y_label``'s score) against compression (log x), the front
    joined, targets shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 4.8), dpi=110)
    for (label, c, f, on_front), rank in zip(points, label_ranks(points), strict=True):
        ax.scatter(c, f, s=46, color="tab:red" if on_front else "tab:gray", zorder=3)
        # labels of points that (nearly) coincide are stacked, one line each
        ax.annotate(label, (c, f), textcoords="offset points", xytext=(5, 4 - 9 * rank), fontsize=7)
    front = sorted((c, f) for _, c, f, on in points if on)
    if front:
        ax.plot(*zip(*front, strict=True), color="tab:red", lw=1.2, label="Pareto front", zorder=2)
    if teacher_fid is not None:
        # targets: the labels sit on the axes' edges (axes-fraction coordinates), clear of the points
        for ratio, fid_factor in targets:
            ax.axvline(ratio, color="tab:blue", lw=0.6, ls=":")
            ax.axhline(teacher_fid * fid_factor, color="tab:blue", lw=0.6, ls=":")
            ax.text(ratio, 1.01, f"{ratio:g}x", transform=ax.get_xaxis_transform(), fontsize=7,
                    color="tab:blue", ha="center", va="bottom")  # fmt: skip
            ax.text(1.01, teacher_fid * fid_factor, f"{fid_factor}x teacher", fontsize=7,
                    transform=ax.get_yaxis_transform(), color="tab:blue", va="center")  # fmt: skip
    ax.set_xscale("log", base=2)
    ax.set_xlabel("compression ratio (float32 weight bits / stored bits)")
    ax.set_ylabel(y_label)
    ax.grid(True, which="both", lw=0.3)
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")
    plt.close(fig)


def label_ranks(
    points: Sequence[tuple[str, float, float, bool]],
    near_octaves: float = 0.6,
    near_y: float = 0.03,
) -> list[int]:
    """For each point, how many earlier points sit at about its height (within ``near_y`` of the
    scores' span) and within ``near_octaves`` of compression, about a label's width on the plot:
    their labels would overlap."""
    import math

    ys = [f for _, _, f, _ in points]
    y_span = max(ys) - min(ys) if ys else 0.0
    ranks: list[int] = []
    for i, (_, c, f, _) in enumerate(points):
        ranks.append(
            sum(
                abs(math.log2(c) - math.log2(cj)) < near_octaves
                and abs(f - fj) <= near_y * max(y_span, 1e-9)
                for _, cj, fj, _ in points[:i]
            )
        )
    return ranks
