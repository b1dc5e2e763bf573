"""The weight schedules' registry (fpgagan.hw.schedules): one module per schedule behind one
interface, and what each one builds agrees with the engine's reference functions and with what
the planner and the cost model read."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from fpgagan.hw import codebook as C
from fpgagan.hw import engine as E
from fpgagan.hw.candidates import Choice, with_choice
from fpgagan.hw.layer_memories import memories
from fpgagan.hw.schedules import SCHEDULES, Schedule, schedule_of
from fpgagan.hw.spec import KERNELS, Storage

GEOM = E.Geometry("conv", n_out=8, n_chan=6, n_taps=9, n_mats=1, n_pix=16, in_pixels=16)
PAR = E.Parallelism(4, 2)


def raw_weights(seed: int = 0, zeros: float = 0.6) -> np.ndarray:
    rng = np.random.default_rng(seed)
    w = rng.integers(-3, 4, size=(GEOM.n_mats, GEOM.n_taps, GEOM.n_chan, GEOM.n_out))
    return np.where(rng.random(w.shape) < zeros, 0, w).astype(np.int64)


def test_one_row_per_schedule():
    assert set(SCHEDULES) == set(Schedule)
    assert all(key is rules.schedule for key, rules in SCHEDULES.items())
    assert schedule_of(False, False) is Schedule.DENSE
    assert schedule_of(True, False) is Schedule.SPARSE
    assert schedule_of(False, True) is Schedule.CODEBOOK
    with pytest.raises(ValueError, match="not both"):
        schedule_of(True, True)


def test_kernel_names_come_from_the_registry():
    assert KERNELS[("conv", True, False)] == "FgSparseConv"
    assert KERNELS[("dense", False, False)] == "FgLinear"
    assert KERNELS[("conv_transpose", False, True)] == "FgCodebookConvTranspose"
    assert len(set(KERNELS.values())) == len(KERNELS) == 9


@pytest.mark.parametrize("schedule", list(Schedule))
def test_roms_have_exactly_the_schedules_arrays(schedule):
    raw = raw_weights()
    book = C.codebook_of(raw) if schedule is Schedule.CODEBOOK else None
    rules = SCHEDULES[schedule]
    roms = rules.roms(raw, GEOM, PAR, book)
    present = {"weights"} | {
        n for n in ("offsets", "ctl", "codebook") if getattr(roms, n) is not None
    }
    assert present == set(rules.rom_names) - {"biases"}
    assert "biases" in rules.rom_names
    assert roms.n_steps == rules.steps(raw, GEOM, PAR)  # the planner's count is the built one
    assert len(roms.weights) == GEOM.n_mats * roms.n_steps


def test_each_schedule_builds_the_engines_reference_roms():
    raw = raw_weights()
    dense = SCHEDULES[Schedule.DENSE].roms(raw, GEOM, PAR)
    np.testing.assert_array_equal(dense.weights, E.dense_rom(raw, PAR))
    sparse = SCHEDULES[Schedule.SPARSE].roms(raw, GEOM, PAR)
    ref = E.sparse_schedule(raw, PAR)
    np.testing.assert_array_equal(sparse.weights, ref.weights)
    np.testing.assert_array_equal(sparse.ctl[:, 0], ref.tap)
    assert sparse.n_steps == ref.n_steps < dense.n_steps  # 60% zeros: a shorter schedule
    book = C.codebook_of(raw)
    coded = SCHEDULES[Schedule.CODEBOOK].roms(raw, GEOM, PAR, book)
    np.testing.assert_array_equal(coded.weights, E.dense_rom(book.indices, PAR))
    np.testing.assert_array_equal(coded.codebook[book.indices], raw)  # indices select the values
    with pytest.raises(ValueError, match="codebook"):
        SCHEDULES[Schedule.CODEBOOK].roms(raw, GEOM, PAR)


def test_sparse_fields_bound_what_the_built_schedule_needs():
    raw = raw_weights(seed=3)
    rules = SCHEDULES[Schedule.SPARSE]
    fields = rules.shape_fields(raw, GEOM, PAR)
    assert fields["n_nonzero"] == np.count_nonzero(raw)
    assert fields["offset_bits"] >= rules.roms(raw, GEOM, PAR).offset_bits
    n_blocks = GEOM.n_out // PAR.n_par
    assert fields["ctl_bits"] == (GEOM.n_taps - 1).bit_length() + (n_blocks - 1).bit_length() + 2


def test_the_cost_model_counts_each_schedules_weight_arrays(default_layers):
    shapes, raws = default_layers
    s = next(x for x in shapes if x.geometry.kind == "conv_transpose")
    raw = raws[s.name]
    p = s.parallelism
    names = {}
    for sparse in (False, True):
        choice = Choice(p.n_par, p.k_par, 0, 1, Storage.AUTO, sparse)
        names[sparse] = [m.name for m in memories(with_choice(s, raw, choice))]
    assert names[False] == ["weights", "biases", "buffer"]
    assert names[True] == ["weights", "offsets", "ctl", "biases", "buffer"]


def test_kind_and_storage_are_enums_that_read_and_write_as_words():
    assert GEOM.kind is E.Kind.CONV and f"{GEOM.kind}" == "conv" and GEOM.kind == "conv"
    with pytest.raises(ValueError):
        E.Geometry("deconv", 1, 1, 1, 1, 1, 1)
    assert Storage("ddr") is Storage.DDR and f"{Storage.BRAM}" == "bram"
    assert Choice(1, 1, 0, 1, Storage.BRAM, False).config()["RomStorage"] == "bram"


def test_a_shape_normalises_its_storage(default_layers):
    shapes, _ = default_layers
    s = dataclasses.replace(shapes[0], rom_storage="BRAM")
    assert s.rom_storage is Storage.BRAM and s.rules is SCHEDULES[Schedule.DENSE]
    with pytest.raises(ValueError):
        dataclasses.replace(shapes[0], rom_storage="flash")


def test_each_schedule_counts_the_bits_of_exactly_its_roms(default_layers):
    shapes, _ = default_layers
    s = shapes[0]
    sizes = {"weights": 10, "biases": 4, "offsets": 10, "ctl": 5, "codebook": 3}
    w = s.widths
    dense = SCHEDULES[Schedule.DENSE].stored_bits(s, sizes)
    assert dense == {"weights": 10 * w.w_bits, "biases": 4 * w.b_bits}
    sparse = SCHEDULES[Schedule.SPARSE].stored_bits(s, sizes)
    assert list(sparse) == ["weights", "biases", "offsets", "control"]
    assert sparse["control"] == 5 * s.ctl_bits  # a control word per step
    coded = SCHEDULES[Schedule.CODEBOOK].stored_bits(s, sizes)
    assert coded == {"indices": 10 * w.idx_bits, "codebook": 3 * w.w_bits, "biases": 4 * w.b_bits}
