from __future__ import annotations

import numpy as np
import pytest
import torch

from fpgagan.config import Precision
from fpgagan.errors import ModelError
from fpgagan.export import clean_for_hls, to_qonnx
from fpgagan.export.reference import execute_batch
from fpgagan.models import build_generator


def _per_channel_tiny():
    gen = build_generator("dcgan-tiny", Precision(weight_bits=3, weight_scaling="per-channel"))
    with torch.no_grad():
        gen.deconvs[0].weight[:, 0] *= 8.0  # channels of different magnitude -> different scales
        gen.train()
        gen(torch.randn(32, 8))
    return gen.eval()


def test_per_channel_scales_become_one_power_of_two_grid():
    gen = _per_channel_tiny()
    scales = gen.deconvs[0].quant_weight().scale.flatten()
    spread = int(torch.log2(scales.max() / scales.min()).round())
    assert spread > 0  # the test really has per-channel scales
    model = clean_for_hls(to_qonnx(gen))  # the converter's graph; the file keeps them per channel
    quants = [n for n in model.graph.node if n.op_type == "Quant"]
    for node in quants:
        scale = model.get_initializer(node.input[1])
        if scale is not None:
            assert scale.size == 1, node.name
    bit_widths = sorted(
        float(model.get_initializer(n.input[3]))
        for n in quants
        if model.get_initializer(n.input[0]) is not None
    )
    assert 3 + spread in bit_widths  # the widened weight grid of deconv1
    z = np.random.default_rng(0).standard_normal((64, 8)).astype(np.float32)
    with torch.no_grad():
        expected = gen(torch.from_numpy(z)).numpy()
    assert np.array_equal(execute_batch(model, z), expected)


def test_binary_weights_refuse_per_channel_scales():
    with pytest.raises(ModelError, match="per-channel scales need weights of 2 bits"):
        build_generator("dcgan-tiny", Precision(weight_bits=1, weight_scaling="per-channel"))


@pytest.mark.csim
def test_per_channel_model_is_bit_exact_in_csim(tmp_path):
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.sim import build_csim, compare, output_lsb

    model = to_qonnx(_per_channel_tiny())
    z = np.random.default_rng(1).standard_normal((32, 8)).astype(np.float32)
    csim = build_csim(model, tmp_path / "proj", HlsOptions(io_type="io_parallel"))
    result = compare(csim.predict(z), execute_batch(model, z), output_lsb(model))
    assert result.mismatches == 0
