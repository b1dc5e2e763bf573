"""Frames/s of a fully convolutional model at other frame sizes, from the board plan: the
on-chip memory depends on the frame's width, not its height."""

from __future__ import annotations

import pytest
import torch

from fpgagan.config import Precision
from fpgagan.errors import ExportError
from fpgagan.export import to_qonnx
from fpgagan.models.espcn import Espcn, EspcnSpec
from fpgagan.workflows.frame_rates import frame_rate_table, plan_frame, scale_of

SPEC = EspcnSpec(widths=(6, 6), kernels=((3, 1), (1, 3), (3, 3)), in_height=6, in_width=8)


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    m = Espcn(SPEC, Precision(weight_bits=4, act_bits=8, input_range=1.0)).init_nearest()
    m.train()
    for _ in range(3):
        m(torch.rand(2, 3, 8, 8) * 2 - 1)
    return to_qonnx(m.eval())


def test_two_heights_plan_the_same_memory_and_the_width_scales_the_line_buffers(model):
    assert scale_of(model) == 2
    low = plan_frame(model, "pynq-z2", 16, 24)
    tall = plan_frame(model, "pynq-z2", 32, 24)
    wide = plan_frame(model, "pynq-z2", 16, 48)
    assert (low.in_height, low.in_width, tall.in_height) == (8, 12, 16)
    assert low.buffer_bits > 0
    assert tall.memory_bits == low.memory_bits and tall.bram_18k == low.bram_18k
    assert tall.buffer_bits == low.buffer_bits
    weights = low.memory_bits - low.buffer_bits
    assert wide.memory_bits - wide.buffer_bits == weights  # weights do not depend on the frame
    assert wide.buffer_bits > low.buffer_bits  # the line buffers grow with the width
    # the interval grows with the pixels of the frame; frames/s is the clock over it
    assert tall.interval_cycles > low.interval_cycles
    assert low.frames_per_s == pytest.approx(low.clock_mhz * 1e6 / low.interval_cycles)
    table = frame_rate_table([low, tall])
    assert "24x16" in table and "24x32" in table


def test_an_output_that_is_not_the_scale_of_an_input_is_refused(model):
    with pytest.raises(ExportError, match="m.onnx: a 15x24 output is not 2 x an input frame"):
        plan_frame(model, "pynq-z2", 15, 24, name="m.onnx")
