"""Every pragma of a generated project is one its target tool (Vitis HLS) documents, with options
the tool documents (fpgagan.shell.pragmas): projects for all six boards (the board flow's options)
and for every layer kind fpgagan generates (dense head, transposed and plain convolution; dense,
sparse and codebook schedules; upsample, depth-to-space, reflect padding; concat and add skips)
are written, not compiled, and each of their pragmas is checked; a Vivado-HLS pragma planted in
a copy of a project, directly, through a macro or in a branch the build does not take, fails the
check naming file, line and pragma."""

from __future__ import annotations

import contextlib
import functools
import io
import re
import shutil
from pathlib import Path

import pytest
import torch

from fpgagan.boards import get_board, known_boards
from fpgagan.errors import PragmaError
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.shell import pragmas as P
from tests.hls.test_spatial_csim import probe_graph

# layer kind -> (graph, options, hls4ml layer classes the project must hold)
DCGAN = "dcgan-tiny"
KINDS = {
    "dense_schedule": (DCGAN, dict(sparse="false", codebook="false"), {"FgLinear"}),
    "sparse_schedule": (DCGAN, dict(sparse="true", codebook="false"), {"FgSparseLinear"}),
    "codebook_schedule": (DCGAN, dict(sparse="false", codebook="true"), {"FgCodebookLinear"}),
    "upsample": ("upsample2", {}, {"FgUpsample"}),
    "depth_to_space": ("pixel_shuffle", {}, {"FgDepthToSpace"}),
    "reflect_pad": ("reflect", {}, {"FgPad"}),
    "concat_skip": ("concat", {}, {"Concatenate"}),
    "add_skip": ("add", {}, {"Merge"}),
    "strided_conv": ("stride2", {}, {"FgConv"}),
}


@functools.cache
def _graph(name: str):
    """The hardware graph of the tiny generator (dense head, transposed convolutions) or of a
    spatial probe (conv -> op -> conv)."""
    if name != DCGAN:
        return hardware_graph(probe_graph(name))[0]
    from fpgagan.config import Precision
    from fpgagan.export import to_qonnx
    from fpgagan.models import build_generator

    torch.manual_seed(0)
    return hardware_graph(to_qonnx(build_generator(DCGAN, Precision()).eval()))[0]


def _write(name: str, opts: HlsOptions, out: Path):
    """Convert and write the project (no C simulation build); the hls4ml model."""
    hls_model = convert(_graph(name), out, opts)
    with contextlib.redirect_stdout(io.StringIO()):
        hls_model.write()
    return hls_model


def _assert_vitis_only(project: Path) -> list[P.Pragma]:
    found = P.project_pragmas(project)
    bad = [f"{p} -> {why}" for p in found for why in P.problems(p, "vitis_hls")]
    assert not bad, "\n".join(bad)
    return found


@pytest.fixture(scope="module")
def vitis_project(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("vitis") / "prj"
    _write(DCGAN, HlsOptions(io_type="io_stream", backend="Vitis"), out)
    return out


def test_every_table_entry_names_its_source():
    for tool in P.TOOLS:
        assert P.TABLES[tool] and P.REFUSED[tool]
        for name, rule in P.TABLES[tool].items():
            assert name.isupper() and "UG1399" in rule.source, name
        for refusal in P.REFUSED[tool]:
            assert refusal.reason and refusal.pragma.isupper()


@pytest.mark.parametrize(
    "text, ok",
    [
        ("ARRAY_PARTITION variable=acc complete dim=0", True),
        ("ARRAY_PARTITION variable=w type=cyclic factor=CONFIG_T::n_chan", True),
        ("BIND_STORAGE variable=w type=rom_1p impl=bram", True),
        ("BIND_STORAGE variable=w type=rom_1p impl=distributed", False),
        ("BIND_OP variable=p op=mul impl=dsp", True),
        ("INTERFACE axis port=in,out", True),
        ("INTERFACE mode=s_axilite port=return bundle=control", True),
        ("INTERFACE ap_bus port=x", False),
        ("PIPELINE II=1", True),
        ("PIPELINE II=1 enable_flush", False),
        ("STREAM variable=s depth=16 type=fifo", True),
        ("STREAM variable=s off", False),
        ("INLINE", True),
        ("INLINE region", False),
        ("DEPENDENCE variable=buf type=inter direction=RAW dependent=false", True),
        ("DATA_PACK variable=x", False),
        ("RESOURCE variable=w core=ROM_1P_BRAM", False),
        ("ALLOCATION instances=mul limit=1 core", False),
        ("UNROLL factor=4 skip_exit_check", True),
        ("UNROLL factor=4 region", False),
    ],
)
def test_table_parses_pragma_text(text, ok):
    assert (P.problems(P.Pragma("f.h", 1, text)) == []) is ok


@pytest.mark.parametrize("board", known_boards())
def test_board_project_uses_only_vitis_pragmas(tmp_path, board):
    """The project the board flow writes for the board (its part, clock, backend, interface)."""
    from fpgagan.workflows.hls_flow import HlsFlowConfig, options

    _write(DCGAN, options(get_board(board), HlsFlowConfig()), tmp_path / "prj")
    _assert_vitis_only(tmp_path / "prj")
    P.check_project(tmp_path / "prj")  # the helper the board flow calls after writing


@pytest.mark.parametrize("kind", KINDS)
def test_layer_kind_project_uses_only_vitis_pragmas(tmp_path, kind):
    graph, settings, classes = KINDS[kind]
    opts = HlsOptions(io_type="io_stream", backend="Vitis", **settings)
    hls_model = _write(graph, opts, tmp_path / "prj")
    assert classes <= {layer.class_name for layer in hls_model.get_layers()}
    found = _assert_vitis_only(tmp_path / "prj")
    # the layers' own memories and kernels are seen, through the preprocessor and as text
    files = {p.file for p in found}
    assert any(f.startswith("firmware/weights/fg_") for f in files)
    assert any(f.startswith("firmware/nnet_utils/nnet_fg_") for f in files)


def _copy(project: Path, tmp_path: Path) -> Path:
    out = tmp_path / "copy"
    shutil.copytree(project, out)
    return out


def _plant(path: Path, after: str, lines: list[str]) -> int:
    """Insert ``lines`` after the first line containing ``after``; the first one's line number."""
    text = path.read_text().split("\n")
    at = next(i for i, line in enumerate(text) if after in line) + 1
    path.write_text("\n".join(text[:at] + lines + text[at:]))
    return at + 1


@pytest.mark.parametrize(
    "pragma",
    ["#pragma HLS DATA_PACK variable=x", "#pragma HLS RESOURCE variable=w core=ROM_1P_BRAM"],
)
def test_planted_vivado_pragma_fails_by_file_and_line(tmp_path, vitis_project, pragma):
    project = _copy(vitis_project, tmp_path)
    wrapper = sorted((project / "firmware" / "weights").glob("fg_*.h"))[0]
    line = _plant(wrapper, "void fg_layer", [f"    {pragma}"])
    name = pragma.split()[2]
    where = re.escape(f"firmware/weights/{wrapper.name}:{line}: #pragma HLS {name}")
    with pytest.raises(PragmaError, match=where):
        P.check_project(project)
    P.check_project(vitis_project)  # the original passes


def test_macro_expanded_pragma_is_seen_where_it_is_used(tmp_path, vitis_project):
    """hls4ml's way: a macro stringizes its argument into _Pragma, so only the expansion at the
    use names the variable; the preprocessor reports it at the line of the use."""
    project = _copy(vitis_project, tmp_path)
    top = project / "firmware" / "myproject.cpp"
    macros = [
        "#define FG_STR(x) #x",
        "#define FG_PACK(v) _Pragma(FG_STR(HLS DATA_PACK variable=v))",
    ]
    _plant(top, '#include "parameters.h"', macros)
    line = _plant(top, "#pragma HLS DATAFLOW", ["    FG_PACK(global_in)"])
    bad = [(p.file, p.line, p.text) for p, _ in P.violations(project)]
    assert bad == [("firmware/myproject.cpp", line, "DATA_PACK variable=global_in")]
    with pytest.raises(PragmaError, match=rf"firmware/myproject.cpp:{line}: .*DATA_PACK"):
        P.check_project(project)


def test_branch_not_taken_in_fpgagan_code_is_checked(tmp_path, vitis_project):
    project = _copy(vitis_project, tmp_path)
    engine = project / "firmware" / "nnet_utils" / "nnet_fg_engine.h"
    line = _plant(
        engine,
        "namespace nnet",
        ["#ifndef __SYNTHESIS__", "#pragma HLS RESOURCE variable=q", "#endif"],
    )
    assert not any(p.name == "RESOURCE" for p in P.preprocessed_pragmas(project))
    with pytest.raises(PragmaError, match=rf"nnet_fg_engine.h:{line + 1}: #pragma HLS RESOURCE"):
        P.check_project(project)


def test_hls4ml_code_kept_from_vitis_is_not_reported(vitis_project):
    """hls4ml's PRAGMA_DATA_PACK expands to nothing under __VITIS_HLS__; its headers are not read
    as text, so only what the tool would see counts."""
    found = P.project_pragmas(vitis_project)
    assert not any(p.name == "DATA_PACK" for p in found)
    assert any(p.file == "firmware/myproject.cpp" and p.name == "DATAFLOW" for p in found)


def test_a_function_allocation_naming_a_template_instance_is_accepted():
    """hls4ml's softmax_multidim limits the instances of ``softmax<CONFIG_T>`` (UG1399: ALLOCATION
    function instances=<list> limit=): a template-id is a function name."""
    from fpgagan.shell.pragmas import Pragma, _normalised, problems

    text = (
        "allocation instances = softmax<CONFIG_T> limit = CONFIG_T::parallelization_factor function"
    )
    assert problems(Pragma("x.h", 1, _normalised(text))) == []
    assert problems(Pragma("x.h", 1, _normalised("allocation instances=a;b function"))) != []
