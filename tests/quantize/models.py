"""Small float generators for the quantize tests (plain torch, as a user writes them)."""

from __future__ import annotations

import torch
from torch import nn

LATENT = 8


class SmallGenerator(nn.Module):
    """Linear + batch-norm + ReLU -> reshape -> ConvT + batch-norm + ReLU -> ConvT -> Tanh."""

    input_shape = (LATENT,)

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(LATENT, 8 * 4 * 4)
        self.fc_bn = nn.BatchNorm1d(8 * 4 * 4)
        self.act0 = nn.ReLU()
        self.up1 = nn.ConvTranspose2d(8, 4, 4, 2, 1)
        self.bn1 = nn.BatchNorm2d(4)
        self.act1 = nn.ReLU()
        self.up2 = nn.ConvTranspose2d(4, 1, 4, 2, 1)
        self.out = nn.Tanh()

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.act0(self.fc_bn(self.fc(z))).reshape(-1, 8, 4, 4)
        return self.out(self.up2(self.act1(self.bn1(self.up1(x)))))


class WithLstm(nn.Module):
    """A generator with a recurrent layer, which fpgagan cannot quantize."""

    input_shape = (4, LATENT)

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(LATENT, 8, batch_first=True)
        self.fc = nn.Linear(8, 16)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.fc(self.rnn(z)[0][:, -1]))


@torch.no_grad()
def trained_like(model: nn.Module, seed: int = 0) -> nn.Module:
    """Random weights and batch-norm statistics that are not the identity, in eval mode."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d):
            m.weight.copy_(1 + 0.3 * torch.randn(m.weight.shape, generator=g))
            m.bias.copy_(0.1 * torch.randn(m.bias.shape, generator=g))
            m.running_mean.copy_(0.2 * torch.randn(m.running_mean.shape, generator=g))
            m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=g))
    return model.eval()
