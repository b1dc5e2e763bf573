"""Every compute layer -> an engine layer: hls4ml's ``Dense`` and ``Conv2D`` and fpgagan's
``Conv2DTranspose`` become ``Fg*`` layers computed by ``nnet_fg_engine.h``.

The pass runs once all types are known.  It turns the weights into raw integers on the weight
type's grid, sizes the accumulator exactly (:func:`fpgagan.hw.fixed_point.accumulator_type`),
puts the bias into accumulator units, chooses the dense, sparse or codebook schedule (per-layer
config ``Sparse: auto|true|false`` and ``SparsityThreshold``, ``Codebook: auto|true|false``;
:mod:`fpgagan.hw.codebook`) and the parallelism (per-layer config
``ParallelOutputs`` / ``ParallelInputs`` / ``DspColumns`` / ``DspPacking`` from a board plan, or
the longest schedule within ``ReuseFactor`` steps), and builds the ROM images.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.layers import Conv2D, Conv2DBatchnorm, Dense, DepthwiseConv2D
from hls4ml.model.optimizer import OptimizerPass
from hls4ml.model.types import NamedType, UnspecifiedPrecisionType

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.engine_layers import engine_class
from fpgagan.hls.fixed_point import fixed_of, to_hls
from fpgagan.hls.layers import Conv2DTranspose
from fpgagan.hls.memory import bit_width
from fpgagan.hls.passes.pixel_output import PIXEL_OUTPUT
from fpgagan.hw import codebook as C
from fpgagan.hw import engine as E
from fpgagan.hw import engine_layer as L
from fpgagan.hw.fixed_point import Fixed, accumulator_type
from fpgagan.hw.schedules import SCHEDULES, schedule_of
from fpgagan.hw.sparsity import layer_mode, sparse_requested, weight_sparsity

CONV_GEOMETRY = (
    "in_height",
    "in_width",
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


def _types_known(node) -> bool:
    known = [node.get_input_variable().type.precision, node.types["weight_t"].precision]
    if "bias_t" in node.types:
        known.append(node.types["bias_t"].precision)
    return not any(isinstance(p, UnspecifiedPrecisionType) for p in known)


def is_engine_candidate(node) -> bool:
    """hls4ml Dense, channels-last Conv2D (not depthwise/batch-norm fused), fpgagan's
    Conv2DTranspose; all with known types."""
    if isinstance(node, Conv2DTranspose):
        return _types_known(node)
    if isinstance(node, Conv2D) and not isinstance(node, DepthwiseConv2D | Conv2DBatchnorm):
        return node.get_attr("data_format", "channels_last") == "channels_last" and _types_known(
            node
        )
    return isinstance(node, Dense) and node.class_name == "Dense" and _types_known(node)


def _schedule(node, raw_w: np.ndarray, w_bits: int, what: str) -> tuple[bool, C.Codebook | None]:
    """(sparse, codebook) the layer's config asks for: an explicit ``true`` wins; under ``auto``
    the codebook kernel (fewer stored bits, zeros skipped by its reserved entry) before the
    sparse one."""
    config = node.model.config.get_layer_config(node) or {}
    sparse = sparse_requested(node, weight_sparsity(raw_w))
    codebook = C.codebook_requested(node, raw_w, w_bits)
    forced_sparse = str(config.get("Sparse", "auto")).lower() == "true"
    forced_codebook = str(config.get("Codebook", "auto")).lower() == "true"
    if forced_sparse and forced_codebook:
        raise UnsupportedModelError(f"{what}: Sparse=true and Codebook=true exclude each other")
    if forced_sparse:
        return True, None
    if codebook:
        return False, C.codebook_of(raw_w)
    return sparse, None


def is_dense_head(node) -> bool:
    """A transposed convolution of a 1x1 input without padding whose output is its kernel's size:
    every output pixel is one tap of the one input pixel, a Dense layer per pixel."""
    g = node.get_attr
    pads = [g(k) for k in ("pad_top", "pad_left", "pad_bottom", "pad_right")]
    return (
        g("in_height") == 1
        and g("in_width") == 1
        and not any(pads)
        and g("out_height") == g("filt_height")
        and g("out_width") == g("filt_width")
    )


def _dense_head(matrix: np.ndarray, pixels: tuple[int, int, int], pixel_output: bool, attrs: dict):
    """A Dense layer's weight matrices (one per output pixel of ``pixels`` = (height, width,
    channels); ``matrix`` is (n_in, pixels x channels), pixel-major), each pixel's matrix and
    valid taps, and its attributes added to ``attrs``."""
    out_h, out_w, n_out = pixels
    n_pix = out_h * out_w
    attrs.update(
        n_pix=n_pix,
        n_out=n_out,
        n_chan=matrix.shape[0],
        out_height=out_h,
        out_width=out_w,
        pixel_output=pixel_output,
    )
    return E.dense_mats(matrix, n_pix), np.arange(n_pix), np.ones((n_pix, 1), bool)


class ToEngine(OptimizerPass):
    def match(self, node):
        return is_engine_candidate(node)

    def transform(self, model, node):
        what = f"{node.class_name} {node.name!r}"
        g = node.get_attr
        x = fixed_of(node.get_input_variable().type.precision, f"{what} input")
        w_type = fixed_of(node.types["weight_t"].precision, f"{what} weight")
        weights = np.asarray(node.get_weights("weight").data, np.float64)
        has_bias = "bias" in node.weights and node.get_weights("bias").data is not None
        bias = (
            np.asarray(node.get_weights("bias").data, np.float64).reshape(-1) if has_bias else None
        )
        attrs: dict = {}
        if isinstance(node, Conv2DTranspose) and is_dense_head(node):
            # a 1x1 input whose kernel covers the whole output (the DCGAN's first layer): output
            # pixel (oh, ow) is tap (oh, ow) of the one input pixel; as a Dense head it computes
            # only those products instead of every tap of every pixel (all but one outside)
            kind = "dense"
            n_in, n_out = g("n_chan"), g("n_filt")
            kernel = weights.reshape(g("filt_height"), g("filt_width"), n_in, n_out)
            matrix = kernel.transpose(2, 0, 1, 3).reshape(n_in, -1)  # (n_in, pixels x n_out)
            mats, pixel_mats, valid = _dense_head(
                matrix, (g("out_height"), g("out_width"), n_out), True, attrs
            )
        elif isinstance(node, Conv2DTranspose):
            kind = "conv_transpose"
            kernel = weights.reshape(g("filt_height"), g("filt_width"), g("n_chan"), g("n_filt"))
            mats = E.conv_transpose_mats(kernel, (g("stride_height"), g("stride_width")))
            pixel_mats, valid = E.conv_transpose_taps(*self._conv_axes(node))
            attrs.update({k: g(k) for k in CONV_GEOMETRY})
            attrs.update(
                taps_height=g("taps_height"),
                taps_width=g("taps_width"),
                line_rows=g("taps_height"),
                n_pix=g("out_height") * g("out_width"),
                n_out=g("n_filt"),
                n_chan=g("n_chan"),
            )
        elif isinstance(node, Conv2D):
            kind = "conv"
            kernel = weights.reshape(g("filt_height"), g("filt_width"), g("n_chan"), g("n_filt"))
            mats = E.conv_mats(kernel)
            pixel_mats, valid = E.conv_taps(*self._conv_axes(node))
            attrs.update({k: g(k) for k in CONV_GEOMETRY})
            attrs.update(
                taps_height=g("filt_height"),
                taps_width=g("filt_width"),
                line_rows=g("filt_height"),
                n_pix=g("out_height") * g("out_width"),
                n_out=g("n_filt"),
                n_chan=g("n_chan"),
            )
        else:
            kind = "dense"
            n_in, n_total = g("n_in"), g("n_out")
            pixels = g(PIXEL_OUTPUT) or (1, 1, n_total)
            mats, pixel_mats, valid = _dense_head(
                weights.reshape(n_in, n_total), pixels, g(PIXEL_OUTPUT) is not None, attrs
            )
        n_mats, n_taps, n_chan, n_out = mats.shape
        fan_in = n_taps * n_chan
        b_type = fixed_of(node.types["bias_t"].precision, f"{what} bias") if has_bias else None
        acc = accumulator_type(x, w_type, fan_in, b_type)
        w_bits = w_type.as_signed().width
        raw_w = E.to_raw(mats, w_type.frac, w_bits, f"{what} weight")
        raw_b, b_bits = L.raw_bias(bias, acc, n_out, what)
        sparse, book = _schedule(node, raw_w, w_bits, what)
        geom = E.Geometry(kind, n_out, n_chan, n_taps, n_mats, attrs["n_pix"], in_pixels=1)
        par = self._parallelism(node, geom, x, w_bits, what)
        roms = SCHEDULES[schedule_of(sparse, book is not None)].roms(raw_w, geom, par, book)
        out = node.get_output_variable().type.precision
        out_bits = acc.width if isinstance(out, UnspecifiedPrecisionType) else bit_width(out)
        options = C.option(layer_mode(node, "Codebook"), raw_w, w_bits, len(valid), n_out)
        attrs.update(
            n_taps=n_taps,
            n_mats=n_mats,
            n_par=par.n_par,
            k_par=par.k_par,
            dsp_cols=par.dsp_cols,
            dsp_pack=par.dsp_pack,
            activation="none",
            widths=L.widths(x, w_type, b_bits, acc, par, out_bits, roms, book, fan_in),
            prod_shift=L.product_shift(x, w_type, acc, what),
            rom_bias=raw_b,
            ps_bits=C.partial_sum_bits(x.width, x.signed, fan_in),
            input_precision=x,
            **L.schedule_attributes(raw_w, pixel_mats, valid, roms, sparse, book, options),
        )
        self._replace(model, node, engine_class(kind, sparse, book is not None), attrs, acc)
        return True

    @staticmethod
    def _conv_axes(node):
        g = node.get_attr
        return (
            (g("in_height"), g("in_width")),
            (g("out_height"), g("out_width")),
            (g("filt_height"), g("filt_width")),
            (g("stride_height"), g("stride_width")),
            (g("pad_top"), g("pad_left")),
        )

    @staticmethod
    def _parallelism(node, geom: E.Geometry, x: Fixed, w_bits: int, what: str) -> E.Parallelism:
        g = node.get_attr
        keys = ("parallel_outputs", "parallel_inputs", "dsp_columns", "dsp_packing")
        return E.configured_parallelism(
            geom, tuple(g(k) for k in keys), int(g("reuse_factor", 1) or 1),
            x.width, x.signed, w_bits, what,
        )  # fmt: skip

    @staticmethod
    def _replace(model, node, cls, attrs: dict, acc: Fixed) -> None:
        out_var = node.get_output_variable()
        out_precision = out_var.type.precision
        if isinstance(out_precision, UnspecifiedPrecisionType):
            out_precision = to_hls(acc)
        config = dict(model.config.get_layer_config(node) or {})
        name = node.name
        attrs = {
            **attrs,
            "accum_t": NamedType(f"{name}_accum_t", to_hls(acc)),
            "pre_activation_t": NamedType(f"{name}_pre_t", out_precision),
        }
        new = model.make_node(cls, name, attrs, list(node.inputs[:1]), list(node.outputs))
        new.get_output_variable().type.precision = out_precision
        new.set_attr("hls_config", config)
        model.replace_node(node, new)
