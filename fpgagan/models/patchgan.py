"""Conditional PatchGAN discriminator (pix2pix): one real/fake logit per image patch.

Its input is the condition (the generator's input, upsampled nearest-neighbour to the target's
size when smaller) stacked with an image.  Float, or at its own low precision like
:class:`~fpgagan.models.discriminator.Discriminator`: Brevitas weight quantizers and signed
activation quantizers after each LeakyReLU.  It is never exported.
"""

from __future__ import annotations

import dataclasses

import brevitas.nn as qnn
import torch
import torch.nn.functional as F
from torch import nn

from fpgagan.config import Precision
from fpgagan.errors import ModelError
from fpgagan.models import quantizers as q


@dataclasses.dataclass(frozen=True)
class PatchGANSpec:
    base_channels: int = 32
    in_channels: int = 2  # condition + image

    def layer_names(self) -> list[str]:
        return ["conv1", "conv2", "conv3"]


class PatchGAN(nn.Module):
    """(condition, image) -> conv 4x4 s2 -> conv 4x4 s2 -> conv 3x3: logits (N, 1, H/4, W/4)."""

    def __init__(self, spec: PatchGANSpec, precision: Precision | None = None):
        super().__init__()
        self.spec = spec
        self.precision = precision
        c = spec.base_channels
        shapes = [(spec.in_channels, c, 4, 2), (c, 2 * c, 4, 2), (2 * c, 1, 3, 1)]
        if precision is None:
            self.convs = nn.ModuleList(nn.Conv2d(ci, co, k, s, 1) for ci, co, k, s in shapes)
            self.quants = nn.ModuleList(nn.Identity() for _ in shapes[:-1])
        else:
            p = precision
            names = spec.layer_names()
            unknown = set(p.layers) - set(names)
            if unknown:
                raise ModelError(
                    f"discriminator precision.layers names unknown layer(s) {sorted(unknown)} "
                    f"(layers: {', '.join(names)})"
                )
            ends = (names[0], names[-1])
            wq = q.precision_weight_quant(p, ends)
            self.convs = nn.ModuleList(
                qnn.QuantConv2d(ci, co, k, s, 1, weight_quant=wq(name))
                for (ci, co, k, s), name in zip(shapes, names, strict=True)
            )
            self.quants = nn.ModuleList(
                qnn.QuantIdentity(act_quant=q.signed_act_quant(p.act_bits_of(name, ends)))
                for name in names[:-1]
            )
        self.act = nn.LeakyReLU(0.2)

    def weight_layers(self) -> dict[str, nn.Module]:
        return dict(zip(self.spec.layer_names(), self.convs, strict=True))

    def forward(self, condition: torch.Tensor, image: torch.Tensor) -> torch.Tensor:
        if condition.shape[-2:] != image.shape[-2:]:
            condition = F.interpolate(condition, size=image.shape[-2:], mode="nearest")
        x = torch.cat([condition, image], dim=1)
        for conv, quant in zip(self.convs[:-1], self.quants, strict=True):
            x = quant(self.act(conv(x)))
        return self.convs[-1](x)
