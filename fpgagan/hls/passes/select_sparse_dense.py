"""Replace a sparse-enough hls4ml ``Dense`` by fpgagan's ``SparseDense`` (same config keys as the
transposed convolution: ``Sparse`` = auto/true/false, ``SparsityThreshold``).

hls4ml's own compressed Dense needs the Resource strategy and breaks on QONNX models (a fused
scale is broadcast against its COO array), so fpgagan brings its own kernel.  Types are exact:
the accumulator comes from the input and weight types and the fan-in, as for every fpgagan layer.
"""

from __future__ import annotations

import math

import numpy as np
from hls4ml.model.layers import Dense
from hls4ml.model.optimizer import OptimizerPass
from hls4ml.model.types import IntegerPrecisionType

from fpgagan.hls.layers import SparseDense
from fpgagan.hls.passes.sparse_common import (
    DECIDED,
    choose_sparse,
    replace_with_sparse,
    types_known,
)


class SelectSparseDense(OptimizerPass):
    def match(self, node):
        return isinstance(node, Dense) and not node.get_attr(DECIDED, False) and types_known(node)

    def transform(self, model, node):
        w = np.asarray(node.get_weights("weight").data).reshape(
            node.get_attr("n_in"), node.get_attr("n_out")
        )
        if not choose_sparse(node, w):
            return False
        # CSR over outputs: output o uses entries col_start[o] .. col_start[o+1]
        cols, rows = np.nonzero(w.T)
        values = w[rows, cols] if len(rows) else np.zeros(1)
        col_start = np.concatenate(
            [[0], np.cumsum(np.bincount(cols, minlength=w.shape[1]))]
        ).astype(np.int64)
        if not len(rows):
            rows = np.zeros(1, np.int64)
        attrs = {
            "n_in": node.get_attr("n_in"),
            "n_out": node.get_attr("n_out"),
            "n_nonzero": int(len(values)),
            "weight_data": values,
            "bias_data": np.asarray(node.get_weights("bias").data).reshape(-1),
            "sparse_row_data": rows,
            "sparse_col_data": col_start,
            "index_precision": IntegerPrecisionType(
                max(1, math.ceil(math.log2(w.shape[0]))), signed=False
            ),
            "start_precision": IntegerPrecisionType(
                max(1, math.ceil(math.log2(len(values) + 1))), signed=False
            ),
        }
        replace_with_sparse(model, node, SparseDense, attrs, fan_in=node.get_attr("n_in"))
        return True
