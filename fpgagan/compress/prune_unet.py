"""Structured channel pruning of a U-Net by L1 norm: a smaller dense U-Net of the same family.

Hidden map ``k`` is the output of hidden convolution ``k`` (``enc0 .. encL, dec{L-1} .. dec0``).
A channel's score is the L1 norm of the weights that produce it plus that of the weights that
read it; a map is read by the next convolution and, for an encoder map, by the decoder
convolution of its level, where it is the second part of the concatenation.
"""

from __future__ import annotations

import dataclasses

import torch

from fpgagan.models.unet import UNet


def _input_layout(net: UNet) -> list[list[tuple[int, int]]]:
    """For every convolution (hidden ones, then the head): (map, channel offset) of its input parts."""
    n = net.spec.levels
    widths = net.spec.hidden_channels()
    layout: list[list[tuple[int, int]]] = [[]]  # enc0 reads the image
    layout += [[(k - 1, 0)] for k in range(1, n + 1)]
    for k in range(n + 1, 2 * n + 1):
        level = 2 * n - k
        layout.append([(k - 1, 0), (level, widths[k - 1])])
    layout.append([(2 * n, 0)])  # head
    return layout


def _top(scores: torch.Tensor, keep: int) -> torch.Tensor:
    return torch.sort(torch.topk(scores, keep).indices).values


@torch.no_grad()
def prune_unet_channels(net: UNet, keep_ratio: float) -> UNet:
    """A smaller float U-Net keeping the ``keep_ratio`` highest-L1 channels of every hidden map.

    Expects a float U-Net with batch-norm folded (see :func:`fpgagan.models.fold_batch_norm`).
    An encoder map and the decoder map of the same level keep the same number of channels.
    """
    if net.quantized or net.batch_norm:
        raise ValueError("prune_unet_channels expects a float U-Net with batch-norm folded")
    if not 0.0 < keep_ratio <= 1.0:
        raise ValueError(f"keep_ratio must be in (0, 1], got {keep_ratio}")
    convs = [*net.convs, net.head]
    widths = net.spec.hidden_channels()
    layout = _input_layout(net)
    keeps: list[torch.Tensor] = []
    for m, width in enumerate(widths):
        score = convs[m].weight.abs().sum((1, 2, 3))
        for j, parts in enumerate(layout):
            for src, offset in parts:
                if src == m:
                    score = score + convs[j].weight[:, offset : offset + width].abs().sum((0, 2, 3))
        keeps.append(_top(score, max(1, round(keep_ratio * width))))
    new_widths = tuple(len(k) for k in keeps[: net.spec.levels + 1])
    small = UNet(dataclasses.replace(net.spec, widths=new_widths), None, batch_norm=False)
    for j, (src, dst) in enumerate(zip(convs, [*small.convs, small.head], strict=True)):
        rows = keeps[j] if j < len(keeps) else torch.arange(src.weight.shape[0])
        cols = (
            torch.cat([keeps[m] + offset for m, offset in layout[j]])
            if layout[j]
            else torch.arange(src.weight.shape[1])
        )
        dst.weight.copy_(src.weight[rows][:, cols])
        dst.bias.copy_(src.bias[rows])
    return small.eval()
