"""The hls4ml IR layers of fpgagan's MAC engine: one class per kernel.

Each layer owns its raw-integer ROM images (attributes ``rom_weights``, ``rom_offsets``,
``rom_ctl``, ``rom_bias``; written to ``firmware/weights/fg_<index>.h`` by the write pass) and
describes itself to the cost model through :meth:`EngineLayer.shape`: geometry, parallelism and
bit widths, all named.  The C++ of every class is in ``nnet_fg_engine.h`` / ``nnet_fg_layers.h``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hls4ml.model.attributes import Attribute, TypeAttribute
from hls4ml.model.layers import Layer

from fpgagan.hls.engine import Geometry, Kind, Parallelism

ROM_ATTRIBUTES = ("rom_weights", "rom_offsets", "rom_ctl", "rom_bias")
ACTIVATIONS = ("none", "relu")


@dataclasses.dataclass(frozen=True)
class Widths:
    """Bit widths of an engine layer's arithmetic (see nnet_fg_engine.h)."""

    x_bits: int
    x_signed: bool
    w_bits: int
    b_bits: int
    prod_bits: int
    tree_bits: int
    acc_bits: int
    out_bits: int  # bits of one output value (after the fused activation)
    offset_bits: int = 0  # sparse: channel offset within a bank


@dataclasses.dataclass(frozen=True)
class EngineShape:
    """Everything the cost model needs to count one engine layer's hardware."""

    name: str
    kernel: str  # class name of the layer
    geometry: Geometry
    parallelism: Parallelism
    widths: Widths
    n_steps: int  # cycles per output pixel
    sparse: bool
    n_nonzero: int  # stored weights (sparse) or all weights (dense)
    macs: int  # multiplications per image that meet real inputs and non-zero weights
    rom_words: int  # weight ROM depth (words of lanes x w_bits)
    activation: str


class EngineLayer(Layer):
    """Common attributes of the engine layers (see :mod:`fpgagan.hls.engine`)."""

    kind: Kind = "dense"
    sparse: bool = False

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
        return self.get_attr("widths")

    def shape(self) -> EngineShape:
        weights = self.get_attr("rom_weights")
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
            rom_words=int(weights.shape[0]),
            activation=self.get_attr("activation"),
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


class FgDense(EngineLayer):
    """Dense layer; with ``out_height x out_width > 1`` it streams its output as a map of pixels
    of ``n_out`` channels (a generator head: Dense + Reshape), one weight matrix per pixel."""

    kind = "dense"
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


class FgSparseDense(FgDense):
    sparse = True


class FgConv2D(_ConvGeometry, EngineLayer):
    kind = "conv"
    _expected_attributes = _ConvGeometry._geometry_attributes


class FgSparseConv2D(FgConv2D):
    sparse = True


class FgConv2DTranspose(_ConvGeometry, EngineLayer):
    kind = "conv_transpose"
    _expected_attributes = _ConvGeometry._geometry_attributes


class FgSparseConv2DTranspose(FgConv2DTranspose):
    sparse = True


ENGINE_LAYERS = (
    FgDense,
    FgSparseDense,
    FgConv2D,
    FgSparseConv2D,
    FgConv2DTranspose,
    FgSparseConv2DTranspose,
)


def engine_class(kind: Kind, sparse: bool) -> type[EngineLayer]:
    for cls in ENGINE_LAYERS:
        if cls.kind == kind and cls.sparse == sparse:
            return cls
    raise KeyError(kind)
