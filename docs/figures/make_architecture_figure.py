"""Draw docs/figures/architecture.png: fpgagan's stages and the artefacts they hand on.

    .venv/bin/python docs/figures/make_architecture_figure.py [--out PATH]

One column per stage of the library, in the order data flows (:data:`STAGES`, the order
tests/test_layering.py enforces on imports); every artefact sits in the column of the stage that
makes it, and the arrows say which call turns one into the next.  Beside it: ``cli`` and
``workflows``, which compose the stages, and the board flow's steps (``fpgagan hls``).  The PNG
carries no timestamp or version, so the same matplotlib writes the same bytes.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

OUT = Path(__file__).resolve().parent / "architecture.png"

# the data flow of the package (tests/test_layering.py checks this is its import order)
STAGES = (
    "data",
    "models",
    "train",
    "compress",
    "export",
    "hw",
    "hls",
    "shell",
    "sim",
    "report",
    "workflows",
    "cli",
)
COLUMNS = STAGES[:10]  # the library's stages; workflows and cli compose them

# Okabe-Ito colours (safe for colour-blind readers), one per column
COLOUR = {
    "data": "#999999",
    "models": "#E69F00",
    "train": "#56B4E9",
    "compress": "#009E73",
    "export": "#F0E442",
    "hw": "#882255",
    "hls": "#0072B2",
    "shell": "#44AA99",
    "sim": "#D55E00",
    "report": "#CC79A7",
    "workflows": "#555555",
    "cli": "#555555",
}

COL_W, ROW_H = 2.0, 1.0  # grid pitch in data units
BOX_W, BOX_H = 1.82, 0.74

# (key, stage, row, text): the artefacts of the main chain, in order
CHAIN = (
    ("fmnist", "data", 0, "Fashion-MNIST\n(N, 1, 28, 28) in [-1, 1]"),
    ("teacher", "train", 2, "float teacher checkpoint\nteacher.pt"),
    ("student", "train", 3, "QAT student checkpoint\ngenerator.pt"),
    ("qonnx", "export", 4, "standard QONNX (NCHW)\ngenerator.onnx"),
    ("hwgraph", "hls", 5, "channels-last\nhardware graph"),
    ("hlsmodel", "hls", 6, "hls4ml model with\nengine layers (Fg*)"),
    ("project", "hls", 7, "HLS project: firmware/,\nfirmware/weights/fg_<i>.h"),
    ("library", "sim", 8, "C simulation library\n(g++, ctypes)"),
    ("report", "report", 9, "report.json\nreport.md"),
)
# (from, to, label, where the label goes): the call that turns one artefact into the next;
# "left" of the arrow's vertical part, or "below" its horizontal part
STEPS = (
    ("fmnist", "teacher", "train.run_phase\n(models.Generator)", "below"),
    ("teacher", "student", "fold batch-norm, QAT\n(train.run_phase)", "left"),
    ("student", "qonnx", "export.to_qonnx", "left"),
    ("qonnx", "hwgraph", "hls.hardware_graph\n(export.clean_for_hls)", "left"),
    ("hwgraph", "hlsmodel", "hls.convert + passes", "left"),
    ("hlsmodel", "project", "hls4ml write\n+ fpgagan_write_roms", "left"),
    ("project", "library", "sim.build_csim\n(compile_project)", "left"),
    ("library", "report", "CSim.predict vs qonnx,\nreport.render", "left"),
)
# (stage, row, text, keys of the chain artefacts it serves): what a stage lends to a step
HELPERS = (
    ("models", 1, "Generator (float teacher /\nBrevitas student),\nDiscriminator", ("teacher",)),
    ("compress", 2, "pruning masks, Distiller\n(hooks into train)", ("student",)),
    ("hw", 4, "EngineShape -> cost, FIFOs,\nplan (no hls4ml, no qonnx)", ("hlsmodel",)),
    ("shell", 6, "AXI top + test bench,\nbuild/design Tcl, driver,\npragma check", ("project",)),
)  # fmt: skip

# the board flow (workflows.hls_flow.STEPS): step, what it uses, what it writes
BOARD_FLOW = (
    ("plan", "hls.convert (probe)\nhw.plan.make_plan", "plan.json"),
    ("build", "sim.build_csim\nhw.plan.evaluate", "hls_project/"),
    ("verify", "CSim.predict vs\nexport.reference_outputs", "csim_images.npy\nhls_project/tb_data/"),
    ("score", "report.quality\nreport.image_metrics", "float_vs_fpga.png"),
    ("summarise", "report.estimate\nreport.render", "report.json\nreport.md"),
)  # fmt: skip

FONT = 8


def centre(stage: str, row: float) -> tuple[float, float]:
    return COLUMNS.index(stage) * COL_W, row * ROW_H


def _box(ax, x, y, text, edge, face="white", w=BOX_W, h=BOX_H, size=FONT, weight="normal"):
    """A rounded box with ``text`` in it; box and text share a gid (see :func:`overlaps`)."""
    gid = f"box{len(ax.patches)}"
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=face,
            edgecolor=edge,
            linewidth=1.6,
            gid=gid,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=size, weight=weight, gid=gid)


def _arrow(ax, points, dashed: bool = False, colour: str = "black") -> None:
    """A polyline through ``points`` ending in an arrow head."""
    style = dict(color=colour, lw=1.2, ls=(0, (3, 2)) if dashed else "-")
    xs, ys = zip(*points, strict=True)
    ax.plot(xs[:-1] + (xs[-1],), ys, **style, solid_capstyle="butt")
    ax.annotate(
        "",
        xy=points[-1],
        xytext=points[-2],
        arrowprops=dict(arrowstyle="-|>", color=colour, lw=1.2, shrinkA=0, shrinkB=0),
    )


def draw_stages(ax) -> None:
    """Column headers, the chain of artefacts and the helpers lent to it."""
    for stage in COLUMNS:
        x, _ = centre(stage, 0)
        _box(ax, x, -1.1, f"{stage}/", COLOUR[stage], COLOUR[stage] + "55", h=0.5, size=10,
             weight="bold")  # fmt: skip
    at = {key: centre(stage, row) for key, stage, row, _ in CHAIN}
    for key, stage, _row, text in CHAIN:
        _box(ax, *at[key], text, COLOUR[stage])
    for src, dst, label, where in STEPS:
        (x0, y0), (x1, y1) = at[src], at[dst]
        if x0 == x1:  # same stage: straight down
            points = [(x0, y0 + BOX_H / 2), (x1, y1 - BOX_H / 2)]
        else:  # elbow: down out of the box, then right into the next one
            points = [(x0, y0 + BOX_H / 2), (x0, y1), (x1 - BOX_W / 2, y1)]
        _arrow(ax, points)
        if where == "left":  # beside the boxes for a straight arrow, whose gap is short
            ax.text(x0 - (BOX_W / 2 + 0.08 if x0 == x1 else 0.12), (points[0][1] + points[1][1]) / 2, label, ha="right",
                    va="center", fontsize=FONT - 0.5, style="italic")  # fmt: skip
        else:
            ax.text(x0 + 0.12, y1 + 0.1, label, ha="left", va="top", fontsize=FONT - 0.5,
                    style="italic")  # fmt: skip
    for stage, row, text, serves in HELPERS:
        hx, hy = centre(stage, row)
        _box(ax, hx, hy, text, COLOUR[stage], face="#F4F4F4")
        for key in serves:
            tx, ty = at[key]
            if tx < hx:  # down, then left into its right side
                points = [(hx, hy + BOX_H / 2), (hx, ty), (tx + BOX_W / 2, ty)]
            elif ty == hy + ROW_H:  # right, then down into its top
                points = [(hx + BOX_W / 2, hy), (tx - 0.45, hy), (tx - 0.45, ty - BOX_H / 2)]
            else:  # down, then right into its left side
                points = [(hx, hy + BOX_H / 2), (hx, ty), (tx - BOX_W / 2, ty)]
            _arrow(ax, points, dashed=True, colour=COLOUR[stage])


def draw_composition(ax) -> None:
    """cli -> workflows, in the free corner top right."""
    x0 = centre("hls", 0)[0] - BOX_W / 2
    x1 = centre("report", 0)[0] + BOX_W / 2
    xm = (x0 + x1) / 2
    _box(ax, xm, 0.0, "cli.py  (fpgagan train-qat | export | csim | hls | train-classifier):\n"
         "parses, calls workflows, turns FpgaganError into one line + exit code",
         COLOUR["cli"], "#EEEEEE", w=x1 - x0, h=0.74)  # fmt: skip
    _arrow(ax, [(xm, 0.37), (xm, 0.88)])
    _box(ax, xm, 1.63, "workflows/  compose the stages:\n"
         "train_qat (teacher -> QAT student), export (checkpoint -> QONNX, checked),\n"
         "csim (any QONNX -> C simulation, checked), hls_flow (the board flow below),\n"
         "compression (every recipe through train_qat and hls_flow: table, Pareto)",
         COLOUR["workflows"], "#EEEEEE", w=x1 - x0, h=1.5)  # fmt: skip


def draw_board_flow(ax) -> None:
    """The steps of ``fpgagan hls`` in the free corner bottom left."""
    top = 5.0
    ax.text(-BOX_W / 2, top - 0.55, "board flow: fpgagan hls / make hls (workflows.hls_flow.STEPS)",
            fontsize=FONT + 1.5, weight="bold", va="center")  # fmt: skip
    for i, (step, uses, writes) in enumerate(BOARD_FLOW):
        y = top + 0.1 + i * 0.95
        _box(ax, 0.0, y, step, COLOUR["workflows"], "#EEEEEE", w=1.2, h=0.6, size=FONT + 1,
             weight="bold")  # fmt: skip
        ax.text(0.75, y, uses, ha="left", va="center", fontsize=FONT - 0.5, style="italic")
        ax.text(3.0, y, writes, ha="left", va="center", fontsize=FONT, family="monospace")
        if i + 1 < len(BOARD_FLOW):
            _arrow(ax, [(0.0, y + 0.3), (0.0, y + 0.65)])
    ax.text(0.75, top + 0.1 + len(BOARD_FLOW) * 0.95 - 0.35,
            "built in a hidden sibling of the output folder, swapped in whole at the end",
            fontsize=FONT - 0.5, va="center")  # fmt: skip


def draw_legend(ax) -> None:
    x, y = centre("sim", 0)[0] - BOX_W / 2 + 0.2, 3.7
    _arrow(ax, [(x, y), (x + 0.6, y)])
    ax.text(x + 0.75, y, "artefact -> artefact (italics: the call)", va="center", fontsize=FONT)
    _arrow(ax, [(x, y + 0.4), (x + 0.6, y + 0.4)], dashed=True, colour="#777777")
    ax.text(x + 0.75, y + 0.4, "lends code to the step", va="center", fontsize=FONT)


def draw() -> plt.Figure:
    """The whole figure (the caller closes it)."""
    plt.rcParams.update({"font.family": "DejaVu Sans"})
    fig = plt.figure(figsize=(17.2, 9.6), dpi=90)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.93))
    ax.set_xlim(-BOX_W / 2 - 0.15, (len(COLUMNS) - 1) * COL_W + BOX_W / 2 + 0.15)
    ax.set_ylim(9.55, -1.45)
    ax.axis("off")
    draw_stages(ax)
    draw_composition(ax)
    draw_board_flow(ax)
    draw_legend(ax)
    fig.suptitle(
        "fpgagan: one stage per package, data flowing one way (" + " -> ".join(STAGES) + ")",
        fontsize=13,
    )
    return fig


def overlaps(fig: plt.Figure) -> list[str]:
    """Texts that collide, as rendered: two texts that touch, a text inside another's box, a
    box's text that does not fit it, anything outside the figure."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    texts = [(t, t.get_window_extent(renderer)) for t in ax.texts if t.get_text()]
    boxes = {p.get_gid(): p.get_window_extent(renderer) for p in ax.patches if p.get_gid()}
    page = fig.bbox
    problems = []
    for i, (t, ext) in enumerate(texts):
        name = t.get_text().splitlines()[0]
        if not (
            page.x0 <= ext.x0 and ext.x1 <= page.x1 and page.y0 <= ext.y0 and ext.y1 <= page.y1
        ):
            problems.append(f"{name!r} leaves the figure")
        own = boxes.get(t.get_gid())
        if own is not None and not (
            own.x0 < ext.x0 and ext.x1 < own.x1 and own.y0 < ext.y0 and ext.y1 < own.y1
        ):
            problems.append(f"{name!r} does not fit its box")
        for gid, box in boxes.items():
            if gid != t.get_gid() and ext.overlaps(box):
                problems.append(f"{name!r} runs into box {gid}")
        for other, ext2 in texts[i + 1 :]:
            if ext.overlaps(ext2):
                problems.append(f"{name!r} touches {other.get_text().splitlines()[0]!r}")
    return problems


def make_figure(out: Path = OUT) -> Path:
    """Draw the figure and write ``out`` atomically."""
    fig = draw()
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
