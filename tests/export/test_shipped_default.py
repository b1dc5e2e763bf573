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


PLAIN_QONNX = """
import sys
import numpy as np
from qonnx.core.modelwrapper import ModelWrapper
from qonnx.core.onnx_exec import execute_onnx
assert "fpgagan" not in sys.modules
m = ModelWrapper(sys.argv[1])
i, o = m.graph.input[0].name, m.graph.output[0].name
z = np.load(sys.argv[2])
y = np.concatenate([execute_onnx(m, {i: z[k : k + 1]})[o] for k in range(len(z))])
np.save(sys.argv[3], y)
assert "fpgagan" not in sys.modules
"""


def test_shipped_qonnx_is_standard_qonnx(tmp_path):
    """The interchange file runs under plain qonnx, in a process that never imports fpgagan,
    and gives the Brevitas forward's images."""
    import subprocess
    import sys

    import numpy as np
    import torch

    model = default_model_dir() / "generator.onnx"
    domains = {n.domain for n in onnx.load(str(model)).graph.node}
    assert domains <= {"", "qonnx.custom_op.general"}, domains
    gen, _ = load_generator(default_model_dir() / "generator.pt")
    z = torch.randn(4, gen.spec.latent_dim, generator=torch.Generator().manual_seed(3))
    np.save(tmp_path / "z.npy", z.numpy())
    subprocess.run(
        [
            sys.executable,
            "-c",
            PLAIN_QONNX,
            str(model),
            str(tmp_path / "z.npy"),
            str(tmp_path / "y.npy"),
        ],
        check=True,
        cwd=tmp_path,
    )
    with torch.no_grad():
        ref = gen.eval()(z).numpy()
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), ref)
