"""The measured unit-cost table: provenance, full grid, the reader's lookup rules, the packed-DSP
identity, and (with yosys on PATH) a re-synthesis that must reproduce the table exactly."""

from __future__ import annotations

import itertools
import shutil
import subprocess

import pytest

from fpgagan.hw import unit_costs as uc
from fpgagan.hw.unit_costs import UnitCost
from tools import calibrate_costs as cc

FIELDS = ("lut", "ff", "carry4", "dsp", "bram_18k", "muxf")
SIGNS = ("s", "u")
POW2 = (2, 4, 8, 16, 32, 64, 128, 256, 512)
MEM_D = (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
MEM_W = (1, 4, 8, 16, 32, 36, 64, 128)
RESYNTH = (
    "mult_fabric w4 a8u",
    "accumulator n19",
    "adder_tree k8 b12 pipelined",
    "mux k16 b8",
    "dsp_pair_extract w4 a8u",
)


def brief_grid() -> set[str]:
    """Every unit the table must hold, written out independently of the calibration script."""
    names = {f"mult_fabric w{w} a{a}{s}" for w in range(1, 9) for a in range(2, 9) for s in SIGNS}
    names |= {f"mult_dsp w{w} a8{s}" for w in (4, 8) for s in SIGNS}
    names |= {f"mult_dsp w{w} a{w}{s}" for w in (12, 16, 18) for s in SIGNS}
    names |= {f"mult_const w{w} a{a}{s}" for w in (2, 3, 4, 8) for a in (4, 8) for s in SIGNS}
    names |= {f"mac w{w} a{a}u n{n}" for w, a in ((4, 8), (2, 8), (8, 8)) for n in range(12, 33, 4)}
    names |= {f"accumulator n{n}" for n in range(4, 49)}
    names |= {
        f"adder_tree k{k} b{b} {v}"
        for k in POW2
        for b in (6, 8, 10, 12, 14, 16)
        for v in ("comb", "pipelined")
    }
    names |= {
        f"output_unit {kind} n{n} m{m} f{f}"
        for kind in ("relu_u", "linear_s")
        for n in (12, 16, 20, 24, 28, 32, 40, 48)
        for m in (4, 8)
        for f in (4, 8)
    }
    names |= {f"dsp_packed_pair w{w} a8{s}" for w in (2, 3, 4) for s in SIGNS}
    names |= {
        f"dsp_pair_extract w{w} a{a}{s}" for w in range(1, 5) for a in range(2, 9) for s in SIGNS
    }
    names |= {f"mux k{k} b{b}" for k in (*POW2, 1024) for b in (1, 8)}
    names |= {f"counter b{b}" for b in range(2, 17)}
    names |= {f"{kind} d{d} w{w}" for kind in ("ram_sdp", "rom") for d in MEM_D for w in MEM_W}
    names |= {f"fifo_srl d{d} w{w}" for d in (2, 4, 8, 16, 32, 64) for w in (1, 8, 64)}
    return names


def stored(name: str) -> dict:
    return cc.table_entries(uc.table())[name]


def counts(name: str) -> tuple[float, ...]:
    return tuple(float(stored(name)["counts"][f]) for f in FIELDS)


def mix(a: tuple[float, ...], b: tuple[float, ...], t: float) -> tuple[float, ...]:
    return tuple(max(0.0, x + (y - x) * t) for x, y in zip(a, b, strict=True))


# ---------------------------------------------------------------------------- the table


def test_table_records_yosys_and_command():
    t = uc.table()
    assert t["yosys_version"].startswith("Yosys ")
    assert "synth_xilinx -family xc7 -flatten -top" in t["command"] and "stat" in t["command"]
    assert t["script"] == cc.SCRIPT and t["date"]
    assert t["note"] == cc.NOTE and "upper bounds" in t["note"]
    assert t["lut_cells"]["RAM32M"] == 4 and t["lut_cells"]["SRLC32E"] == 1
    assert uc.provenance()["yosys_version"] == t["yosys_version"]
    for kind in t["units"].values():
        assert kind["description"]


def test_every_grid_point_is_measured():
    t = uc.table()
    have = set(cc.table_entries(t))
    assert t["dropped"] == []
    assert sorted(brief_grid() - have) == []
    assert have == {u.name for u in cc.all_units()}


def test_entries_are_consistent():
    for name, e in cc.table_entries(uc.table()).items():
        if "cells" in e:  # counts follow from the cells by the stated mapping
            assert e["counts"] == cc.counts(e["cells"]), name
        else:
            assert all(e["min"][f] <= e["counts"][f] <= e["max"][f] for f in FIELDS), name


def test_memories_record_what_yosys_chose():
    for name, e in cc.table_entries(uc.table()).items():
        if name.startswith(("ram_sdp", "rom")):
            assert e["mapped_to"] in ("block RAM", "LUT RAM", "registers", "logic"), name
            assert (e["mapped_to"] == "block RAM") == (e["counts"]["bram_18k"] > 0), name


# ---------------------------------------------------------------------------- the reader


def test_grid_points_are_the_entries():
    cost = uc.mult_fabric(4, 8, False)
    assert cost.values == counts("mult_fabric w4 a8u")
    assert cost.source == f"{cc_prefix()} unit mult_fabric w4 a8u"
    assert uc.accumulator(19).values == counts("accumulator n19")
    assert uc.adder_tree(8, 12).values == counts("adder_tree k8 b12 pipelined")
    assert uc.adder_tree(8, 12, pipelined=False).values == counts("adder_tree k8 b12 comb")
    assert uc.mult_dsp(4, 8, True).values == counts("mult_dsp w4 a8s")
    assert uc.mult_const(3, 8, False).values == counts("mult_const w3 a8u")
    assert uc.mac(2, 8, 24).values == counts("mac w2 a8u n24")
    assert uc.output_unit("linear_s", 24, 4, 8).values == counts("output_unit linear_s n24 m4 f8")
    assert uc.dsp_packed_pair(4, False).values == counts("dsp_packed_pair w4 a8u")
    assert uc.mux(1024, 1).values == counts("mux k1024 b1")
    assert uc.counter(9).values == counts("counter b9")
    assert uc.ram(512, 36).values == counts("ram_sdp d512 w36")
    assert uc.ram(512, 36, rom=True).values == counts("rom d512 w36")
    assert uc.fifo_srl(32, 8).values == counts("fifo_srl d32 w8")
    assert uc.entry("counter", b=9).values == counts("counter b9")


def cc_prefix() -> str:
    return " ".join(uc.table()["yosys_version"].split()[:2]).lower()


def test_widths_between_grid_points_interpolate_linearly_as_floats():
    lo, hi = counts("output_unit relu_u n16 m8 f8"), counts("output_unit relu_u n20 m8 f8")
    cost = uc.output_unit("relu_u", 19, 8, 8)
    assert cost.values == mix(lo, hi, 0.75)
    assert "interpolated in n from n16, n20" in cost.source
    # two axes, one after the other: m between 4 and 8 at each of n16 and n20
    m6 = [
        mix(counts(f"output_unit relu_u n{n} m4 f8"), counts(f"output_unit relu_u n{n} m8 f8"), 0.5)
        for n in (16, 20)
    ]
    assert uc.output_unit("relu_u", 18, 6, 8).values == pytest.approx(mix(*m6, 0.5), abs=1e-12)
    w6 = mix(counts("mac w4 a8u n16"), counts("mac w8 a8u n16"), 0.5)
    assert uc.mac(6, 8, 16).values == w6


def test_beyond_the_grid_extrapolates_from_the_last_two_points():
    n47, n48 = counts("accumulator n47"), counts("accumulator n48")
    assert uc.accumulator(50).values == mix(n47, n48, 3.0)
    assert "extrapolated in n from n47, n48" in uc.accumulator(50).source
    a2, a3 = counts("mult_fabric w4 a2s"), counts("mult_fabric w4 a3s")
    assert uc.mult_fabric(4, 1, True).values == mix(a2, a3, -1.0)  # clamped at 0 where negative
    assert min(uc.mult_fabric(1, 1, True).values) >= 0
    k256, k512 = counts("adder_tree k256 b8 comb"), counts("adder_tree k512 b8 comb")
    assert uc.adder_tree(1024, 8, pipelined=False).values == mix(k256, k512, 3.0)


def test_tree_and_mux_inputs_round_up_to_a_power_of_two():
    assert uc.adder_tree(5, 12).values == counts("adder_tree k8 b12 pipelined")
    assert "k rounded up to 8" in uc.adder_tree(5, 12).source
    assert uc.mux(9, 8).values == counts("mux k16 b8")
    assert uc.mux(1, 8) == UnitCost.zero(uc.mux(1, 8).source) and uc.adder_tree(1, 8).lut == 0


def test_mux_width_is_linear_through_b1_and_b8():
    b1, b8 = counts("mux k32 b1"), counts("mux k32 b8")
    assert uc.mux(32, 4).values == mix(b1, b8, 3 / 7)
    assert uc.mux(32, 16).values == mix(b1, b8, 15 / 7)


def test_off_grid_rules_for_dsp_mac_and_memories():
    s8, s12 = counts("mult_dsp w8 a8u"), counts("mult_dsp w12 a12u")
    assert uc.mult_dsp(10, 6, False).values == mix(s8, s12, 0.5)  # the square of side 10
    ours = uc.mac(4, 6, 20).values
    parts = zip(
        counts("mac w4 a8u n20"),
        counts("mult_fabric w4 a6u"),
        counts("mult_fabric w4 a8u"),
        strict=True,
    )
    assert ours == tuple(max(0.0, m + a - b) for m, a, b in parts)
    assert uc.ram(100, 10).values == counts("ram_sdp d128 w16")  # next depth and width up
    assert uc.ram(17, 1, rom=True).values == counts("rom d32 w1")
    two = (2 * uc.entry("ram_sdp", d=4096, w=8) + uc.mux(2, 8)).values
    assert uc.ram(8192, 8).values == two
    assert uc.ram(16, 200).values == (2 * uc.entry("ram_sdp", d=16, w=128)).values
    assert uc.fifo_srl(5, 3).values == counts("fifo_srl d8 w8")
    assert uc.fifo_srl(100, 8).values == (2 * uc.entry("fifo_srl", d=64, w=8)).values
    with pytest.raises(ValueError):
        uc.ram(0, 8)


def test_unknown_kinds_raise_key_error_naming_the_kind_and_the_table():
    with pytest.raises(KeyError, match=r"'nonsense'.*unit_costs\.json"):
        uc.entry("nonsense", w=4)
    with pytest.raises(KeyError, match=r"'relu_s'.*unit_costs\.json"):
        uc.output_unit("relu_s", 20, 8, 8)
    with pytest.raises(KeyError, match="unit_costs.json"):
        uc.entry("counter", b=99)


def test_unit_costs_add_and_scale():
    a = UnitCost(1, 2, 3, 4, 5, 6, "a")
    b = UnitCost(0.5, 0, 1, 0, 0, 2, "b")
    assert (a + b).values == (1.5, 2, 4, 4, 5, 8) and (a + b).source == "a + b"
    assert (3 * a).values == (3, 6, 9, 12, 15, 18) and (a * 3).source == "3 x a"
    assert (a * 0.5).lut == 0.5
    assert sum([a, b]).values == (a + b).values
    assert (2 * (a + b)).source == "2 x (a + b)"
    with pytest.raises(TypeError):
        a * "2"  # noqa: B018


# ---------------------------------------------------------------------------- packed DSP


@pytest.mark.parametrize("w", [2, 3, 4])
@pytest.mark.parametrize("a_signed", [True, False])
def test_packed_dsp_pair_extraction_is_exact(w, a_signed):
    """a * (w2 * 2^18 + w1): p1 = sext(P[17:0]) is a*w1 and (P - p1) >>> 18 is a*w2, always."""
    weights = range(-(1 << (w - 1)), 1 << (w - 1))
    acts = range(-128, 128) if a_signed else range(256)
    width = w + 19  # the packed operand's width in the Verilog
    assert f"[{width - 1}:0] packed" in cc.v_dsp_packed_pair(w, 8, a_signed)
    for w1, w2 in itertools.product(weights, weights):
        packed = w2 * (1 << 18) + w1
        assert -(1 << (width - 1)) <= packed < 1 << (width - 1)
        for a in acts:
            p = a * packed
            low = p & ((1 << 18) - 1)
            p1 = low - (1 << 18) if low >> 17 else low
            p2 = (p - p1) >> 18
            assert (p1, p2) == (a * w1, a * w2), (w1, w2, a)


def test_packed_operand_needs_w_plus_19_bits():
    # w2 = -8, w1 = -1 is below the 22-bit range: w + 18 bits would wrap
    assert -8 * (1 << 18) - 1 < -(1 << 21)


# ---------------------------------------------------------------------------- yosys


def _yosys_version() -> str | None:
    if shutil.which("yosys") is None:
        return None
    return subprocess.run(["yosys", "-V"], capture_output=True, text=True).stdout.strip()


@pytest.mark.skipif(
    shutil.which("yosys") is None, reason="yosys not installed (make calibrate-costs)"
)
def test_resynthesis_reproduces_the_table():
    if _yosys_version() != uc.table()["yosys_version"]:
        pytest.skip(
            f"the table is from {uc.table()['yosys_version']}, yosys here is {_yosys_version()}"
        )
    units = [u for u in cc.all_units() if u.name in RESYNTH]
    measured, dropped = cc.measure_units(units, jobs=2, limit_s=None)
    assert dropped == [] and sorted(measured) == sorted(RESYNTH)
    for name, entry in measured.items():
        assert entry == stored(name), name


def test_docs_show_the_table():
    page = (cc.REPO / "docs" / "hardware.md").read_text()
    assert cc.markdown(uc.table()) in page, (
        "run: .venv/bin/python tools/calibrate_costs.py --markdown"
    )
