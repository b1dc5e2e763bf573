"""Where training runs: ``auto`` (a GPU when torch sees one), ``cpu`` or ``cuda``.

Training keeps its models, losses and data on the device and everything it writes on the CPU:
checkpoints hold CPU tensors (they load anywhere), generated images come back as CPU tensors (the
scores and the pictures are computed there), and every random draw is made on the CPU with the
same generators as always, then moved, so a CPU run is the same run it always was.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from fpgagan.config import DEVICES
from fpgagan.errors import ConfigError
from fpgagan.models import Generator
from fpgagan.models.inference import generate


def resolve_device(name: str) -> torch.device:
    """The torch device for ``name``; ``cuda`` without a usable GPU is refused."""
    if name not in DEVICES:
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {name!r}")
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"device cuda: torch {torch.__version__} sees no GPU (a CPU build, or no driver); "
            "see the README for a CUDA build, or use --device cpu"
        )
    return torch.device(name)


def device_of(module: nn.Module) -> torch.device:
    """The device of ``module``'s parameters (the CPU for a module without any)."""
    return next((p.device for p in module.parameters()), torch.device("cpu"))


def to_cpu(obj: Any) -> Any:
    """``obj`` (tensors in dicts, lists and tuples) with every tensor on the CPU, detached."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: to_cpu(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(to_cpu(v) for v in obj)
    return obj


def generate_cpu(gen: Generator, z: torch.Tensor) -> torch.Tensor:
    """Images of ``gen`` for CPU latents ``z``, computed on ``gen``'s device, returned on the CPU."""
    return generate(gen, z.to(device_of(gen))).cpu()
