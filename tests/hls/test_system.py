"""The system around the accelerator: every board family gets its items, each with a source; the
plan's totals and usage are accelerator + system; a board the system alone overfills is refused."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

import pytest

from fpgagan.boards import get_board, known_boards
from fpgagan.export import load_qonnx
from fpgagan.hls import system
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.cost import RESOURCES, Res
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hls.plan import UTILISATION, available, evaluate, make_plan
from fpgagan.workflows.hls_flow import default_model_dir

FAMILIES = {
    "pynq-z2": system.Family.ZYNQ7,
    "ultra96v2": system.Family.ZYNQMP,
    "kv260": system.Family.ZYNQMP,
    "zcu102": system.Family.ZYNQMP,
    "zcu104": system.Family.ZYNQMP,
    "alveo-u250": system.Family.ALVEO,
}
SOURCES = ("yosys:", "formula", "vendor:", system.NOT_SOURCED)


@pytest.fixture(scope="module")
def default_layers():
    """The shipped default's engine layers (io_stream), their shapes and raw weights."""
    hw, _ = hardware_graph(load_qonnx(default_model_dir() / "generator.onnx"))
    with tempfile.TemporaryDirectory() as tmp:
        hls = convert(hw, Path(tmp) / "p", HlsOptions(io_type="io_stream"))
    layers = engine_layers(hls)
    return [layer.shape() for layer in layers], {x.name: x.get_attr("raw_mats") for x in layers}


def _items(board_name: str) -> tuple:
    return system.system_items(
        get_board(board_name), in_bits=8, out_bits=8, in_values=100, out_values=784, processes=5
    )


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_board_family_gets_its_system_with_sources(name):
    assert system.family(get_board(name)) is FAMILIES[name]
    items = _items(name)
    whats = [it.what for it in items]
    assert all(it.source.startswith(SOURCES) for it in items), items
    assert any(w.startswith("shell input beat register") for w in whats)
    assert any(w.startswith("HLS ap_ctrl handshake") for w in whats)
    if FAMILIES[name] is system.Family.ALVEO:
        assert any("Alveo platform shell" in w for w in whats)
        assert not any("processing system" in w for w in whats)
    else:
        ps = "PS7" if FAMILIES[name] is system.Family.ZYNQ7 else "PS8"
        assert any(ps in w for w in whats)
        assert any(w.startswith("AXI DMA") for w in whats)
        assert any(w.startswith("proc_sys_reset") for w in whats)
    # a hard block or an unsourced figure counts nothing; the measured shell counts something
    for it in items:
        if it.source.startswith((system.NOT_SOURCED, "vendor:")):
            assert it.total == Res(), it
    assert system.total(items).lut > 0 and system.total(items).ff > 0


def test_every_shipped_board_has_a_known_family():
    assert set(known_boards()) <= set(FAMILIES)


def test_the_shell_follows_the_stream_widths():
    """floor(64 / W) values a beat: 8-bit values need an 8:1 select, 64-bit ones none."""
    narrow = {it.what: it for it in system.shell_items(8, 8, 100, 100)}
    wide = {it.what: it for it in system.shell_items(64, 64, 100, 100)}
    assert "shell input value select 8:1" in narrow
    assert not any("value select" in w for w in wide)
    assert narrow["shell input beat register (64 bits)"].total == Res(ff=64.0)


def test_system_totals_add_up():
    items = _items("pynq-z2")
    expected = Res()
    for it in items:
        expected = expected + it.unit * it.count
    assert system.total(items) == expected
    assert system.unsourced(items) == [
        it for it in items if it.source.startswith(system.NOT_SOURCED)
    ]


def test_the_plan_counts_accelerator_plus_system(default_layers):
    shapes, _ = default_layers
    board = get_board("pynq-z2")
    plan = evaluate(shapes, board)
    assert plan.system and plan.system_totals.lut > 0
    whole = plan.accelerator_totals + plan.system_totals
    avail = available(board)
    for k in RESOURCES:
        assert getattr(whole, k) == pytest.approx(getattr(plan.totals, k))
        assert plan.usage[k] == pytest.approx(getattr(plan.totals, k) / avail[k])
    assert plan.totals.lut > plan.accelerator_totals.lut


def test_a_board_the_system_alone_overfills_is_not_fitting(default_layers):
    shapes, raw = default_layers
    pynq = get_board("pynq-z2")
    sys_lut = evaluate(shapes, pynq).system_totals.lut
    # a board whose LUT cap is below the system alone
    tiny = dataclasses.replace(
        pynq,
        name="tiny",
        resources=dataclasses.replace(pynq.resources, lut=int(sys_lut / UTILISATION["lut"]) - 1),
    )
    plan = make_plan(shapes, raw, tiny)
    assert not plan.fits and plan.limiting == "lut"
    assert plan.system_totals.lut > UTILISATION["lut"] * tiny.resources.lut
