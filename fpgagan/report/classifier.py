"""fpgagan's own Fashion-MNIST feature network for FID-FMNIST and the classifier Inception Score.

Inception-v3 weights cannot be downloaded on our machines, so FID here is *not* the FID of the
literature: it is the Frechet distance between penultimate-layer features (128-d) of this small
CNN, trained by :mod:`fpgagan.report.train_classifier` and shipped as ``fpgagan/assets``.
Figures are comparable with each other, never with published FIDs.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import torch
from torch import nn

from fpgagan.errors import CheckpointError

FEATURE_DIM = 128
CLASSIFIER_ASSET = "fmnist_classifier.pt"


class FmnistClassifier(nn.Module):
    """Three conv blocks, global average pooling, a 128-d feature layer and 10 logits."""

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1),
            nn.BatchNorm2d(64),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(64, 128, 3, padding=1),
            nn.BatchNorm2d(128),
            nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
        )
        self.feature = nn.Sequential(nn.Linear(128, FEATURE_DIM), nn.ReLU())
        self.head = nn.Linear(FEATURE_DIM, 10)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.feature(self.body(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


def default_classifier_path() -> Path:
    return Path(str(resources.files("fpgagan.assets").joinpath(CLASSIFIER_ASSET)))


def load_classifier(path: str | Path | None = None) -> FmnistClassifier:
    """Load the shipped (or a given) classifier in eval mode."""
    p = Path(path) if path is not None else default_classifier_path()
    if not p.is_file():
        raise CheckpointError(
            f"{p}: classifier weights not found (train them: fpgagan train-classifier)"
        )
    try:
        state = torch.load(p, map_location="cpu", weights_only=True)
        model = FmnistClassifier()
        model.load_state_dict(state["state_dict"])
    except Exception as exc:
        raise CheckpointError(
            f"{p}: corrupt or mismatched classifier weights ({type(exc).__name__})"
        ) from None
    return model.eval()
