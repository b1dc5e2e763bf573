"""One epoch of pix2pix training on (input, target) image pairs, deterministic per (seed, epoch).

The generator minimises ``adv_weight * L_adv + l1_weight * mean |G(x) - y|`` (plus a distiller's
teacher terms on the same inputs); the discriminator is a conditional PatchGAN, shown the input
with the target or with the generator's image.  ``bce`` is the non-saturating loss, ``lsgan`` the
least-squares one.  With ``adv_weight == 0`` the discriminator is not trained (pure L1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from fpgagan.data.tasks import TaskPairs
from fpgagan.train.gan import EpochLosses, GeneratorLossTerm


@dataclasses.dataclass(frozen=True)
class Pix2PixEpoch:
    """An epoch function for :func:`fpgagan.train.phase.run_phase` (``epoch_fn``)."""

    l1_weight: float
    adv_weight: float
    gan_loss: str = "bce"

    def __post_init__(self) -> None:
        if self.gan_loss not in ("bce", "lsgan"):
            raise ValueError(f"gan_loss must be bce or lsgan, got {self.gan_loss!r}")

    def _criterion(self) -> nn.Module:
        return nn.BCEWithLogitsLoss() if self.gan_loss == "bce" else nn.MSELoss()

    def __call__(
        self,
        gen: nn.Module,
        disc: nn.Module,
        opt_g: torch.optim.Optimizer,
        opt_d: torch.optim.Optimizer,
        pairs: TaskPairs,
        batch_size: int,
        rng: torch.Generator,
        desc: str = "epoch",
        distiller: GeneratorLossTerm | None = None,
        after_g_step: Callable[[], None] | None = None,
    ) -> EpochLosses:
        """Train G (and D) for one pass over ``pairs``, in the order ``rng`` draws (on the CPU)."""
        if distiller is not None:
            distiller.train()
        gen.train()
        disc.train()
        crit = self._criterion()
        adversarial = self.adv_weight > 0
        device = pairs.targets.device
        order = torch.randperm(len(pairs), generator=rng)
        n_batches = len(pairs) // batch_size if len(pairs) >= batch_size else 1
        sum_d = sum_g = 0.0
        bar = tqdm(range(n_batches), desc=desc, leave=False, unit="batch", mininterval=1.0)
        for b in bar:
            idx = order[b * batch_size : (b + 1) * batch_size].to(device)
            x, y = pairs.inputs[idx], pairs.targets[idx]
            fake, features = gen.forward_features(x)
            if adversarial:
                real_logits = disc(x, y)
                fake_logits = disc(x, fake.detach())
                loss_d = 0.5 * (
                    crit(real_logits, torch.ones_like(real_logits))
                    + crit(fake_logits, torch.zeros_like(fake_logits))
                )
                opt_d.zero_grad(set_to_none=True)
                loss_d.backward()
                opt_d.step()
                sum_d += loss_d.item()
            loss_g = self.l1_weight * (fake - y).abs().mean()
            if adversarial:
                logits = disc(x, fake)
                loss_g = loss_g + self.adv_weight * crit(logits, torch.ones_like(logits))
            if distiller is not None:
                loss_g = loss_g + distiller.loss(x, fake, features)
            opt_g.zero_grad(set_to_none=True)
            loss_g.backward()
            opt_g.step()
            if after_g_step is not None:
                after_g_step()
            sum_g += loss_g.item()
            if b % 20 == 0:
                bar.set_postfix(loss_g=f"{loss_g.item():.3f}")
        return EpochLosses(sum_d / n_batches, sum_g / n_batches)
