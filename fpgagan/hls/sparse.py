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
    """Non-zero weights of a transposed convolution grouped by output phase.

    ``index`` packs bit fields ``jh << shift_jh | jw << shift_jw | ci << shift_ci | co`` where the
    kernel tap is ``kh = ph + jh * stride_h`` (``kw`` likewise) for phase ``(ph, pw)``.
    """

    values: np.ndarray  # (n_nonzero,) weights
    index: np.ndarray  # (n_nonzero,) packed tap/channel indices
    phase_start: np.ndarray  # (n_phases + 1,) offsets into values/index
    taps: tuple[int, int]
    shifts: tuple[int, int, int]  # shift_ci, shift_jw, shift_jh

    @property
    def n_nonzero(self) -> int:
        return int(len(self.values))

    @property
    def max_phase_nnz(self) -> int:
        return int(np.diff(self.phase_start).max(initial=0))

    @property
    def index_bits(self) -> int:
        return max(1, self.shifts[2] + _field_bits(self.taps[0]))

    def tap_of(self, index: np.ndarray) -> np.ndarray:
        """(jh, jw) of packed indices, as jh * taps_w + jw."""
        jw = (index >> self.shifts[1]) & ((1 << (self.shifts[2] - self.shifts[1])) - 1)
        return (index >> self.shifts[2]) * self.taps[1] + jw


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
    shift_jw = shift_ci + _field_bits(cin)
    shift_jh = shift_jw + _field_bits(tw)
    values, index, starts = [], [], [0]
    count = 0
    for ph in range(sh):
        for pw in range(sw):
            for jh in range(th):
                for jw in range(tw):
                    k_h, k_w = ph + jh * sh, pw + jw * sw
                    if k_h >= kh or k_w >= kw:
                        continue
                    block = weights[k_h, k_w]  # (C_in, C_out)
                    ci, co = np.nonzero(block)
                    values.append(block[ci, co])
                    index.append((jh << shift_jh) | (jw << shift_jw) | (ci << shift_ci) | co)
                    count += len(ci)
            starts.append(count)
    vals = np.concatenate(values) if values else np.zeros(0)
    idx = np.concatenate(index).astype(np.int64) if index else np.zeros(0, np.int64)
    return SparseConvTransposeLayout(
        vals, idx, np.asarray(starts, np.int64), (th, tw), (shift_ci, shift_jw, shift_jh)
    )


def sparse_multiplications(
    layout: SparseConvTransposeLayout,
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    strides: tuple[int, int],
    pads_tl: tuple[int, int],
    n_chan: int,
    n_filt: int,
) -> int:
    """Multiplications per image of the sparse kernel (non-zero weights meeting real input pixels)."""
    th, tw = layout.taps
    sh, sw = strides
    total = 0
    for p in range(sh * sw):
        ph, pw = divmod(p, sw)
        lo, hi = layout.phase_start[p], layout.phase_start[p + 1]
        if hi == lo:
            continue
        tap = layout.tap_of(layout.index[lo:hi])
        counts = np.bincount(tap, minlength=th * tw).reshape(th, tw)  # non-zeros per (jh, jw)
        rows = [o for o in range(out_hw[0]) if (o + pads_tl[0]) % sh == ph]
        cols = [o for o in range(out_hw[1]) if (o + pads_tl[1]) % sw == pw]
        valid_h = np.array(
            [[0 <= (o + pads_tl[0]) // sh - j < in_hw[0] for j in range(th)] for o in rows], int
        )
        valid_w = np.array(
            [[0 <= (o + pads_tl[1]) // sw - j < in_hw[1] for j in range(tw)] for o in cols], int
        )
        if len(rows) and len(cols):
            total += int(np.einsum("ra,ab,cb->", valid_h, counts, valid_w))
    return total
