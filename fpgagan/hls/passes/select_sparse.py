"""Switch ``Conv2DTranspose`` layers to the sparse kernel when their weights are sparse enough.

Per layer, the hls4ml config keys ``Sparse`` and ``SparsityThreshold`` decide
(:func:`~fpgagan.hls.passes.sparse_common.sparse_requested`).  A sparse layer stores only its
non-zero weights (``weight`` becomes the 1-D list of them), plus ``sparse_index`` and
``run_start`` (:class:`~fpgagan.hls.sparse.SparseConvLayout`, ``nnet_sparse_conv2d_transpose.h``).
The accumulator type is unchanged (its fan-in bound still holds), so sparse and dense kernels give
identical results.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.optimizer import OptimizerPass

from fpgagan.hls.layers import Conv2DTranspose
from fpgagan.hls.passes.sparse_common import DECIDED, choose_sparse, conv_arrays
from fpgagan.hls.sparse import conv_transpose_layout, sparse_multiplications


class SelectSparseConvTranspose(OptimizerPass):
    def match(self, node):
        return isinstance(node, Conv2DTranspose) and not node.get_attr(DECIDED, False)

    def transform(self, model, node):
        weights = np.asarray(node.get_weights("weight").data).reshape(
            node.get_attr("filt_height"),
            node.get_attr("filt_width"),
            node.get_attr("n_chan"),
            node.get_attr("n_filt"),
        )
        if not choose_sparse(node, weights):
            return False
        g = node.get_attr
        layout = conv_transpose_layout(weights, (g("stride_height"), g("stride_width")))
        node.set_attr("n_nonzero", max(1, layout.n_nonzero))
        node.set_attr("n_taps", layout.n_taps)
        node.set_attr("max_phase_nnz", max(1, layout.max_phase_nnz))
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
        values, index, index_t, start_t = conv_arrays(layout)
        node.add_weights_variable(
            name="weight",
            var_name="w{index}",
            type_name=node.types["weight_t"].name,
            precision=node.types["weight_t"].precision,
            data=values,
        )
        node.add_weights_variable(
            name="sparse_index", var_name="si{index}", precision=index_t, data=index
        )
        node.add_weights_variable(
            name="run_start", var_name="rs{index}", precision=start_t, data=layout.run_start
        )
        return False  # attributes and weights only; the graph is unchanged
