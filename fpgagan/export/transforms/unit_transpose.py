"""A Transpose that moves only axes of size 1 is a Reshape; a Reshape of a Reshape is one.

A flat latent made ``(N, nz, 1, 1)`` for a transposed convolution (``z.view(-1, nz, 1, 1)``, the
PyTorch-examples DCGAN fed a flat latent) meets the channels-last transpose ``(0, 2, 3, 1)``,
which moves nothing but the two unit axes: the data order is unchanged.  As a Reshape to
``(N, 1, 1, nz)``, merged with the Reshape before it, the stream into the layer is the latent as
it arrives (hls4ml then needs no Transpose, and the no-op Reshape goes at conversion).
"""

from __future__ import annotations

import numpy as np
from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation


def _moves_only_unit_axes(shape: list[int], perm: list[int]) -> bool:
    """The permutation keeps the non-unit axes in their order (the flat data is unchanged)."""
    kept = [axis for axis in perm if shape[axis] != 1]
    return kept == sorted(kept)


class UnitTransposeToReshape(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        boundary = {i.name for i in graph.input} | {o.name for o in graph.output}
        for node in list(graph.node):
            # a transpose at the graph's boundary is the host's (fpgagan.export.host_layout moves it there)
            if node.op_type != "Transpose" or node.domain != "":
                continue
            if node.input[0] in boundary or node.output[0] in boundary:
                continue
            shape = model.get_tensor_shape(node.input[0])
            out = model.get_tensor_shape(node.output[0])
            perm = [a.ints for a in node.attribute if a.name == "perm"]
            if shape is None or out is None or not perm or any(d <= 0 for d in shape):
                continue
            if not _moves_only_unit_axes(list(shape), list(perm[0])):
                continue
            target = model.make_new_valueinfo_name()
            model.set_initializer(target, np.asarray(out, np.int64))
            reshape = helper.make_node(
                "Reshape", [node.input[0], target], [node.output[0]], name=f"{node.name}_reshape"
            )
            graph.node.insert(list(graph.node).index(node), reshape)
            graph.node.remove(node)
            return model, True
        return model, False


class MergeReshapes(Transformation):
    """``Reshape(Reshape(x))`` -> ``Reshape(x)`` when the first has no other consumer."""

    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        outputs = {o.name for o in graph.output}
        for node in list(graph.node):
            if node.op_type != "Reshape" or node.domain != "":
                continue
            first = model.find_producer(node.input[0])
            if first is None or first.op_type != "Reshape" or first.domain != "":
                continue
            if first.output[0] in outputs or len(model.find_consumers(first.output[0]) or []) != 1:
                continue
            target = model.get_initializer(node.input[1])
            if target is None or (np.asarray(target) <= 0).any():
                continue  # -1 or 0 in the target: left as exported
            node.input[0] = first.input[0]
            graph.node.remove(first)
            return model, True
        return model, False


__all__ = ["MergeReshapes", "UnitTransposeToReshape"]
