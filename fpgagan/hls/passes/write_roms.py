"""Write each engine layer's wrapper ``firmware/weights/fg_<index>.h`` (part of every backend's
write flow, after hls4ml has written the project).

The wrapper is a function ``fg_layer<index>`` that defines the layer's memories and calls its
kernel: the ROMs of its schedule and no others (raw integers: an ap_fixed weight is an integer
times a power of two, declared with the engine's integer types, ``ap_int<W>`` in synthesis,
native integers in C simulation): dense ``w`` and ``b``; sparse ``w``, ``o`` (lane offsets),
``c`` (step control) and ``b``; codebook ``w`` (indices), ``b`` and ``k`` (the values), passed
to the kernel as the schedule's ROM set (``nnet_fg_engine.h``); and the input buffer, each with
the reshape factor its schedule needs and the storage
fpgagan chose for it (:mod:`fpgagan.hw.layer_memories`, the same list the cost model counts).
The weights are compiled into the library: nothing is read from files at run time.  Only numbers
and fpgagan's own identifiers appear in the file.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hls4ml.model.optimizer import ModelOptimizerPass

from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.hls.offchip_ports import (
    DDR_MARK,
    add_ddr_ports,
    ddr_array,
    ddr_header,
    ddr_port,
)
from fpgagan.hls.templates import FUNCTIONS, rom_header, wrapper_name
from fpgagan.hw.fifo import fifo_impl
from fpgagan.hw.layer_memories import memories
from fpgagan.hw.offchip import FETCH_FIFO_DEPTH, ddr_image
from fpgagan.hw.storage import REGISTER_MAX_BITS, Memory
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


# the head of every wrapper: how its arrays map to memory (storage_pragmas, buffer_pragmas)
WRAPPER_MEMORY_NOTE = (
    "// An array in LUTRAM, LUT-ROM or BRAM has one row per memory word, reshaped into one word,",
    "// so each access of the kernel (which names a row) reads one word of one port.  An array of",
    f"// at most {REGISTER_MAX_BITS} bits (or one row) is partitioned into registers instead, as the cost model",
    "// counts it (fpgagan.hw.storage.choose): a small bias ROM is registers, a larger one LUT-ROM.",
)


def storage_pragmas(var: str, memory: Memory | None) -> list[str]:
    """ARRAY_RESHAPE / ARRAY_PARTITION and BIND_STORAGE lines for the two-dimensional array
    ``var`` (one row per memory word): its second dimension is reshaped completely, so a row is
    one word and every access, which names a row, reads one word; an array the cost model puts
    in registers (:func:`fpgagan.hw.storage.choose`: at most ``REGISTER_MAX_BITS`` bits or one
    row, e.g. a small bias ROM) is partitioned completely instead."""
    if memory is None or memory.impl == "registers":
        return [f"    #pragma HLS ARRAY_PARTITION variable={var} complete dim=0"]
    kind = ROM_TYPE if memory.rom else RAM_TYPE
    # a ROM's read latency is the cost model's (fpgagan.hw.storage.READ_LATENCY, one more for a
    # wide word's fan-out register)
    latency = f" latency={memory.latency}" if memory.rom else ""
    return [
        f"    #pragma HLS ARRAY_RESHAPE variable={var} complete dim=2",
        f"    #pragma HLS BIND_STORAGE variable={var} type={kind} impl={memory.impl}{latency}",
    ]


def buffer_pragmas(var: str, memory: Memory) -> list[str]:
    """The input buffer: an array of row structs, each aggregated into one word (a row is written
    whole by an input iteration and read whole by a step), bound to the chosen storage."""
    lines = [f"    #pragma HLS AGGREGATE variable={var} compact=bit"]
    if memory.impl == "registers":
        return [*lines, f"    #pragma HLS ARRAY_PARTITION variable={var} complete dim=1"]
    return [
        *lines,
        f"    #pragma HLS BIND_STORAGE variable={var} type={RAM_TYPE} impl={memory.impl}",
    ]


def _io_args(node: EngineLayer) -> str:
    if node.model.config.get_config_value("IOType") == "io_stream":
        return "hls::stream<data_T> &data, hls::stream<res_T> &res"
    n_in = int(np.prod(node.get_input_variable().shape))
    n_out = int(np.prod(node.get_output_variable().shape))
    return f"data_T data[{n_in}], res_T res[{n_out}]"


def _rom(ctype: str, var: str, rows: int, values: np.ndarray, memory: Memory | None) -> list[str]:
    """A ROM of ``rows`` words holding ``values`` (row-major) and its pragmas."""
    per_row = max(1, int(values.size) // max(1, rows))
    return [
        f"    static const {ctype} {var}[{rows}][{per_row}] = {{",
        f"        {_values(values)}}};",
        *storage_pragmas(var, memory),
    ]


def _weights(node: EngineLayer, memory: Memory | None) -> list[str]:
    """One word per step: the step's weights, or a codebook layer's indices (unsigned)."""
    wd = node.widths()
    weights = np.asarray(node.get_attr("rom_weights"))
    word = f"{max(1, wd.idx_bits)}, false" if node.codebook else f"{wd.w_bits}, true"
    return _rom(f"nnet::fg::rom_int<{word}>::type", "w", weights.shape[0], weights, memory)


def _offsets(node: EngineLayer, memory: Memory | None) -> list[str]:
    """Sparse: one word per step, each lane's channel offset in its bank."""
    offsets = np.asarray(node.get_attr("rom_offsets"))
    ctype = f"nnet::fg::rom_int<{max(1, node.widths().offset_bits)}, false>::type"
    return _rom(ctype, "o", offsets.shape[0], offsets, memory)


def _ctl(node: EngineLayer, memory: Memory | None) -> list[str]:
    """Sparse: each step's tap, block and first/last flags."""
    ctl = np.asarray(node.get_attr("rom_ctl"), np.int64)
    entries = ",\n        ".join(
        f"{{{t}, {b}, {'true' if f else 'false'}, {'true' if la else 'false'}}}"
        for t, b, f, la in ctl.tolist()
    )
    if memory is None or memory.impl == "registers":
        pragma = "    #pragma HLS ARRAY_PARTITION variable=c complete dim=0"
    else:
        pragma = (
            f"    #pragma HLS BIND_STORAGE variable=c type={ROM_TYPE} impl={memory.impl}"
            f" latency={memory.latency}"
        )
    return [
        f"    static const nnet::fg::sparse_step_ctl c[{len(ctl)}] = {{",
        f"        {entries}}};",
        pragma,
    ]


def _biases(node: EngineLayer, memory: Memory | None) -> list[str]:
    """One word of n_par biases per output block (per pixel for a Dense head)."""
    biases = np.asarray(node.get_attr("rom_bias")).reshape(-1)
    ctype = f"nnet::fg::rom_int<{node.widths().b_bits}, true>::type"
    return _rom(ctype, "b", biases.size // node.get_attr("n_par"), biases, memory)


def _codebook(node: EngineLayer, memory: Memory | None) -> list[str]:
    """Codebook: the entries' values, constants of the layer's multipliers (registers, no
    memory the cost model counts)."""
    book = np.asarray(node.get_attr("rom_codebook"))
    return [
        f"    static const nnet::fg::rom_int<{node.widths().w_bits}, true>::type k[{book.size}] = {{",
        f"        {_values(book)}}};",
        "    #pragma HLS ARRAY_PARTITION variable=k complete dim=0",
    ]


# each ROM a schedule's kernel may take (fpgagan.hw.schedules: ScheduleRules.rom_names): its
# array in the wrapper, the declaration of that array with its pragmas, and whether it is one of
# the memories the cost model counts (a codebook's values are registers)
ROMS = {
    "weights": ("w", _weights, True),
    "offsets": ("o", _offsets, True),
    "ctl": ("c", _ctl, True),
    "biases": ("b", _biases, True),
    "codebook": ("k", _codebook, False),
}


def schedule_roms(node: EngineLayer) -> tuple[str, list[str], list[str]]:
    """The ROMs of ``node``'s schedule and only those (its ``rom_names``,
    :mod:`fpgagan.hw.schedules`): the name of its ROM set in ``nnet_fg_engine.h``
    (``<schedule>_roms``), the arrays in the order the set takes them, and their declarations with
    their pragmas, each with the storage :func:`fpgagan.hw.layer_memories.memories` chose for it
    (the list the cost model counts)."""
    shape = node.shape()
    mem = {m.name: m for m in memories(shape)}
    names, lines = [], []
    for rom in shape.rules.rom_names:
        var, declare, counted = ROMS[rom]
        names.append(var)
        lines += declare(node, mem[rom] if counted else None)
    return f"{shape.schedule.value}_roms", names, lines


def wrapper_source(node: EngineLayer) -> str:
    """The C++ of ``node``'s wrapper: its schedule's ROMs and its input buffer, their pragmas,
    the kernel call."""
    shape = node.shape()
    if shape.offchip:
        return offchip_wrapper_source(node)
    mem = {m.name: m for m in memories(shape)}
    rom_set, names, rom_lines = schedule_roms(node)
    guard = f"FG_LAYER_{node.index}_H_"
    body = [
        f"// fpgagan layer {node.index} ({node.class_name}): its memories and the call of its kernel.",
        *WRAPPER_MEMORY_NOTE,
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "template <class data_T, class res_T, class CONFIG_T>",
        f"void {wrapper_name(node)}({_io_args(node)}) {{",
        *rom_lines,
        f"    const nnet::fg::{rom_set}<CONFIG_T> roms = {{{', '.join(names)}}};",
        "    typename nnet::fg::buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words];",
        *buffer_pragmas("buf", mem["buffer"]),
        f"    nnet::fg::{FUNCTIONS[node.kind]}<data_T, res_T, CONFIG_T>(data, res, buf, roms);",
        "}",
        "",
        "#endif",
        "",
    ]
    return "\n".join(body)


OFFCHIP_KINDS = {"dense": 0, "conv": 1, "conv_transpose": 2}  # offchip_compute's KIND


def offchip_wrapper_source(node: EngineLayer) -> str:
    """An off-chip layer's wrapper (``nnet_fg_offchip.h``): the compute process with its
    memories (bias ROM, frame buffer, double-buffered tile, output map), and the layer as a
    DATAFLOW region of the fetch process and the compute process, taking the DDR port."""
    wd = node.widths()
    shape = node.shape()
    mem = {m.name: m for m in memories(shape)}
    biases = np.asarray(node.get_attr("rom_bias")).reshape(-1)
    name = wrapper_name(node)
    guard = f"FG_LAYER_{node.index}_H_"
    words = "hls::stream<typename nnet::fg::offchip_types<CONFIG_T>::word_t>"
    body = [
        f"// fpgagan layer {node.index} ({node.class_name}), weights in DDR: the fetch process",
        "// and the compute process with its memories (nnet_fg_offchip.h).",
        *WRAPPER_MEMORY_NOTE,
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        f'#include "{Path(ddr_header(node)).name}"',
        "",
        "template <class data_T, class res_T, class CONFIG_T>",
        f"void {name}_compute(hls::stream<data_T> &data, hls::stream<res_T> &res, {words} &words) {{",
        *_rom(
            f"nnet::fg::rom_int<{wd.b_bits}, true>::type",
            "b",
            biases.size // node.get_attr("n_par"),
            biases,
            mem["biases"],
        ),
        "    typename nnet::fg::buffer<CONFIG_T>::row_t buf[CONFIG_T::buf_words];",
        *buffer_pragmas("buf", mem["buffer"]),
        "    typename nnet::fg::offchip_types<CONFIG_T>::tile_row t[2 * CONFIG_T::tile_words];",
        *buffer_pragmas("t", mem["tile"]),
        "    nnet::fg::omap_row<typename res_T::value_type, CONFIG_T::n_par> m[CONFIG_T::n_pix * CONFIG_T::n_blocks];",
        *buffer_pragmas("m", mem["outmap"]),
        f"    nnet::fg::offchip_compute<data_T, res_T, CONFIG_T, {OFFCHIP_KINDS[node.kind]}>(data, res, words, buf, t, m, b);",
        "}",
        "",
        "template <class data_T, class res_T, class CONFIG_T>",
        f"void {name}(hls::stream<data_T> &data, hls::stream<res_T> &res, const nnet::fg::ddr_beat_t *ddr) {{",
        "    #pragma HLS DATAFLOW",
        f'    {words} words("fg_words");',
        f"    #pragma HLS STREAM variable=words depth={FETCH_FIFO_DEPTH}",
        f"    #pragma HLS BIND_STORAGE variable=words type=fifo impl={fifo_impl(FETCH_FIFO_DEPTH)}",
        "    nnet::fg::fetch_weights<CONFIG_T>(ddr, words);",
        f"    {name}_compute<data_T, res_T, CONFIG_T>(data, res, words);",
        "}",
        "",
        "#endif",
        "",
    ]
    return "\n".join(body)


def ddr_image_source(node: EngineLayer) -> str:
    """``weights/fg_<index>_ddr.h``: the layer's DDR image as the C simulation's host array (the
    default of the top function's port), left out of synthesis (the port reads real DDR)."""
    shape = node.shape()
    image = ddr_image(node.get_attr("rom_weights"), shape)
    var = ddr_array(node)
    guard = f"FG_DDR_{node.index}_H_"
    flat = [f"{int(v)}ULL" for v in image.tolist()]
    rows = ",\n    ".join(
        ", ".join(flat[i : i + VALUES_PER_LINE // 4])
        for i in range(0, len(flat), VALUES_PER_LINE // 4)
    )
    return "\n".join(
        [
            f"// fpgagan layer {node.index}: its weight words as laid out in DDR ({image.size} beats of 64 bits),",
            "// in the order the layer consumes them (fpgagan/hw/offchip.py).  C simulation only.",
            f"#ifndef {guard}",
            f"#define {guard}",
            "#include <stdint.h>",
            "#ifndef __SYNTHESIS__",
            f"extern const uint64_t {var}[{image.size}];",
            f"const uint64_t {var}[{image.size}] = {{",
            f"    {rows}}};",
            "#endif",
            "#endif",
            "",
        ]
    )


STREAM_PRAGMA = re.compile(r"^(\s*)#pragma HLS STREAM variable=(\w+) depth=(\d+)\s*$")


def bind_fifos(source: str) -> str:
    """``source`` (the project's top function) with a ``BIND_STORAGE type=fifo`` after every
    ``STREAM ... depth=`` pragma: the storage the cost model counts for that depth
    (:func:`fpgagan.hw.fifo.fifo_impl`), not the tool's own choice by width."""
    out = []
    for line in source.splitlines():
        out.append(line)
        m = STREAM_PRAGMA.match(line)
        if m:
            indent, var, depth = m.group(1), m.group(2), int(m.group(3))
            bind = f"#pragma HLS BIND_STORAGE variable={var} type=fifo impl={fifo_impl(depth)}"
            out.append(indent + bind)
    return "\n".join(out) + ("\n" if source.endswith("\n") else "")


class WriteEngineRoms(ModelOptimizerPass):
    def __init__(self):
        self.name = "fpgagan_write_roms"

    def transform(self, model):
        out = model.config.get_output_dir()
        ports = []
        for node in model.get_layers():
            if isinstance(node, EngineLayer):
                write_text_atomic(f"{out}/firmware/{rom_header(node)}", wrapper_source(node))
                if node.shape().offchip:
                    write_text_atomic(f"{out}/firmware/{ddr_header(node)}", ddr_image_source(node))
                    ports.append(ddr_port(node))
        name = model.config.get_project_name()
        top = Path(out) / "firmware" / f"{name}.cpp"
        if top.is_file():
            text = top.read_text()
            if "type=fifo" not in text:
                text = bind_fifos(text)
                if ports:
                    text = add_ddr_ports(text, name, ports, definition=True)
                write_text_atomic(top, text)
        header = Path(out) / "firmware" / f"{name}.h"
        if ports and header.is_file():
            text = header.read_text()
            if DDR_MARK not in text:
                write_text_atomic(header, add_ddr_ports(text, name, ports, definition=False))
        return False
