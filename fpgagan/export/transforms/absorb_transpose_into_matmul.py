"""Fold a ``Reshape -> Transpose(NCHW->NHWC)`` after a MatMul head into the MatMul's columns.

A generator's head computes ``x @ W + b``, quantizes it, reshapes the vector to (C, H, W) and (after
channels-last conversion) transposes it to (H, W, C).  Permuting the columns of W and b so that the
vector comes out in (H, W, C) order and reshaping to (H, W, C) directly computes the same values
with no Transpose layer in hardware.  Only per-tensor quantizers may sit between the MatMul and the
Reshape (a per-channel scale would be permuted too, and is left alone).
"""

from __future__ import annotations

import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from fpgagan.geometry import TO_NHWC

_PASS_THROUGH = {"Relu", "Quant", "Add"}


def _const_source(model: ModelWrapper, name: str) -> str | None:
    """The initializer that ``name`` comes from, directly or through one Quant/BipolarQuant."""
    if model.get_initializer(name) is not None:
        return name
    producer = model.find_producer(name)
    if (
        producer is not None
        and producer.op_type in ("Quant", "BipolarQuant")
        and model.get_initializer(producer.input[0]) is not None
    ):
        if any(
            model.get_initializer(p) is None or model.get_initializer(p).size != 1
            for p in producer.input[1:]
        ):
            return None  # per-channel quantizer parameters
        return producer.input[0]
    return None


class AbsorbTransposeIntoMatMul(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        for transpose in model.get_nodes_by_op_type("Transpose"):
            perm = [a for a in transpose.attribute if a.name == "perm"]
            if not perm or tuple(perm[0].ints) != TO_NHWC:
                continue
            reshape = model.find_producer(transpose.input[0])
            if (
                reshape is None
                or reshape.op_type != "Reshape"
                or len(model.find_consumers(reshape.output[0])) != 1
            ):
                continue
            target = model.get_initializer(reshape.input[1])
            if target is None or len(target) != 4:
                continue
            chain = self._chain_to_matmul(model, reshape.input[0])
            if chain is None:
                continue
            matmul, biases = chain
            _, c, h, w = (int(v) for v in target)
            idx = np.arange(c * h * w).reshape(c, h, w).transpose(1, 2, 0).reshape(-1)
            w_name = _const_source(model, matmul.input[1])
            weights = model.get_initializer(w_name)
            if weights.shape[-1] != c * h * w:
                continue
            model.set_initializer(w_name, weights[..., idx])
            for b_name in biases:
                model.set_initializer(b_name, model.get_initializer(b_name)[idx])
            model.set_initializer(
                reshape.input[1], np.array([target[0], h, w, c], dtype=target.dtype)
            )
            model.set_tensor_shape(reshape.output[0], model.get_tensor_shape(transpose.output[0]))
            for consumer in model.find_consumers(transpose.output[0]) or []:
                for i, name in enumerate(consumer.input):
                    if name == transpose.output[0]:
                        consumer.input[i] = reshape.output[0]
            for out in model.graph.output:
                if out.name == transpose.output[0]:
                    reshape.output[0] = out.name  # keep the graph output name
            model.graph.node.remove(transpose)
            return model, True
        return model, False

    @staticmethod
    def _chain_to_matmul(model: ModelWrapper, name: str):
        """Walk up single-consumer Relu/Quant/Add nodes to a MatMul with constant weights."""
        biases: list[str] = []
        node = model.find_producer(name)
        while node is not None and node.op_type in _PASS_THROUGH:
            if len(model.find_consumers(node.output[0])) != 1:
                return None
            if node.op_type == "Add":
                b = _const_source(model, node.input[1])
                if b is None or model.get_initializer(b).ndim != 1:
                    return None
                biases.append(b)
            elif node.op_type == "Quant" and any(
                model.get_initializer(p) is None or model.get_initializer(p).size != 1
                for p in node.input[1:]
            ):
                return None
            node = model.find_producer(node.input[0])
        if node is None or node.op_type != "MatMul" or _const_source(model, node.input[1]) is None:
            return None
        return node, biases
