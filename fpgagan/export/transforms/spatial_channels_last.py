"""Make the data-movement and merge ops of an NCHW graph channels-last, with Transposes qonnx then
cancels (the pattern of :mod:`.conv_transpose_channels_last`):

- Resize (nearest, constant integer spatial scales that repeat pixels) -> ``FgUpsample``;
- DepthToSpace -> ``FgDepthToSpace``; Pad on the spatial axes (constant 0, reflect, edge) ->
  ``FgPad``;
- Concat along channels -> Concat along the last axis; Add of two 4-D tensors -> the same Add
  between channels-last tensors.

Anything these ops do that fpgagan cannot reproduce exactly is refused, naming the node and the
attribute (a non-integer or channel-axis scale, a non-zero pad value, a Resize mode that does not
repeat pixels).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.base import Transformation

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.names import node_label
from fpgagan.export.ops.spatial import DEPTH_TO_SPACE_MODES, DOMAIN, PAD_MODES, resize_is_repeat
from fpgagan.geometry import TO_NCHW, TO_NHWC


def _attr(node, name: str, default):
    for a in node.attribute:
        if a.name == name:
            value = helper.get_attribute_value(a)
            return value.decode() if isinstance(value, bytes) else value
    return default


def _const(model: ModelWrapper, name: str) -> np.ndarray | None:
    return model.get_initializer(name) if name else None


def _refuse(node, what: str) -> UnsupportedModelError:
    return UnsupportedModelError(f"{node.op_type} node {node_label(node)}: {what}")


def upsample_scales(model: ModelWrapper, node) -> tuple[int, int]:
    """Integer (s_h, s_w) of a nearest Resize that repeats pixels, else an error naming why."""
    if _attr(node, "mode", "nearest") != "nearest":
        raise _refuse(node, f"mode={_attr(node, 'mode', '')} (only nearest is exact here)")
    in_shape = model.get_tensor_shape(node.input[0])
    scales = _const(model, node.input[2]) if len(node.input) > 2 else None
    sizes = _const(model, node.input[3]) if len(node.input) > 3 else None
    if scales is not None and scales.size:
        s = [float(v) for v in scales]
    elif sizes is not None and sizes.size:
        s = [float(o) / float(i) for o, i in zip(sizes, in_shape, strict=True)]
    else:
        raise _refuse(node, "scales or sizes must be constants")
    if len(s) != 4 or s[0] != 1 or s[1] != 1 or any(v != int(v) or v < 1 for v in s[2:]):
        raise _refuse(node, f"scales {s}: only integer factors >= 1 on height and width")
    coords = _attr(node, "coordinate_transformation_mode", "half_pixel")
    nearest = _attr(node, "nearest_mode", "round_prefer_floor")
    for v in s[2:]:
        if not resize_is_repeat(coords, nearest, int(v)):
            raise _refuse(
                node,
                f"coordinate_transformation_mode={coords} with nearest_mode={nearest} does not "
                "repeat pixels (use asymmetric + floor, or half_pixel + round_prefer_floor)",
            )
    return int(s[2]), int(s[3])


def pad_attributes(model: ModelWrapper, node) -> tuple[tuple[int, int, int, int], str]:
    """Spatial pads (top, left, bottom, right) and mode of a 4-D Pad, else an error naming why."""
    mode = _attr(node, "mode", "constant")
    if mode not in PAD_MODES:
        raise _refuse(node, f"mode={mode} (supported: {', '.join(PAD_MODES)})")
    pads = _const(model, node.input[1]) if len(node.input) > 1 else None
    if pads is None:
        pads = np.array(_attr(node, "pads", []))
    if len(node.input) > 2 and node.input[2]:
        value = _const(model, node.input[2])
        if value is None or np.any(value != 0):
            raise _refuse(node, "only zero constant padding is supported")
    if len(node.input) > 3 and node.input[3]:
        raise _refuse(node, "the axes input is not supported")
    p = [int(v) for v in pads]
    if len(p) != 8 or any(p[i] for i in (0, 1, 4, 5)) or min(p) < 0:
        raise _refuse(node, f"pads {p}: only non-negative padding of height and width")
    return (p[2], p[3], p[6], p[7]), mode


def _perm(node) -> tuple[int, ...] | None:
    return (
        tuple(_attr(node, "perm", ())) if node is not None and node.op_type == "Transpose" else None
    )


def _already_wrapped(model: ModelWrapper, node) -> bool:
    """A Concat / Add this pass made channels-last: NHWC Transposes in, an NCHW one out."""
    ins = [_perm(model.find_producer(i)) for i in node.input]
    outs = [_perm(c) for c in model.find_consumers(node.output[0]) or []]
    return all(p == TO_NHWC for p in ins) and outs == [TO_NCHW]


class SpatialOpsToChannelsLast(Transformation):
    def apply(self, model: ModelWrapper) -> tuple[ModelWrapper, bool]:
        graph = model.graph
        changed = False
        for node in list(graph.node):
            if node.domain != "":
                continue
            shapes = [model.get_tensor_shape(i) if i else None for i in node.input]
            if not shapes or shapes[0] is None or len(shapes[0]) != 4:
                continue
            if node.op_type == "Resize":
                sh, sw = upsample_scales(model, node)
                self._wrap(model, node, [0], "FgUpsample", scales=[sh, sw])
            elif node.op_type == "DepthToSpace":
                mode = _attr(node, "mode", "DCR")
                if mode not in DEPTH_TO_SPACE_MODES:
                    raise _refuse(node, f"mode={mode}")
                self._wrap(
                    model,
                    node,
                    [0],
                    "FgDepthToSpace",
                    blocksize=_attr(node, "blocksize", 0),
                    mode=mode,
                )
            elif node.op_type == "Pad":
                pads, mode = pad_attributes(model, node)
                self._wrap(model, node, [0], "FgPad", pads=list(pads), mode=mode)
            elif node.op_type in ("Concat", "Add") and _already_wrapped(model, node):
                continue
            elif node.op_type == "Concat":
                axis = _attr(node, "axis", 1)
                if axis not in (1, -3) or any(s is None or len(s) != 4 for s in shapes):
                    raise _refuse(node, f"axis={axis}: only the channel axis of 4-D tensors")
                self._wrap(model, node, list(range(len(node.input))), None, axis=3)
            elif node.op_type == "Add" and all(s is not None and len(s) == 4 for s in shapes):
                if shapes[0] != shapes[1]:
                    raise _refuse(node, f"shapes {shapes}: only element-wise Add of equal shapes")
                self._wrap(model, node, [0, 1], None)
            else:
                continue
            changed = True
        if changed and DOMAIN not in model.get_opset_imports():
            imports = model.get_opset_imports()
            model.model.opset_import.append(helper.make_opsetid(DOMAIN, imports.get("", 13)))
        return model, changed

    @staticmethod
    def _wrap(model: ModelWrapper, node, data_inputs: list[int], op_type: str | None, **attrs):
        """NHWC Transposes before the data inputs and after the output; the node becomes
        ``op_type`` in fpgagan's channels-last domain (keeping only its data inputs), or, with
        ``op_type`` None, keeps its type with the given attributes replaced."""
        graph = model.graph
        pos = list(graph.node).index(node)
        inserted = 0
        new_inputs = []
        for i in data_inputs:
            shape = model.get_tensor_shape(node.input[i])
            x_nhwc = model.make_new_valueinfo_name()
            graph.value_info.append(
                helper.make_tensor_value_info(
                    x_nhwc, TensorProto.FLOAT, [shape[k] for k in TO_NHWC]
                )
            )
            graph.node.insert(
                pos + inserted,
                helper.make_node("Transpose", [node.input[i]], [x_nhwc], perm=TO_NHWC),
            )
            inserted += 1
            new_inputs.append(x_nhwc)
        out_shape = model.get_tensor_shape(node.output[0])
        y_nhwc = model.make_new_valueinfo_name()
        graph.value_info.append(
            helper.make_tensor_value_info(
                y_nhwc, TensorProto.FLOAT, [out_shape[k] for k in TO_NHWC]
            )
        )
        graph.node.insert(
            pos + inserted + 1,
            helper.make_node("Transpose", [y_nhwc], [node.output[0]], perm=TO_NCHW),
        )
        if op_type is None:
            for name, value in attrs.items():
                for a in list(node.attribute):
                    if a.name == name:
                        node.attribute.remove(a)
                node.attribute.append(helper.make_attribute(name, value))
            del node.input[:]
            node.input.extend(new_inputs)
        else:
            replacement = helper.make_node(
                op_type, new_inputs, [y_nhwc], name=node.name, domain=DOMAIN, **attrs
            )
            replacement.metadata_props.extend(node.metadata_props)
            graph.node.insert(pos + inserted, replacement)
            graph.node.remove(node)
            return
        node.output[0] = y_nhwc
