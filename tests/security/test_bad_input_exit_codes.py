"""Everything a user's input causes exits 2 with one line naming it; exit 3 ("a bug in fpgagan")
is for fpgagan's own faults only."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from onnx import TensorProto, helper, save

from tests.conftest import REPO
from tests.security.helpers import csim_argv, one_line_error, small_model

CHECKPOINT = REPO / "fpgagan" / "assets" / "default" / "generator.pt"


def _graph_model(nodes, opset=13):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


@pytest.mark.parametrize(
    ("case", "pattern"),
    [
        ("undefined tensor", "node 'r' ('Relu') reads tensor 'nowhere', which no input"),
        ("cycle", "node 'a' ('Add') reads tensor 'b'"),
        ("opset 99", "ONNX opset 99 is not one fpgagan reads"),
        ("defined twice", "defines tensor 't' a second time"),
    ],
)
def test_malformed_graphs_exit_2(tmp_path, capsys, case, pattern):
    """main passed them to qonnx and hls4ml, which failed with a traceback: exit 3."""
    relu = helper.make_node("Relu", ["x"], ["y"], name="r")
    if case == "undefined tensor":
        model = _graph_model([helper.make_node("Relu", ["nowhere"], ["y"], name="r")])
    elif case == "cycle":
        model = _graph_model(
            [
                helper.make_node("Add", ["x", "b"], ["a_out"], name="a"),
                helper.make_node("Relu", ["a_out"], ["b"], name="b_node"),
                helper.make_node("Relu", ["b"], ["y"], name="out"),
            ]
        )
    elif case == "opset 99":
        model = _graph_model([relu], opset=99)
    else:
        model = _graph_model(
            [
                helper.make_node("Relu", ["x"], ["t"], name="one"),
                helper.make_node("Relu", ["x"], ["t"], name="two"),
                helper.make_node("Relu", ["t"], ["y"], name="r"),
            ]
        )
    save(model, str(tmp_path / "m.onnx"))
    np.save(tmp_path / "x.npy", np.zeros((2, 2, 4, 5), np.float32))
    one_line_error(
        capsys, csim_argv(tmp_path / "m.onnx", tmp_path / "x.npy", tmp_path / "y.npy"), 2, pattern
    )
    assert not list(tmp_path.glob("*_hls")) and not list(tmp_path.glob(".m_hls*"))


def test_a_long_file_name_exits_2(tmp_path, capsys):
    """main: a 240-character model name made the project folder's temporary sibling longer than
    NAME_MAX, an OSError and exit 3."""
    model, x = small_model(tmp_path, name="m" * 235 + ".onnx")
    one_line_error(
        capsys, csim_argv(model, x, tmp_path / "y.npy"), pattern="name is longer than 200 bytes"
    )
    long_output = tmp_path / ("y" * 240 + ".npy")
    one_line_error(
        capsys, csim_argv(model, x, long_output), pattern="name is longer than 200 bytes"
    )


@pytest.mark.parametrize(
    ("field", "value", "pattern"),
    [
        ("widths", "abc", "widths must be a list of channel counts, got str"),
        ("widths", [1.5, 2], "widths [1.5, 2] must be at most 32 integers"),
        ("state_dict", [1, 2], "state_dict must be a mapping of tensors, got list"),
        ("batch_norm", "yes", "batch_norm must be true or false, got str"),
        ("generator", 5, "generator must be a generator name, got int"),
        ("extra", "x", "extra must be a mapping, got str"),
    ],
)
def test_wrongly_typed_checkpoint_fields_exit_2(tmp_path, capsys, field, value, pattern):
    """main fed them to the generator's constructor: a TypeError or AttributeError, exit 3."""
    record = torch.load(CHECKPOINT, weights_only=True)
    record[field] = value
    torch.save(record, tmp_path / "g.pt")
    argv = ["export", "--checkpoint", str(tmp_path / "g.pt"), "--out", str(tmp_path / "g.onnx")]
    one_line_error(capsys, argv, pattern=pattern)
    assert not (tmp_path / "g.onnx").exists()


def test_a_planted_lock_symlink_exits_2(tmp_path, capsys):
    """main: opening the lock with O_NOFOLLOW raised ELOOP, exit 3."""
    model, x = small_model(tmp_path / "in")
    (tmp_path / "elsewhere").write_text("not a lock")
    (tmp_path / ".prj.fpgagan-lock").symlink_to(tmp_path / "elsewhere")
    one_line_error(
        capsys,
        csim_argv(model, x, tmp_path / "y.npy", "--project-dir", str(tmp_path / "prj")),
        pattern="cannot take its lock .prj.fpgagan-lock",
    )
    assert (tmp_path / "elsewhere").read_text() == "not a lock"


@pytest.mark.parametrize("board", ["/dev/zero", "/dev/null"])
def test_a_device_as_a_board_file_exits_2(tmp_path, capsys, board):
    """main read /dev/zero until a MemoryError: exit 3."""
    one_line_error(
        capsys,
        ["hls", "--board", board, "--out", str(tmp_path / "o")],
        pattern="is not a regular file",
    )


def test_an_os_refusal_of_a_user_path_exits_2(tmp_path, capsys, monkeypatch):
    """A file the system refuses (a name too long, no permission) is the user's input."""
    from fpgagan.workflows import csim

    def refused(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "prj"))

    monkeypatch.setattr(csim, "run_csim", refused)
    model, x = small_model(tmp_path / "in")
    line = one_line_error(capsys, csim_argv(model, x, tmp_path / "y.npy"), 2, "Permission denied")
    assert str(tmp_path / "prj") in line


@pytest.mark.parametrize(
    ("attribute", "value", "pattern"),
    [
        ("group", 0, "group [0] outside 1.."),
        ("strides", [0, 0], "strides [0, 0] outside 1.."),
        ("dilations", [0, 1], "dilations [0, 1] outside 1.."),
        ("pads", [40, 40, 40, 40], "pads larger than the output"),
    ],
)
def test_a_window_that_describes_no_window_exits_2(tmp_path, capsys, attribute, value, pattern):
    """A red-team pass: group 0, stride 0 or pads larger than the output reached the channels-last
    transform or numpy (TypeError / ValueError: exit 3); ONNX requires them >= 1 and a positive
    output, so they are refused with the node named before any work."""
    from tests.graphs import conv_transpose_graph, quantized_input

    wrapper, _, _ = conv_transpose_graph()
    model = wrapper.model
    node = next(n for n in model.graph.node if n.op_type == "ConvTranspose")
    kept = [a for a in node.attribute if a.name != attribute]
    del node.attribute[:]
    node.attribute.extend([*kept, helper.make_attribute(attribute, value)])
    save(model, str(tmp_path / "m.onnx"))
    np.save(tmp_path / "x.npy", quantized_input(2, 2, 4, 5))
    one_line_error(
        capsys, csim_argv(tmp_path / "m.onnx", tmp_path / "x.npy", tmp_path / "y.npy"), 2, pattern
    )


@pytest.mark.parametrize(
    ("elem_type", "shown"),
    [(TensorProto.FLOAT16, "FLOAT16"), (TensorProto.STRING, "STRING"), (0, "UNDEFINED")],
)
def test_a_graph_input_that_is_not_float_exits_2(tmp_path, capsys, elem_type, shown):
    """A red-team pass: an fp16, string or untyped graph input reached onnxruntime or the
    cleanup (exit 3); fpgagan's models take a float tensor, and say so naming the input."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="r")],
        "g",
        [helper.make_tensor_value_info("x", elem_type, [1, 2, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 4, 5])],
    )
    save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
        str(tmp_path / "m.onnx"),
    )
    np.save(tmp_path / "x.npy", np.zeros((2, 2, 4, 5), np.float32))
    one_line_error(
        capsys,
        csim_argv(tmp_path / "m.onnx", tmp_path / "x.npy", tmp_path / "y.npy"),
        2,
        f"graph input 'x' is {shown}",
    )


@pytest.mark.parametrize(
    ("target", "pattern"),
    [
        ([-1, -1], "is not a reshape target"),
        ([1, -(2**63)], "is not a reshape target"),
        ([2**62, 4, -1], "cannot reshape"),
        ([7, 7], "cannot reshape"),
    ],
)
def test_a_reshape_to_an_impossible_shape_exits_2(tmp_path, capsys, target, pattern):
    """A red-team pass: Reshape targets ONNX forbids, or that cannot hold the input, reached
    hls4ml or onnxruntime (AssertionError, ValueError: exit 3)."""
    from onnx import numpy_helper

    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        [numpy_helper.from_array(np.array(target, np.int64), "shape")],
    )
    save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
        str(tmp_path / "m.onnx"),
    )
    np.save(tmp_path / "x.npy", np.zeros((2, 2, 4, 5), np.float32))
    one_line_error(
        capsys, csim_argv(tmp_path / "m.onnx", tmp_path / "x.npy", tmp_path / "y.npy"), 2, pattern
    )
