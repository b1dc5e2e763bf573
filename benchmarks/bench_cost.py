"""The cost model against yosys and against published FPGA designs, measured in one run:

1. a sample of the unit table re-synthesised with yosys through tools/calibrate_costs.py's own
   functions, the table's figures beside the fresh ones (skipped without yosys on PATH);
2. every design of docs/published_designs.yaml the cost model can express, described with its
   building blocks (benchmarks/published_finn.py, benchmarks/published_hls4ml.py say how):
   estimate / published per resource (BRAM in BRAM_18K), the ratio and what it means; the
   designs it cannot express, with the reason.

    python benchmarks/bench_cost.py [--units 4] [--seed 0]
    python benchmarks/bench_cost.py --markdown      # the docs/hardware.md section, no yosys

Nothing here is tuned to the published figures: the unit costs are the measured table, the
counting rules are the cost model's, and the structure comes from the designs' sources.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
from collections import defaultdict
from pathlib import Path

# the helpers (benchmarks.published_*) and tools.calibrate_costs live beside fpgagan, not in it
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import published_finn, published_hls4ml  # noqa: E402
from benchmarks.published_common import (  # noqa: E402
    LABELS,
    Estimate,
    Unexpressed,
    fmt_ratio,
    load_designs,
    meaning,
    ratio,
)
from fpgagan.hw import unit_costs as U  # noqa: E402
from fpgagan.hw.cost import RESOURCES, Res  # noqa: E402

# memories past this many bits are left out of the yosys sample (their synthesis takes minutes);
# mult_const units are too (one synthesis per constant)
SAMPLE_MAX_BITS = 8192
TABLE_FIELDS = ("lut", "ff", "carry4", "dsp", "bram_18k", "muxf")


# ----------------------------------------------------------------------------- 1. unit table


def _sampleable(unit) -> bool:
    if len(unit.designs()) != 1:
        return False
    p = unit.params
    return "d" not in p or p["d"] * p["w"] <= SAMPLE_MAX_BITS


def unit_check(n: int, seed: int) -> list[str]:
    """Lines: a seeded sample of table units, table counts beside a fresh yosys synthesis."""
    from tools import calibrate_costs as cc

    if shutil.which("yosys") is None:
        return ["yosys is not on PATH: the unit table is not re-synthesised (part 1 skipped)"]
    table = cc.load_table()
    if table is None:
        return [f"{cc.TABLE} does not exist: nothing to check (part 1 skipped)"]
    stored = cc.table_entries(table)
    population = [u for u in cc.all_units() if u.name in stored and _sampleable(u)]
    sample = random.Random(seed).sample(population, min(n, len(population)))
    measured, dropped = cc.measure_units(sample, jobs=1, limit_s=None)
    head = "/".join(f.upper() for f in TABLE_FIELDS)
    lines = [
        f"table: {table['yosys_version']} ({table['date']}); now: {cc.yosys_version()}",
        f"{'unit':36} {'table ' + head:>44} {'yosys now':>20}  same",
    ]
    for unit in sample:
        old = stored[unit.name]["counts"]
        new = measured.get(unit.name, {}).get("counts")
        old_s = "/".join(f"{old[f]:g}" for f in TABLE_FIELDS)
        new_s = "/".join(f"{new[f]:g}" for f in TABLE_FIELDS) if new else "dropped"
        lines.append(f"{unit.name:36} {old_s:>44} {new_s:>20}  {'yes' if new == old else 'NO'}")
    lines += [f"dropped: {d['name']}: {d['reason']}" for d in dropped]
    return lines


# ----------------------------------------------------------------------------- 2. designs


def all_estimates() -> list[Estimate | Unexpressed]:
    designs = load_designs()
    out = published_finn.estimates(designs) + published_hls4ml.estimates(designs)
    for name, entry in designs.items():
        if entry.get("framework") not in ("finn", "hls4ml"):
            layers = entry.get("layers")
            why = layers if isinstance(layers, str) else "no layer description"
            out.append(Unexpressed(name, f"{entry.get('framework')} design: {why}"))
    return out


def _by_category(e: Estimate) -> dict[tuple[str, str], Res]:
    sums: dict[tuple[str, str], Res] = defaultdict(Res)
    for part in e.parts:
        sums[(part.group, part.category)] = sums[(part.group, part.category)] + part.total
    return sums


def _res(r: Res) -> str:
    return " ".join(f"{getattr(r, k):>9.0f}" for k in RESOURCES)


def _compared(e: Estimate) -> Res:
    """The estimate the published figure is read against: with the periphery where there is one."""
    return e.with_periphery if e.has_periphery else e.core


def design_lines(e: Estimate) -> list[str]:
    head = " ".join(f"{LABELS[k]:>9}" for k in RESOURCES)
    lines = [f"{e.design}  [{e.framework}; published figure: {e.tool}]"]
    lines += [f"  {line}" for line in e.layers]
    lines.append(f"  {'part (summed over layers)':40} {head}")
    for (group, category), r in _by_category(e).items():
        tag = "" if group == "core" else f" [{group}]"
        lines.append(f"  {category + tag:40} {_res(r)}")
    per = "+periphery" if e.has_periphery else ""
    lines.append(
        f"  {'resource':9} {'core':>9} {per:>10} {'published':>10} {'ratio':>6}"
        f"{' +per':>6}  meaning"
    )
    compared = _compared(e)
    for k in RESOURCES:
        core, pub, full = getattr(e.core, k), getattr(e.published, k), getattr(compared, k)
        q_full = fmt_ratio(ratio(full, pub), full) if e.has_periphery else ""
        per = f"{full:.0f}" if e.has_periphery else ""
        lines.append(
            f"  {LABELS[k]:9} {core:>9.0f} {per:>10} {pub:>10g} "
            f"{fmt_ratio(ratio(core, pub), core):>6}{q_full:>6}  {meaning(k, full, pub, e)}"
        )
    if e.same_layers is not None:
        lines.append(f"  same layers, {e.same_layers_tool}:")
        for k in RESOURCES:
            core, same = getattr(e.core, k), getattr(e.same_layers, k)
            lines.append(
                f"  {LABELS[k]:9} {core:>9.0f} {'':>10} {same:>10g} "
                f"{fmt_ratio(ratio(core, same), core):>6}{'':>6}  {meaning(k, core, same, e, True)}"
            )
    lines.append(f"  comparable: {e.comparable}")
    lines.append(f"  not counted: {'; '.join(e.not_counted)}")
    return lines


def table_line() -> str:
    p = U.provenance()
    return f"unit table: {U.table_path()} ({p['yosys_version']}, {p['date']})"


def report(units: int, seed: int) -> str:
    lines = ["== 1. unit table against yosys =="]
    lines += unit_check(units, seed)
    lines += ["", "== 2. published designs against the cost model ==", table_line(), ""]
    results = all_estimates()
    for e in results:
        if isinstance(e, Estimate):
            lines += design_lines(e) + [""]
    lines.append("not expressed:")
    lines += [f"  {u.design}: {u.reason}" for u in results if isinstance(u, Unexpressed)]
    return "\n".join(lines)


# ----------------------------------------------------------------------------- 3. markdown

TOOLS = {
    "vivado_placed_full_system": "Vivado placed, whole Zynq system",
    "vivado_synth_ip_only": "Vivado synthesis, HLS IP only",
    "vivado_hls_csynth_estimate": "HLS csynth estimate",
}


def _md_rows(e: Estimate) -> list[str]:
    compared = _compared(e)
    rows = []
    for k in RESOURCES:
        core, full, pub = getattr(e.core, k), getattr(compared, k), getattr(e.published, k)
        per = f"{full:.0f}" if e.has_periphery else "-"
        q = fmt_ratio(ratio(core, pub), core)
        if e.has_periphery:
            q += f" / {fmt_ratio(ratio(full, pub), full)}"
        name = f"{e.design} ({TOOLS.get(e.tool, e.tool)})" if k == "lut" else ""
        rows.append(
            f"| {name} | {LABELS[k]} | {core:.0f} | {per} | {pub:g} | {q} | "
            f"{meaning(k, full, pub, e)} |"
        )
    if e.same_layers is not None:
        for k in RESOURCES:
            core, same = getattr(e.core, k), getattr(e.same_layers, k)
            name = f"same layers, {TOOLS[e.same_layers_tool]}" if k == "lut" else ""
            rows.append(
                f"| {name} | {LABELS[k]} | {core:.0f} | - | {same:g} | "
                f"{fmt_ratio(ratio(core, same), core)} | {meaning(k, core, same, e, True)} |"
            )
    return rows


def markdown() -> str:
    results = all_estimates()
    p = U.provenance()
    lines = [
        "## Cross-checks against published designs",
        "",
        "Generated by `python benchmarks/bench_cost.py --markdown` from "
        f"`docs/published_designs.yaml` and the unit table ({p['yosys_version']}, {p['date']}). "
        "Each design is described with the cost model's building blocks: a FINN MVAU is an "
        "engine layer with `n_par = PE`, `k_par = SIMD` (its datapath counted by "
        "`fpgagan.hw.cost.layer_cost`), FINN's thresholds, weight RAMs, input buffers and SWU "
        "line buffers with measured units and the storage formulas; an hls4ml RF=1 layer is one "
        "constant multiplier per non-zero weight and an adder tree per output. *Core* is the "
        "layers, *+ periphery* adds the FINN sliding-window line buffers and stream FIFOs. "
        "Nothing is tuned to these figures; BRAM is in BRAM_18K (a 36 Kb tile counts 2). "
        "The two celebA builds of one HLS design (Ultra96, ZCU104) differ 1.7x in LUTs: no "
        "estimate can match a single build more closely than builds match each other.",
        "",
        "| design (published figure) | resource | estimate (core) | + periphery | published "
        "| ratio (core / + periphery) | what the ratio means |",
        "|---|---|---:|---:|---:|---:|---|",
    ]
    for e in results:
        if isinstance(e, Estimate):
            lines += _md_rows(e)
    lines += ["", "Caveats:", ""]
    for e in results:
        if isinstance(e, Estimate):
            lines.append(
                f"- **{e.design}**: {e.comparable}. Not counted: {'; '.join(e.not_counted)}."
            )
    lines += ["", "Not expressed:", ""]
    lines += [f"- **{u.design}**: {u.reason}." for u in results if isinstance(u, Unexpressed)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=4, help="units re-synthesised (4)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed (0)")
    parser.add_argument("--markdown", action="store_true", help="print the docs section only")
    args = parser.parse_args(argv)
    print(markdown() if args.markdown else report(args.units, args.seed), end="")
    if not args.markdown:
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
