"""Small leftovers of issue #26: a board file's ``source`` is Markdown text on one line in
report.md, board file errors say "board file", and the compression table's folder follows the
marker rule of every other folder fpgagan writes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from fpgagan.errors import BoardError, FolderError
from fpgagan.report.hls_report import HlsReport
from fpgagan.report.render import render_markdown
from tests.conftest import REPO

REPORT = REPO / "tests" / "report" / "data" / "report_latent_pynq-z2.json"
PLANTED = "DS190 [click](https://example.invalid) <img src=x onerror=alert(1)>\n# Owned | *x* `y`"


def test_a_board_source_is_escaped_markdown_on_one_line():
    r = HlsReport.from_json(json.loads(REPORT.read_text()))
    r = dataclasses.replace(r, board=dataclasses.replace(r.board, source=PLANTED))
    md = render_markdown(r)
    (line,) = [ln for ln in md.splitlines() if ln.startswith("- Board:")]
    assert "DS190 \\[click\\](https://example.invalid) &lt;img src=x onerror=alert(1)&gt;" in line
    assert "\\n# Owned \\| \\*x\\* \\`y\\`" in line
    assert "<img" not in md and "\n# Owned" not in md


def test_board_file_errors_say_board_file(tmp_path):
    from fpgagan.boards import load_board_file

    board = tmp_path / "myboard.yaml"
    board.write_text("name: myboard\nunknown_key: 1\n")
    with pytest.raises(BoardError) as exc:
        load_board_file(board)
    assert "config file" not in str(exc.value)
    board.write_bytes(b"name: \xff\xfe\n")
    with pytest.raises(BoardError, match="board file") as exc:
        load_board_file(board)
    assert "config file" not in str(exc.value)


class _NoWork:
    """An executor that fails the test if any task is started."""

    name = "no-work"

    def gpus(self) -> float:
        return 0.0

    def run(self, tasks):
        raise AssertionError("work started before the output folder was checked")


def test_the_compression_folder_is_refused_when_the_user_made_it(tmp_path):
    from fpgagan.workflows.compression import run_compression

    out = tmp_path / "results"
    out.mkdir()
    (out / "thesis.tex").write_text("mine")
    with pytest.raises(FolderError, match="holds files fpgagan did not make"):
        run_compression(
            [REPO / "configs" / "tiny.yaml"], out, tmp_path / "runs", executor=_NoWork()
        )
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]
    # a new folder is made and marked as the compression table's (then the work starts)
    with pytest.raises(AssertionError, match="work started"):
        run_compression(
            [REPO / "configs" / "tiny.yaml"],
            tmp_path / "new",
            tmp_path / "runs",
            executor=_NoWork(),
        )
    assert (Path(tmp_path / "new") / ".fpgagan-owned").is_file()
