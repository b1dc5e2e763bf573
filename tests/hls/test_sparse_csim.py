"""Sparse transposed convolution (and Dense) on the engine: bit-exact against qonnx at several
sparsities, in both io types, and identical to the dense schedule; the sparse schedule is
shorter than the dense one at the same multipliers."""

from __future__ import annotations

import numpy as np
import pytest

from fpgagan.export import execute_batch
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.engine_layers import FgConvTranspose, FgSparseConvTranspose
from fpgagan.sim import build_csim
from tests.graphs import conv_transpose_graph, quantized_input


def _sparse_graph(sparsity: float, zero_filter: bool = False, seed: int = 0):
    model, w_int, b_int = conv_transpose_graph(
        cin=4,
        cout=3,
        h=5,
        w=4,
        kernel=(4, 4),
        strides=(2, 2),
        pads=(1, 1, 1, 1),
        weight_bits=4,
        seed=seed,
    )
    w_name = [n for n in model.graph.node if n.name == "qw"][0].input[0]
    w = model.get_initializer(w_name).copy()
    rng = np.random.default_rng(seed)
    w[rng.random(w.shape) < sparsity] = 0.0
    if zero_filter:
        w[:, 1] = 0.0  # output channel 1 has no weight at all
    model.set_initializer(w_name, w)
    return model


def _layer(model, opts, out_dir):
    hw, _ = hardware_graph(model)
    hls = convert(hw, out_dir, opts)
    return next(layer for layer in hls.get_layers() if isinstance(layer, FgConvTranspose))


def _sources(project) -> str:
    """Everything the project compiles for its layers: the top function and the layer wrappers."""
    firmware = project / "firmware"
    return "".join(
        p.read_text()
        for p in [firmware / "myproject.cpp", *sorted((firmware / "weights").glob("fg_*.h"))]
    )


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize(
    "sparsity, zero_filter", [(0.0, False), (0.5, False), (0.9, False), (0.5, True), (1.0, False)]
)
def test_sparse_kernel_is_bit_exact(tmp_path, io_type, sparsity, zero_filter):
    model = _sparse_graph(sparsity, zero_filter)
    x = quantized_input(12, 4, 5, 4)
    ref = execute_batch(model, x)
    sparse = build_csim(model, tmp_path / "sparse", HlsOptions(io_type=io_type, sparse="true"))
    assert isinstance(sparse.hls_model.graph[_layer_name(sparse)], FgSparseConvTranspose)
    assert "conv2d_transpose_engine" in _sources(tmp_path / "sparse")
    np.testing.assert_array_equal(sparse.predict(x), ref)


def _layer_name(csim) -> str:
    return next(x.name for x in csim.hls_model.get_layers() if isinstance(x, FgConvTranspose))


@pytest.mark.csim
def test_sparse_and_dense_kernels_agree_with_reuse(tmp_path):
    model = _sparse_graph(0.75, seed=3)
    x = quantized_input(12, 4, 5, 4, seed=5)
    opts = dict(io_type="io_stream", strategy="resource", reuse_factor=3)
    dense = build_csim(model, tmp_path / "d", HlsOptions(sparse="false", **opts)).predict(x)
    sparse = build_csim(model, tmp_path / "s", HlsOptions(sparse="true", **opts)).predict(x)
    np.testing.assert_array_equal(dense, sparse)


def test_auto_selection_and_schedule_length(tmp_path):
    dense_layer = _layer(_sparse_graph(0.2), HlsOptions(), tmp_path / "a")
    assert not dense_layer.sparse
    opts = HlsOptions(reuse_factor=8)
    dense = _layer(_sparse_graph(0.75), HlsOptions(reuse_factor=8, sparse="false"), tmp_path / "b")
    layer = _layer(_sparse_graph(0.75), opts, tmp_path / "c")
    assert layer.sparse and layer.get_attr("weight_sparsity") >= 0.5
    # same lanes, fewer steps: the multipliers skip the zeros
    assert layer.parallelism() == dense.parallelism()
    assert layer.get_attr("n_steps") < dense.get_attr("n_steps")
    assert layer.get_attr("n_nonzero") == np.count_nonzero(layer.get_attr("raw_mats"))
    forced = _layer(_sparse_graph(0.2), HlsOptions(sparse="true"), tmp_path / "d")
    assert forced.sparse


def _pruned_generator(sparsity: float, zero_neuron: bool = False):
    import torch

    from fpgagan.compress.prune import MaskSet, magnitude_masks, weight_layers
    from fpgagan.config import Precision
    from fpgagan.export import to_qonnx
    from fpgagan.models import build_generator

    torch.manual_seed(0)
    gen = build_generator("dcgan-tiny", Precision())
    layers = weight_layers(gen)
    masks = MaskSet(magnitude_masks(layers, sparsity))
    if zero_neuron:
        masks.masks["fc"][5] = 0  # fc output 5 gets no weight at all
    masks.apply(layers)
    gen.train()
    for _ in range(3):
        gen(torch.randn(16, 8))
    return to_qonnx(gen.eval())


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
@pytest.mark.parametrize("sparsity, zero_neuron", [(0.0, False), (0.5, True), (0.9, False)])
def test_sparse_dense_and_deconv_generator_is_bit_exact(tmp_path, io_type, sparsity, zero_neuron):
    model = _pruned_generator(sparsity, zero_neuron)
    z = np.random.default_rng(1).standard_normal((20, 8)).astype(np.float32)
    csim = build_csim(
        model, tmp_path / "prj", HlsOptions(io_type=io_type, sparse="true", reuse_factor=2)
    )
    classes = {x.class_name for x in csim.hls_model.get_layers()}
    assert {"FgSparseLinear", "FgSparseConvTranspose"} <= classes
    np.testing.assert_array_equal(csim.predict(z), execute_batch(model, z))
