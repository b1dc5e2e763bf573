"""The board flow for image-to-image generators: the task is found (checkpoint, --task, shapes),
test images degraded by the task go through the C simulation bit-exactly, and the report scores
float, quantized and FPGA outputs against ground truth beside the task's baseline."""

from __future__ import annotations

import json

import pytest
import torch
from onnx import TensorProto, helper

from fpgagan.config import Precision
from fpgagan.errors import ExportError
from fpgagan.models import build_unet
from fpgagan.models.checkpoint import save_generator
from fpgagan.workflows.hls_flow import run_hls_flow
from fpgagan.workflows.hls_image_task import infer_task

W4A8 = Precision(weight_bits=4, act_bits=8, input_bits=8, input_range=1.0, output_bits=8)


def _graph(inp: list[int], out: list[int]):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, inp)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, out)
    return helper.make_model(helper.make_graph([], "g", [x], [y]))


@pytest.mark.parametrize(
    "inp, out, task",
    [
        ([1, 64], [1, 1, 28, 28], "latent"),
        ([1, 100, 1, 1], [1, 3, 64, 64], "latent"),
        ([1, 8, 1, 1], [1, 1, 16, 8], "latent"),
        ([1, 1, 14, 14], [1, 1, 28, 28], "sr2x"),
        ([1, 3, 8, 12], [1, 3, 16, 24], "sr2x"),
        ([1, 1, 28, 28], [1, 1, 28, 28], "inpaint"),
        ([1, 3, 32, 16], [1, 3, 32, 16], "inpaint"),
    ],
)
def test_task_from_shapes(inp, out, task):
    assert infer_task(_graph(inp, out)) == task
    assert infer_task(_graph(inp, out), task) == task


@pytest.mark.parametrize(
    "inp, out",
    [
        ([1, 1, 10, 10], [1, 1, 28, 28]),  # neither the input's size nor twice it
        ([1, 1, 14, 28], [1, 1, 28, 28]),  # twice in height only
        ([1, 1, 28, 28], [1, 3, 28, 28]),  # grey in, colour out
        ([1, 8, 2, 2], [1, 1, 28, 28]),  # a latent must be (N, nz) or (N, nz, 1, 1)
        ([1, 64], [1, 784]),  # no image out
    ],
)
def test_shapes_of_no_task_are_refused_naming_them(inp, out):
    with pytest.raises(ExportError) as exc:
        infer_task(_graph(inp, out))
    message = str(exc.value)
    assert f"{inp} -> {out}" in message and "\n" not in message
    assert all(f"--task {t}" in message for t in ("latent", "sr2x", "inpaint"))


def test_a_task_that_does_not_fit_is_refused():
    with pytest.raises(ExportError, match="does not fit"):
        infer_task(_graph([1, 1, 14, 14], [1, 1, 28, 28]), "inpaint")
    with pytest.raises(ExportError, match="does not fit"):
        infer_task(_graph([1, 8, 1, 1], [1, 3, 8, 8]), "sr2x")
    with pytest.raises(ExportError, match="does not fit"):
        infer_task(_graph([1, 1, 14, 14], [1, 1, 28, 28]), "latent")
    with pytest.raises(ExportError, match="unknown task"):
        infer_task(_graph([1, 1, 14, 14], [1, 1, 28, 28]), "denoise")


def _calibrated_student(name: str, seed: int):
    torch.manual_seed(seed)
    gen = build_unet(name, W4A8).train()
    size = gen.spec.in_size
    with torch.no_grad():
        for _ in range(3):  # activation scales from running statistics
            gen(torch.rand(16, 1, size, size) * 2 - 1)
    return gen.eval()


@pytest.mark.csim
def test_sr2x_flow_is_bit_exact_and_scored_against_ground_truth(tmp_path):
    gen = _calibrated_student("unet-tiny", 0)
    save_generator(tmp_path / "g.pt", gen, "unet-tiny")
    torch.manual_seed(1)
    save_generator(tmp_path / "t.pt", build_unet("unet-tiny").eval(), "unet-tiny")
    out = tmp_path / "flow"
    report = run_hls_flow(
        "pynq-z2", out, model=str(tmp_path / "g.pt"), n=6, teacher=str(tmp_path / "t.pt")
    )
    assert report.bit_exact.exact and report.bit_exact_independent.exact
    assert report.quality is None
    t = report.image_task
    assert t is not None and t.task == "sr2x" and t.n_images == 6
    sources = [s.source for s in t.scores]
    assert sources == [
        "float teacher",
        "quantized (qonnx)",
        "FPGA (C simulation)",
        "baseline: bicubic",
    ]
    by = {s.source: s for s in t.scores}
    # bit-exact outputs score the same
    assert by["quantized (qonnx)"].psnr_db == by["FPGA (C simulation)"].psnr_db
    assert (out / "task_grid.png").is_file() and (out / "float_vs_fpga.png").is_file()
    text = (out / "report.md").read_text()
    assert "sr2x: against ground truth (6 test-split images)" in text
    assert json.loads((out / "report.json").read_text())["image_task"]["task"] == "sr2x"
    # the U-Net's skip connection: clones and the concat are processes the estimate counts
    kinds = {s.kind for s in report.cost.stages}
    assert {"clone", "concat"} <= kinds
    assert len(report.cost.streams) == len(report.cost.fifo_depths)
