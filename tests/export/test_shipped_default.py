"""The shipped default: its checkpoint re-exports to the shipped QONNX graph, which executes
exactly like the Brevitas forward, and its metrics file says what make train-qat printed."""

from __future__ import annotations

import json

import onnx

from fpgagan.export import load_qonnx, to_qonnx
from fpgagan.models.checkpoint import load_generator
from fpgagan.workflows.export import verify
from fpgagan.workflows.hls_flow import default_model_dir

N_LATENTS = 256


def test_export_reproduces_the_shipped_qonnx_graph():
    gen, record = load_generator(default_model_dir() / "generator.pt")
    assert record["precision"]["weight_bits"] == 4 and record["precision"]["act_bits"] == 8
    fresh = to_qonnx(gen).model.graph
    shipped = load_qonnx(default_model_dir() / "generator.onnx").model.graph
    # metadata (versions, git commit) may differ between runs; the graph may not
    assert onnx.helper.printable_graph(fresh) == onnx.helper.printable_graph(shipped)
    assert [i.SerializeToString() for i in fresh.initializer] == [
        i.SerializeToString() for i in shipped.initializer
    ]


def test_shipped_qonnx_executes_like_brevitas():
    gen, _ = load_generator(default_model_dir() / "generator.pt")
    check = verify(gen, load_qonnx(default_model_dir() / "generator.onnx"), N_LATENTS)
    assert check.mismatches == 0 and check.max_abs_diff == 0.0


def test_shipped_metrics_name_the_metric_and_floor():
    m = json.loads((default_model_dir() / "metrics.json").read_text())
    assert m["metric"] == "FID-FMNIST" and "not Inception-v3" in m["metric_note"]
    assert m["floor"]["fid"] < m["teacher"]["fid"] <= m["qat"]["fid"]
    assert m["qat"]["precision"] == "W4A8"
