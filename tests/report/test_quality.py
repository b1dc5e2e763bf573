from __future__ import annotations

import numpy as np
import pytest
import torch

from fpgagan.data import load_images
from fpgagan.report.classifier import load_classifier
from fpgagan.report.quality import (
    FeatureStats,
    QualityScorer,
    frechet_distance,
    inception_score,
    stats,
)
from fpgagan.report.train_classifier import accuracy
from tests.conftest import needs_fmnist

# FID is computed in float64 through scipy's sqrtm; 1e-6 absorbs its iterative error
FID_ABS_TOL = 1e-6


def test_frechet_distance_closed_form_for_diagonal_gaussians():
    a = FeatureStats(np.zeros(3), np.diag([1.0, 4.0, 9.0]), 10)
    b = FeatureStats(np.array([1.0, 0.0, 2.0]), np.diag([4.0, 4.0, 1.0]), 10)
    # |mu|^2 + sum (s_a + s_b - 2 sqrt(s_a s_b)) = 5 + (1+4-4) + (4+4-8) + (9+1-6)
    assert frechet_distance(a, b) == pytest.approx(5 + 1 + 0 + 4, abs=FID_ABS_TOL)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=FID_ABS_TOL)


def test_fid_of_a_sample_against_itself_is_zero():
    feats = np.random.default_rng(0).normal(size=(500, 8))
    assert frechet_distance(stats(feats), stats(feats)) == pytest.approx(0.0, abs=FID_ABS_TOL)


def test_inception_score_bounds():
    uniform = np.full((100, 10), 0.1)
    assert inception_score(uniform) == pytest.approx(1.0)
    one_hot = np.eye(10)[np.arange(1000) % 10] * (1 - 1e-9) + 1e-10
    assert inception_score(one_hot) == pytest.approx(10.0, rel=1e-6)


@needs_fmnist
def test_shipped_classifier_reaches_90_percent_and_the_floor_is_small():
    model = load_classifier()
    xt, yt = load_images("fashion-mnist", "test")
    assert accuracy(model, xt, yt) >= 0.90
    xtr, _ = load_images("fashion-mnist", "train")
    scorer = QualityScorer(model, xt)
    floor = scorer.scores(xtr[:10_000])
    noise = scorer.scores(torch.rand(2000, 1, 28, 28) * 2 - 1)
    assert floor["fid"] < 1.0 < noise["fid"]  # real images score near zero, noise far away
    assert floor["is"] > noise["is"]
