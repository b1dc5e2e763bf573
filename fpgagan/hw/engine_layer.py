"""An engine layer's numbers from plain values: its weights as raw integers on their grid, its
biases in accumulator units, its arithmetic widths, and what its schedule stores and multiplies.
The converter (:mod:`fpgagan.hls.passes.to_engine`) reads these values from the hls4ml node and
keeps the result as the layer's attributes; nothing here knows hls4ml.
"""

from __future__ import annotations

import math

import numpy as np

from fpgagan.errors import UnsupportedModelError
from fpgagan.hw import codebook as C
from fpgagan.hw import engine as E
from fpgagan.hw.fixed_point import Fixed
from fpgagan.hw.schedules import Roms
from fpgagan.hw.sparsity import weight_sparsity
from fpgagan.hw.spec import CodebookOption, MacsOptions, Widths


def raw_bias(
    values: np.ndarray | None, acc: Fixed, n_out: int, what: str
) -> tuple[np.ndarray, int]:
    """Biases as raw integers of the accumulator (zeros for a layer without), and the bits the
    largest needs (at least 2)."""
    if values is None:
        return np.zeros(n_out, np.int64), 2
    raw = E.to_raw(values, acc.frac, acc.width, f"{what} bias")
    return raw, max(2, int(np.abs(raw).max(initial=0)).bit_length() + 1)


def widths(
    x: Fixed, w: Fixed, b_bits: int, acc: Fixed, par: E.Parallelism, out_bits: int, roms: Roms,
    book: C.Codebook | None, fan_in: int,
) -> Widths:  # fmt: skip
    """The arithmetic's widths: products of the signed input and weight, the adder tree over
    ``k_par`` of them, the exact accumulator, and the schedule's own (offsets, indices, partial
    sums)."""
    prod_bits = x.as_signed().width + w.as_signed().width
    return Widths(
        x_bits=x.width,
        x_signed=x.signed,
        w_bits=w.as_signed().width,
        b_bits=b_bits,
        prod_bits=prod_bits,
        tree_bits=prod_bits + math.ceil(math.log2(par.k_par)) if par.k_par > 1 else prod_bits,
        acc_bits=acc.width,
        out_bits=out_bits,
        offset_bits=roms.offset_bits,
        idx_bits=book.idx_bits if book is not None else 0,
        ps_bits=C.partial_sum_bits(x.width, x.signed, fan_in) if book is not None else 0,
    )


def product_shift(x: Fixed, w: Fixed, acc: Fixed, what: str) -> int:
    """Bits a product is shifted left into the accumulator (its fraction bits are never cut)."""
    shift = acc.frac - (x.frac + w.frac)
    if shift < 0:
        raise UnsupportedModelError(f"{what}: accumulator finer than the products")
    return shift


def schedule_attributes(
    raw: np.ndarray, pixel_mats: np.ndarray, valid: np.ndarray, roms: Roms, sparse: bool,
    book: C.Codebook | None, options: CodebookOption,
) -> dict:  # fmt: skip
    """What the layer's schedule stores and computes: its ROM images (None for a ROM it does not
    have), steps per pixel, multiplications per image under its schedule and under the dense
    and sparse ones, stored weights, and the raw weights the planner re-schedules."""
    useful = (E.useful_products(raw, pixel_mats, valid, s) for s in (False, True))
    macs = MacsOptions(*useful)
    return dict(
        n_steps=roms.n_steps,
        macs=options.macs if book is not None else macs.of(sparse),
        macs_options=macs,
        n_nonzero=int(np.count_nonzero(raw)) if sparse else int(raw.size),
        weight_sparsity=float(weight_sparsity(raw)),
        rom_weights=roms.weights,
        rom_offsets=roms.offsets,
        rom_ctl=roms.ctl,
        rom_codebook=roms.codebook,
        codebook_zero=book.zero_entry if book is not None else False,
        codebook_options=options,
        raw_mats=raw.astype(np.int64),
    )
