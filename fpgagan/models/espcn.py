"""ESPCN-class super-resolution networks for photographs (RGB, any frame size).

``widths = (w0, w1)`` and ``kernels = (k0, k1, k2)``: a k0 x k0 convolution from the image's
channels to w0, ReLU, a k1 x k1 convolution to w1, ReLU, and a k2 x k2 ``head`` to
``channels * scale^2`` channels that a pixel shuffle (ONNX DepthToSpace) rearranges into the image
at ``scale`` times the height and width, through a hard tanh onto [-1, 1].  With ``residual =
"nearest"`` the output is a global residual, as in :mod:`fpgagan.models.unet`: the shuffled head
plus the input upsampled ``scale`` times (nearest, ONNX Resize) through an Add, then the hard tanh;
the convolutions then learn only the detail nearest-neighbour upsampling misses, so their weights
stay small and a 4-bit per-tensor grid holds them (without it the network must carry the image
through every layer on weights near 1, beside the small ones of the detail).  Every convolution keeps
its input's size ('same' zero padding, stride 1), so the network is fully convolutional: one set of
weights serves any frame, and the hardware's on-chip memory depends on the frame's width only
(line buffers of k rows). All the work happens at the low resolution, as in ESPCN (Shi et al.,
2016): ``macs_per_pixel`` products per input pixel.

Like :mod:`fpgagan.models.unet`, one class serves both twins: float (plain torch layers) or
low-bit (Brevitas, power-of-two scales), with the same parameter names, so a float teacher's
weights load into the student for QAT.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import brevitas.nn as qnn
import torch
from torch import nn

from fpgagan.config import Precision, from_dict, to_dict
from fpgagan.errors import CheckpointError, ConfigError, ModelError
from fpgagan.io import atomic_path, provenance
from fpgagan.models import quantizers as q
from fpgagan.models.checkpoint import read_checkpoint
from fpgagan.models.generator import _value

INPUT_RANGE = 1.0  # images live in [-1, 1]
FORMAT = "fpgagan.espcn"
HEAD = "head"
RESIDUALS = ("none", "nearest")  # what is added to the shuffled head's output


@dataclasses.dataclass(frozen=True)
class EspcnSpec:
    """Shape of an ESPCN: the hidden widths, the (height, width) of every convolution's kernel
    (one more than the widths: the last is the head's), the image's channels, the upscale factor
    and the input frame (height, width) it is exported at (any size trains and runs);
    ``residual``: ``none``, or ``nearest`` (the input upsampled nearest-neighbour is added to the
    head's output before the hard tanh)."""

    widths: tuple[int, ...] = (16, 16)
    kernels: tuple[tuple[int, int], ...] = ((3, 3), (3, 3), (3, 3))
    channels: int = 3
    scale: int = 2
    in_height: int = 32
    in_width: int = 32
    residual: str = "none"

    def __post_init__(self) -> None:
        if self.residual not in RESIDUALS:
            raise ModelError(
                f"ESPCN residual must be one of {', '.join(RESIDUALS)}, got {self.residual!r}"
            )
        if not self.widths or min(self.widths) < 1:
            raise ModelError(f"ESPCN widths must be positive counts, got {self.widths}")
        if len(self.kernels) != len(self.widths) + 1:
            raise ModelError(
                f"ESPCN needs one kernel per convolution ({len(self.widths) + 1} for widths "
                f"{self.widths}), got {len(self.kernels)}"
            )
        for k in self.kernels:
            if len(k) != 2 or any(side < 1 or side % 2 == 0 for side in k):
                raise ModelError(f"ESPCN kernels must be (height, width), odd sides, got {k}")
        for name in ("channels", "scale", "in_height", "in_width"):
            if getattr(self, name) < 1:
                raise ModelError(f"ESPCN {name} must be >= 1, got {getattr(self, name)}")

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return (self.channels, self.in_height, self.in_width)

    def layer_names(self) -> list[str]:
        """Names of the convolutions, in order (keys of ``Precision.layers``)."""
        return [*(f"conv{i}" for i in range(len(self.widths))), HEAD]

    def conv_shapes(self) -> list[tuple[int, int, tuple[int, int]]]:
        """(in channels, out channels, kernel (height, width)) of every convolution, in order."""
        chans = [self.channels, *self.widths, self.channels * self.scale**2]
        return [(chans[i], chans[i + 1], tuple(k)) for i, k in enumerate(self.kernels)]

    @property
    def macs_per_pixel(self) -> int:
        """Multiplications per input (low-resolution) pixel."""
        return sum(ci * co * k[0] * k[1] for ci, co, k in self.conv_shapes())

    @property
    def max_taps(self) -> int:
        """The most kernel taps of one convolution (the engine reads one tap per step)."""
        return max(k[0] * k[1] for k in self.kernels)

    def at_size(self, height: int, width: int) -> EspcnSpec:
        """The same network exported at an input frame of ``height`` x ``width``."""
        return dataclasses.replace(self, in_height=height, in_width=width)


class Espcn(nn.Module):
    """ESPCN of ``spec``; float when ``precision`` is None, Brevitas low-bit otherwise."""

    def __init__(self, spec: EspcnSpec, precision: Precision | None = None):
        super().__init__()
        self.spec = spec
        self.precision = precision
        shapes = spec.conv_shapes()
        names = spec.layer_names()
        if precision is None:
            self.inp = nn.Identity()
            self.convs = nn.ModuleList(
                nn.Conv2d(ci, co, k, 1, (k[0] // 2, k[1] // 2)) for ci, co, k in shapes
            )
            self.acts = nn.ModuleList(nn.ReLU() for _ in shapes[:-1])
            self.out_act = nn.Hardtanh(-1.0, 1.0)
        else:
            p = precision
            unknown = set(p.layers) - set(names)
            if unknown:
                raise ModelError(
                    f"precision.layers names unknown layer(s) {sorted(unknown)} "
                    f"(layers: {', '.join(names)})"
                )
            ends = (names[0], names[-1])
            wq = q.precision_weight_quant(p, ends)
            self.inp = q.input_layer(p)
            self.convs = nn.ModuleList(
                qnn.QuantConv2d(
                    ci, co, k, 1, (k[0] // 2, k[1] // 2), bias=True, weight_quant=wq(name),
                    bias_quant=q.bias_quant(), return_quant_tensor=True,
                )
                for (ci, co, k), name in zip(shapes, names, strict=True)
            )  # fmt: skip
            self.acts = nn.ModuleList(
                qnn.QuantReLU(
                    act_quant=q.relu_quant(p.act_bits_of(n, ends)), return_quant_tensor=True
                )
                for n in names[:-1]
            )
            self.out_act = q.output_layer(p)
        self.shuffle = nn.PixelShuffle(spec.scale)
        self.up = nn.Upsample(scale_factor=spec.scale, mode="nearest")

    @property
    def quantized(self) -> bool:
        return self.precision is not None

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.spec.input_shape

    @property
    def residual(self) -> bool:
        """Whether the upsampled input is added to the head's output."""
        return self.spec.residual != "none"

    def weight_layers(self) -> dict[str, nn.Module]:
        """Name -> module of every weight layer (the names of ``Precision.layers``)."""
        return dict(zip(self.spec.layer_names(), self.convs, strict=True))

    @torch.no_grad()
    def init_nearest(self) -> Espcn:
        """Start from nearest-neighbour upsampling, so training learns the correction to an image
        that is already there.  With the global residual the head starts at zero (the residual
        is the upsampled image).  Without it, the first ``2 * channels`` hidden channels of every
        convolution carry ``relu(x)`` and ``relu(-x)`` of each colour (centre taps), and the head
        adds them back, ``relu(x) - relu(-x) = x``, into every sub-pixel; the other hidden
        channels keep their random start and the head's weights from them start at zero."""
        c, r2 = self.spec.channels, self.spec.scale**2
        *hidden, head = self.convs
        head.weight.zero_()
        head.bias.zero_()
        if self.residual:
            return self
        if min(self.spec.widths) < 2 * c:
            raise ModelError(
                f"init_nearest needs widths of at least {2 * c} (2 per colour), got {self.spec.widths}"
            )
        for i, conv in enumerate(hidden):
            kh, kw = conv.kernel_size[0] // 2, conv.kernel_size[1] // 2
            conv.weight[: 2 * c].zero_()
            conv.bias[: 2 * c].zero_()
            for ch in range(c):
                for sign, out in ((1.0, 2 * ch), (-1.0, 2 * ch + 1)):
                    if i == 0:
                        conv.weight[out, ch, kh, kw] = sign
                    else:
                        conv.weight[out, out, kh, kw] = 1.0
        kh, kw = head.kernel_size[0] // 2, head.kernel_size[1] // 2
        for ch in range(c):
            for s in range(r2):  # PixelShuffle: output channel ch * r^2 + s is sub-pixel s of ch
                head.weight[ch * r2 + s, 2 * ch, kh, kw] = 1.0
                head.weight[ch * r2 + s, 2 * ch + 1, kh, kw] = -1.0
        return self

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_features(x)[0]

    def forward_features(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The image and the hidden maps after their activations, as tensors."""
        x = self.inp(x)
        h = x
        features = []
        for conv, act in zip(self.convs[:-1], self.acts, strict=True):
            h = act(conv(h))
            features.append(_value(h))
        out = self.shuffle(_value(self.convs[-1](h)))
        if self.residual:  # exact in fixed point: the head's accumulator plus the input's grid
            out = out + _value(self.up(x))
        return _value(self.out_act(out)), features


def save_espcn(
    path: str | os.PathLike[str], model: Espcn, extra: dict[str, Any] | None = None
) -> None:
    """Write ``model``'s weights, spec and precision atomically (read back with
    :func:`load_espcn`, ``weights_only``)."""
    record = {
        "format": FORMAT,
        "spec": _plain(dataclasses.asdict(model.spec)),
        "precision": None if model.precision is None else to_dict(model.precision),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "provenance": provenance(),
        "extra": extra or {},
    }  # fmt: skip
    with atomic_path(path) as tmp:
        torch.save(record, tmp)


def load_espcn(path: str | os.PathLike[str]) -> tuple[Espcn, dict[str, Any]]:
    """The ESPCN in ``path`` (eval mode) and its record; a file of another kind, or one whose
    weights do not fit its spec, raises CheckpointError naming it."""
    record = read_checkpoint(path)
    if record.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not an ESPCN checkpoint (format {record.get('format')!r})")
    try:
        spec = EspcnSpec(**{k: _tuples(v) for k, v in record["spec"].items()})
        p = record["precision"]
        precision = None if p is None else from_dict(Precision, p, f"{path}: precision")
        model = Espcn(spec, precision)
        model.load_state_dict(record["state_dict"])
    except (KeyError, TypeError, RuntimeError, ModelError, ConfigError) as exc:
        raise CheckpointError(f"{path}: ESPCN checkpoint does not rebuild ({exc})") from None
    return model.eval(), record


def _plain(x: Any) -> Any:
    return (
        [_plain(v) for v in x]
        if isinstance(x, tuple | list)
        else ({k: _plain(v) for k, v in x.items()} if isinstance(x, dict) else x)
    )


def _tuples(x: Any) -> Any:
    return tuple(_tuples(v) for v in x) if isinstance(x, list) else x
