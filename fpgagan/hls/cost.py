"""An analytic cost model of fpgagan/hls4ml designs: multipliers, memory, cycles, throughput.

Estimates, not synthesis results; every assumption is a named constant here and is printed in the
report beside the figures:

- A multiplier uses one DSP when both operands are wider than ``LUT_MULT_MAX_BITS`` bits;
  narrower products are built from LUTs, about ``w_a * w_b`` LUTs each.
- Every multiplier feeds an adder of the accumulator's width: one LUT per accumulator bit.
- Weights whose array is read ``reuse_factor`` (>= ``BRAM_MIN_DEPTH``) times per output sit in
  BRAM_18K: enough blocks for the bits read per cycle (36 bits per block port) and for capacity
  (18,432 bits per block); shallower arrays are registers (one FF per bit).
- io_stream layers run as a dataflow pipeline: images/s = clock / the slowest layer's cycles per
  image; latency is the sum of all layers' cycles.
- A transposed or sparse convolution computes one output pixel per ``reuse_factor`` cycles after
  its line buffer fills; it reads its input at one pixel per cycle.
"""

from __future__ import annotations

import dataclasses
import math

from hls4ml.model.layers import Conv2D, Dense

from fpgagan.hls.layers import Conv2DTranspose, SparseConv2D, SparseDense
from fpgagan.hls.memory import bit_width, variable_bits

LUT_MULT_MAX_BITS = 4
BRAM_MIN_DEPTH = 16
BRAM18_BITS = 18 * 1024
BRAM18_PORT_BITS = 36
# kinds that compute pixel by pixel behind a line buffer (the rest compute one vector per image)
PIXEL_KINDS = ("Conv2DTranspose", "Conv2D")
ASSUMPTIONS = [
    f"multipliers use a DSP when both operands are wider than {LUT_MULT_MAX_BITS} bits, else ~w_a*w_b LUTs",
    "one LUT per accumulator bit per multiplier for the adder tree",
    f"weights read over reuse_factor >= {BRAM_MIN_DEPTH} cycles sit in BRAM_18K "
    f"(max of {BRAM18_PORT_BITS} bits/port and {BRAM18_BITS} bits/block), shallower ones in flip-flops",
    "io_stream dataflow: images/s = clock / slowest layer's cycles per image; latency = sum of layer cycles",
    "transposed and sparse convolutions: one output pixel per reuse_factor cycles, input read at one "
    "pixel per cycle",
    "sparse kernels: multipliers from the non-zero weights of the widest phase (or all of a Dense "
    "or Conv2D), "
    "memory includes the stored indices",
    "FIFOs between layers, control logic and the AXI interface are not counted",
]


@dataclasses.dataclass(frozen=True)
class LayerCost:
    name: str
    kind: str
    macs: int  # multiplications per image
    n_weights: int
    weight_bits: int
    input_bits: int
    accum_bits: int
    reuse_factor: int
    multipliers: int  # multiplier instances
    multiplier_kind: str  # "dsp" or "lut"
    dsp: int
    lut: int
    ff: int
    bram_18k: int
    cycles: int  # cycles per image (initiation interval of this layer)

    @property
    def bops(self) -> int:
        """Bit operations: MACs x weight bits x input bits (Baskin et al.'s first-order BOPs)."""
        return self.macs * self.weight_bits * self.input_bits


@dataclasses.dataclass(frozen=True)
class LayerShape:
    """What the cost model needs of a compute layer, independent of its reuse factor."""

    name: str
    kind: str
    macs: int
    n_weights: int
    mults_per_step: int  # products one pipelined step needs at reuse factor 1
    steps: int  # pipelined steps per image (output pixels; 1 for Dense)
    read_cycles: int  # cycles to stream the input in
    weight_bits: int
    input_bits: int
    accum_bits: int
    line_buffer_bits: int
    index_bits: int = 0  # sparse kernels: index bits stored beside every non-zero weight


def _index_bits(layer, nnz: int) -> int:
    """Index bits stored per non-zero weight of a sparse layer (its two index arrays)."""
    arrays = (
        ("sparse_row", "sparse_col")
        if isinstance(layer, SparseDense)
        else ("sparse_index", "run_start")
    )
    return math.ceil(variable_bits(layer, *arrays) / max(nnz, 1))


def layer_shapes(hls_model) -> list[LayerShape]:
    """The compute layers of an hls4ml model (Dense, Conv2D, Conv2DTranspose and their sparse
    forms), in order."""
    shapes = []
    for layer in hls_model.get_layers():
        if not isinstance(layer, Dense | Conv2D | SparseDense | Conv2DTranspose | SparseConv2D):
            continue
        g = layer.get_attr
        in_bits = bit_width(layer.get_input_variable().type.precision)
        common = dict(
            weight_bits=bit_width(layer.get_weights("weight").type.precision)
            if "weight" in layer.weights
            else 0,
            input_bits=in_bits,
            accum_bits=bit_width(layer.types["accum_t"].precision)
            if "accum_t" in layer.types
            else 0,
        )
        if isinstance(layer, SparseDense):
            nnz = g("n_nonzero")
            shapes.append(
                LayerShape(
                    layer.name,
                    "Dense",
                    nnz,
                    nnz,
                    nnz,
                    1,
                    g("n_in"),
                    line_buffer_bits=0,
                    index_bits=_index_bits(layer, nnz),
                    **common,
                )
            )
        elif isinstance(layer, Dense):
            n = g("n_in") * g("n_out")
            shapes.append(
                LayerShape(layer.name, "Dense", n, n, n, 1, g("n_in"), line_buffer_bits=0, **common)
            )
        elif isinstance(layer, SparseConv2D):
            nnz = g("n_nonzero")
            shapes.append(
                LayerShape(
                    layer.name,
                    "Conv2D",
                    g("sparse_n_mult"),
                    nnz,
                    nnz,
                    g("out_height") * g("out_width"),
                    g("in_height") * g("in_width"),
                    line_buffer_bits=g("filt_height") * g("in_width") * g("n_chan") * in_bits,
                    index_bits=_index_bits(layer, nnz),
                    **common,
                )
            )
        elif isinstance(layer, Conv2D):  # hls4ml's dense kernel multiplies every tap, padding too
            per_pixel = g("n_chan") * g("n_filt") * g("filt_height") * g("filt_width")
            steps = g("out_height") * g("out_width")
            shapes.append(
                LayerShape(
                    layer.name,
                    "Conv2D",
                    per_pixel * steps,
                    per_pixel,
                    per_pixel,
                    steps,
                    g("in_height") * g("in_width"),
                    line_buffer_bits=g("filt_height") * g("in_width") * g("n_chan") * in_bits,
                    **common,
                )
            )
        elif isinstance(layer, Conv2DTranspose):
            line = g("taps_height") * g("in_width") * g("n_chan") * in_bits
            steps, reads = g("out_height") * g("out_width"), g("in_height") * g("in_width")
            if g("use_sparse_kernel", False):
                nnz = g("n_nonzero")
                shapes.append(
                    LayerShape(
                        layer.name,
                        "Conv2DTranspose",
                        g("sparse_n_mult"),
                        nnz,
                        g("max_phase_nnz"),
                        steps,
                        reads,
                        line_buffer_bits=line,
                        index_bits=_index_bits(layer, nnz),
                        **common,
                    )
                )
            else:
                taps = g("n_chan") * g("n_filt") * g("taps_height") * g("taps_width")
                n = g("n_chan") * g("n_filt") * g("filt_height") * g("filt_width")
                shapes.append(
                    LayerShape(
                        layer.name,
                        "Conv2DTranspose",
                        layer.n_mult,
                        n,
                        taps,
                        steps,
                        reads,
                        line_buffer_bits=line,
                        **common,
                    )
                )
    return shapes


def layer_cost(shape: LayerShape, reuse_factor: int) -> LayerCost:
    """Estimate one layer at ``reuse_factor``."""
    rf = max(1, min(reuse_factor, shape.mults_per_step))
    mults = math.ceil(shape.mults_per_step / rf)
    dsp_mult = shape.weight_bits > LUT_MULT_MAX_BITS and shape.input_bits > LUT_MULT_MAX_BITS
    lut = mults * shape.accum_bits + (
        0 if dsp_mult else mults * shape.weight_bits * shape.input_bits
    )
    weight_bits = shape.n_weights * (shape.weight_bits + shape.index_bits)
    if rf >= BRAM_MIN_DEPTH:
        bram = max(
            math.ceil(mults * (shape.weight_bits + shape.index_bits) / BRAM18_PORT_BITS),
            math.ceil(weight_bits / BRAM18_BITS),
        )
        ff = 0
    else:
        bram, ff = 0, weight_bits
    if shape.line_buffer_bits:
        bram += math.ceil(shape.line_buffer_bits / BRAM18_BITS)
    ff += mults * shape.accum_bits // max(1, rf)  # pipeline registers of the adder tree
    cycles = shape.steps * rf + (shape.read_cycles if shape.kind in PIXEL_KINDS else 0)
    if shape.kind == "Dense":
        cycles = max(rf, shape.read_cycles)
    return LayerCost(
        shape.name,
        shape.kind,
        shape.macs,
        shape.n_weights,
        shape.weight_bits,
        shape.input_bits,
        shape.accum_bits,
        rf,
        mults,
        "dsp" if dsp_mult else "lut",
        mults if dsp_mult else 0,
        lut,
        ff,
        bram,
        cycles,
    )


@dataclasses.dataclass(frozen=True)
class DesignCost:
    layers: tuple[LayerCost, ...]
    clock_mhz: float

    def total(self, field: str) -> int:
        return sum(getattr(layer, field) for layer in self.layers)

    @property
    def interval_cycles(self) -> int:
        return max(layer.cycles for layer in self.layers)

    @property
    def latency_cycles(self) -> int:
        return sum(layer.cycles for layer in self.layers)

    @property
    def images_per_s(self) -> float:
        return self.clock_mhz * 1e6 / self.interval_cycles

    def dsp_roofline(self, dsp: int) -> float:
        """DSP-bound limit: every DSP multiplying every cycle, images/s = DSPs x clock / MACs."""
        return dsp * self.clock_mhz * 1e6 / self.total("macs")


def design_cost(shapes: list[LayerShape], reuse: dict[str, int], clock_mhz: float) -> DesignCost:
    return DesignCost(tuple(layer_cost(s, reuse.get(s.name, 1)) for s in shapes), clock_mhz)
