"""Config and function-call templates of fpgagan's layers for the Vivado-family backends."""

from __future__ import annotations

import math

from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate

from fpgagan.hls.layers import Conv2DTranspose, SparseConv2D, SparseDense

CONFIG_TEMPLATE = """struct config{index} : nnet::conv2d_transpose_config {{
    static const unsigned in_height = {in_height};
    static const unsigned in_width = {in_width};
    static const unsigned n_chan = {n_chan};
    static const unsigned n_filt = {n_filt};
    static const unsigned filt_height = {filt_height};
    static const unsigned filt_width = {filt_width};
    static const unsigned stride_height = {stride_height};
    static const unsigned stride_width = {stride_width};
    static const unsigned pad_top = {pad_top};
    static const unsigned pad_left = {pad_left};
    static const unsigned out_height = {out_height};
    static const unsigned out_width = {out_width};
    static const unsigned taps_height = {taps_height};
    static const unsigned taps_width = {taps_width};
    static const unsigned reuse_factor = {reuse};
    static const unsigned strategy = nnet::{strategy};
    static const unsigned multiplier_limit = {multiplier_limit};
    typedef {accum_t.name} accum_t;
    typedef {bias_t.name} bias_t;
    typedef {weight_t.name} weight_t;{sparse_fields}
}};
"""

SPARSE_FIELDS = """
    static const unsigned n_nonzero = {n_nonzero};
    static const unsigned n_taps = {n_taps};
    static const unsigned max_phase_nnz = {max_phase_nnz};
    typedef {index_t} index_t;
    typedef {start_t} start_t;"""

FUNCTION_TEMPLATE = (
    "nnet::conv_2d_transpose_cl<{input_t}, {output_t}, {config}>({input}, {output}, {w}, {b});"
)
SPARSE_FUNCTION_TEMPLATE = "nnet::sparse_conv_2d_transpose_cl<{input_t}, {output_t}, {config}>({input}, {output}, {w}, {ix}, {st}, {b});"
INCLUDES = [
    "nnet_utils/nnet_conv2d_transpose.h",
    "nnet_utils/nnet_conv2d_transpose_stream.h",
    "nnet_utils/nnet_sparse_conv2d_transpose.h",
]


def multiplier_limit(node) -> int:
    """Multipliers one output pixel needs, shared over ``reuse_factor`` cycles."""
    if node.get_attr("use_sparse_kernel", False):
        return max(1, math.ceil(node.get_attr("max_phase_nnz") / node.get_attr("reuse_factor")))
    per_pixel = (
        node.get_attr("n_chan")
        * node.get_attr("n_filt")
        * node.get_attr("taps_height")
        * node.get_attr("taps_width")
    )
    return max(1, math.ceil(per_pixel / node.get_attr("reuse_factor")))


class Conv2DTransposeConfigTemplate(LayerConfigTemplate):
    def __init__(self):
        super().__init__(Conv2DTranspose)
        self.template = CONFIG_TEMPLATE

    def format(self, node):
        params = self._default_config_params(node)
        params["strategy"] = str(node.get_attr("strategy", "latency")).lower()
        params["multiplier_limit"] = multiplier_limit(node)
        params["sparse_fields"] = ""
        if node.get_attr("use_sparse_kernel", False):
            params["sparse_fields"] = SPARSE_FIELDS.format(
                n_nonzero=node.get_attr("n_nonzero"),
                n_taps=node.get_attr("n_taps"),
                max_phase_nnz=node.get_attr("max_phase_nnz"),
                index_t=node.get_weights("sparse_index").type.name,
                start_t=node.get_weights("run_start").type.name,
            )
        return self.template.format(**params)


class Conv2DTransposeFunctionTemplate(FunctionCallTemplate):
    def __init__(self):
        super().__init__(Conv2DTranspose, include_header=INCLUDES)
        self.template = FUNCTION_TEMPLATE

    def format(self, node):
        params = self._default_function_params(node)
        params["w"] = node.get_weights("weight").name
        params["b"] = node.get_weights("bias").name
        if node.get_attr("use_sparse_kernel", False):
            params["ix"] = node.get_weights("sparse_index").name
            params["st"] = node.get_weights("run_start").name
            return SPARSE_FUNCTION_TEMPLATE.format(**params)
        return self.template.format(**params)


def nonzero_multiplier_limit(node) -> int:
    """Multipliers of a sparse Dense or Conv2D: one output (pixel) meets every non-zero weight,
    shared over ``reuse_factor`` cycles."""
    return max(1, math.ceil(node.get_attr("n_nonzero") / node.get_attr("reuse_factor")))


SPARSE_DENSE_CONFIG = """struct config{index} : nnet::sparse_dense_config {{
    static const unsigned n_in = {n_in};
    static const unsigned n_out = {n_out};
    static const unsigned n_nonzero = {n_nonzero};
    static const unsigned reuse_factor = {reuse};
    static const unsigned multiplier_limit = {multiplier_limit};
    typedef {accum_t.name} accum_t;
    typedef {bias_t.name} bias_t;
    typedef {weight_t.name} weight_t;
    typedef {index_t} index_t;
    typedef {start_t} start_t;
}};
"""
SPARSE_DENSE_FUNCTION = (
    "nnet::sparse_dense<{input_t}, {output_t}, {config}>({input}, {output}, {w}, {ix}, {st}, {b});"
)


class _SparseConfigTemplate(LayerConfigTemplate):
    """Config struct of a sparse layer: hls4ml's parameters plus the multiplier limit and the types
    of its two index arrays (``index_array`` and ``start_array``)."""

    layer: type
    config: str
    index_array: str
    start_array: str

    def __init__(self):
        super().__init__(self.layer)
        self.template = self.config

    def format(self, node):
        params = self._default_config_params(node)
        params["multiplier_limit"] = nonzero_multiplier_limit(node)
        params["index_t"] = node.get_weights(self.index_array).type.name
        params["start_t"] = node.get_weights(self.start_array).type.name
        return self.template.format(**params)


class _SparseFunctionTemplate(FunctionCallTemplate):
    """Call of a sparse layer's function: ``{w}``, ``{b}`` and the two index arrays as ``{ix}``,
    ``{st}``."""

    layer: type
    header: str
    call: str
    index_array: str
    start_array: str

    def __init__(self):
        super().__init__(self.layer, include_header=[self.header])
        self.template = self.call

    def format(self, node):
        params = self._default_function_params(node)
        arrays = (
            ("w", "weight"),
            ("b", "bias"),
            ("ix", self.index_array),
            ("st", self.start_array),
        )
        for key, name in arrays:
            params[key] = node.get_weights(name).name
        return self.template.format(**params)


class SparseDenseConfigTemplate(_SparseConfigTemplate):
    layer, config = SparseDense, SPARSE_DENSE_CONFIG
    index_array, start_array = "sparse_row", "sparse_col"


class SparseDenseFunctionTemplate(_SparseFunctionTemplate):
    layer, header, call = SparseDense, "nnet_utils/nnet_sparse_dense.h", SPARSE_DENSE_FUNCTION
    index_array, start_array = "sparse_row", "sparse_col"


SPARSE_CONV2D_CONFIG = """struct config{index} : nnet::sparse_conv2d_config {{
    static const unsigned in_height = {in_height};
    static const unsigned in_width = {in_width};
    static const unsigned n_chan = {n_chan};
    static const unsigned n_filt = {n_filt};
    static const unsigned filt_height = {filt_height};
    static const unsigned filt_width = {filt_width};
    static const unsigned stride_height = {stride_height};
    static const unsigned stride_width = {stride_width};
    static const unsigned pad_top = {pad_top};
    static const unsigned pad_left = {pad_left};
    static const unsigned out_height = {out_height};
    static const unsigned out_width = {out_width};
    static const unsigned n_nonzero = {n_nonzero};
    static const unsigned reuse_factor = {reuse};
    static const unsigned multiplier_limit = {multiplier_limit};
    typedef {accum_t.name} accum_t;
    typedef {bias_t.name} bias_t;
    typedef {weight_t.name} weight_t;
    typedef {index_t} index_t;
    typedef {start_t} start_t;
}};
"""
SPARSE_CONV2D_FUNCTION = "nnet::sparse_conv_2d_cl<{input_t}, {output_t}, {config}>({input}, {output}, {w}, {ix}, {st}, {b});"


class SparseConv2DConfigTemplate(_SparseConfigTemplate):
    layer, config = SparseConv2D, SPARSE_CONV2D_CONFIG
    index_array, start_array = "sparse_index", "run_start"


class SparseConv2DFunctionTemplate(_SparseFunctionTemplate):
    layer, header, call = SparseConv2D, "nnet_utils/nnet_sparse_conv2d.h", SPARSE_CONV2D_FUNCTION
    index_array, start_array = "sparse_index", "run_start"
