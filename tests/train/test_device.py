"""Training on a device: the CPU path is the path it always was, checkpoints hold CPU tensors, and
(where torch sees a GPU) QAT with pruning and distillation trains on CUDA."""

from __future__ import annotations

import json

import pytest
import torch

from fpgagan.cli import main
from fpgagan.config import OptimConfig, TrainQatConfig, load_yaml
from fpgagan.data import load_images
from fpgagan.errors import ConfigError
from fpgagan.models import build_discriminator, build_generator
from fpgagan.models.checkpoint import load_generator
from fpgagan.train.device import resolve_device, to_cpu
from fpgagan.train.phase import PhaseSpec, run_phase

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no GPU")


def test_devices_are_resolved_and_cuda_without_a_gpu_is_refused():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ConfigError, match="device must be one of auto, cpu, cuda"):
        resolve_device("tpu")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="device cuda: torch .* sees no GPU"):
            resolve_device("cuda")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the refusal on a machine without GPU")
def test_train_qat_device_cuda_is_one_line_without_a_gpu(repo, tmp_path, capsys):
    argv = ["train-qat", "--config", str(repo / "configs" / "tiny.yaml"), "--device", "cuda"]
    assert main([*argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "device cuda" in err[0] and not (tmp_path / "run").exists()


def test_to_cpu_moves_nested_tensors_and_keeps_the_rest():
    got = to_cpu({"a": [torch.ones(2, requires_grad=True), 3], "b": (torch.zeros(1), "x")})
    assert isinstance(got["b"], tuple) and got["b"][1] == "x" and got["a"][1] == 3
    assert not got["a"][0].requires_grad and got["a"][0].device.type == "cpu"


def _phase(tmp_path, device):
    torch.manual_seed(0)
    spec = PhaseSpec("teacher", "dcgan-tiny", OptimConfig(), 32, 3, 2, 2, 2)
    images = load_images("digits", "train")[0][:128]
    gen, disc = build_generator("dcgan-tiny"), build_discriminator("dcgan-disc-tiny")
    res = run_phase(
        spec, tmp_path, gen, disc, images, lambda g: 0.0, torch.randn(4, 8), device=device
    )
    return res.generator.state_dict()


def test_the_cpu_device_trains_exactly_what_no_device_trains(tmp_path):
    plain = _phase(tmp_path / "plain", None)
    cpu = _phase(tmp_path / "cpu", torch.device("cpu"))
    assert plain.keys() == cpu.keys()
    assert all(torch.equal(plain[k], cpu[k]) for k in plain)


def _all_cpu(obj) -> bool:
    if isinstance(obj, torch.Tensor):
        return obj.device.type == "cpu"
    if isinstance(obj, dict):
        return all(_all_cpu(v) for v in obj.values())
    if isinstance(obj, list | tuple):
        return all(_all_cpu(v) for v in obj)
    return True


CUDA_RECIPE = """name: tiny-cuda
seed: 0
batch_size: 32
max_train_images: 512
data: {dataset: digits}
model: {generator: dcgan-tiny, discriminator: dcgan-disc-tiny}
teacher: {max_epochs: 2, min_epochs: 1, patience: 1}
qat:
  epochs: 2
  precision: {weight_bits: 4, act_bits: 8}
  pixel_weight: 10.0
  feature_weight: 1.0
  student: {width: 0.5, init: teacher}
  prune: {sparsity: 0.5, schedule: gradual, discriminator_sparsity: 0.5}
eval: {n_samples: 64}
device: cuda
"""


@needs_cuda
def test_qat_with_pruning_and_distillation_trains_on_cuda(tmp_path):
    import numpy as np

    from fpgagan.compress.prune import weight_layers
    from fpgagan.workflows.train_qat import train_qat

    recipe = tmp_path / "cuda.yaml"
    recipe.write_text(CUDA_RECIPE)
    cfg = load_yaml(TrainQatConfig, recipe)
    run = tmp_path / "run"
    metrics = train_qat(cfg, run).metrics
    assert metrics["device"].startswith("cuda")
    assert np.isfinite(metrics["qat"]["fid"])
    for name in ("teacher.state.pt", "qat.state.pt", "teacher.pt", "generator.pt"):
        assert _all_cpu(torch.load(run / name, weights_only=True)), name  # loads anywhere
    gen, _ = load_generator(run / "generator.pt")
    assert gen.spec.hidden_channels() == [4, 2]
    for name, layer in weight_layers(gen).items():
        assert np.mean(layer.quant_weight().value.detach().numpy() == 0) >= 0.49, name
    # a finished run resumes (on any device) to the same figures
    again = json.loads(json.dumps(train_qat(cfg, run, device="cpu").metrics["qat"]))
    assert again["fid"] == metrics["qat"]["fid"]
