"""Measure the cost model's unit costs with yosys and write fpgagan/hw/unit_costs.json.

    .venv/bin/python tools/calibrate_costs.py                      # every unit (make calibrate-costs)
    .venv/bin/python tools/calibrate_costs.py --only 'mux *'       # re-measure a subset, keep the rest
    .venv/bin/python tools/calibrate_costs.py --check 20           # re-measure 20 sampled units
    .venv/bin/python tools/calibrate_costs.py --markdown           # docs table from the JSON

Each building block is written as a small Verilog module and synthesised on its own with
``yosys -p "read_verilog unit.v; synth_xilinx -family xc7 -flatten -top <top> [-nodsp]; stat"``
in a temporary folder; the final ``stat`` is parsed into LUT/FF/CARRY4/DSP/BRAM/MUXF counts.
Combinational blocks have no I/O registers (pure logic between ports); blocks that are registers
by nature (accumulators, pipelined trees, counters, FIFOs, memories) have exactly their own.
Running it again with the same yosys gives the same table; the file is only rewritten when a
count changes.  ``tests/hls/test_unit_costs.py`` re-synthesises a few units through
:func:`measure_units`, so the table and this script cannot drift apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import fnmatch
import json
import math
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from tqdm import tqdm

from fpgagan.errors import FpgaganError
from fpgagan.io import write_json_atomic

if __package__ in (None, ""):  # run as a script: the repository root holds the tools package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.codebook_units import COMBINE_SEEDS, v_codebook_combine, v_masked_tree  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "fpgagan" / "hw" / "unit_costs.json"
SCRIPT = "read_verilog unit.v; synth_xilinx -family xc7 -flatten -top {top}{nodsp}; stat"
COMMAND = (
    'yosys -p "read_verilog unit.v; synth_xilinx -family xc7 -flatten -top <top> [-nodsp]; stat"'
)
NOTE = (
    "yosys LUT counts are not Vivado's: no slice packing or cross-boundary optimisation; "
    "treat them as upper bounds per unit"
)
# LUT-based cells counted as the LUTs they occupy; INV is yosys' name for a LUT1 inverter
LUT_CELLS = {f"LUT{i}": 1 for i in range(1, 7)} | {
    "INV": 1,
    "RAM32M": 4,
    "RAM64M": 4,
    "RAM32X1D": 2,
    "RAM64X1D": 2,
    "RAM128X1D": 4,
    "RAM256X1S": 4,
    "RAM64X1S": 1,
    "RAM128X1S": 2,
    "SRL16E": 1,
    "SRLC32E": 1,
}
COUNTING = {
    "lut": "sum of lut_cells (LUT1..LUT6 count 1; LUT RAM and SRL cells as the LUTs they occupy)",
    "ff": "every FD* cell",
    "carry4": "CARRY4",
    "dsp": "DSP48E1",
    "bram_18k": "RAMB18E1 + 2 * RAMB36E1",
    "muxf": "MUXF7 + MUXF8 (reported, not counted as LUTs)",
}
IO_CELLS = {"IBUF", "OBUF", "BUFG"}  # pads and the clock buffer: not the unit's cost
RESOURCES = ("lut", "ff", "carry4", "dsp", "bram_18k", "muxf")
ROM_SEED = "fpgagan-rom"
LIMIT_S = 60.0  # a unit whose synthesis needs more yosys CPU time than this is dropped


class CalibrationError(FpgaganError):
    """yosys is missing, fails, or reports a cell this script does not know how to count."""


@dataclasses.dataclass(frozen=True)
class Design:
    """One synthesis: a Verilog module and whether DSPs are forbidden."""

    top: str
    verilog: str
    nodsp: bool

    @property
    def script(self) -> str:
        return SCRIPT.format(top=self.top, nodsp=" -nodsp" if self.nodsp else "")


# ----------------------------------------------------------------------------- Verilog


def _clog2(x: int) -> int:
    return max(1, math.ceil(math.log2(x)))


def _act(a: int, signed: bool) -> tuple[str, str]:
    """Port declaration of an a-bit activation and its value as a signed expression."""
    if signed:
        return f"input signed [{a - 1}:0] a", "a"
    return f"input [{a - 1}:0] a", "$signed({1'b0, a})"


def _sfx(signed: bool) -> str:
    return "s" if signed else "u"


def v_mult(w: int, a: int, a_signed: bool, const: int | None = None) -> str:
    decl, aval = _act(a, a_signed)
    if const is None:
        ports, wval = f"input signed [{w - 1}:0] w, ", "w"
    else:
        ports, wval = "", f"$signed({w}'b{const & ((1 << w) - 1):0{w}b})"
    return (
        f"module mult({ports}{decl}, output signed [{w + a - 1}:0] p);\n"
        f"  assign p = {wval} * {aval};\nendmodule\n"
    )


def v_mac(w: int, a: int, n: int) -> str:
    decl, aval = _act(a, False)
    return (
        f"module mac(input clk, input clear, input signed [{w - 1}:0] w, {decl},\n"
        f"           output reg signed [{n - 1}:0] acc);\n"
        f"  wire signed [{w + a - 1}:0] p = w * {aval};\n"
        "  always @(posedge clk) acc <= clear ? p : acc + p;\nendmodule\n"
    )


def v_accumulator(n: int) -> str:
    return (
        f"module accumulator(input clk, input clear, input signed [{n - 1}:0] in,\n"
        f"                   output reg signed [{n - 1}:0] acc);\n"
        "  always @(posedge clk) acc <= clear ? in : acc + in;\nendmodule\n"
    )


def v_adder_tree(k: int, b: int, pipelined: bool) -> str:
    levels = _clog2(k) if k > 1 else 0
    lines = [
        f"module adder_tree(input clk, input [{k * b - 1}:0] x, output signed [{b + levels - 1}:0] s);"
    ]
    names = [f"$signed(x[{i * b + b - 1}:{i * b}])" for i in range(k)]
    for lvl in range(1, levels + 1):
        nxt = []
        for i in range(len(names) // 2):
            name = f"s{lvl}_{i}"
            expr = f"{names[2 * i]} + {names[2 * i + 1]}"
            if pipelined:
                lines.append(f"  reg signed [{b + lvl - 1}:0] {name};")
                lines.append(f"  always @(posedge clk) {name} <= {expr};")
            else:
                lines.append(f"  wire signed [{b + lvl - 1}:0] {name} = {expr};")
            nxt.append(name)
        names = nxt
    lines += [f"  assign s = {names[0]};", "endmodule", ""]
    return "\n".join(lines)


def v_output_unit(kind: str, n: int, m: int, f: int) -> str:
    """ReLU (relu_u) or not (linear_s), round half to even on f bits, saturate to m bits."""
    qw = n - f + 1  # the rounded quotient's width
    lines = [f"module output_unit(input signed [{n - 1}:0] x, output [{m - 1}:0] y);"]
    src = "x"
    if kind == "relu_u":
        lines.append(f"  wire signed [{n - 1}:0] r = x[{n - 1}] ? {n}'d0 : x;")
        src = "r"
    lines += [
        f"  wire signed [{n - f - 1}:0] q = {src}[{n - 1}:{f}];",
        f"  wire [{f - 1}:0] fr = {src}[{f - 1}:0];",
        f"  wire up = fr[{f - 1}] & ((|fr[{f - 2}:0]) | q[0]);",
        f"  wire signed [{qw - 1}:0] qr = q + $signed({{1'b0, up}});",
    ]
    if kind == "relu_u":
        if qw - 1 > m:  # qr >= 0, so its sign bit is 0: saturate on the bits above m
            lines.append(f"  assign y = (|qr[{qw - 2}:{m}]) ? {{{m}{{1'b1}}}} : qr[{m - 1}:0];")
        else:
            lines.append("  assign y = qr;")
    elif qw > m:
        top = f"qr[{qw - 1}:{m - 1}]"
        lines += [
            f"  wire ovf = ~((&{top}) | ~(|{top}));",
            f"  assign y = ovf ? (qr[{qw - 1}] ? {{1'b1, {{{m - 1}{{1'b0}}}}}}"
            f" : {{1'b0, {{{m - 1}{{1'b1}}}}}}) : qr[{m - 1}:0];",
        ]
    else:
        lines.append("  assign y = qr;")
    return "\n".join([*lines, "endmodule", ""])


def v_dsp_packed_pair(w: int, a: int, a_signed: bool) -> str:
    """a * (w2 * 2^18 + w1) in one multiplier; p1 = sext(P[17:0]), p2 = (P - p1) >>> 18."""
    decl, aval = _act(a, a_signed)
    pw = w + 19  # w2 * 2^18 + w1 needs w + 19 bits (w2 = -2^(w-1), w1 < 0 is below -2^(w+17))
    return (
        f"module dsp_packed_pair(input signed [{w - 1}:0] w1, input signed [{w - 1}:0] w2, {decl},\n"
        f"    output signed [{w + a - 1}:0] p1, output signed [{w + a - 1}:0] p2);\n"
        f"  wire signed [{pw - 1}:0] packed = $signed({{w2, 18'd0}}) + w1;\n"
        f"  wire signed [{pw + a}:0] P = packed * {aval};\n"
        "  wire signed [17:0] lo = P[17:0];\n"
        f"  wire signed [{pw + a}:0] hi = (P - lo) >>> 18;\n"
        "  assign p1 = lo;\n  assign p2 = hi;\nendmodule\n"
    )


def v_dsp_pair_extract(w: int, a: int, a_signed: bool) -> str:
    """packed_pair's extraction (nnet_fg_engine.h) from the DSP's 48-bit P: p0 = sext(P[17:0]),
    p1 = (P >>> 18) + P[17] (= (P - p0) >> 18), both cast to the product type (prod_bits = w +
    a, +1 unsigned)."""
    pb = w + a + (0 if a_signed else 1)
    return (
        "module dsp_pair_extract(input signed [47:0] p,\n"
        f"    output signed [{pb - 1}:0] p0, output signed [{pb - 1}:0] p1);\n"
        "  wire signed [17:0] lo = p[17:0];\n"
        "  wire signed [47:0] hi = (p >>> 18) + {47'd0, p[17]};\n"
        "  assign p0 = lo;\n  assign p1 = hi;\nendmodule\n"
    )


def v_mux(k: int, b: int) -> str:
    s = _clog2(k)
    return (
        f"module mux(input [{k * b - 1}:0] d, input [{s - 1}:0] sel, output [{b - 1}:0] y);\n"
        f"  assign y = d[sel * {b} +: {b}];\nendmodule\n"
    )


def v_counter(b: int) -> str:
    last = (1 << b) - 2
    return (
        f"module counter(input clk, input rst, input en, output reg [{b - 1}:0] cnt, output tc);\n"
        f"  wire at_last = cnt == {b}'d{last};\n"
        "  assign tc = en & at_last;\n"
        f"  always @(posedge clk) if (rst) cnt <= {b}'d0;\n"
        f"    else if (en) cnt <= at_last ? {b}'d0 : cnt + {b}'d1;\nendmodule\n"
    )


def v_ram_sdp(d: int, w: int) -> str:
    aw = _clog2(d)
    return (
        f"module ram_sdp(input clk, input we, input [{aw - 1}:0] waddr, input [{w - 1}:0] wdata,\n"
        f"               input [{aw - 1}:0] raddr, output reg [{w - 1}:0] rdata);\n"
        f"  reg [{w - 1}:0] mem [0:{d - 1}];\n"
        "  always @(posedge clk) begin\n    if (we) mem[waddr] <= wdata;\n"
        "    rdata <= mem[raddr];\n  end\nendmodule\n"
    )


def v_rom(d: int, w: int) -> str:
    aw = _clog2(d)
    rng = random.Random(f"{ROM_SEED}-{d}-{w}")
    init = "\n".join(f"    mem[{i}] = {w}'h{rng.getrandbits(w):x};" for i in range(d))
    return (
        f"module rom(input clk, input [{aw - 1}:0] addr, output reg [{w - 1}:0] q);\n"
        f"  reg [{w - 1}:0] mem [0:{d - 1}];\n  initial begin\n{init}\n  end\n"
        "  always @(posedge clk) q <= mem[addr];\nendmodule\n"
    )


def v_fifo_srl(d: int, w: int) -> str:
    """Shift in on write, read at the occupancy pointer; registered empty/full flags."""
    aw = _clog2(d)
    return f"""module fifo_srl(input clk, input rst, input wr, input rd, input [{w - 1}:0] din,
                output [{w - 1}:0] dout, output reg empty_n, output reg full_n);
  reg [{aw}:0] ptr;  // occupancy - 1
  wire push = wr & full_n;
  wire pop = rd & empty_n;
  genvar j;  // one shift register per bit, read at ptr (what SRL cells do)
  for (j = 0; j < {w}; j = j + 1) begin : bit
    reg [{d - 1}:0] sr;  // sr[0] the newest
    always @(posedge clk) if (push) sr <= {{sr[{max(d - 2, 0)}:0], din[j]}};
    assign dout[j] = sr[ptr[{aw - 1}:0]];
  end
  always @(posedge clk) if (rst) begin
    ptr <= {{{aw + 1}{{1'b1}}}}; empty_n <= 1'b0; full_n <= 1'b1;
  end else if (push & ~pop) begin
    ptr <= ptr + 1'b1; empty_n <= 1'b1;
    if (ptr == {aw + 1}'d{d - 2}) full_n <= 1'b0;
  end else if (pop & ~push) begin
    ptr <= ptr - 1'b1; full_n <= 1'b1;
    if (ptr == {aw + 1}'d0) empty_n <= 1'b0;
  end
endmodule
"""


# ----------------------------------------------------------------------------- the units

Params = dict[str, Any]


@dataclasses.dataclass(frozen=True)
class Kind:
    """A building block: what it is, its grid, how each grid point is named and written."""

    description: str
    nodsp: bool
    grid: tuple[Params, ...]
    label: Callable[[Params], str]
    modules: Callable[[Params], list[tuple[str, str]]]  # (top, Verilog) per synthesis


@dataclasses.dataclass(frozen=True)
class Unit:
    """One table entry: a building block at one grid point."""

    kind: str
    name: str
    params: Params

    def designs(self) -> list[Design]:
        kind = KINDS[self.kind]
        return [Design(top, text, kind.nodsp) for top, text in kind.modules(self.params)]


def _grid(**axes: Any) -> tuple[Params, ...]:
    rows: list[Params] = [{}]
    for key, values in axes.items():
        rows = [{**r, key: v} for r in rows for v in values]
    return tuple(rows)


def _single(top: str, verilog: Callable[..., str]) -> Callable[[Params], list[tuple[str, str]]]:
    return lambda p: [(top, verilog(**p))]


def _const_designs(p: Params) -> list[tuple[str, str]]:
    w = p["w"]
    values = [c for c in range(-(1 << (w - 1)), 1 << (w - 1)) if c]
    return [("mult", v_mult(**p, const=c)) for c in values]


def _wa(p: Params) -> str:
    return f"w{p['w']} a{p['a']}{_sfx(p['a_signed'])}"


def _dw(p: Params) -> str:
    return f"d{p['d']} w{p['w']}"


_COMB = "combinational: pure logic between the ports, no registers"
_SIGNS = (True, False)
_POW2_K = (2, 4, 8, 16, 32, 64, 128, 256, 512)
_MEM = _grid(d=(16, 32, 64, 128, 256, 512, 1024, 2048, 4096), w=(1, 4, 8, 16, 32, 36, 64, 128))
_OUT = _grid(kind=("relu_u", "linear_s"), n=(12, 16, 20, 24, 28, 32, 40, 48), m=(4, 8), f=(4, 8))
_DSP_WA = ((4, 8), (8, 8), (12, 12), (16, 16), (18, 18))

KINDS: dict[str, Kind] = {
    "mult_fabric": Kind(
        f"signed w-bit weight x a-bit activation (a_signed), full w+a-bit product; {_COMB}",
        True,
        _grid(w=range(1, 9), a=range(2, 9), a_signed=_SIGNS),
        _wa,
        _single("mult", v_mult),
    ),
    "mult_dsp": Kind(
        f"the mult_fabric product with DSP48E1 allowed (yosys decides); {_COMB}",
        False,
        tuple({"w": w, "a": a, "a_signed": s} for w, a in _DSP_WA for s in _SIGNS),
        _wa,
        _single("mult", v_mult),
    ),
    "mult_const": Kind(
        "a-bit activation x a compile-time signed w-bit constant, one synthesis per non-zero "
        f"constant; counts: the mean over the constants (min, max beside); {_COMB}",
        True,
        _grid(w=(2, 3, 4, 8), a=(4, 8), a_signed=_SIGNS),
        _wa,
        _const_designs,
    ),
    "mac": Kind(
        "acc <= clear ? p : acc + p, p = signed w-bit weight x unsigned a-bit activation in LUTs, "
        "acc n bits (wraps); registers: the n accumulator bits only, inputs unregistered",
        True,
        tuple(
            {"w": w, "a": a, "n": n} for w, a in ((4, 8), (2, 8), (8, 8)) for n in range(12, 33, 4)
        ),
        lambda p: f"w{p['w']} a{p['a']}u n{p['n']}",
        _single("mac", v_mac),
    ),
    "accumulator": Kind(
        "acc <= clear ? in : acc + in, in and acc n-bit signed; registers: the n accumulator bits",
        False,
        _grid(n=range(4, 49)),
        lambda p: f"n{p['n']}",
        _single("accumulator", v_accumulator),
    ),
    "adder_tree": Kind(
        "balanced binary tree summing k signed b-bit inputs to b + log2(k) bits; comb: no "
        "registers; pipelined: a register after every adder level (the output register included)",
        False,
        _grid(k=_POW2_K, b=(6, 8, 10, 12, 14, 16), pipelined=(False, True)),
        lambda p: f"k{p['k']} b{p['b']} {'pipelined' if p['pipelined'] else 'comb'}",
        _single("adder_tree", v_adder_tree),
    ),
    "output_unit": Kind(
        "n-bit signed accumulator with f fractional bits to m bits; relu_u: max(0, x), round half "
        "to even, saturate unsigned (ap_ufixed AP_RND_CONV AP_SAT); linear_s: round half to even, "
        f"saturate signed (ap_fixed AP_RND_CONV AP_SAT); {_COMB}",
        False,
        tuple(p for p in _OUT if p["n"] > p["m"]),
        lambda p: f"{p['kind']} n{p['n']} m{p['m']} f{p['f']}",
        _single("output_unit", v_output_unit),
    ),
    "dsp_packed_pair": Kind(
        "two products of one 8-bit activation and signed w-bit weights in one multiplier: "
        "P = a * (w2 * 2^18 + w1) (an add, w + 19 bits), p1 = sext(P[17:0]), "
        f"p2 = (P - p1) >>> 18; DSP48E1 allowed; {_COMB}",
        False,
        _grid(w=(2, 3, 4), a=(8,), a_signed=_SIGNS),
        _wa,
        _single("dsp_packed_pair", v_dsp_packed_pair),
    ),
    "dsp_pair_extract": Kind(
        "the fabric logic after a DSP48E1 that multiplies one activation by two packed weights "
        "(packed_pair in nnet_fg_engine.h): from the 48-bit P, p0 = sext(P[17:0]) and "
        "p1 = (P >> 18) + P[17] (= (P - p0) >> 18), each cast to prod_bits = w + a (+1 for an "
        "unsigned a); the P input "
        f"stands for the DSP's output (the multiply itself is one DSP48E1); {_COMB}",
        False,
        _grid(w=(1, 2, 3, 4), a=range(2, 9), a_signed=_SIGNS),
        _wa,
        _single("dsp_pair_extract", v_dsp_pair_extract),
    ),
    "mux": Kind(
        f"k:1 multiplexer of b-bit words, binary select of log2(k) bits; {_COMB}",
        False,
        _grid(k=(*_POW2_K, 1024), b=(1, 8)),
        lambda p: f"k{p['k']} b{p['b']}",
        _single("mux", v_mux),
    ),
    "counter": Kind(
        "b-bit up counter with reset and enable, wraps after the constant 2^b - 2 and flags it "
        "(tc); registers: the b counter bits only",
        False,
        _grid(b=range(2, 17)),
        lambda p: f"b{p['b']}",
        _single("counter", v_counter),
    ),
    "ram_sdp": Kind(
        "simple dual-port RAM d x w: one write port, one read port with a registered read; "
        "yosys chooses LUT RAM, block RAM or registers (mapped_to)",
        False,
        _MEM,
        _dw,
        _single("ram_sdp", v_ram_sdp),
    ),
    "rom": Kind(
        f"initialised read-only memory d x w, registered read, random contents (Python "
        f"random.Random('{ROM_SEED}-<d>-<w>')); yosys chooses block RAM or logic (mapped_to)",
        False,
        _MEM,
        _dw,
        _single("rom", v_rom),
    ),
    "masked_tree": Kind(
        "one codebook entry's adders in one output lane: k signed b-bit values, each masked to "
        "zero unless its ib-bit index equals the entry (a constant), summed by a balanced tree "
        "with a register after every level (k = 1: the masked value, registered)",
        False,
        _grid(k=(1, 2, 4, 8, 16, 32), ib=(1, 2, 3, 4), b=(5, 9)),
        lambda p: f"k{p['k']} ib{p['ib']} b{p['b']}",
        _single("masked_tree", v_masked_tree),
    ),
    "codebook_combine": Kind(
        "sum_e c_e * p_e over K signed n-bit partial sums, the c_e K distinct non-zero signed "
        "w-bit constants (a codebook); one synthesis per seeded random codebook "
        f"(tools/codebook_units.py, {COMBINE_SEEDS} codebooks), counts: the mean; {_COMB}",
        True,
        _grid(K=(1, 2, 4, 8, 16), w=(4, 8), n=(12, 24)),
        lambda p: f"K{p['K']} w{p['w']} n{p['n']}",
        lambda p: [
            ("codebook_combine", v_codebook_combine(**p, seed=s)) for s in range(COMBINE_SEEDS)
        ],
    ),
    "fifo_srl": Kind(
        "shift-register FIFO as Vivado HLS builds it: a write shifts in, the read address is "
        "occupancy - 1, registered empty/full flags; registers: its own (SRLs, pointer, flags)",
        False,
        _grid(d=(2, 4, 8, 16, 32, 64), w=(1, 8, 64)),
        _dw,
        _single("fifo_srl", v_fifo_srl),
    ),
}


def all_units() -> list[Unit]:
    """Every unit of the table, in table order."""
    return [Unit(kind, f"{kind} {k.label(p)}", p) for kind, k in KINDS.items() for p in k.grid]


# ----------------------------------------------------------------------------- synthesis

# cell -> (resource, weight); FD* cells are flip-flops, IO_CELLS are ignored, anything else fails
CELLS: dict[str, tuple[str, int]] = {c: ("lut", n) for c, n in LUT_CELLS.items()} | {
    "CARRY4": ("carry4", 1),
    "DSP48E1": ("dsp", 1),
    "RAMB18E1": ("bram_18k", 1),
    "RAMB36E1": ("bram_18k", 2),
    "MUXF7": ("muxf", 1),
    "MUXF8": ("muxf", 1),
}
_CELL_LINE = re.compile(r"^ {5}(\S+)\s+(\d+)$")
_CPU = re.compile(r"CPU: user ([\d.]+)s system ([\d.]+)s")


def yosys() -> str:
    path = shutil.which("yosys")
    if path is None:
        raise CalibrationError(
            "yosys not found: run  make calibrate-costs  or  apt-get install yosys"
        )
    return path


def yosys_version() -> str:
    out = subprocess.run([yosys(), "-V"], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def parse_stat(log: str) -> dict[str, int]:
    """Cell counts of the last ``stat`` in a yosys log."""
    at = log.rfind("Number of cells:")
    if at < 0:
        raise CalibrationError("no 'stat' output in the yosys log")
    cells: dict[str, int] = {}
    for line in log[at:].splitlines()[1:]:
        match = _CELL_LINE.match(line)
        if match is None:
            break
        cells[match[1]] = int(match[2])
    return cells


def counts(cells: dict[str, int]) -> dict[str, int]:
    """Resources of a cell list, by the table's counting rules."""
    out = dict.fromkeys(RESOURCES, 0)
    for cell, n in cells.items():
        if cell in CELLS:
            resource, weight = CELLS[cell]
            out[resource] += weight * n
        elif cell.startswith("FD"):
            out["ff"] += n
        elif cell not in IO_CELLS:
            raise CalibrationError(f"yosys produced cell {cell}, which the counting rules lack")
    return out


@dataclasses.dataclass(frozen=True)
class Synthesis:
    cells: dict[str, int]
    cpu_s: float  # yosys' own CPU time (user + system), as its log reports it


def synthesise(design: Design, wall_timeout: float | None = None) -> Synthesis:
    """Synthesise one design (subprocess.TimeoutExpired past ``wall_timeout`` seconds)."""
    with tempfile.TemporaryDirectory(prefix="fpgagan-yosys-") as tmp:
        (Path(tmp) / "unit.v").write_text(design.verilog)
        proc = subprocess.run(
            [yosys(), "-p", design.script],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=wall_timeout,
        )
    if proc.returncode != 0:
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln]
        raise CalibrationError(f"yosys failed on {design.top}: {errors[-1:] or proc.returncode}")
    cpu = _CPU.search(proc.stdout)
    return Synthesis(parse_stat(proc.stdout), float(cpu[1]) + float(cpu[2]) if cpu else 0.0)


def _mapped_to(p: Params, c: dict[str, int], cells: dict[str, int]) -> str:
    if c["bram_18k"]:
        return "block RAM"
    if any(cell.startswith("RAM") for cell in cells):
        return "LUT RAM"
    return "registers" if c["ff"] >= p["d"] * p["w"] else "logic"


def _entry(unit: Unit, results: list[dict[str, int]]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": unit.name, "params": unit.params}
    if len(results) == 1:
        entry["counts"] = counts(results[0])
        entry["cells"] = dict(sorted(results[0].items()))
        if unit.kind in ("ram_sdp", "rom"):
            entry["mapped_to"] = _mapped_to(unit.params, entry["counts"], results[0])
        return entry
    each = [counts(r) for r in results]
    entry["counts"] = {r: round(sum(c[r] for c in each) / len(each), 4) for r in RESOURCES}
    entry["min"] = {r: min(c[r] for c in each) for r in RESOURCES}
    entry["max"] = {r: max(c[r] for c in each) for r in RESOURCES}
    entry["n_syntheses"] = len(each)
    return entry


def measure_units(
    units: list[Unit], jobs: int = 2, limit_s: float | None = LIMIT_S, progress: bool = False
) -> tuple[dict[str, dict[str, Any]], list[dict[str, str]]]:
    """Synthesise every design of ``units``: table entries by name, and the units dropped.

    A unit is dropped when one of its syntheses needs more than ``limit_s`` seconds of yosys CPU
    time (yosys is killed after three times that, wall clock).
    """
    tasks = [(u, d) for u in units for d in u.designs()]
    results: dict[str, list[dict[str, int]]] = {u.name: [] for u in units}
    dropped: dict[str, str] = {}
    wall = None if limit_s is None else 3 * limit_s
    with (
        ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
        tqdm(total=len(tasks), unit="synth", disable=not progress) as bar,
    ):
        futures = {pool.submit(synthesise, d, wall): u for u, d in tasks}
        for future in as_completed(futures):
            unit = futures[future]
            try:
                result = future.result()
            except subprocess.TimeoutExpired:
                dropped[unit.name] = f"yosys ran for more than {wall:g} s"
            else:
                results[unit.name].append(result.cells)
                if limit_s is not None and result.cpu_s > limit_s:
                    dropped[unit.name] = f"yosys needed {result.cpu_s:.0f} s > {limit_s:g} s"
            bar.update()
    entries = {u.name: _entry(u, results[u.name]) for u in units if u.name not in dropped}
    return entries, [{"name": n, "reason": r} for n, r in sorted(dropped.items())]


# ----------------------------------------------------------------------------- the table


def load_table(path: Path = TABLE) -> dict[str, Any] | None:
    return json.loads(path.read_text()) if path.exists() else None


def table_entries(table: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for kind in table["units"].values() for e in kind["entries"]}


def build_table(
    entries: dict[str, dict[str, Any]], dropped: list[dict[str, str]], version: str, date: str
) -> dict[str, Any]:
    """The JSON document: provenance, counting rules, then every kind's entries in grid order."""
    units = {}
    for kind_name, kind in KINDS.items():
        names = [f"{kind_name} {kind.label(p)}" for p in kind.grid]
        units[kind_name] = {
            "description": kind.description,
            "synth_options": "-nodsp" if kind.nodsp else "",
            "entries": [entries[n] for n in names if n in entries],
        }
    return {
        "format": 1,
        "note": NOTE,
        "yosys_version": version,
        "command": COMMAND,
        "script": SCRIPT,
        "date": date,
        "drop_rule": f"a unit whose synthesis needs more than {LIMIT_S:g} s of yosys CPU time "
        "is dropped and listed in 'dropped'",
        "counting": COUNTING,
        "cell_mapping": {c: {"resource": r, "per_cell": n} for c, (r, n) in CELLS.items()}
        | {"FD*": {"resource": "ff", "per_cell": 1}},
        "lut_cells": LUT_CELLS,
        "ignored_cells": sorted(IO_CELLS),
        "units": units,
        "dropped": dropped,
    }


def select(pattern: str | None) -> list[Unit]:
    units = [u for u in all_units() if pattern is None or fnmatch.fnmatchcase(u.name, pattern)]
    if not units:
        raise CalibrationError(f"no unit matches {pattern!r} (names look like 'mux k16 b8')")
    return units


def calibrate(pattern: str | None, jobs: int, limit_s: float, path: Path = TABLE) -> bool:
    """Measure the selected units into the table; True when the file changed."""
    version = yosys_version()
    old = load_table(path)
    entries, dropped = {}, []
    if pattern is not None and old is not None:
        if old["yosys_version"] != version:
            raise CalibrationError(
                f"the table is from {old['yosys_version']}, yosys is {version}: re-run every unit"
            )
        entries, dropped = table_entries(old), old["dropped"]
    units = select(pattern)
    new, new_dropped = measure_units(units, jobs, limit_s, progress=True)
    names = {u.name for u in units}
    entries = {n: e for n, e in entries.items() if n not in names} | new
    dropped = sorted([d for d in dropped if d["name"] not in names] + new_dropped, key=str)
    table = build_table(entries, dropped, version, old["date"] if old else "")
    if table == old:
        return False
    table["date"] = datetime.date.today().isoformat()
    write_json_atomic(path, table)
    return True


def check(n: int, pattern: str | None, jobs: int, seed: int, path: Path = TABLE) -> list[str]:
    """Re-synthesise ``n`` sampled units; one line per unit whose counts differ from the table."""
    table = load_table(path)
    if table is None:
        raise CalibrationError(f"{path} does not exist: run tools/calibrate_costs.py first")
    stored = table_entries(table)
    population = [u for u in select(pattern) if u.name in stored]
    sample = random.Random(seed).sample(population, min(n, len(population)))
    measured, dropped = measure_units(sample, jobs, None, progress=True)
    diffs = [f"{d['name']}: {d['reason']}" for d in dropped]
    keys = ("counts", "min", "max", "cells", "mapped_to")
    for name, entry in measured.items():
        bad = [k for k in keys if entry.get(k) != stored[name].get(k)]
        diffs += [
            f"{name}: {k} {stored[name].get(k)} in the table, {entry.get(k)} now" for k in bad
        ]
    return diffs


REPRESENTATIVE = (
    "mult_fabric w4 a8s",
    "mult_fabric w4 a8u",
    "mult_fabric w2 a8u",
    "mult_dsp w4 a8u",
    "mult_const w4 a8u",
    "dsp_packed_pair w4 a8u",
    "dsp_pair_extract w4 a8u",
    "mac w4 a8u n20",
    "accumulator n19",
    "adder_tree k8 b12 comb",
    "adder_tree k8 b12 pipelined",
    "output_unit relu_u n20 m8 f8",
    "mux k16 b8",
    "counter b8",
    "ram_sdp d1024 w16",
    "rom d512 w8",
    "fifo_srl d16 w8",
)


def markdown(table: dict[str, Any], names: tuple[str, ...] = REPRESENTATIVE) -> str:
    """A few representative units as a Markdown table (docs/hardware.md)."""
    entries = table_entries(table)
    lines = [
        f"Measured with {table['yosys_version']} on {table['date']}: `{table['command']}`.",
        "",
        "| unit | LUT | FF | CARRY4 | DSP48E1 | BRAM_18K | MUXF7/8 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        e = entries[name]
        label = f"{name} ({e['mapped_to']})" if "mapped_to" in e else name
        if "n_syntheses" in e:
            label += f" (mean of {e['n_syntheses']} constants)"
        lines.append(f"| {label} | " + " | ".join(f"{e['counts'][r]:g}" for r in RESOURCES) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2, help="parallel yosys processes (2)")
    parser.add_argument("--only", metavar="PATTERN", help="fnmatch pattern on unit names")
    parser.add_argument("--check", type=int, metavar="N", help="re-synthesise N sampled units")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed for --check (0)")
    parser.add_argument(
        "--limit",
        type=float,
        default=LIMIT_S,
        help=f"drop a unit past this yosys CPU time ({LIMIT_S:g} s)",
    )
    parser.add_argument("--markdown", action="store_true", help="print the docs table")
    parser.add_argument("--table", type=Path, default=TABLE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.markdown:
            table = load_table(args.table)
            if table is None:
                raise CalibrationError(f"{args.table} does not exist")
            print(markdown(table), end="")
        elif args.check is not None:
            diffs = check(args.check, args.only, args.jobs, args.seed, args.table)
            print("\n".join(diffs) or f"{args.check} sampled units match {args.table.name}")
            return 1 if diffs else 0
        else:
            changed = calibrate(args.only, args.jobs, args.limit, args.table)
            print(f"{args.table} {'written' if changed else 'unchanged'}")
    except CalibrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
