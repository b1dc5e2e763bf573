"""Knowledge distillation from a float teacher generator (GAN Compression's loss, Li et al. 2020).

The student's generator loss is ``L_gan + pixel_weight * L_pix + feature_weight * L_feat``:

- ``L_pix``: mean ``|G_s(z) - G_t(z)|`` on the same latents (the teacher's images as targets);
- ``L_feat``: for every hidden map, the mean squared error between the teacher's map and the
  student's, mapped to the teacher's channel count by a learned 1x1 convolution (the mappings train
  with the student and are thrown away afterwards: they are not part of the exported generator);
- ``L_gan``: the usual adversarial loss, against a discriminator that starts from the teacher's.
"""

from __future__ import annotations

import torch
from torch import nn

from fpgagan.models import Generator


class Distiller(nn.Module):
    """The teacher terms of the student's loss; its parameters are the 1x1 feature mappings."""

    def __init__(
        self,
        teacher: Generator,
        student: Generator,
        pixel_weight: float,
        feature_weight: float = 0.0,
    ):
        super().__init__()
        if pixel_weight < 0 or feature_weight < 0:
            raise ValueError("distillation weights must be >= 0")
        t_chans, s_chans = teacher.spec.hidden_channels(), student.spec.hidden_channels()
        if len(t_chans) != len(s_chans):
            raise ValueError(
                f"teacher has {len(t_chans)} hidden maps, student {len(s_chans)}: no layer pairing"
            )
        # held outside the module tree: the teacher is frozen, not part of this module's state
        self._teacher = (teacher.eval(),)
        self.pixel_weight = pixel_weight
        self.feature_weight = feature_weight
        self.mappings = nn.ModuleList(
            nn.Conv2d(cs, ct, kernel_size=1)
            for cs, ct in (zip(s_chans, t_chans, strict=True) if feature_weight > 0 else ())
        )

    @property
    def teacher(self) -> Generator:
        return self._teacher[0]

    def to(self, *args, **kwargs) -> Distiller:
        """Move the feature mappings and the frozen teacher (kept outside the module tree)."""
        self.teacher.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def train(self, mode: bool = True) -> Distiller:
        super().train(mode)
        self.teacher.eval()  # the teacher always runs on its eval-mode statistics
        return self

    def pixel_loss(self, fake: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return (fake - target).abs().mean()

    def feature_loss(
        self, student: list[torch.Tensor], teacher: list[torch.Tensor]
    ) -> torch.Tensor:
        terms = [
            torch.mean((mapping(s) - t) ** 2)
            for mapping, s, t in zip(self.mappings, student, teacher, strict=True)
        ]
        return torch.stack(terms).mean()

    def loss(
        self, z: torch.Tensor, fake: torch.Tensor, features: list[torch.Tensor]
    ) -> torch.Tensor:
        """``pixel_weight * L_pix + feature_weight * L_feat`` for student outputs on latents ``z``."""
        with torch.no_grad():
            target, t_features = self.teacher.forward_features(z)
        total = self.pixel_weight * self.pixel_loss(fake, target)
        if self.feature_weight > 0:
            total = total + self.feature_weight * self.feature_loss(features, t_features)
        return total
