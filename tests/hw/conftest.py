"""Fixtures of the hardware-model tests: the shipped default's engine layers as the hardware
model sees them (converted once per session with hls4ml; :mod:`tests.hw.test_without_hls4ml`
plans the same shapes in a process where hls4ml cannot be imported)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from fpgagan.export import load_qonnx
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.workflows.hls_flow import default_model_dir


@pytest.fixture(scope="session")
def default_layers():
    """The shipped default's engine layers (io_stream), their shapes and raw weights."""
    hw, _ = hardware_graph(load_qonnx(default_model_dir() / "generator.onnx"))
    with tempfile.TemporaryDirectory() as tmp:
        hls = convert(hw, Path(tmp) / "p", HlsOptions(io_type="io_stream"))
    layers = engine_layers(hls)
    return [layer.shape() for layer in layers], {x.name: x.get_attr("raw_mats") for x in layers}
