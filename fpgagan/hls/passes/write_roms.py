"""Write each engine layer's ROM images to ``firmware/weights/fg_<index>.h`` (part of the
backends' write flow, after hls4ml has written the project).

The arrays hold raw integers (an ap_fixed weight is an integer times a power of two), declared
with the engine's integer types (``nnet::fg::value_int``): ``ap_int<W>`` ROMs in the synthesis
form, native integers in C simulation, so the weights are compiled into the library: nothing is
read from files at run time, and g++ compiles even 400,000 weights in a second.
"""

from __future__ import annotations

import numpy as np
from hls4ml.model.optimizer import ModelOptimizerPass

from fpgagan.hls.engine_layers import EngineLayer
from fpgagan.hls.templates import rom_header, rom_names
from fpgagan.io import write_text_atomic

VALUES_PER_LINE = 64


def _values(a: np.ndarray) -> str:
    flat = np.asarray(a, np.int64).reshape(-1).tolist()
    lines = (
        ", ".join(map(str, flat[i : i + VALUES_PER_LINE]))
        for i in range(0, len(flat), VALUES_PER_LINE)
    )
    return ",\n    ".join(lines)


def rom_source(node: EngineLayer) -> str:
    """The C++ header holding ``node``'s ROMs."""
    names = rom_names(node)
    wd = node.widths()
    ctl = np.asarray(node.get_attr("rom_ctl"), np.int64)
    guard = f"FG_ROM_{node.index}_H_"
    parts = [
        f"// fpgagan ROM images of layer {node.index} ({node.class_name}): raw integers, see "
        "nnet_fg_engine.h",
        f"#ifndef {guard}\n#define {guard}\n",
        f"static const nnet::fg::value_int<{wd.w_bits}, true>::type {names['w']}"
        f"[{node.get_attr('rom_weights').size}] = {{\n    {_values(node.get_attr('rom_weights'))}}};",
        f"static const nnet::fg::value_int<{max(1, wd.offset_bits)}, false>::type {names['o']}"
        f"[{node.get_attr('rom_offsets').size}] = {{\n    {_values(node.get_attr('rom_offsets'))}}};",
        f"static const nnet::fg::sparse_step_ctl {names['c']}[{len(ctl)}] = {{\n    "
        + ",\n    ".join(
            f"{{{t}, {b}, {'true' if f else 'false'}, {'true' if la else 'false'}}}"
            for t, b, f, la in ctl.tolist()
        )
        + "};",
        f"static const nnet::fg::value_int<{wd.b_bits}, true>::type {names['b']}"
        f"[{node.get_attr('rom_bias').size}] = {{\n    {_values(node.get_attr('rom_bias'))}}};",
        "\n#endif\n",
    ]
    return "\n".join(parts)


class WriteEngineRoms(ModelOptimizerPass):
    def __init__(self):
        self.name = "fpgagan_write_roms"

    def transform(self, model):
        out = model.config.get_output_dir()
        for node in model.get_layers():
            if isinstance(node, EngineLayer):
                write_text_atomic(f"{out}/firmware/{rom_header(node)}", rom_source(node))
        return False
