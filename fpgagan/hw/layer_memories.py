"""The arrays one engine layer instantiates, with their word shape and storage: what the layer's
generated wrapper declares (:mod:`fpgagan.hls.passes.write_roms`) and what the cost model counts.

- ``buffer``: the input buffer (Dense: its input elements, one a word; io_stream
  convolution: the line buffer, a pixel a word; io_parallel convolution: the input frame);
- ``weights``: n_mats * n_steps words of k_par * n_par weights (one word per step: the word read
  each cycle carries exactly the products of the cycle), or of a codebook layer's indices (its
  codebook's values are constants of the layer's multipliers, not a memory);
- ``offsets`` and ``ctl`` (sparse schedule): each lane's channel offset in its bank, and each
  step's tap, block and first/last flags;
- ``biases``: words of n_par biases, one word per output block (per pixel for a Dense head).
"""

from __future__ import annotations

from fpgagan.hw import storage
from fpgagan.hw.spec import EngineShape

# the reshape factor (values per word) of each array, as the wrapper's ARRAY_RESHAPE writes it


def memories(shape: EngineShape) -> list[tuple[storage.Memory, int]]:
    """``(memory, values per word)`` for every array of ``shape``'s layer, in wrapper order."""
    p, wd = shape.parallelism, shape.widths
    prefer_bram = shape.rom_storage == "bram"
    lanes = p.lanes
    word_bits = wd.idx_bits if shape.codebook else wd.w_bits
    out = [
        (
            storage.choose(
                "weights", shape.rom_words, lanes * word_bits, rom=True, prefer_bram=prefer_bram
            ),
            lanes,
        )
    ]
    if shape.sparse:
        out.append(
            (
                storage.choose(
                    "offsets",
                    shape.rom_words,
                    lanes * max(1, wd.offset_bits),
                    rom=True,
                    prefer_bram=prefer_bram,
                ),
                lanes,
            )
        )
        out.append(
            (storage.choose("ctl", shape.rom_words, shape.ctl_bits, rom=True, prefer_bram=False), 1)
        )
    bias_words = shape.bias_values // p.n_par
    out.append((storage.choose("biases", bias_words, p.n_par * wd.b_bits, rom=True), p.n_par))
    values = shape.word_values
    out.append(
        (
            storage.choose("buffer", shape.buffer_words, shape.buffer_word_bits, rom=False),
            values,
        )
    )
    return out
