from __future__ import annotations

import pytest
import torch

from fpgagan.config import Precision
from fpgagan.errors import CheckpointError
from fpgagan.models import build_generator
from fpgagan.models.checkpoint import load_generator, save_generator


def _trained_student():
    gen = build_generator("dcgan-tiny", Precision(weight_bits=3, act_bits=6))
    gen.train()
    for _ in range(4):
        gen(torch.randn(16, 8))
    return gen.eval()


def test_round_trip_is_exact(tmp_path):
    gen = _trained_student()
    save_generator(tmp_path / "g.pt", gen, "dcgan-tiny", extra={"note": "x"})
    loaded, record = load_generator(tmp_path / "g.pt")
    z = torch.randn(64, 8)
    with torch.no_grad():
        assert torch.equal(loaded(z), gen(z))
    assert record["extra"] == {"note": "x"} and record["precision"]["weight_bits"] == 3
    assert set(record["provenance"]["versions"]) >= {"torch", "brevitas", "qonnx", "hls4ml"}
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_corrupt_and_foreign_files(tmp_path):
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        load_generator(tmp_path / "none.pt")
    (tmp_path / "bad.pt").write_bytes(b"\x00garbage")
    with pytest.raises(CheckpointError, match="corrupt or unreadable"):
        load_generator(tmp_path / "bad.pt")
    torch.save({"hello": 1}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="not an fpgagan generator checkpoint"):
        load_generator(tmp_path / "foreign.pt")


def test_weights_of_another_model_are_refused(tmp_path):
    save_generator(tmp_path / "g.pt", _trained_student(), "dcgan-tiny")
    record = torch.load(tmp_path / "g.pt", weights_only=True)
    record["generator"] = "dcgan-small"
    torch.save(record, tmp_path / "mismatch.pt")
    with pytest.raises(CheckpointError, match="do not match generator 'dcgan-small'"):
        load_generator(tmp_path / "mismatch.pt")
    record["generator"] = "dcgan-gigantic"
    torch.save(record, tmp_path / "unknown.pt")
    with pytest.raises(CheckpointError, match="unknown generator"):
        load_generator(tmp_path / "unknown.pt")
