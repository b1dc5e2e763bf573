from __future__ import annotations

import pytest
import torch

from fpgagan.compress.distill import Distiller
from fpgagan.compress.prune import prune_channels
from fpgagan.config import Precision
from fpgagan.models import build_generator, fold_batch_norm


def _teacher():
    torch.manual_seed(0)
    t = build_generator("dcgan-tiny")
    t.train()
    t(torch.randn(64, 8))  # batch-norm statistics that are not the identity
    return t.eval()


def test_pixel_term_is_the_mean_absolute_difference_to_the_teacher():
    teacher = _teacher()
    student = fold_batch_norm(teacher)
    d = Distiller(teacher, student, pixel_weight=3.0)
    z = torch.randn(16, 8)
    fake, feats = student.forward_features(z)
    assert d.loss(z, fake, feats).item() == pytest.approx(0.0, abs=1e-5)  # same function
    shifted = fake + 0.25
    assert d.loss(z, shifted, feats).item() == pytest.approx(3.0 * 0.25, rel=1e-4)
    assert len(list(d.parameters())) == 0  # no feature term: no mappings to train


def test_feature_term_maps_student_channels_to_the_teacher_and_trains_only_mappings():
    teacher = _teacher()
    student = prune_channels(fold_batch_norm(teacher), 0.5)
    assert student.spec.hidden_channels() == [4, 2]
    d = Distiller(teacher, student, pixel_weight=0.0, feature_weight=2.0)
    assert [(m.in_channels, m.out_channels) for m in d.mappings] == [(4, 8), (2, 4)]
    z = torch.randn(16, 8)
    fake, feats = student.forward_features(z)
    with torch.no_grad():
        _, t_feats = teacher.forward_features(z)
        expected = (
            2.0
            * torch.stack(
                [
                    torch.mean((m(s) - t) ** 2)
                    for m, s, t in zip(d.mappings, feats, t_feats, strict=True)
                ]
            ).mean()
        )
    loss = d.loss(z, fake, feats)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6) and loss.item() > 0
    loss.backward()
    assert all(p.grad is not None for p in d.mappings.parameters())
    assert all(p.grad is None for p in teacher.parameters())
    assert student.fc.weight.grad is not None


def test_feature_term_with_identity_mappings_is_zero_for_the_teacher_itself():
    teacher = _teacher()
    student = fold_batch_norm(teacher)
    d = Distiller(teacher, student, pixel_weight=0.0, feature_weight=1.0)
    with torch.no_grad():
        for m in d.mappings:
            m.weight.copy_(torch.eye(m.out_channels)[:, :, None, None])
            m.bias.zero_()
    z = torch.randn(8, 8)
    fake, feats = student.forward_features(z)
    assert d.loss(z, fake, feats).item() == pytest.approx(0.0, abs=1e-8)


def test_quantized_student_features_are_plain_tensors():
    student = build_generator("dcgan-tiny", Precision(weight_bits=4, act_bits=8))
    image, feats = student.forward_features(torch.randn(4, 8))
    assert type(image) is torch.Tensor and all(type(f) is torch.Tensor for f in feats)
    assert [f.shape[1:] for f in feats] == [(8, 7, 7), (4, 14, 14)]


def test_layer_count_mismatch_and_negative_weights_are_refused():
    teacher = _teacher()
    with pytest.raises(ValueError, match=">= 0"):
        Distiller(teacher, fold_batch_norm(teacher), pixel_weight=-1.0)
    other = build_generator("dcgan-small")
    other.spec = other.spec.__class__(latent_dim=32, base_channels=32, n_stages=3)
    with pytest.raises(ValueError, match="no layer pairing"):
        Distiller(teacher, other, pixel_weight=1.0, feature_weight=1.0)
