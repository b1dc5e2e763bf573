"""The off-chip weight stream's layout (fpgagan.hw.offchip): the DDR image holds every ROM word
once, in the order the compute loop consumes them, packed as the fetch unpacks them; the counts
agree with the layer's loop and memories."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fpgagan.hw import offchip
from fpgagan.hw.candidates import Choice, with_choice
from fpgagan.hw.cost import layer_cost
from fpgagan.hw.layer_memories import memories


def _offchip(shape, raw, n_par=2, k_par=2):
    return with_choice(shape, raw, Choice(n_par, k_par, 0, 1, offchip.DDR, False))


def _unpack(beats: np.ndarray, lay: offchip.Layout, lanes: int, w_bits: int) -> np.ndarray:
    """What nnet_fg_offchip.h's fetch + unpack_word make of the image (an independent reading:
    Python integers, lane l at bits l * w_bits of the beats_per_word-beat word)."""
    words = beats.reshape(-1, lay.beats_per_word)
    out = np.zeros((words.shape[0], lanes), np.int64)
    for i, word in enumerate(words):
        value = sum(int(b) << (64 * j) for j, b in enumerate(word))
        for lane in range(lanes):
            v = (value >> (lane * w_bits)) & ((1 << w_bits) - 1)
            out[i, lane] = v - (1 << w_bits) if v >> (w_bits - 1) else v
    return out


@pytest.mark.parametrize(("n_par", "k_par"), [(2, 2), (4, 8), (1, 16)])
def test_ddr_image_is_the_rom_in_consumption_order(default_layers, n_par, k_par):
    shapes, raw = default_layers
    s = next(x for x in shapes if x.geometry.kind == "conv_transpose")
    s = _offchip(s, raw[s.name], n_par, k_par)
    lay = offchip.layout(s)
    g = s.geometry
    rng = np.random.default_rng(0)
    half = 1 << (s.widths.w_bits - 1)
    rom = rng.integers(-half, half, size=(g.n_mats * s.n_steps, s.parallelism.lanes))
    image = offchip.ddr_image(rom, s)
    assert image.dtype == np.uint64 and image.size == lay.image_beats
    back = _unpack(image, lay, s.parallelism.lanes, s.widths.w_bits)
    # block nb's tile: for each matrix, its steps of the block, in step order
    expected = [
        rom[mat * s.n_steps + nb * lay.steps_per_block + r]
        for nb in range(lay.n_blocks)
        for mat in range(g.n_mats)
        for r in range(lay.steps_per_block)
    ]
    np.testing.assert_array_equal(back, np.array(expected))
    assert sorted(map(tuple, back)) == sorted(map(tuple, rom))  # every word exactly once


def test_counts_agree_with_the_loop_and_memories(default_layers):
    shapes, raw = default_layers
    checked = 0
    for s in shapes:
        n_par = 2 if s.geometry.n_out % 2 == 0 else 1
        d = _offchip(s, raw[s.name], n_par)
        if offchip.unsuitable(d) is not None:
            continue
        checked += 1
        lay = offchip.layout(d)
        assert d.loop_iterations == lay.n_iter
        assert lay.tile_words * lay.pace <= lay.compute_iters // lay.n_blocks
        assert lay.image_bytes == d.geometry.n_mats * d.n_steps * lay.beats_per_word * 8
        assert offchip.image_bytes(d) == lay.image_bytes and offchip.image_bytes(s) == 0
        names = {m.name: m for m in memories(d)}
        assert "weights" not in names and names["tile"].depth == 2 * lay.tile_words
        assert names["buffer"].depth == d.in_height * d.in_width or d.geometry.kind == "dense"
        cyc = layer_cost(d).cycles
        assert cyc.drain == lay.emit_iters
        assert cyc.compute >= lay.compute_iters and cyc.stream_in >= lay.take_iters
        # no weight ROM on chip: the off-chip layer stores at most its tile of the weights
        on_chip = sum(m.bits for m in memories(s) if m.name == "weights")
        assert names["tile"].bits < on_chip or lay.n_blocks == 1
    assert checked == len(shapes)


def test_unsuitable_layers_are_refused(default_layers):
    shapes, raw = default_layers
    s = shapes[-1]
    sparse = dataclasses.replace(s, sparse=True, rom_storage=offchip.DDR)
    assert "dense weight words" in offchip.unsuitable(sparse)
    with pytest.raises(ValueError, match=s.name):
        offchip.layout(sparse)
    parallel = dataclasses.replace(s, io_type="io_parallel", rom_storage=offchip.DDR)
    assert "io_stream" in offchip.unsuitable(parallel)
