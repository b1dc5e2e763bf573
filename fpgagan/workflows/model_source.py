"""Where the board flow's model comes from: the shipped default, a generator checkpoint (.pt)
or a QONNX file (.onnx), with the float teacher when there is one (checked against the model's
shapes), and the shape of a latent generator's input."""

from __future__ import annotations

import dataclasses
import logging
import math
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch

from fpgagan.errors import ConfigError, ExportError, short_repr
from fpgagan.export import load_qonnx, to_qonnx
from fpgagan.models import Generator
from fpgagan.models.checkpoint import load_generator
from fpgagan.models.inference import generate

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ModelSource:
    qonnx: Any
    description: str
    quantized: Generator | None = None
    teacher: Generator | None = None
    path: str | None = None  # the model file, when the user gave one
    task: str | None = None  # the image task a checkpoint records (sr2x, inpaint), if any
    teacher_path: str | None = None  # the teacher's file, when one was read


def default_model_dir() -> Path:
    return Path(str(resources.files("fpgagan.assets").joinpath("default")))


def resolve_model(model: str | None, teacher: str | None = None) -> ModelSource:
    """The shipped default, a generator checkpoint (.pt) or a QONNX file (.onnx).

    ``teacher`` (a float checkpoint) is used whenever it is given; otherwise the shipped default
    brings its own, and a checkpoint the teacher its training recorded (:func:`stored_teacher`).
    """
    if model is None:
        d = default_model_dir()
        src = ModelSource(
            load_qonnx(d / "generator.onnx"),
            f"shipped default ({d})",
            load_generator(d / "generator.pt")[0],
        )
        if teacher is None:
            teacher = str(d / "teacher.pt")
    else:
        path = Path(model)
        if path.suffix == ".pt":
            gen, record = load_generator(path)
            if teacher is None:
                teacher = stored_teacher(path, record)
            src = ModelSource(
                to_qonnx(gen), str(path), quantized=gen, path=str(path), task=record.get("task")
            )
        elif path.suffix == ".onnx":
            src = ModelSource(load_qonnx(path), str(path), path=str(path))
        else:
            raise ExportError(
                f"{path}: expected a QONNX file (.onnx) or a generator checkpoint (.pt)"
            )
    if teacher is not None:
        src.teacher = load_generator(teacher)[0]
        src.teacher_path = str(teacher)
    return src


def stored_teacher(checkpoint: Path, record: dict[str, Any]) -> Path | None:
    """The float teacher a checkpoint's training recorded, found from the checkpoint's folder.

    The recorded path is relative to wherever training ran, so it is looked for as recorded when
    absolute, then relative to the checkpoint's folder, then by its file name beside the
    checkpoint (where ``train-qat`` and the shipped default keep it).  A checkpoint is a file a
    user may have been sent: a place outside the checkpoint's folder (``../../etc/passwd``, an
    absolute path elsewhere, a link out of it) is never opened.  None if not found.
    """
    extra = record.get("extra", {})
    recorded = extra.get("teacher") if isinstance(extra, dict) else None
    if not isinstance(recorded, str) or not recorded or "\0" in recorded:
        return None
    stored = Path(recorded)
    here = checkpoint.parent
    candidates = [stored] if stored.is_absolute() else [here / stored]
    candidates.append(here / stored.name)
    folder = here.resolve()
    for candidate in candidates:
        try:
            inside = folder in candidate.resolve().parents
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            log.warning(
                "%s: its recorded teacher %s lies outside the checkpoint's folder; not opened "
                "(give --teacher)",
                checkpoint,
                short_repr(recorded),
            )
            continue
        if candidate.is_file():
            return candidate
    log.warning(
        "%s: its teacher %s was not found beside it; no float comparison (give --teacher)",
        checkpoint,
        recorded,
    )
    return None


def graph_dims(value_info) -> list[int]:
    """The declared dimensions of a graph input or output (0 where a dimension is symbolic)."""
    return [int(d.dim_value) for d in value_info.type.tensor_type.shape.dim]


def is_latent(dims: list[int]) -> bool:
    """Whether an input of shape ``dims`` (batch first) is a latent: (N, nz), or any shape whose
    only axis after the batch that is not 1 is the channel axis, such as (N, nz, 1, 1)."""
    return len(dims) >= 2 and dims[1] >= 1 and all(d == 1 for d in dims[2:])


def latent_shape(model) -> tuple[int, ...]:
    """One latent's shape, without the batch axis: ``(nz,)`` or e.g. ``(nz, 1, 1)``."""
    vi = model.graph.input[0]
    dims = graph_dims(vi)
    if not is_latent(dims):
        raise ExportError(
            f"{short_repr(vi.name)}: expected a latent input (N, nz) or (N, nz, 1, 1), got shape "
            f"{dims}"
        )
    return tuple(dims[1:])


def check_teacher(src: ModelSource) -> None:
    """Refuse a float teacher that cannot be compared with the model: its input must be the
    model's (for latents, as many numbers in any shape) and its images the model's shape."""
    if src.teacher is None:
        return
    inp = graph_dims(src.qonnx.graph.input[0])[1:]
    out = graph_dims(src.qonnx.graph.output[0])[1:]
    mine = list(src.teacher.input_shape)
    both_latent = is_latent([1, *inp]) and is_latent([1, *mine])
    fits = math.prod(mine) == math.prod(inp) if both_latent else mine == inp
    if fits:
        made = list(generate(src.teacher, torch.zeros(1, *mine)).shape[1:])
        if made == out:
            return
        what = f"makes images {made}, the model {out}"
    else:
        what = f"takes inputs {mine}, the model {inp}"
    where = src.teacher_path or "the float teacher"
    raise ConfigError(f"{where}: the float teacher {what}; they cannot be compared")


def teacher_outputs(src: ModelSource, x: np.ndarray) -> np.ndarray | None:
    """The float teacher's images for the model's inputs ``x`` (a latent is reshaped to the
    teacher's own latent shape: the same numbers in the same order); None without a teacher."""
    if src.teacher is None:
        return None
    inputs = torch.from_numpy(np.ascontiguousarray(x)).reshape(len(x), *src.teacher.input_shape)
    return generate(src.teacher, inputs).numpy()
