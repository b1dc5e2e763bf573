"""Pruning of generator (and discriminator) weights.

- Unstructured magnitude pruning, per layer or with one global threshold, one-shot or gradual
  (the cubic schedule of Zhu & Gupta, 2017).  Masks stay fixed between updates and are applied
  after every optimizer step, so the exported weights hold exact zeros (Brevitas quantizes 0 to 0).
- Structured channel pruning by L1 norm, which physically removes channels and returns a smaller
  dense generator of the same family.
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import torch
from torch import nn

from fpgagan.compress.prune_unet import prune_unet_channels
from fpgagan.models import Generator, PatchGAN, UNet
from fpgagan.models.discriminator import Discriminator

Scope = Literal["layer", "global"]


def weight_layers(model: Generator | Discriminator | UNet | PatchGAN) -> dict[str, nn.Module]:
    """Name -> module of every prunable weight layer (the names of ``Precision.layers``)."""
    if isinstance(model, UNet | PatchGAN):
        return model.weight_layers()
    if isinstance(model, Generator):
        return {"fc": model.fc, **{f"deconv{i + 1}": m for i, m in enumerate(model.deconvs)}}
    return {"conv1": model.conv1, "conv2": model.conv2, "fc": model.fc}


def _kth_abs(values: torch.Tensor, fraction: float) -> float:
    k = int(round(fraction * values.numel()))
    if k <= 0:
        return -1.0
    return float(values.abs().flatten().kthvalue(min(k, values.numel())).values)


def magnitude_masks(
    layers: dict[str, nn.Module], sparsity: float, scope: Scope = "layer"
) -> dict[str, torch.Tensor]:
    """Masks zeroing the ``sparsity`` fraction of smallest-magnitude weights (ties pruned too)."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}")
    weights = {name: m.weight.detach() for name, m in layers.items()}
    if scope == "global":
        threshold = _kth_abs(torch.cat([w.flatten() for w in weights.values()]), sparsity)
        return {name: (w.abs() > threshold).to(w.dtype) for name, w in weights.items()}
    return {name: (w.abs() > _kth_abs(w, sparsity)).to(w.dtype) for name, w in weights.items()}


@dataclasses.dataclass
class MaskSet:
    """Fixed masks for some weight layers; ``apply`` re-zeroes the pruned weights."""

    masks: dict[str, torch.Tensor]

    @torch.no_grad()
    def apply(self, layers: dict[str, nn.Module]) -> None:
        for name, mask in self.masks.items():
            layers[name].weight.mul_(mask)

    def sparsity(self) -> float:
        total = sum(m.numel() for m in self.masks.values())
        return 1.0 - sum(float(m.sum()) for m in self.masks.values()) / max(total, 1)


def polynomial_sparsity(
    progress: float, final: float, initial: float = 0.0, power: int = 3
) -> float:
    """Sparsity at ``progress`` in [0, 1] of the pruning window: final + (initial - final)(1 - t)^power."""
    t = min(max(progress, 0.0), 1.0)
    return final + (initial - final) * (1.0 - t) ** power


# --------------------------------------------------------------------------- structured


def _keep(scores: torch.Tensor, keep: int) -> torch.Tensor:
    return torch.sort(torch.topk(scores, keep).indices).values


@torch.no_grad()
def prune_channels(gen: Generator | UNet, keep_ratio: float) -> Generator | UNet:
    """A smaller float generator keeping the ``keep_ratio`` highest-L1 channels of every hidden map.

    U-Nets: :func:`fpgagan.compress.prune_unet.prune_unet_channels`.

    Works on a float generator with batch-norm folded (see :func:`fpgagan.models.fold_batch_norm`):
    hidden map i is the output of the fc layer (i = 0) or of deconv i; removing its channel c removes
    the producing weights and bias of c and the consuming weights of the next transposed conv.
    """
    if isinstance(gen, UNet):
        return prune_unet_channels(gen, keep_ratio)
    if gen.quantized or gen.batch_norm:
        raise ValueError("prune_channels expects a float generator with batch-norm folded")
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be in (0, 1], got {keep_ratio}")
    s = gen.spec
    hw = s.start_size * s.start_size
    widths = [c for c, _ in s.stage_channels()]
    keeps: list[torch.Tensor] = []
    # map 0: fc rows grouped by channel (reshape is channel-major)
    fc_w = gen.fc.weight.view(widths[0], hw, -1)
    keeps.append(
        _keep(
            fc_w.abs().sum((1, 2)) + gen.deconvs[0].weight.abs().sum((1, 2, 3)),
            max(1, round(keep_ratio * widths[0])),
        )
    )
    for i in range(1, len(widths)):
        producer = gen.deconvs[i - 1].weight  # (C_in, C_out, k, k): output channels on axis 1
        consumer = gen.deconvs[i].weight
        score = producer.abs().sum((0, 2, 3)) + consumer.abs().sum((1, 2, 3))
        keeps.append(_keep(score, max(1, round(keep_ratio * widths[i]))))
    new_spec = dataclasses.replace(s, widths=tuple(len(k) for k in keeps))
    small = Generator(new_spec, None, batch_norm=False)
    k0 = keeps[0]
    small.fc.weight.copy_(fc_w[k0].reshape(-1, fc_w.shape[-1]))
    small.fc.bias.copy_(gen.fc.bias.view(widths[0], hw)[k0].reshape(-1))
    for i, deconv in enumerate(small.deconvs):
        w = gen.deconvs[i].weight[keeps[i]]
        b = gen.deconvs[i].bias
        if i + 1 < len(keeps):
            w, b = w[:, keeps[i + 1]], b[keeps[i + 1]]
        deconv.weight.copy_(w)
        deconv.bias.copy_(b)
    return small.eval()
