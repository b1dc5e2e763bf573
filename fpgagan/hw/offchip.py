"""Weights off chip: an engine layer that reads its weight words from DDR instead of a ROM
(``RomStorage: ddr``; the C++ is ``hls_templates/nnet_utils/nnet_fg_offchip.h``).

The on-chip schedule reads every weight again for every output pixel; from DDR that would cost
the weights times the pixels per image.  An off-chip layer is **weight-stationary**: a *tile*,
the weight words of one output block (``n_par`` output channels, every weight matrix, every
step of the block), is fetched once per image and applied to every output pixel before the next
tile is used.  So every weight word leaves DDR exactly once per image.

Per image, the layer's one pipelined loop runs three phases (``n_iter`` iterations):

1. **take** ``max(inputs, tile_words)`` iterations: the input map goes into the frame buffer
   (the whole input: each tile is applied to every pixel) while tile 0 is loaded;
2. **compute** ``n_pix * n_steps`` iterations, block by block: every pixel's ``steps_per_block``
   steps for the block's ``n_par`` outputs, written into the output map; meanwhile the next
   block's tile goes into the other half of the double-buffered tile memory, one word every
   ``pace`` iterations (``pace = n_pix * steps_per_block // tile_words >= 1``);
3. **emit** ``n_pix * n_blocks`` iterations: the output map read one block word a cycle, a pixel
   written to the stream after its last block.

A separate process of the layer (``fetch``) reads the DDR image through the layer's AXI4 master
port in one loop of ``image_beats`` 64-bit beats (sequential addresses: bursts), assembles them
into weight words and streams them to the compute loop.  The DDR image holds the words in the
order the compute loop consumes them, fixed at conversion: block by block, within a block
matrix by matrix, within a matrix step by step (the ROM row ``mat * n_steps + nb *
steps_per_block + r`` of the on-chip layout), each word padded to whole beats.

This module is the layout, the DDR image, the cycles and the memories of such a layer; the
planner adds the DDR bandwidth a plan uses (:func:`image_bytes` per layer) to its constraints.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from fpgagan.hw.spec import DDR, EngineShape

BEAT_BITS = 64  # data width of a weight port (one AXI4 beat): the Zynq-7000 HP ports' width
FETCH_FIFO_DEPTH = 2  # weight words between the fetch process and the compute loop
# share of the cycles a weight port delivers a beat while it streams 16-beat bursts with 16 reads
# outstanding on its own PS high-performance port (design.tcl): an assumption, not a measurement
# (the independent review's cycle model: a layer needing a beat every cycle loses ~10% at 90%
# port efficiency; a layer with slack in its pace loses nothing)
PORT_EFFICIENCY = 0.9


@dataclasses.dataclass(frozen=True)
class Layout:
    """The counts of one off-chip layer's schedule and memories."""

    n_blocks: int  # output blocks (tiles per image)
    steps_per_block: int  # steps of one output pixel for one block
    tile_words: int  # weight words of one tile (n_mats * steps_per_block)
    pace: int  # compute iterations per prefetched tile word
    word_bits: int  # bits of one weight word (lanes x w_bits)
    beats_per_word: int  # 64-bit beats of one weight word in DDR (padded)
    image_beats: int  # beats of the layer's DDR image (read once per image)
    inputs: int  # input elements per image (taken into the frame buffer)
    take_iters: int
    compute_iters: int
    emit_iters: int

    @property
    def n_iter(self) -> int:
        """Iterations per image (EngineShape.loop_iterations counts the same)."""
        return self.take_iters + self.compute_iters + self.emit_iters

    @property
    def image_bytes(self) -> int:
        return self.image_beats * BEAT_BITS // 8


def config_fields(s: EngineShape) -> dict[str, int]:
    """The off-chip schedule's counts in the layer's config struct (``nnet_fg_offchip.h``);
    a ValueError says why a layer cannot take it."""
    why = unsuitable(s)
    if why is not None:
        raise ValueError(why)
    lay = layout(s)
    return {
        "tile_words": lay.tile_words,
        "steps_per_block": lay.steps_per_block,
        "pace": lay.pace,
        "beats_per_word": lay.beats_per_word,
        "image_beats": lay.image_beats,
        "n_inputs": lay.inputs,
        "take_iters": lay.take_iters,
        "compute_iters": lay.compute_iters,
    }


def unsuitable(s: EngineShape) -> str | None:
    """Why ``s``'s layer cannot take the off-chip schedule (None: it can)."""
    g, p = s.geometry, s.parallelism
    if s.sparse or s.codebook:
        return "the off-chip schedule streams dense weight words (not sparse, not codebook)"
    if s.io_type != "io_stream":
        return "the off-chip schedule is built for io_stream"
    n_blocks = g.n_out // p.n_par
    if n_blocks * p.n_par != g.n_out or s.n_steps % n_blocks:
        return f"{g.n_out} outputs do not split into blocks of {p.n_par}"
    if g.n_pix < g.n_mats:
        return f"{g.n_pix} output pixels cannot hide a tile of {g.n_mats} weight matrices"
    return None


def layout(s: EngineShape) -> Layout:
    """The off-chip schedule of ``s``'s layer at its parallelism (ValueError if unsuitable)."""
    why = unsuitable(s)
    if why is not None:
        raise ValueError(f"layer {s.name!r}: {why}")
    g, p = s.geometry, s.parallelism
    n_blocks = g.n_out // p.n_par
    spb = s.n_steps // n_blocks
    tile = g.n_mats * spb
    word_bits = p.lanes * s.widths.w_bits
    bpw = math.ceil(word_bits / BEAT_BITS)
    inputs = s.in_elements if g.kind == "dense" else s.in_height * s.in_width
    return Layout(
        n_blocks=n_blocks,
        steps_per_block=spb,
        tile_words=tile,
        pace=max(1, g.n_pix * spb // tile),
        word_bits=word_bits,
        beats_per_word=bpw,
        image_beats=g.n_mats * s.n_steps * bpw,
        inputs=inputs,
        take_iters=max(inputs, tile),
        compute_iters=g.n_pix * s.n_steps,
        emit_iters=g.n_pix * n_blocks,
    )


def fetch_cycles(s: EngineShape) -> tuple[int, int]:
    """Cycles of the take and compute phases with the fetch's pace: a tile word waits for its
    beats (one per cycle through the port at :data:`PORT_EFFICIENCY`), so a phase lasts at least as long as its tile's
    beats take to arrive."""
    lay = layout(s)
    tile_beats = math.ceil(lay.tile_words * lay.beats_per_word / PORT_EFFICIENCY)
    take = max(lay.take_iters, tile_beats)
    per_block = max(lay.compute_iters // lay.n_blocks, tile_beats)
    return take, per_block * lay.n_blocks


def image_bytes(s: EngineShape) -> int:
    """Bytes ``s``'s layer reads from DDR per image (0 for a layer with its weights on chip)."""
    return layout(s).image_bytes if s.rom_storage == DDR else 0


def ddr_order(n_mats: int, n_steps: int, n_blocks: int) -> np.ndarray:
    """ROM rows in the order the compute loop consumes them: block, matrix, step in block."""
    spb = n_steps // n_blocks
    nb, mat, r = np.meshgrid(np.arange(n_blocks), np.arange(n_mats), np.arange(spb), indexing="ij")
    return (mat * n_steps + nb * spb + r).reshape(-1)


def ddr_image(rom: np.ndarray, s: EngineShape) -> np.ndarray:
    """The layer's DDR image (uint64 beats, little-endian words): ``rom`` (``rows x lanes`` raw
    signed weights, the on-chip ROM's rows) reordered as consumed, each word's lanes packed from
    bit 0 (``w_bits`` each, two's complement) and padded to whole beats."""
    lay = layout(s)
    w_bits, lanes = s.widths.w_bits, s.parallelism.lanes
    rows = np.asarray(rom, np.int64)
    rows = rows.reshape(rows.shape[0], -1)  # lane i * n_par + j of a word: (k_par, n_par) flat
    if rows.shape != (s.geometry.n_mats * s.n_steps, lanes):
        raise ValueError(f"layer {s.name!r}: ROM of shape {rows.shape} is not rows x {lanes}")
    ordered = rows[ddr_order(s.geometry.n_mats, s.n_steps, lay.n_blocks)]
    codes = (ordered & ((1 << w_bits) - 1)).astype(np.uint64)  # two's complement, w_bits each
    beats = np.zeros((ordered.shape[0], lay.beats_per_word), np.uint64)
    for lane in range(lanes):
        bit = lane * w_bits
        beat, shift = divmod(bit, BEAT_BITS)
        beats[:, beat] |= codes[:, lane] << np.uint64(shift)
        spill = shift + w_bits - BEAT_BITS
        if spill > 0:  # the lane straddles two beats
            beats[:, beat + 1] |= codes[:, lane] >> np.uint64(w_bits - spill)
    return beats.reshape(-1)
