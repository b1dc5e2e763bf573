"""The codebook kernel (fpgagan.hw.codebook): Dense, Conv2D and ConvTranspose layers whose
weights take at most K distinct values (K = 2, 4, 16, with and without zeros) are computed on
indices, bit-exact against qonnx in both io types and in the synthesis form; ``Codebook: auto``
takes them, ``false`` keeps the dense kernel, ``true`` refuses a layer with too many values by
name; the generated project multiplies K values per output (K - 1 with a zero entry), whatever
the fan-in, and the cost model counts the same."""

from __future__ import annotations

import contextlib
import io
import itertools
import re
from pathlib import Path

import brevitas.nn as qnn
import numpy as np
import pytest
import torch
from qonnx.core.modelwrapper import ModelWrapper
from torch import nn

from fpgagan.errors import UnsupportedModelError
from fpgagan.export import clean_for_hls, execute_batch
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.engine_layers import (
    EngineLayer,
    FgCodebookConv,
    FgCodebookConvTranspose,
    FgCodebookLinear,
    FgConv,
    FgConvTranspose,
    FgLinear,
)
from fpgagan.hls.memory import engine_bits
from fpgagan.hw import codebook as C
from fpgagan.hw import engine as E
from fpgagan.hw.cost import layer_cost
from fpgagan.models import quantizers as q
from fpgagan.sim import build_csim, compare
from tests.graphs import IN_SCALE, brevitas_qonnx

CIN, COUT, H, W = 4, 6, 5, 4
N_IN = 20  # a Dense layer's inputs
N_INPUTS = 8
WEIGHT_BITS = 8  # room for 16 distinct values with an index (4 bits) narrower than a weight
IN_RANGE = 8.0  # 8-bit input over [-8, 8): LSB 2^-4 (tests.graphs.IN_SCALE)
KINDS = ("dense", "conv", "conv_transpose")
OPS = {"dense": "MatMul", "conv": "Conv", "conv_transpose": "ConvTranspose"}
DENSE_CLASS = {"dense": FgLinear, "conv": FgConv, "conv_transpose": FgConvTranspose}
CODEBOOK_CLASS = {
    "dense": FgCodebookLinear,
    "conv": FgCodebookConv,
    "conv_transpose": FgCodebookConvTranspose,
}


class _Probe(nn.Module):
    """Input quantizer -> one weight layer (8-bit weights, 32-bit bias) [-> 8-bit output]."""

    def __init__(self, kind: str, cin: int, n_in: int, out_quant: bool):
        super().__init__()
        self.inp = qnn.QuantIdentity(
            act_quant=q.signed_range_quant(8, IN_RANGE), return_quant_tensor=True
        )
        wq = dict(bias=True, weight_quant=q.weight_quant(WEIGHT_BITS), bias_quant=q.bias_quant())
        if kind == "dense":
            self.layer = qnn.QuantLinear(n_in, COUT, **wq)
        elif kind == "conv":
            self.layer = qnn.QuantConv2d(cin, COUT, 3, 2, 1, **wq)
        else:
            self.layer = qnn.QuantConvTranspose2d(cin, COUT, 4, 2, 1, **wq)
        # without an output quantizer the output is the accumulator: every LSB of it compared
        self.out = (
            qnn.QuantIdentity(act_quant=q.signed_range_quant(8, 8.0))
            if out_quant
            else nn.Identity()
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.layer(self.inp(x)))


def _input_shape(kind: str, cin: int = CIN, n_in: int = N_IN) -> tuple[int, ...]:
    return (n_in,) if kind == "dense" else (cin, H, W)


def codebook_graph(
    kind: str,
    k: int,
    zero: bool,
    seed: int = 0,
    cin: int = CIN,
    n_in: int = N_IN,
    distinct: int | None = None,
    out_quant: bool = True,
) -> tuple[ModelWrapper, np.ndarray]:
    """A cleaned QONNX graph of one layer whose weights take exactly ``k`` values on the weight
    quantizer's grid (zero one of them when ``zero``, held by about half the weights, as pruning
    leaves them); ``distinct`` instead of ``k``: random weights over the whole grid;
    ``out_quant``: the output quantized to 8 bits, else the layer's accumulator.

    Returns the graph and the layer's raw integer weights.
    """
    torch.manual_seed(seed)
    net = _Probe(kind, cin, n_in, out_quant).eval()
    model = clean_for_hls(brevitas_qonnx(net, torch.zeros(1, *_input_shape(kind, cin, n_in))))
    op = next(n for n in model.graph.node if n.op_type == OPS[kind])
    quant = model.find_producer(op.input[1])
    scale = float(model.get_initializer(quant.input[1]))
    shape = model.get_initializer(quant.input[0]).shape
    rng = np.random.default_rng(seed)
    qmax = 2 ** (WEIGHT_BITS - 1) - 1
    if distinct is not None:
        w_int = rng.integers(-qmax, qmax + 1, size=shape)
    else:
        w_int = _shared_weights(rng, shape, k, zero, qmax)
    model.set_initializer(quant.input[0], (w_int * scale).astype(np.float32))
    return model, w_int


def _shared_weights(rng, shape, k: int, zero: bool, qmax: int) -> np.ndarray:
    """Exactly ``k`` values, every one used; zero (when ``zero``) for about half the weights."""
    nonzero = np.arange(-qmax, qmax + 1)
    nonzero = nonzero[nonzero != 0]
    values = rng.choice(nonzero, size=k - int(zero), replace=False)
    if not len(values):
        return np.zeros(shape, np.int64)
    idx = rng.integers(0, len(values), size=shape)
    w = values[idx]
    if zero:
        w[rng.random(shape) < 0.5] = 0
    flat = w.reshape(-1)
    flat[: len(values)] = values  # every value at least once
    if zero:
        flat[len(values)] = 0
    return w


def _inputs(kind: str, cin: int = CIN, n_in: int = N_IN, seed: int = 1) -> np.ndarray:
    x = np.random.default_rng(seed).normal(0, 2.0, size=(N_INPUTS, *_input_shape(kind, cin, n_in)))
    return (np.clip(np.round(x / IN_SCALE), -128, 127) * IN_SCALE).astype(np.float32)


def _engine_layer(hls_model) -> EngineLayer:
    (layer,) = [x for x in hls_model.get_layers() if isinstance(x, EngineLayer)]
    return layer


def _convert(
    model: ModelWrapper, opts: HlsOptions, out_dir: Path, write: bool = False
) -> EngineLayer:
    """The layer's engine layer; ``write``: with the project written (not compiled)."""
    hw, _ = hardware_graph(model)
    hls_model = convert(hw, out_dir, opts)
    if write:
        with contextlib.redirect_stdout(io.StringIO()):
            hls_model.write()
    return _engine_layer(hls_model)


def _layer_config(model: ModelWrapper, kind: str, **settings) -> dict[str, dict[str, object]]:
    hw, _ = hardware_graph(model)
    name = next(n.name for n in hw.graph.node if n.op_type == OPS[kind])
    return {name: settings}


# ---------------------------------------------------------------- numpy reference


@pytest.mark.parametrize("k, zero", [(2, False), (4, True), (16, False), (16, True)])
@pytest.mark.parametrize("n_par, k_par", [(1, 1), (2, 4), (6, 8), (3, 2)])
def test_reference_equals_the_dense_product(k, zero, n_par, k_par):
    rng = np.random.default_rng(k + n_par)
    mats = _shared_weights(rng, (3, 4, 8, 6), k, zero, qmax=127)  # (mats, taps, chan, out)
    book = C.codebook_of(mats)
    assert book.size == k and book.zero_entry == zero and book.codes == k - zero
    np.testing.assert_array_equal(book.values[book.indices], mats)
    par = E.Parallelism(n_par, k_par)
    rom = E.dense_rom(book.indices, par)
    bias = rng.integers(-1000, 1000, size=6)
    for mat in range(3):
        window = rng.integers(-128, 128, size=4 * 8)
        got = C.run_codebook(rom, book, bias, window, mat, k_par, n_par)
        np.testing.assert_array_equal(got, bias + window @ mats[mat].reshape(-1, 6))
        np.testing.assert_array_equal(
            got, E.run_dense(E.dense_rom(mats, par), bias, window, mat, par)
        )


def test_partial_sums_fit_their_width():
    """A partial sum holds fan_in inputs at their extreme (signed and unsigned inputs)."""
    for x_bits, signed, fan_in in [(8, True, 36), (8, False, 64), (4, True, 1), (6, False, 100)]:
        bits = C.partial_sum_bits(x_bits, signed, fan_in)
        lo = -(2 ** (x_bits - 1)) if signed else 0
        hi = 2 ** (x_bits - 1) - 1 if signed else 2**x_bits - 1
        assert -(2 ** (bits - 1)) <= fan_in * lo and fan_in * hi <= 2 ** (bits - 1) - 1


# ---------------------------------------------------------------- selection


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k, zero", [(2, False), (4, True), (16, False), (16, True)])
def test_auto_takes_the_codebook_kernel(tmp_path, kind, k, zero):
    model, w_int = codebook_graph(kind, k, zero)
    layer = _convert(model, HlsOptions(), tmp_path / "prj")
    assert isinstance(layer, CODEBOOK_CLASS[kind]) and layer.codebook and not layer.sparse
    shape = layer.shape()
    assert shape.codebook_size == k and shape.codebook_zero == zero and shape.codes == k - zero
    assert shape.kernel == CODEBOOK_CLASS[kind].__name__
    # the codebook holds the layer's values, the ROM the index of every weight
    values = layer.get_attr("rom_codebook")
    assert sorted(values.tolist()) == sorted(np.unique(w_int).tolist())
    assert layer.get_attr("rom_weights").max() < k
    assert layer.widths().idx_bits == C.index_bits(k)


@pytest.mark.parametrize("kind", KINDS)
def test_codebook_false_keeps_the_dense_kernel(tmp_path, kind):
    model, _ = codebook_graph(kind, 4, zero=True)
    off = _convert(model, HlsOptions(codebook="false"), tmp_path / "off")
    assert isinstance(off, DENSE_CLASS[kind]) and not off.codebook and not off.sparse
    cfg = _layer_config(model, kind, Codebook="false")
    per_layer = _convert(model, HlsOptions(layer_config=cfg), tmp_path / "layer")
    assert not per_layer.codebook


def test_auto_keeps_the_dense_kernel_where_indices_save_nothing(tmp_path):
    """Random 8-bit weights: far more than 16 values; 4-bit weights with 9 to 15 values: an index
    would be as wide as a weight."""
    many, _ = codebook_graph("conv", 0, False, distinct=255)
    layer = _convert(many, HlsOptions(), tmp_path / "prj")
    assert not layer.codebook and C.distinct_values(layer.get_attr("raw_mats")) > C.MAX_CODES
    raw = np.arange(-7, 8)
    assert not C.eligible(raw, 4) and C.eligible(raw, 5) and C.eligible(raw[:8], 4)


@pytest.mark.parametrize("kind", KINDS)
def test_codebook_true_with_too_many_values_is_refused_by_name(tmp_path, kind):
    model, _ = codebook_graph(kind, 0, False, distinct=255)
    cfg = _layer_config(model, kind, Codebook="true")
    (name,) = cfg
    with pytest.raises(UnsupportedModelError) as err:
        _convert(model, HlsOptions(layer_config=cfg), tmp_path / "prj")
    message = str(err.value)
    assert "\n" not in message
    # the layer as hls4ml names it (the ONNX node's name with its hls4ml class in front)
    assert re.match(rf"layer '\w*{name}': Codebook=true needs at most {C.MAX_CODES} ", message)


def test_codebook_true_excludes_sparse_true(tmp_path):
    model, _ = codebook_graph("conv", 4, True)
    cfg = _layer_config(model, "conv", Codebook="true", Sparse="true")
    with pytest.raises(UnsupportedModelError, match="Sparse=true and Codebook=true"):
        _convert(model, HlsOptions(layer_config=cfg), tmp_path / "prj")


# ---------------------------------------------------------------- C simulation


def _wrapper(project: Path, layer: EngineLayer) -> str:
    return (project / "firmware" / "weights" / f"fg_{layer.index}.h").read_text()


def _check_bit_exact(
    tmp_path: Path, kind: str, k: int, zero: bool, opts: HlsOptions, out_quant=True, **build
):
    model, _ = codebook_graph(kind, k, zero, seed=k, out_quant=out_quant)
    x = _inputs(kind)
    csim = build_csim(model, tmp_path / "prj", opts, **build)
    layer = _engine_layer(csim.hls_model)
    assert isinstance(layer, CODEBOOK_CLASS[kind])
    assert f"rom_int<{C.index_bits(k)}, false>::type w[" in _wrapper(csim.project_dir, layer)
    result = compare(csim.predict(x), execute_batch(model, x))
    assert result.mismatches == 0, result
    return csim


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_stream", "io_parallel"])
@pytest.mark.parametrize("k, zero", [(2, False), (4, True), (16, False), (16, True)])
@pytest.mark.parametrize("kind", KINDS)
def test_codebook_kernel_is_bit_exact(tmp_path, kind, io_type, k, zero):
    """The layer's accumulator as the output (no output quantizer): every LSB compared."""
    _check_bit_exact(tmp_path, kind, k, zero, HlsOptions(io_type=io_type), out_quant=False)


@pytest.mark.csim
@pytest.mark.parametrize("kind", KINDS)
def test_codebook_kernel_with_reuse_is_bit_exact(tmp_path, kind):
    """Several steps per output block: the partial sums carry across steps."""
    opts = HlsOptions(io_type="io_stream", strategy="resource", reuse_factor=3)
    csim = _check_bit_exact(tmp_path, kind, 4, True, opts)
    assert _engine_layer(csim.hls_model).get_attr("n_steps") > 1


@pytest.mark.csim
@pytest.mark.parametrize("kind", KINDS)
def test_synthesis_form_is_bit_exact(tmp_path, kind):
    """The ap_int form (masked adder trees per entry) computes what the native form does."""
    opts = HlsOptions(io_type="io_stream", reuse_factor=2)
    _check_bit_exact(tmp_path, kind, 4, True, opts, form="synthesis")


# ---------------------------------------------------------------- multipliers and storage


def _config_struct(project: Path, layer: EngineLayer) -> dict[str, int]:
    """The numbers of the layer's config struct, as the generated parameters.h declares them."""
    text = (project / "firmware" / "parameters.h").read_text()
    body = re.search(
        rf"struct config{layer.index} : nnet::fg::engine_config \{{(.*?)\}};", text, re.S
    )
    assert body is not None, f"config{layer.index} not in parameters.h"
    fields = re.findall(r"static const (?:unsigned|bool) (\w+) = (\w+);", body.group(1))
    return {k: int(v) if v.isdigit() else int(v == "true") for k, v in fields}


def project_multipliers_per_output(project: Path, layer: EngineLayer) -> int:
    """Multipliers feeding one output, read from the generated project: the codebook entries the
    combine loop multiplies (``cb_first`` to ``cb_size``), each a value of the wrapper's ``k``."""
    cfg = _config_struct(project, layer)
    assert cfg["codebook"] == 1
    found = re.search(r"::type k\[(\d+)\] = \{\s*([-\d, \n]+)\};", _wrapper(project, layer))
    assert found is not None
    values = [int(v) for v in found.group(2).replace("\n", " ").split(",")]
    assert len(values) == int(found.group(1)) == cfg["cb_size"]
    assert all(v == 0 for v in values[: cfg["cb_first"]])  # the zero entry is never multiplied
    assert all(v != 0 for v in values[cfg["cb_first"] :])
    return cfg["cb_size"] - cfg["cb_first"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("k, zero", [(2, False), (4, True), (16, True)])
def test_multipliers_per_output_equal_the_codebook_entries(tmp_path, kind, k, zero):
    """K multipliers per output (K - 1 with a zero entry), whatever the fan-in, in the generated
    project and in the cost model; the dense kernel's grow with the inputs a step reads."""
    counted, dense = [], []
    for i, (cin, n_in) in enumerate([(CIN, N_IN), (4 * CIN, 4 * N_IN)]):
        model, _ = codebook_graph(kind, k, zero, cin=cin, n_in=n_in)
        layer = _convert(model, HlsOptions(), tmp_path / f"cb{i}", write=True)
        assert layer.get_attr("n_chan") * layer.get_attr("n_taps") >= (
            cin if kind != "dense" else n_in
        )
        from_project = project_multipliers_per_output(tmp_path / f"cb{i}", layer)
        assert from_project == layer_cost(layer.shape()).mults_per_output == k - zero
        counted.append(from_project)
        baseline = _convert(model, HlsOptions(codebook="false"), tmp_path / f"d{i}")
        dense.append(layer_cost(baseline.shape()).mults_per_output)
        assert dense[-1] == baseline.get_attr("k_par")
    assert counted[0] == counted[1]
    assert dense[1] > dense[0]  # the same reuse factor reads more inputs a step


def test_cost_model_prices_the_codebook_kernel(tmp_path):
    model, _ = codebook_graph("conv", 4, True)
    layer = _convert(model, HlsOptions(), tmp_path / "cb")
    cost = layer_cost(layer.shape())
    what = [item.what for item in cost.items]
    assert any("masked by index" in w for w in what)
    assert any("codebook multipliers (3 constants)" in w for w in what)
    assert not any(w.startswith("multiplier") for w in what)
    assert cost.total.lut > 0
    # the products of an image: K - 1 per output of every output pixel
    g = layer.get_attr
    assert layer.shape().macs == 3 * g("n_out") * g("out_height") * g("out_width")


def test_all_zero_layer_takes_a_codebook_without_multipliers(tmp_path):
    model, _ = codebook_graph("conv", 1, True)  # the zero entry alone
    layer = _convert(model, HlsOptions(), tmp_path / "cb")
    shape = layer.shape()
    assert shape.codebook and shape.codes == 0
    assert layer_cost(shape).mults_per_output == 0
    assert layer_cost(shape).total.dsp == 0


@pytest.mark.parametrize("kind", KINDS)
def test_stored_bits_are_indices_and_codebook(tmp_path, kind):
    model, w_int = codebook_graph(kind, 4, True)
    layer = _convert(model, HlsOptions(), tmp_path / "cb")
    bits = engine_bits(layer)
    wd = layer.widths()
    assert bits["indices"] == layer.get_attr("rom_weights").size * C.index_bits(4)
    assert bits["codebook"] == 4 * wd.w_bits
    assert "weights" not in bits
    dense = engine_bits(_convert(model, HlsOptions(codebook="false"), tmp_path / "d"))
    assert bits["indices"] + bits["codebook"] < dense["weights"]
    assert w_int.size <= layer.get_attr("rom_weights").size


def test_huffman_lengths_are_a_prefix_code_of_minimal_length():
    counts = np.array([40, 30, 20, 10, 0])
    lengths = C.huffman_lengths(counts)
    assert lengths[-1] == 0  # an unused entry has no code
    used = lengths[counts > 0]
    assert np.sum(2.0**-used) == 1.0  # Kraft equality: a complete prefix code
    # no code of the same lengths in another order is shorter (Huffman is optimal)
    best = min(int(counts[:4] @ np.array(p)) for p in set(itertools.permutations(used)))
    assert int(counts @ lengths) == best
    assert C.huffman_lengths(np.array([0, 7, 0])).tolist() == [0, 1, 0]


@pytest.mark.parametrize("k", [2, 4, 16])
def test_huffman_bits_beat_fixed_indices_only_on_a_skewed_histogram(k):
    rng = np.random.default_rng(k)
    n = 4096
    fixed = n * C.index_bits(k)
    uniform = rng.permutation(np.arange(n) % k)
    assert C.huffman_bits(uniform, k) == fixed  # equally likely entries: log2(K) bits each
    # pruning's zero entry holding most weights: under log2(K) bits an index
    skewed = np.where(rng.random(n) < 0.8, 0, rng.integers(1, k, size=n))
    coded = C.huffman_bits(skewed, k)
    counts = np.bincount(skewed, minlength=k)
    entropy = -np.sum(counts[counts > 0] / n * np.log2(counts[counts > 0] / n)) * n
    assert entropy <= coded < entropy + n  # within a bit per index of the entropy
    # a code of two entries has one bit per index whatever their frequencies
    assert coded < fixed if k > 2 else coded == fixed


def test_huffman_bound_of_a_codebook_layer(tmp_path):
    """A pruned codebook layer (about half its weights in the zero entry): the Huffman-coded
    indices plus the codebook stay under the fixed-width indices plus the codebook."""
    from fpgagan.hls.memory import coded_bits, stored_bits

    model, _ = codebook_graph("conv_transpose", 4, True)
    hw, _ = hardware_graph(model)
    hls_model = convert(hw, tmp_path / "prj", HlsOptions())
    layer = _engine_layer(hls_model)
    stored = stored_bits(hls_model)[layer.name]
    (coded,) = coded_bits(hls_model).values()
    rom = layer.get_attr("rom_weights")
    assert coded == C.huffman_bits(rom, 4) + stored["codebook"]
    assert coded < stored["indices"] + stored["codebook"]
    # a dense (not codebook) conversion has nothing to code
    dense = convert(hw, tmp_path / "dense", HlsOptions(codebook="false"))
    assert coded_bits(dense) == {}


def test_report_storage_bound_replaces_the_codebook_layers_indices():
    from fpgagan.report.hls_report import huffman_bound

    stored = {"a": {"indices": 600, "codebook": 32, "biases": 40}, "b": {"weights": 900}}
    assert huffman_bound(stored, {"a": 450}) == 450 + 40 + 900
    assert huffman_bound(stored, {}) == sum(sum(v.values()) for v in stored.values())


def _shared_generator():
    """dcgan-tiny at 6-bit weights, half its weights pruned, every layer sharing 4 values (the
    last one 8) after a few steps of training with tied clusters: what tiny_codebook.yaml makes."""
    from fpgagan.compress.codebook import Codebooks
    from fpgagan.compress.prune import MaskSet, magnitude_masks, weight_layers
    from fpgagan.config import CodebookConfig, Precision
    from fpgagan.export import to_qonnx
    from fpgagan.models import build_generator

    torch.manual_seed(0)
    gen = build_generator("dcgan-tiny", Precision(weight_bits=6, act_bits=8))
    layers = weight_layers(gen)
    masks = MaskSet(magnitude_masks(layers, 0.5))
    masks.apply(layers)
    books = Codebooks(CodebookConfig(k=4, layers={"deconv2": 8}), layers, zero_entry=True)
    books.cluster()
    opt = torch.optim.Adam(gen.parameters(), lr=1e-2)
    gen.train()
    for _ in range(3):
        loss = gen(torch.randn(16, gen.spec.latent_dim)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        masks.apply(layers)
        books.tie()
    return to_qonnx(gen.eval()), gen.spec.latent_dim


@pytest.mark.csim
@pytest.mark.parametrize("io_type", ["io_parallel", "io_stream"])
def test_shared_weight_generator_is_bit_exact(tmp_path, io_type):
    model, latent = _shared_generator()
    z = np.random.default_rng(1).standard_normal((16, latent)).astype(np.float32)
    csim = build_csim(model, tmp_path / "prj", HlsOptions(io_type=io_type, reuse_factor=2))
    layers = [x for x in csim.hls_model.get_layers() if isinstance(x, EngineLayer)]
    kinds = (FgCodebookLinear, FgCodebookConvTranspose, FgCodebookConvTranspose)
    assert len(layers) == 3 and all(isinstance(x, k) for x, k in zip(layers, kinds, strict=True))
    # at most k values each (the quantizer may merge two shared values): the codebook holds them
    for layer, k in zip(layers, (4, 4, 8), strict=True):
        size = layer.shape().codebook_size
        assert size == C.distinct_values(layer.get_attr("raw_mats")) <= k, layer.name
    result = compare(csim.predict(z), execute_batch(model, z))
    assert result.mismatches == 0, result


@pytest.mark.parametrize("kind", KINDS)
def test_planner_prices_the_codebook_layer_the_converter_builds(tmp_path, kind):
    """The planner moves a layer between the kernels: its dense candidate is the layer the
    converter builds with ``Codebook: false``, its codebook candidate the one built under
    ``auto``, at the same lanes; the report names the schedule."""
    from fpgagan.boards import get_board
    from fpgagan.hw.plan import Choice, evaluate, with_choice
    from fpgagan.report.estimate import cost_estimate

    model, _ = codebook_graph(kind, 4, True)
    layer = _convert(model, HlsOptions(), tmp_path / "cb")
    built, raw = layer.shape(), layer.get_attr("raw_mats")
    dense = _convert(model, HlsOptions(codebook="false"), tmp_path / "d").shape()
    p = built.parallelism
    as_dense = with_choice(built, raw, Choice(p.n_par, p.k_par, 0, 1, "auto", False, False))
    assert layer_cost(as_dense) == layer_cost(dense)
    back = with_choice(as_dense, raw, Choice(p.n_par, p.k_par, 0, 1, "auto", False, True))
    assert layer_cost(back) == layer_cost(built)
    board = get_board("pynq-z2")
    (estimate,) = cost_estimate(evaluate([built], board), board).layers
    assert estimate.schedule == "codebook" and estimate.mults_per_output == built.codes == 3
