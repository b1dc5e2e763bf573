"""Memory mapping formulas (7-series primitives) and the binding rule the wrappers follow."""

from __future__ import annotations

import pytest

from fpgagan.hw import storage as S


@pytest.mark.parametrize(
    "depth, width, brams",
    [
        (512, 36, 1),  # one RAMB18E1 in SDP 512x36
        (1024, 18, 1),
        (16384, 1, 1),
        (513, 36, 2),
        (256, 2048, 57),  # width-bound: ceil(2048 / 36)
        (49 * 64, 4, 1),  # 3136 x 4 fits the 4Kx4 shape
        (8192, 9, 4),  # 2Kx9 four times
    ],
)
def test_bram18_takes_the_cheapest_aspect_ratio(depth, width, brams):
    assert S.bram18(depth, width) == brams


def test_lutram_and_lut_rom_formulas():
    assert S.lutram_luts(32, 6) == 4  # one RAM32M
    assert S.lutram_luts(14, 1024) == 4 * 171  # ceil(1024 / 6) RAM32Ms
    assert S.lutram_luts(64, 3) == 4  # one RAM64M
    assert S.lut_rom_luts(64, 10) == 10  # a LUT6 per bit
    assert S.lut_rom_luts(256, 1) == 4  # F7/F8 join four LUTs
    assert S.lut_rom_luts(512, 1) == 8 + 1  # plus a LUT mux beyond 256 deep


def test_binding_rule():
    assert S.choose("x", 4, 32, rom=False).impl == "registers"  # tiny
    assert S.choose("lb", 14, 1024, rom=False).impl == "lutram"  # shallow
    assert S.choose("w", 256, 2048, rom=True).impl == "bram"  # deep and wide
    shallow_rom = S.choose("w", 49, 512, rom=True)
    assert shallow_rom.impl == "lutram" and shallow_rom.lut == 512
    assert S.choose("w", 49, 512, rom=True, prefer_bram=True).impl == "bram"
    wide = S.choose("w", 64, 8192, rom=True)  # shallow but too many LUTs: BRAM
    assert wide.impl == "bram" and wide.bram_18k == S.bram18(64, 8192)


def test_every_memory_names_its_formula():
    for impl in S.IMPLS:
        for rom in (False, True):
            m = S.cost("m", 100, 20, rom, impl)
            assert m.source.startswith("formula:") and m.bits == 2000
