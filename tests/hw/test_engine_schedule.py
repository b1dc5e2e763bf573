"""The engine's ROM images and schedules (fpgagan.hw.engine), checked in numpy against direct
arithmetic: what the C++ reads must be what the layer computes."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagan.geometry import multiplications
from fpgagan.hw import engine as E


def _mats(rng, n_mats=3, n_taps=4, n_chan=8, n_out=6, sparsity=0.0):
    w = rng.integers(-7, 8, size=(n_mats, n_taps, n_chan, n_out))
    w[rng.random(w.shape) < sparsity] = 0
    return w


def _direct(mats, bias, taps, mat):
    """out[n] = bias[n] + sum_{t, c} taps[t, c] * W[mat, t, c, n]"""
    return bias + np.einsum("tc,tcn->n", taps, mats[mat])


PARS = [(1, 1), (2, 4), (6, 8), (3, 2), (6, 1)]


@pytest.mark.parametrize("n_par, k_par", PARS)
def test_dense_rom_reproduces_the_matrix_product(n_par, k_par):
    rng = np.random.default_rng(0)
    mats = _mats(rng)
    par = E.Parallelism(n_par, k_par)
    rom = E.dense_rom(mats, par)
    steps = E.dense_steps(E.Geometry("conv", 6, 8, 4, 3, 1, 1), n_par, k_par)
    assert rom.shape == (3 * steps, k_par, n_par)
    bias = rng.integers(-100, 100, size=6)
    for mat in range(3):
        taps = rng.integers(-128, 128, size=(4, 8))
        got = E.run_dense(rom, bias, taps.reshape(-1), mat, par)
        np.testing.assert_array_equal(got, _direct(mats, bias, taps, mat))


@pytest.mark.parametrize("n_par, k_par", PARS)
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9, 1.0])
def test_sparse_schedule_reproduces_the_matrix_product(n_par, k_par, sparsity):
    rng = np.random.default_rng(1)
    mats = _mats(rng, sparsity=sparsity)
    par = E.Parallelism(n_par, k_par)
    sched = E.sparse_schedule(mats, par)
    assert sched.n_steps == E.sparse_steps(mats, par)
    assert sched.weights.shape == (3 * sched.n_steps, k_par, n_par)
    assert np.count_nonzero(sched.weights) == np.count_nonzero(mats)
    # every lane reads only its bank: channel i + k_par * offset
    assert sched.offsets.max(initial=0) < 8 // k_par
    bias = rng.integers(-100, 100, size=6)
    for mat in range(3):
        taps = rng.integers(-128, 128, size=(4, 8))
        np.testing.assert_array_equal(
            E.run_sparse(sched, bias, taps, mat, par), _direct(mats, bias, taps, mat)
        )


def test_sparse_schedule_is_shorter_for_sparser_weights():
    rng = np.random.default_rng(2)
    par = E.Parallelism(6, 2)
    dense_steps = E.dense_steps(E.Geometry("conv", 6, 8, 4, 3, 1, 1), 6, 2)
    lengths = [E.sparse_steps(_mats(rng, sparsity=s), par) for s in (0.0, 0.75, 0.95)]
    assert lengths[0] == dense_steps  # no zeros: as long as the dense schedule
    assert lengths[0] > lengths[1] > lengths[2] >= 3  # an empty block still takes a step


def test_conv_transpose_phases_and_multiplications():
    """The per-pixel tap validity reproduces the phase-decomposition multiply count."""
    kernel, strides, pads = (4, 4), (2, 2), (1, 1)
    mats, valid = E.conv_transpose_taps((7, 7), (14, 14), kernel, strides, pads)
    assert sorted(set(mats.tolist())) == [0, 1, 2, 3]
    w = np.ones((4, 4, 128, 64))
    per_tap = E.conv_transpose_mats(w, strides)
    useful = E.useful_products(per_tap, mats, valid, sparse=False)
    assert useful == multiplications(7, 7, 128, 64, 4, 4, 2, 2, (1, 1, 1, 1), 14, 14)


def test_conv_transpose_mats_place_every_kernel_tap_once():
    rng = np.random.default_rng(3)
    w = rng.integers(-7, 8, size=(5, 4, 2, 3))
    mats = E.conv_transpose_mats(w, (3, 2))
    assert mats.shape == (6, 2 * 2, 2, 3)
    assert np.abs(mats).sum() == np.abs(w).sum()


def test_conv_taps_mark_padding():
    _, valid = E.conv_taps((5, 5), (3, 3), (3, 3), (2, 2), (1, 1))
    assert valid.shape == (9, 9)
    assert valid[0].sum() == 4  # top-left output pixel: 2x2 taps inside the image
    assert valid[4].sum() == 9


def test_default_parallelism_takes_the_longest_schedule_within_the_reuse_factor():
    geom = E.Geometry(
        "conv_transpose", n_out=64, n_chan=128, n_taps=4, n_mats=4, n_pix=196, in_pixels=49
    )
    for rf in (1, 4, 64, 100, 10_000):
        par = E.default_parallelism(geom, rf)
        steps = E.dense_steps(geom, par.n_par, par.k_par)
        assert steps <= max(rf, 4)  # 4: k_par <= n_chan reads one tap a step
        assert all(
            E.dense_steps(geom, n, k) <= steps or E.dense_steps(geom, n, k) > rf
            for n, k in E.valid_parallelism(geom)
        )


@pytest.mark.parametrize(
    "x_bits, x_signed, w_bits, ok",
    [
        (8, False, 4, True),
        (8, True, 4, True),
        (8, True, 2, True),
        (8, False, 5, False),
        (12, True, 4, True),
        (14, True, 4, False),
    ],
)
def test_packing_rule(x_bits, x_signed, w_bits, ok):
    assert (E.check_packing(x_bits, x_signed, w_bits) is None) == ok


def test_to_raw_refuses_values_off_the_grid_or_too_wide():
    np.testing.assert_array_equal(E.to_raw(np.array([0.25, -0.5]), 2, 4, "w"), [1, -2])
    with pytest.raises(Exception, match="grid"):
        E.to_raw(np.array([0.3]), 2, 4, "w")
    with pytest.raises(Exception, match="4-bit"):
        E.to_raw(np.array([8.0]), 0, 4, "w")
