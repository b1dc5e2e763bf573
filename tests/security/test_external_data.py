"""A model file never makes fpgagan read another file: tensors stored in external files are
refused wherever the model holds them, before onnx, onnxruntime or qonnx sees their path."""

from __future__ import annotations

import re

import numpy as np
import pytest
from onnx import TensorProto, helper, save

from fpgagan.export.validate import validate_model
from tests.conftest import REPO
from tests.security.helpers import csim_argv, one_line_error

SECRET = b"SECRET-BYTES-0123456789abcdef"
SHAPE = [1, 2, 4, 5]


def _external(name: str, location: str) -> TensorProto:
    """A float tensor of 4 elements whose data lies in the file ``location``."""
    tensor = helper.make_tensor(name, TensorProto.FLOAT, [4], [1.0, 2.0, 3.0, 4.0])
    tensor.ClearField("float_data")
    tensor.data_location = TensorProto.EXTERNAL
    entry = tensor.external_data.add()
    entry.key, entry.value = "location", location
    return tensor


def _model(nodes, inits=(), sparse=(), outputs=("y",)):
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs],
        list(inits),
        sparse_initializer=list(sparse),
    )
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


def _constant_node(location: str):
    """main: the validator looked at graph.initializer only; onnxruntime read the file."""
    const = helper.make_node("Constant", [], ["c"], name="leak", value=_external("v", location))
    add = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    return _model([const, add]), "node 'leak' ('Constant') attribute 'value'"


def _tensor_attribute(location: str):
    shape = helper.make_tensor("s", TensorProto.INT64, [1], [4])
    fill = helper.make_node(
        "ConstantOfShape", ["s_out"], ["c"], name="fill", value=_external("v", location)
    )
    shape_node = helper.make_node("Constant", [], ["s_out"], name="shape", value=shape)
    add = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    return _model([shape_node, fill, add]), "node 'fill' ('ConstantOfShape') attribute 'value'"


def _sparse_initializer(location: str):
    values = _external("sv", location)
    indices = helper.make_tensor("si", TensorProto.INT64, [4], [0, 1, 2, 3])
    sparse = helper.make_sparse_tensor(values, indices, [40])
    add = helper.make_node("Relu", ["x"], ["y"], name="relu")
    return _model([add], sparse=[sparse]), "sparse initializer 'sv'"


def _subgraph(location: str):
    branch = helper.make_graph(
        [helper.make_node("Identity", ["inner"], ["b"], name="id")],
        "then",
        [],
        [helper.make_tensor_value_info("b", TensorProto.FLOAT, None)],
        [_external("inner", location)],
    )
    cond = helper.make_tensor("cond", TensorProto.BOOL, [], [True])
    node = helper.make_node(
        "If", ["cond"], ["c"], name="branch", then_branch=branch, else_branch=branch
    )
    add = helper.make_node("Add", ["x", "c"], ["y"], name="add")
    return _model([node, add], inits=[cond]), "node 'branch' ('If') subgraph 'then'"


CASES = {
    "constant": _constant_node,
    "tensor attribute": _tensor_attribute,
    "sparse initializer": _sparse_initializer,
    "subgraph": _subgraph,
}


@pytest.mark.parametrize("location", ["secret.txt", "../outside/secret.txt"])
@pytest.mark.parametrize("case", list(CASES))
def test_external_data_is_refused_wherever_the_model_holds_it(
    tmp_path, capsys, monkeypatch, case, location
):
    work = tmp_path / "work"
    work.mkdir()
    (tmp_path / "outside").mkdir()
    for folder in (work, tmp_path / "outside"):
        (folder / "secret.txt").write_bytes(SECRET)
    model, holder = CASES[case](location)
    save(model, str(work / "m.onnx"))
    np.save(work / "x.npy", np.zeros([2, *SHAPE[1:]], np.float32))
    monkeypatch.chdir(work)  # onnxruntime resolves a relative location against it
    line = one_line_error(
        capsys, csim_argv(work / "m.onnx", work / "x.npy", work / "y.npy"), pattern=holder
    )
    assert "stored in an external file" in line
    out = capsys.readouterr()
    for text in (line, out.out, out.err):
        assert "SECR" not in text and "0123456789" not in text
    assert sorted(p.name for p in work.iterdir()) == ["m.onnx", "secret.txt", "x.npy"]


def test_the_check_comes_before_any_other(tmp_path):
    """A model that is wrong in other ways too is refused for its external data first."""
    from fpgagan.errors import UnsupportedModelError

    model, _ = _constant_node("/etc/hostname")
    model.opset_import[0].version = 99
    with pytest.raises(UnsupportedModelError, match="stored in an external file"):
        validate_model(model, "m.onnx")


def test_every_onnx_load_in_fpgagan_leaves_external_data_alone():
    """main: to_qonnx read Brevitas' export with ModelWrapper(path), which follows external data."""
    offenders = []
    for path in sorted((REPO / "fpgagan").rglob("*.py")):
        text = path.read_text()
        for m in re.finditer(r"onnx\.load(?:_model)?\(", text):
            if "load_external_data=False" not in _call_arguments(text, m.end()):
                offenders.append(f"{path.relative_to(REPO)}: {m.group(0)}")
        for m in re.finditer(r"ModelWrapper\((?:str\(|[a-z_]*path)", text):
            offenders.append(f"{path.relative_to(REPO)}: {m.group(0)}")
    assert not offenders, offenders


def _call_arguments(text: str, start: int) -> str:
    """The text of a call's arguments, from just after its opening parenthesis."""
    depth = 1
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start:i]
    return text[start:]
