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
