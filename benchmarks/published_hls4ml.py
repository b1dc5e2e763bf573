"""hls4ml designs of docs/published_designs.yaml in the cost model's terms.

At reuse factor 1 with the Latency strategy, hls4ml computes every product of a layer in the same
cycle and its weights are constants in the logic: there is no weight memory and no engine
schedule.  Counted with the measured units:

- one multiplier per non-zero weight (pruned zeros are constant-folded away; the YAML gives the
  pruning target, not per-layer counts, so ``weights x (1 - sparsity)``).  A product whose operands
  are both at least :data:`DSP_MIN_BITS` wide (16-bit x 16-bit) is a DSP48 (``mult_dsp``); narrower
  ones are LUT constant multipliers (``mult_const``: the mean over all non-zero constants);
- one adder tree per output over its non-zero products, in ``accum_t`` (hls4ml casts every
  product to ``accum_t``, ap_fixed<16,6> in all these configs), a register after every level (an
  upper bound: HLS registers the levels its timing needs), and one adder for the bias;
- io_stream convolutions: the line buffer of ``(K - 1) * C_in`` shift registers of ``in_width``
  words (``ap_shift_reg``, counted as the measured SRL FIFO unit) and the ``K * K * C_in``-value
  window registers;
- separate BatchNorm (``normalize``): per channel a 16 x 16-bit DSP product and an adder.

Activations, pooling, softmax and the stream FIFOs between layers have no measured unit here:
they are listed as not counted, and the "same layers" row compares with the tool's per-layer
figures of exactly the layers we count.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from benchmarks.published_common import (
    Estimate,
    Part,
    Unexpressed,
    published_res,
    type_width,
    unit_part,
)
from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import Res

DSP_MIN_BITS = 10  # assumption: both operands this wide -> DSP48; 16 x 16 always is
ACC_BITS = 16  # accum_t ap_fixed<16,6>: hls4ml's default precision in every config here
COUNTED = ("Conv", "Dense", "BatchNorm")


@dataclasses.dataclass(frozen=True)
class Operands:
    w_bits: int
    x_bits: int
    x_signed: bool


def multiplier(o: Operands) -> tuple[str, U.UnitCost]:
    if o.w_bits >= DSP_MIN_BITS and o.x_bits >= DSP_MIN_BITS:
        return "DSP multipliers", U.mult_dsp(o.w_bits, o.x_bits, o.x_signed)
    return "LUT constant multipliers", U.mult_const(o.w_bits, o.x_bits, o.x_signed)


def product_parts(layer: str, n_weights: int, fan_in: int, n_out: int, s: float, o: Operands):
    """Multipliers of the non-zero weights, per output an adder tree over its non-zero products
    and one adder for the bias (hls4ml starts the sum from the bias: one more 2-input add, not a
    tree one input wider, which the reader's power-of-two rule would charge as a doubled tree)."""
    products = round(n_weights * (1 - s))
    what, unit = multiplier(o)
    sfx = "s" if o.x_signed else "u"
    k = round(fan_in * (1 - s))
    tree, bias = U.adder_tree(k, ACC_BITS, True), U.adder_tree(2, ACC_BITS, False)
    return [
        unit_part("core", layer, what, f"w{o.w_bits} x a{o.x_bits}{sfx}", products, unit),
        unit_part("core", layer, "adder trees", f"of {k}", n_out, tree),
        unit_part("core", layer, "bias adders", f"{ACC_BITS} b", n_out, bias),
    ]


def conv_buffer_parts(layer: str, c_in: int, width: int, k: int, x_bits: int) -> list[Part]:
    """nnet_conv_stream's shift-register line buffer and the window registers."""
    srl = U.fifo_srl(width, x_bits)
    window = Res(ff=float(k * k * c_in * x_bits))
    return [
        unit_part("core", layer, "line buffers", f"SRL {width}x{x_bits}", (k - 1) * c_in, srl),
        Part("core", layer, "window registers", "", 1, window, "formula: K*K*C_in*x_bits FFs"),
    ]


def _operands(row: dict[str, Any], x_bits: int, x_signed: bool) -> Operands:
    w_type = row.get("weight_type")
    w_bits = type_width(w_type) if w_type else row.get("weight_bits", 16)
    return Operands(w_bits, x_bits, x_signed)


def _svhn_parts(entry: dict[str, Any], act_signed: bool) -> tuple[list[Part], list[str]]:
    parts: list[Part] = []
    lines = []
    for row in entry["layers"]:
        kind, name = row["type"], row["name"]
        in_type = row.get("act_in_type")
        x_bits = type_width(in_type) if in_type else row.get("act_in_bits", 16)
        x_signed = True if in_type else act_signed
        s = row.get("sparsity", 0.0)
        if kind == "Conv":
            c_in, h, w = row["in"]
            c_out, k = row["out"][0], row["kernel"]
            o = _operands(row, x_bits, x_signed)
            parts += product_parts(name, row["weights"], k * k * c_in, c_out, s, o)
            parts += conv_buffer_parts(name, c_in, w, k, x_bits)
        elif kind == "Dense":
            o = _operands(row, x_bits, x_signed)
            n_in, n_out = row["in"][0], row["out"][0]
            parts += product_parts(name, row["weights"], n_in, n_out, s, o)
        elif kind == "BatchNorm":
            n = row["in"][0]
            scale, shift = U.mult_dsp(16, 16, True), U.adder_tree(2, ACC_BITS, False)
            parts.append(unit_part("core", name, "BatchNorm", "scale DSP 16 x 16", n, scale))
            parts.append(unit_part("core", name, "BatchNorm", "shift adder", n, shift))
        else:
            continue
        if kind in ("Conv", "Dense"):
            lines.append(
                f"{name}: {row['weights']} weights x {1 - s:g} non-zero = "
                f"{round(row['weights'] * (1 - s))} products w{o.w_bits} x a{o.x_bits}"
                f"{'s' if o.x_signed else 'u'} -> {multiplier(o)[0]}"
            )
    return parts, lines


def _same_layers(rows: list[dict[str, Any]]) -> Res:
    out = Res()
    for row in rows:
        if row["type"] in COUNTED and "hls" in row:
            h = row["hls"]
            out = out + Res(h.get("lut", 0), h.get("ff", 0), h.get("dsp", 0), h.get("bram_18k", 0))
    return out


def svhn_estimate(entry: dict[str, Any]) -> Estimate:
    # quantized_relu(6) outputs are unsigned; the fixed16 model's activations are ap_fixed<16,6>
    act_signed = "qkeras" not in entry["name"]
    parts, lines = _svhn_parts(entry, act_signed)
    fifo = entry["published"].get("hls_estimate_total", {}).get("fifo", {})
    return Estimate(
        design=entry["name"],
        framework="hls4ml",
        tool=entry["published"]["tool"],
        parts=tuple(parts),
        published=published_res(entry["published"]),
        comparable=(
            "conv/dense/BN layers (constant multipliers, adder trees, line buffers) vs Vivado "
            "synthesis of the whole HLS IP; 'same layers': csynth estimates of exactly those layers"
        ),
        not_counted=(
            "ReLU activations and max-pool layers",
            "softmax (its exp/inv tables: 4 BRAM_18K in csynth)",
            f"stream FIFOs between layers (csynth: {fifo.get('bram_18k', '?')} BRAM_18K, "
            f"{fifo.get('lut', '?')} LUT)",
            "AXI-stream I/O, control",
        ),
        layers=tuple(lines),
        same_layers=_same_layers(entry["layers"]),
        same_layers_tool="vivado_hls_csynth_estimate",
    )


# the jet-tagging MLP's variants: widths read from each variant's precision text in the YAML
JET = {
    "fixed16-rf1": {"w_bits": 16, "act_bits": 16, "act_signed": True},
    # ap_fixed<7,1> weights and relu results; the first layer's input is ap_fixed<16,6>
    "qkeras6-pruned75-rf1": {"w_bits": 7, "act_bits": 7, "act_signed": True},
}
JET_INPUT_BITS = 16


def jet_estimate(entry: dict[str, Any], variant: dict[str, Any]) -> Estimate:
    widths = JET[variant["name"]]
    s = variant.get("sparsity", 0.0)
    parts: list[Part] = []
    lines = []
    for i, row in enumerate(entry["layers"]):
        x_bits = JET_INPUT_BITS if i == 0 else widths["act_bits"]
        o = Operands(widths["w_bits"], x_bits, widths["act_signed"])
        parts += product_parts(row["name"], row["weights"], row["in"][0], row["out"][0], s, o)
        lines.append(
            f"{row['name']}: {row['weights']} weights x {1 - s:g} non-zero, w{o.w_bits} x "
            f"a{o.x_bits}s -> {multiplier(o)[0]}"
        )
    totals = variant["totals"]
    dense = [v for k, v in variant["per_instance"].items() if k.startswith("dense")]
    same = Res()
    for h in dense:
        same = same + Res(h.get("lut", 0), h.get("ff", 0), h.get("dsp", 0), 0.0)
    return Estimate(
        design=f"{entry['name']} / {variant['name']}",
        framework="hls4ml",
        tool=entry["published"]["tool"],
        parts=tuple(parts),
        published=published_res(totals),
        comparable=(
            "dense layers (constant multipliers, adder trees) vs the csynth estimate of the whole "
            "IP (no Vivado figures published); 'same layers': csynth per-instance dense figures"
        ),
        not_counted=("ReLU units", "softmax (4 BRAM_18K of tables, 5 DSP)", "I/O registers"),
        layers=tuple(lines),
        same_layers=same,
        same_layers_tool="vivado_hls_csynth_estimate",
    )


def estimates(designs: dict[str, dict[str, Any]]) -> list[Estimate | Unexpressed]:
    out: list[Estimate | Unexpressed] = []
    for name, entry in designs.items():
        if entry.get("framework") != "hls4ml":
            continue
        if "variants" not in entry:
            out.append(svhn_estimate(entry))
            continue
        for variant in entry["variants"]:
            if variant["name"] in JET:
                out.append(jet_estimate(entry, variant))
            else:
                out.append(
                    Unexpressed(
                        f"{name} / {variant['name']}",
                        f"reuse factor {variant['reuse']}: hls4ml shares each multiplier between "
                        "constant weights through multiplexers; only RF=1 (constant multipliers) "
                        "is mapped here",
                    )
                )
    return out
