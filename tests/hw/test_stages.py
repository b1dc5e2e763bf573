"""The non-engine processes' stages from plain values (fpgagan.hw.stages): no hls4ml needed."""

from __future__ import annotations

import pytest

from fpgagan.errors import UnsupportedModelError
from fpgagan.hw.stages import (
    FixedWidth,
    SpatialShape,
    activation_stage,
    merge_stage,
    pad_ops,
    repeat_ops,
    spatial_stage,
)


def test_an_add_counts_one_adder_per_channel_and_a_concat_none():
    add = merge_stage("a", "add", n_pix=64, chans=8, bits=9)
    cat = merge_stage("c", "concat", n_pix=64, chans=8, bits=9)
    adders = [i for i in add.items if i.what == "two-input adder"]
    assert len(adders) == 1 and adders[0].count == 8
    assert not [i for i in cat.items if "adder" in i.what]
    assert add.ops == (("pass", 64),)


def test_an_activation_without_a_cost_model_is_refused_by_name():
    with pytest.raises(UnsupportedModelError, match="layer q7: activation 'tanh'"):
        activation_stage("q7", "tanh", FixedWidth(12, 4), FixedWidth(8, 1), 16, 3)
    relu = activation_stage("r", "relu", FixedWidth(12, 4), FixedWidth(8, 3, False), 16, 3)
    assert relu.items[0].what == "output unit (relu_u)" and relu.items[0].count == 3


def test_upsampling_reads_a_row_then_emits_its_copies():
    s = SpatialShape(3, 4, 2, 6, 8, 2, 8, 1)
    ops = repeat_ops(s, 2)
    assert ops[:3] == [("read", 4), ("emit", 8), ("emit", 8)]
    assert sum(n for op, n in ops if op == "emit") == 6 * 8
    stage = spatial_stage("up", "FgUpsample", s, ops)
    assert stage.ops[-1][0] == "compute" and stage.items[0].what.startswith("row buffer 4x16")


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_padding_emits_every_output_row_once_and_reads_every_input_row(mode):
    s = SpatialShape(4, 5, 1, 7, 5, 1, 8, 3)
    ops = pad_ops(s, top=2, mode=mode)
    assert [op for op, _ in ops].count("emit") == 7
    assert [op for op, _ in ops].count("read") == 4
    if mode == "constant":  # the zero rows above the image go out before any row is read
        assert ops[:2] == [("emit", 5), ("emit", 5)]
