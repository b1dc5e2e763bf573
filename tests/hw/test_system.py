"""The system around the accelerator: every board family gets its items, each with a source; the
vendor IP counts the measured open equivalents of system_ip_costs.json; the shell counts what
nnet_fg_axis.h builds; the plan's totals and usage are accelerator + system; a board the system
alone overfills is refused; the measuring script skips cleanly without the library or yosys;
off-chip weight ports add their read masters, address registers and interconnect growth, and
nothing when there are none."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from fpgagan.boards import get_board, known_boards
from fpgagan.errors import BoardError
from fpgagan.hw import system
from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import RESOURCES, Res
from fpgagan.hw.plan import UTILISATION, available, evaluate, make_plan
from fpgagan.hw.system import shell_iterations, values_per_beat
from tools import calibrate_system_ip as csi

FAMILIES = {
    "pynq-z2": system.Family.ZYNQ7,
    "ultra96v2": system.Family.ZYNQMP,
    "kv260": system.Family.ZYNQMP,
    "zcu102": system.Family.ZYNQMP,
    "zcu104": system.Family.ZYNQMP,
    "alveo-u250": system.Family.ALVEO,
}
SOURCES = ("yosys:", "formula", "vendor:", system.MEASURED_OPEN, system.NOT_COUNTED)
# the vendor IP of a Zynq design: item prefix -> system_ip_costs.json key, AMD's guide
VENDOR_IP = {
    "AXI DMA": ("axi_dma", "PG021"),
    "SmartConnect DMA": ("mem_interconnect", "PG247"),
    "SmartConnect PS": ("ctrl_interconnect", "PG247"),
    "proc_sys_reset": ("proc_sys_reset", "PG164"),
}


def _items(board_name: str) -> tuple:
    return system.system_items(
        get_board(board_name),
        in_bits=8,
        out_bits=8,
        in_values=100,
        out_values=784,
        processes=5,
        in_elem_values=100,
        out_elem_values=1,
    )


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_every_board_family_gets_its_system_with_sources(name):
    assert system.family(get_board(name)) is FAMILIES[name]
    items = _items(name)
    whats = [it.what for it in items]
    assert all(it.source.startswith(SOURCES) for it in items), items
    assert any(w.startswith("shell input element shift register") for w in whats)
    assert any(w.startswith("shell output AXI4-Stream register slice") for w in whats)
    assert any(w.startswith("HLS ap_ctrl handshake") for w in whats)
    if FAMILIES[name] is system.Family.ALVEO:
        assert any("Alveo platform shell" in w for w in whats)
        assert not any("processing system" in w for w in whats)
    else:
        ps = "PS7" if FAMILIES[name] is system.Family.ZYNQ7 else "PS8"
        assert any(ps in w for w in whats)
        assert any(w.startswith("AXI DMA") for w in whats)
        assert any(w.startswith("proc_sys_reset") for w in whats)
    # a hard block or the Alveo platform's static region counts nothing; nothing is unsourced
    for it in items:
        if it.source.startswith((system.NOT_COUNTED, "vendor:")):
            assert it.total == Res(), it
    assert system.unsourced(items) == []
    assert system.total(items).lut > 0 and system.total(items).ff > 0


@pytest.mark.parametrize("name", ["pynq-z2", "zcu104"])
def test_vendor_ip_counts_the_measured_open_equivalents(name):
    """Each vendor item is its system_ip_costs.json figure, the source names the open design, its
    commit and AMD's guide, and says it is not AMD's netlist."""
    table = system.ip_table()
    commit = table["library"]["commit"][:12]
    items = {it.what: it for it in _items(name)}
    for prefix, (key, guide) in VENDOR_IP.items():
        (it,) = [it for w, it in items.items() if w.startswith(prefix)]
        counts = table["ip"][key]["counts"]
        assert it.count == 1
        assert it.unit == Res(counts["lut"], counts["ff"], counts["dsp"], counts["bram_18k"])
        assert it.unit.lut > 0 and it.unit.ff > 0, it
        assert it.source.startswith(system.MEASURED_OPEN), it.source
        assert guide in it.source and "not AMD's netlist" in it.source
        assert table["yosys_version"] in it.source and table["ip"][key]["config"] in it.source
        if table["ip"][key]["library_module"]:
            assert f"{table['library']['repo']}@{commit}" in it.source
    # the DMA's register block is part of the DMA's figure, not counted again
    assert table["ip"]["axi_dma"]["counts"]["ff"] > table["ip"]["axi_dma_registers"]["counts"]["ff"]
    assert not any("register block" in w for w in items)


def test_zynq_and_zynq_ultrascale_share_the_7_series_figures():
    z7 = [it for it in _items("pynq-z2") if it.source.startswith(system.MEASURED_OPEN)]
    zu = [it for it in _items("kv260") if it.source.startswith(system.MEASURED_OPEN)]
    assert [it.unit for it in z7] == [it.unit for it in zu] and len(z7) == len(VENDOR_IP)
    assert all("UltraScale+" in it.source and "7 series" in it.source for it in zu)


def test_the_alveo_static_region_is_explicitly_not_counted():
    (shell,) = [it for it in _items("alveo-u250") if "Alveo platform shell" in it.what]
    assert shell.source.startswith(system.NOT_COUNTED) and shell.total == Res()
    assert "static region" in shell.source and "dynamic region" in shell.source


def test_every_shipped_board_has_a_known_family():
    assert set(known_boards()) <= set(FAMILIES)


def _shell(side, width, values, elem):
    return {it.what: it for it in system.shell_side_items(side, width, values, elem)}


def test_the_shell_counts_the_shift_registers_of_nnet_fg_axis():
    """8-bit values, 8 a beat.  Input, 64 values an element: a step is a whole beat, so no beat
    register; the element's 512 bits shift every cycle (no select).  Input, 1 value an element:
    the beat register loads or shifts (a 2:1 select per bit), no element register."""
    wide = _shell("input", 8, 64, 64)
    assert wide["shell input element shift register (64 x 8 bits)"].total == Res(ff=512.0)
    assert not any("beat shift" in w or "select (512" in w for w in wide)
    assert "shell input loop counter (8 steps, TLAST)" in wide
    assert "shell input element stream 2 x 512" in wide
    narrow = _shell("input", 8, 100, 1)
    assert narrow["shell input beat shift register (64 bits)"].total == Res(ff=64.0)
    assert "shell input beat load/shift select (64 bits, 2:1)" in narrow
    assert not any("element shift" in w for w in narrow)


def test_the_shell_output_loads_its_element_and_shifts_its_beat():
    """Output, 12 values an element of 8 bits (wider than a beat): four values a step; the
    element register loads or shifts (a select per bit), the beat register only shifts; 100
    values leave a last beat of 4 that is moved down (a select per bit)."""
    out = _shell("output", 8, 100, 12)
    assert out["shell output element shift register (12 x 8 bits)"].total == Res(ff=96.0)
    assert "shell output element load/shift select (96 bits, 2:1)" in out
    assert out["shell output beat shift register (64 bits)"].total == Res(ff=64.0)
    assert "shell output last-beat shift select (64 bits, 2:1)" in out
    assert "shell output last-beat shift select (64 bits, 2:1)" not in _shell("output", 8, 96, 12)
    # 64-bit values: one a beat, no beat register, no select
    assert not any("beat" in w for w in _shell("output", 64, 100, 1) if "slice" not in w)


def test_rgb_pixels_travel_whole_a_pixel_a_cycle():
    """Three 8-bit values an element: two whole pixels a beat (48 of its 64 bits), so a step is
    a pixel and no element register is built; the shell's loop takes a cycle per pixel."""
    out = _shell("output", 8, 96, 3)
    assert not any("element shift register" in w for w in out)
    assert out["shell output beat shift register (48 bits)"].total == Res(ff=48.0)
    assert values_per_beat(3, 8) == 6 and values_per_beat(1, 8) == 8
    assert values_per_beat(12, 8) == 8  # wider than a beat: as many values as fit
    assert shell_iterations(1280 * 720 * 3, 3, 8) == 1280 * 720
    assert shell_iterations(100, 100, 8) == 25  # a latent of 100 values: 4 a step


def test_every_shell_port_has_its_axis_register_slice():
    for side in ("input", "output"):
        items = _shell(side, 8, 100, 1)
        regs = items[f"shell {side} AXI4-Stream register slice registers (2 x 65: TDATA + TLAST)"]
        assert regs.total == Res(ff=130.0)


def test_system_totals_add_up():
    items = _items("pynq-z2")
    expected = Res()
    for it in items:
        expected = expected + it.unit * it.count
    assert system.total(items) == expected


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


def test_the_measuring_script_skips_without_the_library(tmp_path, capsys):
    table = tmp_path / "table.json"
    assert csi.main([str(tmp_path / "no-library"), "--table", str(table)]) == 0
    assert "skipped" in capsys.readouterr().out and not table.exists()


def test_the_measuring_script_skips_without_yosys(tmp_path, capsys, monkeypatch):
    lib = tmp_path / "verilog-axi"
    (lib / "rtl").mkdir(parents=True)
    (lib / "rtl" / "axi_dma.v").write_text("module axi_dma; endmodule\n")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    table = tmp_path / "table.json"
    assert csi.main([str(lib), "--table", str(table)]) == 0
    assert "skipped: yosys not found" in capsys.readouterr().out and not table.exists()


def test_the_table_is_what_the_script_writes():
    """Every entry names its configuration and the yosys script that measured it."""
    table = json.loads((Path(system.__file__).parent / system.IP_TABLE_FILE).read_text())
    assert set(table["ip"]) == {ip.key for ip in csi.IPS}
    for ip in csi.IPS:
        entry = table["ip"][ip.key]
        assert entry["script"] == csi.script(ip) and entry["config"] == ip.config


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_the_reset_block_re_synthesises_to_its_table_figure(tmp_path):
    """fpgagan's own proc_sys_reset needs no library: re-measure it (a second or so)."""
    (ip,) = [ip for ip in csi.IPS if ip.key == "proc_sys_reset"]
    assert not ip.library_files
    got = csi.measure(ip, lib=None)
    assert got["counts"] == system.ip_table()["ip"]["proc_sys_reset"]["counts"]


# ----------------------------------------------------------------------------- weight ports


def test_no_weight_ports_leave_the_system_as_it_was():
    """weight_ports=0 (the default) adds nothing: the figures before off-chip weights."""
    assert system.weight_port_items(get_board("pynq-z2"), 0) == ()
    for name, (lut, ff, n) in {"pynq-z2": (3558, 4770, 22), "alveo-u250": (1169, 2980, 18)}.items():
        items = _items(name)
        assert system.total(items) == Res(lut, ff, 0, 0) and len(items) == n
        again = system.system_items(get_board(name), 8, 8, 100, 784, 5, 100, 1, weight_ports=0)
        assert again == items


@pytest.mark.parametrize("name", ["pynq-z2", "zcu104"])
def test_weight_ports_count_their_masters_registers_and_interconnect(name):
    """Per port a read master and its read buffer (16 outstanding 16-beat bursts); one s_axilite
    block with the first port's address, a register per further port; per port its own HP port's
    SmartConnect (counted as one read-only crossbar slave's growth); once, the control side's
    second AXI4-Lite slave; two more HLS processes per port (fetch and compute)."""
    board = get_board(name)
    table = system.ip_table()["ip"]
    bits = 32 if name == "pynq-z2" else 64  # build_shell.tcl: m_axi_addr64 false on a Zynq 7000

    def res(key):
        c = table[key]["counts"]
        return Res(c["lut"], c["ff"], c["dsp"], c["bram_18k"])

    one, two = system.weight_port_items(board, 1), system.weight_port_items(board, 2)
    assert all(it.source.startswith(SOURCES) for it in one + two)
    assert all(it.total.lut >= 0 and it.total.ff >= 0 for it in one + two)
    master = [it for it in two if it.what.startswith("weight port AXI4 read master")]
    (buffer,) = [it for it in two if "read buffer" in it.what]
    assert [it.count for it in master] == [2] and master[0].unit == res(f"axi_read_master_a{bits}")
    assert f"{bits}-bit addresses" in master[0].what and "not AMD's netlist" in master[0].source
    assert buffer.count == 2 and "UG1399" in buffer.source and "16 x 16" in buffer.source
    assert buffer.unit == Res.of_unit(U.ram(16 * 16, 64))  # the shell's num_read_outstanding=16
    regs = [it for it in two if "base-address registers" in it.what]
    assert system.total(regs) == res(f"weight_port_regs_2_a{bits}")
    (xbar,) = [it for it in two if it.what.startswith("SmartConnect weight port")]
    assert xbar.count == 2 and "stand-in" in xbar.what
    assert xbar.unit == res("mem_interconnect_3") + res("mem_interconnect") * -1
    (ctrl,) = [it for it in two if "AXI4-Lite" in it.what and it.what.startswith("SmartConnect")]
    assert ctrl.count == 1 and ctrl.unit == res("ctrl_interconnect_2")
    assert system.total([it for it in one if "base-address" in it.what]) == res(
        f"weight_port_regs_1_a{bits}"
    )
    # the second port costs the per-port items again plus its register and SmartConnect
    growth = (
        master[0].unit
        + buffer.unit
        + xbar.unit
        + res(f"weight_port_regs_2_a{bits}")
        + res(f"weight_port_regs_1_a{bits}") * -1
    )
    assert system.total(two) == system.total(one) + growth
    assert system.total(one).lut > 0 and growth.lut > 0 and growth.ff > 0
    # the system grows by these items and by the ports' HLS control (two processes each)
    with_ports = system.system_items(board, 8, 8, 100, 784, 5, 100, 1, weight_ports=2)
    assert with_ports[-len(two) :] == two
    control = (
        system.total(system.control_items(5 + 2 + 4))
        + system.total(system.control_items(5 + 2)) * -1
    )
    assert system.total(with_ports) == system.total(_items(name)) + system.total(two) + control


def test_the_alveo_weight_port_interconnect_is_the_platforms():
    items = system.weight_port_items(get_board("alveo-u250"), 2)
    (link,) = [it for it in items if "v++ link" in it.what]
    assert link.total == Res() and link.source.startswith(system.NOT_COUNTED)
    assert not any(it.what.startswith("SmartConnect") for it in items)
    assert system.total(items).lut > 0


def test_weight_ports_need_a_board_with_ddr():
    board = dataclasses.replace(get_board("pynq-z2"), ddr=None)
    assert system.weight_port_items(board, 0) == ()
    with pytest.raises(BoardError, match="no ddr block.*2 off-chip weight ports"):
        system.weight_port_items(board, 2)
    with pytest.raises(BoardError, match="no ddr block"):
        system.system_items(board, 8, 8, 100, 784, 5, weight_ports=1)
    with pytest.raises(ValueError, match="n_ports"):
        system.weight_port_items(get_board("pynq-z2"), -1)


@pytest.mark.skipif(shutil.which("yosys") is None, reason="yosys not installed")
def test_the_weight_port_registers_re_synthesise_to_their_table_figure():
    """fpgagan's own s_axilite block needs no library: re-measure one (a second or so)."""
    (ip,) = [ip for ip in csi.IPS if ip.key == "weight_port_regs_1_a32"]
    assert not ip.library_files
    got = csi.measure(ip, lib=None)
    assert got["counts"] == system.ip_table()["ip"]["weight_port_regs_1_a32"]["counts"]


def test_the_docs_show_the_measured_weight_port_figures():
    page = (Path(__file__).resolve().parents[2] / "docs" / "hardware.md").read_text()
    section = page[page.index("**Off-chip weight ports, measured.**") :]
    table = system.ip_table()["ip"]
    for key in ("axi_read_master_a32", "axi_read_master_a64", "ctrl_interconnect_2"):
        c = table[key]["counts"]
        assert f"| {c['lut']:,} | {c['ff']:,} | {c['carry4']} | {c['muxf']} |" in section, key
    for keys in (
        ("weight_port_regs_1_a32", "weight_port_regs_1_a64"),
        ("mem_interconnect_3", "mem_interconnect_4"),
    ):
        a, b = (table[k]["counts"] for k in keys)
        assert f"| {a['lut']:,} / {b['lut']:,} | {a['ff']:,} / {b['ff']:,} |" in section, keys
