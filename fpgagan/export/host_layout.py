"""Move layout changes at the graph boundary to the host.

After channels-last conversion an image input enters through an NCHW->NHWC Transpose and an image
output leaves through an NHWC->NCHW one.  On the FPGA those would be Transpose layers (a frame
buffer each); the host can do them for free.  ``host_layout`` removes them from the graph and
returns the permutations the host applies, so users still give and get the ONNX model's layouts.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.channels_last import RemoveConsecutiveChanFirstAndChanLastTrafos
from qonnx.transformation.infer_shapes import InferShapes
from qonnx.transformation.make_input_chanlast import MakeInputChannelsLast

from fpgagan.geometry import TO_NCHW, TO_NHWC

NHWC_TO_NCHW = TO_NCHW  # the host puts an NHWC output back into NCHW


@dataclasses.dataclass(frozen=True)
class HostLayout:
    """Permutations applied on the host: to the input before the FPGA, to the output after it."""

    input_perm: tuple[int, ...] | None = None
    output_perm: tuple[int, ...] | None = None

    def to_device(self, x: np.ndarray) -> np.ndarray:
        return (
            x if self.input_perm is None else np.ascontiguousarray(np.transpose(x, self.input_perm))
        )

    def from_device(self, y: np.ndarray) -> np.ndarray:
        return (
            y
            if self.output_perm is None
            else np.ascontiguousarray(np.transpose(y, self.output_perm))
        )


def _perm(node) -> list[int]:
    return [list(a.ints) for a in node.attribute if a.name == "perm"][0]


def host_layout(model: ModelWrapper) -> tuple[ModelWrapper, HostLayout]:
    """Strip boundary Transposes from a channels-last model; returns it and the host permutations."""
    input_perm = None
    in_name = model.graph.input[0].name
    if len(model.get_tensor_shape(in_name)) == 4:
        # the input becomes NHWC; its to-NHWC Transpose cancels against the one qonnx inserted
        model = model.transform(MakeInputChannelsLast()).transform(
            RemoveConsecutiveChanFirstAndChanLastTrafos()
        )
        input_perm = TO_NHWC
    output_perm = None
    while True:
        last = model.find_producer(model.graph.output[0].name)
        if last is not None and last.op_type == "Identity":  # hls4ml cannot end on a skipped layer
            _drop_output_node(model, last)
        elif (
            output_perm is None
            and last is not None
            and last.op_type == "Transpose"
            and _perm(last) == list(NHWC_TO_NCHW)
        ):
            _drop_output_node(model, last)
            output_perm = NHWC_TO_NCHW
        else:
            break
    return model.transform(InferShapes()), HostLayout(input_perm, output_perm)


def _drop_output_node(model: ModelWrapper, node) -> None:
    """Remove the single-input node producing the graph output; its input becomes the output."""
    out_name = model.graph.output[0].name
    src = node.input[0]
    shape = model.get_tensor_shape(src)
    model.graph.node.remove(node)
    for other in model.graph.node:
        for i, name in enumerate(other.output):
            if name == src:
                other.output[i] = out_name
        for i, name in enumerate(other.input):
            if name == src:
                other.input[i] = out_name
    model.set_tensor_shape(out_name, shape)
