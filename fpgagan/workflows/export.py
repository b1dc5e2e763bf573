"""``fpgagan export``: generator checkpoint -> QONNX, verified against the Brevitas forward."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from fpgagan.errors import MismatchError
from fpgagan.export import execute_batch, save_qonnx, to_qonnx
from fpgagan.models import Generator, UNet
from fpgagan.models.checkpoint import load_generator


@dataclasses.dataclass(frozen=True)
class ExportCheck:
    n_latents: int
    mismatches: int  # output elements where QONNX execution != Brevitas forward (must be 0)
    max_abs_diff: float


def example_inputs(gen: Generator | UNet, n: int, seed: int = 0) -> torch.Tensor:
    """``n`` inputs for ``gen``: normal latents, or images uniform in [-1, 1] for a U-Net."""
    rng = torch.Generator().manual_seed(seed)
    if isinstance(gen, UNet):
        return torch.rand(n, *gen.input_shape, generator=rng) * 2.0 - 1.0
    return torch.randn(n, *gen.input_shape, generator=rng)


def verify(gen: Generator | UNet, model, n: int, seed: int = 0) -> ExportCheck:
    """Compare qonnx ``execute_onnx`` with the Brevitas forward on ``n`` inputs, bit for bit."""
    z = example_inputs(gen, n, seed)
    with torch.no_grad():
        ref = gen.eval()(z).numpy()
    out = execute_batch(model, z.numpy())
    return ExportCheck(n, int(np.count_nonzero(out != ref)), float(np.abs(out - ref).max()))


def export_checkpoint(checkpoint: Path, out: Path, verify_n: int = 256) -> ExportCheck | None:
    """Export ``checkpoint`` to ``out``; with ``verify_n`` > 0 refuse to write a mismatching model."""
    gen, _ = load_generator(checkpoint)
    model = to_qonnx(gen)
    check = verify(gen, model, verify_n) if verify_n > 0 else None
    if check is not None and check.mismatches:
        raise MismatchError(
            f"{checkpoint}: QONNX execution differs from the Brevitas forward in "
            f"{check.mismatches} output elements (max {check.max_abs_diff:g}); nothing written"
        )
    save_qonnx(model, out)
    return check
