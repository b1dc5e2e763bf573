"""Config and function-call templates of the engine layers (Vivado-family backends).

One config struct per layer (``nnet::fg::engine_config`` with the layer's numbers), and the call
of the layer's wrapper ``fg_layer<index>``, defined in ``weights/fg_<index>.h`` (written by
:mod:`fpgagan.hls.passes.write_roms`: the layer's memories and the call of ``dense_engine`` /
``conv2d_engine`` / ``conv2d_transpose_engine`` with the ROM set of its schedule).  The struct's
``sparse`` and ``codebook`` flags choose that set (``rom_set`` in ``nnet_fg_engine.h``), and its
ROM sizes (``w_words``, ``off_words``, ``ctl_size``, ``b_words``, ``cb_size``) are the wrapper's
array sizes; those of ROMs a schedule does not have keep their values but name no array.
``buf_distance`` is the least loop-carried distance of the input buffer's accesses
(:mod:`fpgagan.hw.dependence`), stated by the layer loop's DEPENDENCE pragma.
Every value in the generated C++ is a number or a type fpgagan computed; no model string
(node or file name) is pasted into it.
"""

from __future__ import annotations

from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate

from fpgagan.errors import UnsupportedModelError
from fpgagan.hls.engine_layers import ENGINE_LAYERS, EngineLayer
from fpgagan.hw import offchip
from fpgagan.hw.dependence import engine_distance

HEADERS = ["nnet_utils/nnet_fg_engine.h", "nnet_utils/nnet_fg_layers.h"]
OFFCHIP_HEADER = "nnet_utils/nnet_fg_offchip.h"
FUNCTIONS = {
    "dense": "dense_engine",
    "conv": "conv2d_engine",
    "conv_transpose": "conv2d_transpose_engine",
}
CONV_FIELDS = (
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
    "taps_height",
    "taps_width",
    "line_rows",
)


def rom_header(node: EngineLayer) -> str:
    return f"weights/fg_{node.index}.h"


def wrapper_name(node: EngineLayer) -> str:
    return f"fg_layer{node.index}"


def _rows(rom) -> int:
    """Rows of a ROM image; 1 for a ROM the layer's schedule does not have (no array is written
    for it, the field keeps engine_config's default)."""
    return 1 if rom is None else int(len(rom))


def config_fields(node: EngineLayer) -> dict[str, int | bool]:
    """The numbers of the layer's config struct."""
    g = node.get_attr
    wd = node.widths()
    shape = node.shape()
    if shape.word_values % g("k_par"):
        raise UnsupportedModelError(
            f"layer {node.name}: {g('k_par')} window values per step do not divide its input "
            f"elements of {shape.word_values} values"
        )
    fields: dict[str, int | bool] = {
        "n_out": g("n_out"),
        "n_chan": g("n_chan"),
        "n_taps": g("n_taps"),
        "n_pix": g("n_pix"),
        "n_mats": g("n_mats"),
        "n_par": g("n_par"),
        "k_par": g("k_par"),
        "lanes": g("n_par") * g("k_par"),
        "n_blocks": g("n_out") // g("n_par"),
        "k_blocks": g("n_taps") * g("n_chan") // g("k_par"),
        "n_steps": g("n_steps"),
        "sparse": node.sparse,
        "w_words": int(g("rom_weights").shape[0]),
        "off_words": _rows(g("rom_offsets")),
        "ctl_size": _rows(g("rom_ctl")),
        "b_words": int(g("rom_bias").size) // g("n_par"),
        "buf_words": shape.buffer_words,
        "word_values": shape.word_values,
        "n_iter": shape.loop_iterations,
        "bias_mats": int(g("rom_bias").size) // g("n_out"),
        "x_bits": wd.x_bits,
        "x_signed": wd.x_signed,
        "w_bits": wd.w_bits,
        "b_bits": wd.b_bits,
        "prod_bits": wd.prod_bits,
        "tree_bits": wd.tree_bits,
        "acc_bits": wd.acc_bits,
        "prod_shift": g("prod_shift"),
        "dsp_cols": g("dsp_cols"),
        "dsp_pack": g("dsp_pack"),
        "activation": 1 if g("activation") == "relu" else 0,
        "index_bits": max(1, wd.offset_bits),
        "codebook": node.codebook,
        "cb_size": _rows(g("rom_codebook")),
        "cb_first": 1 if node.codebook and g("codebook_zero") else 0,
        "code_bits": max(1, wd.idx_bits),
        "ps_bits": max(1, wd.ps_bits),
    }
    if node.kind != "dense":
        fields.update({k: g(k) for k in CONV_FIELDS})
    if shape.offchip:
        fields.update(offchip_fields(node))
    else:
        io_stream = node.model.config.get_config_value("IOType") == "io_stream"
        fields["buf_distance"] = engine_distance(fields, node.kind, io_stream)
    return fields


def offchip_fields(node: EngineLayer) -> dict[str, int]:
    """The off-chip schedule's counts; refuses, naming the layer, one that cannot take it."""
    try:
        return offchip.config_fields(node.shape())
    except ValueError as exc:
        raise UnsupportedModelError(f"layer {node.name}: RomStorage ddr: {exc}") from None


def _cpp(value: int | bool) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(int(value))


class EngineConfigTemplate(LayerConfigTemplate):
    def __init__(self):
        super().__init__(list(ENGINE_LAYERS))

    def format(self, node):
        lines = [f"struct config{node.index} : nnet::fg::engine_config {{"]
        for key, value in config_fields(node).items():
            ctype = "bool" if isinstance(value, bool) else "unsigned"
            lines.append(f"    static const {ctype} {key} = {_cpp(value)};")
        lines.append(f"    typedef {node.get_attr('accum_t').name} accum_t;")
        lines.append(f"    typedef {node.get_attr('pre_activation_t').name} result_t;")
        lines.append("};\n")
        return "\n".join(lines)


class EngineFunctionTemplate(FunctionCallTemplate):
    def __init__(self):
        super().__init__(list(ENGINE_LAYERS), include_header=HEADERS)

    def transform(self, model, node):
        extra = [OFFCHIP_HEADER] if node.shape().offchip else []
        node.set_attr("include_header", [*HEADERS, *extra, rom_header(node)])
        node.set_attr("function_cpp", self.format(node))
        return False

    def format(self, node):
        params = self._default_function_params(node)
        port = f", fg_ddr{node.index}" if node.shape().offchip else ""  # hls.offchip_ports
        return (
            f"{wrapper_name(node)}<{params['input_t']}, {params['output_t']}, "
            f"{params['config']}>({params['input']}, {params['output']}{port});"
        )
