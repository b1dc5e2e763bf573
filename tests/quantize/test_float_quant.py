"""fpgagan.compress.quantize on a small float generator: every layer replaced, batch-norm folded,
the hard tanh measured, the QONNX export valid and bit-exact in qonnx and in C simulation."""

from __future__ import annotations

import copy

import brevitas.nn as qnn
import numpy as np
import pytest
import torch
from torch import nn

from fpgagan.compress import quantize
from fpgagan.compress.float_graph import float_graph
from fpgagan.compress.float_quant import sample_inputs
from fpgagan.config import LayerPrecision, Precision
from fpgagan.errors import ModelError, UnsupportedModelError
from fpgagan.export import reference_outputs, to_qonnx
from fpgagan.export.validate import validate_model
from fpgagan.hls.convert import hardware_graph
from tests.quantize.models import SmallGenerator, WithLstm, trained_like

FLOAT_TOLERANCE = 1e-5  # float32 rounding of a batch-norm folded into weights


@pytest.fixture(scope="module")
def small():
    return trained_like(SmallGenerator())


@pytest.fixture(scope="module")
def student(small):
    return quantize(small, SmallGenerator.input_shape, Precision(weight_bits=4, act_bits=8))


def _latents(n: int, seed: int = 1) -> torch.Tensor:
    return torch.randn(
        n, *SmallGenerator.input_shape, generator=torch.Generator().manual_seed(seed)
    )


def test_every_layer_is_replaced_by_its_quantized_form(student):
    net = student.net
    called = [n.target for n in net.graph.nodes if n.op == "call_module"]
    layers = {name: type(net.get_submodule(name)) for name in called}
    assert all(t.__module__.startswith("brevitas.nn") for t in layers.values()), layers
    assert layers["fc"] is qnn.QuantLinear
    assert layers["up1"] is qnn.QuantConvTranspose2d and layers["up2"] is qnn.QuantConvTranspose2d
    assert layers["act0"] is qnn.QuantReLU and layers["act1"] is qnn.QuantReLU
    assert layers["out"] is qnn.QuantIdentity  # the hard tanh is the output quantizer's clamp
    assert [(x.name, x.weight_bits, x.act_bits) for x in student.report.layers] == [
        ("fc", 4, 8), ("up1", 4, 8), ("up2", 4, 8),
    ]  # fmt: skip


def test_batch_norm_is_folded_without_changing_the_float_function(small):
    fg = float_graph(small)
    assert fg.folded == ("fc_bn", "bn1")
    assert not any(isinstance(m, nn.BatchNorm1d | nn.BatchNorm2d) for m in fg.exact.modules())
    z = _latents(32)
    with torch.no_grad():
        assert torch.allclose(fg.exact(z), small(z), atol=FLOAT_TOLERANCE)


def test_the_report_says_how_far_the_hard_tanh_moves_the_output(small, student):
    shift = student.report.shift
    assert student.report.hard_activations == ("out",)
    pre = copy.deepcopy(small)
    pre.out = nn.Identity()  # the float model up to its tanh
    z = sample_inputs(SmallGenerator.input_shape, shift.n, torch.Generator().manual_seed(0), 4.0)
    with torch.no_grad():
        x = pre(z)
    diff = torch.tanh(x) - torch.clamp(x, -1, 1)
    assert shift.max_abs == pytest.approx(float(diff.abs().max()), abs=FLOAT_TOLERANCE)
    assert shift.data_range == 2.0
    want_psnr = 10 * np.log10(4.0 / float((diff.double() ** 2).mean()))
    assert shift.psnr_db == pytest.approx(want_psnr, abs=0.01)


def test_per_layer_precision_and_unknown_layers(small):
    p = Precision(weight_bits=4, act_bits=8, layers={"up2": LayerPrecision(weight_bits=8)})
    s = quantize(small, SmallGenerator.input_shape, p, calibrate=False)
    assert [x.weight_bits for x in s.report.layers] == [4, 4, 8]
    with pytest.raises(ModelError, match="deconv9"):
        quantize(
            small, SmallGenerator.input_shape, Precision(layers={"deconv9": LayerPrecision(4)})
        )


def test_the_caller_module_is_not_changed(small):
    before = {k: v.clone() for k, v in small.state_dict().items()}
    quantize(small, SmallGenerator.input_shape, calibrate=False)
    assert all(torch.equal(before[k], v) for k, v in small.state_dict().items())


def test_export_is_valid_qonnx_and_exact_in_qonnx(student):
    model = to_qonnx(student)
    validate_model(model.model, "student")
    hardware_graph(model)  # check_supported: power-of-two scales, no batch-norm, known ops
    z = _latents(16)
    with torch.no_grad():
        ref = student(z).numpy()
    assert np.array_equal(reference_outputs(model, z.numpy()), ref)


@pytest.mark.csim
def test_c_simulation_is_bit_exact_against_qonnx(student, tmp_path):
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.sim import build_csim, compare, output_lsb

    model = to_qonnx(student)
    csim = build_csim(model, tmp_path / "prj", HlsOptions())
    z = _latents(8).numpy()
    result = compare(csim.predict(z), reference_outputs(model, z), output_lsb(model))
    assert result.n_elements == 8 * 16 * 16
    assert result.mismatches == 0


def test_an_lstm_is_refused_naming_it():
    with pytest.raises(UnsupportedModelError, match=r"'rnn' \(LSTM\)") as info:
        quantize(WithLstm(), WithLstm.input_shape)
    assert "\n" not in str(info.value)


def test_a_batch_norm_that_cannot_be_folded_is_refused_naming_it():
    class BnFirst(nn.Module):
        input_shape = (8,)

        def __init__(self) -> None:
            super().__init__()
            self.norm = nn.BatchNorm1d(8)
            self.fc = nn.Linear(8, 16)

        def forward(self, z):
            return torch.tanh(self.fc(self.norm(z)))

    with pytest.raises(UnsupportedModelError, match=r"'norm' \(BatchNorm1d\).*cannot be folded"):
        quantize(BnFirst().eval(), (8,))


def test_a_sigmoid_becomes_the_hard_sigmoid_folded_into_the_layer_before():
    class Sig(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(4, 6)

        def forward(self, z):
            return torch.sigmoid(self.fc(z))

    model = Sig().eval()
    fg = float_graph(model)
    z = torch.randn(64, 4)
    with torch.no_grad():
        want = torch.clamp(model.fc(z) / 4 + 0.5, 0, 1)
        assert torch.allclose(fg.hard(z), want, atol=FLOAT_TOLERANCE)
    s = quantize(model, (4,), calibrate=False)
    assert s.report.output_range == (0.0, 1.0)


class _Leaky(nn.Module):
    def __init__(self, slope: float) -> None:
        super().__init__()
        self.fc = nn.Linear(8, 4 * 4 * 4)
        self.leaky = nn.LeakyReLU(slope)
        self.up = nn.ConvTranspose2d(4, 1, 4, 2, 1)

    def forward(self, z):
        return torch.tanh(self.up(self.leaky(self.fc(z)).reshape(-1, 4, 4, 4)))


def test_a_leaky_relu_slope_that_is_no_power_of_two_is_refused_naming_it():
    with pytest.raises(UnsupportedModelError, match=r"'leaky' \(LeakyReLU\).*0.2 is not a power"):
        quantize(_Leaky(0.2).eval(), (8,))


@pytest.mark.csim
def test_a_leaky_relu_of_slope_one_quarter_is_bit_exact_in_c_simulation(tmp_path):
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.sim import build_csim, compare, output_lsb

    model = to_qonnx(quantize(_Leaky(0.25).eval(), (8,)))
    assert "LeakyRelu" in [n.op_type for n in model.graph.node]
    z = torch.randn(8, 8, generator=torch.Generator().manual_seed(2)).numpy()
    csim = build_csim(model, tmp_path / "prj", HlsOptions())
    result = compare(csim.predict(z), reference_outputs(model, z), output_lsb(model))
    assert result.n_elements == 8 * 8 * 8 and result.mismatches == 0


def test_a_view_by_the_batch_size_is_read_as_the_batch_axis():
    class Flat(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(8, 16)
            self.up = nn.ConvTranspose2d(1, 1, 4, 2, 1)

        def forward(self, z):
            x = self.fc(z)
            return torch.tanh(self.up(x.view(x.size(0), 1, 4, 4)))

    model = Flat().eval()
    fg = float_graph(model)
    assert "size" not in [n.target for n in fg.exact.graph.nodes]
    z = torch.randn(3, 8)
    with torch.no_grad():
        assert torch.allclose(fg.exact(z), model(z), atol=FLOAT_TOLERANCE)
    assert quantize(model, (8,), calibrate=False).report.layers[0].name == "fc"


@pytest.mark.csim
def test_a_concatenation_of_the_input_and_a_relu_map_shares_a_requantizer(tmp_path):
    """Maps of different quantizers (the signed input, an unsigned ReLU) are requantized by one
    shared quantizer before they are joined: one scale, bit-exact in C simulation."""
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.sim import build_csim, compare, output_lsb

    class JoinsInput(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, 1, 1)
            self.relu = nn.ReLU()
            self.head = nn.Conv2d(5, 1, 3, 1, 1)

        def forward(self, x):
            return torch.tanh(self.head(torch.cat([self.relu(self.conv(x)), x], 1)))

    student = quantize(JoinsInput().eval(), (1, 8, 8), Precision(input_range=1.0))
    [cat] = [n for n in student.net.graph.nodes if n.target is torch.cat]
    assert len({a.target for a in cat.args[0]}) == 1  # one quantizer module for both inputs
    model = to_qonnx(student)
    x = (torch.rand(8, 1, 8, 8, generator=torch.Generator().manual_seed(4)) * 2 - 1).numpy()
    csim = build_csim(model, tmp_path / "prj", HlsOptions())
    result = compare(csim.predict(x), reference_outputs(model, x), output_lsb(model))
    assert result.n_elements == 8 * 64 and result.mismatches == 0


def test_the_input_shape_defaults_to_the_modules_own(small):
    s = quantize(small, precision=Precision(weight_bits=3), calibrate=False)
    assert s.input_shape == SmallGenerator.input_shape and s.report.precision == "W3A8"
    with pytest.raises(ModelError, match="give input_shape"):
        quantize(nn.Sequential(nn.Linear(4, 4), nn.Tanh()))


@pytest.mark.parametrize("weight_bits, act_bits", [(1, 2), (2, 4), (8, 8)])
def test_every_width_exports_exactly_to_hardware_types(small, weight_bits, act_bits):
    """1-bit (binary) to 8-bit weights, 2- to 8-bit activations: a graph the converter takes
    (power-of-two scales), equal to the Brevitas forward in qonnx."""
    s = quantize(small, precision=Precision(weight_bits=weight_bits, act_bits=act_bits))
    model = to_qonnx(s)
    hardware_graph(model)
    z = _latents(8, seed=5)
    with torch.no_grad():
        assert np.array_equal(reference_outputs(model, z.numpy()), s(z).numpy())
