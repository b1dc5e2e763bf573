"""Which layers take the sparse schedule: per-layer hls4ml config ``Sparse`` = ``auto`` (sparse
when the weight sparsity reaches ``SparsityThreshold``), ``true`` or ``false``."""

from __future__ import annotations

import numpy as np

from fpgagan.config import TRI_STATES, TriState
from fpgagan.errors import UnsupportedModelError

SPARSE_MODES = TRI_STATES
DEFAULT_SPARSITY_THRESHOLD = 0.5  # 'auto' takes the sparse schedule from this weight sparsity on


def weight_sparsity(weights: np.ndarray) -> float:
    """Share of zero weights."""
    return 1.0 - np.count_nonzero(weights) / max(1, weights.size)


def plan_schedules(sparsity: float, mode: object = TriState.AUTO) -> tuple[bool, ...]:
    """The schedules (False: dense, True: sparse) a plan may give a layer of weight ``sparsity``:
    ``auto`` offers the sparse one too from :data:`DEFAULT_SPARSITY_THRESHOLD` on (the plan takes
    the cheaper), ``true`` / ``false`` only that one.  The one rule for the board flow and for
    :func:`fpgagan.hw.plan.make_plan`'s default."""
    choice = TriState(mode)
    if choice is TriState.AUTO:
        return (False, True) if sparsity >= DEFAULT_SPARSITY_THRESHOLD else (False,)
    return (choice is TriState.TRUE,)


def layer_mode(node, key: str) -> TriState:
    """A layer's three-way setting ``key`` (``Sparse``, ``Codebook``; default auto) from its
    hls4ml layer config, or an error naming the layer."""
    config = node.model.config.get_layer_config(node) or {}
    try:
        return TriState.parse(config.get(key, "auto"), key)
    except ValueError as exc:
        raise UnsupportedModelError(f"layer {node.name!r}: {exc}") from None


def sparse_requested(node, sparsity: float) -> bool:
    """Whether ``node``'s config asks for the sparse schedule at weight ``sparsity``."""
    config = node.model.config.get_layer_config(node) or {}
    threshold = float(config.get("SparsityThreshold", DEFAULT_SPARSITY_THRESHOLD))
    choice = layer_mode(node, "Sparse")
    return choice is TriState.TRUE or (choice is TriState.AUTO and sparsity >= threshold)
