"""Replace a sparse-enough hls4ml ``Conv2D`` by fpgagan's ``SparseConv2D`` (same config keys as the
other sparse kernels: ``Sparse`` = auto/true/false, ``SparsityThreshold``).

The sparse layer keeps the non-zero weights grouped by kernel tap and output channel, each with
its input channel (:func:`fpgagan.hls.sparse.conv_layout`, the layout of the sparse transposed
convolution with one phase), and handles padding itself: it replaces the ``Conv2D`` before hls4ml's
backend would insert a ZeroPadding2D layer for io_stream.  Types are exact: the accumulator comes
from the input and weight types and the fan-in.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.layers import Conv2D, Conv2DBatchnorm, DepthwiseConv2D
from hls4ml.model.optimizer import OptimizerPass

from fpgagan.hls.layers import SparseConv2D
from fpgagan.hls.passes.sparse_common import (
    DECIDED,
    choose_sparse,
    conv_arrays,
    replace_with_sparse,
    types_known,
)
from fpgagan.hls.sparse import conv_layout, sparse_conv_multiplications

GEOMETRY = (
    "in_height",
    "in_width",
    "n_chan",
    "n_filt",
    "out_height",
    "out_width",
    "filt_height",
    "filt_width",
    "stride_height",
    "stride_width",
    "pad_top",
    "pad_left",
    "pad_bottom",
    "pad_right",
)


class SelectSparseConv2D(OptimizerPass):
    def match(self, node):
        # hls4ml's depthwise and batch-norm-fused convolutions derive from Conv2D: not ours; the
        # kernel reads channels-last data, the only layout hls4ml's QONNX frontend produces
        return (
            isinstance(node, Conv2D)
            and not isinstance(node, DepthwiseConv2D | Conv2DBatchnorm)
            and node.get_attr("data_format", "channels_last") == "channels_last"
            and not node.get_attr(DECIDED, False)
            and types_known(node)
        )

    def transform(self, model, node):
        g = node.get_attr
        weights = np.asarray(node.get_weights("weight").data).reshape(
            g("filt_height"), g("filt_width"), g("n_chan"), g("n_filt")
        )
        if not choose_sparse(node, weights):
            return False
        layout = conv_layout(weights)
        values, index, index_t, start_t = conv_arrays(layout)
        attrs = {
            **{k: g(k) for k in GEOMETRY},
            "n_nonzero": int(len(values)),
            "sparse_n_mult": sparse_conv_multiplications(
                layout,
                (g("in_height"), g("in_width")),
                (g("out_height"), g("out_width")),
                (g("stride_height"), g("stride_width")),
                (g("pad_top"), g("pad_left")),
            ),
            "weight_data": values,
            "bias_data": np.asarray(node.get_weights("bias").data).reshape(-1),
            "sparse_index_data": index,
            "run_start_data": layout.run_start,
            "index_precision": index_t,
            "start_precision": start_t,
        }
        fan_in = g("n_chan") * g("filt_height") * g("filt_width")
        replace_with_sparse(model, node, SparseConv2D, attrs, fan_in)
        return True
