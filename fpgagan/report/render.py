"""report.md: what a person reads first after ``make hls``."""

from __future__ import annotations

from typing import Any


def _f(x: Any, digits: int = 2) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return "inf" if x == float("inf") else f"{x:,.{digits}f}"
    if isinstance(x, int):
        return f"{x:,}"
    return str(x)


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(_f(c) for c in row) + " |" for row in rows]
    return out


def render_markdown(r: dict[str, Any]) -> str:
    b, c, q, ex = r["board"], r["cost"], r["quality"], r["bit_exact"]
    verdict = (
        "**bit-exact**"
        if ex["mismatching_elements"] == 0
        else f"**NOT bit-exact** ({ex['mismatching_elements']} elements differ)"
    )
    lines = [
        f"# fpgagan report: {r['model']} on {b['name']}",
        "",
        f"- Board: {b['name']} ({b['part']}, {_f(b['clock_mhz'], 0)} MHz, hls4ml backend {r['hls']['backend']}); "
        f"resources from {b['source']}",
        f"- C simulation of {r['n_latents']:,} latents vs {ex['reference']}: {verdict}, "
        f"{ex['mismatching_elements']} of {ex['elements']:,} output elements differ",
        f"- Estimated design: {'fits' if c['fits'] else 'does NOT fit'} (limiting resource: {c['limiting']}), "
        f"{_f(c['images_per_s'], 0)} images/s at {_f(b['clock_mhz'], 0)} MHz = "
        f"{_f(c['fraction_of_roofline'] * 100 if c['fraction_of_roofline'] else None, 0)}% of the DSP-only roofline "
        f"({_f(c['dsp_roofline_images_per_s'], 0)} images/s = {b['resources']['dsp']} DSP x clock / "
        f"{c['totals']['macs']:,} MACs; low-bit multipliers built from LUTs can exceed it), "
        f"{_f(c['gops'], 1)} GOPS",
        f"- HLS project: `{r['hls']['project']}` ({r['hls']['io_type']}, {r['hls']['strategy']}), "
        f"C simulation built in {_f(r['hls']['build_s'], 1)} s, ran at {_f(r['hls']['csim_images_per_s'], 0)} images/s",
        _test_bench_line(r),
        "",
        "![float | FPGA csim | |difference|](float_vs_fpga.png)",
        "",
        f"Columns: float teacher | FPGA C simulation | |difference| (heat map, white = {_f(r['heat_map_scale'], 3)}).",
        "",
        "## Against the float model",
        "",
    ]
    if r["vs_float"]:
        v = r["vs_float"]
        lines += _table(
            ["PSNR (dB)", "SSIM", "max abs error"],
            [[v["psnr_db"], round(v["ssim"], 4), v["max_abs_error"]]],
        )
    else:
        lines.append(
            "No float teacher given (use --teacher): only the quantized reference is compared."
        )
    lines += [
        "",
        f"## Image quality ({r['metric']}, {q['n_samples']:,} samples vs the test split)",
        "",
        f"{r['metric_note']}. Lower FID is better; the floor is real training images.",
        "",
    ]
    rows = [[k.replace("_", " "), v["fid"], v["is"]] for k, v in q.items() if isinstance(v, dict)]
    lines += _table(["images", "FID-FMNIST", "classifier IS"], rows)
    if r["per_layer_error"]:
        lines += ["", "## Per-layer error, float teacher vs FPGA", ""]
        lines += _table(
            ["layer", "elements", "RMSE", "max abs", "SQNR (dB)"],
            [
                [e["layer"], e["elements"], round(e["rmse"], 5), e["max_abs"], e["sqnr_db"]]
                for e in r["per_layer_error"]
            ],
        )
    lines += ["", "## Cost model (estimates)", ""]
    lines += _table(
        [
            "layer",
            "kind",
            "MACs",
            "BOPs",
            "W/A bits",
            "reuse",
            "multipliers",
            "DSP",
            "LUT",
            "BRAM_18K",
            "cycles/image",
        ],
        [
            [
                lc["name"],
                lc["kind"],
                lc["macs"],
                lc["bops"],
                f"{lc['weight_bits']}/{lc['input_bits']}",
                lc["reuse_factor"],
                f"{lc['multipliers']} ({lc['multiplier_kind']})",
                lc["dsp"],
                lc["lut"],
                lc["bram_18k"],
                lc["cycles"],
            ]
            for lc in c["layers"]
        ],
    )
    res = b["resources"]
    lines += ["", "| resource | estimate | board | usage | limit |", "|---|---|---|---|---|"]
    for key, avail in (
        ("dsp", res["dsp"]),
        ("lut", res["lut"]),
        ("ff", res["ff"]),
        ("bram_18k", res["bram_18k"]),
    ):
        lines.append(
            f"| {key} | {_f(c['totals'][key])} | {_f(avail)} | {_f(c['usage'][key] * 100, 1)}% | "
            f"{_f(c['utilisation_limits'][key] * 100, 0)}% |"
        )
    lines += [
        "",
        f"Initiation interval {_f(c['interval_cycles'])} cycles, latency {_f(c['latency_cycles'])} cycles.",
        "",
        "Assumptions:",
        "",
    ] + [f"- {a}" for a in c["assumptions"]]
    s = r["synthesis"]
    lines += ["", "## Synthesis", ""]
    if s.get("ran"):
        lines += _synthesis_table(s.get("report") or {}, c["totals"])
    else:
        lines.append(f"Not run: {s['reason']}; the figures above are the cost model's estimates.")
    lines += [
        "",
        f"_Generated by fpgagan {r['provenance']['versions'].get('fpgagan')} "
        f"(git {r['provenance']['git_commit']}) in {_f(r['wall_s'], 0)} s._",
        "",
    ]
    return "\n".join(lines)


def _test_bench_line(r: dict[str, Any]) -> str:
    return (
        f"- Test bench data: the first {r['hls']['test_bench_samples']:,} of the {r['n_latents']:,} "
        "latents and their C-simulated images in `hls_project/tb_data/` (`tb_input_features.dat`, "
        "`tb_output_predictions.dat`: one sample per line, in the layouts the C top function sees), "
        "for a C simulation or co-simulation in the vendor tool"
    )


# hls4ml's C-synthesis report keys -> the cost model's totals
_SYNTH_KEYS = {"DSP": "dsp", "DSP48E": "dsp", "LUT": "lut", "FF": "ff", "BRAM_18K": "bram_18k"}


def _synthesis_table(report: dict[str, Any], totals: dict[str, Any]) -> list[str]:
    """Estimate and synthesis report side by side (hls4ml's parsed CSynthesisReport)."""
    synth = report.get("CSynthesisReport", report)
    rows = [[key, totals[ours], synth[key]] for key, ours in _SYNTH_KEYS.items() if key in synth]
    latency = [
        [k, "", synth[k]]
        for k in ("BestLatency", "WorstLatency", "IntervalMin", "IntervalMax")
        if k in synth
    ]
    if not rows and not latency:
        return ["Synthesis ran, but its report had no resource figures fpgagan could read."]
    return _table(["figure", "cost model estimate", "synthesis report"], rows + latency)
