from __future__ import annotations

import dataclasses
import json

import pytest
import torch

from fpgagan.cli import main
from fpgagan.config import TrainQatConfig, from_dict, load_yaml
from fpgagan.data import load_images
from fpgagan.data.tasks import make_pairs
from fpgagan.errors import ConfigError
from fpgagan.export import execute_batch, load_qonnx
from fpgagan.models.checkpoint import load_generator
from fpgagan.workflows.image_tasks import check_recipe
from fpgagan.workflows.train_qat import train_qat


def test_tiny_sr2x_recipe_end_to_end(repo, tmp_path, capsys):
    run = tmp_path / "run"
    argv = ["train-qat", "--config", str(repo / "configs" / "tiny_sr2x.yaml"), "--out", str(run)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "bicubic" in out and "QAT W4A8" in out and "0 mismatches" in out
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["task"] == "sr2x" and metrics["baseline"]["name"] == "bicubic"
    assert metrics["qat"]["precision"] == "W4A8" and metrics["n_test"] == 100
    for who in ("baseline", "teacher", "qat"):
        assert 5.0 < metrics[who]["psnr"] < 60.0 and 0.0 < metrics[who]["ssim"] <= 1.0
    gain = metrics["teacher"]["psnr"] - metrics["baseline"]["psnr"]
    assert metrics["float_gain_over_baseline_db"] == pytest.approx(gain)
    assert (run / "grid.png").is_file() and (run / "teacher.pt").is_file()
    # the exported graph takes 14x14 images and computes what the checkpoint computes
    gen, record = load_generator(run / "generator.pt")
    assert (record["kind"], record["task"]) == ("unet", "sr2x")
    test_x = load_images("digits", "test")[0][:32]
    x = make_pairs("sr2x", test_x).inputs
    with torch.no_grad():
        ref = gen(x).numpy()
    assert (execute_batch(load_qonnx(run / "generator.onnx"), x.numpy()) != ref).sum() == 0
    # rerunning the finished recipe resumes instead of retraining, with the same figures
    assert main(argv) == 0
    again = json.loads((run / "metrics.json").read_text())
    assert again["qat"]["psnr"] == metrics["qat"]["psnr"]


def test_tiny_inpaint_recipe_scores_inside_the_patch(repo, tmp_path):
    cfg = load_yaml(TrainQatConfig, repo / "configs" / "tiny_inpaint.yaml")
    metrics = train_qat(cfg, tmp_path / "run", device="cpu").metrics
    assert metrics["task"] == "inpaint" and metrics["patch"] == 10
    assert metrics["baseline"]["name"] == "masked input"
    # the masked input is exact outside the patch: its patch PSNR is far below its image PSNR
    assert metrics["baseline"]["patch_psnr"] < metrics["baseline"]["psnr"] - 5
    assert metrics["teacher"]["patch_psnr"] > metrics["baseline"]["patch_psnr"]
    assert "patch_psnr" in metrics["qat"]


def test_recipes_that_do_not_fit_their_task_are_refused(repo):
    base = load_yaml(TrainQatConfig, repo / "configs" / "tiny_sr2x.yaml")
    data = {"task": "sr2x", "model": {"generator": "unet-tiny-inpaint"}}
    with pytest.raises(ConfigError, match="made for inpaint, not sr2x"):
        check_recipe(from_dict(TrainQatConfig, data))
    with pytest.raises(ConfigError, match="not an image-to-image generator"):
        check_recipe(from_dict(TrainQatConfig, {"task": "sr2x"}))
    data = {"task": "sr2x", "model": {"generator": "unet-tiny", "discriminator": "dcgan-disc"}}
    with pytest.raises(ConfigError, match="not a PatchGAN"):
        check_recipe(from_dict(TrainQatConfig, data))
    data = {"task": "sr2x", "model": {"generator": "unet-tiny", "discriminator": "patchgan"}}
    with pytest.raises(ConfigError, match="input_range"):
        check_recipe(from_dict(TrainQatConfig, data))  # the default precision is for latents
    check_recipe(base)
    with pytest.raises(ConfigError, match="must be one of"):
        from_dict(TrainQatConfig, {"task": "denoise"})
    with pytest.raises(ConfigError, match="pix2pix applies to image tasks"):
        from_dict(TrainQatConfig, {"pix2pix": {"l1_weight": 10.0}})
    with pytest.raises(ConfigError, match="unknown key 'lambda'"):
        from_dict(TrainQatConfig, {"task": "sr2x", "pix2pix": {"lambda": 10.0}})


def test_every_shipped_image_recipe_loads_and_fits_its_task(repo):
    paths = [
        repo / "configs" / "sr2x.yaml",
        repo / "configs" / "inpaint.yaml",
        *sorted((repo / "configs" / "compression_sr").glob("*.yaml")),
    ]
    assert len(paths) >= 7
    teachers = set()
    for path in paths:
        cfg = load_yaml(TrainQatConfig, path)
        check_recipe(cfg)
        if cfg.task == "sr2x":  # the compression table reuses the sr2x teacher: same recipe
            t = dataclasses.replace(cfg.teacher, reuse_from=None)
            teachers.add(
                (
                    cfg.seed,
                    cfg.batch_size,
                    cfg.max_train_images,
                    cfg.data,
                    cfg.model,
                    t,
                    cfg.pix2pix,
                )
            )
    assert len(teachers) == 1


def test_half_width_sparse_student_reuses_the_teacher_and_exports_exact_zeros(repo, tmp_path):
    import numpy as np

    from fpgagan.compress.prune import weight_layers
    from fpgagan.config import PruneConfig, StudentConfig

    base = load_yaml(TrainQatConfig, repo / "configs" / "tiny_sr2x.yaml")
    train_qat(base, tmp_path / "base", device="cpu")
    qat = dataclasses.replace(
        base.qat,
        feature_weight=1.0,
        student=StudentConfig(width=0.5),
        prune=PruneConfig(sparsity=0.75, schedule="one-shot"),
    )
    teacher = dataclasses.replace(base.teacher, reuse_from=str(tmp_path / "base"))
    cfg = dataclasses.replace(base, qat=qat, teacher=teacher)
    metrics = train_qat(cfg, tmp_path / "small", device="cpu").metrics
    base_teacher = json.loads((tmp_path / "base" / "metrics.json").read_text())["teacher"]
    assert metrics["teacher"]["psnr"] == base_teacher["psnr"]  # reused, not retrained
    assert metrics["qat"]["widths"] == [2, 4]
    gen, _ = load_generator(tmp_path / "small" / "generator.pt")
    for name, layer in weight_layers(gen).items():
        q = layer.quant_weight().value.detach().numpy()
        assert np.mean(q == 0) >= 0.74, name
