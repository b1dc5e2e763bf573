"""Models fpgagan did not write: malformed quantizers and files are refused with one line before
any build; batch-norm, binary weights and floor rounding are converted exactly or refused."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper, save

from fpgagan.export import save_qonnx, to_qonnx
from tests.export.model_builders import (
    bipolar_activation_graph,
    brevitas_binary_floor,
    dcgan_with_batch_norm,
    with_batch_norm,
)
from tests.graphs import conv_transpose_graph
from tests.security.helpers import (
    csim_argv,
    error_lines,
    one_line_error,
    run_cli,
    small_model,
)


def _csim_refuses(tmp_path, capsys, model, pattern, x_shape=(2, 2, 4, 5)):
    path = tmp_path / "m.onnx"
    if hasattr(model, "save"):
        model.save(str(path))
    else:
        save(model, str(path))
    np.save(tmp_path / "x.npy", np.zeros(x_shape, np.float32))
    line = one_line_error(
        capsys, csim_argv(path, tmp_path / "x.npy", tmp_path / "y.npy"), pattern=pattern
    )
    assert not (tmp_path / "y.npy").exists() and not list(tmp_path.glob("m_hls*"))
    assert not list(tmp_path.glob(".m_hls*"))
    return line


def _set_attr(model, node_name, **attrs):
    node = next(n for n in model.graph.node if n.name == node_name)
    for name, value in attrs.items():
        for old in [a for a in node.attribute if a.name == name]:
            node.attribute.remove(old)
        node.attribute.append(helper.make_attribute(name, value))
    return model


@pytest.mark.csim
def test_a_zero_bit_width_is_refused_before_the_build(tmp_path):
    """main built the project, then a C++ assertion aborted the process (SIGABRT)."""
    model, _, _ = conv_transpose_graph()
    model.set_initializer("qw_b", np.asarray(0.0, np.float32))
    work = tmp_path / "work"
    small_model(work)
    model.save(str(work / "m.onnx"))
    result = run_cli(["csim", "--model", "m.onnx", "--input", "x.npy", "--output", "y.npy"], work)
    lines = error_lines(result.stderr)
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert "bit width [0.0] is not an integer in 1..32" in lines[0] and "'qw'" in lines[0]
    assert sorted(p.name for p in work.iterdir()) == ["m.onnx", "x.npy"]


@pytest.mark.parametrize(
    ("initializer", "value", "pattern"),
    [
        ("qw_b", float("nan"), "bit width"),
        ("qw_b", 1e6, "bit width [1000000.0] is not an integer in 1..32"),
        ("qw_b", 33.0, "is not an integer in 1..32"),
        ("qw_b", 4.5, "is not an integer in 1..32"),
        ("qw_b", -3.0, "is not an integer in 1..32"),
        ("qin_b", 0.0, "is not an integer in 1..32"),
        ("qw_s", -0.125, "scale must be finite and positive"),
        ("qw_s", 0.0, "scale must be finite and positive"),
        ("qw_s", float("inf"), "scale must be finite and positive"),
        ("qw_s", float("nan"), "scale must be finite and positive"),
        ("qw_s", 0.1, "is not a power of two"),
        ("qw_z", float("nan"), "zero-point must be finite"),
        ("qw_z", 1.0, "non-zero zero-point"),
    ],
)
def test_quantizer_values_are_validated(tmp_path, capsys, initializer, value, pattern):
    model, _, _ = conv_transpose_graph()
    model.set_initializer(initializer, np.asarray(value, np.float32))
    _csim_refuses(tmp_path, capsys, model, pattern)


def test_nan_weights_are_refused(tmp_path, capsys):
    model, _, _ = conv_transpose_graph()
    w = model.get_initializer("W").copy()
    w.flat[3] = np.nan
    model.set_initializer("W", w)
    _csim_refuses(tmp_path, capsys, model, "tensor 'W' holds NaN or infinite values")


@pytest.mark.parametrize(
    ("attrs", "pattern"),
    [
        ({"rounding_mode": "SIDEWAYS"}, "rounding_mode 'SIDEWAYS' is not one of"),
        ({"rounding_mode": "CEIL"}, "has no exact ap_fixed type"),
        ({"signed": 5}, "attribute signed must be 0 or 1"),
        ({"narrow": -1}, "attribute narrow must be 0 or 1"),
        ({"evil": "x"}, "unknown attribute 'evil'"),
        ({"signed": 0, "narrow": 1}, "narrow range is supported for signed types only"),
    ],
)
def test_quantizer_attributes_are_validated(tmp_path, capsys, attrs, pattern):
    model, _, _ = conv_transpose_graph()
    _csim_refuses(tmp_path, capsys, _set_attr(model, "qw", **attrs), pattern)


def test_a_trunc_with_a_zero_bit_width_is_refused(tmp_path, capsys):
    model, _, _ = conv_transpose_graph(out_bits=None)
    for name, value in {"t_s": 1.0, "t_z": 0.0, "t_in": 8.0, "t_out": 0.0}.items():
        model.set_initializer(name, np.asarray(value, np.float32))
    deconv = next(n for n in model.graph.node if n.op_type == "ConvTranspose")
    deconv.output[0] = "pre"
    trunc = helper.make_node(
        "Trunc",
        ["pre", "t_s", "t_z", "t_in", "t_out"],
        ["y"],
        domain="qonnx.custom_op.general",
        name="trunc",
        rounding_mode="FLOOR",
    )
    model.graph.node.append(trunc)
    _csim_refuses(tmp_path, capsys, model, "node 'trunc' ('Trunc'): bit width [0.0]")


def _graph(nodes, inputs=None, inits=(), functions=()):
    graph = helper.make_graph(
        nodes,
        "g",
        inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        list(inits),
    )
    return helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13)], functions=list(functions)
    )


def test_malformed_files_and_graphs_are_refused(tmp_path, capsys):
    np.save(tmp_path / "x.npy", np.zeros((2, 2, 4, 5), np.float32))
    x, y = tmp_path / "x.npy", tmp_path / "y.npy"
    (tmp_path / "empty.onnx").write_bytes(b"")
    one_line_error(capsys, csim_argv(tmp_path / "empty.onnx", x, y), pattern="empty file")

    relu = [helper.make_node("Relu", ["x"], ["y"], name="r")]
    cases = {
        "no nodes": (_graph([]), "the model has no nodes"),
        "symbolic batch": (
            _graph(relu, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 4, 5])]),
            "is not fixed and positive",
        ),
        "subgraph": (
            _graph(
                [
                    helper.make_node(
                        "If",
                        ["x"],
                        ["y"],
                        name="branch",
                        then_branch=_graph(relu).graph,
                        else_branch=_graph(relu).graph,
                    )
                ]
            ),
            "nodes with subgraphs are not supported",
        ),  # fmt: skip
        "function": (
            _graph(
                relu,
                functions=[helper.make_function("evil", "f", ["a"], ["b"], relu, [], [])],
            ),
            "local functions are not supported",
        ),
        "unknown qonnx op": (
            _graph(
                [
                    helper.make_node(
                        "MultiThreshold", ["x"], ["y"], name="mt", domain="qonnx.custom_op.general"
                    )
                ]
            ),
            "op MultiThreshold of domain 'qonnx.custom_op.general' is not supported",
        ),  # fmt: skip
    }
    external = _graph(relu, inits=[helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])])
    tensor = external.graph.initializer[0]
    tensor.data_location = TensorProto.EXTERNAL
    tensor.ClearField("float_data")
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", "../../../etc/passwd"
    cases["external data"] = (external, "is stored in an external file")
    for name, (model, pattern) in cases.items():
        save(model, str(tmp_path / "m.onnx"))
        line = one_line_error(capsys, csim_argv(tmp_path / "m.onnx", x, y), pattern=pattern)
        assert line, name


def test_batch_norm_left_after_quantized_layers_is_refused(tmp_path, capsys):
    """main converted it with hls4ml's BatchNormalization: 45% of the outputs differed, exit 0."""
    model = to_qonnx(dcgan_with_batch_norm())
    save_qonnx(model, tmp_path / "g.onnx")
    np.save(tmp_path / "z.npy", np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32))
    line = one_line_error(
        capsys,
        csim_argv(tmp_path / "g.onnx", tmp_path / "z.npy", tmp_path / "y.npy"),
        pattern="BatchNormalization node 'BatchNormalization_0'",
    )
    assert "fold batch-norm into the weights before quantization" in line
    assert not (tmp_path / "y.npy").exists()


@pytest.mark.csim
def test_batch_norm_that_folds_exactly_is_folded_and_bit_exact(tmp_path, capsys):
    from fpgagan.cli import main
    from tests.graphs import quantized_input

    with_batch_norm().save(str(tmp_path / "bn.onnx"))
    np.save(tmp_path / "x.npy", quantized_input(12, 2, 4, 5))
    argv = csim_argv(tmp_path / "bn.onnx", tmp_path / "x.npy", tmp_path / "y.npy", "--check")
    assert main(argv) == 0
    assert (
        "check vs qonnx execute_onnx: 0 of 2268 output elements differ" in capsys.readouterr().out
    )


@pytest.mark.csim
def test_binary_weights_and_floor_rounding_from_brevitas_are_bit_exact(tmp_path, capsys):
    """main: hls4ml's precision inference failed on BipolarQuant, NotImplementedError on 'floor'."""
    import torch

    from fpgagan.cli import main

    model, net = brevitas_binary_floor()
    model.save(str(tmp_path / "b.onnx"))
    z = np.random.default_rng(0).standard_normal((20, 8)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    argv = csim_argv(tmp_path / "b.onnx", tmp_path / "z.npy", tmp_path / "y.npy", "--check")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "check vs qonnx execute_onnx: 0 of 320 output elements differ" in out
    with torch.no_grad():
        brevitas = net(torch.from_numpy(z)).numpy()
    assert np.array_equal(np.load(tmp_path / "y.npy"), brevitas)


def test_a_binary_scale_that_is_not_a_power_of_two_is_refused(tmp_path, capsys):
    model, _ = brevitas_binary_floor(scale=0.1)  # Brevitas' own SignedBinaryWeightPerTensorConst
    line = _csim_refuses(tmp_path, capsys, model, "BipolarQuant node", x_shape=(2, 8))
    assert "power-of-two scale" in line


def test_binary_activations_are_refused(tmp_path, capsys):
    line = _csim_refuses(
        tmp_path, capsys, bipolar_activation_graph(), "BipolarQuant node", x_shape=(2, 8)
    )
    assert "constant weights" in line


@pytest.mark.csim
def test_fpgagans_own_binary_generator_is_bit_exact(tmp_path, capsys):
    """README: 'weights 1-8 bits (1 = binary)'; a 1-bit generator crashed in conversion on main."""
    import torch

    from fpgagan.cli import main
    from fpgagan.config import Precision
    from fpgagan.models import build_generator

    torch.manual_seed(0)
    gen = build_generator("dcgan-tiny", Precision(weight_bits=1))
    gen.train()
    for _ in range(3):
        gen(torch.randn(16, 8))
    gen.eval()
    save_qonnx(to_qonnx(gen), tmp_path / "w1.onnx")
    z = np.random.default_rng(0).standard_normal((6, 8)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    argv = csim_argv(tmp_path / "w1.onnx", tmp_path / "z.npy", tmp_path / "y.npy", "--check")
    assert main(argv) == 0
    assert "0 of 4704 output elements differ" in capsys.readouterr().out
    with torch.no_grad():
        assert np.array_equal(np.load(tmp_path / "y.npy"), gen(torch.from_numpy(z)).numpy())
