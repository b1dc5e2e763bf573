"""Fold batch-norm into the preceding Linear / ConvTranspose2d / Conv2d of a float generator."""

from __future__ import annotations

import copy

import torch
from torch import nn

from fpgagan.models.generator import Generator
from fpgagan.models.unet import UNet


def _fold_linear(layer: nn.Linear, bn: nn.BatchNorm1d) -> None:
    gamma = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    layer.weight.mul_(gamma[:, None])
    layer.bias.copy_((layer.bias - bn.running_mean) * gamma + bn.bias)


def _fold_deconv(layer: nn.ConvTranspose2d, bn: nn.BatchNorm2d) -> None:
    # ConvTranspose2d weight is (Cin, Cout, kH, kW): output channels on axis 1
    gamma = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    layer.weight.mul_(gamma[None, :, None, None])
    layer.bias.copy_((layer.bias - bn.running_mean) * gamma + bn.bias)


def _fold_conv(layer: nn.Conv2d, bn: nn.BatchNorm2d) -> None:
    # Conv2d weight is (Cout, Cin, kH, kW): output channels on axis 0
    gamma = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    layer.weight.mul_(gamma[:, None, None, None])
    layer.bias.copy_((layer.bias - bn.running_mean) * gamma + bn.bias)


@torch.no_grad()
def fold_into(
    layer: nn.Linear | nn.Conv2d | nn.ConvTranspose2d, bn: nn.BatchNorm1d | nn.BatchNorm2d
) -> None:
    """Fold ``bn`` (its eval-mode statistics) into the ``layer`` before it, in place; a layer
    without a bias gets one."""
    if layer.bias is None:
        channels = layer.weight.shape[1 if isinstance(layer, nn.ConvTranspose2d) else 0]
        layer.bias = nn.Parameter(torch.zeros(channels, dtype=layer.weight.dtype))
    if isinstance(layer, nn.ConvTranspose2d):
        _fold_deconv(layer, bn)
    elif isinstance(layer, nn.Conv2d):
        _fold_conv(layer, bn)
    else:
        _fold_linear(layer, bn)


@torch.no_grad()
def fold_batch_norm(gen: Generator | UNet) -> Generator | UNet:
    """Return a copy of float ``gen`` with every batch-norm folded away (eval-mode statistics).

    The result computes the same function as ``gen.eval()`` up to float rounding and has the
    parameter names of the low-bit student, so its state dict loads into one.
    """
    if gen.quantized:
        raise ValueError("fold_batch_norm expects a float generator")
    folded = copy.deepcopy(gen).eval()
    if not folded.batch_norm:
        return folded
    if isinstance(folded, UNet):
        for conv, bn in zip(folded.convs, folded.bns, strict=True):
            _fold_conv(conv, bn)
        folded.bns = nn.ModuleList(nn.Identity() for _ in folded.bns)
        folded.batch_norm = False
        return folded
    _fold_linear(folded.fc, folded.fc_bn)
    folded.fc_bn = nn.Identity()
    for i, bn in enumerate(folded.bns):
        _fold_deconv(folded.deconvs[i], bn)
    folded.bns = nn.ModuleList(nn.Identity() for _ in folded.bns)
    folded.batch_norm = False
    return folded
