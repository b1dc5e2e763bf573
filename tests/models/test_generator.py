from __future__ import annotations

import math

import pytest
import torch

from fpgagan.config import LayerPrecision, Precision
from fpgagan.errors import ModelError
from fpgagan.models import (
    GENERATORS,
    build_discriminator,
    build_generator,
    fold_batch_norm,
    generator_spec,
)

# batch-norm folding changes only the float32 evaluation order of scale-then-add; outputs are O(1)
FOLD_ATOL = 1e-5


def _warm(gen, n=3):
    gen.train()
    for _ in range(n):
        gen(torch.randn(16, gen.spec.latent_dim))
    return gen.eval()


def _is_pow2(x: float) -> bool:
    return x > 0 and math.log2(x) == round(math.log2(x))


@pytest.mark.parametrize("name", sorted(GENERATORS))
@pytest.mark.parametrize("precision", [None, Precision(weight_bits=4, act_bits=8)])
def test_every_generator_makes_28x28_in_unit_range(name, precision):
    gen = _warm(build_generator(name, precision))
    with torch.no_grad():
        y = gen(torch.randn(5, gen.spec.latent_dim))
    assert y.shape == (5, 1, 28, 28)
    assert y.min() >= -1 and y.max() <= 1


@pytest.mark.parametrize("wbits, abits", [(1, 2), (2, 4), (3, 5), (4, 8), (8, 8)])
def test_quantized_generator_lives_on_power_of_two_grids(wbits, abits):
    gen = _warm(
        build_generator(
            "dcgan-tiny", Precision(weight_bits=wbits, act_bits=abits, output_bits=abits)
        )
    )
    layers = [gen.fc, *gen.deconvs]
    for layer in layers:
        qw = layer.quant_weight()
        assert _is_pow2(float(qw.scale.detach()))
        ints = qw.value / qw.scale
        assert torch.equal(ints, ints.round())
        levels = torch.unique(ints)
        assert len(levels) <= 2**wbits
        if wbits == 1:
            assert set(levels.tolist()) <= {-1.0, 1.0}
    with torch.no_grad():
        y = gen(torch.randn(64, gen.spec.latent_dim))
    step = 2.0 ** -(abits - 1)  # output hard-tanh over [-1, 1)
    assert torch.equal(y / step, (y / step).round())
    assert y.max() <= 1 - step


def test_batch_norm_folding_preserves_the_function():
    teacher = _warm(build_generator("dcgan-small"), n=5)
    folded = fold_batch_norm(teacher)
    z = torch.randn(32, teacher.spec.latent_dim)
    with torch.no_grad():
        torch.testing.assert_close(
            folded(z), teacher(z), atol=FOLD_ATOL, rtol=0
        )  # float32 re-association only
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in folded.modules())


def test_folded_teacher_loads_into_student_with_same_names():
    teacher = _warm(build_generator("dcgan-tiny"))
    student = build_generator("dcgan-tiny", Precision())
    result = student.load_state_dict(fold_batch_norm(teacher).state_dict(), strict=False)
    assert not result.unexpected_keys
    assert all("_quant." in k for k in result.missing_keys)  # only learned quantizer scales
    assert torch.equal(student.fc.weight, fold_batch_norm(teacher).fc.weight)


def test_unknown_names_are_refused():
    with pytest.raises(ModelError, match="unknown generator 'dcgan-huge'.*dcgan-default"):
        build_generator("dcgan-huge")
    with pytest.raises(ModelError, match="unknown discriminator"):
        build_discriminator("nope")
    with pytest.raises(ModelError, match=r"unknown layer\(s\) \['deconv9'\]"):
        build_generator("dcgan-tiny", Precision(layers={"deconv9": LayerPrecision(weight_bits=2)}))


def test_per_layer_precision_is_applied():
    p = Precision(
        weight_bits=4,
        layers={"fc": LayerPrecision(weight_bits=8), "deconv2": LayerPrecision(weight_bits=2)},
    )
    gen = build_generator("dcgan-tiny", p)
    bits = [int(layer.quant_weight().bit_width) for layer in (gen.fc, *gen.deconvs)]
    assert bits == [8, 4, 2]


@pytest.mark.parametrize("precision", [None, Precision(weight_bits=4, act_bits=4)])
def test_discriminator_scores_a_batch(precision):
    disc = build_discriminator("dcgan-disc-tiny", precision)
    assert disc(torch.randn(3, 1, 28, 28)).shape == (3,)


def test_default_spec_matches_the_documented_shape():
    s = generator_spec("dcgan-default")
    assert (s.latent_dim, s.base_channels, s.out_size, s.stage_channels()) == (
        64,
        128,
        28,
        [(128, 64), (64, 1)],
    )
