"""What the cross-check of published designs shares: the YAML, the published figures in the cost
model's units, an estimate made of parts, and what a ratio means.

An estimate is a list of :class:`Part` s, each counted with the cost model's own building blocks
(``fpgagan.hw.cost`` items, ``fpgagan.hw.unit_costs`` units, ``fpgagan.hw.storage`` formulas).
A part is either ``core`` (the layers the cost model describes) or ``periphery`` (blocks of the
published design that are not the engine's but that we can still count, e.g. FINN's sliding-window
line buffers and stream FIFOs); the published totals hold both, plus blocks nobody here counts
(listed per design in ``not_counted``).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any, Literal

import yaml

from fpgagan.hw.cost import RESOURCES, Res
from fpgagan.hw.unit_costs import UnitCost

REPO = Path(__file__).resolve().parents[1]
DESIGNS_YAML = REPO / "docs" / "published_designs.yaml"
LABELS = {"lut": "LUT", "ff": "FF", "dsp": "DSP", "bram_18k": "BRAM_18K"}
# a ratio within this band counts as agreeing (the same design built twice by Vivado differs by
# more: the two celebA QDCGAN builds of docs/published_designs.yaml differ 1.7x in LUTs)
CLOSE = (0.8, 1.25)

Group = Literal["core", "periphery"]


def load_designs(path: Path = DESIGNS_YAML) -> dict[str, dict[str, Any]]:
    """The designs of docs/published_designs.yaml by name (the notes entry left out)."""
    entries = yaml.safe_load(path.read_text())
    return {e["name"]: e for e in entries if e.get("kind") != "notes"}


def published_res(figures: dict[str, Any]) -> Res:
    """Published LUT/FF/DSP and BRAM in BRAM_18K: a Vivado "Block RAM Tile" is 36 Kb = 2 x 18K;
    an HLS csynth estimate already counts BRAM_18K."""
    if figures.get("bram_tiles") is not None:
        bram = 2.0 * float(figures["bram_tiles"])
    else:
        bram = float(figures.get("bram_18k", 0))
    return Res(float(figures["lut"]), float(figures["ff"]), float(figures["dsp"]), bram)


def type_width(text: str) -> int:
    """Bits of a C++ fixed-point/integer type named in the YAML ("ap_fixed<32,20>" -> 32)."""
    match = re.search(r"ap_u?(?:fixed|int)<\s*(\d+)", text)
    if match is None:
        raise ValueError(f"no ap_fixed/ap_int width in {text!r}")
    return int(match[1])


def type_signed(text: str) -> bool:
    return not re.search(r"ap_u(?:fixed|int)<", text)


@dataclasses.dataclass(frozen=True)
class Part:
    """``count`` instances of one block of a published design, as the cost model counts it."""

    group: Group
    layer: str
    category: str  # what the part is for, to sum parts across layers
    what: str
    count: float
    unit: Res
    source: str

    @property
    def total(self) -> Res:
        return self.unit * self.count


def unit_part(
    group: Group, layer: str, category: str, what: str, count: float, u: UnitCost
) -> Part:
    return Part(group, layer, category, what, count, Res.of_unit(u), f"yosys: {u.source}")


@dataclasses.dataclass(frozen=True)
class Estimate:
    """One published design described with the cost model, beside its published figures."""

    design: str
    framework: str
    tool: str  # published.tool of the YAML: what kind of figure the published one is
    parts: tuple[Part, ...]
    published: Res
    comparable: str  # one line: what is and is not comparable
    not_counted: tuple[str, ...]  # blocks inside the published totals that nobody here counts
    layers: tuple[str, ...] = ()  # one line per layer: the structure derived from the YAML
    # the same layers' figures from the tool's per-layer report (hls4ml csynth), when published
    same_layers: Res | None = None
    same_layers_tool: str = ""

    def total(self, *groups: Group) -> Res:
        out = Res()
        for part in self.parts:
            if part.group in groups:
                out = out + part.total
        return out

    @property
    def core(self) -> Res:
        return self.total("core")

    @property
    def with_periphery(self) -> Res:
        return self.total("core", "periphery")

    @property
    def has_periphery(self) -> bool:
        return any(p.group == "periphery" for p in self.parts)


@dataclasses.dataclass(frozen=True)
class Unexpressed:
    """A published design the cost model cannot describe, and why."""

    design: str
    reason: str


def ratio(estimate: float, published: float) -> float | None:
    """estimate / published (None when nothing was published to divide by)."""
    return None if published == 0 else estimate / published


def fmt_ratio(q: float | None, estimate: float) -> str:
    if q is None:
        return "-" if estimate == 0 else "n/a"
    return f"{q:.2f}"


def meaning(
    resource: str, estimate: float, published: float, e: Estimate, same_layers: bool = False
) -> str:
    """One line: what the ratio of ``resource`` says, from the direction of the ratio and the
    facts of the design (what its published figure includes, how our units were measured);
    ``same_layers``: the published figure is the tool's own count of exactly our layers."""
    q = ratio(estimate, published)
    if q is None:
        return "both 0" if estimate == 0 else "published 0: nothing to compare"
    csynth = same_layers or "csynth" in e.tool
    finn = e.framework == "finn"
    # what the published figure holds beyond our layers
    shell_counted = any(part.layer == "system" for part in e.parts)
    full = "full_system" in e.tool and not shell_counted
    extra = "" if same_layers else "the Zynq shell and " if full else ""
    extra += "" if same_layers or not e.not_counted else "blocks we do not count"
    if estimate == 0 and resource == "dsp":
        if finn:
            return "we count no DSP (ap_resource_lut MACs): the published ones are uncounted blocks"
        return "we count no DSP: the tool put products into DSPs that we count as LUT multipliers"
    if estimate == 0:
        return f"we count none: the published {published:g} sit in {extra or 'what we miss'}"
    if CLOSE[0] <= q <= CLOSE[1]:
        return "agrees within 25%"
    over = q > CLOSE[1]
    if over and resource == "lut":
        why = "yosys LUTs are per-unit upper bounds (no packing, no cross-unit sharing)"
        return why + ("" if csynth else "; Vivado packs")
    if over and resource == "ff":
        return "over: we register every tree level / buffer word; the tool kept fewer"
    if over and resource == "dsp":
        return "over: HLS folds constant zeros/+-1/powers of two, maps some products to LUTs"
    if over:
        return "over: the tool put some of these memories in LUTRAM or registers"
    if resource == "dsp":
        return "under: the tool put products into DSPs that we count as LUT multipliers"
    why = [f"the published total also holds {extra}"] if extra else []
    if csynth and resource in ("lut", "ff"):
        why.append("csynth estimates run high (the SVHN entries: ~2x Vivado's LUTs)")
    if resource == "ff":
        why.append("HLS adds pipeline registers")
    if resource == "bram_18k" and extra:
        why[0] += " (FIFOs, tables, DMA buffers)"
    return "under: " + ("; ".join(why) or "logic our units miss")


def res_row(r: Res) -> tuple[float, ...]:
    return tuple(getattr(r, k) for k in RESOURCES)
