from __future__ import annotations

import pytest

from fpgagan.boards import get_board, known_boards, load_board_file
from fpgagan.errors import BoardError
from tests.conftest import REPO

REPO_BOARDS = REPO / "boards"

REQUIRED = {"pynq-z2", "ultra96v2", "zcu104", "kv260", "zcu102", "alveo-u250"}


def test_required_boards_are_shipped_and_load():
    assert set(known_boards()) >= REQUIRED
    for name in known_boards():
        board = get_board(name)
        assert (
            board.name == name
            and board.resources.lut > 0
            and board.resources.dsp > 0
            and board.source
        )


def test_pynq_z2_matches_the_data_sheet():
    r = get_board("pynq-z2").resources
    assert (get_board("pynq-z2").part, r.lut, r.ff, r.dsp, r.bram_18k) == (
        "xc7z020clg400-1",
        53_200,
        106_400,
        220,
        280,
    )


def test_unknown_board_lists_the_known_ones():
    with pytest.raises(
        BoardError, match=r"unknown board 'pynq-z3' \(known boards: .*pynq-z2.*zcu104"
    ):
        get_board("pynq-z3")


def test_board_files_are_strict(tmp_path):
    bad = tmp_path / "myboard.yaml"
    bad.write_text(
        "name: myboard\npart: x\nclock_mhz: 100\nresources: {lut: 1, ff: 1, dsp: 1, bram_18k: 1, luts: 3}\n"
        "backend: Vitis\ninterface: axi_stream\nsource: me\n"
    )
    with pytest.raises(BoardError, match="unknown key 'luts'"):
        load_board_file(bad)


def test_every_board_is_a_vitis_hls_project(tmp_path):
    for name in known_boards():
        board = get_board(name)
        assert (board.backend, board.hls_tool) == ("Vitis", "vitis_hls")
    record = (REPO_BOARDS / "pynq-z2.yaml").read_text()
    for old, new in (
        ("backend: Vitis", "backend: VivadoAccelerator"),
        ("backend: Vitis", "backend: Vivado"),
        ("hls_tool: vitis_hls", "hls_tool: vivado_hls"),
    ):
        path = tmp_path / "pynq-z2.yaml"
        path.write_text(record.replace(old, new))
        with pytest.raises(BoardError) as exc:
            load_board_file(path)
        message = str(exc.value)
        assert message.startswith(f"{path}: ") and "\n" not in message
        assert "fpgagan generates Vitis HLS projects" in message
    path.write_text(record.replace("hls_tool: vitis_hls\n", ""))
    assert load_board_file(path).hls_tool == "vitis_hls"  # the default
