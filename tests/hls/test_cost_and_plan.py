from __future__ import annotations

import math

import pytest

from fpgagan.boards import get_board
from fpgagan.hls.cost import LUT_MULT_MAX_BITS, LayerShape, design_cost, layer_cost
from fpgagan.hls.plan import UTILISATION, make_plan

DECONV = LayerShape(
    "deconv",
    "Conv2DTranspose",
    macs=5_537_792,
    n_weights=131_072,
    mults_per_step=32_768,
    steps=196,
    read_cycles=49,
    weight_bits=4,
    input_bits=8,
    accum_bits=33,
    line_buffer_bits=2 * 7 * 128 * 8,
)
DENSE = LayerShape(
    "fc",
    "Dense",
    macs=401_408,
    n_weights=401_408,
    mults_per_step=401_408,
    steps=1,
    read_cycles=64,
    weight_bits=4,
    input_bits=8,
    accum_bits=33,
    line_buffer_bits=0,
)


def test_multipliers_scale_inversely_with_reuse():
    for rf in (1, 7, 64, 1000):
        c = layer_cost(DECONV, rf)
        assert c.multipliers == math.ceil(32_768 / rf)
        assert c.cycles == 196 * rf + 49


def test_dsp_or_lut_by_operand_width():
    narrow = layer_cost(DECONV, 64)
    assert narrow.multiplier_kind == "lut" and narrow.dsp == 0
    wide = layer_cost(LayerShape(**{**DECONV.__dict__, "weight_bits": LUT_MULT_MAX_BITS + 1}), 64)
    assert wide.multiplier_kind == "dsp" and wide.dsp == wide.multipliers


def test_design_throughput_is_set_by_the_slowest_layer():
    cost = design_cost([DENSE, DECONV], {"fc": 4096, "deconv": 10}, clock_mhz=100.0)
    assert cost.interval_cycles == max(4096, 196 * 10 + 49)
    assert cost.images_per_s == pytest.approx(100e6 / cost.interval_cycles)
    assert cost.dsp_roofline(220) == pytest.approx(220 * 100e6 / (DENSE.macs + DECONV.macs))


@pytest.mark.parametrize("board", ["pynq-z2", "zcu102"])
def test_plan_fits_and_is_tight(board):
    b = get_board(board)
    valid = {"fc": [rf for rf in range(1, 20_000) if 401_408 % rf == 0]}
    plan = make_plan([DENSE, DECONV], b, valid)
    assert plan.fits
    assert all(plan.usage[k] <= UTILISATION[k] for k in UTILISATION)
    # one step faster would not fit or would not be faster: the planner used the budget
    faster = design_cost(
        [DENSE, DECONV], {**plan.reuse, "deconv": max(1, plan.reuse["deconv"] - 1)}, b.clock_mhz
    )
    assert faster.images_per_s >= plan.cost.images_per_s


def test_fixed_reuse_overrides_and_unknown_layers():
    b = get_board("pynq-z2")
    plan = make_plan([DENSE, DECONV], b, {"fc": [6272]}, fixed={"deconv": 512})
    assert plan.reuse["deconv"] == 512
    from fpgagan.errors import BoardError

    with pytest.raises(BoardError, match="unknown layer"):
        make_plan([DENSE, DECONV], b, fixed={"nope": 2})
