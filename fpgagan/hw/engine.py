"""The MAC engine's schedules and ROM images (``hls_templates/nnet_utils/nnet_fg_engine.h``).

Every fpgagan compute layer computes output pixels: ``n_out`` dot products over a window of
``n_taps * n_chan`` input values, through one of ``n_mats`` weight matrices (the phases of a
transposed convolution, the pixels of a generator head, or the one matrix of a convolution).
The engine spends ``n_steps`` cycles on a pixel; each step multiplies ``k_par`` window values by
``k_par * n_par`` weights (one ROM word) into ``n_par`` accumulators.

- **Dense schedule**: step ``r`` handles output block ``r // k_blocks`` and window values
  ``(r % k_blocks) * k_par ...``; ``n_steps = (n_out / n_par) * (n_taps * n_chan / k_par)``.
- **Sparse schedule** (generated here, stored as constants): per output block and tap, the lanes
  ``(i, j)`` of a step take the next non-zero weight of output ``j`` among the channels of bank
  ``i`` (channels ``c`` with ``c % k_par == i``); a step's lane multiplexer spans one bank.  The
  schedule is as long as its busiest lane, so its length depends on where the zeros are.

Everything here is numpy: ROM images, schedules and :func:`run_schedule`, a reference of what
the C++ computes, used by the tests to check layouts without a compiler.
"""

from __future__ import annotations

import dataclasses
import enum
import math
from typing import Literal

import numpy as np

from fpgagan.errors import UnsupportedModelError


class Kind(enum.StrEnum):
    """What an engine layer computes: a Dense (one window of n_chan values), a convolution or a
    transposed convolution; as a ``str`` it is its word."""

    DENSE = "dense"
    CONV = "conv"
    CONV_TRANSPOSE = "conv_transpose"


MultImpl = Literal["fabric", "dsp", "dsp_packed"]
# a DSP48E1 multiplies 25 x 18 bits; two products a*w0 + a*w1*2^18 share it when the low product
# fits 17 bits and the packed operand w1*2^18 + w0 fits 25 bits
DSP_PACK_SHIFT = 18
DSP_A_BITS = 25
DSP_B_BITS = 18
PACKED_MAX_WEIGHT_BITS = 4


@dataclasses.dataclass(frozen=True)
class Geometry:
    """What one engine layer computes, independent of how parallel it is."""

    kind: Kind
    n_out: int  # output channels per pixel
    n_chan: int  # window values per tap (input channels; a Dense's n_in)
    n_taps: int  # taps per window
    n_mats: int  # weight matrices
    n_pix: int  # output pixels per image
    in_pixels: int  # input stream elements per image (pixels; 1 vector for a Dense)
    line_rows: int = 0  # io_stream line buffer rows (0: no line buffer)
    in_width: int = 1

    def __post_init__(self) -> None:  # plain ints, whatever array shapes they came from
        object.__setattr__(self, "kind", Kind(self.kind))
        for f in dataclasses.fields(self):
            if f.name != "kind":
                object.__setattr__(self, f.name, int(getattr(self, f.name)))

    @property
    def n_win(self) -> int:
        return self.n_taps * self.n_chan

    @property
    def products_per_pixel(self) -> int:
        """Products the dense schedule performs per output pixel (masked taps included)."""
        return self.n_win * self.n_out


@dataclasses.dataclass(frozen=True)
class Parallelism:
    """How parallel one engine layer is: ``n_par`` accumulators x ``k_par`` adder-tree inputs."""

    n_par: int
    k_par: int
    dsp_cols: int = 0  # output lanes whose products use DSPs
    dsp_pack: int = 1  # products per DSP on those lanes (2 = packed pairs)

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, int(getattr(self, f.name)))

    @property
    def lanes(self) -> int:
        return self.n_par * self.k_par

    @property
    def dsp(self) -> int:
        return self.k_par * self.dsp_cols // self.dsp_pack

    @property
    def fabric_lanes(self) -> int:
        return self.k_par * (self.n_par - self.dsp_cols)


def divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def valid_parallelism(geom: Geometry) -> list[tuple[int, int]]:
    """All ``(n_par, k_par)`` with ``n_par | n_out`` and ``k_par | n_chan`` (a step reads one tap)."""
    return [(n, k) for n in divisors(geom.n_out) for k in divisors(geom.n_chan)]


def dense_steps(geom: Geometry, n_par: int, k_par: int) -> int:
    return (geom.n_out // n_par) * (geom.n_win // k_par)


def parallelism_for_steps(geom: Geometry, steps: int) -> list[tuple[int, int]]:
    """Every ``(n_par, k_par)`` whose dense schedule takes the fewest steps that are <= ``steps``
    (at least one step per pixel)."""
    options = valid_parallelism(geom)
    fitting = [(dense_steps(geom, n, k), n, k) for n, k in options]
    feasible = [f for f in fitting if f[0] <= max(steps, 1)]
    if not feasible:  # fewer steps than the fully parallel engine: take the fully parallel one
        feasible = [min(fitting)]
    best = max(s for s, _, _ in feasible)
    return [(n, k) for s, n, k in feasible if s == best]


def default_parallelism(geom: Geometry, reuse_factor: int) -> Parallelism:
    """The engine for a reuse factor without a board plan: the longest dense schedule that is at
    most ``reuse_factor`` steps, with as many outputs in parallel as possible (inputs broadcast)."""
    n_par, k_par = max(parallelism_for_steps(geom, reuse_factor))
    return Parallelism(n_par, k_par)


def configured_parallelism(
    geom: Geometry,
    setting: tuple,
    reuse_factor: int,
    x_bits: int,
    x_signed: bool,
    w_bits: int,
    what: str,
) -> Parallelism:
    """A layer's parallelism from its config ``setting`` = (ParallelOutputs, ParallelInputs,
    DspColumns, DspPacking) (the first two ``None``: the longest schedule within
    ``reuse_factor`` steps), each checked against ``geom`` and the widths; errors name ``what``."""
    n_par, k_par, cols, pack = setting
    if n_par is None or k_par is None:
        par = default_parallelism(geom, reuse_factor)
    else:
        if geom.n_out % int(n_par) or geom.n_chan % int(k_par):
            raise UnsupportedModelError(
                f"{what}: ParallelOutputs={n_par} must divide {geom.n_out} outputs and "
                f"ParallelInputs={k_par} the {geom.n_chan} channels of a tap"
            )
        par = Parallelism(int(n_par), int(k_par))
    cols, pack = int(cols or 0), int(pack or 1)
    if pack not in (1, 2) or not 0 <= cols <= par.n_par or cols % pack:
        raise UnsupportedModelError(
            f"{what}: DspColumns={cols} / DspPacking={pack} (need 0 <= columns <= "
            f"{par.n_par}, packing 1 or 2, columns a multiple of the packing)"
        )
    if pack == 2 and cols:
        why = check_packing(x_bits, x_signed, w_bits)
        if why:
            raise UnsupportedModelError(f"{what}: cannot pack two products per DSP: {why}")
    return Parallelism(par.n_par, par.k_par, cols, pack)


def check_packing(x_bits: int, x_signed: bool, w_bits: int) -> str | None:
    """Why two products of these widths cannot share one DSP48E1 (None if they can)."""
    x_width = x_bits + (0 if x_signed else 1)
    if w_bits > PACKED_MAX_WEIGHT_BITS:
        return f"weights of {w_bits} bits (packing takes <= {PACKED_MAX_WEIGHT_BITS})"
    if x_width > DSP_B_BITS:
        return f"inputs of {x_bits} bits do not fit the DSP's {DSP_B_BITS}-bit port"
    if x_width + w_bits > DSP_PACK_SHIFT - 1:
        return f"a {x_width} x {w_bits}-bit product does not fit the low {DSP_PACK_SHIFT - 1} bits"
    if DSP_PACK_SHIFT + w_bits > DSP_A_BITS:
        return "the packed operand does not fit the DSP's 25-bit port"
    return None


# ------------------------------------------------------------------ weight matrices


def to_raw(values: np.ndarray, frac: int, bits: int, what: str) -> np.ndarray:
    """``values * 2**frac`` as integers, refusing values off the grid or outside ``bits`` signed."""
    scaled = np.asarray(values, np.float64) * 2.0**frac
    ints = np.round(scaled)
    if not np.array_equal(ints, scaled):
        raise UnsupportedModelError(f"{what}: values are not on the 2^-{frac} grid of their type")
    lo, hi = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
    if ints.size and (ints.min() < lo or ints.max() > hi):
        raise UnsupportedModelError(f"{what}: values exceed a signed {bits}-bit integer")
    return ints.astype(np.int64)


def dense_mats(weights: np.ndarray, n_pix: int) -> np.ndarray:
    """Dense weights (n_in, n_pix * n_out), outputs channels-last -> (n_pix, 1, n_in, n_out)."""
    n_in, n_total = weights.shape
    n_out = n_total // n_pix
    return np.ascontiguousarray(weights.reshape(n_in, n_pix, n_out).transpose(1, 0, 2)[:, None])


def conv_mats(weights: np.ndarray) -> np.ndarray:
    """Conv2D weights (kH, kW, C_in, C_out) -> (1, kH * kW, C_in, C_out), taps t = kh * kW + kw."""
    kh, kw, cin, cout = weights.shape
    return np.ascontiguousarray(weights.reshape(1, kh * kw, cin, cout))


def conv_transpose_mats(weights: np.ndarray, strides: tuple[int, int]) -> np.ndarray:
    """Transposed-conv weights (kH, kW, C_in, C_out) -> (phases, taps_h * taps_w, C_in, C_out):
    phase ``ph * s_w + pw``, tap ``jh * taps_w + jw`` is kernel tap ``(ph + jh*s_h, pw + jw*s_w)``
    (zero where that lies outside the kernel)."""
    kh, kw, cin, cout = weights.shape
    sh, sw = strides
    th, tw = math.ceil(kh / sh), math.ceil(kw / sw)
    mats = np.zeros((sh * sw, th * tw, cin, cout), weights.dtype)
    for ph in range(sh):
        for pw in range(sw):
            for jh in range(th):
                for jw in range(tw):
                    k_h, k_w = ph + jh * sh, pw + jw * sw
                    if k_h < kh and k_w < kw:
                        mats[ph * sw + pw, jh * tw + jw] = weights[k_h, k_w]
    return mats


# ------------------------------------------------------------------ dense schedule


def dense_rom(mats: np.ndarray, par: Parallelism) -> np.ndarray:
    """ROM image (n_mats * n_steps, k_par, n_par): word ``mat * n_steps + nb * k_blocks + kb``
    holds ``W[k = kb*k_par + i][n = nb*n_par + j]`` at ``[i][j]`` (window index ``k = t*n_chan + c``)."""
    n_mats, n_taps, n_chan, n_out = mats.shape
    win = mats.reshape(n_mats, n_taps * n_chan, n_out)
    kb, nb = win.shape[1] // par.k_par, n_out // par.n_par
    # (mat, kb, i, nb, j) -> (mat, nb, kb, i, j)
    rom = win.reshape(n_mats, kb, par.k_par, nb, par.n_par).transpose(0, 3, 1, 2, 4)
    return np.ascontiguousarray(rom.reshape(n_mats * nb * kb, par.k_par, par.n_par))


# ------------------------------------------------------------------ sparse schedule


@dataclasses.dataclass(frozen=True)
class SparseSchedule:
    """A sparse layer's constant schedule, ``n_mats * n_steps`` steps (padded to one length)."""

    tap: np.ndarray  # (steps,) tap read by each step
    block: np.ndarray  # (steps,) output block accumulated
    first: np.ndarray  # (steps,) bool: block starts (bias)
    last: np.ndarray  # (steps,) bool: block ends (output)
    weights: np.ndarray  # (steps, k_par, n_par) raw weights, 0 where a lane idles
    offsets: np.ndarray  # (steps, k_par, n_par) channel c = i + k_par * offset
    n_steps: int  # steps per matrix
    n_nonzero: int  # non-zero weights stored

    @property
    def lane_use(self) -> float:
        """Share of lane-steps doing a non-zero product."""
        return self.n_nonzero / max(1, self.weights.size)

    @property
    def offset_bits(self) -> int:
        return max(1, int(self.offsets.max(initial=0)).bit_length())


def sparse_schedule(mats: np.ndarray, par: Parallelism) -> SparseSchedule:
    """Schedule the non-zero weights of ``mats`` (n_mats, n_taps, n_chan, n_out) on the lanes of ``par``."""
    n_mats, n_taps, n_chan, n_out = mats.shape
    kp, np_ = par.k_par, par.n_par
    if n_chan % kp or n_out % np_:
        raise ValueError(f"k_par {kp} must divide n_chan {n_chan} and n_par {np_} n_out {n_out}")
    per_mat = []
    for m in range(n_mats):
        rows: list[tuple[int, int, bool, bool, np.ndarray, np.ndarray]] = []
        for nb in range(n_out // np_):
            block_rows = []
            for t in range(n_taps):
                # w[c, j] for this block's outputs; banks: c = i + kp * o
                w = mats[m, t, :, nb * np_ : (nb + 1) * np_].reshape(n_chan // kp, kp, np_)
                lanes = [[np.nonzero(w[:, i, j])[0] for j in range(np_)] for i in range(kp)]
                depth = max((len(lane) for row in lanes for lane in row), default=0)
                for s in range(depth):
                    wv = np.zeros((kp, np_), np.int64)
                    off = np.zeros((kp, np_), np.int64)
                    for i in range(kp):
                        for j in range(np_):
                            if s < len(lanes[i][j]):
                                o = lanes[i][j][s]
                                wv[i, j], off[i, j] = w[o, i, j], o
                    block_rows.append([t, nb, False, False, wv, off])
            if not block_rows:  # an all-zero block still writes its biases
                zeros = np.zeros((kp, np_), np.int64)
                block_rows.append([0, nb, False, False, zeros, zeros.copy()])
            block_rows[0][2] = True
            block_rows[-1][3] = True
            rows.extend(tuple(r) for r in block_rows)
        per_mat.append(rows)
    n_steps = max(len(rows) for rows in per_mat)
    steps = []
    for rows in per_mat:  # pad: idle steps after the last block (weights 0, no flags)
        pad = (
            0,
            rows[-1][1],
            False,
            False,
            np.zeros((kp, np_), np.int64),
            np.zeros((kp, np_), np.int64),
        )
        steps.extend(rows + [pad] * (n_steps - len(rows)))
    return SparseSchedule(
        tap=np.array([s[0] for s in steps], np.int64),
        block=np.array([s[1] for s in steps], np.int64),
        first=np.array([s[2] for s in steps], bool),
        last=np.array([s[3] for s in steps], bool),
        weights=np.stack([s[4] for s in steps]),
        offsets=np.stack([s[5] for s in steps]),
        n_steps=n_steps,
        n_nonzero=int(np.count_nonzero(mats)),
    )


# ------------------------------------------------------------------ reference execution


def run_dense(rom: np.ndarray, bias: np.ndarray, window: np.ndarray, mat: int, par: Parallelism):
    """What the dense schedule computes for one pixel: ``window`` (n_win,) raw inputs -> (n_out,)
    integer accumulators (bias in accumulator units, products unshifted)."""
    kp, np_ = par.k_par, par.n_par
    k_blocks = len(window) // kp
    n_blocks = len(bias) // np_
    steps = n_blocks * k_blocks
    out = np.zeros(len(bias), np.int64)
    acc = np.zeros(np_, np.int64)
    for r in range(steps):
        nb, kb = divmod(r, k_blocks)
        x = window[kb * kp : (kb + 1) * kp]
        s = x @ rom[mat * steps + r]
        acc = (bias[nb * np_ : (nb + 1) * np_] if kb == 0 else acc) + s
        if kb == k_blocks - 1:
            out[nb * np_ : (nb + 1) * np_] = acc
    return out


def run_sparse(
    sched: SparseSchedule, bias: np.ndarray, taps: np.ndarray, mat: int, par: Parallelism
):
    """What the sparse schedule computes for one pixel: ``taps`` (n_taps, n_chan) raw inputs."""
    kp, np_ = par.k_par, par.n_par
    out = np.zeros(len(bias), np.int64)
    acc = np.zeros(np_, np.int64)
    i = np.arange(kp)[:, None]
    for r in range(mat * sched.n_steps, (mat + 1) * sched.n_steps):
        px = taps[sched.tap[r]]
        x = px[i + kp * sched.offsets[r]]
        s = (x * sched.weights[r]).sum(0)
        b = sched.block[r]
        acc = (bias[b * np_ : (b + 1) * np_] if sched.first[r] else acc) + s
        if sched.last[r]:
            out[b * np_ : (b + 1) * np_] = acc
    return out


# ------------------------------------------------------------------ which taps meet real inputs


def conv_transpose_taps(
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    pads_tl: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Per output pixel (row-major): its phase (weight matrix) and which of its taps
    ``jh * taps_w + jw`` meet a real input pixel inside the kernel, as (n_pix,), (n_pix, taps)."""
    th, tw = (math.ceil(k / s) for k, s in zip(kernel, strides, strict=True))

    def axis(n_out: int, n_in: int, k: int, s: int, pad: int, taps: int):
        o = np.arange(n_out)[:, None]
        j = np.arange(taps)[None, :]
        base, phase = np.divmod(o + pad, s)
        ok = (phase + j * s < k) & (base - j >= 0) & (base - j < n_in)
        return phase[:, 0], ok

    ph, ok_h = axis(out_hw[0], in_hw[0], kernel[0], strides[0], pads_tl[0], th)
    pw, ok_w = axis(out_hw[1], in_hw[1], kernel[1], strides[1], pads_tl[1], tw)
    mats = (ph[:, None] * strides[1] + pw[None, :]).reshape(-1)
    valid = (ok_h[:, None, :, None] & ok_w[None, :, None, :]).reshape(len(mats), th * tw)
    return mats, valid


def conv_taps(
    in_hw: tuple[int, int],
    out_hw: tuple[int, int],
    kernel: tuple[int, int],
    strides: tuple[int, int],
    pads_tl: tuple[int, int],
) -> tuple[np.ndarray, np.ndarray]:
    """Per output pixel: weight matrix 0 and which taps ``kh * kW + kw`` meet a real input pixel."""

    def axis(n_out: int, n_in: int, k: int, s: int, pad: int):
        i = np.arange(n_out)[:, None] * s - pad + np.arange(k)[None, :]
        return (i >= 0) & (i < n_in)

    ok_h = axis(out_hw[0], in_hw[0], kernel[0], strides[0], pads_tl[0])
    ok_w = axis(out_hw[1], in_hw[1], kernel[1], strides[1], pads_tl[1])
    valid = (ok_h[:, None, :, None] & ok_w[None, :, None, :]).reshape(
        out_hw[0] * out_hw[1], kernel[0] * kernel[1]
    )
    return np.zeros(len(valid), np.int64), valid


def useful_products(
    mats: np.ndarray, pixel_mats: np.ndarray, valid: np.ndarray, sparse: bool
) -> int:
    """Multiplications per image that meet real input pixels: every weight of a valid tap for a
    dense kernel, the non-zero ones for a sparse kernel."""
    n_mats, n_taps, n_chan, n_out = mats.shape
    per_tap = (
        np.count_nonzero(mats, axis=(2, 3))
        if sparse
        else np.full((n_mats, n_taps), n_chan * n_out, np.int64)
    )
    return int((per_tap[pixel_mats] * valid).sum())


def sparse_steps(mats: np.ndarray, par: Parallelism) -> int:
    """Length of :func:`sparse_schedule`'s schedule for ``par``, without building it."""
    n_mats, n_taps, n_chan, n_out = mats.shape
    kp, np_ = par.k_par, par.n_par
    nz = (mats != 0).reshape(n_mats, n_taps, n_chan // kp, kp, n_out // np_, np_)
    depth = nz.sum(axis=2).max(axis=(2, 4))  # (mats, taps, blocks): the busiest lane
    per_block = np.maximum(depth.sum(axis=1), 1)  # an all-zero block still takes one step
    return int(per_block.sum(axis=1).max())
