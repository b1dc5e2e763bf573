"""One epoch of non-saturating GAN training, deterministic for a given (seed, epoch)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol

import torch
from torch import nn
from tqdm.auto import tqdm

from fpgagan.config import OptimConfig
from fpgagan.models import Discriminator, Generator
from fpgagan.models.inference import generate  # noqa: F401  (used by the phases and callers)


class GeneratorLossTerm(Protocol):
    """An extra term of the generator's loss with parameters of its own that train with G
    (e.g. :class:`fpgagan.compress.distill.Distiller`: teacher terms and feature mappings)."""

    mappings: nn.Module

    def parameters(self): ...

    def train(self, mode: bool = True): ...

    def to(self, device: torch.device): ...

    def loss(self, z: torch.Tensor, fake: torch.Tensor, features) -> torch.Tensor: ...


def make_optimizers(
    gen: Generator,
    disc: Discriminator,
    cfg: OptimConfig,
    distiller: GeneratorLossTerm | None = None,
) -> tuple[torch.optim.Adam, torch.optim.Adam]:
    """Adam for G (with the distiller's feature mappings, which train alongside it) and for D."""
    betas = (cfg.beta1, cfg.beta2)
    g_params = list(gen.parameters())
    if distiller is not None:
        g_params += list(distiller.parameters())
    return (
        torch.optim.Adam(g_params, lr=cfg.lr_g, betas=betas),
        torch.optim.Adam(disc.parameters(), lr=cfg.lr_d, betas=betas),
    )


def epoch_rng(seed: int, epoch: int) -> torch.Generator:
    """The RNG for one epoch: resuming at epoch k replays exactly what an unbroken run does."""
    return torch.Generator().manual_seed(seed * 100_003 + epoch)


@dataclasses.dataclass
class EpochLosses:
    loss_d: float
    loss_g: float


def train_epoch(
    gen: Generator,
    disc: Discriminator,
    opt_g: torch.optim.Optimizer,
    opt_d: torch.optim.Optimizer,
    images: torch.Tensor,
    batch_size: int,
    rng: torch.Generator,
    desc: str = "epoch",
    distiller: GeneratorLossTerm | None = None,
    after_g_step: Callable[[], None] | None = None,
) -> EpochLosses:
    """Train G and D for one pass over ``images`` (N, 1, 28, 28) in [-1, 1].

    Everything is computed on the device of ``images`` (where the models are too); the batch order
    and the latents are drawn from ``rng`` on the CPU, so every device sees the same data stream.
    With a ``distiller`` the generator also minimises its teacher terms on the same latents.
    ``after_g_step`` runs after every generator update (pruning re-applies its masks there).
    """
    if distiller is not None:
        distiller.train()
    gen.train()
    disc.train()
    bce = nn.BCEWithLogitsLoss()
    order = torch.randperm(len(images), generator=rng)
    n_batches = len(images) // batch_size if len(images) >= batch_size else 1
    sum_d = sum_g = 0.0
    bar = tqdm(range(n_batches), desc=desc, leave=False, unit="batch", mininterval=1.0)
    for b in bar:
        real = images[order[b * batch_size : (b + 1) * batch_size].to(images.device)]
        z = torch.randn(len(real), gen.spec.latent_dim, generator=rng).to(images.device)
        ones = torch.ones(len(real), device=images.device)
        zeros = torch.zeros(len(real), device=images.device)
        fake, features = gen.forward_features(z)
        loss_d = bce(disc(real), ones) + bce(disc(fake.detach()), zeros)
        opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        opt_d.step()
        loss_g = bce(disc(fake), ones)
        if distiller is not None:
            loss_g = loss_g + distiller.loss(z, fake, features)
        opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        opt_g.step()
        if after_g_step is not None:
            after_g_step()
        sum_d += loss_d.item()
        sum_g += loss_g.item()
        if b % 20 == 0:
            bar.set_postfix(loss_d=f"{loss_d.item():.3f}", loss_g=f"{loss_g.item():.3f}")
    return EpochLosses(sum_d / n_batches, sum_g / n_batches)
