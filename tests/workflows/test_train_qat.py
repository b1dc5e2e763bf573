from __future__ import annotations

import json

from fpgagan.cli import main
from fpgagan.export import execute_batch, load_qonnx
from fpgagan.models.checkpoint import load_generator


def test_tiny_recipe_end_to_end(repo, tmp_path, capsys):
    run = tmp_path / "run"
    assert (
        main(["train-qat", "--config", str(repo / "configs" / "tiny.yaml"), "--out", str(run)]) == 0
    )
    out = capsys.readouterr().out
    assert "FID-FMNIST" in out and "floor" in out and "0 mismatches" in out
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["metric"] == "FID-FMNIST" and "not Inception" in metrics["metric_note"]
    assert metrics["qat"]["precision"] == "W4A8" and metrics["fid_ratio_qat_over_teacher"] > 0
    assert sorted(p.name for p in (run / "samples").glob("*.png"))[0] == "qat_epoch001.png"
    # the QONNX file computes what the checkpoint computes
    import torch

    gen, _ = load_generator(run / "generator.pt")
    z = torch.randn(32, gen.spec.latent_dim)
    with torch.no_grad():
        ref = gen(z).numpy()
    assert (execute_batch(load_qonnx(run / "generator.onnx"), z.numpy()) != ref).sum() == 0
    # rerunning the finished recipe resumes instead of retraining, with the same figures
    assert (
        main(["train-qat", "--config", str(repo / "configs" / "tiny.yaml"), "--out", str(run)]) == 0
    )
    again = json.loads((run / "metrics.json").read_text())
    assert again["qat"]["fid"] == metrics["qat"]["fid"]


def test_pruned_recipe_exports_exact_zeros_and_reuses_a_teacher(repo, tmp_path, capsys):
    import numpy as np

    from fpgagan.compress.prune import weight_layers

    run = tmp_path / "pruned"
    assert (
        main(
            ["train-qat", "--config", str(repo / "configs" / "tiny_pruned.yaml"), "--out", str(run)]
        )
        == 0
    )
    gen, _ = load_generator(run / "generator.pt")
    for name, layer in weight_layers(gen).items():
        q = layer.quant_weight().value.detach().numpy()
        assert np.mean(q == 0) >= 0.74, name  # 75% of the weights are exact zeros
    # another recipe reuses that teacher phase instead of training its own
    cfg = tmp_path / "reuse.yaml"
    cfg.write_text(
        (repo / "configs" / "tiny.yaml")
        .read_text()
        .replace("  patience: 1\n", f"  patience: 1\n  reuse_from: {run}\n")
    )
    assert main(["train-qat", "--config", str(cfg), "--out", str(tmp_path / "reuse")]) == 0
    a = json.loads((run / "metrics.json").read_text())["teacher"]["fid"]
    b = json.loads((tmp_path / "reuse" / "metrics.json").read_text())["teacher"]["fid"]
    assert a == b


def test_distilled_half_width_student_resumes_to_the_same_weights(repo, tmp_path, monkeypatch):
    import torch

    import fpgagan.train.phase as phase

    cfg = repo / "configs" / "tiny_distill.yaml"
    unbroken = tmp_path / "unbroken"
    assert main(["train-qat", "--config", str(cfg), "--out", str(unbroken)]) == 0
    gen, _ = load_generator(unbroken / "generator.pt")
    assert gen.spec.hidden_channels() == [4, 2]  # half of dcgan-tiny's 8, 4
    state = torch.load(unbroken / "qat.state.pt", weights_only=True)
    assert len(state["mappings"]) == 4  # two 1x1 mappings (weight + bias), trained and saved
    assert json.loads((unbroken / "metrics.json").read_text())["qat"]["widths"] == [4, 2]

    # interrupt the second QAT epoch, then rerun: same weights and mappings as the unbroken run
    real = phase.train_epoch

    def interrupted(*args, **kwargs):
        if kwargs["desc"].startswith("qat 2/"):
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    broken = tmp_path / "broken"
    monkeypatch.setattr(phase, "train_epoch", interrupted)
    assert main(["train-qat", "--config", str(cfg), "--out", str(broken)]) != 0  # interrupted
    assert torch.load(broken / "qat.state.pt", weights_only=True)["epoch"] == 1
    monkeypatch.setattr(phase, "train_epoch", real)
    assert main(["train-qat", "--config", str(cfg), "--out", str(broken)]) == 0
    resumed = torch.load(broken / "qat.state.pt", weights_only=True)
    for key in ("mappings", "discriminator"):
        for name, value in state[key].items():
            assert torch.equal(value, resumed[key][name]), (key, name)
    for name, value in state["generator"]["state_dict"].items():
        assert torch.equal(value, resumed["generator"]["state_dict"][name]), name


def test_float_only_recipe_reports_the_teacher(repo, tmp_path, capsys):
    cfg = tmp_path / "float.yaml"
    cfg.write_text(
        (repo / "configs" / "tiny.yaml").read_text().split("qat:")[0]
        + "qat: null\n"
        + "eval:\n  n_samples: 200\n"
    )
    run = tmp_path / "float"
    assert main(["train-qat", "--config", str(cfg), "--out", str(run)]) == 0
    out = capsys.readouterr().out
    assert "float teacher" in out and "QAT" not in out and "QONNX" not in out
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["qat"] is None and metrics["teacher"]["fid"] > 0
    assert not (run / "generator.onnx").exists()
