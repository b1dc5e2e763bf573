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
from hls4ml.model.types import IntegerPrecisionType, UnspecifiedPrecisionType

from fpgagan.hls.fixed_point import Fixed, accumulator_type, to_hls
from fpgagan.hls.layers import SparseDense
from fpgagan.hls.passes.select_sparse import sparse_requested


class SelectSparseDense(OptimizerPass):
    def match(self, node):
        if not isinstance(node, Dense) or node.get_attr("fpgagan_sparse_decided", False):
            return False
        # wait until the types this needs are known
        known = [
            node.get_input_variable().type.precision,
            node.types["weight_t"].precision,
            node.types["bias_t"].precision,
        ]
        return not any(isinstance(p, UnspecifiedPrecisionType) for p in known)

    def transform(self, model, node):
        node.set_attr("fpgagan_sparse_decided", True)
        w = np.asarray(node.get_weights("weight").data).reshape(
            node.get_attr("n_in"), node.get_attr("n_out")
        )
        sparsity = 1.0 - np.count_nonzero(w) / w.size
        if not sparse_requested(node, sparsity):
            return False
        # CSR over outputs: output o uses entries col_start[o] .. col_start[o+1]
        cols, rows = np.nonzero(w.T)
        values = w[rows, cols] if len(rows) else np.zeros(1)
        col_start = np.concatenate(
            [[0], np.cumsum(np.bincount(cols, minlength=w.shape[1]))]
        ).astype(np.int64)
        if not len(rows):
            rows = np.zeros(1, np.int64)
        index_t = IntegerPrecisionType(max(1, math.ceil(math.log2(w.shape[0]))), signed=False)
        start_t = IntegerPrecisionType(max(1, math.ceil(math.log2(len(values) + 1))), signed=False)
        data = Fixed.of(node.get_input_variable().type.precision, f"Dense {node.name!r} input")
        weight = Fixed.of(node.types["weight_t"].precision, f"Dense {node.name!r} weight")
        bias = Fixed.of(node.types["bias_t"].precision, f"Dense {node.name!r} bias")
        acc = to_hls(accumulator_type(data, weight, node.get_attr("n_in"), bias))
        attrs = {
            "n_in": node.get_attr("n_in"),
            "n_out": node.get_attr("n_out"),
            "n_nonzero": int(len(values)),
            "weight_sparsity": float(sparsity),
            "use_sparse_kernel": True,
            "fpgagan_sparse_decided": True,
            "weight_data": values,
            "bias_data": np.asarray(node.get_weights("bias").data).reshape(-1),
            "sparse_row_data": rows,
            "sparse_col_data": col_start,
        }
        weight_precision, bias_precision = (
            node.types["weight_t"].precision,
            node.types["bias_t"].precision,
        )
        attrs.update(
            weight_precision=weight_precision,
            bias_precision=bias_precision,
            index_precision=index_t,
            start_precision=start_t,
        )
        config = dict(model.config.get_layer_config(node) or {})
        new_name = f"Sparse{node.name}"
        model.config.set_name_config(new_name, config)
        model.config.parse_name_config(new_name, config)
        new = model.make_node(SparseDense, new_name, attrs, list(node.inputs), list(node.outputs))
        for kind, precision in (
            ("weight", weight_precision),
            ("bias", bias_precision),
            ("accum", acc),
        ):
            new.types[f"{kind}_t"].name = f"{new_name}_{kind}_t"
            new.types[f"{kind}_t"].precision = precision
        out = node.get_output_variable().type.precision
        result = acc if isinstance(out, UnspecifiedPrecisionType) else out
        new.get_output_variable().type.precision = result
        model.replace_node(node, new)
        return True
