"""The system around the accelerator: what a board design instantiates besides the engine layers.

A board design (hls4ml's ``VivadoAccelerator`` block design, ``interface: axi_stream``) is the
accelerator inside an AXI4-Stream shell, fed by an AXI DMA through the processing system's ports:

- the **shell** (``fpgagan/hls/shell.py``): 64-bit AXI4-Stream beats in and out; the input beat is
  unpacked into the input type's raw integers, ``floor(64 / W)`` per beat, the output packed the
  same way, one pipelined loop each with counters, a small output FIFO and TLAST.  Counted here
  from the measured unit costs (:mod:`fpgagan.hls.unit_costs`) and 1 FF per register bit;
- **HLS control**: the ``ap_ctrl`` handshake of every process of the DATAFLOW region and the
  region's own start/done registers (a formula, not measured);
- the **vendor IP** of the block design: AXI DMA (simple mode, MM2S + S2MM), the interconnect to
  the PS's high-performance port and the one from its general-purpose port, ``proc_sys_reset``,
  the processing system itself (a hard block: no fabric).  Each carries the vendor figure it was
  given, or says that none could be found; an unsourced item counts 0 and is listed by
  :func:`unsourced` (``docs/hardware.md``, "The system", says what that leaves out).

The family of a board (Zynq-7000, Zynq UltraScale+, Alveo) follows from its part number
(:func:`family`); the board YAML has no field for it.
"""

from __future__ import annotations

import enum

from fpgagan.boards import Board
from fpgagan.errors import BoardError
from fpgagan.hls import unit_costs as U
from fpgagan.hls.cost import Item, Res

STREAM_BITS = 64  # AXI4-Stream TDATA width of the shell and of the DMA's stream ports
SHELL_FIFO_DEPTH = 2  # the shell's output FIFO: an hls::stream of the default depth
# HLS control per process (ap_start/ap_done/ap_idle/ap_ready and the DATAFLOW start FIFO's
# full/empty flags): registers and the gates between them.  A formula, not measured.
CONTROL_FF_PER_PROCESS = 4.0
CONTROL_LUT_PER_PROCESS = 4.0
NOT_SOURCED = "not sourced"


class Family(enum.Enum):
    ZYNQ7 = "Zynq-7000"
    ZYNQMP = "Zynq UltraScale+ MPSoC"
    ALVEO = "Alveo (UltraScale+ data-center card)"


def family(board: Board) -> Family:
    """The device family of a board, from its part number."""
    fam = family_of_part(board.part)
    if fam is None:
        raise BoardError(
            f"board {board.name}: part {board.part} is not a Zynq-7000, Zynq UltraScale+ or Alveo "
            "part, so its system (PS, DMA, interconnect) is unknown"
        )
    return fam


def family_of_part(part: str) -> Family | None:
    """The device family of a part number (xc7z..., xczu... / xck26..., xcu...), or None."""
    part = part.lower()
    if part.startswith("xc7z"):
        return Family.ZYNQ7
    if part.startswith(("xczu", "xck26", "xck24")):
        return Family.ZYNQMP
    if part.startswith("xcu"):
        return Family.ALVEO
    return None


def _bits(n: int) -> int:
    return max(1, (max(1, int(n)) - 1).bit_length())


def _unit(what: str, count: float, u: U.UnitCost) -> Item:
    return Item(what, count, Res.of_unit(u), f"yosys: {u.source}")


def shell_items(in_bits: int, out_bits: int, in_values: int, out_values: int) -> list[Item]:
    """The AXI4-Stream shell: per direction a 64-bit beat register, the counter of values within
    a beat and the counter of values per image (its terminal count is TLAST / the end of the
    input); the input side selects one of its ``floor(64 / W)`` values (a multiplexer), the
    output side writes one slot of its beat register (the write enables decode the slot counter);
    then a small FIFO of beats (TDATA + TLAST) before TVALID/TREADY."""
    items: list[Item] = []
    for side, width, values in (("input", in_bits, in_values), ("output", out_bits, out_values)):
        if width > STREAM_BITS:
            raise BoardError(f"the shell packs values of at most {STREAM_BITS} bits, not {width}")
        per_beat = STREAM_BITS // width
        items += [
            Item(
                f"shell {side} beat register ({STREAM_BITS} bits)",
                1,
                Res(ff=float(STREAM_BITS)),
                "formula: 1 FF per register bit",
            ),
            _unit(f"shell {side} value-in-beat counter", 1, U.counter(_bits(per_beat))),
            _unit(f"shell {side} values-per-image counter (TLAST)", 1, U.counter(_bits(values))),
        ]
        if per_beat > 1 and side == "input":
            items.append(_unit(f"shell input value select {per_beat}:1", 1, U.mux(per_beat, width)))
        if per_beat > 1 and side == "output":
            items.append(
                _unit(f"shell output slot decode ({per_beat} write enables)", 1, U.mux(2, per_beat))
            )
    items.append(
        _unit(
            f"shell output FIFO {SHELL_FIFO_DEPTH} x {STREAM_BITS + 1} (TDATA + TLAST)",
            1,
            U.fifo_srl(SHELL_FIFO_DEPTH, STREAM_BITS + 1),
        )
    )
    return items


def control_items(processes: int) -> list[Item]:
    """The HLS control of a DATAFLOW region of ``processes`` processes (the shell's two loops
    among them) and of the region itself."""
    per = Res(lut=CONTROL_LUT_PER_PROCESS, ff=CONTROL_FF_PER_PROCESS)
    return [
        Item(
            "HLS ap_ctrl handshake per process",
            processes,
            per,
            "formula (not measured): ap_start/ap_done/ap_idle/ap_ready and the DATAFLOW start "
            f"flags, {CONTROL_FF_PER_PROCESS:g} FF + {CONTROL_LUT_PER_PROCESS:g} LUT a process",
        ),
        Item(
            "HLS DATAFLOW region start/done registers",
            1,
            per,
            "formula (not measured): the region's own ap_ctrl, as one process",
        ),
    ]


def _unsourced(what: str, looked_for: str) -> Item:
    return Item(what, 1, Res(), f"{NOT_SOURCED}: {looked_for}; counted as 0")


_PG021 = (
    "AMD PG021 AXI DMA v7.1 (simple mode, MM2S + S2MM, 64-bit stream and memory map, 16-beat "
    "bursts): its resource figures are on AMD's 'Performance and Resource Utilization' web page, "
    "which none of the stored copies searched holds"
)
_PG059 = (
    "AMD PG059 AXI Interconnect v2.1, 'Resource Utilization' tables (crossbar, protocol "
    "converter): the stored copies hold the tables' titles, not their figures"
)
_PG247 = (
    "AMD PG247 SmartConnect v1.0: no resource table found in the stored copies (the guide "
    "points to the web page)"
)
_PG164 = "AMD PG164 Processor System Reset v5.0: no resource table found in the stored copies"


def vendor_items(fam: Family) -> list[Item]:
    """The block design's vendor IP for a board family."""
    if fam is Family.ALVEO:
        return [
            _unsourced(
                "Alveo platform shell (XDMA/QDMA static region, memory subsystem)",
                "the platform's static region is outside the dynamic region the kernel gets; "
                "its size for the U250 platform was not found, and the board YAML lists the whole "
                "device",
            ),
        ]
    ps = "PS7 (processing_system7)" if fam is Family.ZYNQ7 else "PS8 (zynq_ultra_ps_e)"
    hp = "S_AXI_HP0 (AXI3)" if fam is Family.ZYNQ7 else "S_AXI_HP0_FPD"
    return [
        Item(
            f"processing system {ps}",
            1,
            Res(),
            "vendor: a hard block, no programmable-logic resources (AMD DS190 / DS891 list the "
            "PS apart from the PL resources)",
        ),
        _unsourced("AXI DMA (simple mode, MM2S + S2MM, 64-bit, 16-beat bursts)", _PG021),
        _unsourced(
            f"AXI interconnect / SmartConnect DMA -> PS {hp}",
            f"{_PG059}; {_PG247}",
        ),
        _unsourced("AXI interconnect PS general-purpose port -> DMA AXI4-Lite control", _PG059),
        _unsourced("proc_sys_reset", _PG164),
    ]


def system_items(
    board: Board, in_bits: int, out_bits: int, in_values: int, out_values: int, processes: int
) -> tuple[Item, ...]:
    """Every system item of ``board``'s design: the shell (``in_values`` / ``out_values`` raw
    integers an image, of ``in_bits`` / ``out_bits``), the HLS control of ``processes``
    accelerator processes plus the shell's two, and the family's vendor IP.  No AXI4-Lite
    adapter is counted: the stream top level (hls4ml's axi_stream wrapper) has no ap_ctrl
    registers on AXI4-Lite; revisit if the shell gains one."""
    return tuple(
        shell_items(in_bits, out_bits, in_values, out_values)
        + control_items(processes + 2)
        + vendor_items(family(board))
    )


def total(items: tuple[Item, ...] | list[Item]) -> Res:
    return sum((it.total for it in items), Res())


def unsourced(items: tuple[Item, ...] | list[Item]) -> list[Item]:
    """The items without a figure (counted as 0)."""
    return [it for it in items if it.source.startswith(NOT_SOURCED)]
