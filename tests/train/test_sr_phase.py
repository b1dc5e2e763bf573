"""One photo super-resolution phase: fresh patches each step, the same run for the same seed, and
the decoupled weight decay a teacher may train with."""

from __future__ import annotations

import pytest
import torch

from fpgagan.config import PhotoPhaseConfig
from fpgagan.data.photos import load_photos
from fpgagan.models.espcn import Espcn, EspcnSpec
from fpgagan.train.sr_phase import train_phase

pytest.importorskip("skimage")
SPEC = EspcnSpec(widths=(6, 6), kernels=((3, 1), (1, 3), (3, 3)), residual="nearest")


@pytest.fixture(scope="module")
def photos():
    return load_photos("train")[:2]


def _trained(photos, **phase) -> Espcn:
    torch.manual_seed(0)
    model = Espcn(SPEC).init_nearest()
    train_phase(model, photos, PhotoPhaseConfig(steps=4, lr=1e-2, **phase), 16, 2, 2, seed=3)
    return model


def test_a_phase_is_repeatable_and_weight_decay_pulls_the_weights_in(photos):
    a, b = _trained(photos), _trained(photos)
    decayed = _trained(photos, weight_decay=0.5)
    for (name, wa), wb in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(wa, wb), name  # the same seed, the same run
    norm = sum(float(w.norm()) for w in a.state_dict().values())
    assert sum(float(w.norm()) for w in decayed.state_dict().values()) < norm


@pytest.mark.parametrize("value", [-0.1, 1.0])
def test_a_weight_decay_outside_its_range_is_refused(value):
    with pytest.raises(ValueError, match="weight_decay must be in"):
        PhotoPhaseConfig(weight_decay=value)
