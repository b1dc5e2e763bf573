"""Where the board flow's model and teacher come from: the shipped checkpoint works from any
working folder, and --teacher is honoured for the shipped default too."""

from __future__ import annotations

import torch

from fpgagan.models import build_generator
from fpgagan.models.checkpoint import save_generator
from fpgagan.workflows import hls_flow, model_source


def test_the_shipped_checkpoint_finds_its_teacher_from_any_working_folder(tmp_path, monkeypatch):
    """Its stored teacher path (runs/default/teacher.pt) was resolved against the working folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(
        model_source, "to_qonnx", lambda gen: "qonnx"
    )  # the export is not the point
    shipped = hls_flow.default_model_dir()
    src = hls_flow.resolve_model(str(shipped / "generator.pt"))
    teacher = torch.load(shipped / "teacher.pt", weights_only=True)["state_dict"]
    assert src.teacher is not None and src.qonnx == "qonnx"
    for name, value in src.teacher.state_dict().items():
        assert torch.equal(value, teacher[name]), name


def test_a_missing_stored_teacher_means_no_float_comparison(tmp_path, monkeypatch, caplog):
    monkeypatch.setattr(model_source, "to_qonnx", lambda gen: "qonnx")
    gen = build_generator("dcgan-tiny").eval()
    save_generator(tmp_path / "g.pt", gen, "dcgan-tiny", extra={"teacher": "gone/teacher.pt"})
    src = hls_flow.resolve_model(str(tmp_path / "g.pt"))
    assert src.teacher is None and "give --teacher" in caplog.text


def test_teacher_is_honoured_with_the_shipped_default(tmp_path):
    torch.manual_seed(5)
    mine = build_generator("dcgan-default").eval()
    save_generator(tmp_path / "t.pt", mine, "dcgan-default")
    src = hls_flow.resolve_model(None, teacher=str(tmp_path / "t.pt"))
    for name, value in src.teacher.state_dict().items():
        assert torch.equal(value, mine.state_dict()[name]), name
