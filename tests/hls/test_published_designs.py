"""The engine shapes benchmarks/bench_cost.py builds for published FINN designs reproduce the
structure the designs publish (lanes, steps, cycles, MAC counts): facts, not resource ratios."""

from __future__ import annotations

import math

import numpy as np
import pytest

from benchmarks.published_common import load_designs, published_res
from benchmarks.published_finn import FACTS, design_shapes
from fpgagan.hw import engine as E

QDCGAN = "qdcgan-pynq-mnist-w4a4-ultra96"


@pytest.fixture(scope="module")
def designs():
    return load_designs()


@pytest.mark.parametrize("name", sorted(FACTS))
def test_lanes_add_up_to_the_published_pe_times_simd(designs, name):
    entry = designs[name]
    lanes = [s.parallelism.lanes for _, s in design_shapes(entry)]
    assert sum(lanes) == entry["published"]["mac_lanes"]


@pytest.mark.parametrize("name", sorted(FACTS))
def test_steps_per_pixel_are_the_published_weight_memory_depth(designs, name):
    for layer, s in design_shapes(designs[name]):
        fan_in, outputs = layer.k * layer.k * layer.c_in, layer.c_out
        assert s.n_steps == (fan_in // layer.simd) * (outputs // layer.pe) == layer.wmem
        assert s.rom_words == layer.wmem
        if layer.cycles_per_image is not None:
            assert s.geometry.n_pix * s.n_steps == layer.cycles_per_image


def test_qdcgan_runs_stride_one_convolutions_on_the_zero_inserted_input(designs):
    entry = designs[QDCGAN]
    shapes = design_shapes(entry)
    # TIFMPadDim = IFM + (IFM - 1)(S - 1) + 2(K - 1 - P); a stride-1 K x K convolution on it
    # gives the published output size
    assert [x.padded for x, _ in shapes] == [7, 11, 19, 35]
    for (_, s), row in zip(shapes, entry["layers"], strict=True):
        assert s.geometry.kind == "conv" and s.stride_height == 1
        assert s.in_height - s.filt_height + 1 == s.out_height == row["out"][1]
        assert s.macs * 2 == row["ops_per_image"]  # config.h #Ops counts a MAC as 2 ops
    performed = sum(s.macs for _, s in shapes)
    assert performed == entry["topology"]["macs_per_image_performed"]


def test_qdcgan_useful_macs_match_fpgagans_transposed_convolution_taps(designs):
    """The products of the zero-inserted convolution that meet a real input pixel are exactly
    those fpgagan's phase decomposition computes for the transposed convolution."""
    entry = designs[QDCGAN]
    useful = 0
    for row in entry["layers"]:
        (c_in, h, _), (c_out, oh, _) = row["in"], row["out"]
        k, s, p = row["kernel"], row["stride"], row["padding"]
        taps = math.ceil(k / s) ** 2
        mats = np.ones((s * s, taps, c_in, c_out), np.int8)
        pixel_mats, valid = E.conv_transpose_taps((h, h), (oh, oh), (k, k), (s, s), (p, p))
        useful += E.useful_products(mats, pixel_mats, valid, sparse=False)
    assert useful == entry["topology"]["macs_per_image_nonzero_inferred"]


def test_published_bram_is_counted_in_18k_units(designs):
    pub = designs[QDCGAN]["published"]
    assert published_res(pub).bram_18k == 2 * pub["bram_tiles"] == pub["bram_18k_equiv"]
