"""What the sparse-kernel passes share: the per-layer choice and the swap of an hls4ml layer for
fpgagan's sparse one.

Per layer, the hls4ml config key ``Sparse`` decides: ``auto`` (default: sparse when the weight
sparsity reaches ``SparsityThreshold``, default 0.5), ``true`` or ``false``.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.types import IntegerPrecisionType, UnspecifiedPrecisionType

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.fixed_point import Fixed, accumulator_type, to_hls
from fpgagan.hls.sparse import DEFAULT_SPARSITY_THRESHOLD, SparseConvLayout

DECIDED = "fpgagan_sparse_decided"  # set on every layer a sparse pass has looked at


def weight_sparsity(weights: np.ndarray) -> float:
    """Share of zero weights."""
    return 1.0 - np.count_nonzero(weights) / weights.size


def choose_sparse(node, weights: np.ndarray) -> bool:
    """Decide ``node``'s kernel from its config and its (quantized) ``weights``.

    The choice is recorded on the node (``weight_sparsity``, ``use_sparse_kernel``), so reports
    and tests can see it, and marks the node as decided.
    """
    sparsity = weight_sparsity(weights)
    chosen = sparse_requested(node, sparsity)
    node.set_attr(DECIDED, True)
    node.set_attr("weight_sparsity", float(sparsity))
    node.set_attr("use_sparse_kernel", chosen)
    return chosen


def sparse_requested(node, sparsity: float) -> bool:
    """Whether ``node``'s config asks for its sparse kernel at weight ``sparsity``."""
    config = node.model.config.get_layer_config(node) or {}
    choice = str(config.get("Sparse", "auto")).lower()
    threshold = float(config.get("SparsityThreshold", DEFAULT_SPARSITY_THRESHOLD))
    if choice not in ("auto", "true", "false"):
        raise UnsupportedModelError(
            f"layer {node.name!r}: Sparse must be auto, true or false, got {choice!r}"
        )
    return choice == "true" or (choice == "auto" and sparsity >= threshold)


def conv_arrays(
    layout: SparseConvLayout,
) -> tuple[np.ndarray, np.ndarray, IntegerPrecisionType, IntegerPrecisionType]:
    """What a sparse (transposed) convolution stores: its non-zero weights and their input
    channels (one dummy entry when there is none: C arrays cannot be empty), and the unsigned
    types of the channel index and of ``run_start``."""
    values = layout.values if layout.n_nonzero else np.zeros(1)
    index = layout.index if layout.n_nonzero else np.zeros(1, np.int64)
    index_t = IntegerPrecisionType(layout.index_bits, signed=False)
    start_t = IntegerPrecisionType(max(1, len(values).bit_length()), signed=False)
    return values, index, index_t, start_t


def types_known(node) -> bool:
    """Whether the input, weight and bias types a sparse layer is sized from are known yet."""
    known = [
        node.get_input_variable().type.precision,
        node.types["weight_t"].precision,
        node.types["bias_t"].precision,
    ]
    return not any(isinstance(p, UnspecifiedPrecisionType) for p in known)


def replace_with_sparse(model, node, cls, attrs: dict, fan_in: int):
    """Replace hls4ml layer ``node`` by the sparse layer ``cls`` named ``Sparse<name>``.

    ``attrs`` are the new layer's attributes (with its ``<weight>_data`` arrays and the index
    precisions); the weight and bias types are ``node``'s, the accumulator is exact for ``fan_in``
    products plus the bias (:func:`fpgagan.hls.fixed_point.accumulator_type`), and the output
    keeps ``node``'s type, or the accumulator's where none is set.  The layer's config (reuse
    factor, strategy, trace) carries over.
    """
    weight_precision = node.types["weight_t"].precision
    bias_precision = node.types["bias_t"].precision
    what = f"{node.class_name} {node.name!r}"
    acc = to_hls(
        accumulator_type(
            Fixed.of(node.get_input_variable().type.precision, f"{what} input"),
            Fixed.of(weight_precision, f"{what} weight"),
            fan_in,
            Fixed.of(bias_precision, f"{what} bias"),
        )
    )
    attrs = {
        **attrs,
        "use_sparse_kernel": True,
        "weight_sparsity": node.get_attr("weight_sparsity"),
        DECIDED: True,
        "weight_precision": weight_precision,
        "bias_precision": bias_precision,
    }
    config = dict(model.config.get_layer_config(node) or {})
    new_name = f"Sparse{node.name}"
    model.config.set_name_config(new_name, config)
    model.config.parse_name_config(new_name, config)
    new = model.make_node(cls, new_name, attrs, list(node.inputs), list(node.outputs))
    for kind, precision in (("weight", weight_precision), ("bias", bias_precision), ("accum", acc)):
        new.types[f"{kind}_t"].name = f"{new_name}_{kind}_t"
        new.types[f"{kind}_t"].precision = precision
    out = node.get_output_variable().type.precision
    new.get_output_variable().type.precision = (
        acc if isinstance(out, UnspecifiedPrecisionType) else out
    )
    model.replace_node(node, new)
    return new
