from __future__ import annotations

import pytest
import torch

from fpgagan.compress.distill import Distiller
from fpgagan.config import OptimConfig, Precision
from fpgagan.data import load_images
from fpgagan.data.tasks import make_pairs
from fpgagan.models import build_patchgan, build_unet, fold_batch_norm
from fpgagan.models.checkpoint import load_generator
from fpgagan.report.image_metrics import psnr
from fpgagan.train.gan import epoch_rng, make_optimizers
from fpgagan.train.phase import PhaseSpec, export_best, run_phase
from fpgagan.train.pix2pix import Pix2PixEpoch


def _pairs(n=128, task="sr2x"):
    return make_pairs(task, load_images("digits", "train")[0][:n])


def _models(seed=0):
    torch.manual_seed(seed)
    return build_unet("unet-tiny"), build_patchgan("patchgan-tiny")


def _weights(module):
    return {k: v.clone() for k, v in module.state_dict().items()}


def _epoch(gen, disc, pairs, fn, seed=0, epoch=0, distiller=None):
    opt_g, opt_d = make_optimizers(gen, disc, OptimConfig(lr_g=2e-3), distiller)
    return fn(gen, disc, opt_g, opt_d, pairs, 32, epoch_rng(seed, epoch), distiller=distiller)


def test_an_epoch_is_determined_by_seed_and_epoch():
    pairs = _pairs()
    fn = Pix2PixEpoch(l1_weight=100.0, adv_weight=1.0)
    runs = []
    for seed in (0, 0, 1):
        gen, disc = _models()
        _epoch(gen, disc, pairs, fn, seed=seed)
        runs.append(_weights(gen))
    assert all(torch.equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert any(not torch.equal(runs[0][k], runs[2][k]) for k in runs[0])


def test_l1_training_improves_psnr_and_pure_l1_leaves_the_discriminator_alone():
    pairs = _pairs(256)
    gen, disc = _models()
    d_before = _weights(disc)

    def val(g):
        with torch.no_grad():
            return psnr(g.eval()(pairs.inputs).numpy(), pairs.targets.numpy())

    start = val(gen)
    fn = Pix2PixEpoch(l1_weight=100.0, adv_weight=0.0)
    for epoch in range(3):
        losses = _epoch(gen, disc, pairs, fn, epoch=epoch)
    assert val(gen) > start + 3.0  # dB
    assert losses.loss_d == 0.0
    assert all(torch.equal(d_before[k], v) for k, v in disc.state_dict().items())
    with pytest.raises(ValueError, match="gan_loss"):
        Pix2PixEpoch(1.0, 1.0, gan_loss="hinge")


def test_lsgan_trains_the_patchgan():
    gen, disc = _models()
    before = _weights(disc)
    losses = _epoch(gen, disc, _pairs(), Pix2PixEpoch(100.0, 1.0, gan_loss="lsgan"))
    assert losses.loss_d > 0
    assert any(not torch.equal(before[k], v) for k, v in disc.state_dict().items())


def test_distiller_pulls_a_unet_student_towards_its_teacher():
    teacher, disc = _models()
    teacher.eval()
    student = build_unet("unet-tiny", Precision(input_range=1.0))
    student.load_state_dict(fold_batch_norm(teacher).state_dict(), strict=False)
    distiller = Distiller(teacher, student, pixel_weight=10.0, feature_weight=1.0)
    assert len(distiller.mappings) == len(teacher.spec.hidden_channels())
    pairs = _pairs()
    fake, features = student.forward_features(pairs.inputs[:8])
    assert torch.isfinite(distiller.loss(pairs.inputs[:8], fake, features))
    _epoch(student, disc, pairs, Pix2PixEpoch(0.0, 0.0), distiller=distiller)  # distillation only
    with torch.no_grad():
        gap = (student.eval()(pairs.inputs) - teacher(pairs.inputs)).abs().mean()
    assert gap < 0.1


def _spec(**kw):
    base = dict(
        name="teacher",
        generator_name="unet-tiny",
        optim=OptimConfig(lr_g=2e-3),
        batch_size=32,
        seed=3,
        max_epochs=3,
        min_epochs=3,
        patience=3,
        score_name="val_psnr",
        higher_is_better=True,
    )
    base.update(kw)
    return PhaseSpec(**base)


def _run(run_dir, spec, score):
    gen, disc = _models()
    pairs = _pairs(64)
    fn = Pix2PixEpoch(100.0, 1.0)
    return run_phase(spec, run_dir, gen, disc, pairs, score, pairs.inputs[:4], epoch_fn=fn)


def test_phase_selects_the_highest_psnr_and_exports_a_unet(tmp_path):
    scores = iter([20.0, 23.0, 22.0, 19.0, 18.0])
    res = _run(tmp_path, _spec(max_epochs=5, min_epochs=1, patience=2), lambda g: next(scores))
    assert [row["val_psnr"] for row in res.history] == [20.0, 23.0, 22.0, 19.0]
    assert (res.best_epoch, res.best_score) == (2, 23.0)
    export_best(res, tmp_path / "teacher.pt", "unet-tiny", {"phase": "teacher"})
    gen, record = load_generator(tmp_path / "teacher.pt")
    assert record["extra"]["val_psnr"] == 23.0 and record["task"] == "sr2x"
    assert gen.input_shape == (1, 14, 14)


def test_an_interrupted_pix2pix_phase_resumes_to_the_same_weights(tmp_path, monkeypatch):
    def score(g):
        return float(g.head.weight.detach().abs().mean())

    unbroken = _weights(_run(tmp_path / "unbroken", _spec(), score).generator)
    real = Pix2PixEpoch.__call__
    calls = {"n": 0}

    def dying(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Pix2PixEpoch, "__call__", dying)
    with pytest.raises(KeyboardInterrupt):
        _run(tmp_path / "broken", _spec(), score)
    monkeypatch.setattr(Pix2PixEpoch, "__call__", real)
    resumed = _run(tmp_path / "broken", _spec(), score)
    assert len(resumed.history) == 3
    assert all(torch.equal(unbroken[k], v) for k, v in _weights(resumed.generator).items())
