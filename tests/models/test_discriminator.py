from __future__ import annotations

import pytest
import torch

from fpgagan.config import LayerPrecision, Precision
from fpgagan.errors import ModelError
from fpgagan.models import build_discriminator


def test_discriminator_precision_applies_range_scaling_and_first_last():
    p = Precision(
        weight_bits=2,
        weight_range="full",
        weight_scaling="per-channel",
        first_last=LayerPrecision(weight_bits=8),
    )
    d = build_discriminator("dcgan-disc-tiny", p)
    assert d(torch.randn(4, 1, 28, 28)).shape == (4,)
    bits = {n: int(getattr(d, n).quant_weight().bit_width) for n in ("conv1", "conv2", "fc")}
    assert bits == {"conv1": 8, "conv2": 2, "fc": 8}
    assert d.conv2.weight_quant.tensor_quant.int_quant.narrow_range is False  # full range
    assert d.conv2.quant_weight().scale.numel() == 16  # one scale per output channel


def test_discriminator_refuses_unknown_layer_names():
    with pytest.raises(ModelError, match=r"unknown layer\(s\) \['conv9'\]"):
        build_discriminator("dcgan-disc-tiny", Precision(layers={"conv9": LayerPrecision(3)}))
