"""The ESPCN twins: nearest-neighbour start, the global residual, float weights into the low-bit
student, files."""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F

from fpgagan.config import Precision
from fpgagan.errors import CheckpointError, ModelError
from fpgagan.models.espcn import Espcn, EspcnSpec, load_espcn, save_espcn

SPEC = EspcnSpec(widths=(6, 8), kernels=((3, 1), (1, 3), (3, 3)), in_height=6, in_width=10)
RESIDUAL = dataclasses.replace(SPEC, residual="nearest")
W4A8 = Precision(weight_bits=4, act_bits=8, input_range=1.0)


@pytest.mark.parametrize("spec", [SPEC, RESIDUAL], ids=["pass-through", "residual"])
def test_the_nearest_start_is_nearest_upsampling(spec):
    x = torch.rand(2, 3, 6, 10) * 2 - 1
    model = Espcn(spec).init_nearest().eval()
    assert torch.equal(model(x), F.interpolate(x, scale_factor=2, mode="nearest"))


def test_with_the_residual_the_convolutions_start_small_and_learn_the_detail():
    """The residual carries the image: the head starts at zero and no weight needs to be 1."""
    model = Espcn(RESIDUAL).init_nearest()
    assert not model.weight_layers()["head"].weight.any()
    assert max(float(c.weight.abs().max()) for c in model.convs) < 1.0
    torch.manual_seed(0)
    for conv in model.convs:
        torch.nn.init.normal_(conv.weight, 0.0, 0.1)
    x = torch.rand(2, 3, 6, 10) * 2 - 1
    detail = model.shuffle(model.convs[-1](_hidden(model, x)))
    expected = (F.interpolate(x, scale_factor=2, mode="nearest") + detail).clamp(-1, 1)
    assert torch.allclose(model.eval()(x), expected, atol=1e-6)


def _hidden(model: Espcn, x: torch.Tensor) -> torch.Tensor:
    for conv, act in zip(model.convs[:-1], model.acts, strict=True):
        x = act(conv(x))
    return x


def test_macs_and_names_follow_the_spec():
    assert SPEC.macs_per_pixel == 3 * 6 * 3 + 6 * 8 * 3 + 8 * 12 * 9
    assert SPEC.max_taps == 9
    assert SPEC.layer_names() == ["conv0", "conv1", "head"]
    assert SPEC.at_size(20, 30).input_shape == (3, 20, 30)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kernels": ((3, 3), (3, 3))}, "one kernel per convolution"),
        ({"kernels": ((2, 3), (3, 3), (3, 3))}, r"\(2, 3\)"),
        ({"widths": (0, 4)}, "positive"),
        ({"residual": "bicubic"}, "residual must be one of none, nearest, got 'bicubic'"),
    ],
)
def test_bad_shapes_are_refused(kwargs, match):
    with pytest.raises(ModelError, match=match):
        EspcnSpec(**kwargs)


@pytest.mark.parametrize("spec", [SPEC, RESIDUAL], ids=["pass-through", "residual"])
def test_the_student_takes_the_teachers_weights(spec):
    teacher = Espcn(spec).init_nearest().eval()
    student = Espcn(spec, W4A8)
    _, unexpected = student.load_state_dict(teacher.state_dict(), strict=False)
    assert not unexpected
    for name, value in teacher.state_dict().items():
        assert torch.equal(student.state_dict()[name], value), name
    x = torch.rand(2, 3, 6, 10) * 2 - 1
    y = student.eval()(x)
    # the output quantizer's grid over [-1, 1): multiples of 1/128
    assert torch.equal(y * 128, torch.round(y * 128)) and y.shape == (2, 3, 12, 20)


@pytest.mark.parametrize("spec", [SPEC, RESIDUAL], ids=["pass-through", "residual"])
def test_a_saved_model_loads_as_it_was(tmp_path, spec):
    model = Espcn(spec, W4A8)
    model(torch.rand(2, 3, 6, 10))
    save_espcn(tmp_path / "m.pt", model.eval(), {"note": 1})
    back, record = load_espcn(tmp_path / "m.pt")
    x = torch.rand(2, 3, 6, 10) * 2 - 1
    assert back.spec == spec and record["extra"] == {"note": 1}
    assert torch.equal(back(x), model(x))


def test_another_kind_of_file_is_refused_naming_it(tmp_path):
    torch.save({"format": "fpgagan.generator"}, tmp_path / "g.pt")
    with pytest.raises(CheckpointError, match="g.pt: not an ESPCN"):
        load_espcn(tmp_path / "g.pt")
