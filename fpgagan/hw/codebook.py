"""The codebook kernel's tables: a layer whose weights take at most :data:`MAX_CODES` distinct
values is computed on indices into its codebook, without decoding them into weights.

The schedule is the dense one (the same steps, the same window reads), but a ROM word holds
``k_par x n_par`` indices of ``idx_bits`` bits instead of weights.  Output lane ``j`` keeps one
partial sum per codebook entry and adds each step's window values into the entry their index
names (adders only); at the last step of an output block it multiplies each partial sum by its
entry's value, ``K`` multiplications per output whatever the fan-in (UCNN's weight-repetition
factorisation, Hegde et al., ISCA 2018), and adds the bias.  Entry 0 is zero when the layer has
zero weights (a pruned layer's reserved entry): it has no partial sum and no multiplier.

Which layers take it: per-layer hls4ml config ``Codebook`` = ``auto`` (when the layer has at most
16 distinct values and an index is narrower than a weight, i.e. the codebook stores less),
``true`` or ``false``.  Everything here is numpy; :func:`run_codebook` is a reference of what the
C++ computes.
"""

from __future__ import annotations

import dataclasses
import heapq
import math

import numpy as np

from fpgagan.errors import UnsupportedModelError
from fpgagan.hw.sparsity import layer_mode
from fpgagan.hw.spec import NO_CODEBOOK, CodebookOption

MAX_CODES = 16  # at most 4-bit indices


@dataclasses.dataclass(frozen=True)
class Codebook:
    """A layer's distinct raw weight values (entry 0 = 0 when ``zero_entry``) and every weight's
    index into them (same shape as the weights)."""

    values: np.ndarray  # (K,) raw integers, ascending after the zero entry
    indices: np.ndarray
    zero_entry: bool

    @property
    def size(self) -> int:
        return len(self.values)

    @property
    def codes(self) -> int:
        """Entries with a partial sum and a multiplier (the zero entry has neither)."""
        return self.size - int(self.zero_entry)

    @property
    def idx_bits(self) -> int:
        return index_bits(self.size)


def index_bits(entries: int) -> int:
    """Bits of an index into ``entries`` values (at least 1)."""
    return max(1, math.ceil(math.log2(max(entries, 1))))


def distinct_values(raw: np.ndarray) -> int:
    return len(np.unique(raw))


def codebook_of(raw: np.ndarray) -> Codebook:
    """The codebook of raw integer weights: zero first if any weight is zero, then the other
    distinct values in ascending order."""
    raw = np.asarray(raw, np.int64)
    values = np.unique(raw)
    zero = bool(np.any(values == 0))
    if zero:
        values = np.concatenate([[0], values[values != 0]])
    lookup = {int(v): i for i, v in enumerate(values)}
    indices = np.vectorize(lookup.__getitem__, otypes=[np.int64])(raw) if raw.size else raw
    return Codebook(values.astype(np.int64), indices.astype(np.int64), zero)


def eligible(raw: np.ndarray, w_bits: int) -> bool:
    """Whether ``auto`` takes the codebook kernel: at most :data:`MAX_CODES` distinct values and
    an index narrower than the weights (else the codebook stores no less than the weights)."""
    n = distinct_values(raw)
    return n <= MAX_CODES and index_bits(n) < w_bits


def codebook_requested(node, raw: np.ndarray, w_bits: int) -> bool:
    """Whether ``node``'s config asks for the codebook kernel for weights ``raw``."""
    choice = layer_mode(node, "Codebook")
    n = distinct_values(raw)
    if choice == "true" and n > MAX_CODES:
        raise UnsupportedModelError(
            f"layer {node.name!r}: Codebook=true needs at most {MAX_CODES} distinct weight "
            f"values, the layer has {n}"
        )
    return choice == "true" or (choice == "auto" and eligible(raw, w_bits))


def partial_sum_bits(x_bits: int, x_signed: bool, fan_in: int) -> int:
    """Bits of a partial sum of up to ``fan_in`` input values (signed)."""
    return x_bits + (0 if x_signed else 1) + max(0, math.ceil(math.log2(max(fan_in, 1))))


def codebook_products(codes: int, n_out: int, pixels: int) -> int:
    """Multiplications per image: ``codes`` per output of every output pixel."""
    return codes * n_out * pixels


def huffman_lengths(counts: np.ndarray) -> np.ndarray:
    """Code length of every symbol of a Huffman code for the histogram ``counts`` (0 for a symbol
    that never occurs, 1 when only one does): the lengths define the canonical code."""
    counts = np.asarray(counts, np.int64)
    lengths = np.zeros(len(counts), np.int64)
    # (count, tie-break, symbols): ties merge in a fixed order, so the code is reproducible
    heap = [(int(c), i, [i]) for i, c in enumerate(counts) if c > 0]
    if len(heap) == 1:
        lengths[heap[0][2]] = 1
    heapq.heapify(heap)
    order = len(counts)
    while len(heap) > 1:
        c1, _, s1 = heapq.heappop(heap)
        c2, _, s2 = heapq.heappop(heap)
        lengths[s1 + s2] += 1  # every symbol below the merged node gets one bit deeper
        heapq.heappush(heap, (c1 + c2, order, s1 + s2))
        order += 1
    return lengths


def huffman_bits(indices: np.ndarray, entries: int) -> int:
    """Bits of ``indices`` (into ``entries`` values) Huffman-coded on their own histogram, Deep
    Compression's third stage: ``sum(count * code length)``, the code-length table not counted."""
    counts = np.bincount(np.asarray(indices, np.int64).ravel(), minlength=entries)
    return int(counts @ huffman_lengths(counts))


def run_codebook(
    rom: np.ndarray,
    book: Codebook,
    bias: np.ndarray,
    window: np.ndarray,
    mat: int,
    k_par: int,
    n_par: int,
) -> np.ndarray:
    """What the codebook kernel computes for one pixel: ``rom`` the index ROM (dense layout,
    :func:`fpgagan.hw.engine.dense_rom` of the indices), ``window`` (n_win,) raw inputs ->
    (n_out,) integer accumulators (bias in accumulator units, products unshifted)."""
    k_blocks = len(window) // k_par
    n_blocks = len(bias) // n_par
    steps = n_blocks * k_blocks
    first = int(book.zero_entry)
    out = np.zeros(len(bias), np.int64)
    psum = np.zeros((n_par, book.size), np.int64)
    for r in range(steps):
        nb, kb = divmod(r, k_blocks)
        x = window[kb * k_par : (kb + 1) * k_par]
        word = rom[mat * steps + r]  # (k_par, n_par) indices
        if kb == 0:
            psum[:] = 0
        for j in range(n_par):
            for e in range(first, book.size):
                psum[j, e] += int(x[word[:, j] == e].sum())
        if kb == k_blocks - 1:
            sums = psum[:, first:] @ book.values[first:]
            out[nb * n_par : (nb + 1) * n_par] = bias[nb * n_par : (nb + 1) * n_par] + sums
    return out


def option(choice: str, raw: np.ndarray, w_bits: int, pixels: int, n_out: int) -> CodebookOption:
    """(K, zero entry, multiplications per image) of the codebook kernel where the layer's
    ``Codebook`` setting ``choice`` (auto/true/false) allows it (``auto``: where it is
    :func:`eligible`; ``true``: any layer of at most :data:`MAX_CODES` values), else the empty
    option.  Every one of the ``pixels`` output pixels multiplies its partial sums."""
    if choice == "false" or not (
        eligible(raw, w_bits) or (choice == "true" and distinct_values(raw) <= MAX_CODES)
    ):
        return NO_CODEBOOK
    values = np.unique(raw)
    zero = bool(np.any(values == 0))
    return CodebookOption(
        len(values), zero, codebook_products(len(values) - int(zero), n_out, pixels)
    )
