"""FINN (finn-hlslib) designs of docs/published_designs.yaml in the cost model's terms.

A FINN matrix-vector-activation unit (MVAU) with ``PE`` and ``SIMD`` is structurally the engine's
layer (``nnet_fg_engine.h``) with ``n_par = PE`` outputs in parallel and ``k_par = SIMD`` inputs
per step: ``PE x SIMD`` multipliers, ``PE`` adder trees of ``SIMD`` products, ``PE`` accumulators,
one weight word per step and ``(MatrixW / SIMD) * (MatrixH / PE)`` steps per output pixel (FINN's
``WMEM``).  So each MVAU becomes an :class:`~fpgagan.hls.engine_layers.EngineShape` and
:func:`fpgagan.hw.cost.layer_cost` counts its datapath.  A transposed convolution that FINN runs
as zero insertion + padding + a stride-1 convolution (QDCGAN-PYNQ's TransposeConvLayer_Batch) is a
``conv`` on the zero-inserted, padded input: the MVAU multiplies the inserted zeros too.

Where FINN builds a job differently from the engine, the engine's item is left out and FINN's own
structure is counted instead, with the same building blocks (:data:`REPLACED` says which and why):

- activations: FINN compares the accumulator with thresholds (``NumTH`` comparators per PE lane,
  plus their threshold memory unless the thresholds are constants), it has no round/saturate
  output unit;
- weights: ``PE`` RAMs of ``WMEM`` words of ``SIMD`` weights (loaded at run time over AXI-Lite),
  not one ROM of ``PE * SIMD``-weight words;
- the input: the MVAU keeps its input vector in ``SF = MatrixW / SIMD`` words of registers (the
  BNN-PYNQ-era finn-hlslib partitions ``inputBuf[SF]`` completely) and reads one word a step; the
  line buffer is in a separate sliding-window unit (SWU) that is not the engine's and is counted
  as *periphery* (``K + 1`` line blocks of ``padded_width * C_in / SIMD`` words, finn-hlslib's
  ``inputBuf[K + 1][...]``, mapped with the storage formulas), like the stream FIFOs.

The engine's counting rules stay as they are where FINN's code differs only in detail: the adder
trees are counted at the products' width growing one bit a level (FINN's ``mac<SIMD>`` adds in the
accumulator type and leaves the narrowing to HLS), and an engine item this mapping does not know
stops the benchmark instead of being dropped silently.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from benchmarks.published_common import (
    Estimate,
    Part,
    Unexpressed,
    published_res,
    type_signed,
    type_width,
    unit_part,
)
from fpgagan.hw import storage, system
from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import Item, Res, layer_cost
from fpgagan.hw.engine import Geometry, Kind, Parallelism, dense_steps
from fpgagan.hw.fifo import fifo_cost
from fpgagan.hw.spec import EngineShape, Widths

# engine items (fpgagan.hw.cost names) that an MVAU has as they are, and their category
KEPT = {
    "multiplier": "multipliers",
    "DSP48E1": "multipliers",
    "product register": "product registers",
    "adder tree": "adder trees",
    "accumulator": "accumulators",
    "counter": "control",
    "tap locate": "control",
}
# engine items whose job FINN does with other hardware (counted from FINN's structure instead)
REPLACED = {
    "output unit": "FINN thresholds the accumulator (comparators counted separately)",
    "output register": "FINN streams PE outputs per fold, no pixel register",
    "bias / accumulator select": "no bias: FINN restarts the accumulator from 0 (its clear)",
    "window read mux": "the MVAU reads one word of its SF-word input buffer per step",
    "window zero mask": "the SWU writes the inserted/padding zeros into its buffer",
    "weights": "FINN keeps PE weight RAMs of SIMD-weight words",
    "biases": "no bias",
    "buffer": "MVAU input buffer (core) + SWU line buffer (periphery)",
}
# a comparator (a > t) is the carry chain of a subtraction: the table has no comparator unit, so
# the cost model's own stand-in is used, a 2-input combinational adder (cost.control_items too)
COMPARATOR = "comparator (2-input comb adder as stand-in)"


@dataclasses.dataclass(frozen=True)
class FinnFacts:
    """What a design's YAML entry lacks and its top.cpp states (cited in :data:`FACTS`)."""

    thresholds: str  # "constant": one constant set shared by every lane; "ram": per channel
    n_thresholds: int  # comparators per PE lane
    last: str  # the last layer's activation: "tanh" (not counted) or "passthrough"
    x_signed: bool  # the activations between layers
    input_signed: bool  # the first layer's input, where the YAML gives no act_in_type
    acc_bits: int = 0  # accumulator width where the YAML layer does not give it
    fifos: tuple[tuple[int, int], ...] = ()  # (depth, bits) of the stream FIFOs; () not counted
    lutram_weights: tuple[int, ...] = ()  # MVAU indices whose weights a pragma puts in LUTRAM
    lutram_thresholds: tuple[int, ...] = ()
    declared_weights: tuple[tuple[int, int, int], ...] = ()  # (MVAU, PE, WMEM) as declared


_QDCGAN = {
    # top.cpp: ReLUActivation<1,1,15,ap_fixed<32,20>,ap_uint<4>> threshs0 with 15 constant
    # thresholds, shared by every layer and PE (never written by DoMemInit); layer 0 takes
    # Slice<ap_fixed<8,1>>, the others Slice<ap_ufixed<4,0>>; the last layer uses
    # TanhActivation (a 256-entry table)
    "thresholds": "constant",
    "n_thresholds": 15,
    "last": "tanh",
    "x_signed": False,
    "input_signed": True,
}
FACTS: dict[str, FinnFacts] = {
    # FIFOs: top.cpp's STREAM pragmas inter0..3 (also in the YAML's other_blocks)
    "qdcgan-pynq-mnist-w4a4-ultra96": FinnFacts(
        **_QDCGAN, fifos=((2, 64), (16, 256), (32, 256), (16, 256))
    ),
    # celebA top.cpp: inter0..5; weights4 is declared FixedPointWeights<L4_SIMD, .., L3_PE,
    # L3_WMEM> (8 PE x 256 words) although its MVAU uses PE=3 and 64 words (the YAML's note)
    "qdcgan-pynq-celeba-w4a4-ultra96": FinnFacts(
        **_QDCGAN,
        fifos=((2, 64), (16, 256), (32, 256), (16, 256), (16, 256), (16, 192)),
        declared_weights=((4, 8, 256),),
    ),
    "qdcgan-pynq-celeba-w4a4-zcu104": FinnFacts(
        **_QDCGAN,
        fifos=((2, 64), (16, 256), (32, 256), (16, 256), (16, 256), (16, 192)),
        declared_weights=((4, 8, 256),),
    ),
    # BNN-PYNQ cnvW2A2 top.cpp (d84f6e8): ThresholdsActivation<TMEM, PE, API=2, ap_int<16>,
    # ap_int<2>, -1> (2 thresholds per channel in RAM, written by DoMemInit; layer 0's type from
    # the YAML), Slice<ap_int<2>> activations, layer 8 PassThroughActivation<ap_uint<16>>;
    # RESOURCE pragmas put weights1 and threshs4 in LUTRAM; its FIFO depths are not in the YAML
    "bnn-pynq-cnv-w2a2-pynqz1": FinnFacts(
        thresholds="ram",
        n_thresholds=2,
        last="passthrough",
        x_signed=True,
        input_signed=True,
        acc_bits=16,
        lutram_weights=(1,),
        lutram_thresholds=(4,),
    ),
}
UNEXPRESSED = {
    "bnn-pynq-cnv-w1a1-pynqz1": "binarized XNOR-popcount (+-1 weights and activations): the "
    "engine multiplies two's-complement integers and the table has no 1-bit-activation unit; "
    "w2 x a2 multipliers would count hardware the design does not have",
    "bnn-pynq-cnv-w1a2-pynqz1": "binary +-1 weights (a product is a conditional negation): the "
    "engine's 1-bit signed weight is {-1, 0}; 2-bit multipliers would over-count",
    "bnn-pynq-lfc-w1a1-pynqz1": "binarized XNOR-popcount (also its lfc-w1a2 variant): same "
    "reason as bnn-pynq-cnv-w1a1-pynqz1",
}


@dataclasses.dataclass(frozen=True)
class FinnLayer:
    """One MVAU layer as the YAML and top.cpp describe it."""

    index: int
    kind: Kind  # "conv" or "dense"
    transpose: bool
    c_in: int
    c_out: int
    k: int
    stride: int
    pad: int
    ifm: int  # input height = width
    ofm: int
    pe: int
    simd: int
    w_bits: int
    x_bits: int
    x_signed: bool
    acc_bits: int
    out_bits: int
    activation: str  # "thresholds", "tanh" or "passthrough"
    wmem: int
    tmem: int
    cycles_per_image: int | None

    @property
    def padded(self) -> int:
        """Height of the map the MVAU's stride-1 (or plain) convolution runs on."""
        if self.kind == "dense":
            return 1
        if self.transpose:  # TIFMPadDim of transpose_slidingwindow.h
            return self.ifm + (self.ifm - 1) * (self.stride - 1) + 2 * (self.k - 1 - self.pad)
        return self.ifm + 2 * self.pad

    @property
    def fan_in(self) -> int:
        return self.k * self.k * self.c_in  # MatrixW

    @property
    def sf(self) -> int:
        return self.fan_in // self.simd


def finn_layers(entry: dict[str, Any], facts: FinnFacts) -> list[FinnLayer]:
    """The MVAU layers of a design entry (pooling entries skipped), checked for consistency."""
    rows = [r for r in entry["layers"] if r["type"] in ("Conv", "ConvTranspose", "Dense")]
    out = []
    for i, r in enumerate(rows):
        dense = r["type"] == "Dense"
        in_shape, out_shape = r["in"], r["out"]
        acc = r.get("accumulator") or r.get("threshold_type")
        x_type = r.get("act_in_type")
        if x_type:
            x_signed = type_signed(x_type)
        else:
            x_signed = facts.input_signed if i == 0 else facts.x_signed
        last = i == len(rows) - 1
        layer = FinnLayer(
            index=i,
            kind="dense" if dense else "conv",
            transpose=r["type"] == "ConvTranspose",
            c_in=in_shape[0],
            c_out=out_shape[0],
            k=1 if dense else r["kernel"],
            stride=r.get("stride", 1),
            pad=r.get("padding", 0),
            ifm=1 if dense else in_shape[1],
            ofm=1 if dense else out_shape[1],
            pe=r["pe"],
            simd=r["simd"],
            w_bits=r["weight_bits"],
            x_bits=r["act_in_bits"],
            x_signed=x_signed,
            acc_bits=type_width(acc) if acc else facts.acc_bits,
            out_bits=r["act_bits"],
            activation=facts.last if last else "thresholds",
            wmem=r["wmem"],
            tmem=r["tmem"],
            cycles_per_image=r.get("cycles_per_image"),
        )
        if dense:
            conv_out = 1
        elif layer.transpose:  # the stride went into the zero insertion
            conv_out = layer.padded - layer.k + 1
        else:
            conv_out = (layer.padded - layer.k) // layer.stride + 1
        if conv_out != layer.ofm:
            raise ValueError(f"{entry['name']} layer {i}: output {layer.ofm} != {conv_out}")
        if not layer.acc_bits:
            raise ValueError(f"{entry['name']} layer {i}: no accumulator type")
        out.append(layer)
    return out


def engine_shape(layer: FinnLayer, name: str) -> EngineShape:
    """The engine layer with the MVAU's parallelism, widths and geometry (see the module doc)."""
    dense = layer.kind == "dense"
    n_pix = layer.ofm * layer.ofm
    geom = Geometry(
        kind=layer.kind,
        n_out=layer.c_out,
        n_chan=layer.c_in,
        n_taps=layer.k * layer.k,
        n_mats=1,
        n_pix=n_pix,
        in_pixels=1 if dense else layer.padded**2,
        line_rows=0 if dense else layer.k,
        in_width=layer.padded,
    )
    steps = dense_steps(geom, layer.pe, layer.simd)
    prod_bits = layer.x_bits + (0 if layer.x_signed else 1) + layer.w_bits
    macs = n_pix * geom.products_per_pixel  # every product the MVAU performs, zeros included
    return EngineShape(
        name=name,
        kernel="FINN MVAU",
        geometry=geom,
        parallelism=Parallelism(n_par=layer.pe, k_par=layer.simd),  # ap_resource_lut: fabric
        widths=Widths(
            x_bits=layer.x_bits,
            x_signed=layer.x_signed,
            w_bits=layer.w_bits,
            b_bits=2,  # what fpgagan writes for a layer without bias
            prod_bits=prod_bits,
            tree_bits=prod_bits + math.ceil(math.log2(layer.simd)),
            acc_bits=layer.acc_bits,
            out_bits=layer.out_bits,
        ),
        n_steps=steps,
        sparse=False,
        n_nonzero=geom.n_win * geom.n_out,
        macs=macs,
        macs_options=(macs, macs),
        rom_words=steps,
        activation="none",
        io_type="io_stream",
        bias_values=0,
        ctl_bits=0,
        in_height=layer.padded,
        in_width=layer.padded,
        out_height=layer.ofm,
        out_width=layer.ofm,
        in_elements=1 if dense else layer.padded**2,
        filt_height=layer.k,
        stride_height=1 if layer.transpose else layer.stride,
    )


def design_shapes(entry: dict[str, Any]) -> list[tuple[FinnLayer, EngineShape]]:
    facts = FACTS[entry["name"]]
    return [(x, engine_shape(x, f"L{x.index}")) for x in finn_layers(entry, facts)]


def _engine_parts(shape: EngineShape) -> list[Part]:
    parts = []
    for item in layer_cost(shape).items:
        kept = [c for prefix, c in KEPT.items() if item.what.startswith(prefix)]
        if kept:
            cat = kept[0]
            parts.append(
                Part("core", shape.name, cat, item.what, item.count, item.unit, item.source)
            )
        elif not item.what.startswith(tuple(REPLACED)):
            raise ValueError(f"cost item {item.what!r} is neither kept nor replaced for FINN")
    return parts


def _memory_part(group, layer: str, category: str, count: int, mem: storage.Memory) -> Part:
    what = f"{mem.depth}x{mem.width} ({mem.impl})"
    return Part(group, layer, category, what, count, Res.of_memory(mem), mem.source)


def _ram(name: str, depth: int, width: int, lutram: bool) -> storage.Memory:
    if lutram:  # a RESOURCE ... core=RAM_2P_LUTRAM pragma
        return storage.cost(name, depth, width, rom=False, impl="lutram")
    return storage.choose(name, depth, width, rom=False)


def layer_parts(x: FinnLayer, shape: EngineShape, facts: FinnFacts) -> list[Part]:
    """Every part of one FINN layer: engine datapath, FINN's memories and thresholds, its SWU."""
    name = shape.name
    parts = _engine_parts(shape)
    pe, wmem = x.pe, x.wmem
    for index, declared_pe, declared_wmem in facts.declared_weights:
        if index == x.index:
            pe, wmem = declared_pe, declared_wmem
    weights = _ram("weights", wmem, x.simd * x.w_bits, x.index in facts.lutram_weights)
    parts.append(_memory_part("core", name, "weight RAMs (one per PE)", pe, weights))
    inbuf = storage.cost("input", x.sf, x.simd * x.x_bits, rom=False, impl="registers")
    parts.append(_memory_part("core", name, "MVAU input buffers", 1, inbuf))
    if x.activation == "thresholds":
        comparators = x.pe * facts.n_thresholds
        parts.append(
            unit_part(
                "core",
                name,
                "threshold comparators",
                f"{COMPARATOR} {x.acc_bits} b",
                comparators,
                U.adder_tree(2, x.acc_bits, False),
            )
        )
        if facts.thresholds == "ram":  # m_thresholds[PE][TMEM][NumTH], dims 1 and 3 partitioned
            lutram = x.index in facts.lutram_thresholds
            mem = _ram("thresholds", x.tmem, x.acc_bits, lutram)
            parts.append(_memory_part("core", name, "threshold RAMs", comparators, mem))
    if x.kind == "conv":  # the SWU: K + 1 line blocks (inputBuf[K + 1][...], dim 1 partitioned)
        words = x.padded * x.c_in // x.simd
        swu = storage.choose("swu", words, x.simd * x.x_bits, rom=False)
        parts.append(_memory_part("periphery", name, "SWU line buffers", x.k + 1, swu))
    return parts


def _fifo_parts(facts: FinnFacts) -> list[Part]:
    parts = []
    for i, (depth, bits) in enumerate(facts.fifos):
        item: Item = fifo_cost(depth, bits)
        parts.append(Part("periphery", f"fifo{i}", "FIFOs", item.what, 1, item.unit, item.source))
    return parts


def _layer_line(x: FinnLayer, s: EngineShape) -> str:
    if x.kind == "dense":
        geo = f"dense {x.c_in}->{x.c_out}"
    else:
        how = "zero-inserted+padded" if x.transpose else "padded"
        geo = (
            f"conv {x.c_in}->{x.c_out} k{x.k} on the {how} {x.padded}x{x.padded} input "
            f"-> {x.ofm}x{x.ofm}"
        )
    cycles = s.geometry.n_pix * s.n_steps
    published = f" (published {x.cycles_per_image})" if x.cycles_per_image else ""
    return (
        f"L{x.index} {geo}: PE {x.pe} x SIMD {x.simd} = {s.parallelism.lanes} lanes, "
        f"w{x.w_bits} x a{x.x_bits}{'s' if x.x_signed else 'u'}, acc {x.acc_bits} b, "
        f"{s.n_steps} steps/pixel (WMEM {x.wmem}), {cycles} cycles/image{published}"
    )


def _system_parts(entry: dict[str, Any], processes: int) -> tuple[list[Part], list[str]]:
    """A whole-system figure is read against the whole system: the block design's vendor IP
    of the part's family and the HLS control of the design's processes (fpgagan.hw.system);
    the vendor IP without a published figure is returned by name, as not counted."""
    if entry["published"]["tool"] != "vivado_placed_full_system":
        return [], []
    fam = system.family_of_part(entry["part"])
    if fam is None:
        return [], []
    # these designs move data with their own HLS AXI masters (Mem2Stream/Stream2Mem): no AXI DMA
    vendor = [it for it in system.vendor_items(fam) if not it.what.startswith("AXI DMA")]
    items = vendor + system.control_items(processes)
    parts = [
        Part("periphery", "system", "system", it.what, it.count, it.unit, it.source)
        for it in items
        if it not in system.unsourced(items)
    ]
    return parts, [it.what for it in system.unsourced(items)]


def estimate(entry: dict[str, Any]) -> Estimate:
    facts = FACTS[entry["name"]]
    parts: list[Part] = []
    lines = []
    for x, shape in design_shapes(entry):
        parts += layer_parts(x, shape, facts)
        lines.append(_layer_line(x, shape))
    parts += _fifo_parts(facts)
    # the processes of DoCompute: per layer a sliding-window unit and an MVAU, then the
    # Mem2Stream and Stream2Mem movers
    sys_parts, sys_unsourced = _system_parts(entry, 2 * len(lines) + 2)
    parts += sys_parts
    not_counted = [
        *([f"system IP without a figure: {'; '.join(sys_unsourced)}"] if sys_unsourced else []),
        *([] if sys_parts else ["Zynq shell (PS wrapper, AXI interconnect/SmartConnect, resets)"]),
        "AXI master/lite interface, Mem2Stream/Stream2Mem, width converters",
        "threshold thermometer-to-binary adders (a few LUTs per lane)",
        "counters and address logic of the SWUs",
    ]
    if facts.last == "tanh":
        not_counted.append("the tanh activation (256-entry table, range checks, index multiply)")
    if not facts.fifos:
        not_counted.append("stream FIFOs (depths not in the YAML)")
    if any(r["type"] == "MaxPool" for r in entry["layers"]):
        not_counted.append("max-pool units")
    fifo_note = "; FIFOs from top.cpp" if facts.fifos else ""
    return Estimate(
        design=entry["name"],
        framework="finn",
        tool=entry["published"]["tool"],
        parts=tuple(parts),
        published=published_res(entry["published"]),
        comparable=(
            "MVAU datapath (engine units), FINN weight/threshold memories and input buffers vs "
            "a placed whole-Zynq-system total; periphery = SWU line buffers (storage formulas)"
            + fifo_note
            + (
                "; + the system (PS, SmartConnects, reset, HLS control: fpgagan.hw.system)"
                if sys_parts
                else ""
            )
        ),
        not_counted=tuple(not_counted),
        layers=tuple(lines),
    )


def estimates(designs: dict[str, dict[str, Any]]) -> list[Estimate | Unexpressed]:
    out: list[Estimate | Unexpressed] = []
    for name, entry in designs.items():
        if entry.get("framework") != "finn":
            continue
        if name in FACTS:
            out.append(estimate(entry))
        else:
            out.append(Unexpressed(name, UNEXPRESSED.get(name, "no mapping written")))
    return out
