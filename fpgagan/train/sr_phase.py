"""One training phase of a photo super-resolution network: pixel loss on random patches.

Each step draws ``batch_size`` fresh high-resolution patches from the training photographs (random
position, flip and 90-degree rotation), makes their low-resolution inputs by bicubic downsampling
(:func:`fpgagan.data.photos.make_lr`) and takes one Adam step on the mean absolute error (AdamW
with the phase's decoupled ``weight_decay``, where set), the learning rate decaying on a cosine to
zero.  A low-bit student also follows its float teacher:
``+ distill_weight * mean |G_q(x) - G_teacher(x)|``.  Super-resolution scored by PSNR is trained
on pixel losses only; an adversarial term would trade PSNR for texture.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from fpgagan.config import PhotoPhaseConfig
from fpgagan.data.photos import Photo, make_lr, random_patches


def train_phase(
    model: nn.Module,
    photos: list[Photo],
    phase: PhotoPhaseConfig,
    patch: int,
    batch_size: int,
    scale: int,
    seed: int,
    teacher: nn.Module | None = None,
    desc: str = "train",
) -> list[float]:
    """Train ``model`` in place for ``phase.steps`` steps; returns the mean loss of every 100."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    opt = (
        torch.optim.AdamW(model.parameters(), lr=phase.lr, weight_decay=phase.weight_decay)
        if phase.weight_decay
        else torch.optim.Adam(model.parameters(), lr=phase.lr)
    )
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: 0.5 * (1.0 + math.cos(math.pi * min(s, phase.steps) / phase.steps))
    )
    if teacher is not None:
        teacher.eval()
    model.train()
    history: list[float] = []
    running = 0.0
    bar = tqdm(range(phase.steps), desc=desc, unit="step", mininterval=2.0)
    for step in bar:
        hr = random_patches(photos, batch_size, patch, gen)
        lr = make_lr(hr, scale)
        out = model(lr)
        loss = F.l1_loss(out, hr)
        if teacher is not None and phase.distill_weight:
            with torch.no_grad():
                target = teacher(lr)
            loss = loss + phase.distill_weight * F.l1_loss(out, target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        if (step + 1) % 100 == 0:
            history.append(running / 100)
            bar.set_postfix(loss=f"{history[-1]:.4f}")
            running = 0.0
    model.eval()
    return history


@torch.no_grad()
def upscale(model: nn.Module, lr: torch.Tensor) -> torch.Tensor:
    """``model``'s output for low-resolution images ``lr`` (N, C, h, w), in eval mode."""
    model.eval()
    return model(lr)
