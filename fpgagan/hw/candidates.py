"""The configurations the board plan chooses from, per engine layer: parallelism, multipliers
(fabric / DSP / DSP pairs), weight storage and schedule (dense, sparse where the layer has zeros,
codebook where its weights take few distinct values), each costed by :mod:`fpgagan.hw.cost`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from fpgagan.hw import codebook as C
from fpgagan.hw import engine as E
from fpgagan.hw import offchip
from fpgagan.hw.cost import LayerCost, layer_cost
from fpgagan.hw.schedules import SCHEDULES, schedule_of
from fpgagan.hw.spec import EngineShape, Storage


@dataclasses.dataclass(frozen=True)
class Choice:
    """What the plan sets for one layer: its hls4ml layer config keys."""

    n_par: int
    k_par: int
    dsp_cols: int
    dsp_pack: int
    rom_storage: Storage
    sparse: bool
    codebook: bool = False

    def config(self) -> dict[str, object]:
        return {
            "ParallelOutputs": self.n_par,
            "ParallelInputs": self.k_par,
            "DspColumns": self.dsp_cols,
            "DspPacking": self.dsp_pack,
            "RomStorage": str(self.rom_storage),
            "Sparse": "true" if self.sparse else "false",
            "Codebook": "true" if self.codebook else "false",
        }


@dataclasses.dataclass(frozen=True)
class Candidate:
    choice: Choice
    shape: EngineShape
    cost: LayerCost

    @property
    def cycles(self) -> int:
        return self.cost.cycles.total

    @property
    def ddr_bytes(self) -> int:
        """Bytes the layer reads from DDR per image (0: its weights are on chip)."""
        return offchip.image_bytes(self.shape)


def choice_of(s: EngineShape) -> Choice:
    p = s.parallelism
    return Choice(p.n_par, p.k_par, p.dsp_cols, p.dsp_pack, s.rom_storage, s.sparse, s.codebook)


def with_choice(s: EngineShape, raw: np.ndarray, choice: Choice) -> EngineShape:
    """``s`` at another parallelism, DSP mapping, storage and schedule."""
    par = E.Parallelism(choice.n_par, choice.k_par, choice.dsp_cols, choice.dsp_pack)
    geom = s.geometry
    widths = s.widths
    book_size, book_zero, macs = 0, False, s.macs_options.of(choice.sparse)
    rules = SCHEDULES[schedule_of(choice.sparse, choice.codebook)]
    steps = rules.steps(raw, geom, par)
    fields = rules.shape_fields(raw, geom, par)
    if choice.codebook:
        book_size, book_zero, macs = s.codebook_options
        if not book_size:
            raise ValueError(f"layer {s.name!r} cannot take the codebook kernel")
        widths = dataclasses.replace(
            widths,
            idx_bits=C.index_bits(book_size),
            ps_bits=C.partial_sum_bits(widths.x_bits, widths.x_signed, geom.n_win),
        )
    tree = widths.prod_bits + (math.ceil(math.log2(choice.k_par)) if choice.k_par > 1 else 0)
    return dataclasses.replace(
        s,
        parallelism=par,
        n_steps=steps,
        rom_words=geom.n_mats * steps,
        sparse=choice.sparse,
        kernel=rules.kernel(geom.kind),
        n_nonzero=fields["n_nonzero"],
        ctl_bits=fields["ctl_bits"],
        rom_storage=choice.rom_storage,
        widths=dataclasses.replace(widths, tree_bits=tree, offset_bits=fields["offset_bits"]),
        macs=macs,
        codebook_size=book_size,
        codebook_zero=book_zero,
    )


def dsp_options(s: EngineShape, n_par: int) -> list[tuple[int, int]]:
    """``(dsp_cols, dsp_pack)``: none, and for each packing that fits the widths, half and all
    of the output lanes."""
    w = s.widths
    out = [(0, 1)]
    if E.check_packing(w.x_bits, w.x_signed, w.w_bits) is None and n_par % 2 == 0:
        out += [(n_par, 2)] + ([(n_par // 2, 2)] if (n_par // 2) % 2 == 0 else [])
    elif w.w_bits > 4 and w.x_bits > 4:  # wide products: one per DSP
        out += [(n_par, 1)] + ([(n_par // 2, 1)] if n_par > 1 else [])
    return out


def schedules_of(
    s: EngineShape, sparse: tuple[bool, ...], codebook: bool
) -> list[tuple[bool, bool]]:
    """``(sparse, codebook)`` schedules a layer may take: ``sparse`` the dense (False) and sparse
    (True) ones allowed; only the codebook kernel where ``codebook`` and the layer's converter
    found it possible (:attr:`EngineShape.codebook_options`: ``Codebook`` true, or auto with at
    most 16 distinct values stored in fewer bits than a weight).  Weight sharing is chosen for
    what it stores, so the plan does not trade it back for a faster dense schedule that stores
    every weight at full width."""
    if codebook and s.codebook_options.size:
        return [(False, True)]
    return [(sp, False) for sp in sparse]


def storages(s: EngineShape, sparse: bool, book: bool, ddr: bool) -> tuple[str, ...]:
    """Where the weights of a configuration may live: LUT-ROM or BRAM (``auto``), BRAM, and with
    ``ddr`` DDR (the dense schedule of an io_stream layer, :mod:`fpgagan.hw.offchip`)."""
    on_chip = (Storage.AUTO, Storage.BRAM)
    if not ddr or not SCHEDULES[schedule_of(sparse, book)].streams_from_ddr:
        return on_chip
    if s.io_type != "io_stream":
        return on_chip
    return (*on_chip, Storage.DDR)


def candidates(
    s: EngineShape,
    raw: np.ndarray,
    schedules: tuple[bool, ...],
    max_steps: int | None,
    codebook: bool = False,
    ddr: bool = False,
) -> list[Candidate]:
    """Every engine configuration of ``s``'s layer worth considering (``schedules``: which of
    dense (False) and sparse (True) it may take; ``codebook``: the codebook kernel too, where the
    layer allows it; ``ddr``: weights in DDR too)."""
    out = []
    geom = s.geometry
    kinds = schedules_of(s, schedules, codebook)
    for n_par, k_par in E.valid_parallelism(geom):
        if max_steps is not None and E.dense_steps(geom, n_par, k_par) > max_steps:
            continue
        for sparse, book in kinds:
            # a sparse lane has its own input and a codebook product is a constant multiplier:
            # only dense lanes share DSP pairs
            shares = SCHEDULES[schedule_of(sparse, book)].shares_dsp
            dsps = dsp_options(s, n_par) if shares else [(0, 1)]
            for cols, pack in dsps:
                for storage in storages(s, sparse, book, ddr):
                    choice = Choice(n_par, k_par, cols, pack, storage, sparse, book)
                    shape = with_choice(s, raw, choice)
                    if shape.offchip and offchip.unsuitable(shape) is not None:
                        continue
                    out.append(Candidate(choice, shape, layer_cost(shape)))
    if max_steps is not None and out:  # a fixed reuse factor: the longest schedule within it
        longest = max(c.shape.n_steps for c in out)
        out = [c for c in out if c.shape.n_steps == longest]
    return pareto(out)


def pareto(cands: list[Candidate]) -> list[Candidate]:
    """Drop candidates that another beats or ties on cycles and every resource (each candidate's
    key computed once: summing its cost items per comparison was most of a large plan's time)."""

    def key(c: Candidate) -> tuple[float, ...]:
        t = c.cost.total
        return (c.cycles, t.lut, t.ff, t.dsp, t.bram_18k, c.ddr_bytes)

    keyed = sorted(((key(c), c) for c in cands), key=lambda kc: kc[0])
    kept: list[tuple[tuple[float, ...], Candidate]] = []
    for kc, c in keyed:
        if not any(all(a <= b for a, b in zip(k, kc, strict=True)) for k, _ in kept):
            kept.append((kc, c))
    return [c for _, c in kept]
