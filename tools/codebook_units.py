"""Verilog of the codebook kernel's building blocks, for ``tools/calibrate_costs.py``.

- ``masked_tree``: the adders of one codebook entry of one output lane.  Each cycle it takes ``k``
  signed ``b``-bit window values with their ``ib``-bit codebook indices and sums the values whose
  index is the entry (the others masked to zero) in a pipelined tree.  A lane has one per entry
  with a partial sum, each followed by an accumulator (the ``accumulator`` unit).
- ``codebook_combine``: ``sum_e c_e * p_e`` over ``K`` signed ``n``-bit partial sums and ``K``
  constant signed ``w``-bit codebook values (seeded random distinct non-zero values; the mean
  over :data:`COMBINE_SEEDS` codebooks), combinational: the kernel's ``K`` multipliers per output.
"""

from __future__ import annotations

import math
import random

COMBINE_SEEDS = 3
SEED = "fpgagan-codebook"


def _clog2(x: int) -> int:
    return max(1, math.ceil(math.log2(x)))


def _tree(lines: list[str], names: list[str], width: int, prefix: str, pipelined: bool) -> str:
    """A balanced adder tree over ``names`` (signed ``width``-bit expressions); returns the sum."""
    level = 0
    while len(names) > 1:
        level += 1
        nxt = []
        for i in range(0, len(names) - 1, 2):
            name = f"{prefix}_{level}_{i // 2}"
            expr = f"{names[i]} + {names[i + 1]}"
            if pipelined:
                lines.append(f"  reg signed [{width + level - 1}:0] {name};")
                lines.append(f"  always @(posedge clk) {name} <= {expr};")
            else:
                lines.append(f"  wire signed [{width + level - 1}:0] {name} = {expr};")
            nxt.append(name)
        if len(names) % 2:  # an odd one out waits a level (registered like the sums)
            name = f"{prefix}_{level}_{len(nxt)}"
            if pipelined:
                lines.append(f"  reg signed [{width + level - 1}:0] {name};")
                lines.append(f"  always @(posedge clk) {name} <= {names[-1]};")
            else:
                lines.append(f"  wire signed [{width + level - 1}:0] {name} = {names[-1]};")
            nxt.append(name)
        names = nxt
    return names[0]


def v_masked_tree(k: int, ib: int, b: int) -> str:
    """The adders of one codebook entry: the sum of the ``k`` values whose index equals the
    entry (a constant), the others masked to zero; a register after every level."""
    entry = 1 % (1 << ib)
    lines = [
        f"module masked_tree(input clk, input [{k * b - 1}:0] x, input [{k * ib - 1}:0] idx,",
        f"                   output signed [{b + (math.ceil(math.log2(k)) if k > 1 else 0) - 1}:0] s);",
    ]
    masked = []
    for i in range(k):
        name = f"m{i}"
        lines.append(
            f"  wire signed [{b - 1}:0] {name} = idx[{i * ib + ib - 1}:{i * ib}] == {ib}'d{entry}"
            f" ? $signed(x[{i * b + b - 1}:{i * b}]) : {b}'sd0;"
        )
        masked.append(name)
    if k == 1:  # one value: its masked value, registered like a tree's output
        lines += [
            f"  reg signed [{b - 1}:0] r;",
            "  always @(posedge clk) r <= m0;",
            "  assign s = r;",
        ]
    else:
        lines.append(f"  assign s = {_tree(lines, masked, b, 't', pipelined=True)};")
    return "\n".join([*lines, "endmodule", ""])


def combine_values(K: int, w: int, seed: int) -> list[int]:
    """``K`` distinct non-zero signed ``w``-bit values (a codebook), seeded."""
    rng = random.Random(f"{SEED}-{K}-{w}-{seed}")
    pool = [v for v in range(-(1 << (w - 1)), 1 << (w - 1)) if v]
    return rng.sample(pool, min(K, len(pool)))


def v_codebook_combine(K: int, w: int, n: int, seed: int) -> str:
    out = n + w + (_clog2(K) if K > 1 else 0)
    lines = [f"module codebook_combine(input [{K * n - 1}:0] p, output signed [{out - 1}:0] s);"]
    products = []
    for e, c in enumerate(combine_values(K, w, seed)):
        name = f"q{e}"
        const = f"$signed({w}'b{c & ((1 << w) - 1):0{w}b})"
        lines.append(
            f"  wire signed [{n + w - 1}:0] {name} = {const} * $signed(p[{e * n + n - 1}:{e * n}]);"
        )
        products.append(name)
    total = _tree(lines, products, n + w, "s", pipelined=False)
    lines.append(f"  assign s = {total};")
    return "\n".join([*lines, "endmodule", ""])
