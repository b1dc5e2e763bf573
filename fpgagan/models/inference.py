"""Images from a generator, batched, in eval mode."""

from __future__ import annotations

import torch

from fpgagan.models.generator import Generator


@torch.no_grad()
def generate(gen: Generator, z: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Images for latents ``z`` in eval mode, batched to bound memory."""
    was_training = gen.training
    gen.eval()
    out = torch.cat([gen(z[i : i + batch_size]) for i in range(0, len(z), batch_size)])
    gen.train(was_training)
    return out
