"""Fold a zero Pad into the convolution that reads it: the Conv pads its input with zeros
itself, so ``Pad(constant 0) -> Conv`` equals the Conv with larger ``pads``, and no padded map is
ever stored or streamed.  A Quant between them is kept (quantizing commutes with zero padding:
the zero-point is 0, so Quant(0) = 0).

Only a Pad whose output feeds nothing but that Conv (directly or through one Quant) is folded;
reflect and edge padding stay (they become ``FgPad`` layers).
"""

from __future__ import annotations

from onnx import helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.names import node_label
from fpgagan.export.transforms.spatial_channels_last import pad_attributes

QUANT_OPS = ("Quant",)


def _only_consumer(model: ModelWrapper, tensor: str):
    consumers = model.find_consumers(tensor) or []
    return consumers[0] if len(consumers) == 1 else None


def _conv_after(model: ModelWrapper, pad) -> tuple[object | None, object | None]:
    """(Conv, Quant between or None) reading ``pad``'s output as its data input, else (None, None)."""
    nxt = _only_consumer(model, pad.output[0])
    quant = None
    if nxt is not None and nxt.op_type in QUANT_OPS and nxt.input[0] == pad.output[0]:
        quant, nxt = nxt, _only_consumer(model, nxt.output[0])
        data = quant.output[0]
    else:
        data = pad.output[0]
    if nxt is None or nxt.op_type != "Conv" or nxt.domain != "" or nxt.input[0] != data:
        return None, None
    outputs = {o.name for o in model.graph.output}
    if data in outputs or pad.output[0] in outputs:
        return None, None
    return nxt, quant


class FoldZeroPadIntoConv(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        for pad in list(graph.node):
            if pad.op_type != "Pad" or pad.domain != "":
                continue
            shape = model.get_tensor_shape(pad.input[0])
            if shape is None or len(shape) != 4:
                continue
            (top, left, bottom, right), mode = pad_attributes(model, pad)
            if mode != "constant":
                continue
            conv, quant = _conv_after(model, pad)
            if conv is None:
                continue
            pads = _conv_pads(conv)
            folded = [pads[0] + top, pads[1] + left, pads[2] + bottom, pads[3] + right]
            for a in list(conv.attribute):
                if a.name in ("pads", "auto_pad"):
                    conv.attribute.remove(a)
            conv.attribute.append(helper.make_attribute("pads", folded))
            # the Pad's input goes straight to its reader; the padded tensor disappears
            reader = quant if quant is not None else conv
            reader.input[0] = pad.input[0]
            if quant is not None:
                # the quantized tensor now has the unpadded shape
                model.set_tensor_shape(quant.output[0], list(shape))
            graph.node.remove(pad)
            return model, True  # one at a time: the graph changed under the loop
        return model, False


def _conv_pads(conv) -> list[int]:
    """The Conv's explicit pads (zeros when absent); ``auto_pad`` other than NOTSET/VALID refused."""
    attrs = {a.name: a for a in conv.attribute}
    auto = attrs["auto_pad"].s.decode() if "auto_pad" in attrs else "NOTSET"
    if auto not in ("NOTSET", "VALID"):
        raise UnsupportedModelError(
            f"Conv node {node_label(conv)}: auto_pad={auto} after a Pad cannot be folded; "
            "export with explicit pads"
        )
    return [int(v) for v in attrs["pads"].ints] if "pads" in attrs else [0, 0, 0, 0]
