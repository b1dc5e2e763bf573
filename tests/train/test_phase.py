from __future__ import annotations

import pytest
import torch

from fpgagan.config import OptimConfig
from fpgagan.data import load_images
from fpgagan.errors import CheckpointError
from fpgagan.models import build_discriminator, build_generator
from fpgagan.train import phase as phase_mod
from fpgagan.train.phase import PhaseSpec, run_phase


def _spec(**kw):
    base = dict(
        name="teacher",
        generator_name="dcgan-tiny",
        optim=OptimConfig(),
        batch_size=32,
        seed=3,
        max_epochs=3,
        min_epochs=3,
        patience=3,
    )
    base.update(kw)
    return PhaseSpec(**base)


def _run(tmp_path, spec, score=None):
    torch.manual_seed(0)
    images = load_images("digits", "train")[0][:256]
    gen, disc = build_generator("dcgan-tiny"), build_discriminator("dcgan-disc-tiny")
    score = score or (lambda g: float(g.fc.weight.abs().mean()))
    return run_phase(spec, tmp_path, gen, disc, images, score, torch.randn(4, 8))


def _weights(result):
    return {k: v.clone() for k, v in result.generator.state_dict().items()}


def test_same_seed_same_weights(tmp_path):
    a = _weights(_run(tmp_path / "a", _spec()))
    b = _weights(_run(tmp_path / "b", _spec()))
    assert all(torch.equal(a[k], b[k]) for k in a)
    c = _weights(_run(tmp_path / "c", _spec(seed=4)))
    assert any(not torch.equal(a[k], c[k]) for k in a)


def test_interrupted_run_resumes_to_the_same_weights(tmp_path, monkeypatch):
    unbroken = _weights(_run(tmp_path / "unbroken", _spec()))
    real_epoch = phase_mod.train_epoch
    calls = {"n": 0}

    def dying_epoch(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real_epoch(*args, **kwargs)

    monkeypatch.setattr(phase_mod, "train_epoch", dying_epoch)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "broken", _spec())
    monkeypatch.setattr(phase_mod, "train_epoch", real_epoch)
    assert not list((tmp_path / "broken").glob(".*.tmp"))
    resumed = _run(tmp_path / "broken", _spec())
    assert len(resumed.history) == 3
    assert all(torch.equal(unbroken[k], _weights(resumed)[k]) for k in unbroken)
    # a finished phase is not trained again
    again = _run(tmp_path / "broken", _spec(), score=lambda g: pytest.fail("retrained"))
    assert again.best_epoch == resumed.best_epoch


def test_early_stopping_keeps_the_best_epoch(tmp_path):
    scores = iter([5.0, 3.0, 4.0, 6.0, 7.0])
    res = _run(
        tmp_path, _spec(max_epochs=5, min_epochs=1, patience=2), score=lambda g: next(scores)
    )
    assert [row["val_fid"] for row in res.history] == [5.0, 3.0, 4.0, 6.0]
    assert (res.best_epoch, res.best_score) == (2, 3.0)
    assert (tmp_path / "samples" / "teacher_epoch004.png").exists()


def test_a_different_recipe_does_not_resume_silently(tmp_path):
    _run(tmp_path, _spec(max_epochs=1, min_epochs=1))
    with pytest.raises(CheckpointError, match="different recipe"):
        _run(tmp_path, _spec(max_epochs=2, min_epochs=1, seed=9))
