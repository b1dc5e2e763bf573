"""DCGAN-style generators: latent -> Linear -> 7x7 map -> stride-2 transposed convs -> 28x28x1.

One module class serves both twins: with ``precision=None`` it is the float teacher (plain torch
layers, optional batch-norm); with a :class:`~fpgagan.config.Precision` it is the low-bit student
built from Brevitas layers with power-of-two scales and no batch-norm (the teacher's batch-norm is
folded into its weights before they are loaded, see :mod:`fpgagan.models.folding`).  Parameter
names are the same in both, so a folded teacher state dict loads into the student directly.
"""

from __future__ import annotations

import dataclasses

import brevitas.nn as qnn
import torch
from brevitas.quant_tensor import QuantTensor
from torch import nn

from fpgagan.config import Precision
from fpgagan.errors import ModelError
from fpgagan.models import quantizers as q


@dataclasses.dataclass(frozen=True)
class GeneratorSpec:
    """Shape of a generator: channels after the Linear layer, halved by every stage."""

    latent_dim: int
    base_channels: int
    start_size: int = 7
    n_stages: int = 2  # 7 -> 14 -> 28
    out_channels: int = 1
    kernel_size: int = 4
    widths: tuple[int, ...] = ()  # channels of each hidden map; () = base_channels halved per stage

    def __post_init__(self) -> None:
        if self.widths and (len(self.widths) != self.n_stages or min(self.widths) < 1):
            raise ModelError(
                f"widths must give {self.n_stages} positive channel counts, got {self.widths}"
            )
        if not self.widths and self.base_channels >> (self.n_stages - 1) < 1:
            raise ModelError(
                f"base_channels={self.base_channels} too small for {self.n_stages} stages"
            )

    @property
    def out_size(self) -> int:
        return self.start_size * 2**self.n_stages

    def stage_channels(self) -> list[tuple[int, int]]:
        chans = [*self.hidden_channels(), self.out_channels]
        return list(zip(chans[:-1], chans[1:], strict=True))

    def hidden_channels(self) -> list[int]:
        """Channels of the fc output map and of every hidden transposed-conv output."""
        return list(self.widths) or [self.base_channels >> i for i in range(self.n_stages)]

    def layer_names(self) -> list[str]:
        """Names of the weight layers, in order (keys of ``Precision.layers``)."""
        return ["fc"] + [f"deconv{i + 1}" for i in range(self.n_stages)]


class Generator(nn.Module):
    """Generator of ``spec``; float when ``precision`` is None, Brevitas low-bit otherwise."""

    def __init__(
        self, spec: GeneratorSpec, precision: Precision | None = None, batch_norm: bool = True
    ):
        super().__init__()
        self.spec = spec
        self.precision = precision
        if precision is not None:
            unknown = set(precision.layers) - set(spec.layer_names())
            if unknown:
                raise ModelError(
                    f"precision.layers names unknown layer(s) {sorted(unknown)} "
                    f"(layers: {', '.join(spec.layer_names())})"
                )
        self.batch_norm = batch_norm and precision is None
        s = spec
        fc_out = s.hidden_channels()[0] * s.start_size * s.start_size
        stages = s.stage_channels()
        if precision is None:
            self.inp = nn.Identity()
            self.fc = nn.Linear(s.latent_dim, fc_out)
            self.deconvs = nn.ModuleList(
                nn.ConvTranspose2d(ci, co, s.kernel_size, 2, 1) for ci, co in stages
            )
            self.acts = nn.ModuleList(nn.ReLU() for _ in stages)
            self.out_act = nn.Hardtanh(-1.0, 1.0)
        else:
            p = precision
            names = s.layer_names()
            ends = (names[0], names[-1])
            wq = q.precision_weight_quant(p, ends)

            self.inp = q.input_layer(p)
            self.fc = qnn.QuantLinear(
                s.latent_dim,
                fc_out,
                bias=True,
                weight_quant=wq("fc"),
                bias_quant=q.bias_quant(),
            )
            self.deconvs = nn.ModuleList(
                qnn.QuantConvTranspose2d(
                    ci,
                    co,
                    s.kernel_size,
                    2,
                    1,
                    bias=True,
                    weight_quant=wq(name),
                    bias_quant=q.bias_quant(),
                )
                for (ci, co), name in zip(stages, names[1:], strict=True)
            )
            # act i follows weight layer i (fc, deconv1, ...); its bits are that layer's act_bits
            self.acts = nn.ModuleList(
                qnn.QuantReLU(
                    act_quant=q.relu_quant(p.act_bits_of(name, ends)), return_quant_tensor=True
                )
                for name in names[:-1]
            )
            self.out_act = q.output_layer(p)
        self.fc_bn = nn.BatchNorm1d(fc_out) if self.batch_norm else nn.Identity()
        self.bns = nn.ModuleList(
            (nn.BatchNorm2d(co) if self.batch_norm else nn.Identity()) for _, co in stages[:-1]
        )

    @property
    def quantized(self) -> bool:
        return self.precision is not None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input (the latent vector), without the batch axis."""
        return (self.spec.latent_dim,)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.forward_features(z)[0]

    def forward_features(self, z: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The image and every hidden map after its activation (N, C_i, H_i, W_i), as tensors."""
        s = self.spec
        x = self.acts[0](self.fc_bn(self.fc(self.inp(z))))
        x = x.reshape(-1, s.hidden_channels()[0], s.start_size, s.start_size)
        features = [_value(x)]
        for i, deconv in enumerate(self.deconvs):
            x = deconv(x)
            if i < len(self.bns):
                x = self.acts[i + 1](self.bns[i](x))
                features.append(_value(x))
        return _value(self.out_act(x)), features


def _value(x) -> torch.Tensor:
    """The tensor of a Brevitas QuantTensor (or ``x`` itself).  A type test, not ``getattr``: a
    ``torch.fx`` proxy has every attribute, and tracing a float generator must see no ``.value``."""
    return x.value if isinstance(x, QuantTensor) else x
