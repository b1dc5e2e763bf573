"""Small models with the features the issue-12 tests need: batch-norm after a quantized layer,
binary (BipolarQuant) weights, floor rounding.  Built from tests/graphs.py and from Brevitas."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import torch
from onnx import TensorProto, helper
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.transformation.infer_shapes import InferShapes

from tests.graphs import B_SCALE, conv_transpose_graph


def with_batch_norm(
    a=(1.0, 0.5, 0.25), shift_steps=(5, -7, 2), epsilon=0.0, bias=True
) -> ModelWrapper:
    """tests/graphs.py's ConvTranspose (3 output channels) with a BatchNormalization after it.

    The batch-norm is ``y = a * x + b`` with ``b = shift_steps * B_SCALE * a`` (whole steps of the
    folded bias grid), written as gamma, beta, mean and var so that the float32 arithmetic of the
    reference is exact: mean 0, var = 1/a^2 (so sqrt(var) is exact), gamma 1.
    """
    model, _, _ = conv_transpose_graph(cout=3, bias=bias)
    a = np.asarray(a, dtype=np.float64)
    deconv = next(n for n in model.graph.node if n.op_type == "ConvTranspose")
    deconv.output[0] = "pre_bn"
    params = {
        "bn_gamma": np.sign(a),
        "bn_beta": np.asarray(shift_steps) * B_SCALE * a,
        "bn_mean": np.zeros(3),
        "bn_var": 1.0 / a**2,
    }
    for name, value in params.items():
        model.set_initializer(name, value.astype(np.float32))
    bn = helper.make_node(
        "BatchNormalization",
        ["pre_bn", *params],
        ["conv_out"],
        name="bn",
        epsilon=epsilon,
    )
    index = list(model.graph.node).index(deconv)
    model.graph.node.insert(index + 1, bn)
    return model.transform(InferShapes())


def _quiet_export(module: torch.nn.Module, example: torch.Tensor) -> ModelWrapper:
    import tempfile
    from pathlib import Path

    from brevitas.export import export_qonnx

    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        path = Path(tmp) / "m.onnx"
        with contextlib.redirect_stdout(io.StringIO()):
            export_qonnx(module, example, export_path=str(path))
        return ModelWrapper(str(path))


def brevitas_binary_floor(scale: float = 2.0**-3, seed: int = 0) -> tuple[ModelWrapper, object]:
    """Brevitas: floor-rounded 8-bit input -> Linear with binary weights (BipolarQuant of
    ``scale``) -> 8-bit output.  Returns the raw QONNX export and the module."""
    import brevitas.nn as qnn
    from brevitas.quant import Int8ActPerTensorFixedPoint, SignedBinaryWeightPerTensorConst

    class BinaryWeights(SignedBinaryWeightPerTensorConst):
        scaling_const = scale

    class FloorInput(Int8ActPerTensorFixedPoint):
        float_to_int_impl_type = "floor"  # exported as rounding_mode="floor", lower case

    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        qnn.QuantIdentity(act_quant=FloorInput, return_quant_tensor=True),
        qnn.QuantLinear(8, 16, bias=False, weight_quant=BinaryWeights),
        qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint),
    )
    net.train()
    for _ in range(3):  # settle the activation statistics
        net(torch.randn(16, 8))
    net.eval()
    return _quiet_export(net, torch.zeros(1, 8)), net


def dcgan_with_batch_norm(seed: int = 0):
    """fpgagan's tiny W4A8 generator with batch-norm put back after its quantized layers (what a
    Brevitas DCGAN that kept its batch-norm exports).  Returns the generator."""
    from torch import nn

    from fpgagan.config import Precision
    from fpgagan.models import build_generator

    torch.manual_seed(seed)
    gen = build_generator("dcgan-tiny", Precision())
    gen.fc_bn = nn.BatchNorm1d(gen.fc.out_features)
    gen.bns = nn.ModuleList(nn.BatchNorm2d(d.out_channels) for d in list(gen.deconvs)[:-1])
    gen.train()
    for _ in range(3):
        gen(torch.randn(16, gen.spec.latent_dim))
    return gen.eval()


def bipolar_activation_graph() -> ModelWrapper:
    """x -> Quant -> BipolarQuant (of an activation, not a weight) -> y."""
    nodes = [
        helper.make_node(
            "Quant",
            ["x", "s", "z", "b"],
            ["q"],
            domain="qonnx.custom_op.general",
            name="qin",
            signed=1,
            narrow=0,
            rounding_mode="ROUND",
        ),
        helper.make_node(
            "BipolarQuant", ["q", "s"], ["y"], domain="qonnx.custom_op.general", name="binary_act"
        ),
    ]
    inits = [
        helper.make_tensor("s", TensorProto.FLOAT, [], [0.125]),
        helper.make_tensor("z", TensorProto.FLOAT, [], [0.0]),
        helper.make_tensor("b", TensorProto.FLOAT, [], [8.0]),
    ]
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8])],
        inits,
    )
    opsets = [helper.make_opsetid("", 13), helper.make_opsetid("qonnx.custom_op.general", 1)]
    return ModelWrapper(helper.make_model(graph, opset_imports=opsets))
