"""report.md: what a person reads first after ``make hls``."""

from __future__ import annotations

import re
from typing import Any

from fpgagan.errors import one_line
from fpgagan.report.hls_report import (
    BitExact,
    BoardSummary,
    CostEstimate,
    HlsReport,
    PhotoSr,
    Quality,
)


def _f(x: Any, digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        if x != x:
            return "nan"
        if x in (float("inf"), float("-inf")):
            return "inf" if x > 0 else "-inf"
        return f"{x:,.{digits}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


# what opens markup inside a line of Markdown text: code, emphasis, links and images, table
# cells, strikethrough (and the escape itself); "&", "<" and ">" become entities (no HTML)
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")


def markdown_text(text: object) -> str:
    """``text`` (a user's string, e.g. a board file's ``source``) as plain Markdown text on one
    line: control characters and line breaks escaped, no code span, emphasis, link, table cell
    or HTML tag it could open (it is never at the start of a line, where "#" or "-" would)."""
    line = one_line(str(text))
    line = line.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", line)


def _table(header: list[str], rows: list[list[Any]], digits: int = 2) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_f(c, digits) for c in row) + " |" for row in rows]
    return out


def _inputs(r: HlsReport) -> str:
    return "latents" if r.image_task is None else f"{r.image_task.split}-split input images"


def image_task_section(r: HlsReport) -> list[str]:
    """Scores against ground truth of an image-to-image generator, and its comparison grid."""
    t = r.image_task
    assert t is not None
    patch = any(s.patch_psnr_db is not None for s in t.scores)
    header = ["output", "PSNR (dB)", "SSIM"] + (["PSNR in the patch (dB)"] if patch else [])
    rows = [
        [s.source, f"{s.psnr_db:.2f}", f"{s.ssim:.4f}"]
        + ([f"{s.patch_psnr_db:.2f}" if s.patch_psnr_db is not None else ""] if patch else [])
        for s in t.scores
    ]
    return [
        f"## {t.task}: against ground truth ({t.n_images:,} {t.split}-split images)",
        "",
        *_table(header, rows),
        "",
        f"Baseline: {t.baseline}.",
        "",
        "![input | float | FPGA | ground truth](task_grid.png)",
        "",
        "Columns: input (nearest-upsampled to the output size) | float teacher | FPGA C "
        "simulation | ground truth.",
    ]


def photo_sr_section(p: PhotoSr) -> list[str]:
    """Per photograph: bicubic and the FPGA's Y-PSNR, the FPGA's Y-SSIM and RGB-PSNR (and the
    float teacher's Y-PSNR when there is one), their means, and the crop picture."""
    teacher = p.mean_float is not None
    header = ["photo", "bicubic Y-PSNR (dB)", "FPGA Y-PSNR (dB)", "FPGA Y-SSIM",
              "FPGA RGB-PSNR (dB)"] + (["float Y-PSNR (dB)"] if teacher else [])  # fmt: skip

    def row(name: str, bicubic, fpga, float_teacher) -> list[str]:
        cells = [name, f"{bicubic.y_psnr:.2f}", f"{fpga.y_psnr:.2f}", f"{fpga.y_ssim:.4f}",
                 f"{fpga.rgb_psnr:.2f}"]  # fmt: skip
        return cells + ([f"{float_teacher.y_psnr:.2f}"] if teacher else [])

    rows = [row(markdown_text(s.photo), s.bicubic, s.fpga, s.float_teacher) for s in p.photos]
    rows.append(row("**mean**", p.mean_bicubic, p.mean_fpga, p.mean_float))
    gain = p.mean_fpga.y_psnr - p.mean_bicubic.y_psnr
    return [
        f"## Photographs: x{p.scale} super-resolution ({len(p.photos)} crops of "
        f"{p.width}x{p.height}, held-out photographs)",
        "",
        f"Y-PSNR and Y-SSIM on BT.601 luma, RGB-PSNR on all three channels, 8-bit levels, a "
        f"border of {p.scale} pixels cropped. Mean Y-PSNR, FPGA - bicubic: {gain:+.2f} dB.",
        "",
        *_table(header, rows),
        "",
        f"![bicubic | FPGA | ground truth]({p.picture})",
        "",
        "Columns: bicubic | FPGA C simulation | ground truth (centre crops of the first images).",
    ]


def frame_rate_section(p: PhotoSr) -> list[str]:
    """frames/s at the model's own frame (the flow's plan) and at video frame sizes (plans of
    the same model on the same board with the same settings)."""
    rows = [
        [
            f.label + (" (this plan)" if i == 0 else ""), f"{f.in_width}x{f.in_height}",
            f.interval_cycles, f"{f.frames_per_s:,.1f}", "yes" if f.fits else "**no**", f.limiting,
            f"{f.memory_bits / 1e3:,.1f}", f"{f.buffer_bits / 1e3:,.1f}",
            f"{f.fifo_bits / 1e3:,.1f}",
            {None: "", True: "yes", False: "no"}[f.same_layers], f"{f.plan_s:.1f}",
        ]
        for i, f in enumerate(p.frames)
    ]  # fmt: skip
    clock = p.frames[0].clock_mhz
    return [
        f"## Frames per second ({p.frames[0].board}, {_f(clock, 0)} MHz)",
        "",
        "frames/s = clock / interval. The first row is this project's plan; the others plan the "
        "same model at the input frame that makes each output, on this board with the same "
        "settings (\"same layers\": every engine layer has this plan's parallelism and "
        "schedule). Layer memory (weights, biases, line buffers) and the FIFOs grow with the "
        "frame's width, not its height.",
        "",
        *_table(
            ["output frame", "input frame", "interval (cycles)", "frames/s", "fits", "limit",
             "layer memory (kbit)", "line buffers (kbit)", "FIFOs (kbit)", "same layers",
             "plan s"],
            rows,
        ),
    ]  # fmt: skip


def render_markdown(r: HlsReport) -> str:
    """report.md: the outcome first, then each section the report has."""
    lines = [*_overview(r), "", *_vs_float_section(r)]
    if r.quality is not None:
        lines += ["", *_quality_section(r.quality)]
    if r.image_task is not None:
        lines += ["", *image_task_section(r)]
    if r.photo_sr is not None:
        lines += ["", *photo_sr_section(r.photo_sr)]
        if r.photo_sr.frames:
            lines += ["", *frame_rate_section(r.photo_sr)]
    if r.per_layer_error:
        lines += ["", *_per_layer_section(r)]
    if r.skipped:
        lines += ["", *_skipped_section(r)]
    lines += ["", *cost_section(r), "", *_synthesis_section(r), "", *_footer(r)]
    return "\n".join(lines)


def _verdict(ex: BitExact) -> str:
    if ex.exact:
        return "**bit-exact**"
    return f"**NOT bit-exact** ({ex.mismatching_elements} elements differ)"


def _overview(r: HlsReport) -> list[str]:
    """The title, one bullet per outcome (board, exactness, estimate, project, test bench) and
    the float | FPGA | difference picture."""
    b, c, ex, h = r.board, r.cost, r.bit_exact, r.csim
    return [
        f"# fpgagan report: {r.model} on {b.name}",
        "",
        f"- Board: {b.name} ({b.part}, {_f(b.clock_mhz, 0)} MHz, hls4ml backend {h.backend}); "
        f"resources from {markdown_text(b.source)}",
        f"- C simulation of {r.n_latents:,} {_inputs(r)} vs {ex.reference}: {_verdict(ex)}, "
        f"{ex.mismatching_elements} of {ex.elements:,} output elements differ; vs the "
        f"{r.bit_exact_independent.reference}: {r.bit_exact_independent.mismatching_elements} differ",
        f"- Estimated design: {'fits' if c.fits else 'does NOT fit'} by the count of everything "
        f"it instantiates (limiting resource: {c.limiting}), {_f(c.images_per_s, 0)} images/s "
        f"at {_f(b.clock_mhz, 0)} MHz (interval {_f(c.interval_cycles)} cycles), "
        f"{_f(c.gops, 1)} GOPS; DSP-only roofline {_f(c.dsp_roofline_images_per_s, 0)} images/s "
        f"({b.dsp} DSP x clock / {c.totals.macs:,} MACs; LUT multipliers can exceed it)",
        f"- HLS project: `{h.project}` ({h.io_type}), C simulation built in {_f(h.build_s, 1)} s, "
        f"ran at {_f(h.images_per_s, 0)} images/s",
        f"- Test bench data: the first {h.test_bench_samples:,} of the {r.n_latents:,} {_inputs(r)} "
        "and their C-simulated images in `hls_project/tb_data/` (`tb_input_features.dat`, "
        "`tb_output_predictions.dat`: one sample per line, in the layouts the C top function "
        "sees), for a C simulation or co-simulation in the vendor tool",
        "",
        "![float | FPGA csim | |difference|](float_vs_fpga.png)",
        "",
        f"Columns: {'float teacher' if r.vs_float else 'quantized reference (qonnx)'} | FPGA C "
        f"simulation | |difference| (heat map, white = {_f(r.heat_map_scale, 3)}).",
    ]


def _vs_float_section(r: HlsReport) -> list[str]:
    """The C simulation against the float teacher, when one was given."""
    lines = ["## Against the float model", ""]
    v = r.vs_float
    if v is None:
        return [
            *lines,
            "No float teacher given (use --teacher): only the quantized reference is compared.",
        ]
    row = [f"{v.psnr_db:.2f}", f"{v.ssim:.4f}", f"{v.max_abs_error:.4f}"]
    return lines + _table(["PSNR (dB)", "SSIM", "max abs error"], [row])


def _quality_section(q: Quality) -> list[str]:
    """FID-FMNIST and the classifier IS of a latent-to-image generator's images."""
    return [
        f"## Image quality ({q.metric}, {q.n_samples:,} samples vs the test split)",
        "",
        f"{q.metric_note}. Lower FID is better; the floor is real training images.",
        "",
        *_table(
            ["images", "FID-FMNIST", "classifier IS"],
            [[name, s.fid, s.inception_score] for name, s in q.rows()],
        ),
    ]


def _per_layer_section(r: HlsReport) -> list[str]:
    """Each layer's output in the C simulation against the float teacher's."""
    rows = [
        [e.layer, e.elements, round(e.rmse, 5), e.max_abs, e.sqnr_db] for e in r.per_layer_error
    ]
    return [
        "## Per-layer error, float teacher vs FPGA",
        "",
        *_table(["layer", "elements", "RMSE", "max abs", "SQNR (dB)"], rows),
    ]


def _skipped_section(r: HlsReport) -> list[str]:
    """What the flow did not score for this model, each with its reason."""
    return [
        "## Not scored",
        "",
        *[f"- {markdown_text(s.name)}: {markdown_text(s.reason)}" for s in r.skipped],
    ]


def _synthesis_section(r: HlsReport) -> list[str]:
    s = r.synthesis
    if s.get("ran"):
        body = _synthesis_table(s.get("report") or {}, r.cost)
    else:
        body = [f"Not run: {s['reason']}; the figures above are the cost model's estimates."]
    return ["## Synthesis", "", *body]


def _footer(r: HlsReport) -> list[str]:
    """Who wrote the report, from which commit, and how long each step took."""
    steps = ", ".join(f"{k} {_f(v, 0)} s" for k, v in r.step_s.items())
    return [
        f"_Generated by fpgagan {r.provenance['versions'].get('fpgagan')} "
        f"(git {r.provenance['git_commit']}) in {_f(r.wall_s, 0)} s ({steps})._",
        "",
    ]


def cost_section(r: HlsReport) -> list[str]:
    """The cost model: per layer, per building block, FIFOs, totals against the board."""
    c = r.cost
    return [
        "## Cost model (estimates: a count of every instance the project has)",
        "",
        *_layer_table(c),
        "",
        f"Pipeline: interval {_f(c.interval_cycles)} cycles (slowest layer "
        f"{_f(c.slowest_layer_cycles)}), latency {_f(c.latency_cycles)} cycles; FIFO depths "
        f"{', '.join(map(str, c.fifo_depths)) or 'none'} (sized by simulating the stream "
        "pipeline).",
        *_ddr(c),
        "",
        *_whole_design_table(c, r.board),
        "",
        *_instances(c),
        *_unit_costs(c),
    ]


def _ddr(c: CostEstimate) -> list[str]:
    """The off-chip layers' DDR traffic, when a layer's weights are in DDR."""
    if not c.ddr_bytes_per_image:
        return []
    return [
        "",
        f"Weights off chip: {_f(c.ddr_bytes_per_image)} bytes read from DDR per image, "
        f"{_f(c.ddr_gb_s, 2)} GB/s at {_f(c.images_per_s, 0)} images/s of the board's "
        f"{_f(c.ddr_sustained_gb_s, 2)} GB/s sustained; the DDR needs {_f(c.ddr_cycles)} cycles "
        "per image.",
    ]


def _layer_table(c: CostEstimate) -> list[str]:
    """One row per layer: its kernel, schedule, parallelism, cycles and resources."""
    return _table(
        ["layer", "kernel", "schedule", "lanes (n_par x k_par)", "multipliers/output",
         "DSP lanes", "steps/pixel", "MACs", "lane use", "cycles (in + compute + refill)", "LUT",
         "FF", "DSP", "BRAM_18K"],
        [
            [
                lc.name, lc.kernel, lc.schedule, f"{lc.lanes} ({lc.n_par} x {lc.k_par})",
                lc.mults_per_output, lc.dsp_lanes, lc.n_steps, lc.macs, f"{100 * lc.lane_use:.0f}%",
                f"{lc.cycles:,} ({lc.cycles_stream_in:,} + {lc.cycles_compute:,} + {lc.cycles_refill:,})",
                round(lc.lut), round(lc.ff), round(lc.dsp), round(lc.bram_18k),
            ]
            for lc in c.layers
        ],
    )  # fmt: skip


def _whole_design_table(c: CostEstimate, b: BoardSummary) -> list[str]:
    """Each resource: the accelerator, the system around it, both, against the board."""
    lines = [
        "The whole design (accelerator + system):",
        "",
        "| resource | accelerator | system | whole design | board | usage | limit |",
        "|---|---|---|---|---|---|---|",
    ]
    avail = {"lut": b.lut, "ff": b.ff, "dsp": b.dsp, "bram_18k": b.bram_18k + 16 * b.uram}
    acc = c.accelerator or c.totals
    for key in ("lut", "ff", "dsp", "bram_18k"):
        whole, alone = getattr(c.totals, key), getattr(acc, key)
        lines.append(
            f"| {key} | {_f(alone, 0)} | {_f(whole - alone, 0)} | {_f(whole, 0)} | "
            f"{_f(avail[key])} | {_f(c.usage[key] * 100, 1)}% | "
            f"{_f(c.utilisation_limits[key] * 100, 0)}% |"
        )
    return lines


def _instances(c: CostEstimate) -> list[str]:
    """What each layer, stage, FIFO and the system instantiate, block by block."""
    lines = ["### What each layer instantiates", ""]
    for lc in c.layers:
        lines += [f"**{lc.name}** ({lc.kernel})", "", *_items(lc.items), ""]
    for st in c.stages:
        lines += [f"**{st.name}** ({st.kind}, {_f(st.cycles)} cycles per image)", ""]
        lines += [*_items(st.items), ""]
    if c.fifos:
        lines += ["**FIFOs between layers**", "", *_items(c.fifos), ""]
        if c.streams:
            pairs = zip(c.streams, c.fifo_depths, strict=True)
            lines += ["Streams: " + "; ".join(f"{s} ({d})" for s, d in pairs), ""]
    if c.system:
        lines += ["### The system (the board design around the accelerator)", ""]
        lines += [*_items(c.system), ""]
    return lines


def _unit_costs(c: CostEstimate) -> list[str]:
    """Where the unit costs come from, and the estimate's notes."""
    u = c.unit_costs
    return [
        f"Unit costs: {u.get('yosys_version', 'n/a')}, `{u.get('command', 'n/a')}` "
        f"(measured {u.get('date', 'n/a')}).",
        "",
        *[f"- {n}" for n in c.notes],
    ]


def _items(items) -> list[str]:
    return _table(
        ["block", "count", "LUT", "FF", "DSP", "BRAM_18K", "source"],
        [[i.what, i.count, round(i.lut), round(i.ff), round(i.dsp), round(i.bram_18k), i.source]
         for i in items],
    )  # fmt: skip


# hls4ml's C-synthesis report keys -> the cost model's totals
_SYNTH_KEYS = {"DSP": "dsp", "DSP48E": "dsp", "LUT": "lut", "FF": "ff", "BRAM_18K": "bram_18k"}


def _synthesis_table(report: dict[str, Any], c: CostEstimate) -> list[str]:
    """Estimate and synthesis report side by side (hls4ml's parsed CSynthesisReport)."""
    synth = report.get("CSynthesisReport", report)
    rows = [
        [key, round(getattr(c.accelerator or c.totals, ours)), synth[key]]
        for key, ours in _SYNTH_KEYS.items()
        if key in synth
    ]
    latency = [
        [k, "", synth[k]]
        for k in ("BestLatency", "WorstLatency", "IntervalMin", "IntervalMax")
        if k in synth
    ]
    if not rows and not latency:
        return ["Synthesis ran, but its report had no resource figures fpgagan could read."]
    return _table(
        ["figure", "cost model estimate (accelerator)", "synthesis report"], rows + latency
    )
