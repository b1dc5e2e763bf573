"""U-Net generators for image-to-image tasks (pix2pix style, small enough for a PYNQ-Z2).

``widths = (w0, w1, ..., wL)``: a 3x3 convolution at the input's resolution (``enc0``, w0
channels), then L stride-2 3x3 convolutions (``enc1 .. encL``).  The decoder mirrors it: at each
level a nearest-neighbour 2x upsampling, a concatenation with the encoder map of that resolution
and a 3x3 convolution (``dec{L-1} .. dec0``, w_l channels).  The ``head`` is a 3x3 convolution
to the output; for ``sr2x`` it makes 4 channels at the input's resolution that a pixel shuffle
(ONNX DepthToSpace) turns into one at twice the size.  The output is a global residual: the
head's output plus the input (upsampled 2x, nearest, for ``sr2x``), through a hard tanh.

Every operation exports to plain ONNX (Conv, Resize, Concat, DepthToSpace, Add) between QONNX
``Quant`` nodes.  Like :mod:`fpgagan.models.generator`, one class serves both twins: float (plain
torch layers, optional batch-norm) or low-bit (Brevitas, power-of-two scales, no batch-norm), with
the same parameter names.  The two maps a concatenation joins share one activation quantizer,
so they have the same scale and the convolution after it has one input scale for its 32-bit bias.
"""

from __future__ import annotations

import dataclasses

import brevitas.nn as qnn
import torch
from torch import nn

from fpgagan.config import Precision
from fpgagan.errors import ModelError
from fpgagan.models import quantizers as q
from fpgagan.models.generator import _value

TASK_UPSCALE = {"sr2x": 2, "inpaint": 1}
INPUT_RANGE = 1.0  # images live in [-1, 1]


@dataclasses.dataclass(frozen=True)
class UNetSpec:
    """Shape of a U-Net: its task, channel widths per level and the input's side."""

    task: str
    widths: tuple[int, ...]
    in_size: int
    in_channels: int = 1
    out_channels: int = 1

    def __post_init__(self) -> None:
        if self.task not in TASK_UPSCALE:
            raise ModelError(f"unknown U-Net task {self.task!r} (known: {', '.join(TASK_UPSCALE)})")
        if len(self.widths) < 2 or min(self.widths) < 1:
            raise ModelError(f"U-Net widths must be 2 or more positive counts, got {self.widths}")
        if self.in_size % 2**self.levels:
            raise ModelError(
                f"U-Net input side {self.in_size} is not divisible by 2^{self.levels} "
                f"({self.levels} stride-2 levels)"
            )

    @property
    def levels(self) -> int:
        return len(self.widths) - 1

    @property
    def upscale(self) -> int:
        return TASK_UPSCALE[self.task]

    @property
    def out_size(self) -> int:
        return self.in_size * self.upscale

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.in_channels, self.in_size, self.in_size)

    def layer_names(self) -> list[str]:
        """Names of the weight layers, in order (keys of ``Precision.layers``)."""
        enc = [f"enc{i}" for i in range(self.levels + 1)]
        dec = [f"dec{level}" for level in reversed(range(self.levels))]
        return [*enc, *dec, "head"]

    def hidden_channels(self) -> list[int]:
        """Channels of every hidden map (after enc0 .. encL, dec{L-1} .. dec0)."""
        return [*self.widths, *reversed(self.widths[:-1])]

    def conv_channels(self) -> list[tuple[int, int, int]]:
        """(in, out, stride) of every hidden convolution, in ``layer_names`` order."""
        w, n = self.widths, self.levels
        enc = [(self.in_channels, w[0], 1)] + [(w[i - 1], w[i], 2) for i in range(1, n + 1)]
        dec = [(w[lv + 1] + w[lv], w[lv], 1) for lv in reversed(range(n))]
        return enc + dec

    def shared_quantizer(self) -> list[int]:
        """For every hidden map, the index of the map whose activation quantizer it uses.

        A concatenation joins the upsampled previous map with the encoder map of its level;
        the previous map uses the encoder map's quantizer.
        """
        n = self.levels
        owner = list(range(2 * n + 1))
        for i in range(n):  # decoder conv at position n + 1 + i consumes map n + i
            level = n - 1 - i
            owner[n + i] = owner[level]
        return owner


class UNet(nn.Module):
    """U-Net of ``spec``; float when ``precision`` is None, Brevitas low-bit otherwise."""

    def __init__(self, spec: UNetSpec, precision: Precision | None = None, batch_norm: bool = True):
        super().__init__()
        self.spec = spec
        self.precision = precision
        names = spec.layer_names()
        if precision is not None:
            unknown = set(precision.layers) - set(names)
            if unknown:
                raise ModelError(
                    f"precision.layers names unknown layer(s) {sorted(unknown)} "
                    f"(layers: {', '.join(names)})"
                )
        self.batch_norm = batch_norm and precision is None
        convs = spec.conv_channels()
        head_in, head_out = spec.widths[0], spec.out_channels * spec.upscale**2
        if precision is None:
            self.inp = nn.Identity()
            self.convs = nn.ModuleList(nn.Conv2d(ci, co, 3, s, 1) for ci, co, s in convs)
            self.head = nn.Conv2d(head_in, head_out, 3, 1, 1)
            acts = [nn.ReLU() for _ in convs]
            self.out_act = nn.Hardtanh(-1.0, 1.0)
        else:
            p = precision
            ends = (names[0], names[-1])
            wq = q.precision_weight_quant(p, ends)
            self.inp = q.input_layer(p)
            self.convs = nn.ModuleList(
                qnn.QuantConv2d(
                    ci, co, 3, s, 1, bias=True, weight_quant=wq(name), bias_quant=q.bias_quant()
                )
                for (ci, co, s), name in zip(convs, names, strict=False)
            )
            self.head = qnn.QuantConv2d(
                head_in, head_out, 3, 1, 1, bias=True, weight_quant=wq("head"),
                bias_quant=q.bias_quant(),
            )  # fmt: skip
            acts = self._quant_acts(p, names, ends)
            self.out_act = q.output_layer(p)
        self.acts = nn.ModuleList(acts)  # a shared quantizer appears at every map that uses it
        self.bns = nn.ModuleList(
            (nn.BatchNorm2d(co) if self.batch_norm else nn.Identity()) for _, co, _ in convs
        )
        self.up = nn.Upsample(scale_factor=2, mode="nearest")
        self.shuffle = nn.PixelShuffle(spec.upscale) if spec.upscale > 1 else nn.Identity()

    def _quant_acts(self, p: Precision, names: list[str], ends: tuple[str, str]) -> list[nn.Module]:
        owner = self.spec.shared_quantizer()
        acts: list[nn.Module] = []
        for i, name in enumerate(names[: len(owner)]):
            bits = p.act_bits_of(name, ends)
            if owner[i] != i:
                if bits != p.act_bits_of(names[owner[i]], ends):
                    raise ModelError(
                        f"U-Net layers {name} and {names[owner[i]]} are concatenated and need "
                        "the same act_bits"
                    )
                acts.append(acts[owner[i]])
            else:
                acts.append(qnn.QuantReLU(act_quant=q.relu_quant(bits), return_quant_tensor=True))
        return acts

    @property
    def quantized(self) -> bool:
        return self.precision is not None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.spec.input_shape

    def weight_layers(self) -> dict[str, nn.Module]:
        """Name -> module of every weight layer (the names of ``Precision.layers``)."""
        return dict(zip(self.spec.layer_names(), [*self.convs, self.head], strict=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[0]

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The image and every hidden map after its activation (N, C_i, H_i, W_i), as tensors."""
        n = self.spec.levels
        x = self.inp(x)
        h = x
        skips = []
        features = []
        for i, conv in enumerate(self.convs):
            if i > n:  # decoder: upsample, then join the encoder map of this resolution
                h = torch.cat([self.up(h), skips[2 * n - i]], dim=1)
            h = self.acts[i](self.bns[i](conv(h)))
            skips.append(h)
            features.append(_value(h))
        out = self.shuffle(self.head(h))
        base = self.up(x) if self.spec.upscale > 1 else x
        return _value(self.out_act(_value(out) + _value(base))), features
