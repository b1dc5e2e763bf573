"""Frames/s of a fully convolutional model at other frame sizes, from the board plan: the
on-chip memory (layer arrays and FIFOs, also a global residual's skip stream) depends on the
frame's width, not its height."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from fpgagan.config import Precision
from fpgagan.errors import ExportError
from fpgagan.export import reference_outputs, to_qonnx
from fpgagan.models.espcn import Espcn, EspcnSpec
from fpgagan.workflows.frame_rates import frame_rate_table, plan_frame, scale_of

SPEC = EspcnSpec(widths=(6, 6), kernels=((3, 1), (1, 3), (3, 3)), in_height=6, in_width=8)


def _student(spec: EspcnSpec) -> Espcn:
    torch.manual_seed(0)
    m = Espcn(spec, Precision(weight_bits=4, act_bits=8, input_range=1.0)).init_nearest()
    for conv in m.convs:  # some detail on top of the start, so every path carries values
        torch.nn.init.normal_(conv.weight, 0.0, 0.2)
    m.train()
    for _ in range(3):
        m(torch.rand(2, 3, 8, 8) * 2 - 1)
    return m.eval()


@pytest.fixture(scope="module", params=["none", "nearest"], ids=["pass-through", "residual"])
def model(request):
    return to_qonnx(_student(dataclasses.replace(SPEC, residual=request.param)))


def test_the_residual_exports_bit_exactly():
    """Resize and Add: qonnx's execution of the export equals Brevitas's forward, every element."""
    student = _student(dataclasses.replace(SPEC, residual="nearest"))
    exported = to_qonnx(student)
    assert {"Resize", "Add", "DepthToSpace"} <= {n.op_type for n in exported.graph.node}
    x = torch.rand(4, 3, 6, 8) * 2 - 1
    with torch.no_grad():
        expected = student(x).numpy()
    assert np.array_equal(reference_outputs(exported, x.numpy()), expected)


def test_two_heights_plan_the_same_memory_and_the_width_scales_the_line_buffers(model):
    assert scale_of(model) == 2
    low = plan_frame(model, "pynq-z2", 16, 24)
    tall = plan_frame(model, "pynq-z2", 32, 24)
    wide = plan_frame(model, "pynq-z2", 16, 48)
    assert (low.in_height, low.in_width, tall.in_height) == (8, 12, 16)
    assert low.buffer_bits > 0
    assert tall.memory_bits == low.memory_bits and tall.bram_18k == low.bram_18k
    assert tall.buffer_bits == low.buffer_bits
    assert tall.fifo_bits == low.fifo_bits and low.fifo_bits > 0  # the FIFOs too
    weights = low.memory_bits - low.buffer_bits
    assert wide.memory_bits - wide.buffer_bits == weights  # weights do not depend on the frame
    assert wide.buffer_bits > low.buffer_bits  # the line buffers grow with the width
    # the interval grows with the pixels of the frame; frames/s is the clock over it
    assert tall.interval_cycles > low.interval_cycles
    assert low.frames_per_s == pytest.approx(low.clock_mhz * 1e6 / low.interval_cycles)
    assert wide.fifo_bits >= low.fifo_bits
    table = frame_rate_table([low, tall])
    assert "24x16" in table and "24x32" in table


def test_an_output_that_is_not_the_scale_of_an_input_is_refused(model):
    with pytest.raises(ExportError, match="m.onnx: a 15x24 output is not 2 x an input frame"):
        plan_frame(model, "pynq-z2", 15, 24, name="m.onnx")
