"""The hls4ml IR layers of fpgagan's MAC engine: one class per kernel.

Each layer owns its raw-integer ROM images (attributes ``rom_weights``, ``rom_offsets``,
``rom_ctl``, ``rom_bias``, ``rom_codebook``; written to ``firmware/weights/fg_<index>.h`` by the write pass) and
describes itself to the cost model through :meth:`EngineLayer.shape`: geometry, parallelism and
bit widths, all named.  The C++ of every class is in ``nnet_fg_engine.h`` / ``nnet_fg_layers.h``.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from hls4ml.model.attributes import Attribute, TypeAttribute
from hls4ml.model.layers import Layer

from fpgagan.hls.engine import Geometry, Kind, Parallelism

ROM_ATTRIBUTES = ("rom_weights", "rom_offsets", "rom_ctl", "rom_bias", "rom_codebook")
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
    acc_frac: int = 0  # fractional bits of the accumulator
    out_frac: int = 0  # fractional bits of an output value
    out_signed: bool = True
    idx_bits: int = 0  # codebook: bits of an index (the weight ROM's elements)
    ps_bits: int = 0  # codebook: bits of a partial sum


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
    macs_options: tuple[int, int]  # macs of the dense and of the sparse schedule
    rom_words: int  # weight ROM depth (words of lanes x w_bits)
    activation: str
    io_type: str
    bias_values: int  # biases stored (n_out, or n_out per pixel of a Dense head)
    ctl_bits: int  # sparse: bits of a step's control word (tap, block, first, last)
    in_height: int = 1
    in_width: int = 1
    out_height: int = 1
    out_width: int = 1
    in_elements: int = 1  # input stream elements per image (io_stream)
    filt_height: int = 1
    stride_height: int = 1
    pad_top: int = 0
    rom_storage: str = "auto"  # "auto" or "bram" (the board plan may ask for BRAM)
    codebook_size: int = 0  # codebook kernel: entries K (0: weights are stored, not indices)
    codebook_zero: bool = False  # entry 0 is the pruned weights' zero (no partial sum)
    codebook_options: tuple[int, bool, int] = (0, False, 0)  # (K, zero, macs) where eligible

    @property
    def codebook(self) -> bool:
        return self.codebook_size > 0

    @property
    def codes(self) -> int:
        """Codebook entries with a partial sum and a multiplier."""
        return self.codebook_size - int(self.codebook_zero)

    @property
    def schedule(self) -> str:
        return "codebook" if self.codebook else "sparse" if self.sparse else "dense"

    @property
    def buffer_words(self) -> int:
        """Words (rows) of the input buffer: a Dense's input elements (one word each), the line
        buffer (io_stream) or the frame (io_parallel) in pixel words."""
        g = self.geometry
        if g.kind == "dense":
            return self.in_elements
        rows = g.line_rows if self.io_type == "io_stream" else self.in_height
        return rows * self.in_width

    @property
    def word_values(self) -> int:
        """Values in one word of the input buffer: a pixel's channels, or a Dense input element's
        values (a step reads k_par of them, so k_par divides it)."""
        g = self.geometry
        return g.n_chan // self.in_elements if g.kind == "dense" else g.n_chan

    @property
    def buffer_word_bits(self) -> int:
        return self.word_values * self.widths.x_bits

    @property
    def loop_iterations(self) -> int:
        """Iterations per image of the layer's one pipelined loop (``n_iter``): one per input
        element taken into the buffer, one per step of every output pixel."""
        g = self.geometry
        taken = self.in_elements if g.kind == "dense" else self.in_height * self.in_width
        return taken + g.n_pix * self.n_steps


class EngineLayer(Layer):
    """Common attributes of the engine layers (see :mod:`fpgagan.hls.engine`)."""

    kind: Kind = "dense"
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
        n_taps, n_blocks = g("n_taps"), max(1, g("n_out") // g("n_par"))
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
            macs_options=tuple(self.get_attr("macs_options")),
            rom_words=int(weights.shape[0]),
            activation=g("activation"),
            io_type=self.model.config.get_config_value("IOType"),
            bias_values=int(g("rom_bias").size),
            ctl_bits=(max(1, (n_taps - 1).bit_length()) + max(1, (n_blocks - 1).bit_length()) + 2)
            if self.sparse
            else 0,
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
            codebook_options=tuple(g("codebook_options", (0, False, 0))),
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


class FgSparseLinear(FgLinear):
    sparse = True


class FgCodebookLinear(FgLinear):
    codebook = True


class FgConv(_ConvGeometry, EngineLayer):
    kind = "conv"
    _expected_attributes = _ConvGeometry._geometry_attributes


class FgSparseConv(FgConv):
    sparse = True


class FgCodebookConv(FgConv):
    codebook = True


class FgConvTranspose(_ConvGeometry, EngineLayer):
    kind = "conv_transpose"
    _expected_attributes = _ConvGeometry._geometry_attributes


class FgSparseConvTranspose(FgConvTranspose):
    sparse = True


class FgCodebookConvTranspose(FgConvTranspose):
    codebook = True


ENGINE_LAYERS = (
    FgLinear,
    FgSparseLinear,
    FgCodebookLinear,
    FgConv,
    FgSparseConv,
    FgCodebookConv,
    FgConvTranspose,
    FgSparseConvTranspose,
    FgCodebookConvTranspose,
)


def engine_class(kind: Kind, sparse: bool, codebook: bool = False) -> type[EngineLayer]:
    """The layer class of a kernel: dense, sparse or codebook schedule (not both of the last)."""
    if sparse and codebook:
        raise ValueError("a layer takes the sparse or the codebook schedule, not both")
    for cls in ENGINE_LAYERS:
        if cls.kind == kind and cls.sparse == sparse and cls.codebook == codebook:
            return cls
    raise KeyError(kind)


def engine_layers(hls_model) -> list[EngineLayer]:
    """The engine layers of a converted hls4ml model, in order."""
    return [layer for layer in hls_model.get_layers() if isinstance(layer, EngineLayer)]
