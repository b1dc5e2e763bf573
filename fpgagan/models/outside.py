"""Generators as users bring them: built directly in Brevitas, outside fpgagan's registry, and
exported to standard QONNX with Brevitas's own exporter.

:func:`dcgan` is the PyTorch-examples DCGAN generator (``examples/dcgan``: a 4-D latent
``(N, nz, 1, 1)``, a stack of 4x4 transposed convolutions doubling the side, ReLU between them, a
bounded output), without its batch-norm (folded away in a trained model) and with its channel
counts, image side, colour channels, latent shape and output range as parameters.  The benchmarks
and tests use it to put every shape family a user brings through the main job: 4-D or flat
latents, grey or RGB, square or not, ``[-1, 1)`` or ``[0, 1)`` outputs.  :class:`Upscaler` is
an image-to-image model of any size and channel count whose output is the input's size times
``factor`` (1 and 2 are the board flow's inpaint and sr2x shapes; other factors it refuses).
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import logging
import tempfile
import warnings
from pathlib import Path

import onnx
import torch
from qonnx.core.modelwrapper import ModelWrapper
from torch import nn

from fpgagan.errors import ModelError
from fpgagan.models import quantizers as q


@dataclasses.dataclass(frozen=True)
class DcganShape:
    """``nz`` latent channels, ``ngf`` channels of the last hidden map (doubling towards the
    latent), ``channels`` of the image, ``side`` a power of two >= 8 (the examples' 64), or an
    image ``height`` x ``side`` (the first layer then makes a map 2^stages times smaller), a
    ``flat`` latent ``(N, nz)`` instead of ``(N, nz, 1, 1)`` and the output range ``[-1, 1)``
    (``signed``) or ``[0, 1)``."""

    nz: int = 100
    ngf: int = 64
    channels: int = 3
    side: int = 64
    height: int | None = None
    flat: bool = False
    signed: bool = True
    weight_bits: int = 4
    act_bits: int = 4
    out_bits: int = 8

    def __post_init__(self) -> None:
        for name in ("nz", "ngf", "channels"):
            if getattr(self, name) < 1:
                raise ModelError(f"DCGAN {name} must be >= 1, got {getattr(self, name)}")
        h = self.height or self.side
        if self.side < 8 or self.side & (self.side - 1) or h < 8 or h & (h - 1):
            raise ModelError(f"DCGAN sides must be powers of two >= 8, got {h}x{self.side}")

    @property
    def stages(self) -> int:
        """Transposed convolutions after the first (each doubles the side)."""
        return min(self.side, self.height or self.side).bit_length() - 3


class Dcgan(nn.Module):
    """The PyTorch-examples DCGAN generator in Brevitas (W``weight_bits`` A``act_bits``)."""

    def __init__(self, shape: DcganShape = DcganShape()):
        super().__init__()
        self.shape = shape
        s = shape
        wq, bq = q.weight_quant(s.weight_bits), q.bias_quant()
        h = s.height or s.side
        first = h >> s.stages, s.side >> s.stages  # the first map (the kernel of layer one)
        chans = [s.ngf * 2 ** (s.stages - 1 - i) for i in range(s.stages)] + [s.channels]
        self.inp = _qnn().QuantIdentity(
            act_quant=q.signed_range_quant(8, 4.0), return_quant_tensor=True
        )
        layers: list[nn.Module] = [
            _qnn().QuantConvTranspose2d(
                s.nz, chans[0], first, 1, 0, weight_quant=wq, bias_quant=bq,
                return_quant_tensor=True,
            ),
            _qnn().QuantReLU(act_quant=q.relu_quant(s.act_bits), return_quant_tensor=True),
        ]  # fmt: skip
        for i in range(s.stages):
            layers.append(
                _qnn().QuantConvTranspose2d(
                    chans[i], chans[i + 1], 4, 2, 1, weight_quant=wq, bias_quant=bq,
                    return_quant_tensor=True,
                )
            )  # fmt: skip
            if i < s.stages - 1:
                layers.append(
                    _qnn().QuantReLU(act_quant=q.relu_quant(s.act_bits), return_quant_tensor=True)
                )
        self.body = nn.Sequential(*layers)
        out = (
            q.signed_range_quant(s.out_bits, 1.0)
            if s.signed
            else q.unsigned_range_quant(s.out_bits, 1.0)
        )
        self.out = _qnn().QuantIdentity(act_quant=out)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.shape.nz,) if self.shape.flat else (self.shape.nz, 1, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.inp(z)  # the graph input feeds the input quantizer directly, as fpgagan needs
        if self.shape.flat:
            x = x.reshape(x.shape[0], -1, 1, 1)
        return self.out(self.body(x))


@dataclasses.dataclass(frozen=True)
class UpscalerShape:
    """An image-to-image model's shape: ``channels`` of the image, its input ``side`` (or
    ``height`` x ``side``), ``width`` hidden channels and the output's ``factor`` (output side /
    input side: 1 keeps the size, as inpainting does; 2 doubles it, as 2x super-resolution does)."""

    channels: int = 3
    side: int = 16
    height: int | None = None
    width: int = 8
    factor: int = 2
    weight_bits: int = 4
    act_bits: int = 8

    def __post_init__(self) -> None:
        for name in ("channels", "side", "width", "factor"):
            if getattr(self, name) < 1:
                raise ModelError(f"upscaler {name} must be >= 1, got {getattr(self, name)}")
        if self.height is not None and self.height < 1:
            raise ModelError(f"upscaler height must be >= 1, got {self.height}")


class Upscaler(nn.Module):
    """Image to image as a user may write one in Brevitas: a 3x3 convolution and ReLU, nearest
    upsampling by ``factor`` (none for 1), a 3x3 convolution back to the image's channels and a
    ``[-1, 1)`` output."""

    def __init__(self, shape: UpscalerShape = UpscalerShape()):
        super().__init__()
        self.shape = s = shape
        wq, bq = q.weight_quant(s.weight_bits), q.bias_quant()
        qnn = _qnn()
        self.inp = qnn.QuantIdentity(
            act_quant=q.signed_range_quant(8, 1.0), return_quant_tensor=True
        )
        self.conv1 = qnn.QuantConv2d(
            s.channels, s.width, 3, 1, 1, weight_quant=wq, bias_quant=bq, return_quant_tensor=True
        )
        self.act = qnn.QuantReLU(act_quant=q.relu_quant(s.act_bits), return_quant_tensor=True)
        self.up = nn.Upsample(scale_factor=s.factor, mode="nearest") if s.factor > 1 else None
        self.conv2 = qnn.QuantConv2d(
            s.width, s.channels, 3, 1, 1, weight_quant=wq, bias_quant=bq, return_quant_tensor=True
        )
        self.out = qnn.QuantIdentity(act_quant=q.signed_range_quant(8, 1.0))

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.shape.channels, self.shape.height or self.shape.side, self.shape.side)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.act(self.conv1(self.inp(x)))
        if self.up is not None:
            x = self.up(x)
        return self.out(self.conv2(x))


def _qnn():
    import brevitas.nn as qnn

    return qnn


@torch.no_grad()
def randomise(model: nn.Module, seed: int = 0) -> nn.Module:
    """DCGAN's initialisation (weights N(0, 0.02)) scaled so that every layer's output spans its
    quantizer: a randomly initialised model whose images use the output range, as no trained 64x64
    RGB weights ship here.  Biases are small; activation scales settle on a few batches."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d | nn.Conv2d | nn.Linear):
            fan_in = m.weight.shape[0] if isinstance(m, nn.ConvTranspose2d) else m.weight[0].numel()
            std = (2.0 / max(1, fan_in)) ** 0.5
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * std)
            if m.bias is not None:
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.01)
    model.train()
    for _ in range(4):  # activation scales collect runtime statistics in training mode
        model(torch.randn(8, *model.input_shape, generator=gen))
    return model.eval()


def export(model: nn.Module) -> ModelWrapper:
    """``brevitas.export.export_qonnx`` of ``model`` (eval mode; its ``input_shape`` with a batch
    of one), as a user would call it, read back without following external data (the raw
    export: :func:`fpgagan.export.to_qonnx` cleans fpgagan's own generators on from here).  The
    dynamo exporter's progress lines and warnings about torchvision ops are silenced."""
    from brevitas.export import export_qonnx

    model = model.eval()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            for name in ("torch.onnx", "onnx_ir", "onnxscript"):
                logging.getLogger(name).setLevel(logging.ERROR)
            export_qonnx(model, torch.zeros(1, *model.input_shape), export_path=str(raw))
        return ModelWrapper(onnx.load(str(raw), load_external_data=False))


# --------------------------------------------------------------------------- float, as users train


class FloatDcgan(nn.Module):
    """The PyTorch-examples DCGAN generator as its users train it, in float: a 4-D latent
    ``(N, nz, 1, 1)``, 4x4 transposed convolutions each followed by batch-norm and ReLU, and a
    Tanh.  ``shape``'s bit widths, ``flat`` and ``signed`` do not apply."""

    def __init__(self, shape: DcganShape = DcganShape()):
        super().__init__()
        self.shape = s = shape
        h = s.height or s.side
        first = h >> s.stages, s.side >> s.stages
        chans = [s.ngf * 2 ** (s.stages - 1 - i) for i in range(s.stages)] + [s.channels]
        layers: list[nn.Module] = [
            nn.ConvTranspose2d(s.nz, chans[0], first, 1, 0, bias=False),
            nn.BatchNorm2d(chans[0]),
            nn.ReLU(True),
        ]
        for i in range(s.stages):
            layers.append(nn.ConvTranspose2d(chans[i], chans[i + 1], 4, 2, 1, bias=False))
            if i < s.stages - 1:
                layers += [nn.BatchNorm2d(chans[i + 1]), nn.ReLU(True)]
        layers.append(nn.Tanh())
        self.main = nn.Sequential(*layers)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.shape.nz, 1, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


class FloatUNet(nn.Module):
    """A float U-Net as a user may write one for 2x super-resolution: two levels of 3x3
    convolutions with batch-norm and ReLU, stride-2 down, nearest upsampling and concatenation
    with the encoder map of that size, a pixel-shuffle head and a Tanh."""

    def __init__(self, channels: int = 1, side: int = 16, width: int = 8):
        super().__init__()
        self.channels, self.side = channels, side
        w = width

        def block(ci: int, co: int, stride: int = 1) -> nn.Sequential:
            return nn.Sequential(
                nn.Conv2d(ci, co, 3, stride, 1, bias=False), nn.BatchNorm2d(co), nn.ReLU()
            )

        self.enc0 = block(channels, w)
        self.enc1 = block(w, 2 * w, 2)
        self.mid = block(2 * w, 2 * w, 2)
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.dec1 = block(4 * w, 2 * w)
        self.dec0 = block(3 * w, w)
        self.head = nn.Conv2d(w, channels * 4, 3, 1, 1)
        self.shuffle = nn.PixelShuffle(2)
        self.out = nn.Tanh()

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.channels, self.side, self.side)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e0 = self.enc0(x)
        e1 = self.enc1(e0)
        m = self.mid(e1)
        d1 = self.dec1(torch.cat([self.up(m), e1], dim=1))
        d0 = self.dec0(torch.cat([self.up(d1), e0], dim=1))
        return self.out(self.shuffle(self.head(d0)))


@torch.no_grad()
def randomise_float(model: nn.Module, seed: int = 0) -> nn.Module:
    """DCGAN's initialisation (convolutions N(0, 0.02), batch-norm scales N(1, 0.02)) and
    batch-norm statistics from a few training-mode batches, as a trained model would have:
    the float model in eval mode, ready to export (no trained 64x64 RGB weights ship here)."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.ConvTranspose2d | nn.Conv2d | nn.Linear):
            m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * 0.02)
            if m.bias is not None:
                m.bias.zero_()
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d):
            m.weight.copy_(1.0 + torch.randn(m.weight.shape, generator=gen) * 0.02)
            m.bias.zero_()
            m.momentum = None  # a cumulative average over the batches below
    model.train()
    for _ in range(4):
        model(torch.randn(16, *model.input_shape, generator=gen))
    return model.eval()


def export_float_onnx(model: nn.Module, path: str | Path) -> None:
    """``torch.onnx.export`` of a float model (eval mode), as its user would call it, with the
    weights inside the file (``external_data=False``)."""
    model = model.eval()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        for name in ("torch.onnx", "onnx_ir", "onnxscript"):
            logging.getLogger(name).setLevel(logging.ERROR)
        torch.onnx.export(
            model, (torch.zeros(1, *model.input_shape),), str(path), external_data=False
        )
