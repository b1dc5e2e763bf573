"""The arrays one engine layer instantiates, with their word shape and storage: what the layer's
generated wrapper declares (:mod:`fpgagan.hls.passes.write_roms`) and what the cost model counts.

- ``buffer``: the input buffer (Dense: its input elements, one a word; io_stream
  convolution: the line buffer, a pixel a word; io_parallel convolution: the input frame);
- ``weights``: n_mats * n_steps words of k_par * n_par weights (one word per step: the word read
  each cycle carries exactly the products of the cycle), or of a codebook layer's indices (its
  codebook's values are constants of the layer's multipliers, not a memory);
- ``offsets`` and ``ctl`` (sparse schedule; each schedule's weight arrays are its
  :meth:`~fpgagan.hw.schedules.base.ScheduleRules.weight_memories`): each lane's channel offset in its bank, and each
  step's tap, block and first/last flags;
- ``biases``: words of n_par biases, one word per output block (per pixel for a Dense head);
- an off-chip layer (:mod:`fpgagan.hw.offchip`) has no weight ROM: ``tile``, the double-buffered
  tile of weight words fetched from DDR (two halves of ``tile_words`` words, one written by the
  prefetch and one read by the steps each cycle), ``buffer`` holds the whole input map, and
  ``outmap`` the output map (a word of n_par outputs per pixel and block).
"""

from __future__ import annotations

from fpgagan.hw import offchip, storage
from fpgagan.hw.spec import EngineShape, Storage


def memories(shape: EngineShape) -> list[storage.Memory]:
    """Every array of ``shape``'s layer, in wrapper order (each a two-dimensional array of
    ``depth`` words of ``width`` bits)."""
    p, wd = shape.parallelism, shape.widths
    if shape.offchip:
        return _offchip_memories(shape)
    out = shape.rules.weight_memories(shape, prefer_bram=shape.rom_storage == Storage.BRAM)
    out.append(storage.choose("biases", shape.bias_values // p.n_par, p.n_par * wd.b_bits, True))
    out.append(storage.choose("buffer", shape.buffer_words, shape.buffer_word_bits, False))
    return out


def _offchip_memories(shape: EngineShape) -> list[storage.Memory]:
    p, wd, g = shape.parallelism, shape.widths, shape.geometry
    lay = offchip.layout(shape)
    return [
        storage.choose("tile", 2 * lay.tile_words, lay.word_bits, False, True),
        storage.choose("biases", shape.bias_values // p.n_par, p.n_par * wd.b_bits, True),
        storage.choose("buffer", shape.buffer_words, shape.buffer_word_bits, False),
        storage.choose("outmap", g.n_pix * lay.n_blocks, p.n_par * wd.out_bits, False),
    ]
