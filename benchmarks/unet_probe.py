"""A 16x16 encoder-decoder with a skip connection (U-Net shaped, stride-1 convolutions), built
with Brevitas and exported to standard QONNX: what the C-simulation benchmark builds in both io
types (its layers go through fpgagan's engine: Conv2D stride 1 and 2, ConvTranspose, Concat)."""

from __future__ import annotations

import contextlib
import io
import tempfile
import warnings
from pathlib import Path

import brevitas.nn as qnn
import torch
from qonnx.core.modelwrapper import ModelWrapper
from torch import nn

from fpgagan.export import interchange
from fpgagan.models import quantizers as q

SIZE = 16


def _conv(cin: int, cout: int, stride: int) -> qnn.QuantConv2d:
    return qnn.QuantConv2d(
        cin,
        cout,
        3,
        stride,
        1,
        weight_quant=q.weight_quant(4),
        bias_quant=q.bias_quant(),
        return_quant_tensor=True,
    )


class UNetProbe(nn.Module):
    """in 1x16x16 -> conv 8 (s1) -> conv 16 (s2) -> conv 16 (s1) -> convT 8 (s2) -> concat with
    the first map -> conv 8 (s1) -> conv 1 (s1); W4A8, ReLU after every hidden layer."""

    def __init__(self):
        super().__init__()
        self.inp = qnn.QuantIdentity(
            act_quant=q.signed_range_quant(8, 2.0), return_quant_tensor=True
        )
        self.c1, self.c2, self.c3 = _conv(1, 8, 1), _conv(8, 16, 2), _conv(16, 16, 1)
        self.up = qnn.QuantConvTranspose2d(
            16, 8, 4, 2, 1, weight_quant=q.weight_quant(4), bias_quant=q.bias_quant(),
            return_quant_tensor=True,
        )  # fmt: skip
        self.c4, self.c5 = _conv(16, 8, 1), _conv(8, 1, 1)
        # the skip and the upsampled map share one quantizer: Concat joins equal types
        self.skip_act = qnn.QuantReLU(act_quant=q.relu_quant(8), return_quant_tensor=True)
        self.acts = nn.ModuleList(
            qnn.QuantReLU(act_quant=q.relu_quant(8), return_quant_tensor=True) for _ in range(3)
        )
        self.out = qnn.QuantIdentity(act_quant=q.signed_range_quant(8, 1.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x)
        skip = self.skip_act(self.c1(x))
        x = self.acts[0](self.c2(skip))
        x = self.acts[1](self.c3(x))
        x = self.skip_act(self.up(x))
        x = self.acts[2](self.c4(torch.cat([skip, x], 1)))
        return self.out(self.c5(x))


def unet_probe(seed: int = 0) -> ModelWrapper:
    """The probe with calibrated activation scales, as standard QONNX."""
    from brevitas.export import export_qonnx

    torch.manual_seed(seed)
    net = UNetProbe().train()
    with torch.no_grad():
        for _ in range(4):
            net(torch.randn(32, 1, SIZE, SIZE))
    net.eval()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            export_qonnx(net, torch.zeros(1, 1, SIZE, SIZE), export_path=str(raw))
        return interchange(ModelWrapper(str(raw)))
