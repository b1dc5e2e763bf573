"""What a model file may hold before onnx, onnxruntime, qonnx or hls4ml see it: no external data,
a well-formed graph, and sizes within :mod:`fpgagan.limits`.

Each check reads the protobuf only (tensor *dims*, never tensor data) and refuses with one line
naming the file and the node:

- :func:`check_external_data`: a tensor anywhere in the model (initializers, sparse initializers,
  a Constant's ``value``, a tensor attribute of any node, subgraphs of If/Loop/Scan, local
  functions) that points at an external file.  onnxruntime follows such a path relative to the
  working folder (``../x/secret.txt`` too) and its bytes ended up in an error message.
- :func:`check_structure`: the node count, the standard opset version, tensors read before any
  node, input or initializer defines them (an undefined name, or a cycle), tensors defined twice.
- :func:`check_sizes`: elements and axes of every tensor (declared, stored, and as onnx's shape
  inference computes them), kernel, channel, stride and padding sizes of convolutions and pools.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import onnx
import onnx.numpy_helper
from onnx import AttributeProto, TensorProto

from fpgagan.errors import UnsupportedModelError, short_repr
from fpgagan.limits import (
    MAX_CHANNELS,
    MAX_DIM,
    MAX_KERNEL,
    MAX_NODES,
    MAX_OPSET,
    MAX_PAD,
    MAX_STRIDE,
    MAX_TENSOR_ELEMENTS,
    MAX_VALUE_CHARS,
    MIN_OPSET,
)

STANDARD_DOMAINS = ("", "ai.onnx")
# ops with a sliding window: kernel, stride, dilation and padding attributes, a weight at input 1
WINDOW_OPS = frozenset({"Conv", "ConvTranspose", "MaxPool", "AveragePool", "LpPool"})
# ops a weight passes through between its initializer and the convolution reading it
_WEIGHT_PATH = frozenset({"Quant", "IntQuant", "BipolarQuant", "Identity", "Transpose"})
_ATTR_LIMITS = {
    "kernel_shape": MAX_KERNEL,
    "strides": MAX_STRIDE,
    "dilations": MAX_STRIDE,
    "pads": MAX_PAD,
    "output_padding": MAX_STRIDE,
    "group": MAX_CHANNELS,
}
# the smallest value each window attribute may take: a stride, dilation, group or kernel of 0
# describes no window (ONNX requires >= 1); pads and output padding may be 0
_ATTR_MINIMA = {"kernel_shape": 1, "strides": 1, "dilations": 1, "group": 1}


def node_label(node: onnx.NodeProto, index: int) -> str:
    """``node 'name' ('OpType')`` with the user's strings cut short."""
    name = short_repr(node.name, MAX_VALUE_CHARS) if node.name else f"#{index}"
    return f"node {name} ({short_repr(node.op_type, MAX_VALUE_CHARS)})"


def _name(text: str) -> str:
    return short_repr(text, MAX_VALUE_CHARS)


# --------------------------------------------------------------------------- external data


def _attribute_tensors(attr: AttributeProto) -> Iterator[TensorProto]:
    if attr.HasField("t"):
        yield attr.t
    yield from attr.tensors
    for sparse in (*([attr.sparse_tensor] if attr.HasField("sparse_tensor") else []),
                   *attr.sparse_tensors):  # fmt: skip
        yield sparse.values
        yield sparse.indices


def _graph_tensors(graph: onnx.GraphProto, label: str) -> Iterator[tuple[TensorProto, str]]:
    """Every tensor stored in ``graph`` and its subgraphs, with who holds it."""
    for t in graph.initializer:
        yield t, f"{label}initializer {_name(t.name)}"
    for s in graph.sparse_initializer:
        yield s.values, f"{label}sparse initializer {_name(s.values.name)}"
        yield s.indices, f"{label}sparse initializer {_name(s.values.name)}"
    for i, node in enumerate(graph.node):
        yield from _node_tensors(node, f"{label}{node_label(node, i)}")


def _node_tensors(node: onnx.NodeProto, label: str) -> Iterator[tuple[TensorProto, str]]:
    for attr in node.attribute:
        for t in _attribute_tensors(attr):
            yield t, f"{label} attribute {_name(attr.name)}"
        subgraphs = ([attr.g] if attr.HasField("g") else []) + list(attr.graphs)
        for g in subgraphs:
            yield from _graph_tensors(g, f"{label} subgraph {_name(g.name)}: ")


def model_tensors(model: onnx.ModelProto) -> Iterator[tuple[TensorProto, str]]:
    """Every tensor the model stores (graph, subgraphs, local functions), with who holds it."""
    yield from _graph_tensors(model.graph, "")
    for f in model.functions:
        for i, node in enumerate(f.node):
            yield from _node_tensors(node, f"function {_name(f.name)}: {node_label(node, i)}")


def check_external_data(model: onnx.ModelProto, where: str) -> None:
    """Refuse a model with any tensor stored in an external file (see the module doc)."""
    for tensor, holder in model_tensors(model):
        if tensor.data_location == TensorProto.EXTERNAL or len(tensor.external_data):
            raise UnsupportedModelError(
                f"{where}: {holder}: the tensor is stored in an external file; fpgagan reads no file "
                "a model names (save it with its weights inside)"
            )


# --------------------------------------------------------------------------- structure


def check_structure(model: onnx.ModelProto, where: str) -> None:
    """Refuse too many nodes, an unknown standard opset, undefined or twice-defined tensors."""
    graph = model.graph
    if len(graph.node) > MAX_NODES:
        raise UnsupportedModelError(
            f"{where}: {len(graph.node):,} nodes, more than the limit of {MAX_NODES:,} "
            "(fpgagan.limits)"
        )
    versions = [o.version for o in model.opset_import if o.domain in STANDARD_DOMAINS]
    if not versions:
        raise UnsupportedModelError(f"{where}: the model imports no standard ONNX opset")
    for v in versions:
        if not MIN_OPSET <= v <= MAX_OPSET:
            raise UnsupportedModelError(
                f"{where}: ONNX opset {v} is not one fpgagan reads ({MIN_OPSET} to {MAX_OPSET})"
            )
    inits = {t.name for t in graph.initializer}
    for vi in graph.input:
        if vi.name in inits:
            continue  # an initializer listed as an input (older exporters)
        kind = vi.type.WhichOneof("value")
        elem = vi.type.tensor_type.elem_type if kind == "tensor_type" else None
        if elem != TensorProto.FLOAT:
            shown = (
                TensorProto.DataType.Name(elem) if kind == "tensor_type" else (kind or "no type")
            )
            raise UnsupportedModelError(
                f"{where}: graph input {_name(vi.name)} is {shown}; fpgagan's models take a float "
                "(FLOAT) tensor, which the first quantizer rounds"
            )
    defined = {vi.name for vi in graph.input}
    defined |= {t.name for t in graph.initializer}
    defined |= {s.values.name for s in graph.sparse_initializer}
    for i, node in enumerate(graph.node):
        for name in node.input:
            if name and name not in defined:
                raise UnsupportedModelError(
                    f"{where}: {node_label(node, i)} reads tensor {_name(name)}, which no input, "
                    "initializer or earlier node defines (an undefined name, a cycle, or nodes "
                    "out of order)"
                )
        for name in node.output:
            if name and name in defined:
                raise UnsupportedModelError(
                    f"{where}: {node_label(node, i)} defines tensor {_name(name)} a second time"
                )
            defined.add(name)
    for vi in graph.output:
        if vi.name not in defined:
            raise UnsupportedModelError(
                f"{where}: graph output {_name(vi.name)} is not computed by any node"
            )


# --------------------------------------------------------------------------- sizes


def _check_dims(dims: list[int], what: str, where: str) -> None:
    if any(d < 0 for d in dims):
        raise UnsupportedModelError(
            f"{where}: {what} has an axis of negative size {min(dims)} (a window larger than its "
            "padded input, or a declared shape that is not one)"
        )
    if any(d > MAX_DIM for d in dims):
        raise UnsupportedModelError(
            f"{where}: {what} has an axis of {max(dims):,}, more than the limit of {MAX_DIM:,} "
            "(fpgagan.limits)"
        )
    n = 1
    for d in dims:
        n *= max(d, 0)
    if n > MAX_TENSOR_ELEMENTS:
        raise UnsupportedModelError(
            f"{where}: {what} {list(dims)} has {n:,} elements, more than the limit of "
            f"{MAX_TENSOR_ELEMENTS:,} (fpgagan.limits)"
        )


def _value_info_dims(vi: onnx.ValueInfoProto) -> list[int]:
    if not vi.type.HasField("tensor_type") or not vi.type.tensor_type.HasField("shape"):
        return []
    return [d.dim_value for d in vi.type.tensor_type.shape.dim if d.HasField("dim_value")]


def _check_value_infos(graph: onnx.GraphProto, where: str, how: str) -> None:
    for vi in (*graph.input, *graph.output, *graph.value_info):
        _check_dims(_value_info_dims(vi), f"tensor {_name(vi.name)} ({how})", where)


def check_sizes(model: onnx.ModelProto, where: str) -> None:
    """Refuse tensors, windows and channel counts beyond :mod:`fpgagan.limits` (no data read).

    Run after :func:`check_external_data` and :func:`check_structure`: onnx's shape inference
    computes every tensor's shape it can, and those are checked too (a kernel of 200 or a Resize
    by 400 is refused here, not after hls4ml asked for gigabytes).
    """
    graph = model.graph
    for tensor, holder in model_tensors(model):
        _check_dims(list(tensor.dims), f"{holder}: tensor", where)
    _check_value_infos(graph, where, "declared")
    inits = {t.name: t for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    for i, node in enumerate(graph.node):
        if node.op_type not in WINDOW_OPS:
            continue
        label = node_label(node, i)
        for attr in node.attribute:
            limit = _ATTR_LIMITS.get(attr.name)
            low = _ATTR_MINIMA.get(attr.name, 0)
            values = list(attr.ints) + ([attr.i] if attr.type == AttributeProto.INT else [])
            if limit is not None and any(v < low or v > limit for v in values):
                raise UnsupportedModelError(
                    f"{where}: {label}: {attr.name} {values[:8]} outside {low}..{limit} "
                    "(fpgagan.limits)"
                )
        weight = _weight_of(node, inits, producer)
        if weight is not None and len(weight.dims) >= 3:
            dims = list(weight.dims)
            if any(d > MAX_CHANNELS for d in dims[:2]) or any(d > MAX_KERNEL for d in dims[2:]):
                raise UnsupportedModelError(
                    f"{where}: {label}: weight {dims} exceeds {MAX_CHANNELS} channels or a "
                    f"{MAX_KERNEL}-wide kernel (fpgagan.limits)"
                )
    try:
        inferred = onnx.shape_inference.infer_shapes(model, check_type=False, data_prop=True)
    except Exception as exc:  # onnx raises its own errors for shapes that cannot be
        raise UnsupportedModelError(
            f"{where}: ONNX shape inference refuses the model ({type(exc).__name__}: "
            f"{short_repr(str(exc).splitlines()[0] if str(exc) else '', 120)})"
        ) from None
    _check_value_infos(inferred.graph, where, "as inferred")
    _check_reshapes(inferred.graph, where)


def _check_reshapes(graph: onnx.GraphProto, where: str) -> None:
    """Refuse a Reshape whose constant target ONNX forbids (more than one -1, a value below -1)
    or that cannot hold its input's elements (shapes known from the inference)."""
    consts = {t.name: t for t in graph.initializer}
    shapes = {vi.name: _value_info_dims(vi) for vi in (*graph.input, *graph.value_info)}
    full = {vi.name for vi in (*graph.input, *graph.value_info) if _fully_known(vi)}
    for i, node in enumerate(graph.node):
        if node.op_type != "Reshape" or len(node.input) < 2 or node.input[1] not in consts:
            continue
        target = [int(v) for v in onnx.numpy_helper.to_array(consts[node.input[1]]).reshape(-1)]
        label = node_label(node, i)
        if sum(v == -1 for v in target) > 1 or any(v < -1 for v in target):
            raise UnsupportedModelError(
                f"{where}: {label}: shape {short_repr(target, MAX_VALUE_CHARS)} is not a reshape "
                "target (at most one -1, no value below -1)"
            )
        source = node.input[0]
        if source not in full:
            continue
        dims = shapes[source]
        n = math.prod(dims)
        known = [dims[k] if v == 0 and k < len(dims) else v for k, v in enumerate(target)]
        fixed = math.prod(v for v in known if v != -1)
        if (fixed == 0 and n != 0) or (-1 not in known and fixed != n) or (fixed and n % fixed):
            raise UnsupportedModelError(
                f"{where}: {label}: cannot reshape {dims} ({n:,} elements) into "
                f"{short_repr(target, MAX_VALUE_CHARS)}"
            )


def _fully_known(vi: onnx.ValueInfoProto) -> bool:
    if not vi.type.HasField("tensor_type") or not vi.type.tensor_type.HasField("shape"):
        return False
    return all(d.HasField("dim_value") for d in vi.type.tensor_type.shape.dim)


def _weight_of(node: onnx.NodeProto, inits: dict, producer: dict) -> TensorProto | None:
    """The initializer a window op's input 1 comes from (through its quantizer), if any."""
    if len(node.input) < 2:
        return None
    name = node.input[1]
    for _ in range(4):
        if name in inits:
            return inits[name]
        up = producer.get(name)
        if up is None or up.op_type not in _WEIGHT_PATH or not up.input:
            return None
        name = up.input[0]
    return None
