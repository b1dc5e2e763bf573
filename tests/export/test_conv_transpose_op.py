"""The channels-last ConvTranspose op: its numpy reference against torch and onnxruntime, and the
channels-last conversion against the original graph, bit for bit (inputs on a fixed-point grid,
so every sum is exact in float32 and float64 alike)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from fpgagan.export import clean_for_hls, execute_batch
from fpgagan.export.ops.conv_transpose import DOMAIN, conv_transpose_nhwc
from fpgagan.geometry import output_size
from tests.graphs import (
    B_SCALE,
    W_SCALE,
    conv_transpose_graph,
    quantized_input,
    torch_conv_transpose,
)

CASES = [
    # kernel, strides, pads [t, l, b, r], output_padding, (h, w), cin, cout, bias
    ((1, 1), (1, 1), (0, 0, 0, 0), (0, 0), (3, 3), 1, 1, True),
    ((2, 2), (2, 2), (0, 0, 0, 0), (0, 0), (4, 4), 2, 3, False),
    ((3, 3), (2, 2), (1, 1, 1, 1), (1, 1), (4, 5), 3, 2, True),
    ((4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (7, 7), 4, 2, True),
    ((5, 5), (3, 3), (2, 1, 0, 3), (2, 1), (3, 4), 2, 5, True),
    ((3, 2), (1, 3), (0, 1, 2, 0), (0, 2), (5, 2), 8, 1, False),
    ((5, 3), (3, 2), (4, 2, 1, 0), (1, 0), (2, 6), 1, 8, True),
    ((4, 5), (3, 1), (1, 2, 3, 4), (2, 0), (6, 3), 5, 4, True),
]


@pytest.mark.parametrize("kernel, strides, pads, out_pad, hw, cin, cout, bias", CASES)
def test_reference_equals_torch(kernel, strides, pads, out_pad, hw, cin, cout, bias):
    rng = np.random.default_rng(0)
    x = quantized_input(3, cin, *hw)
    w_int = rng.integers(-7, 8, size=(cin, cout, *kernel))
    b_int = rng.integers(-900, 900, size=cout) if bias else None
    ref = torch_conv_transpose(x, w_int, b_int, strides, pads, out_pad)
    got = conv_transpose_nhwc(
        x.transpose(0, 2, 3, 1),
        (w_int * W_SCALE).astype(np.float32),
        None if b_int is None else (b_int * B_SCALE).astype(np.float32),
        strides,
        pads,
        out_pad,
    ).transpose(0, 3, 1, 2)
    assert got.shape == ref.shape
    assert got.shape[2:] == (
        output_size(hw[0], kernel[0], strides[0], pads[0], pads[2], out_pad[0]),
        output_size(hw[1], kernel[1], strides[1], pads[1], pads[3], out_pad[1]),
    )
    np.testing.assert_array_equal(got, ref)


@pytest.mark.parametrize("kernel, strides, pads, out_pad, hw, cin, cout, bias", CASES)
def test_channels_last_graph_equals_onnxruntime_graph(
    kernel, strides, pads, out_pad, hw, cin, cout, bias
):
    model, _, _ = conv_transpose_graph(cin, cout, *hw, kernel, strides, pads, out_pad, bias)
    x = quantized_input(5, cin, *hw)
    original = execute_batch(model, x)  # standard ONNX ConvTranspose, run by onnxruntime
    cleaned = clean_for_hls(model)
    domains = {n.domain for n in cleaned.graph.node if n.op_type == "ConvTranspose"}
    assert domains == {DOMAIN}
    np.testing.assert_array_equal(execute_batch(cleaned, x), original)


def test_grouped_and_dilated_reference_matches_torch():
    import torch

    rng = np.random.default_rng(3)
    x = quantized_input(2, 4, 3, 3)
    w_int = rng.integers(-7, 8, size=(4, 3, 3, 3))
    for group, dil in itertools.product((1, 2), (1, 2)):
        ref = torch.nn.functional.conv_transpose2d(
            torch.from_numpy(x).double(),
            torch.from_numpy(w_int * W_SCALE).double(),
            stride=2,
            padding=1,
            groups=group,
            dilation=dil,
        ).numpy()
        got = conv_transpose_nhwc(
            x.transpose(0, 2, 3, 1),
            w_int * W_SCALE,
            None,
            (2, 2),
            (1, 1, 1, 1),
            dilations=(dil, dil),
            group=group,
        ).transpose(0, 3, 1, 2)
        np.testing.assert_array_equal(got, ref.astype(np.float32))


@pytest.mark.parametrize("kernel, strides, pads, out_pad, hw, cin, cout, bias", CASES)
def test_multiplication_count_is_the_nonzero_products_of_zero_insertion(
    kernel, strides, pads, out_pad, hw, cin, cout, bias
):
    from fpgagan.geometry import multiplications

    # count the products of a zero-inserted input with the kernel that touch a real input pixel
    h, w = hw
    oh = output_size(h, kernel[0], strides[0], pads[0], pads[2], out_pad[0])
    ow = output_size(w, kernel[1], strides[1], pads[1], pads[3], out_pad[1])
    real = 0
    for i in range(h):
        for j in range(w):
            for a in range(kernel[0]):
                for b in range(kernel[1]):
                    y, x = i * strides[0] + a - pads[0], j * strides[1] + b - pads[1]
                    real += 0 <= y < oh and 0 <= x < ow
    n = multiplications(h, w, cin, cout, *kernel, *strides, pads, oh, ow)
    assert n == real * cin * cout
    assert n <= cin * cout * kernel[0] * kernel[1] * h * w
