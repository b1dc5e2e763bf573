"""Generator checkpoints: the weights plus everything needed to rebuild the module.

A checkpoint is a ``torch.save`` dict read back with ``weights_only=True`` (no pickled code).
Corrupt files and files that do not match the model they claim raise CheckpointError.  The
record's ``kind`` says which family rebuilds it: ``dcgan`` (latent -> image; records without a
kind are DCGANs) or ``unet`` (image -> image, with its ``task``, e.g. ``sr2x``).
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import torch

from fpgagan.config import Precision, from_dict, to_dict
from fpgagan.errors import CheckpointError, ConfigError, ModelError, short_repr
from fpgagan.io import atomic_path, provenance, read_limited
from fpgagan.limits import MAX_CHECKPOINT_BYTES, MAX_WIDTH, MAX_WIDTHS
from fpgagan.models.generator import Generator
from fpgagan.models.registry import build_generator, build_unet
from fpgagan.models.unet import UNet

FORMAT = "fpgagan.generator"
VERSION = 1
KINDS = ("dcgan", "unet")

AnyGenerator = Generator | UNet


def generator_record(
    gen: AnyGenerator, name: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The dict that :func:`save_generator` writes (also embedded in training checkpoints)."""
    unet = isinstance(gen, UNet)
    return {
        "format": FORMAT,
        "version": VERSION,
        "kind": "unet" if unet else "dcgan",
        **({"task": gen.spec.task} if unet else {}),
        "generator": name,
        "precision": None if gen.precision is None else to_dict(gen.precision),
        "batch_norm": gen.batch_norm,
        "widths": list(gen.spec.widths),
        "state_dict": {k: v.detach().cpu().clone() for k, v in gen.state_dict().items()},
        "provenance": provenance(),
        "extra": extra or {},
    }


def save_generator(
    path: str | os.PathLike[str], gen: AnyGenerator, name: str, extra: dict[str, Any] | None = None
) -> None:
    """Write a generator checkpoint atomically."""
    with atomic_path(path) as tmp:
        torch.save(generator_record(gen, name, extra), tmp)


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint dict safely; a missing or unreadable file raises CheckpointError."""
    p = Path(path)
    data = read_limited(p, "checkpoint", MAX_CHECKPOINT_BYTES, CheckpointError)
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for a corrupt zip/pickle
        raise CheckpointError(
            f"{p}: corrupt or unreadable checkpoint ({type(exc).__name__})"
        ) from None
    if not isinstance(obj, dict):
        raise CheckpointError(f"{p}: not an fpgagan checkpoint")
    return obj


def generator_from_record(
    record: dict[str, Any], where: str
) -> tuple[AnyGenerator, dict[str, Any]]:
    """Rebuild a generator from a record; mismatches raise CheckpointError naming ``where``."""
    if record.get("format") != FORMAT:
        raise CheckpointError(
            f"{where}: not an fpgagan generator checkpoint (format={record.get('format')!r})"
        )
    if record.get("version") != VERSION:
        raise CheckpointError(f"{where}: unsupported checkpoint version {record.get('version')!r}")
    kind = record.get("kind", "dcgan")
    if kind not in KINDS:
        raise CheckpointError(
            f"{where}: unknown generator kind {kind!r} (known: {', '.join(KINDS)})"
        )
    _check_fields(record, where)
    build = build_unet if kind == "unet" else build_generator
    try:
        precision = (
            None
            if record["precision"] is None
            else from_dict(Precision, record["precision"], "precision")
        )
        gen = build(
            record["generator"],
            precision,
            batch_norm=bool(record["batch_norm"]),
            widths=tuple(record.get("widths", ())),
        )
    except (ConfigError, ModelError, KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: {str(exc)[:300]}") from None
    if kind == "unet" and record.get("task") != gen.spec.task:
        raise CheckpointError(
            f"{where}: task {record.get('task')!r} does not match U-Net {record['generator']!r} "
            f"({gen.spec.task})"
        )
    try:
        gen.load_state_dict(record["state_dict"], strict=True)
    except (RuntimeError, KeyError) as exc:
        first = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in first[:3])[:300]
        raise CheckpointError(
            f"{where}: weights do not match generator {record['generator']!r} ({detail})"
        ) from None
    gen.eval()
    return gen, record


# field -> (the types it may have, what the message calls it)
_FIELDS: dict[str, tuple[tuple[type, ...], str]] = {
    "generator": ((str,), "a generator name"),
    "batch_norm": ((bool,), "true or false"),
    "precision": ((dict, type(None)), "a mapping or null"),
    "widths": ((list, tuple), "a list of channel counts"),
    "state_dict": ((dict,), "a mapping of tensors"),
    "extra": ((dict,), "a mapping"),
}


def _check_fields(record: dict[str, Any], where: str) -> None:
    """Types and sizes of a record's fields, before anything is built from them (a 1 KB record
    asking for widths of 20,000 would allocate 25 GB)."""
    for key, (types, what) in _FIELDS.items():
        if key not in record:
            if key in ("generator", "state_dict"):
                raise CheckpointError(f"{where}: the checkpoint has no {key!r}")
            continue
        if not isinstance(record[key], types):
            raise CheckpointError(
                f"{where}: {key} must be {what}, got {type(record[key]).__name__} "
                f"{short_repr(record[key])}"
            )
    widths = record.get("widths", ())
    if len(widths) > MAX_WIDTHS or any(
        isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= MAX_WIDTH for w in widths
    ):
        raise CheckpointError(
            f"{where}: widths {short_repr(widths)} must be at most {MAX_WIDTHS} integers in "
            f"1..{MAX_WIDTH} (fpgagan.limits)"
        )
    for name, value in record["state_dict"].items():
        if not isinstance(name, str) or not isinstance(value, torch.Tensor):
            raise CheckpointError(
                f"{where}: state_dict entry {short_repr(name)} is not a named tensor"
            )


def load_generator(path: str | os.PathLike[str]) -> tuple[AnyGenerator, dict[str, Any]]:
    """Load a generator checkpoint written by :func:`save_generator`; returns (model, record)."""
    return generator_from_record(read_checkpoint(path), str(path))
