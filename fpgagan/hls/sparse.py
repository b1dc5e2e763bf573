"""Compressed weight layouts for the sparse kernels (only non-zero weights, compile-time indices)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

DEFAULT_SPARSITY_THRESHOLD = (
    0.5  # 'auto' switches a layer to its sparse kernel at this weight sparsity
)


@dataclasses.dataclass(frozen=True)
class SparseConvTransposeLayout:
    """Non-zero weights of a transposed convolution grouped by phase and kernel tap.

    Entries ``tap_start[t] .. tap_start[t+1]`` belong to tap ``t = (phase * taps_h + jh) * taps_w + jw``
    (kernel tap ``kh = ph + jh * stride_h``, ``kw`` likewise; taps outside the kernel are empty);
    ``index`` packs ``ci << shift_ci | co``.
    """

    values: np.ndarray  # (n_nonzero,) weights
    index: np.ndarray  # (n_nonzero,) packed channel indices
    tap_start: np.ndarray  # (n_phases * taps_h * taps_w + 1,) offsets into values/index
    taps: tuple[int, int]
    shift_ci: int

    @property
    def n_nonzero(self) -> int:
        return int(len(self.values))

    @property
    def n_phases(self) -> int:
        return (len(self.tap_start) - 1) // (self.taps[0] * self.taps[1])

    def phase_counts(self) -> np.ndarray:
        """Non-zero weights per (phase, jh, jw)."""
        return np.diff(self.tap_start).reshape(self.n_phases, self.taps[0], self.taps[1])

    @property
    def max_phase_nnz(self) -> int:
        return int(self.phase_counts().sum((1, 2)).max(initial=0))

    @property
    def index_bits(self) -> int:
        return max(1, int(self.index.max(initial=0)).bit_length())


def _field_bits(n: int) -> int:
    """Bits of a field holding 0 .. n-1."""
    return max(1, math.ceil(math.log2(n))) if n > 1 else 1


def conv_transpose_layout(
    weights: np.ndarray, strides: tuple[int, int]
) -> SparseConvTransposeLayout:
    """``weights`` in the kernel layout (kH, kW, C_in, C_out)."""
    kh, kw, cin, cout = weights.shape
    sh, sw = strides
    th, tw = math.ceil(kh / sh), math.ceil(kw / sw)
    shift_ci = _field_bits(cout)
    values, index, starts = [], [], [0]
    for ph in range(sh):
        for pw in range(sw):
            for jh in range(th):
                for jw in range(tw):
                    k_h, k_w = ph + jh * sh, pw + jw * sw
                    if k_h < kh and k_w < kw:
                        block = weights[k_h, k_w]  # (C_in, C_out)
                        ci, co = np.nonzero(block)
                        values.append(block[ci, co])
                        index.append((ci << shift_ci) | co)
                    starts.append(starts[-1] + (len(values[-1]) if k_h < kh and k_w < kw else 0))
    vals = np.concatenate(values) if values else np.zeros(0)
    idx = np.concatenate(index).astype(np.int64) if index else np.zeros(0, np.int64)
    return SparseConvTransposeLayout(vals, idx, np.asarray(starts, np.int64), (th, tw), shift_ci)


def sparse_multiplications(
    layout: SparseConvTransposeLayout,
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    strides: tuple[int, int],
    pads_tl: tuple[int, int],
) -> int:
    """Multiplications per image of the sparse kernel (non-zero weights meeting real input pixels)."""
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
            [[0 <= (o + pads_tl[0]) // sh - j < in_hw[0] for j in range(th)] for o in rows], int
        )
        valid_w = np.array(
            [[0 <= (o + pads_tl[1]) // sw - j < in_hw[1] for j in range(tw)] for o in cols], int
        )
        total += int(np.einsum("ra,ab,cb->", valid_h, counts[p], valid_w))
    return total
