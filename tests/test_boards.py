from __future__ import annotations

import dataclasses

import pytest

from fpgagan.boards import DDR_PORT_BITS, Ddr, get_board, known_boards, load_board_file
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


# ----------------------------------------------------------------------------- DDR

DDR_BLOCK = (
    "ddr:\n  peak_gb_s: {peak}\n  sustained_gb_s: {sustained}\n  port_bits: {bits}\n"
    "  source: {source}\n"
)


def _board_with_ddr(tmp_path, **ddr):
    """pynq-z2's board file with its ddr block replaced by ``ddr``'s fields."""
    record = (REPO_BOARDS / "pynq-z2.yaml").read_text()
    head = record[: record.index("ddr:")]
    fields = {"peak": 2.1, "sustained": 1.5, "bits": 64, "source": "'a data sheet'"} | ddr
    path = tmp_path / "pynq-z2.yaml"
    path.write_text(head + DDR_BLOCK.format(**fields))
    return path


def test_every_shipped_board_has_its_ddr_with_a_source():
    for name in known_boards():
        ddr = get_board(name).ddr
        assert ddr is not None, name
        assert ddr.source.strip() and "peak" in ddr.source, name
        assert 0 < ddr.sustained_gb_s <= ddr.peak_gb_s, name
        assert ddr.port_bits in DDR_PORT_BITS, name
        # an assumed efficiency says so
        if ddr.sustained_gb_s < ddr.peak_gb_s:
            assert "assumed" in ddr.source and "not measured" in ddr.source, name


def test_the_ddr_figures_are_the_data_sheets_arithmetic():
    """peak = bus bits x MT/s / 8; the figures each board's source states."""
    expected = {  # (bus bits, MT/s, port bits)
        "pynq-z2": (16, 1050, 64),
        "zcu102": (64, 2133, 128),
        "zcu104": (64, 2133, 128),
        "kv260": (64, 2400, 128),
        "ultra96v2": (32, 1066, 128),
        "alveo-u250": (64, 2400, 512),
    }
    assert set(expected) == set(known_boards())
    for name, (bus, rate, bits) in expected.items():
        ddr = get_board(name).ddr
        assert ddr.peak_gb_s == pytest.approx(bus * rate * 1e6 / 8 / 1e9, abs=0.005), name
        assert ddr.port_bits == bits, name


def test_ddr_bytes_per_cycle():
    # PYNQ-Z2 at 100 MHz: 1.575 GB/s is 15.75 bytes a cycle, the 64-bit HP port takes 8
    pynq = get_board("pynq-z2")
    assert pynq.ddr_bytes_per_cycle == 8.0
    # Alveo U250 at 300 MHz: 14.4 GB/s is 48 bytes a cycle, under the 512-bit port's 64
    u250 = get_board("alveo-u250")
    assert u250.ddr_bytes_per_cycle == pytest.approx(14.4e9 / 300e6) == pytest.approx(48.0)
    # a slower DDR at a faster clock: the DDR limits
    slow = dataclasses.replace(pynq, clock_mhz=250.0)
    assert slow.ddr_bytes_per_cycle == pytest.approx(1.575e9 / 250e6)
    assert dataclasses.replace(pynq, ddr=None).ddr_bytes_per_cycle == 0.0


@pytest.mark.parametrize(
    "ddr, field",
    [
        ({"peak": 0}, "peak_gb_s"),
        ({"peak": -2.1}, "peak_gb_s"),
        ({"peak": ".inf"}, "peak_gb_s"),
        ({"peak": ".nan"}, "peak_gb_s"),
        ({"peak": "fast"}, "peak_gb_s"),
        ({"sustained": 0.0}, "sustained_gb_s"),
        ({"sustained": 2.5}, "sustained_gb_s"),
        ({"bits": 48}, "port_bits"),
        ({"bits": 64.0}, "port_bits"),
        ({"bits": "true"}, "port_bits"),
        ({"source": "''"}, "source"),
    ],
)
def test_bad_ddr_figures_are_refused_naming_the_field(tmp_path, ddr, field):
    path = _board_with_ddr(tmp_path, **ddr)
    with pytest.raises(BoardError, match=field) as exc:
        load_board_file(path)
    assert str(exc.value).startswith(f"{path}") and "\n" not in str(exc.value)


def test_ddr_blocks_are_strict_and_optional(tmp_path):
    path = _board_with_ddr(tmp_path)
    path.write_text(path.read_text() + "  bandwidth: 3\n")
    with pytest.raises(BoardError, match="unknown key 'bandwidth'"):
        load_board_file(path)
    record = (REPO_BOARDS / "pynq-z2.yaml").read_text()
    path.write_text(record[: record.index("ddr:")])
    board = load_board_file(path)
    assert board.ddr is None and board.ddr_bytes_per_cycle == 0.0


def test_ddr_checks_hold_outside_yaml_too():
    with pytest.raises(ValueError, match="sustained_gb_s"):
        Ddr(peak_gb_s=1.0, sustained_gb_s=2.0, port_bits=64, source="x")
    with pytest.raises(ValueError, match="ddr must be a Ddr"):
        dataclasses.replace(get_board("pynq-z2"), ddr={"peak_gb_s": 1.0})


def test_the_docs_ddr_table_states_every_board_file():
    page = (REPO / "docs" / "hardware.md").read_text()
    section = page[page.index("### DDR bandwidth of each board") :]
    rows = {ln.split("|")[1].strip(): ln for ln in section.splitlines() if ln.startswith("| ")}
    for name in known_boards():
        board = get_board(name)
        cells = [c.strip() for c in rows[name].split("|")[1:-1]]
        assert float(cells[2]) == board.ddr.peak_gb_s, name
        assert float(cells[3]) == board.ddr.sustained_gb_s, name
        assert int(cells[4].split()[0]) == board.ddr.port_bits, name
        assert float(cells[5].split()[0]) == board.ddr_bytes_per_cycle, name
