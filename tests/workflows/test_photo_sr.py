"""The photo super-resolution recipe end to end, in miniature (configs/tiny_photo_sr2x.yaml)."""

from __future__ import annotations

import json

import pytest
import torch

from fpgagan.config import PhotoSrConfig, load_yaml
from fpgagan.errors import ConfigError
from fpgagan.export import load_qonnx
from fpgagan.models.espcn import load_espcn
from fpgagan.workflows import photo_sr
from tests.conftest import REPO

pytest.importorskip("skimage")
TINY = REPO / "configs" / "tiny_photo_sr2x.yaml"


def test_a_tiny_run_writes_every_artefact_and_scores_every_photo(tmp_path):
    cfg = load_yaml(PhotoSrConfig, TINY)
    assert cfg.residual == "nearest" and cfg.threads == 1
    threads = torch.get_num_threads()
    metrics = photo_sr.run_photo_sr(cfg, tmp_path / "run", export_frame=(8, 12))
    assert torch.get_num_threads() == threads  # the recipe's thread count was for its run only
    run = tmp_path / "run"
    for name in ("teacher.pt", "student_W4A8.pt", "student_W4A8.onnx", "metrics.json", "crops.png"):
        assert (run / name).is_file(), name
    assert json.loads((run / "metrics.json").read_text())["scores"] == metrics["scores"]
    assert set(metrics["scores"]) == {"bicubic", "float", "W4A8"}
    for scores in metrics["scores"].values():
        assert set(scores["per_photo"]) == set(metrics["test_photos"])
    dims = [
        d.dim_value
        for d in load_qonnx(run / "student_W4A8.onnx").graph.input[0].type.tensor_type.shape.dim
    ]
    assert dims == [1, 3, 8, 12]
    student, _ = load_espcn(run / "student_W4A8.pt")
    assert student.precision.tag == "W4A8" and student.spec.residual == "nearest"
    text = photo_sr.summary(metrics)
    assert "bicubic" in text and "W4A8" in text
    assert photo_sr.per_photo_table(metrics).count("\n") == 1 + len(metrics["test_photos"])


def test_a_run_repeats_whatever_ran_before_it(tmp_path):
    cfg = load_yaml(PhotoSrConfig, TINY)
    first = photo_sr.run_photo_sr(cfg, tmp_path / "a", export_frame=(8, 12))
    torch.rand(7)  # the global generator moves on, as another caller's work would move it
    second = photo_sr.run_photo_sr(cfg, tmp_path / "b", export_frame=(8, 12))
    assert first["scores"] == second["scores"]


def test_a_failed_run_leaves_no_folder(tmp_path, monkeypatch):
    cfg = load_yaml(PhotoSrConfig, TINY)

    def fail(*args, **kwargs):
        raise RuntimeError("stopped")

    monkeypatch.setattr(photo_sr, "bicubic_outputs", fail)  # after teacher.pt is written
    with pytest.raises(RuntimeError, match="stopped"):
        photo_sr.run_photo_sr(cfg, tmp_path / "run", export_frame=(8, 12))
    assert not (tmp_path / "run").exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("patch: 15\n", "divisible by scale"),
        ("teacher: {precision: {weight_bits: 4}}\n", "teacher.precision"),
        ("students: [{steps: 3}]\n", r"students\[0\].precision"),
        ("widths: [8, 8]\nkernels: [[3, 3]]\nextra: 1\n", "unknown key 'extra'"),
        ("residual: bicubic\n", "residual"),
        ("threads: -1\n", "threads"),
    ],
)
def test_a_bad_recipe_is_refused_naming_the_key(tmp_path, text, match):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=match):
        load_yaml(PhotoSrConfig, path)
