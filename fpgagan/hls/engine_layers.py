"""The hls4ml IR layers of fpgagan's MAC engine: one class per kernel.

Each layer owns its raw-integer ROM images (attributes ``rom_weights``, ``rom_offsets``,
``rom_ctl``, ``rom_bias``, ``rom_codebook``; ``None`` for a ROM its schedule does not have; written to ``firmware/weights/fg_<index>.h`` by the write pass) and
describes itself to the cost model through :meth:`EngineLayer.shape`: geometry, parallelism and
bit widths, all named.  The C++ of every class is in ``nnet_fg_engine.h`` / ``nnet_fg_layers.h``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hls4ml.model.attributes import Attribute, TypeAttribute
from hls4ml.model.layers import Layer

from fpgagan.hw.engine import Geometry, Kind, Parallelism
from fpgagan.hw.schedules import SCHEDULES, Schedule
from fpgagan.hw.schedules.base import ctl_bits
from fpgagan.hw.spec import (
    KERNELS,
    NO_CODEBOOK,
    CodebookOption,
    EngineShape,
    MacsOptions,
    Widths,
    kernel_name,
)

ACTIVATIONS = ("none", "relu")


class EngineLayer(Layer):
    """Common attributes of the engine layers (see :mod:`fpgagan.hw.engine`)."""

    kind: Kind = Kind.DENSE
    sparse: bool = False
    codebook: bool = False

    _expected_attributes = [
        Attribute("n_out"),
        Attribute("n_chan"),
        Attribute("n_taps"),
        Attribute("n_mats"),
        Attribute("n_pix"),
        Attribute("n_par"),
        Attribute("k_par"),
        Attribute("n_steps"),
        Attribute("dsp_cols", default=0),
        Attribute("dsp_pack", default=1),
        Attribute("activation", value_type=str, default="none"),
        Attribute("macs"),
        TypeAttribute("accum"),
        TypeAttribute("pre_activation"),  # the layer's own output type, before the fused activation
    ]

    def output_shape(self) -> list[int]:
        raise NotImplementedError

    def initialize(self):
        self.add_output_variable(self.output_shape())

    def geometry(self) -> Geometry:
        raise NotImplementedError

    def parallelism(self) -> Parallelism:
        g = self.get_attr
        return Parallelism(g("n_par"), g("k_par"), g("dsp_cols"), g("dsp_pack"))

    def widths(self) -> Widths:
        """The arithmetic widths; ``out_bits`` from the current output type (after fusion)."""
        out = self.get_output_variable().type.precision
        acc = self.get_attr("accum_t").precision
        return dataclasses.replace(
            self.get_attr("widths"),
            out_bits=int(out.width),
            out_frac=int(out.width - out.integer),
            out_signed=bool(out.signed),
            acc_frac=int(acc.width - acc.integer),
        )

    def shape(self) -> EngineShape:
        weights = self.get_attr("rom_weights")
        g = self.get_attr
        return EngineShape(
            name=self.name,
            kernel=self.class_name,
            geometry=self.geometry(),
            parallelism=self.parallelism(),
            widths=self.widths(),
            n_steps=self.get_attr("n_steps"),
            sparse=self.sparse,
            n_nonzero=int(self.get_attr("n_nonzero")),
            macs=int(self.get_attr("macs")),
            macs_options=MacsOptions(*self.get_attr("macs_options")),
            rom_words=int(weights.shape[0]),
            activation=g("activation"),
            io_type=self.model.config.get_config_value("IOType"),
            bias_values=int(g("rom_bias").size),
            ctl_bits=ctl_bits(self.geometry(), self.parallelism()) if self.sparse else 0,
            in_height=g("in_height", 1),
            in_width=g("in_width", 1),
            out_height=g("out_height", 1),
            out_width=g("out_width", 1),
            in_elements=int(np.prod(self.get_input_variable().shape[:-1], dtype=np.int64)),
            filt_height=g("filt_height", 1),
            stride_height=g("stride_height", 1),
            pad_top=g("pad_top", 0),
            rom_storage=str(g("rom_storage", "auto")).lower(),
            codebook_size=int(g("rom_codebook").size) if self.codebook else 0,
            codebook_zero=bool(g("codebook_zero", False)) if self.codebook else False,
            codebook_options=CodebookOption(*g("codebook_options", NO_CODEBOOK)),
        )

    def rom(self, name: str) -> np.ndarray:
        return self.get_attr(name)


class _ConvGeometry:
    """Attributes and geometry shared by the convolution kernels."""

    _geometry_attributes = [
        Attribute("in_height"),
        Attribute("in_width"),
        Attribute("out_height"),
        Attribute("out_width"),
        Attribute("filt_height"),
        Attribute("filt_width"),
        Attribute("stride_height"),
        Attribute("stride_width"),
        Attribute("pad_top"),
        Attribute("pad_left"),
        Attribute("pad_bottom"),
        Attribute("pad_right"),
        Attribute("taps_height"),
        Attribute("taps_width"),
        Attribute("line_rows"),
    ]

    def output_shape(self) -> list[int]:
        g = self.get_attr
        return [g("out_height"), g("out_width"), g("n_out")]

    def geometry(self) -> Geometry:
        g = self.get_attr
        return Geometry(
            kind=self.kind,
            n_out=g("n_out"),
            n_chan=g("n_chan"),
            n_taps=g("n_taps"),
            n_mats=g("n_mats"),
            n_pix=g("n_pix"),
            in_pixels=g("in_height") * g("in_width"),
            line_rows=g("line_rows"),
            in_width=g("in_width"),
        )


class FgLinear(EngineLayer):
    """Dense layer; with ``out_height x out_width > 1`` it streams its output as a map of pixels
    of ``n_out`` channels (a generator head: Dense + Reshape), one weight matrix per pixel."""

    kind = Kind.DENSE
    _expected_attributes = [Attribute("out_height", default=1), Attribute("out_width", default=1)]

    def output_shape(self) -> list[int]:
        g = self.get_attr
        if g("n_pix") == 1 and not g("pixel_output", False):
            return [g("n_out")]
        return [g("out_height"), g("out_width"), g("n_out")]

    def geometry(self) -> Geometry:
        g = self.get_attr
        return Geometry(
            kind="dense",
            n_out=g("n_out"),
            n_chan=g("n_chan"),
            n_taps=1,
            n_mats=g("n_mats"),
            n_pix=g("n_pix"),
            in_pixels=1,
        )


class FgConv(_ConvGeometry, EngineLayer):
    kind = Kind.CONV
    _expected_attributes = _ConvGeometry._geometry_attributes


class FgConvTranspose(_ConvGeometry, EngineLayer):
    kind = Kind.CONV_TRANSPOSE
    _expected_attributes = _ConvGeometry._geometry_attributes


def _variant(base: type[EngineLayer], schedule: Schedule) -> type[EngineLayer]:
    """The layer class of ``base``'s kind under another schedule (a subclass: it computes the
    same geometry), named by the schedule table (:mod:`fpgagan.hw.schedules`)."""
    flags = {"sparse": schedule is Schedule.SPARSE, "codebook": schedule is Schedule.CODEBOOK}
    name = SCHEDULES[schedule].kernel(base.kind)
    return type(name, (base,), {**flags, "__module__": __name__, "__qualname__": name})


DENSE_SCHEDULE = (FgLinear, FgConv, FgConvTranspose)
FgSparseLinear, FgSparseConv, FgSparseConvTranspose = (
    _variant(c, Schedule.SPARSE) for c in DENSE_SCHEDULE
)
FgCodebookLinear, FgCodebookConv, FgCodebookConvTranspose = (
    _variant(c, Schedule.CODEBOOK) for c in DENSE_SCHEDULE
)
ENGINE_LAYERS = (
    *DENSE_SCHEDULE,
    FgSparseLinear,
    FgSparseConv,
    FgSparseConvTranspose,
    FgCodebookLinear,
    FgCodebookConv,
    FgCodebookConvTranspose,
)


def engine_class(kind: Kind, sparse: bool, codebook: bool = False) -> type[EngineLayer]:
    """The layer class of a kernel: dense, sparse or codebook schedule (not both of the last),
    named by :func:`fpgagan.hw.spec.kernel_name`."""
    return _BY_NAME[kernel_name(kind, sparse, codebook)]


_BY_NAME = {cls.__name__: cls for cls in ENGINE_LAYERS}
# the hardware model's kernel table and these classes describe the same kernels
assert {(c.kind, c.sparse, c.codebook): c.__name__ for c in ENGINE_LAYERS} == KERNELS


def engine_layers(hls_model) -> list[EngineLayer]:
    """The engine layers of a converted hls4ml model, in order."""
    return [layer for layer in hls_model.get_layers() if isinstance(layer, EngineLayer)]
