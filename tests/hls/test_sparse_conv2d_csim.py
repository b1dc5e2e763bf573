"""Sparse Conv2D (Brevitas QuantConv2d -> QONNX -> hls4ml): bit-exact against qonnx at several
sparsities, in both io types and with a reuse factor; chosen at the sparsity threshold, not below,
and never when a layer says ``Sparse: false``."""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
import warnings
from pathlib import Path

import brevitas.nn as qnn
import hls4ml
import numpy as np
import pytest
import torch
from hls4ml.model.layers import Conv2D
from qonnx.core.modelwrapper import ModelWrapper
from torch import nn

from fpgagan.errors import UnsupportedModelError
from fpgagan.export import clean_for_hls, execute_batch
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph, hls_config
from fpgagan.hls.cost import layer_shapes
from fpgagan.hls.layers import SparseConv2D
from fpgagan.hls.templates import nonzero_multiplier_limit
from fpgagan.models import quantizers as q
from fpgagan.sim import CSim, build_csim, compare
from tests.graphs import quantized_input

CIN, COUT, H, W = 4, 3, 6, 5
N_INPUTS = 12
# 8-bit input over [-8, 8): LSB 2^-4, the grid of tests.graphs.quantized_input
IN_RANGE = 8.0


class _QuantConv(nn.Module):
    """Input quantizer -> QuantConv2d (4-bit weights, 32-bit bias) -> 8-bit output quantizer."""

    def __init__(self, kernel, stride, padding, dilation):
        super().__init__()
        self.inp = qnn.QuantIdentity(
            act_quant=q.signed_range_quant(8, IN_RANGE), return_quant_tensor=True
        )
        self.conv = qnn.QuantConv2d(
            CIN,
            COUT,
            kernel,
            stride,
            padding,
            dilation=dilation,
            bias=True,
            weight_quant=q.weight_quant(4),
            bias_quant=q.bias_quant(),
        )
        self.out = qnn.QuantIdentity(act_quant=q.signed_range_quant(8, 8.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.conv(self.inp(x)))


def conv2d_graph(
    sparsity: float,
    zero_filter: bool = False,
    seed: int = 0,
    kernel=3,
    stride=2,
    padding=1,
    dilation=1,
) -> ModelWrapper:
    """A cleaned, channels-last QONNX graph of one QuantConv2d with ``sparsity`` of its weights
    zeroed at random (quantization may zero a few more); ``zero_filter`` empties output channel 1.

    Weights are zeroed in the exported graph, so the quantizer keeps the scale it had for the
    whole layer (Brevitas' MSE scale of an all-zero tensor collapses towards 2^-36).
    """
    from brevitas.export import export_qonnx

    torch.manual_seed(seed)
    net = _QuantConv(kernel, stride, padding, dilation).eval()
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            export_qonnx(net, torch.zeros(1, CIN, H, W), export_path=str(raw))
        model = clean_for_hls(ModelWrapper(str(raw)))
    conv = next(n for n in model.graph.node if n.op_type == "Conv")
    w_name = model.find_producer(conv.input[1]).input[0]
    w = model.get_initializer(w_name).copy()  # (C_out, kH, kW, C_in) after channels-last
    w[np.random.default_rng(seed).random(w.shape) < sparsity] = 0.0
    if zero_filter:
        w[1] = 0.0
    model.set_initializer(w_name, w)
    return model


def _conv_layer(model: ModelWrapper, opts: HlsOptions, out_dir: Path):
    hw, _ = hardware_graph(model)
    hls = convert(hw, out_dir, opts)
    return next(layer for layer in hls.get_layers() if isinstance(layer, SparseConv2D | Conv2D))


def _check_bit_exact(tmp_path: Path, model: ModelWrapper, opts: HlsOptions) -> CSim:
    x = quantized_input(N_INPUTS, CIN, H, W)
    csim = build_csim(model, tmp_path / "prj", opts)
    source = (tmp_path / "prj" / "firmware" / "myproject.cpp").read_text()
    assert "nnet::sparse_conv_2d_cl<" in source
    result = compare(csim.predict(x), execute_batch(model, x))
    assert result.mismatches == 0, result
    return csim


SLOW = pytest.mark.slow


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize(
    "sparsity, zero_filter",
    [
        (0.5, True),
        pytest.param(0.0, False, marks=SLOW),
        pytest.param(0.5, False, marks=SLOW),
        pytest.param(0.9, False, marks=SLOW),
        pytest.param(1.0, False, marks=SLOW),  # no weight at all: bias only
    ],
)
def test_sparse_conv2d_is_bit_exact(tmp_path, io_type, sparsity, zero_filter):
    model = conv2d_graph(sparsity, zero_filter)
    _check_bit_exact(tmp_path, model, HlsOptions(io_type=io_type, sparse="true"))


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", pytest.param("io_stream", marks=SLOW)])
def test_resource_strategy_with_reuse(tmp_path, io_type):
    model = conv2d_graph(0.75, seed=3)
    opts = HlsOptions(io_type=io_type, strategy="resource", reuse_factor=3, sparse="true")
    csim = _check_bit_exact(tmp_path, model, opts)
    layer = next(x for x in csim.hls_model.get_layers() if isinstance(x, SparseConv2D))
    parameters = (csim.project_dir / "firmware" / "parameters.h").read_text()
    limit = math.ceil(layer.get_attr("n_nonzero") / 3)
    assert f"multiplier_limit = {limit};" in parameters
    assert limit < math.ceil(CIN * COUT * 9 / 3)


# kernel, stride, padding: non-square with asymmetric strides, stride 1, no padding
GEOMETRIES = [((3, 2), (1, 2), (0, 1)), (3, 1, 1), (2, 2, 0)]


@SLOW
@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=["k3x2s1x2", "k3s1", "k2s2p0"])
def test_sparse_conv2d_geometries(tmp_path, io_type, geometry):
    kernel, stride, padding = geometry
    model = conv2d_graph(0.6, seed=2, kernel=kernel, stride=stride, padding=padding)
    _check_bit_exact(tmp_path, model, HlsOptions(io_type=io_type, sparse="true"))


def test_dilated_conv_is_refused_by_name(tmp_path):
    with pytest.raises(UnsupportedModelError, match=r"Conv node .*dilations=\[2, 2\]"):
        _conv_layer(conv2d_graph(0.6, dilation=2), HlsOptions(), tmp_path / "p")


def test_selection_at_threshold_and_multiplier_count(tmp_path):
    model = conv2d_graph(0.6)
    probe = _conv_layer(model, HlsOptions(sparse="false"), tmp_path / "probe")
    sparsity = probe.get_attr("weight_sparsity")
    assert isinstance(probe, Conv2D) and not probe.get_attr("use_sparse_kernel")
    assert 0.5 <= sparsity < 1.0

    at = _conv_layer(model, HlsOptions(sparsity_threshold=sparsity, reuse_factor=4), tmp_path / "a")
    assert isinstance(at, SparseConv2D) and at.get_attr("use_sparse_kernel")
    assert at.get_attr("weight_sparsity") == sparsity
    nnz = int(np.count_nonzero(at.get_weights("weight").data))
    assert at.get_attr("n_nonzero") == nnz == round((1 - sparsity) * CIN * COUT * 9)
    assert nonzero_multiplier_limit(at) == math.ceil(nnz / 4) < math.ceil(CIN * COUT * 9 / 4)
    (shape,) = layer_shapes(at.model)
    assert (shape.kind, shape.n_weights, shape.mults_per_step) == ("Conv2D", nnz, nnz)

    below = _conv_layer(model, HlsOptions(sparsity_threshold=sparsity + 1e-6), tmp_path / "b")
    assert isinstance(below, Conv2D) and not below.get_attr("use_sparse_kernel")
    auto = _conv_layer(conv2d_graph(0.2), HlsOptions(), tmp_path / "c")
    assert isinstance(auto, Conv2D) and auto.get_attr("weight_sparsity") < 0.5


def test_per_layer_sparse_false_overrides_auto(tmp_path):
    model = conv2d_graph(0.9)
    assert isinstance(_conv_layer(model, HlsOptions(), tmp_path / "auto"), SparseConv2D)
    hw, _ = hardware_graph(model)
    cfg = hls_config(hw, HlsOptions())  # Sparse: auto everywhere ...
    conv = next(n.name for n in hw.graph.node if n.op_type == "Conv")
    cfg["LayerName"][conv]["Sparse"] = False  # ... but not for this layer
    with contextlib.redirect_stdout(io.StringIO()):
        hls = hls4ml.converters.convert_from_onnx_model(
            hw.model, output_dir=str(tmp_path / "off"), backend="Vitis", hls_config=cfg
        )
    (kept,) = [x for x in hls.get_layers() if isinstance(x, SparseConv2D | Conv2D)]
    assert isinstance(kept, Conv2D) and not kept.get_attr("use_sparse_kernel")
    assert kept.get_attr("weight_sparsity") >= 0.5


def test_dense_conv2d_is_in_the_cost_model(tmp_path):
    layer = _conv_layer(conv2d_graph(0.2), HlsOptions(), tmp_path / "dense")
    assert isinstance(layer, Conv2D) and not isinstance(layer, SparseConv2D)
    (shape,) = layer_shapes(layer.model)
    g = layer.get_attr
    per_pixel = CIN * COUT * 9
    assert (shape.kind, shape.n_weights, shape.mults_per_step) == ("Conv2D", per_pixel, per_pixel)
    assert shape.macs == per_pixel * g("out_height") * g("out_width")
