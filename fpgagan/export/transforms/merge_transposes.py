"""Merge Transposes that permute the same tensor the same way into one.

qonnx's channels-last conversion gives every consumer of an NCHW tensor its own Transpose; when an
image feeds two branches (a U-Net's input, a skip connection) the copies would become two frame
buffers on the FPGA, and at the graph input they keep the layout change from moving to the host.
"""

from __future__ import annotations

from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation


def _perm(node) -> tuple[int, ...]:
    return tuple(next((list(a.ints) for a in node.attribute if a.name == "perm"), []))


class MergeIdenticalTransposes(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        outputs = {o.name for o in graph.output}
        seen: dict[tuple[str, tuple[int, ...]], object] = {}
        for node in list(graph.node):
            if node.op_type != "Transpose" or node.domain != "":
                continue
            key = (node.input[0], _perm(node))
            first = seen.setdefault(key, node)
            if first is node or node.output[0] in outputs:
                continue
            for consumer in model.find_consumers(node.output[0]) or []:
                for i, name in enumerate(consumer.input):
                    if name == node.output[0]:
                        consumer.input[i] = first.output[0]
            graph.node.remove(node)
            return model, True
        return model, False
