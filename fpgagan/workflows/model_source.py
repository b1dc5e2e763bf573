"""Where the board flow's model comes from: the shipped default, a generator checkpoint (.pt)
or a QONNX file (.onnx), with the float teacher when there is one."""

from __future__ import annotations

import dataclasses
import logging
from importlib import resources
from pathlib import Path
from typing import Any

from fpgagan.errors import ExportError, short_repr
from fpgagan.export import load_qonnx, to_qonnx
from fpgagan.models import Generator
from fpgagan.models.checkpoint import load_generator

log = logging.getLogger(__name__)


@dataclasses.dataclass
class ModelSource:
    qonnx: Any
    description: str
    quantized: Generator | None = None
    teacher: Generator | None = None
    path: str | None = None  # the model file, when the user gave one
    task: str | None = None  # the image task a checkpoint records (sr2x, inpaint), if any


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
            None if teacher is not None else load_generator(d / "teacher.pt")[0],
        )
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


def latent_dim(model) -> int:
    dims = [int(d.dim_value) for d in model.graph.input[0].type.tensor_type.shape.dim]
    if len(dims) != 2:
        raise ExportError(
            f"{model.graph.input[0].name}: expected a generator with a latent vector input, got shape {dims}"
        )
    return dims[1]
