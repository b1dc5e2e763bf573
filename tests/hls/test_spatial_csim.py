"""Data-movement and merge layers (Brevitas -> standard QONNX -> fpgagan -> hls4ml -> g++):
nearest upsampling by integer factors, pixel shuffle (DepthToSpace), reflect / replicate / zero
padding, Concat and Add of differently scaled inputs.  Each is bit-exact in both io types against
qonnx's execution of the rewritten graph and against the integer reference of the model as
exported (before fpgagan's rewrites)."""

from __future__ import annotations

import brevitas.nn as qnn
import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper
from torch import nn

from fpgagan.errors import UnsupportedModelError
from fpgagan.export import clean_for_hls, execute_batch, interchange
from fpgagan.export.integer_reference import integer_reference
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.spatial_layers import FgDepthToSpace, FgPad, FgUpsample
from fpgagan.models import quantizers as q
from fpgagan.sim import build_csim, compare
from tests.graphs import brevitas_qonnx, quantized_input

C, H, W = 2, 5, 4
N_INPUTS = 6
IN_RANGE = 8.0  # 8-bit input over [-8, 8): LSB 2^-4, the grid of tests.graphs.quantized_input


def _conv(cin: int, cout: int, padding: int = 1, stride: int = 1, bias: bool = True):
    return qnn.QuantConv2d(
        cin,
        cout,
        3,
        stride,
        padding,
        bias=bias,
        weight_quant=q.weight_quant(4),
        bias_quant=q.bias_quant() if bias else None,
    )


class _Probe(nn.Module):
    """input quantizer -> conv -> ReLU (8 bit) -> ``op`` -> conv -> 8-bit output."""

    def __init__(self, op: str):
        super().__init__()
        self.op = op
        self.inp = qnn.QuantIdentity(
            act_quant=q.signed_range_quant(8, IN_RANGE), return_quant_tensor=True
        )
        mid = 8 if op == "pixel_shuffle" else 3
        self.c1 = _conv(C, mid)
        self.act = qnn.QuantReLU(act_quant=q.relu_quant(8), return_quant_tensor=True)
        # a second branch quantized on another grid (4 bits, its own scale): merges must align
        self.c1b = _conv(C, mid) if op in ("concat", "add") else None
        self.act_b = qnn.QuantReLU(act_quant=q.relu_quant(4), return_quant_tensor=True)
        cin2 = {"concat": 2 * mid, "pixel_shuffle": mid // 4}.get(op, mid)
        pad = 0 if op in ("reflect", "replicate", "zero_pad") else 1
        # after a merge of two grids there is no one input scale for a quantized bias
        merge = op in ("concat", "add")
        self.c2 = _conv(cin2, 2, padding=pad, stride=2 if op == "stride2" else 1, bias=not merge)
        self.out = qnn.QuantIdentity(act_quant=q.signed_range_quant(8, 8.0))
        self.move = {
            "upsample2": nn.Upsample(scale_factor=2, mode="nearest"),
            "upsample3x2": nn.Upsample(scale_factor=(3, 2), mode="nearest"),
            "pixel_shuffle": nn.PixelShuffle(2),
            "reflect": nn.ReflectionPad2d((1, 2, 2, 1)),
            "replicate": nn.ReplicationPad2d(1),
            "zero_pad": nn.ZeroPad2d((1, 1, 2, 0)),
        }.get(op, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        a = self.act(self.c1(x))
        if self.op == "concat":
            a = torch.cat([_value(a), _value(self.act_b(self.c1b(x)))], 1)
        elif self.op == "add":
            a = _value(a) + _value(self.act_b(self.c1b(x)))
        return self.out(self.c2(self.move(a)))


def _value(x):
    """The tensor of a QuantTensor (export traces plain tensors)."""
    return getattr(x, "value", x)


def probe_graph(op: str, seed: int = 0) -> ModelWrapper:
    """The probe with calibrated activation scales, as standard (NCHW) QONNX."""
    torch.manual_seed(seed)
    net = _Probe(op).train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(16, C, H, W) * 3)
    net.eval()
    return interchange(brevitas_qonnx(net, torch.zeros(1, C, H, W)))


OPS = ["upsample2", "upsample3x2", "pixel_shuffle", "reflect", "replicate", "zero_pad", "concat"]
OPS += ["add", "stride2"]
LAYER_OF = {
    "upsample2": FgUpsample,
    "upsample3x2": FgUpsample,
    "pixel_shuffle": FgDepthToSpace,
    "reflect": FgPad,
    "replicate": FgPad,
}


# io_stream (what the boards build) for every op in the default suite; io_parallel for two of them
# by default and for all with -m slow
CASES = [(op, "io_stream") for op in OPS] + [
    (op, "io_parallel") if op in ("upsample2", "concat") else
    pytest.param(op, "io_parallel", marks=pytest.mark.slow)
    for op in OPS
]  # fmt: skip


@pytest.mark.csim
@pytest.mark.parametrize("op, io_type", CASES)
def test_layer_is_bit_exact(tmp_path, op, io_type):
    model = probe_graph(op)
    x = quantized_input(N_INPUTS, C, H, W)
    csim = build_csim(model, tmp_path / "prj", HlsOptions(io_type=io_type))
    y = csim.predict(x)
    assert y.shape == (N_INPUTS, *model.get_tensor_shape(model.graph.output[0].name)[1:])
    cleaned = clean_for_hls(model)
    assert compare(y, execute_batch(cleaned, x)).mismatches == 0
    exact = compare(y, integer_reference(model).run(x))
    assert exact.mismatches == 0, exact
    assert np.abs(y).max() > 0  # the probe carries signal through the layer
    layers = csim.hls_model.get_layers()
    if op in LAYER_OF:
        (moved,) = [layer for layer in layers if isinstance(layer, LAYER_OF[op])]
        # a copy: its type is its input's, not hls4ml's default
        src = moved.get_input_variable().type.precision
        assert moved.get_output_variable().type.precision == src
    if op == "zero_pad":  # folded into the convolution: no padded map exists
        assert not any(isinstance(layer, FgPad) for layer in layers)
        assert not any(n.op_type in ("Pad", "FgPad") for n in cleaned.graph.node)


@pytest.mark.parametrize("op, merge", [("concat", "Concatenate"), ("add", "Merge")])
def test_merge_types_hold_both_grids(tmp_path, op, merge):
    """The merge of an 8-bit map and a 4-bit map on another grid: its type has the finer LSB and
    the larger range of the two (one more integer bit for a sum), so nothing is rounded or
    saturated when the inputs are aligned."""
    hw, _ = hardware_graph(probe_graph(op))
    hls = convert(hw, tmp_path / "prj", HlsOptions())
    layer = next(x for x in hls.get_layers() if x.class_name == merge)
    ins = [layer.get_input_variable(name).type.precision for name in layer.inputs]
    out = layer.get_output_variable().type.precision
    assert ins[0].fractional != ins[1].fractional  # two grids
    assert out.fractional >= max(p.fractional for p in ins)
    extra = 1 if op == "add" else 0
    assert out.integer >= max(p.integer for p in ins) + extra


def test_unsupported_resize_is_refused_by_name():
    class Bilinear(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = qnn.QuantIdentity(act_quant=q.signed_range_quant(8, IN_RANGE))

        def forward(self, x):
            return nn.functional.interpolate(self.inp(x), scale_factor=2, mode="bilinear")

    model = interchange(brevitas_qonnx(Bilinear().eval(), torch.zeros(1, C, H, W)))
    with pytest.raises(UnsupportedModelError, match=r"Resize node .*mode=linear"):
        clean_for_hls(model)
