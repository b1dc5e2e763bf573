from __future__ import annotations

import math

import pytest
import torch

from fpgagan.compress.prune import prune_channels, weight_layers
from fpgagan.config import LayerPrecision, Precision
from fpgagan.errors import CheckpointError, ModelError
from fpgagan.models import UNETS, build_patchgan, build_unet, fold_batch_norm, unet_spec
from fpgagan.models.checkpoint import generator_record, load_generator, save_generator

IMAGE_PRECISION = Precision(weight_bits=4, act_bits=8, input_range=1.0)
# batch-norm folding changes only the float32 evaluation order of scale-then-add; outputs are O(1)
FOLD_ATOL = 1e-5


def _inputs(net, n=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, *net.input_shape, generator=g) * 2 - 1


def _warm(net, n=3):
    net.train()
    for i in range(n):
        net(_inputs(net, 16, i))
    return net.eval()


@pytest.mark.parametrize("name", sorted(UNETS))
@pytest.mark.parametrize("precision", [None, IMAGE_PRECISION], ids=["float", "W4A8"])
def test_every_unet_maps_its_input_to_an_image_in_unit_range(name, precision):
    net = _warm(build_unet(name, precision))
    spec = unet_spec(name)
    with torch.no_grad():
        y, features = net.forward_features(_inputs(net))
    assert y.shape == (8, 1, spec.out_size, spec.out_size)
    assert y.min() >= -1 and y.max() <= 1
    assert [f.shape[1] for f in features] == spec.hidden_channels()
    assert spec.out_size == 28  # every registered U-Net makes Fashion-MNIST-sized images


def test_concatenated_maps_share_one_activation_quantizer():
    net = _warm(build_unet("unet-tiny-inpaint", IMAGE_PRECISION))
    n = net.spec.levels  # 2: maps enc0 enc1 enc2 dec1 dec0
    assert net.acts[n] is net.acts[n - 1]  # enc2 (upsampled) joins enc1
    assert net.acts[n + 1] is net.acts[n - 2]  # dec1 (upsampled) joins enc0
    assert net.acts[2 * n] is not net.acts[0]  # dec0 feeds the head alone
    for layer in weight_layers(net).values():
        scale = float(layer.quant_weight().scale.detach())
        assert math.log2(scale) == round(math.log2(scale))  # power-of-two weight scales


def test_concatenated_layers_with_different_bits_are_refused():
    bad = Precision(input_range=1.0, layers={"enc0": LayerPrecision(act_bits=4)})
    with pytest.raises(ModelError, match="enc1 and enc0 are concatenated"):
        build_unet("unet-tiny", bad)
    with pytest.raises(ModelError, match="unknown layer"):
        build_unet("unet-tiny", Precision(layers={"fc": LayerPrecision(weight_bits=8)}))
    with pytest.raises(ModelError, match="unknown U-Net generator"):
        build_unet("dcgan-tiny")


def test_folded_teacher_computes_the_same_and_loads_into_the_student():
    teacher = build_unet("unet-tiny-inpaint")
    teacher.train()
    for i in range(3):  # move the running statistics away from their initial values
        teacher(_inputs(teacher, 32, i) * 0.5 + 0.2)
    teacher.eval()
    folded = fold_batch_norm(teacher)
    x = _inputs(teacher)
    with torch.no_grad():
        assert torch.allclose(teacher(x), folded(x), atol=FOLD_ATOL)
    student = build_unet("unet-tiny-inpaint", IMAGE_PRECISION)
    missing, unexpected = student.load_state_dict(folded.state_dict(), strict=False)
    assert not unexpected
    assert all("quant" in k for k in missing)  # every weight and bias came from the teacher


def test_channel_pruning_keeps_the_function_at_ratio_one_and_halves_widths():
    teacher = fold_batch_norm(build_unet("unet-tiny-inpaint"))
    x = _inputs(teacher)
    same = prune_channels(teacher, 1.0)
    with torch.no_grad():
        assert torch.allclose(same(x), teacher(x), atol=FOLD_ATOL)
    half = prune_channels(teacher, 0.5)
    assert half.spec.widths == (2, 4, 4) and half(x).shape == (8, 1, 28, 28)
    # the pruned widths build a student the half teacher loads into
    student = build_unet("unet-tiny-inpaint", IMAGE_PRECISION, widths=half.spec.widths)
    assert not student.load_state_dict(half.state_dict(), strict=False).unexpected_keys


def test_unet_checkpoint_round_trip_records_kind_and_task(tmp_path):
    net = _warm(build_unet("unet-tiny", IMAGE_PRECISION))
    save_generator(tmp_path / "g.pt", net, "unet-tiny")
    loaded, record = load_generator(tmp_path / "g.pt")
    assert (record["kind"], record["task"], type(loaded).__name__) == ("unet", "sr2x", "UNet")
    x = _inputs(net)
    with torch.no_grad():
        assert torch.equal(loaded(x), net(x))
    bad = generator_record(net, "unet-tiny")
    bad["task"] = "inpaint"
    torch.save(bad, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="task 'inpaint' does not match"):
        load_generator(tmp_path / "bad.pt")


@pytest.mark.parametrize("precision", [None, Precision(weight_bits=4, act_bits=8)])
def test_patchgan_scores_patches_of_condition_and_image(precision):
    disc = build_patchgan("patchgan-tiny", precision)
    cond = torch.rand(4, 1, 14, 14) * 2 - 1  # an sr2x input: upsampled to the image's size
    logits = disc(cond, torch.rand(4, 1, 28, 28) * 2 - 1)
    assert logits.shape == (4, 1, 7, 7)
    assert list(weight_layers(disc)) == ["conv1", "conv2", "conv3"]
