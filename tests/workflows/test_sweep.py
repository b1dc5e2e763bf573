from __future__ import annotations

import csv
import json

import pytest
import torch

from fpgagan.cli import main
from fpgagan.config import Precision
from fpgagan.errors import ConfigError
from fpgagan.export import save_qonnx, to_qonnx
from fpgagan.models import build_generator
from fpgagan.workflows.sweep import Cell, grid


@pytest.fixture
def tiny_onnx(tmp_path):
    torch.manual_seed(0)
    student = build_generator("dcgan-tiny", Precision())
    student.train()
    for _ in range(3):
        student(torch.randn(16, 8))
    student.eval()
    path = tmp_path / "g.onnx"
    save_qonnx(to_qonnx(student), path)
    return path


def test_the_grid_is_every_combination_and_refuses_unknown_values():
    cells = grid(["pynq-z2", "zcu102"], [None, 200.0], ["auto", "false"])
    assert len(cells) == 8 and cells[0] == Cell("pynq-z2", None, "auto")
    assert cells[-1] == Cell("zcu102", 200.0, "false")
    assert len({c.folder for c in cells}) == len({c.key for c in cells}) == 8
    with pytest.raises(Exception, match="unknown board 'nope'"):
        grid(["nope"])
    with pytest.raises(ConfigError, match="unknown sparse mode 'maybe'"):
        grid(["pynq-z2"], sparse=["maybe"])
    with pytest.raises(ConfigError, match="must be finite and positive"):
        grid(["pynq-z2"], clocks=[-5.0])


def test_sweep_of_boards_and_clocks_writes_one_table(tiny_onnx, tmp_path, capsys):
    out = tmp_path / "sweep"
    argv = ["sweep", "--model", str(tiny_onnx), "--boards", "pynq-z2,zcu102"]
    assert main([*argv, "--clock-mhz", "100,200", "--sparse", "auto,false", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| board | clock MHz | sparse | images/s |" in printed and "8 cells, 0 failed" in printed
    table = json.loads((out / "table.json").read_text())
    rows = table["rows"]
    assert [(r["board"], r["clock_mhz"], r["sparse"]) for r in rows][:4] == [
        ("pynq-z2", 100.0, "auto"),
        ("pynq-z2", 100.0, "false"),
        ("pynq-z2", 200.0, "auto"),
        ("pynq-z2", 200.0, "false"),
    ]
    assert all(r["error"] is None and r["fits"] for r in rows)
    # the plan counts cycles: the same plan at twice the clock makes twice the images per second
    slow, fast = rows[0], rows[2]
    assert slow["interval_cycles"] == fast["interval_cycles"]
    assert fast["images_per_s"] == pytest.approx(2 * slow["images_per_s"], rel=1e-12)
    with (out / "table.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 8
    assert table["model"] == str(tiny_onnx) and table["csim_latents"] == 0


def test_a_bad_board_is_refused_before_any_work(tiny_onnx, tmp_path, capsys):
    out = tmp_path / "sweep"
    assert main(["sweep", "--model", str(tiny_onnx), "--boards", "nope", "--out", str(out)]) == 2
    assert "unknown board 'nope'" in capsys.readouterr().err and not out.exists()


def test_a_failed_cell_keeps_its_traceback_in_a_file(tiny_onnx, tmp_path, monkeypatch):
    """A cell that raises (a bug here) is a row with one line naming the file of its traceback;
    the other cells still run."""
    from fpgagan.workflows import sweep

    real = sweep.plan_board

    def plan_board(qonnx, board, *args):
        if board.name == "zcu102":
            raise RuntimeError("planner bug\nsecond line")
        return real(qonnx, board, *args)

    monkeypatch.setattr(sweep, "plan_board", plan_board)
    out = tmp_path / "sweep"
    rows = sweep.run_sweep(sweep.grid(["pynq-z2", "zcu102"]), out, str(tiny_onnx))
    assert rows[0]["error"] is None and rows[0]["fits"]
    folder = Cell("zcu102", None, "auto").folder
    log_name = f"cells/{folder}/error.log"
    assert rows[1]["error"] == f"RuntimeError: planner bug\\nsecond line (traceback: {log_name})"
    trace = (out / log_name).read_text()
    assert trace.startswith("zcu102, board clock, sparse auto\n\nTraceback")
    assert "in plan_cell" in trace and trace.rstrip().endswith("second line")
    assert log_name in (out / "table.md").read_text()
    assert not (out / "cells" / Cell("pynq-z2", None, "auto").folder).exists()
