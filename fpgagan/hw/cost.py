"""The cost model: every instance the generated project has, counted, from measured unit costs.

For each engine layer (:class:`~fpgagan.hls.engine_layers.EngineShape`) the model lists what the
C++ of ``nnet_fg_engine.h`` / ``nnet_fg_layers.h`` instantiates at the layer's parallelism:

- ``k_par * n_par`` multipliers (fabric, DSP, or DSP pairs), each followed by a product register
  (a codebook layer instead: per output lane and codebook entry a masked adder tree and a
  partial-sum accumulator, then one constant multiplier per entry, see :func:`codebook_items`);
- ``n_par`` adder trees of ``k_par`` products (a register after every level), ``n_par``
  accumulators with their bias select, ``n_par`` output units (round / saturate / ReLU);
- the output register (one pixel of ``n_out`` values), the window read multiplexers;
- every memory of the layer's wrapper (:mod:`fpgagan.hw.layer_memories`, mapped by
  :mod:`fpgagan.hw.storage`), the control counters and tap arithmetic.

Unit costs come from ``unit_costs.json`` (yosys ``synth_xilinx`` of each block,
:mod:`fpgagan.hw.unit_costs`); memories from the 7-series primitive formulas.  Every item keeps
its source.  The FIFOs between layers are costed by :mod:`fpgagan.hw.fifo`, which also gives the
pipeline's interval.  yosys counts are not Vivado's (no slice packing): per-unit upper bounds.
"""

from __future__ import annotations

import dataclasses

from fpgagan.hw import offchip
from fpgagan.hw import unit_costs as U
from fpgagan.hw.layer_memories import memories
from fpgagan.hw.spec import EngineShape
from fpgagan.hw.storage import Memory

RESOURCES = ("lut", "ff", "dsp", "bram_18k")
# pipeline depth of a step (cycles from the ROM read to the accumulator update): ROM read
# latency + multiplier + one cycle per adder-tree level + accumulate + output cast.  Each engine
# layer is one pipelined loop per image (nnet_fg_layers.h: input elements and steps interleaved,
# indices from counters), so the pipeline fills and drains once per image, whatever the loop nest
# of the computation would have been.
MULT_LATENCY = 1
ACC_AND_CAST_LATENCY = 2


@dataclasses.dataclass(frozen=True)
class Res:
    """FPGA resources (LUT, FF, DSP48, BRAM_18K) as floats, summable."""

    lut: float = 0.0
    ff: float = 0.0
    dsp: float = 0.0
    bram_18k: float = 0.0

    def __add__(self, other: Res) -> Res:
        return Res(*(getattr(self, k) + getattr(other, k) for k in RESOURCES))

    def __mul__(self, n: float) -> Res:
        return Res(*(getattr(self, k) * n for k in RESOURCES))

    @classmethod
    def of_unit(cls, u: U.UnitCost) -> Res:
        return cls(u.lut, u.ff, u.dsp, u.bram_18k)

    @classmethod
    def of_memory(cls, m: Memory) -> Res:
        return cls(m.lut, m.ff, 0.0, float(m.bram_18k))


@dataclasses.dataclass(frozen=True)
class Item:
    """``count`` instances of one building block."""

    what: str
    count: float
    unit: Res
    source: str

    @property
    def total(self) -> Res:
        return self.unit * self.count


def total_of(items) -> Res:
    """The resources of ``items`` (:class:`Item`) together."""
    out = Res()
    for item in items:
        out = out + item.total
    return out


@dataclasses.dataclass(frozen=True)
class Cycles:
    """Cycles one layer spends per image, by cause (io_stream: read, then compute, per row)."""

    stream_in: int  # input elements, one per cycle
    compute: int  # output pixels x steps (one weight word read per step: the weight port's load)
    refill: int  # pipeline fill and drain: once per image (the layer is one pipelined loop)
    weight_port: int  # weight words read per image (one port, one word per cycle)
    stream_out: int  # output elements
    drain: int = 0  # off-chip layer: the output map's emit phase (one block word a cycle)

    @property
    def total(self) -> int:
        return self.stream_in + self.compute + self.refill + self.drain


@dataclasses.dataclass(frozen=True)
class LayerCost:
    name: str
    kernel: str
    items: tuple[Item, ...]
    memories: tuple[Memory, ...]
    cycles: Cycles
    macs: int  # multiplications per image meeting real inputs (non-zero weights if sparse)
    lanes: int  # multipliers
    dsp_lanes: int  # of which in DSPs
    weight_bits: int
    input_bits: int
    accum_bits: int
    n_steps: int
    mults_per_output: int = 0  # multipliers feeding one output (see multipliers_per_output)

    @property
    def total(self) -> Res:
        return total_of(self.items)

    @property
    def bops(self) -> int:
        """Bit operations: MACs x weight bits x input bits (Baskin et al.'s first-order BOPs)."""
        return self.macs * self.weight_bits * self.input_bits

    @property
    def lane_use(self) -> float:
        """Share of multiplier-cycles doing a useful product."""
        return self.macs / max(1, self.lanes * self.cycles.compute)


def _bits(n: int) -> int:
    return max(1, (max(1, int(n)) - 1).bit_length())


def _unit(what: str, count: float, u: U.UnitCost) -> Item:
    return Item(what, count, Res.of_unit(u), f"yosys: {u.source}")


def _formula(what: str, count: float, res: Res, formula: str) -> Item:
    return Item(what, count, res, f"formula: {formula}")


def codebook_items(s: EngineShape) -> list[Item]:
    """A codebook layer's arithmetic, per output lane: one masked adder tree and one accumulator
    per codebook entry with a partial sum (adders only), the entries' constant multipliers and
    their sum (``codes`` multiplications per output), the bias adder."""
    p, w = s.parallelism, s.widths
    x_width = w.x_bits + (0 if w.x_signed else 1)
    codes = s.codes
    bias = _unit("bias adder", p.n_par, U.adder_tree(2, w.acc_bits, False))
    if codes == 0:  # every weight zero: the outputs are the biases
        return [bias]
    return [
        _unit(
            f"entry adder tree of {p.k_par} (masked by index)",
            p.n_par * codes,
            U.masked_tree(p.k_par, w.idx_bits, x_width),
        ),
        _unit("partial-sum accumulator", p.n_par * codes, U.accumulator(w.ps_bits)),
        _unit(
            f"codebook multipliers ({codes} constants) and their sum",
            p.n_par,
            U.codebook_combine(codes, w.w_bits, w.ps_bits),
        ),
        bias,
    ]


def multipliers_per_output(s: EngineShape) -> int:
    """Multipliers that feed one output: ``k_par`` (one per window value a step reads), or a
    codebook layer's entries with a partial sum, whatever the fan-in."""
    return s.codes if s.codebook else s.parallelism.k_par


def datapath_items(s: EngineShape) -> list[Item]:
    """Multipliers, adder trees, accumulators, output units, registers, multiplexers."""
    p, w = s.parallelism, s.widths
    if s.codebook:
        return codebook_items(s) + _common_items(s)
    items: list[Item] = []
    if p.fabric_lanes:
        items.append(
            _unit(
                f"multiplier (fabric) {w.w_bits}b x {w.x_bits}b",
                p.fabric_lanes,
                U.mult_fabric(w.w_bits, w.x_bits, w.x_signed),
            )
        )
    if p.dsp:
        items += dsp_items(s)
    items.append(
        _formula(
            "product register",
            p.lanes,
            Res(ff=float(w.prod_bits)),
            "prod_bits FFs after every multiplier",
        )
    )
    if p.k_par > 1:
        items.append(
            _unit(f"adder tree of {p.k_par}", p.n_par, U.adder_tree(p.k_par, w.prod_bits, True))
        )
    items.append(_unit("accumulator", p.n_par, U.accumulator(w.acc_bits)))
    items.append(_unit("bias / accumulator select", p.n_par, U.mux(2, w.acc_bits)))
    return items + _common_items(s)


def dsp_items(s: EngineShape) -> list[Item]:
    """The layer's DSP48E1s: one multiplier each, or (``dsp_pack`` 2) one multiply of two packed
    weights followed by the fabric that separates the two products (``packed_pair``)."""
    p, w = s.parallelism, s.widths
    if p.dsp_pack != 2:
        return [_unit("DSP48E1 multiplier", p.dsp, U.mult_dsp(w.w_bits, w.x_bits, w.x_signed))]
    return [
        _formula(
            "DSP48E1, two products each",
            p.dsp,
            Res(dsp=1.0),
            "one DSP48E1 per pair: packed_pair binds a * (w1 * 2^18 + w0) to a DSP",
        ),
        _unit(
            "DSP-pair extraction (sext low 18 bits, corrected high part)",
            p.dsp,
            U.dsp_pair_extract(w.w_bits, w.x_bits, w.x_signed),
        ),
    ]


def _common_items(s: EngineShape) -> list[Item]:
    """Output units and register, window reads: what every schedule has."""
    p, w, g = s.parallelism, s.widths, s.geometry
    items: list[Item] = []
    kind = "relu_u" if s.activation == "relu" or not w.out_signed else "linear_s"
    items.append(
        _unit(
            f"output unit ({kind})",
            p.n_par,
            U.output_unit(kind, w.acc_bits, w.out_bits, max(0, w.acc_frac - w.out_frac)),
        )
    )
    items.append(
        _formula(
            "output register (one pixel)",
            1,
            Res(ff=float(g.n_out * w.out_bits)),
            "n_out x out_bits FFs",
        )
    )
    banks = g.n_chan // p.k_par
    readers = p.lanes if s.sparse else p.k_par  # sparse: every lane picks its own channel
    if banks > 1:
        items.append(
            _unit(f"window read mux {banks}:1", readers, U.mux(banks, w.x_bits)),
        )
    if g.kind != "dense":
        items.append(_unit("window zero mask", readers, U.mux(2, w.x_bits)))
    return items


def control_items(s: EngineShape) -> list[Item]:
    """Loop counters and the tap arithmetic (locate: a row and a column add and two bound checks)."""
    g = s.geometry
    counters = [_bits(s.n_steps)]
    if g.kind == "dense":
        counters += [_bits(g.n_pix), _bits(g.n_chan)]
    else:
        counters += [_bits(s.out_height), _bits(s.out_width), _bits(s.in_height), _bits(s.in_width)]
    items = [_unit(f"counter {b} bits", 1, U.counter(b)) for b in counters]
    if g.kind != "dense":
        coord = _bits(max(s.in_height, s.in_width)) + 2
        items.append(_unit("tap locate adder / comparator", 6, U.adder_tree(2, coord, False)))
    return items


def offchip_items(s: EngineShape) -> list[Item]:
    """An off-chip layer's fetch process and prefetch control (:mod:`fpgagan.hw.offchip`): the
    beat counter and the word-assembly shift register of the fetch loop, the FIFO of weight
    words to the compute loop, and the compute loop's tile-word, pace, block and emit counters.
    The AXI4 master port itself is counted with the system (:func:`fpgagan.hw.system.weight_port_items`)."""
    if not s.offchip:
        return []
    lay = offchip.layout(s)
    assembly = lay.beats_per_word * offchip.BEAT_BITS
    fifo = U.fifo_srl(offchip.FETCH_FIFO_DEPTH, lay.word_bits)
    bits = [_bits(lay.image_beats), _bits(lay.beats_per_word), _bits(lay.tile_words)]
    bits += [_bits(lay.pace), _bits(lay.n_blocks), _bits(lay.emit_iters)]
    return [
        _formula(
            "weight word assembly register", 1, Res(ff=float(assembly)), "beats_per_word x 64 FFs"
        ),
        _unit(f"weight FIFO {offchip.FETCH_FIFO_DEPTH}x{lay.word_bits} (SRL)", 1, fifo),
        *(_unit(f"off-chip counter {b} bits", 1, U.counter(b)) for b in bits),
    ]


def memory_items(s: EngineShape) -> tuple[list[Item], list[Memory]]:
    mems = memories(s)
    items = [
        Item(
            f"{m.name} {m.depth}x{m.width} ({m.impl})",
            1,
            Res.of_memory(m),
            m.source,
        )
        for m in mems
    ]
    return items, mems


def layer_cycles(s: EngineShape) -> Cycles:
    g, p = s.geometry, s.parallelism
    rom = next(m for m in memories(s) if m.name in ("weights", "tile"))
    depth = (
        rom.latency
        + MULT_LATENCY
        + _bits(p.k_par)
        + ACC_AND_CAST_LATENCY
        # a codebook layer multiplies its partial sums and adds them after accumulating
        + ((MULT_LATENCY + _bits(s.codes)) if s.codebook else 0)
    )
    compute = g.n_pix * s.n_steps
    if s.offchip:
        lay = offchip.layout(s)
        take, compute = offchip.fetch_cycles(s)
        return Cycles(
            stream_in=take,
            compute=compute,
            refill=depth,
            weight_port=lay.compute_iters,
            stream_out=g.n_pix,
            drain=lay.emit_iters,
        )
    return Cycles(
        stream_in=s.loop_iterations - compute,
        compute=compute,
        refill=depth,
        weight_port=compute,
        stream_out=g.n_pix,
    )


def layer_cost(s: EngineShape) -> LayerCost:
    mem_items, mems = memory_items(s)
    p, w = s.parallelism, s.widths
    return LayerCost(
        name=s.name,
        kernel=s.kernel,
        items=tuple(datapath_items(s) + mem_items + control_items(s) + offchip_items(s)),
        memories=tuple(mems),
        cycles=layer_cycles(s),
        macs=s.macs,
        lanes=p.lanes,
        dsp_lanes=p.dsp * p.dsp_pack,
        weight_bits=w.w_bits,
        input_bits=w.x_bits,
        accum_bits=w.acc_bits,
        n_steps=s.n_steps,
        mults_per_output=multipliers_per_output(s),
    )
