"""Measured unit costs: the only reader of ``unit_costs.json``.

Every figure comes from synthesising the unit alone with yosys ``synth_xilinx -family xc7``
(``tools/calibrate_costs.py`` writes the table and says how; ``docs/hardware.md`` shows a few).
yosys LUT counts are not Vivado's: no slice packing or cross-boundary optimisation, so treat
them as upper bounds per unit.

Parameters off the measured grid follow these rules, exactly:

- Widths (``w``, ``a``, ``n``, ``b``, ``m``, ``f``) between two measured values: linear
  interpolation between the two neighbouring entries; beyond the grid: linear extrapolation from
  the two nearest measured values.  Several axes are interpolated one after the other (first
  argument first).  Results stay floats (never rounded to whole cells); a negative extrapolation
  is clamped to 0.
- ``k`` of adder trees and multiplexers: the next power of two up (``k <= 1`` costs nothing);
  beyond the largest measured ``k``, linear extrapolation in ``k`` from the last two.
- ``mux(k, b)`` for ``b`` not 1 or 8: linear in ``b`` through the ``b=1`` and ``b=8`` entries.
- ``mult_dsp``: the entry itself where measured; otherwise the square multiplier of side
  ``max(w, a)``, linear between the measured squares (8, 12, 16, 18).  Past 18 bits this
  extrapolates one DSP48E1 and is optimistic: a 25x18 DSP no longer holds the product.
- ``mac(w, a, n)`` with ``a`` other than 8 (the only measured activation width):
  ``mac(w, 8, n) + mult_fabric(w, a, False) - mult_fabric(w, 8, False)``.
- ``masked_tree(k, ib, b)``: ``k`` and ``ib`` as measured where on the grid, ``k`` otherwise the
  next power of two up (beyond the largest, linear extrapolation in ``k``), ``ib`` the next
  measured width up; ``b`` linear between and beyond the measured widths.
- ``codebook_combine(K, w, n)``: linear in ``K`` between the measured sizes (``K`` beyond 16 is
  refused: an index has at most 4 bits), then in ``w`` and ``n`` by the width rule.
- ``ram``, ``rom`` and ``fifo_srl``: the next measured depth and the next measured width up
  (conservative).  Deeper or wider than the grid: ``ceil(depth / dmax) * ceil(width / wmax)``
  copies of the largest entry, plus for a RAM/ROM split in depth a ``mux(copies, width)`` on the
  read data (an SRL FIFO split in depth is a chain of FIFOs and needs none).
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import json
import math
from importlib import resources
from typing import Any

TABLE_FILE = "unit_costs.json"
_FIELDS = ("lut", "ff", "carry4", "dsp", "bram_18k", "muxf")
Values = tuple[float, ...]


@dataclasses.dataclass(frozen=True)
class UnitCost:
    """FPGA resources of one unit (or a sum of units); ``source`` names the table entries used."""

    lut: float
    ff: float
    carry4: float
    dsp: float
    bram_18k: float
    muxf: float
    source: str

    @property
    def values(self) -> Values:
        return tuple(getattr(self, f) for f in _FIELDS)

    @classmethod
    def zero(cls, source: str = "nothing") -> UnitCost:
        return cls(0, 0, 0, 0, 0, 0, source)

    def __add__(self, other: UnitCost) -> UnitCost:
        if not isinstance(other, UnitCost):
            return NotImplemented
        total = (a + b for a, b in zip(self.values, other.values, strict=True))
        return UnitCost(*total, source=f"{self.source} + {other.source}")

    def __radd__(self, other: object) -> UnitCost:
        if other == 0:  # sum() starts from 0
            return self
        return NotImplemented

    def __mul__(self, count: float) -> UnitCost:
        if isinstance(count, bool) or not isinstance(count, int | float):
            return NotImplemented
        source = f"({self.source})" if " + " in self.source else self.source
        return UnitCost(*(v * count for v in self.values), source=f"{count:g} x {source}")

    __rmul__ = __mul__


@functools.cache
def table() -> dict[str, Any]:
    """The table as stored (loaded once; do not modify it)."""
    return json.loads(resources.files("fpgagan.hw").joinpath(TABLE_FILE).read_text())


def table_path() -> str:
    return str(resources.files("fpgagan.hw").joinpath(TABLE_FILE))


def provenance() -> dict[str, str]:
    """How the table was measured: yosys version, command, date and the caveat."""
    t = table()
    return {k: t[k] for k in ("yosys_version", "command", "date", "note")}


def _prefix() -> str:
    return " ".join(table()["yosys_version"].split()[:2]).lower()  # "yosys 0.23"


def _entries(kind: str) -> list[dict[str, Any]]:
    units = table()["units"]
    if kind not in units:
        raise KeyError(f"unknown unit kind {kind!r}: {table_path()} has {', '.join(units)}")
    return units[kind]["entries"]


def _values(entry: dict[str, Any]) -> Values:
    return tuple(float(entry["counts"][f]) for f in _FIELDS)


def _linear(points: list[tuple[float, Values]], x: float, axis: str) -> tuple[Values, list[str]]:
    """The rule for one axis: exact, interpolated between neighbours, or extrapolated."""
    xs = [p[0] for p in points]
    if x in xs:
        return points[xs.index(x)][1], []
    if len(xs) == 1:
        return points[0][1], [f"only {axis}{xs[0]:g} measured"]
    i = min(max(bisect.bisect_left(xs, x), 1), len(xs) - 1)
    (x0, v0), (x1, v1) = points[i - 1], points[i]
    t = (x - x0) / (x1 - x0)
    mixed = tuple(max(0.0, a + (b - a) * t) for a, b in zip(v0, v1, strict=True))
    how = "interpolated" if x0 < x < x1 else "extrapolated"
    return mixed, [f"{how} in {axis} from {axis}{x0:g}, {axis}{x1:g}"]


def _grid(
    kind: str, fixed: dict[str, Any], axes: list[tuple[str, float]]
) -> tuple[Values, list[str]]:
    """Look up ``kind`` at ``fixed`` params, interpolating along ``axes`` in turn."""
    rows = [e for e in _entries(kind) if all(e["params"].get(k) == v for k, v in fixed.items())]
    if not axes:
        if len(rows) != 1:
            raise KeyError(f"{kind} has no single entry with {fixed} in {table_path()}")
        return _values(rows[0]), []
    (axis, x), rest = axes[0], axes[1:]
    measured = sorted({e["params"][axis] for e in rows})
    if not measured:
        raise KeyError(f"{kind} has no entry with {fixed} in {table_path()}")
    at = [x] if x in measured else _neighbours(measured, x)
    points, notes = [], []
    for value in at:
        v, n = _grid(kind, {**fixed, axis: value}, rest)
        points.append((value, v))
        notes += n
    values, note = _linear(points, x, axis)
    return values, list(dict.fromkeys(note + notes))


def _neighbours(measured: list[float], x: float) -> list[float]:
    if len(measured) == 1:
        return measured
    i = min(max(bisect.bisect_left(measured, x), 1), len(measured) - 1)
    return measured[i - 1 : i + 1]


def _cost(kind: str, label: str, values: Values, notes: list[str]) -> UnitCost:
    suffix = f" ({'; '.join(notes)})" if notes else ""
    return UnitCost(*values, source=f"{_prefix()} unit {kind} {label}{suffix}")


def _lookup(
    kind: str, label: str, fixed: dict[str, Any], axes: list[tuple[str, float]], k: int = 0
) -> UnitCost:
    """``k``: a tree's or mux's input count, looked up at the next power of two (an axis)."""
    values, notes = _grid(kind, fixed, axes)
    if k and _pow2(k) != k:
        notes = [f"k rounded up to {_pow2(k)}", *notes]
    return _cost(kind, label, values, notes)


def _sfx(signed: bool) -> str:
    return "s" if signed else "u"


def _pow2(k: int) -> int:
    return 1 << math.ceil(math.log2(k))


def entry(kind: str, **params: Any) -> UnitCost:
    """The measured entry at exactly ``params`` (KeyError if the kind or the point is absent)."""
    for e in _entries(kind):
        if e["params"] == params:
            return _cost(kind, e["name"].split(" ", 1)[1], _values(e), [])
    raise KeyError(f"{kind} has no entry with {params} in {table_path()}")


def mult_fabric(w: int, a: int, a_signed: bool) -> UnitCost:
    """Signed w-bit weight x a-bit activation in LUTs (no DSP), full-width product."""
    label = f"w{w:g} a{a:g}{_sfx(a_signed)}"
    return _lookup("mult_fabric", label, {"a_signed": a_signed}, [("w", w), ("a", a)])


def mult_dsp(w: int, a: int, a_signed: bool) -> UnitCost:
    """The same product with DSP48E1s allowed (yosys decides)."""
    label = f"w{w:g} a{a:g}{_sfx(a_signed)}"
    try:
        return entry("mult_dsp", w=w, a=a, a_signed=a_signed)
    except KeyError:
        pass
    rows = [e for e in _entries("mult_dsp") if e["params"]["a_signed"] == a_signed]
    squares = sorted(
        (e["params"]["w"], _values(e)) for e in rows if e["params"]["w"] == e["params"]["a"]
    )
    values, notes = _linear(squares, max(w, a), "side")
    return _cost("mult_dsp", label, values, [f"square of side {max(w, a):g}", *notes])


def mult_const(w: int, a: int, a_signed: bool) -> UnitCost:
    """Activation x a compile-time w-bit constant: the mean over all non-zero constants."""
    label = f"w{w:g} a{a:g}{_sfx(a_signed)}"
    return _lookup("mult_const", label, {"a_signed": a_signed}, [("w", w), ("a", a)])


def mac(w: int, a: int, n: int) -> UnitCost:
    """acc <= clear ? w*a : acc + w*a with an n-bit accumulator, multiplier in LUTs."""
    label = f"w{w:g} a{a:g}u n{n:g}"
    measured_a = {e["params"]["a"] for e in _entries("mac")}
    if a in measured_a:
        return _lookup("mac", label, {"a": a}, [("w", w), ("n", n)])
    (a0,) = sorted(measured_a)  # the grid measures one activation width
    base, notes = _grid("mac", {"a": a0}, [("w", w), ("n", n)])
    ours, theirs = mult_fabric(w, a, False).values, mult_fabric(w, a0, False).values
    values = tuple(max(0.0, b + o - t) for b, o, t in zip(base, ours, theirs, strict=True))
    rule = f"mac a{a0:g} + mult_fabric w{w:g} a{a:g}u - mult_fabric w{w:g} a{a0:g}u"
    return _cost("mac", label, values, [rule, *notes])


def accumulator(n: int) -> UnitCost:
    """An n-bit register with adder: acc <= clear ? in : acc + in."""
    return _lookup("accumulator", f"n{n:g}", {}, [("n", n)])


def adder_tree(k: int, b: int, pipelined: bool = True) -> UnitCost:
    """Sum of k signed b-bit inputs; pipelined has a register after every adder level."""
    variant = "pipelined" if pipelined else "comb"
    if k <= 1:
        return UnitCost.zero(f"{_prefix()} unit adder_tree k{k} b{b:g} {variant} (a wire)")
    fixed = {"pipelined": pipelined}
    axes = [("k", _pow2(k)), ("b", b)]
    return _lookup("adder_tree", f"k{k} b{b:g} {variant}", fixed, axes, k)


def output_unit(kind: str, n: int, m: int, f: int) -> UnitCost:
    """ReLU/round/saturate at a layer's output: kind 'relu_u' or 'linear_s', n -> m bits."""
    kinds = {e["params"]["kind"] for e in _entries("output_unit")}
    if kind not in kinds:
        raise KeyError(f"unknown output_unit kind {kind!r}: {table_path()} has {sorted(kinds)}")
    label = f"{kind} n{n:g} m{m:g} f{f:g}"
    return _lookup("output_unit", label, {"kind": kind}, [("n", n), ("m", m), ("f", f)])


def dsp_packed_pair(w: int, a_signed: bool) -> UnitCost:
    """Two w-bit-weight products of one 8-bit activation in one DSP48E1, with extraction."""
    return _lookup(
        "dsp_packed_pair", f"w{w:g} a8{_sfx(a_signed)}", {"a_signed": a_signed}, [("w", w)]
    )


def dsp_pair_extract(w: int, a: int, a_signed: bool) -> UnitCost:
    """The fabric after a DSP48E1 holding two products of one a-bit activation and two packed
    w-bit weights: p0 = sext(P[17:0]), p1 = (P - p0) >> 18 at the product width (the multiply
    itself is the DSP, not counted here)."""
    label = f"w{w:g} a{a:g}{_sfx(a_signed)}"
    return _lookup("dsp_pair_extract", label, {"a_signed": a_signed}, [("w", w), ("a", a)])


def mux(k: int, b: int) -> UnitCost:
    """k:1 multiplexer of b-bit words."""
    if k <= 1:
        return UnitCost.zero(f"{_prefix()} unit mux k{k} b{b:g} (a wire)")
    return _lookup("mux", f"k{k} b{b:g}", {}, [("k", _pow2(k)), ("b", b)], k)


def masked_tree(k: int, ib: int, b: int) -> UnitCost:
    """One codebook entry's adders in an output lane: the sum of the k b-bit values whose ib-bit
    index names the entry (the others masked), pipelined."""
    ibs = sorted({e["params"]["ib"] for e in _entries("masked_tree")})
    ib_at = next((x for x in ibs if x >= ib), ibs[-1])
    ks = sorted({e["params"]["k"] for e in _entries("masked_tree")})
    # measured, or beyond the grid (linear extrapolation), else the next power of two up
    k_at = k if k in ks or _pow2(k) > ks[-1] else _pow2(k)
    values, notes = _grid("masked_tree", {"ib": ib_at}, [("k", k_at), ("b", b)])
    if k_at != k:
        notes = [f"k rounded up to {k_at}", *notes]
    if ib_at != ib:
        notes = [f"ib rounded up to {ib_at}", *notes]
    return _cost("masked_tree", f"k{k} ib{ib} b{b:g}", values, notes)


def codebook_combine(codes: int, w: int, n: int) -> UnitCost:
    """sum_e c_e * p_e over ``codes`` n-bit partial sums and constant w-bit codebook values:
    the codebook kernel's multipliers of one output."""
    if not 1 <= codes <= 16:
        raise ValueError(f"codebook_combine takes 1 to 16 entries, not {codes}")
    return _lookup(
        "codebook_combine", f"K{codes} w{w:g} n{n:g}", {}, [("K", codes), ("w", w), ("n", n)]
    )


def counter(b: int) -> UnitCost:
    """A b-bit up counter with terminal count and wrap."""
    return _lookup("counter", f"b{b:g}", {}, [("b", b)])


def _tiled(kind: str, depth: int, width: int) -> tuple[UnitCost, int]:
    """The next measured depth and width up, or copies of the largest: (cost, depth copies)."""
    if depth < 1 or width < 1:
        raise ValueError(f"{kind} needs a positive depth and width, not {depth} x {width}")
    rows = _entries(kind)
    depths = sorted({e["params"]["d"] for e in rows})
    widths = sorted({e["params"]["w"] for e in rows})
    d = next((x for x in depths if x >= depth), depths[-1])
    w = next((x for x in widths if x >= width), widths[-1])
    copies_d, copies_w = math.ceil(depth / d), math.ceil(width / w)
    cost = entry(kind, d=d, w=w)
    if copies_d * copies_w > 1:
        return cost * (copies_d * copies_w), copies_d
    return cost, 1


def ram(depth: int, width: int, rom: bool = False) -> UnitCost:
    """Simple dual-port RAM (or initialised ROM), registered read; yosys picks LUTRAM or BRAM."""
    cost, copies_d = _tiled("rom" if rom else "ram_sdp", depth, width)
    return cost + mux(copies_d, width) if copies_d > 1 else cost


def fifo_srl(depth: int, width: int) -> UnitCost:
    """A shift-register FIFO (Vivado HLS style) of depth x width."""
    return _tiled("fifo_srl", depth, width)[0]
