"""DCGAN-style discriminator, float or at its own low precision (QGAN: G and D want different bits).

The discriminator is never exported, so its quantized form only needs to train: Brevitas weight
quantizers (bits, range, scaling and ``first_last`` as for the generator) and signed activation
quantizers after each LeakyReLU; its input is the image, so ``input_*``/``output_bits`` do not
apply.
"""

from __future__ import annotations

import dataclasses

import brevitas.nn as qnn
import torch
from torch import nn

from fpgagan.config import Precision
from fpgagan.errors import ModelError
from fpgagan.models import quantizers as q


@dataclasses.dataclass(frozen=True)
class DiscriminatorSpec:
    base_channels: int = 64
    in_channels: int = 1
    in_size: int = 28

    def layer_names(self) -> list[str]:
        return ["conv1", "conv2", "fc"]


class Discriminator(nn.Module):
    """28x28 -> conv s2 -> conv s2 -> linear logit."""

    def __init__(self, spec: DiscriminatorSpec, precision: Precision | None = None):
        super().__init__()
        self.spec = spec
        self.precision = precision
        c = spec.base_channels
        feat = 2 * c * (spec.in_size // 4) ** 2
        if precision is None:
            self.conv1 = nn.Conv2d(spec.in_channels, c, 4, 2, 1)
            self.conv2 = nn.Conv2d(c, 2 * c, 4, 2, 1)
            self.fc = nn.Linear(feat, 1)
            self.q1 = nn.Identity()
            self.q2 = nn.Identity()
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
            self.conv1 = qnn.QuantConv2d(spec.in_channels, c, 4, 2, 1, weight_quant=wq("conv1"))
            self.conv2 = qnn.QuantConv2d(c, 2 * c, 4, 2, 1, weight_quant=wq("conv2"))
            self.fc = qnn.QuantLinear(feat, 1, weight_quant=wq("fc"))
            self.q1 = qnn.QuantIdentity(act_quant=q.signed_act_quant(p.act_bits_of("conv1", ends)))
            self.q2 = qnn.QuantIdentity(act_quant=q.signed_act_quant(p.act_bits_of("conv2", ends)))
        self.act = nn.LeakyReLU(0.2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.q1(self.act(self.conv1(x)))
        x = self.q2(self.act(self.conv2(x)))
        return self.fc(x.flatten(1)).squeeze(1)
