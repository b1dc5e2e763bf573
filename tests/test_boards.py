from __future__ import annotations

import pytest

from fpgagan.boards import get_board, known_boards, load_board_file
from fpgagan.errors import BoardError

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
