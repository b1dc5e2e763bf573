"""Limits (fpgagan.limits) are checked before any work or large allocation: one line, exit 2,
within seconds, and no error message builds an unbounded repr."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

from fpgagan.config import TrainQatConfig, from_dict, load_yaml
from fpgagan.errors import CheckpointError, ConfigError, UnsupportedModelError
from fpgagan.export.validate import validate_model
from tests.conftest import REPO
from tests.security.helpers import csim_argv, one_line_error, small_model

# 483 bytes in the red-team pass; each level repeats the one above it nine times
ALIAS_BOMB = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)


def _model(nodes, x_shape=(1, 2, 4, 5), inits=(), opset=13):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        list(inits),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path, capsys):
    """main expanded it (97 s, then a MemoryError; a smaller one printed its whole repr)."""
    (tmp_path / "flow.yaml").write_text(ALIAS_BOMB.replace("i: &i", "clock_mhz: &i"))
    t0 = time.perf_counter()
    argv = ["hls", "--board", "zcu104", "--config", str(tmp_path / "flow.yaml")]
    one_line_error(capsys, argv + ["--out", str(tmp_path / "o")], pattern="anchors and aliases")
    assert time.perf_counter() - t0 < 5 and not (tmp_path / "o").exists()


def test_a_yaml_file_over_the_size_limit_is_refused(tmp_path):
    from fpgagan import limits

    big = tmp_path / "big.yaml"
    big.write_text("name: big\n" + "#" * limits.MAX_YAML_BYTES + "\n")
    with pytest.raises(ConfigError, match="more than the limit"):
        load_yaml(TrainQatConfig, big)


def test_a_message_never_builds_an_unbounded_repr():
    """main printed repr(value) whole: a value sharing one list 10^7 times took seconds and
    hundreds of MB to describe, an alias bomb minutes."""
    value: list = ["x"] * 10
    for _ in range(6):
        value = [value] * 10
    t0 = time.perf_counter()
    with pytest.raises(ConfigError) as err:
        from_dict(TrainQatConfig, {"seed": value})
    assert time.perf_counter() - t0 < 1
    assert len(str(err.value)) < 200
    from fpgagan.errors import short_repr

    assert len(short_repr("y" * 10**6)) < 70


@pytest.mark.parametrize(
    ("case", "pattern"),
    [
        ("kernel 200", "weight [2, 2, 200, 200] exceeds 4096 channels or a 16-wide kernel"),
        ("kernel attribute", "kernel_shape [64, 64] outside 1..16"),
        ("10,000 nodes", "10,000 nodes, more than the limit of 2,000"),
        ("huge input", "more than the limit of 4,194,304"),
        ("resize x400", "as inferred"),
        ("huge constant", "more than the limit"),
    ],
)
def test_model_sizes_are_refused_before_any_work(case, pattern):
    """main validated these and went on: hls4ml asked 8 GB for the kernel of 200, 10,000 Relus
    ran past 290 s."""
    if case == "kernel 200":
        w = numpy_helper.from_array(np.zeros((2, 2, 200, 200), np.float32), "w")
        nodes = [helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up")]
        model = _model(nodes, inits=[w])
    elif case == "kernel attribute":
        w = numpy_helper.from_array(np.zeros((2, 2, 1, 1), np.float32), "w")
        nodes = [helper.make_node("Conv", ["x", "w"], ["y"], name="c", kernel_shape=[64, 64])]
        model = _model(nodes, inits=[w])
    elif case == "10,000 nodes":
        names = ["x"] + [f"t{i}" for i in range(9999)] + ["y"]
        nodes = [helper.make_node("Relu", [a], [b]) for a, b in zip(names, names[1:], strict=False)]
        model = _model(nodes)
    elif case == "huge input":
        model = _model([helper.make_node("Relu", ["x"], ["y"])], x_shape=(1, 3, 2048, 2048))
    elif case == "resize x400":
        scales = helper.make_tensor("s", TensorProto.FLOAT, [4], [1, 1, 400, 400])
        nodes = [helper.make_node("Resize", ["x", "", "s"], ["y"], name="r", mode="nearest")]
        model = _model(nodes, inits=[scales])
    else:
        shape = helper.make_tensor("shape", TensorProto.INT64, [2], [100000, 100000])
        nodes = [
            helper.make_node("ConstantOfShape", ["shape"], ["big"], name="fill"),
            helper.make_node("Relu", ["x"], ["y"]),
        ]
        model = _model(nodes, inits=[shape])
    t0 = time.perf_counter()
    with pytest.raises(UnsupportedModelError) as err:
        validate_model(model, "m.onnx")
    assert pattern in str(err.value) and time.perf_counter() - t0 < 5


def test_model_and_input_files_over_the_limits_are_refused(tmp_path, capsys):
    from fpgagan import limits

    model, x = small_model(tmp_path)
    big = tmp_path / "big.onnx"
    with open(big, "wb") as fh:  # sparse: no disk is used
        fh.truncate(limits.MAX_MODEL_BYTES + 1)
    one_line_error(capsys, csim_argv(big, x, tmp_path / "y.npy"), pattern="more than the limit")
    many = tmp_path / "many.npy"
    np.save(many, np.zeros((limits.MAX_LATENTS + 1, 1), np.float32))
    one_line_error(
        capsys, csim_argv(model, many, tmp_path / "y.npy"), pattern="a batch of 100,001 inputs"
    )
    assert not list(tmp_path.glob("*_hls"))


@pytest.mark.parametrize(
    "argv",
    [
        ["hls", "--board", "zcu104", "-n", "1000000000"],
        ["sweep", "--boards", "zcu104", "-n", "1000000000"],
        ["sweep", "--boards", "zcu104", "-n", "-1"],
    ],
)
def test_latent_counts_over_the_limit_are_refused_at_once(tmp_path, capsys, argv):
    """main: hls -n 1000000000 worked 20 s and exited 3; sweep -n took any integer."""
    from fpgagan.cli import main

    t0 = time.perf_counter()
    with pytest.raises(SystemExit) as exc:  # argparse refuses it, before any import of the flow
        main(argv + ["--out", str(tmp_path / "o")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert exc.value.code == 2 and len(lines) == 1 and "100,000" in lines[0], lines
    assert time.perf_counter() - t0 < 2 and not (tmp_path / "o").exists()


def test_checkpoint_widths_are_checked_before_the_generator_is_built(tmp_path, monkeypatch):
    """main built a generator of widths [20000, 20000] from a 1 KB checkpoint (25.6 GB)."""
    from fpgagan.models import checkpoint

    def no_build(*args, **kwargs):
        raise AssertionError("generator built")

    record = torch.load(REPO / "fpgagan" / "assets" / "default" / "generator.pt", weights_only=True)
    record["widths"], record["state_dict"] = [20000, 20000], {}
    torch.save(record, tmp_path / "wide.pt")
    monkeypatch.setattr(checkpoint, "build_generator", no_build)
    with pytest.raises(CheckpointError, match=r"widths \[20000, 20000\] must be at most"):
        checkpoint.load_generator(tmp_path / "wide.pt")
