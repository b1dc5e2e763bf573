"""Conv2D on the engine (Brevitas QuantConv2d -> QONNX -> hls4ml -> FgConv / FgSparseConv):
bit-exact against qonnx, dense and sparse, at several sparsities and geometries, in both io types
and with a reuse factor; the sparse schedule is chosen at the sparsity threshold, not below, and
never when a layer says ``Sparse: false``."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import brevitas.nn as qnn
import hls4ml
import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper
from torch import nn

from fpgagan.errors import UnsupportedModelError
from fpgagan.export import clean_for_hls, execute_batch
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph, hls_config
from fpgagan.hls.engine_layers import FgConv, FgSparseConv
from fpgagan.hw import engine as E
from fpgagan.models import quantizers as q
from fpgagan.sim import CSim, build_csim, compare
from tests.graphs import brevitas_qonnx, quantized_input

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
    torch.manual_seed(seed)
    net = _QuantConv(kernel, stride, padding, dilation).eval()
    model = clean_for_hls(brevitas_qonnx(net, torch.zeros(1, CIN, H, W)))
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
    return next(layer for layer in hls.get_layers() if isinstance(layer, FgConv))


def _check_bit_exact(tmp_path: Path, model: ModelWrapper, opts: HlsOptions) -> CSim:
    x = quantized_input(N_INPUTS, CIN, H, W)
    csim = build_csim(model, tmp_path / "prj", opts)
    wrappers = "".join(
        p.read_text() for p in (tmp_path / "prj" / "firmware" / "weights").glob("fg_*.h")
    )
    assert "nnet::fg::conv2d_engine<" in wrappers
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
    csim = _check_bit_exact(tmp_path, model, HlsOptions(io_type=io_type, sparse="true"))
    assert any(isinstance(x, FgSparseConv) for x in csim.hls_model.get_layers())


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_dense_conv2d_is_bit_exact(tmp_path, io_type):
    model = conv2d_graph(0.0)
    csim = _check_bit_exact(tmp_path, model, HlsOptions(io_type=io_type, sparse="false"))
    (layer,) = [x for x in csim.hls_model.get_layers() if isinstance(x, FgConv)]
    assert not layer.sparse


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", pytest.param("io_stream", marks=SLOW)])
def test_resource_strategy_with_reuse(tmp_path, io_type):
    model = conv2d_graph(0.75, seed=3)
    opts = HlsOptions(io_type=io_type, strategy="resource", reuse_factor=3, sparse="true")
    csim = _check_bit_exact(tmp_path, model, opts)
    layer = next(x for x in csim.hls_model.get_layers() if isinstance(x, FgSparseConv))
    parameters = (csim.project_dir / "firmware" / "parameters.h").read_text()
    assert f"static const unsigned n_steps = {layer.get_attr('n_steps')};" in parameters
    # the lanes of the dense schedule within 3 steps; the sparse schedule is never longer
    dense = E.default_parallelism(layer.geometry(), 3)
    assert (layer.get_attr("n_par"), layer.get_attr("k_par")) == (dense.n_par, dense.k_par)
    assert layer.get_attr("n_steps") <= E.dense_steps(layer.geometry(), dense.n_par, dense.k_par)


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
    assert not probe.sparse
    assert 0.5 <= sparsity < 1.0

    at = _conv_layer(model, HlsOptions(sparsity_threshold=sparsity, reuse_factor=4), tmp_path / "a")
    assert isinstance(at, FgSparseConv) and at.get_attr("weight_sparsity") == sparsity
    nnz = int(np.count_nonzero(at.get_attr("raw_mats")))
    assert at.get_attr("n_nonzero") == nnz == round((1 - sparsity) * CIN * COUT * 9)
    shape = at.shape()
    assert shape.sparse and shape.n_nonzero == nnz and shape.kernel == "FgSparseConv"
    # the sparse schedule's lanes do the non-zero products of a pixel in fewer steps
    assert at.get_attr("n_steps") <= probe.get_attr("n_steps")

    below = _conv_layer(model, HlsOptions(sparsity_threshold=sparsity + 1e-6), tmp_path / "b")
    assert not below.sparse
    auto = _conv_layer(conv2d_graph(0.2), HlsOptions(), tmp_path / "c")
    assert not auto.sparse and auto.get_attr("weight_sparsity") < 0.5


def test_per_layer_sparse_false_overrides_auto(tmp_path):
    model = conv2d_graph(0.9)
    assert isinstance(_conv_layer(model, HlsOptions(), tmp_path / "auto"), FgSparseConv)
    hw, _ = hardware_graph(model)
    cfg = hls_config(hw, HlsOptions())  # Sparse: auto everywhere ...
    conv = next(n.name for n in hw.graph.node if n.op_type == "Conv")
    cfg["LayerName"][conv]["Sparse"] = False  # ... but not for this layer
    with contextlib.redirect_stdout(io.StringIO()):
        hls = hls4ml.converters.convert_from_onnx_model(
            hw.model, output_dir=str(tmp_path / "off"), backend="Vitis", hls_config=cfg
        )
    (kept,) = [x for x in hls.get_layers() if isinstance(x, FgConv)]
    assert not kept.sparse and kept.get_attr("weight_sparsity") >= 0.5


def test_dense_conv2d_shape_for_the_cost_model(tmp_path):
    layer = _conv_layer(conv2d_graph(0.2), HlsOptions(), tmp_path / "dense")
    assert not layer.sparse
    shape = layer.shape()
    g = layer.get_attr
    assert (shape.geometry.n_taps, shape.geometry.n_chan, shape.geometry.n_out) == (9, CIN, COUT)
    # the engine multiplies real input pixels only: padded taps do not count as MACs
    _, valid = E.conv_taps((H, W), (g("out_height"), g("out_width")), (3, 3), (2, 2), (1, 1))
    assert shape.macs == int(valid.sum()) * CIN * COUT
