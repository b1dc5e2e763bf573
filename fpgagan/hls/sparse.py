"""Compressed weight layouts for the sparse kernels (only non-zero weights, compile-time indices)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

DEFAULT_SPARSITY_THRESHOLD = (
    0.5  # 'auto' switches a layer to its sparse kernel at this weight sparsity
)


@dataclasses.dataclass(frozen=True)
class SparseConvLayout:
    """Non-zero weights of a (transposed) convolution grouped by phase, kernel tap and output channel.

    Entries ``run_start[r] .. run_start[r+1]`` are the weights of output channel ``co = r % n_filt``
    in tap ``t = r // n_filt = (phase * taps_h + jh) * taps_w + jw`` (kernel tap
    ``kh = ph + jh * stride_h``, ``kw`` likewise; taps outside the kernel are empty); ``index``
    holds each weight's input channel.  A convolution has one phase and its taps are the kernel's:
    ``t = kh * filt_w + kw``.  Each run is one sparse dot product, the form of the sparse Dense's
    CSR rows, so all sparse kernels share one inner loop.
    """

    values: np.ndarray  # (n_nonzero,) weights
    index: np.ndarray  # (n_nonzero,) input channel of each weight
    run_start: np.ndarray  # (n_phases * taps_h * taps_w * n_filt + 1,) offsets into values/index
    taps: tuple[int, int]
    n_filt: int

    @property
    def n_nonzero(self) -> int:
        return int(len(self.values))

    @property
    def n_taps(self) -> int:
        """Taps of all phases (``run_start`` has ``n_taps * n_filt + 1`` entries)."""
        return (len(self.run_start) - 1) // self.n_filt

    @property
    def n_phases(self) -> int:
        return self.n_taps // (self.taps[0] * self.taps[1])

    def phase_counts(self) -> np.ndarray:
        """Non-zero weights per (phase, jh, jw)."""
        runs = np.diff(self.run_start).reshape(self.n_phases, self.taps[0], self.taps[1], -1)
        return runs.sum(-1)

    @property
    def max_phase_nnz(self) -> int:
        return int(self.phase_counts().sum((1, 2)).max(initial=0))

    @property
    def index_bits(self) -> int:
        return max(1, int(self.index.max(initial=0)).bit_length())


def conv_transpose_layout(weights: np.ndarray, strides: tuple[int, int]) -> SparseConvLayout:
    """``weights`` in the kernel layout (kH, kW, C_in, C_out)."""
    kh, kw, cin, cout = weights.shape
    sh, sw = strides
    th, tw = math.ceil(kh / sh), math.ceil(kw / sw)
    values, index, counts = [], [], []
    for ph in range(sh):
        for pw in range(sw):
            for jh in range(th):
                for jw in range(tw):
                    k_h, k_w = ph + jh * sh, pw + jw * sw
                    if k_h >= kh or k_w >= kw:
                        counts.append(np.zeros(cout, np.int64))
                        continue
                    block = weights[k_h, k_w]  # (C_in, C_out)
                    co, ci = np.nonzero(block.T)  # grouped by output channel
                    values.append(block[ci, co])
                    index.append(ci)
                    counts.append(np.bincount(co, minlength=cout))
    vals = np.concatenate(values) if values else np.zeros(0)
    idx = np.concatenate(index).astype(np.int64) if index else np.zeros(0, np.int64)
    run_start = np.concatenate([[0], np.cumsum(np.concatenate(counts))]).astype(np.int64)
    return SparseConvLayout(vals, idx, run_start, (th, tw), cout)


def conv_layout(weights: np.ndarray) -> SparseConvLayout:
    """``weights`` (kH, kW, C_in, C_out) of a convolution: the one-phase case, one tap per kernel tap."""
    return conv_transpose_layout(weights, (1, 1))


def _count(valid_h: np.ndarray, counts: np.ndarray, valid_w: np.ndarray) -> int:
    """Products of the taps ``counts`` (taps_h, taps_w) over output rows x columns, where
    ``valid_h`` (rows, taps_h) / ``valid_w`` (cols, taps_w) say which taps meet real input pixels."""
    return int(np.einsum("ra,ab,cb->", valid_h.astype(int), counts, valid_w.astype(int)))


def sparse_multiplications(
    layout: SparseConvLayout,
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    strides: tuple[int, int],
    pads_tl: tuple[int, int],
) -> int:
    """Multiplications per image of the sparse transposed convolution (non-zero weights meeting
    real input pixels)."""
    th, tw = layout.taps
    sh, sw = strides
    counts = layout.phase_counts()
    total = 0
    for p in range(sh * sw):
        ph, pw = divmod(p, sw)
        rows = [o for o in range(out_hw[0]) if (o + pads_tl[0]) % sh == ph]
        cols = [o for o in range(out_hw[1]) if (o + pads_tl[1]) % sw == pw]
        if not rows or not cols:
            continue
        valid_h = np.array(
            [[0 <= (o + pads_tl[0]) // sh - j < in_hw[0] for j in range(th)] for o in rows]
        )
        valid_w = np.array(
            [[0 <= (o + pads_tl[1]) // sw - j < in_hw[1] for j in range(tw)] for o in cols]
        )
        total += _count(valid_h, counts[p], valid_w)
    return total


def sparse_conv_multiplications(
    layout: SparseConvLayout,
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    strides: tuple[int, int],
    pads_tl: tuple[int, int],
) -> int:
    """Multiplications per image of the sparse convolution (non-zero weights meeting real input
    pixels, not padding)."""

    def valid(n_out: int, n_in: int, taps: int, stride: int, pad: int) -> np.ndarray:
        i = np.arange(n_out)[:, None] * stride - pad + np.arange(taps)[None, :]
        return (i >= 0) & (i < n_in)

    kh, kw = layout.taps
    valid_h = valid(out_hw[0], in_hw[0], kh, strides[0], pads_tl[0])
    valid_w = valid(out_hw[1], in_hw[1], kw, strides[1], pads_tl[1])
    return _count(valid_h, layout.phase_counts()[0], valid_w)
