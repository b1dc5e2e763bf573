"""U-Net generators export to standard QONNX that qonnx executes bit for bit like Brevitas."""

from __future__ import annotations

import pytest
import torch

from fpgagan.config import LayerPrecision, Precision
from fpgagan.export import execute_batch, load_qonnx, save_qonnx, to_qonnx
from fpgagan.models import UNETS, build_unet
from fpgagan.models.checkpoint import save_generator
from fpgagan.workflows.export import example_inputs, export_checkpoint, verify

N_INPUTS = 256
# what the HLS side converts (issue 14): no ConvTranspose, no normalisation, no padding nodes
ALLOWED_OPS = {"Quant", "Conv", "Relu", "Resize", "Concat", "DepthToSpace", "Add"}


def _calibrated(name: str, precision: Precision):
    net = build_unet(name, precision)
    net.train()
    for i in range(5):  # let the activation scales see data
        net(example_inputs(net, 64, seed=100 + i))
    return net.eval()


W4A8 = Precision(weight_bits=4, act_bits=8, input_range=1.0)


@pytest.mark.parametrize("name", sorted(UNETS))
def test_execute_onnx_equals_brevitas_for_every_registered_unet(name):
    net = _calibrated(name, W4A8)
    model = to_qonnx(net)
    check = verify(net, model, N_INPUTS)
    assert check.mismatches == 0 and check.max_abs_diff == 0.0
    ops = [n.op_type for n in model.graph.node]
    assert set(ops) <= ALLOWED_OPS
    levels = UNETS[name].levels
    assert ops.count("Concat") == levels
    assert ops.count("Add") == 1  # the global residual
    assert ops.count("Conv") == 2 * levels + 2  # encoder, decoder, head
    if UNETS[name].task == "sr2x":
        assert ops.count("DepthToSpace") == 1 and ops.count("Resize") == levels + 1
    else:
        assert "DepthToSpace" not in ops and ops.count("Resize") == levels
    (inp,) = model.graph.input
    dims = [d.dim_value for d in inp.type.tensor_type.shape.dim]
    assert dims == [1, *net.input_shape]


@pytest.mark.parametrize(
    "precision",
    [
        Precision(weight_bits=2, act_bits=4, input_range=1.0, output_bits=6),
        Precision(
            weight_bits=3,
            act_bits=6,
            input_range=1.0,
            weight_scaling="per-channel",
            first_last=LayerPrecision(weight_bits=8),
        ),
        Precision(weight_bits=4, act_bits=8, input_bits=6, input_range=2.0),
    ],
    ids=lambda p: p.tag,
)
def test_unet_bit_exact_across_precisions(precision):
    net = _calibrated("unet-tiny-inpaint", precision)
    assert verify(net, to_qonnx(net), N_INPUTS).mismatches == 0


def test_unet_checkpoint_exports_through_the_workflow(tmp_path):
    net = _calibrated("unet-tiny", W4A8)
    save_generator(tmp_path / "g.pt", net, "unet-tiny")
    check = export_checkpoint(tmp_path / "g.pt", tmp_path / "g.onnx", verify_n=64)
    assert check.mismatches == 0
    model = load_qonnx(tmp_path / "g.onnx")
    x = example_inputs(net, 4, seed=9)
    assert x.min() >= -1 and x.max() <= 1
    save_qonnx(model, tmp_path / "again.onnx")
    with torch.no_grad():
        ref = net(x).numpy()
    assert (execute_batch(load_qonnx(tmp_path / "again.onnx"), x.numpy()) != ref).sum() == 0
