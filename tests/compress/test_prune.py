from __future__ import annotations

import pytest
import torch

from fpgagan.compress.prune import (
    MaskSet,
    magnitude_masks,
    polynomial_sparsity,
    prune_channels,
    weight_layers,
)
from fpgagan.config import Precision
from fpgagan.export import to_qonnx
from fpgagan.models import build_discriminator, build_generator, fold_batch_norm


@pytest.mark.parametrize("scope", ["layer", "global"])
@pytest.mark.parametrize("sparsity", [0.0, 0.5, 0.9])
def test_magnitude_masks_hit_the_sparsity(scope, sparsity):
    gen = build_generator("dcgan-small")
    masks = MaskSet(magnitude_masks(weight_layers(gen), sparsity, scope))
    assert masks.sparsity() == pytest.approx(sparsity, abs=0.01)
    if scope == "layer":
        for name, m in masks.masks.items():
            assert 1 - float(m.mean()) == pytest.approx(sparsity, abs=0.02), name
    # the kept weights are the largest ones, within a layer or across all layers
    groups = [[n] for n in masks.masks] if scope == "layer" else [list(masks.masks)]
    layers = weight_layers(gen)
    for names in groups:
        w = torch.cat([layers[n].weight.detach().abs().flatten() for n in names])
        m = torch.cat([masks.masks[n].flatten() for n in names])
        if 0 < m.sum() < m.numel():
            assert w[m == 0].max() <= w[m > 0].min()


def test_masks_survive_training_and_export_as_exact_zeros():
    gen = build_generator("dcgan-tiny", Precision(weight_bits=4, act_bits=8))
    layers = weight_layers(gen)
    masks = MaskSet(magnitude_masks(layers, 0.75))
    masks.apply(layers)
    opt = torch.optim.Adam(gen.parameters(), lr=1e-2)
    for _ in range(5):
        loss = gen(torch.randn(16, 8)).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        masks.apply(layers)
    gen.eval()
    model = to_qonnx(gen)
    for name, module in layers.items():
        zeros = masks.masks[name] == 0
        assert torch.all(module.quant_weight().value[zeros] == 0), name
    assert model is not None


def test_discriminator_layers_are_prunable_too():
    disc = build_discriminator("dcgan-disc-tiny")
    masks = MaskSet(magnitude_masks(weight_layers(disc), 0.5))
    assert set(masks.masks) == {"conv1", "conv2", "fc"}


def test_polynomial_schedule():
    assert polynomial_sparsity(0.0, 0.9) == 0.0
    assert polynomial_sparsity(1.0, 0.9) == pytest.approx(0.9)
    assert 0.0 < polynomial_sparsity(0.5, 0.9) < 0.9
    assert polynomial_sparsity(0.5, 0.9) > 0.9 * 0.5  # cubic: prunes fast early


def test_channel_pruning_removes_channels_and_keeps_the_function_of_kept_ones():
    teacher = build_generator("dcgan-small")
    teacher.train()
    for _ in range(3):
        teacher(torch.randn(32, 32))
    folded = fold_batch_norm(teacher)
    small = prune_channels(folded, 0.5)
    assert small.spec.hidden_channels() == [16, 8]
    assert sum(p.numel() for p in small.parameters()) < 0.5 * sum(
        p.numel() for p in folded.parameters()
    )
    z = torch.randn(8, 32)
    assert small(z).shape == (8, 1, 28, 28)
    full = prune_channels(folded, 1.0)
    assert torch.equal(full(z), folded(z))  # keeping every channel changes nothing
