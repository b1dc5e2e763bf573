"""Switch ``Conv2DTranspose`` layers to the sparse kernel when their weights are sparse enough.

Per layer, the hls4ml config key ``Sparse`` decides: ``auto`` (default: sparse when the weight
sparsity reaches ``SparsityThreshold``, default 0.5), ``true`` or ``false``.  A sparse layer stores
only its non-zero weights (``weight`` becomes the 1-D list of them), plus ``sparse_index`` and
``tap_start`` (see ``nnet_sparse_conv2d_transpose.h``).  The accumulator type is unchanged (its
fan-in bound still holds), so sparse and dense kernels give identical results.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.optimizer import OptimizerPass
from hls4ml.model.types import IntegerPrecisionType

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.layers import Conv2DTranspose
from fpgagan.hls.sparse import (
    DEFAULT_SPARSITY_THRESHOLD,
    conv_transpose_layout,
    sparse_multiplications,
)

DECIDED = "fpgagan_sparse_decided"


def sparse_requested(node, sparsity: float) -> bool:
    config = node.model.config.get_layer_config(node) or {}
    choice = str(config.get("Sparse", "auto")).lower()
    threshold = float(config.get("SparsityThreshold", DEFAULT_SPARSITY_THRESHOLD))
    if choice not in ("auto", "true", "false"):
        raise UnsupportedModelError(
            f"layer {node.name!r}: Sparse must be auto, true or false, got {choice!r}"
        )
    return choice == "true" or (choice == "auto" and sparsity >= threshold)


class SelectSparseConvTranspose(OptimizerPass):
    def match(self, node):
        return isinstance(node, Conv2DTranspose) and not node.get_attr(DECIDED, False)

    def transform(self, model, node):
        node.set_attr(DECIDED, True)
        weights = np.asarray(node.get_weights("weight").data).reshape(
            node.get_attr("filt_height"),
            node.get_attr("filt_width"),
            node.get_attr("n_chan"),
            node.get_attr("n_filt"),
        )
        sparsity = 1.0 - np.count_nonzero(weights) / weights.size
        node.set_attr("weight_sparsity", float(sparsity))
        if not sparse_requested(node, sparsity):
            node.set_attr("use_sparse_kernel", False)
            return False
        g = node.get_attr
        layout = conv_transpose_layout(weights, (g("stride_height"), g("stride_width")))
        node.set_attr("use_sparse_kernel", True)
        node.set_attr("n_nonzero", max(1, layout.n_nonzero))
        node.set_attr("n_taps", len(layout.tap_start) - 1)
        node.set_attr("max_phase_nnz", max(1, layout.max_phase_nnz))
        node.set_attr("shift_ci", layout.shift_ci)
        node.set_attr(
            "sparse_n_mult",
            sparse_multiplications(
                layout,
                (g("in_height"), g("in_width")),
                (g("out_height"), g("out_width")),
                (g("stride_height"), g("stride_width")),
                (g("pad_top"), g("pad_left")),
            ),
        )
        values = layout.values if layout.n_nonzero else np.zeros(1)
        index = layout.index if layout.n_nonzero else np.zeros(1, np.int64)
        node.add_weights_variable(
            name="weight",
            var_name="w{index}",
            type_name=node.types["weight_t"].name,
            precision=node.types["weight_t"].precision,
            data=values,
        )
        index_t = IntegerPrecisionType(layout.index_bits, signed=False)
        start_t = IntegerPrecisionType(max(1, int(len(values)).bit_length()), signed=False)
        node.add_weights_variable(
            name="sparse_index", var_name="si{index}", precision=index_t, data=index
        )
        node.add_weights_variable(
            name="tap_start", var_name="ts{index}", precision=start_t, data=layout.tap_start
        )
        return False  # attributes and weights only; the graph is unchanged
