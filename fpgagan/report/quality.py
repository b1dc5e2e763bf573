"""FID-FMNIST and the classifier Inception Score, on fpgagan's own feature network.

FID-FMNIST is the Frechet distance between Gaussian fits of 128-d penultimate features of
:class:`~fpgagan.report.classifier.FmnistClassifier` (not Inception-v3).  Every figure is reported
with its *floor*: the same distance between 10,000 training and the 10,000 test images, i.e. what
a perfect generator would score.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import scipy.linalg
import torch

from fpgagan.report.classifier import FmnistClassifier

METRIC_NAME = "FID-FMNIST"
METRIC_NOTE = (
    "FID-FMNIST: Frechet distance on fpgagan's own Fashion-MNIST classifier features (128-d), "
    "not Inception-v3; comparable only with other FID-FMNIST figures"
)


@dataclasses.dataclass(frozen=True)
class FeatureStats:
    mu: np.ndarray
    sigma: np.ndarray
    n: int


@torch.no_grad()
def features_and_probs(
    model: FmnistClassifier, images: torch.Tensor, batch: int = 1000
) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features (float64) and class probabilities of images in [-1, 1]."""
    feats, probs = [], []
    for i in range(0, len(images), batch):
        f = model.features(images[i : i + batch].float())
        feats.append(f.double().numpy())
        probs.append(torch.softmax(model.head(f), 1).double().numpy())
    return np.concatenate(feats), np.concatenate(probs)


def stats(features: np.ndarray) -> FeatureStats:
    return FeatureStats(features.mean(0), np.cov(features, rowvar=False), len(features))


def frechet_distance(a: FeatureStats, b: FeatureStats) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2)."""
    diff = a.mu - b.mu
    with warnings.catch_warnings():  # near-singular products are handled below
        warnings.simplefilter("ignore")
        covmean = scipy.linalg.sqrtm(a.sigma @ b.sigma)
    if not np.isfinite(covmean).all():  # near-singular product: regularise as is customary
        eps = np.eye(len(a.mu)) * 1e-6
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            covmean = scipy.linalg.sqrtm((a.sigma + eps) @ (b.sigma + eps))
    covmean = covmean.real
    return float(diff @ diff + np.trace(a.sigma) + np.trace(b.sigma) - 2.0 * np.trace(covmean))


def inception_score(probs: np.ndarray, splits: int = 10) -> float:
    """exp(E_x KL(p(y|x) || p(y))), averaged over ``splits`` folds (classifier IS, max 10)."""
    scores = []
    for part in np.array_split(probs, splits):
        py = part.mean(0, keepdims=True)
        kl = (part * (np.log(part + 1e-12) - np.log(py + 1e-12))).sum(1).mean()
        scores.append(np.exp(kl))
    return float(np.mean(scores))


class QualityScorer:
    """Scores image sets against fixed reference statistics (e.g. the test split)."""

    def __init__(self, model: FmnistClassifier, reference: torch.Tensor):
        self.model = model.eval()
        feats, _ = features_and_probs(self.model, reference)
        self.reference = stats(feats)

    def fid(self, images: torch.Tensor) -> float:
        feats, _ = features_and_probs(self.model, images)
        return frechet_distance(stats(feats), self.reference)

    def scores(self, images: torch.Tensor) -> dict[str, float]:
        feats, probs = features_and_probs(self.model, images)
        return {"fid": frechet_distance(stats(feats), self.reference), "is": inception_score(probs)}
