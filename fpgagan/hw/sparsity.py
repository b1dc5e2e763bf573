"""Which layers take the sparse schedule: per-layer hls4ml config ``Sparse`` = ``auto`` (sparse
when the weight sparsity reaches ``SparsityThreshold``), ``true`` or ``false``."""

from __future__ import annotations

import numpy as np

from fpgagan.errors import UnsupportedModelError

SPARSE_MODES = ("auto", "true", "false")
DEFAULT_SPARSITY_THRESHOLD = 0.5  # 'auto' takes the sparse schedule from this weight sparsity on


def weight_sparsity(weights: np.ndarray) -> float:
    """Share of zero weights."""
    return 1.0 - np.count_nonzero(weights) / max(1, weights.size)


def sparse_requested(node, sparsity: float) -> bool:
    """Whether ``node``'s config asks for the sparse schedule at weight ``sparsity``."""
    config = node.model.config.get_layer_config(node) or {}
    choice = str(config.get("Sparse", "auto")).lower()
    threshold = float(config.get("SparsityThreshold", DEFAULT_SPARSITY_THRESHOLD))
    if choice not in SPARSE_MODES:
        raise UnsupportedModelError(
            f"layer {node.name!r}: Sparse must be {', '.join(SPARSE_MODES)}, got {choice!r}"
        )
    return choice == "true" or (choice == "auto" and sparsity >= threshold)
