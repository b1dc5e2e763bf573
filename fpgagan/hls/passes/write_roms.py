"""Write each engine layer's wrapper ``firmware/weights/fg_<index>.h`` (part of every backend's
write flow, after hls4ml has written the project).

The wrapper is a function ``fg_layer<index>`` that defines the layer's memories and calls its
kernel: the ROMs (raw integers: an ap_fixed weight is an integer times a power of two, declared
with the engine's integer types, ``ap_int<W>`` in the synthesis form, native integers in C
simulation; a codebook layer's weight ROM holds its indices and ``k`` its values) and the input
buffer, each with the reshape factor its schedule needs and the storage
fpgagan chose for it (:mod:`fpgagan.hls.layer_memories`, the same list the cost model counts).
The weights are compiled into the library: nothing is read from files at run time.  Only numbers
and fpgagan's own identifiers appear in the file.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.optimizer import ModelOptimizerPass

from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.hls.layer_memories import memories
from fpgagan.hls.storage import Memory
from fpgagan.hls.templates import FUNCTIONS, rom_header, wrapper_name
from fpgagan.io import write_text_atomic

VALUES_PER_LINE = 64
ROM_TYPE = "rom_1p"
RAM_TYPE = "ram_s2p"  # one write port (the input stream), one read port (the steps)


def _values(a: np.ndarray) -> str:
    flat = np.asarray(a, np.int64).reshape(-1).tolist()
    lines = (
        ", ".join(map(str, flat[i : i + VALUES_PER_LINE]))
        for i in range(0, len(flat), VALUES_PER_LINE)
    )
    return ",\n        ".join(lines)


def storage_pragmas(var: str, memory: Memory | None, values_per_word: int) -> list[str]:
    """ARRAY_RESHAPE / ARRAY_PARTITION and BIND_STORAGE lines for array ``var``."""
    if memory is None or memory.impl == "registers":
        return [f"    #pragma HLS ARRAY_PARTITION variable={var} complete"]
    kind = ROM_TYPE if memory.rom else RAM_TYPE
    lines = []
    if values_per_word > 1:
        lines.append(
            f"    #pragma HLS ARRAY_RESHAPE variable={var} cyclic factor={values_per_word}"
        )
    lines.append(f"    #pragma HLS BIND_STORAGE variable={var} type={kind} impl={memory.impl}")
    return lines


def _io_args(node: EngineLayer) -> str:
    if node.model.config.get_config_value("IOType") == "io_stream":
        return "hls::stream<data_T> &data, hls::stream<res_T> &res"
    n_in = int(np.prod(node.get_input_variable().shape))
    n_out = int(np.prod(node.get_output_variable().shape))
    return f"data_T data[{n_in}], res_T res[{n_out}]"


def wrapper_source(node: EngineLayer) -> str:
    """The C++ of ``node``'s wrapper: memories, their pragmas, the kernel call."""
    wd = node.widths()
    mem = {m.name: (m, per_word) for m, per_word in memories(node.shape())}
    g = node.get_attr
    ctl = np.asarray(g("rom_ctl"), np.int64)
    buf_size = int(mem["buffer"][0].depth * mem["buffer"][1])
    guard = f"FG_LAYER_{node.index}_H_"
    # a codebook layer's weight ROM holds unsigned indices, its codebook the values
    word = f"{wd.idx_bits}, false" if node.codebook else f"{wd.w_bits}, true"
    body = [
        f"// fpgagan layer {node.index} ({node.class_name}): its memories and the call of its kernel",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "template <class data_T, class res_T, class CONFIG_T>",
        f"void {wrapper_name(node)}({_io_args(node)}) {{",
        f"    static const nnet::fg::rom_int<{word}>::type w[{g('rom_weights').size}] = {{",
        f"        {_values(g('rom_weights'))}}};",
        *storage_pragmas("w", mem["weights"][0], mem["weights"][1]),
        f"    static const nnet::fg::rom_int<{max(1, wd.offset_bits)}, false>::type o"
        f"[{g('rom_offsets').size}] = {{",
        f"        {_values(g('rom_offsets'))}}};",
        *storage_pragmas("o", mem.get("offsets", (None, 1))[0], mem.get("offsets", (None, 1))[1]),
        f"    static const nnet::fg::sparse_step_ctl c[{len(ctl)}] = {{",
        "        "
        + ",\n        ".join(
            f"{{{t}, {b}, {'true' if f else 'false'}, {'true' if la else 'false'}}}"
            for t, b, f, la in ctl.tolist()
        )
        + "};",
        *storage_pragmas("c", mem.get("ctl", (None, 1))[0], 1),
        f"    static const nnet::fg::rom_int<{wd.b_bits}, true>::type b[{g('rom_bias').size}] = {{",
        f"        {_values(g('rom_bias'))}}};",
        *storage_pragmas("b", mem["biases"][0], mem["biases"][1]),
        # the codebook's values: constants of the layer (registers; its multipliers are constant)
        f"    static const nnet::fg::rom_int<{wd.w_bits}, true>::type k[{g('rom_codebook').size}] = {{",
        f"        {_values(g('rom_codebook'))}}};",
        *storage_pragmas("k", None, 1),
        f"    typename nnet::fg::types<CONFIG_T>::x_t buf[{buf_size}];",
        *storage_pragmas("buf", mem["buffer"][0], mem["buffer"][1]),
        f"    nnet::fg::{FUNCTIONS[node.kind]}<data_T, res_T, CONFIG_T>(data, res, buf, w, o, c, b, k);",
        "}",
        "",
        "#endif",
        "",
    ]
    return "\n".join(body)


class WriteEngineRoms(ModelOptimizerPass):
    def __init__(self):
        self.name = "fpgagan_write_roms"

    def transform(self, model):
        out = model.config.get_output_dir()
        for node in model.get_layers():
            if isinstance(node, EngineLayer):
                write_text_atomic(f"{out}/firmware/{rom_header(node)}", wrapper_source(node))
        return False
