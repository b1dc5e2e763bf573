"""Each engine layer's generated wrapper (``firmware/weights/fg_<index>.h``) declares the ROMs of
its schedule and no others: dense ``w`` and ``b``; sparse ``w``, ``o``, ``c`` and ``b``; codebook
``w`` (indices), ``b`` and ``k`` (the values, registers), and hands exactly those to the kernel
as the schedule's ROM set; every pragma names an array the wrapper declares; the ROMs are the
memories the cost model counts (:func:`fpgagan.hw.layer_memories.memories`); the kernel takes no
other schedule's set (g++ refuses it)."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.hls.templates import rom_header
from fpgagan.hw.layer_memories import memories
from fpgagan.sim.build import compile_flags, compiler
from tests.graphs import conv_transpose_graph

# the wrapper's name of each memory layer_memories lists (the input buffer is no ROM)
ARRAY_OF_MEMORY = {"weights": "w", "offsets": "o", "ctl": "c", "biases": "b"}
SCHEDULES = {
    # schedule: (options, ROM set, the arrays it takes in order, arrays that are no memory)
    "dense": (dict(sparse="false", codebook="false"), "dense_roms", ("w", "b"), ()),
    "sparse": (dict(sparse="true", codebook="false"), "sparse_roms", ("w", "o", "c", "b"), ()),
    "codebook": (dict(sparse="false", codebook="true"), "codebook_roms", ("w", "b", "k"), ("k",)),
}
DECLARED = re.compile(r"^\s*static const [\w:<>, ]+? (\w+)\[", re.M)
PRAGMA_VARIABLE = re.compile(r"#pragma HLS \w+ variable=(\w+)")
ROM_SET = re.compile(r"nnet::fg::(\w+)<CONFIG_T> roms = \{([\w, ]*)\};")


def _half_zero_layer():
    """A 4-bit transposed convolution with about half its weights zero: every schedule takes it
    (at most 16 distinct weights, sparse enough)."""
    model, _, _ = conv_transpose_graph(cin=4, cout=3, h=3, w=3, kernel=(4, 4), weight_bits=4)
    name = next(n for n in model.graph.node if n.name == "qw").input[0]
    w = model.get_initializer(name).copy()
    w[np.random.default_rng(0).random(w.shape) < 0.5] = 0.0
    model.set_initializer(name, w)
    return model


def _written_layer(
    tmp_path: Path, options: dict[str, str], io_type: str = "io_parallel"
) -> tuple[EngineLayer, str]:
    hw, _ = hardware_graph(_half_zero_layer())
    hls_model = convert(hw, tmp_path / "prj", HlsOptions(io_type=io_type, **options))
    with contextlib.redirect_stdout(io.StringIO()):
        hls_model.write()
    (layer,) = [x for x in hls_model.get_layers() if isinstance(x, EngineLayer)]
    return layer, (tmp_path / "prj" / "firmware" / rom_header(layer)).read_text()


@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_wrapper_declares_only_its_schedules_roms(tmp_path, schedule):
    options, rom_set, arrays, constants = SCHEDULES[schedule]
    layer, source = _written_layer(tmp_path, options)
    assert (layer.sparse, layer.codebook) == (schedule == "sparse", schedule == "codebook")
    declared = DECLARED.findall(source)
    assert sorted(declared) == sorted(arrays)
    # the kernel gets the schedule's set, the arrays in the set's order
    ((set_name, passed),) = ROM_SET.findall(source)
    assert set_name == rom_set
    assert tuple(a.strip() for a in passed.split(",")) == arrays
    # no pragma on an array the wrapper does not have (buf: the input buffer)
    assert set(PRAGMA_VARIABLE.findall(source)) == {*declared, "buf"}


@pytest.mark.parametrize("schedule", list(SCHEDULES))
def test_wrapper_roms_are_the_memories_the_cost_model_counts(tmp_path, schedule):
    options, _, arrays, constants = SCHEDULES[schedule]
    layer, source = _written_layer(tmp_path, options)
    counted = [m.name for m in memories(layer.shape()) if m.name != "buffer"]
    assert sorted(ARRAY_OF_MEMORY[m] for m in counted) == sorted(
        a for a in DECLARED.findall(source) if a not in constants
    )
    # a codebook's values are constants of its multipliers: registers, not a memory
    for name in constants:
        assert f"#pragma HLS ARRAY_PARTITION variable={name} complete dim=0" in source


def _syntax_check(project: Path) -> subprocess.CompletedProcess:
    """g++ on the project's top function, templates instantiated, nothing generated."""
    flags = [f for f in compile_flags() if f not in ("-fPIC", "-O3")]
    cmd = [compiler(), *flags, "-fsyntax-only", "-Ifirmware/ap_types/", "-Ifirmware"]
    return subprocess.run(
        [*cmd, "firmware/myproject.cpp"], cwd=project, capture_output=True, text=True, check=False
    )


@pytest.mark.csim
def test_kernel_refuses_another_schedules_rom_set(tmp_path):
    layer, source = _written_layer(tmp_path, SCHEDULES["sparse"][0], io_type="io_stream")
    header = tmp_path / "prj" / "firmware" / rom_header(layer)
    assert _syntax_check(tmp_path / "prj").returncode == 0
    # the dense schedule's set (weights and biases only) for the sparse layer
    wrong = source.replace(
        "nnet::fg::sparse_roms<CONFIG_T> roms = {w, o, c, b};",
        "nnet::fg::dense_roms<CONFIG_T> roms = {w, b};",
    )
    assert wrong != source
    header.write_text(wrong)
    refused = _syntax_check(tmp_path / "prj")
    assert refused.returncode != 0
    assert "conv2d_transpose_engine" in refused.stderr and "dense_roms" in refused.stderr
