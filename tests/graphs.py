"""Tiny QONNX graphs built directly with onnx.helper, for tests that need exact control of
attributes (asymmetric pads, output_padding, odd kernels) that Brevitas/torch cannot express."""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

QDOMAIN = "qonnx.custom_op.general"
IN_SCALE = 2.0**-4
W_SCALE = 2.0**-3
B_SCALE = IN_SCALE * W_SCALE


def brevitas_qonnx(net: torch.nn.Module, example: torch.Tensor) -> ModelWrapper:
    """``net`` exported by Brevitas to QONNX as it comes out (no cleanup), its warnings and
    prints silenced; the temporary file is gone, the model is in memory."""
    from brevitas.export import export_qonnx

    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            export_qonnx(net, example, export_path=str(raw))
        return ModelWrapper(str(raw))


def _quant(
    name: str,
    src: str,
    scale: float,
    bits: int,
    signed: int = 1,
    narrow: int = 0,
    nodes=None,
    inits=None,
):
    inits.extend(
        [
            helper.make_tensor(f"{name}_s", TensorProto.FLOAT, [], [scale]),
            helper.make_tensor(f"{name}_z", TensorProto.FLOAT, [], [0.0]),
            helper.make_tensor(f"{name}_b", TensorProto.FLOAT, [], [float(bits)]),
        ]
    )
    nodes.append(
        helper.make_node(
            "Quant",
            [src, f"{name}_s", f"{name}_z", f"{name}_b"],
            [f"{name}_out"],
            domain=QDOMAIN,
            name=name,
            signed=signed,
            narrow=narrow,
            rounding_mode="ROUND",
        )
    )
    return f"{name}_out"


def conv_transpose_graph(
    cin=2,
    cout=3,
    h=4,
    w=5,
    kernel=(3, 3),
    strides=(2, 2),
    pads=(1, 1, 1, 1),
    output_padding=(0, 0),
    bias=True,
    weight_bits=4,
    out_bits: int | None = 8,
    seed=0,
    attrs: dict | None = None,
) -> tuple[ModelWrapper, np.ndarray, np.ndarray | None]:
    """x (1, cin, h, w) -> Quant -> ConvTranspose(Quant(W), Quant(B)) [-> Quant] -> y.

    Returns the model, the integer weights and the integer biases (None without bias).
    """
    rng = np.random.default_rng(seed)
    qmax = 2 ** (weight_bits - 1) - 1
    w_int = rng.integers(-qmax, qmax + 1, size=(cin, cout, *kernel))
    b_int = rng.integers(-2000, 2001, size=cout) if bias else None
    nodes, inits = [], []
    xq = _quant("qin", "x", IN_SCALE, 8, nodes=nodes, inits=inits)
    inits.append(
        helper.make_tensor("W", TensorProto.FLOAT, w_int.shape, (w_int * W_SCALE).flatten())
    )
    wq = _quant("qw", "W", W_SCALE, weight_bits, narrow=1, nodes=nodes, inits=inits)
    inputs = [xq, wq]
    if bias:
        inits.append(
            helper.make_tensor("B", TensorProto.FLOAT, [cout], (b_int * B_SCALE).flatten())
        )
        inputs.append(_quant("qb", "B", B_SCALE, 24, nodes=nodes, inits=inits))
    conv_attrs = dict(kernel_shape=list(kernel), strides=list(strides), pads=list(pads))
    if any(output_padding):
        conv_attrs["output_padding"] = list(output_padding)
    conv_attrs.update(attrs or {})
    out = "y" if out_bits is None else "conv_out"
    nodes.append(helper.make_node("ConvTranspose", inputs, [out], name="deconv", **conv_attrs))
    if out_bits is not None:
        q = _quant("qout", out, 2.0**-2, out_bits, nodes=nodes, inits=inits)
        nodes.append(helper.make_node("Identity", [q], ["y"], name="out_identity"))
    graph = helper.make_graph(
        nodes,
        "conv_transpose",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, cin, h, w])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(QDOMAIN, 1)]
    )
    return ModelWrapper(model).transform(InferShapes()), w_int, b_int


def quantized_input(n: int, cin: int, h: int, w: int, seed: int = 1) -> np.ndarray:
    """Random inputs already on the input quantizer's grid (so torch sees the same values)."""
    x = np.random.default_rng(seed).normal(0, 2.0, size=(n, cin, h, w))
    return (np.clip(np.round(x / IN_SCALE), -128, 127) * IN_SCALE).astype(np.float32)


def torch_conv_transpose(x, w_int, b_int, strides, pads, output_padding) -> np.ndarray:
    """Float reference: torch's conv_transpose2d (no padding), then crop the ONNX pads."""
    full = torch.nn.functional.conv_transpose2d(
        torch.from_numpy(x).double(),
        torch.from_numpy(w_int * W_SCALE).double(),
        None if b_int is None else torch.from_numpy(b_int * B_SCALE).double(),
        stride=tuple(strides),
        output_padding=0,
    ).numpy()
    # output_padding adds rows/cols at the end that only the bias reaches
    n, c, fh, fw = full.shape
    oh, ow = output_padding
    padded = np.zeros((n, c, fh + oh, fw + ow))
    padded[:, :, :fh, :fw] = full
    if b_int is not None:
        padded[:, :, fh:, :] = (b_int * B_SCALE)[None, :, None, None]
        padded[:, :, :, fw:] = (b_int * B_SCALE)[None, :, None, None]
    t, left, b, r = pads
    return padded[:, :, t : padded.shape[2] - b, left : padded.shape[3] - r].astype(np.float32)
