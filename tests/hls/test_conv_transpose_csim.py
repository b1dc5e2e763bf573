"""Conv2DTranspose in C simulation: bit-exact against qonnx execute_onnx (0 differing elements)
and, where the layer output is the raw accumulator, equal to torch's conv_transpose2d."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagan.export import execute_batch
from fpgagan.hls.convert import HlsOptions
from fpgagan.sim import build_csim, compare
from tests.graphs import conv_transpose_graph, quantized_input, torch_conv_transpose

# kernel, strides, pads [t, l, b, r], output_padding, (h, w), cin, cout, bias, weight bits, out bits
GRID = [
    ((4, 4), (2, 2), (1, 1, 1, 1), (0, 0), (7, 7), 4, 2, True, 4, 8),  # the DCGAN stage
    (
        (3, 3),
        (2, 2),
        (1, 1, 1, 1),
        (1, 1),
        (4, 5),
        3,
        2,
        True,
        3,
        None,
    ),  # output_padding, raw output
    ((5, 3), (3, 2), (4, 2, 1, 0), (1, 0), (2, 6), 1, 8, True, 8, 6),  # asymmetric, non-square
    ((1, 1), (1, 1), (0, 0, 0, 0), (0, 0), (3, 3), 1, 1, False, 2, None),  # 1x1, no bias
    ((2, 5), (1, 3), (0, 1, 1, 0), (0, 2), (5, 2), 8, 1, False, 5, 8),
    ((5, 5), (3, 3), (2, 1, 0, 3), (2, 1), (3, 4), 2, 5, True, 6, None),
    ((4, 5), (3, 1), (1, 2, 3, 4), (2, 0), (6, 3), 5, 4, True, 7, 4),
    ((3, 4), (2, 3), (0, 0, 2, 3), (1, 2), (4, 3), 6, 3, True, 2, None),
]
DEFAULT = GRID[:4]
IO_TYPES = ["io_parallel", "io_stream"]
N_INPUTS = 16


def _check(tmp_path, case, io_type, strategy="latency", reuse=1):
    kernel, strides, pads, out_pad, hw, cin, cout, bias, wbits, obits = case
    model, w_int, b_int = conv_transpose_graph(
        cin, cout, *hw, kernel, strides, pads, out_pad, bias, wbits, obits
    )
    x = quantized_input(N_INPUTS, cin, *hw)
    csim = build_csim(
        model, tmp_path / "prj", HlsOptions(io_type=io_type, strategy=strategy, reuse_factor=reuse)
    )
    y = csim.predict(x)
    result = compare(y, execute_batch(model, x))
    assert result.mismatches == 0, result
    if obits is None:
        np.testing.assert_array_equal(
            y, torch_conv_transpose(x, w_int, b_int, strides, pads, out_pad)
        )


@pytest.mark.csim
@pytest.mark.parametrize("io_type", IO_TYPES)
@pytest.mark.parametrize("case", DEFAULT, ids=[f"k{c[0]}s{c[1]}" for c in DEFAULT])
def test_bit_exact(tmp_path, case, io_type):
    _check(tmp_path, case, io_type)


@pytest.mark.csim
@pytest.mark.parametrize("io_type", IO_TYPES)
def test_resource_strategy_with_reuse(tmp_path, io_type):
    _check(tmp_path, GRID[0], io_type, strategy="resource", reuse=4)


@pytest.mark.slow
@pytest.mark.csim
@pytest.mark.parametrize("io_type", IO_TYPES)
@pytest.mark.parametrize(
    "case", GRID[len(DEFAULT) :], ids=[f"k{c[0]}s{c[1]}p{c[2]}" for c in GRID[len(DEFAULT) :]]
)
def test_bit_exact_full_grid(tmp_path, case, io_type):
    _check(tmp_path, case, io_type)
