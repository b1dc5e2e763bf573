"""No string a user wrote becomes code: file and folder names, node and tensor names, op types and
domains, board fields.  Each payload would create a marker file if it ran; none may exist after."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from onnx import TensorProto, helper, save

from fpgagan.boards import get_board
from fpgagan.errors import BoardError, UnsupportedModelError
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from tests.conftest import REPO
from tests.graphs import conv_transpose_graph
from tests.security.helpers import error_lines, one_line_error, run_cli, small_model

# C++ that runs at the first call if it is pasted into a string literal (hls4ml's WEIGHTS_DIR)
CPP = 'x"+std::string((system("touch PWNED_CPP"),""))+"'
# shell and Tcl command substitutions
SHELL = "$(touch PWNED_SH)`touch PWNED_TICK`"
TCL = '";exec touch PWNED_TCL;"[exec touch PWNED_TCL2]'
MARKERS = ("PWNED_CPP", "PWNED_SH", "PWNED_TICK", "PWNED_TCL", "PWNED_TCL2", "PWNED_PY")
GENERATED = ("*.cpp", "*.h", "*.tcl", "*.sh", "*.py")


def _no_marker(where) -> None:
    found = [p for p in where.rglob("PWNED*")]
    assert not found, found


def _generated_text(project) -> str:
    return "".join(p.read_text(errors="replace") for g in GENERATED for p in project.rglob(g))


@pytest.mark.csim
def test_file_and_folder_names_never_become_code(tmp_path):
    """A model called like C++, a project folder and an output folder called like shell and Tcl."""
    work = tmp_path / "work"
    model, x = small_model(work, name=f"{CPP}.onnx")
    out_dir = work / f"out{SHELL}"
    project = work / f"prj{CPP}{TCL}"
    result = run_cli(
        [
            "csim",
            "--model",
            model.name,
            "--input",
            x.name,
            "--output",
            str(out_dir / "y.npy"),
            "--project-dir",
            project.name,
        ],
        cwd=work,
    )
    assert result.returncode == 0, result.stderr
    _no_marker(tmp_path)
    assert (out_dir / "y.npy").is_file() and (project / "fpgagan_build.json").is_file()
    text = _generated_text(project)  # the folder's path is nowhere in the C++, Tcl or scripts
    assert "PWNED" not in text and str(tmp_path) not in text


def test_node_and_tensor_names_never_reach_cpp(tmp_path):
    model, _, _ = conv_transpose_graph()
    for node in model.graph.node:
        node.name = CPP + node.name
    model.rename_tensor("x", CPP + "in")
    model.rename_tensor("y", TCL + "out")
    model.rename_tensor("W", SHELL + "W")
    hw, _ = hardware_graph(model)
    names = [n.name for n in hw.graph.node] + [t for n in hw.graph.node for t in n.input]
    assert all(name.isidentifier() for name in names if name), names
    hls_model = convert(hw, tmp_path / "prj", HlsOptions())
    hls_model.write()
    assert "PWNED" not in _generated_text(tmp_path / "prj")


def _domain_model(path, domain: str, op_type: str = "Sin") -> None:
    graph = helper.make_graph(
        [helper.make_node(op_type, ["x"], ["y"], name="n", domain=domain)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 5])],
    )
    opsets = [helper.make_opsetid("", 13)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    save(helper.make_model(graph, opset_imports=opsets), str(path))


def test_an_onnx_domain_never_imports_a_planted_module(tmp_path):
    """qonnx imports a node's domain as a module: one planted in the working folder must not run."""
    work = tmp_path / "work"
    work.mkdir()
    (work / "evilmod.py").write_text("open('PWNED_PY', 'w').close()\n")
    (work / "evilpkg").mkdir()
    (work / "evilpkg" / "__init__.py").write_text("open('PWNED_PY', 'w').close()\n")
    np.save(work / "x.npy", np.zeros((1, 2, 4, 5), np.float32))
    for domain in ("evilmod", "evilpkg.sub"):
        _domain_model(work / "m.onnx", domain, "Foo")
        result = run_cli(
            ["csim", "--model", "m.onnx", "--input", "x.npy", "--output", "y.npy"], cwd=work
        )
        lines = error_lines(result.stderr)
        assert result.returncode == 2 and len(lines) == 1, result.stderr
        assert f"op domain '{domain}' is not one fpgagan reads" in lines[0]
        _no_marker(tmp_path)


def test_a_module_planted_in_the_working_folder_shadows_nothing(tmp_path):
    """``python -m fpgagan`` drops the working folder from sys.path (a planted yaml.py stays inert)."""
    (tmp_path / "yaml.py").write_text("open('PWNED_PY', 'w').close()\n")
    result = run_cli(["hls", "--board", "no-such-board"], cwd=tmp_path)
    assert result.returncode == 2 and "unknown board" in result.stderr, result.stderr
    _no_marker(tmp_path)


def test_an_op_type_that_is_not_an_identifier_is_refused(tmp_path, capsys):
    _domain_model(tmp_path / "m.onnx", "", op_type='Sin"); system("touch PWNED_CPP')
    np.save(tmp_path / "x.npy", np.zeros((1, 2, 4, 5), np.float32))
    one_line_error(
        capsys,
        ["csim", "--model", str(tmp_path / "m.onnx"), "--input", str(tmp_path / "x.npy")]
        + ["--output", str(tmp_path / "y.npy")],
        pattern="op type is not a plain identifier",
    )
    _no_marker(tmp_path)


def _board_file(tmp_path, **changes):
    record = yaml.safe_load((REPO / "boards" / "zcu104.yaml").read_text()) | changes
    path = tmp_path / f"{record['name']}.yaml"
    path.write_text(yaml.safe_dump(record))
    return path


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("part", 'xczu7ev-ffvc1156-2-e";exec touch PWNED_TCL;"', "is not a part number"),
        ("part", "[exec touch PWNED_TCL2]", "is not a part number"),
        ("part", "xczu7ev ffvc1156", "is not a part number"),
        ("part", "x" * 200, "is not a part number"),
        ("clock_mhz", float("nan"), "finite positive"),
        ("clock_mhz", float("inf"), "finite positive"),
        ("clock_mhz", -100.0, "finite positive"),
        ("clock_mhz", 0, "finite positive"),
        ("resources", {"lut": -1, "ff": 1, "dsp": 1, "bram_18k": 1}, "non-negative integer"),
        ("resources", {"lut": 1.5, "ff": 1, "dsp": 1, "bram_18k": 1}, "expected an integer"),
        ("backend", "Vivado; exec touch PWNED_TCL", "fpgagan generates Vitis HLS projects"),
        ("backend", "VivadoAccelerator", "fpgagan generates Vitis HLS projects"),
        ("backend", "Vivado", "fpgagan generates Vitis HLS projects"),
        ("hls_tool", "vivado_hls", "fpgagan generates Vitis HLS projects"),
        ("hls_tool", "[exec touch PWNED_TCL]", "fpgagan generates Vitis HLS projects"),
        ("interface", "[exec touch PWNED_TCL]", "must be one of"),
    ],
)
def test_board_fields_are_validated(tmp_path, capsys, field, value, message):
    path = _board_file(tmp_path, **{field: value})
    with pytest.raises(BoardError, match=message):
        get_board(str(path))
    line = one_line_error(capsys, ["hls", "--board", str(path), "--out", str(tmp_path / "o")])
    assert message in line
    assert not (tmp_path / "o").exists()
    _no_marker(tmp_path)


def test_a_board_name_is_validated(tmp_path):
    bad = 'zcu104";exec touch PWNED_TCL;"'
    path = tmp_path / f"{bad}.yaml"
    record = yaml.safe_load((REPO / "boards" / "zcu104.yaml").read_text()) | {"name": bad}
    path.write_text(yaml.safe_dump(record))
    with pytest.raises(BoardError, match="is not a board name"):
        get_board(str(path))


@pytest.mark.parametrize(
    "changes",
    [
        {"part": "xc7z020clg400-1\n[exec touch PWNED_TCL]"},
        {"clock_period": float("nan")},
        {"clock_period": -5.0},
        {"backend": 'Vitis";exec touch PWNED_TCL;"'},
        {"backend": "VivadoAccelerator"},  # board projects are Vitis; csim also takes Vivado
        {"layer_config": {"Dense_0": {"ReuseFactor": -4}}},
        {"layer_config": {"Dense_0": {"ReuseFactor": 0}}},
        {"layer_config": {"Dense_0": {"RomStorage": "bram\n#include </etc/passwd>"}}},
        {"layer_config": {"Dense_0": {"Pragma": "HLS"}}},
    ],
)
def test_hls_options_refuse_what_would_reach_tcl_or_cpp(changes):
    """The library API checks the same fields as the board files (notebooks build HlsOptions)."""
    with pytest.raises(UnsupportedModelError):
        HlsOptions(**changes)
