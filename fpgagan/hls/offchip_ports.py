"""The top function's weight ports: one AXI4 master port per off-chip layer
(:mod:`fpgagan.hw.offchip`), added to the project's top function after hls4ml writes it.

hls4ml's top function takes the input and output streams; an off-chip layer also needs its DDR
image.  Each such layer gets a ``const uint64_t *fg_ddr<index>`` argument, passed to its wrapper
(``fg_layer<index>(in, out, fg_ddr<index>)``); the AXI4-Stream shell, the IP's top, declares it
an AXI4 master (``m_axi``, its base address in an AXI4-Lite register, ``offset=slave``):
INTERFACE pragmas in a function that is not the top are ignored, and would make hls4ml's own
top one that C/RTL co-simulation refuses.  In C simulation the argument defaults to the
host's copy of the image (``weights/fg_<index>_ddr.h``), so every caller (hls4ml's bridge, the
test bench, fpgagan's batch driver) runs the project unchanged; the AXI4-Stream shell passes its
own ``m_axi`` port.  Only numbers and fpgagan's identifiers are written.
"""

from __future__ import annotations

import dataclasses

DDR_MARK = "// fpgagan: weight ports"
MAX_READ_BURST = 16  # beats per AXI4 burst (Vitis HLS's default max_read_burst_length)


@dataclasses.dataclass(frozen=True)
class DdrPort:
    index: int  # the layer's index
    beats: int  # 64-bit beats of its image

    @property
    def arg(self) -> str:
        return f"fg_ddr{self.index}"

    @property
    def array(self) -> str:
        return f"fg_ddr_image{self.index}"


def ddr_header(node) -> str:
    """The image's header, relative to ``firmware/`` (the layer's wrapper includes it by its
    file name: they share ``firmware/weights/``)."""
    return f"weights/fg_{node.index}_ddr.h"


def ddr_array(node) -> str:
    return DdrPort(node.index, 0).array


def ddr_port(node) -> DdrPort:
    from fpgagan.hw.offchip import layout

    return DdrPort(int(node.index), layout(node.shape()).image_beats)


def _signature_end(text: str, name: str) -> int:
    start = text.find(f"void {name}(")
    end = text.find(")", start) if start >= 0 else -1
    if end < 0:
        raise RuntimeError(f"top function {name} not found in the generated source")
    return end


def add_ddr_ports(text: str, name: str, ports: list[DdrPort], definition: bool) -> str:
    """``text`` (the top function's source, or its header) with the ports' arguments; in the
    header with their C-simulation defaults."""
    end = _signature_end(text, name)
    head, tail = text[:end].rstrip(), text[end:]
    args = []
    for p in ports:
        if definition:
            args.append(f",\n    const uint64_t *{p.arg}")
        else:
            args.append(f",\n    const uint64_t *{p.arg} FG_DDR_DEFAULT({p.array})")
    text = head + "".join(args) + "\n" + tail
    if definition:  # no INTERFACE pragmas here: the shell, the IP's top, declares the ports
        return text
    decl = [
        DDR_MARK + " (C simulation: the host's copies of the DDR images)",
        "#include <stdint.h>",
    ]
    decl += ["#ifndef __SYNTHESIS__", "#define FG_DDR_DEFAULT(image) = image"]
    decl += [f"extern const uint64_t {p.array}[{p.beats}];" for p in ports]
    decl += ["#else", "#define FG_DDR_DEFAULT(image)", "#endif", ""]
    start = text.find(f"void {name}(")
    # back up to the comment line above the prototype, if any
    return text[:start] + "\n".join(decl) + "\n" + text[start:]
