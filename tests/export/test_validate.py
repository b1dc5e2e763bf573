"""validate_model reads only the protobuf; fpgagan's and Brevitas' own models pass it."""

from __future__ import annotations

import onnx
import pytest

from fpgagan.errors import UnsupportedModelError
from fpgagan.export.validate import ALLOWED_DOMAINS, is_power_of_two, validate_model
from tests.conftest import REPO
from tests.export.model_builders import brevitas_binary_floor


def test_the_shipped_model_and_a_raw_brevitas_export_pass():
    validate_model(
        onnx.load(str(REPO / "fpgagan" / "assets" / "default" / "generator.onnx")), "shipped"
    )
    model, _ = brevitas_binary_floor()
    validate_model(model.model, "brevitas")
    assert {n.domain for n in model.graph.node} <= ALLOWED_DOMAINS


def test_a_domain_outside_the_allow_list_is_refused_without_importing_it(monkeypatch):
    import importlib

    model, _ = brevitas_binary_floor()
    model.graph.node[0].domain = "os"
    imported = []
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: imported.append(name))
    with pytest.raises(UnsupportedModelError, match="op domain 'os' is not one fpgagan reads"):
        validate_model(model.model, "m.onnx")
    assert imported == []


def test_is_power_of_two():
    assert is_power_of_two([0.125, 1.0, 4.0])
    assert not is_power_of_two([0.1]) and not is_power_of_two([-0.5]) and not is_power_of_two([])
    assert not is_power_of_two([float("nan")]) and not is_power_of_two([float("inf")])
