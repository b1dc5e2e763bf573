"""Data-free distillation: the float generator teaches its own quantized twin on random inputs.

A generator's teacher is its float self and its inputs are random latents, so no training image is
needed (GAN Compression's observation).  The student's loss is that of
:class:`fpgagan.compress.distill.Distiller` without the adversarial term:

- ``L_pix``: mean ``|G_s(z) - G_t(z)|`` (the float model's images as targets);
- ``L_feat``: the mean squared error between every hidden map of the student and the teacher's map
  at the same node.  Student and teacher share the graph, so the maps have the same channels and
  no learned 1x1 mapping is needed (``mappings`` is empty).

With training images the adversarial term is added by the training loop
(:func:`fpgagan.train.data_free.run_data_free`).
"""

from __future__ import annotations

import torch
from torch import nn

from fpgagan.compress.float_quant import FloatTeacher


class DataFreeDistiller(nn.Module):
    """The teacher terms of the student's loss (``fpgagan.train``'s ``GeneratorLossTerm``)."""

    def __init__(
        self, teacher: FloatTeacher, pixel_weight: float = 1.0, feature_weight: float = 1.0
    ):
        super().__init__()
        if pixel_weight < 0 or feature_weight < 0 or pixel_weight + feature_weight == 0:
            raise ValueError("distillation weights must be >= 0 and not both 0")
        self._teacher = (teacher.eval(),)  # frozen, outside the module tree (not checkpointed)
        self.pixel_weight = pixel_weight
        self.feature_weight = feature_weight
        self.mappings = nn.ModuleList()  # none: the student's maps have the teacher's channels

    @property
    def teacher(self) -> FloatTeacher:
        return self._teacher[0]

    def to(self, *args, **kwargs) -> DataFreeDistiller:
        self.teacher.to(*args, **kwargs)
        return super().to(*args, **kwargs)

    def loss(
        self, z: torch.Tensor, fake: torch.Tensor, features: list[torch.Tensor]
    ) -> torch.Tensor:
        """``pixel_weight * L_pix + feature_weight * L_feat`` of the student's outputs on ``z``."""
        with torch.no_grad():
            target, t_features = self.teacher.forward_features(z)
        total = self.pixel_weight * (fake - target).abs().mean()
        if self.feature_weight > 0 and features:
            feat = torch.stack(
                [torch.mean((s - t) ** 2) for s, t in zip(features, t_features, strict=True)]
            ).mean()
            total = total + self.feature_weight * feat
        return total
