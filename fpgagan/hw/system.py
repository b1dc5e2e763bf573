"""The system around the accelerator: what a board design instantiates besides the engine layers.

A board design (hls4ml's ``VivadoAccelerator`` block design, ``interface: axi_stream``) is the
accelerator inside an AXI4-Stream shell, fed by an AXI DMA through the processing system's ports:

- the **shell** (``fpgagan/shell/top.py``, ``nnet_fg_axis.h``): per direction one pipelined loop
  moving ``step = gcd(elem_values, floor(64 / W))`` values a cycle through two shift registers
  (the beat's and the element's), its counters, the ``hls::stream`` of elements between it and the
  network, and the register slice Vitis HLS puts on every AXI4-Stream port.  Counted from the
  measured unit costs (:mod:`fpgagan.hw.unit_costs`) and 1 FF per register bit;
- **HLS control**: the ``ap_ctrl`` handshake of every process of the DATAFLOW region and the
  region's own start/done registers (a formula, not measured);
- the **vendor IP** of the block design: AXI DMA (simple mode, MM2S + S2MM), the SmartConnect to
  the PS's high-performance port and the one from its general-purpose port, ``proc_sys_reset``,
  the processing system itself (a hard block: no fabric).  AMD publishes no figures offline, so
  each counts an *open, functionally equivalent* design measured with yosys the way the unit
  costs are (``tools/calibrate_system_ip.py`` writes ``system_ip_costs.json``): not AMD's
  netlists, which may be larger or smaller.  An Alveo platform's static region is not counted
  (it is not the user's to spend; ``docs/hardware.md``, "The system").

A design whose weights live off chip (:mod:`fpgagan.hw.offchip`) adds, per weight port, what
Vitis HLS builds for ``m_axi ... offset=slave`` and what the block design needs around it
(:func:`weight_port_items`): the port's AXI4 read adapter and its read buffer, the port's base
address in the accelerator's ``s_axilite`` block, a slave of the memory-side SmartConnect per
port and a second AXI4-Lite slave on the control side, each counted from measured open
equivalents as above.

The family of a board (Zynq-7000, Zynq UltraScale+, Alveo) follows from its part number
(:func:`family`); the board YAML has no field for it.
"""

from __future__ import annotations

import enum
import functools
import json
import math
from importlib import resources
from typing import Any

from fpgagan.boards import Board
from fpgagan.errors import BoardError
from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import Item, Res

STREAM_BITS = 64  # AXI4-Stream TDATA width of the shell and of the DMA's stream ports
# the hls::stream between each shell loop and the network (shell.STREAM_DEPTH)
SHELL_STREAM_DEPTH = 2
# Vitis HLS registers every AXI4-Stream port in both directions by default (UG1399, "Registered
# AXI4-Stream Interfaces": register mode Both, side channels with TDATA): a two-entry skid
# buffer of the payload.  The payload that survives is TDATA + TLAST: the input's TKEEP/TSTRB are
# never read and the output's are constants.
REGSLICE_ENTRIES = 2
REGSLICE_BITS = STREAM_BITS + 1
# HLS control per process (ap_start/ap_done/ap_idle/ap_ready and the DATAFLOW start FIFO's
# full/empty flags): registers and the gates between them.  A formula, not measured.
CONTROL_FF_PER_PROCESS = 4.0
CONTROL_LUT_PER_PROCESS = 4.0
NOT_SOURCED = "not sourced"
NOT_COUNTED = "not counted"
MEASURED_OPEN = "yosys synth_xilinx of"  # the source of an open equivalent's measured figure
IP_TABLE_FILE = "system_ip_costs.json"


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


def _ff(what: str, bits: int) -> Item:
    return Item(what, 1, Res(ff=float(bits)), "formula: 1 FF per register bit")


def values_per_beat(elem_values: int, width: int) -> int:
    """Values the shell puts in one 64-bit beat: whole stream elements where one fits a beat (two
    RGB pixels of 8 bits, six values, rather than eight values that split a pixel), so that it
    moves one element a cycle; else as many values as fit.  The rule the shell's C++ config, the
    host codec's packing and this cost model share."""
    elem_bits = elem_values * width
    if elem_bits <= STREAM_BITS:
        return (STREAM_BITS // elem_bits) * elem_values
    return STREAM_BITS // width


def shell_step(elem_values: int, width: int) -> int:
    """Values the shell's loop moves an iteration: ``gcd(E, values per beat)`` (a whole element
    where one fits a beat)."""
    return math.gcd(elem_values, values_per_beat(elem_values, width))


def shell_iterations(values: int, elem_values: int, width: int) -> int:
    """Cycles per image of one side of the shell: an iteration a cycle."""
    return math.ceil(values / shell_step(elem_values, width))


def shell_side_items(side: str, width: int, values: int, elem_values: int | None) -> list[Item]:
    """One direction of the shell as ``nnet_fg_axis.h`` builds it (``side``: input = unpack,
    output = pack), for ``values`` raw integers of ``width`` bits an image, ``elem_values`` to a
    stream element (None: one, the smallest shell).

    Each cycle moves ``S = gcd(E, P)`` values (``P`` a beat, :func:`values_per_beat`: whole
    elements where one fits, so ``S = E``).  Unpack: the beat
    register (``P*W`` bits) is loaded from TDATA or shifted by ``S*W`` bits, a 2:1 select per bit;
    the element register (``E*W`` bits, completely partitioned) shifts by ``S`` values every
    cycle, no select.  Pack: the element register is loaded from the stream or shifted, a 2:1
    select per bit; the beat register shifts every cycle, no select, and the last beat of an
    image that is not full is moved down (a 2:1 select per bit).  A register that one step fills
    or empties whole (``S = P`` or ``S = E``) is not built.  Counters: the steps within a beat and
    within an element, and the loop's own (the image's steps; its end is TLAST).  Then the
    ``hls::stream`` of elements and the port's register slice."""
    if side not in ("input", "output"):
        raise ValueError(f"a shell side is 'input' or 'output', not {side!r}")
    if width > STREAM_BITS:
        raise BoardError(f"the shell packs values of at most {STREAM_BITS} bits, not {width}")
    elem = 1 if elem_values is None else int(elem_values)
    per_beat, step = values_per_beat(elem, width), shell_step(elem, width)
    word_bits, elem_bits = per_beat * width, elem * width
    steps_per_beat, steps_per_elem = per_beat // step, elem // step
    iterations = math.ceil(values / step)
    unpack = side == "input"
    items: list[Item] = []
    if steps_per_beat > 1:
        items.append(_ff(f"shell {side} beat shift register ({word_bits} bits)", word_bits))
        if unpack:
            items.append(
                _unit(
                    f"shell input beat load/shift select ({word_bits} bits, 2:1)",
                    1,
                    U.mux(2, word_bits),
                )
            )
        elif iterations % steps_per_beat:
            items.append(
                _unit(
                    f"shell output last-beat shift select ({word_bits} bits, 2:1)",
                    1,
                    U.mux(2, word_bits),
                )
            )
        items.append(
            _unit(f"shell {side} step-in-beat counter", 1, U.counter(_bits(steps_per_beat)))
        )
    if steps_per_elem > 1:
        items.append(_ff(f"shell {side} element shift register ({elem} x {width} bits)", elem_bits))
        if not unpack:
            items.append(
                _unit(
                    f"shell output element load/shift select ({elem_bits} bits, 2:1)",
                    1,
                    U.mux(2, elem_bits),
                )
            )
        items.append(
            _unit(f"shell {side} step-in-element counter", 1, U.counter(_bits(steps_per_elem)))
        )
    items += [
        _unit(
            f"shell {side} loop counter ({iterations} steps, TLAST)",
            1,
            U.counter(_bits(iterations)),
        ),
        _unit(
            f"shell {side} element stream {SHELL_STREAM_DEPTH} x {elem_bits}",
            1,
            U.fifo_srl(SHELL_STREAM_DEPTH, elem_bits),
        ),
        _ff(
            f"shell {side} AXI4-Stream register slice registers "
            f"({REGSLICE_ENTRIES} x {REGSLICE_BITS}: TDATA + TLAST)",
            REGSLICE_ENTRIES * REGSLICE_BITS,
        ),
        _unit(
            f"shell {side} AXI4-Stream register slice select ({REGSLICE_BITS} bits, 2:1)",
            1,
            U.mux(2, REGSLICE_BITS),
        ),
    ]
    return items


def shell_items(
    in_bits: int,
    out_bits: int,
    in_values: int,
    out_values: int,
    in_elem_values: int | None = None,
    out_elem_values: int | None = None,
) -> list[Item]:
    """The AXI4-Stream shell, both directions (:func:`shell_side_items`)."""
    return shell_side_items("input", in_bits, in_values, in_elem_values) + shell_side_items(
        "output", out_bits, out_values, out_elem_values
    )


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


@functools.cache
def ip_table() -> dict[str, Any]:
    """``system_ip_costs.json`` as stored (loaded once; do not modify it)."""
    return json.loads(resources.files("fpgagan.hw").joinpath(IP_TABLE_FILE).read_text())


SYNTH = "synth_xilinx -family xc7 -flatten"
# Zynq UltraScale+ and Alveo boards use the 7-series synthesis of a design (same LUT6 and FF
# fabric; not re-measured)
_ULTRASCALE_NOTE = (
    "; synthesised for the 7 series and used unchanged for this UltraScale+ board (same LUT6 "
    "and FF fabric; not re-measured)"
)
# the DMA and interconnect of a Zynq UltraScale+ design, measured with 32-bit addresses
_ZYNQMP_DMA_NOTE = (
    _ULTRASCALE_NOTE + ": its DMA's 64-bit addresses (design.tcl) widen the address "
    "registers and counters, and a GP port wider than 32 bits needs a width converter, neither "
    "counted"
)


def _ip_res(key: str) -> Res:
    c = ip_table()["ip"][key]["counts"]
    return Res(float(c["lut"]), float(c["ff"]), float(c["dsp"]), float(c["bram_18k"]))


def _ip_design(key: str) -> str:
    """The open design measured as ``key``, with its configuration."""
    t = ip_table()
    e, lib = t["ip"][key], t["library"]
    if not e["library_module"]:
        design = f"fpgagan's own {e['top']} (tools/calibrate_system_ip.py)"
    elif e["own_verilog"]:
        design = (
            f"{lib['repo']}@{lib['commit'][:12]} {e['library_module']} in fpgagan's own "
            f"{e['top']} (tools/calibrate_system_ip.py)"
        )
    else:
        design = f"{lib['repo']}@{lib['commit'][:12]} {e['library_module']}"
    return f"{design} ({e['config']})"


def _measured_ip(
    what: str, key: str, vendor: str, fam: Family, count: float = 1, note: str | None = None
) -> Item:
    """``count`` of the measured open equivalent ``key`` of AMD's ``vendor`` IP; ``note`` says
    what the figure leaves out on this family (None: the DMA and interconnect note)."""
    if note is None:
        note = _ZYNQMP_DMA_NOTE if fam is Family.ZYNQMP else ""
    source = (
        f"{MEASURED_OPEN} {_ip_design(key)}, an open equivalent of {vendor}, not AMD's netlist; "
        f"{ip_table()['yosys_version']}, {SYNTH}{note}"
    )
    return Item(what, count, _ip_res(key), source)


def _measured_growth(what: str, key: str, base: str, vendor: str, count: float, note: str) -> Item:
    """``count`` of the difference between two measured open designs, ``key`` less ``base``:
    what one more slave adds to an interconnect."""
    source = (
        f"{MEASURED_OPEN} {_ip_design(key)}, less {_ip_design(base)}: the growth of an open "
        f"equivalent of {vendor}, not AMD's netlist; {ip_table()['yosys_version']}, {SYNTH}{note}"
    )
    return Item(what, count, _ip_res(key) + _ip_res(base) * -1.0, source)


def vendor_items(fam: Family) -> list[Item]:
    """The block design's vendor IP for a board family."""
    if fam is Family.ALVEO:
        return [
            Item(
                "Alveo platform shell (XDMA static region: PCIe, DMA, memory subsystem)",
                1,
                Res(),
                f"{NOT_COUNTED}: on an XDMA platform the static region is the platform's, "
                "outside the user's budget; the kernel gets the dynamic region, which is what an "
                "estimate must fit.  The board YAML lists the whole device, so an Alveo usage is "
                "low by the static region's share of it",
            ),
        ]
    ps = "PS7 (processing_system7)" if fam is Family.ZYNQ7 else "PS8 (zynq_ultra_ps_e)"
    hp = "S_AXI_HP0 (AXI3)" if fam is Family.ZYNQ7 else "S_AXI_HP0_FPD"
    gp = "M_AXI_GP0" if fam is Family.ZYNQ7 else "M_AXI_HPM0_FPD"
    return [
        Item(
            f"processing system {ps}",
            1,
            Res(),
            "vendor: a hard block, no programmable-logic resources (AMD DS190 / DS891 list the "
            "PS apart from the PL resources)",
        ),
        _measured_ip(
            "AXI DMA (simple mode, MM2S + S2MM, 64-bit, 16-beat bursts, AXI4-Lite registers)",
            "axi_dma",
            "AMD's AXI DMA v7.1 (PG021)",
            fam,
        ),
        _measured_ip(
            f"SmartConnect DMA MM2S + S2MM -> PS {hp} (2 x 1, 64-bit)",
            "mem_interconnect",
            "AMD's SmartConnect v1.0 (PG247)",
            fam,
        ),
        _measured_ip(
            f"SmartConnect PS {gp} -> DMA AXI4-Lite control (1 x 1, AXI -> AXI4-Lite)",
            "ctrl_interconnect",
            "AMD's SmartConnect v1.0 (PG247)",
            fam,
        ),
        _measured_ip(
            "proc_sys_reset", "proc_sys_reset", "AMD's Processor System Reset v5.0 (PG164)", fam
        ),
    ]


# Vitis HLS's m_axi read buffer: a FIFO of num_read_outstanding x max_read_burst_length words
# (UG1399, "Controlling AXI4 Burst Behavior"); the shell's weight-port pragma
# (fpgagan/shell/top.py, which reads these) asks for 16 outstanding reads of 16-beat bursts
# (UG1399's default burst): 256 beats of run-ahead, so that a weight fetch rides out the DDR's
# latency and the other masters' bursts (the independent review's finding: 4 left no slack)
READ_OUTSTANDING = 16
READ_BURST = 16
WEIGHT_PORT_BITS = 64
SMARTCONNECT = "AMD's SmartConnect v1.0 (PG247)"


# the address width of a weight port: Vitis HLS's default is 64 bits; on a Zynq 7000 (32-bit
# HP ports) the shell's build script sets config_interface -m_axi_addr64 false (UG1399)
ZYNQ7_ADDR_BITS = 32
DEFAULT_ADDR_BITS = 64


def weight_port_addr_bits(fam: Family) -> int:
    return ZYNQ7_ADDR_BITS if fam is Family.ZYNQ7 else DEFAULT_ADDR_BITS


def weight_port_items(board: Board, n_ports: int) -> tuple[Item, ...]:
    """What ``n_ports`` off-chip weight ports add to ``board``'s design: per port the AXI4 master
    read adapter (64-bit, 16-beat bursts) and its read buffer, the ports' base-address registers
    in the accelerator's ``s_axilite`` block (the first port's with the AXI4-Lite slave, then one
    register each), and the interconnect's growth: a read-only slave of the memory-side
    SmartConnect per port and, once, a second AXI4-Lite slave on the control side.  Empty for no
    ports; a board without DDR has none to give (BoardError)."""
    if isinstance(n_ports, bool) or not isinstance(n_ports, int) or n_ports < 0:
        raise ValueError(f"n_ports must be a non-negative integer, not {n_ports!r}")
    if n_ports == 0:
        return ()
    if board.ddr is None:
        raise BoardError(
            f"board {board.name} has no ddr block in its board file, so its design has no DDR "
            f"for {n_ports} off-chip weight port{'s' if n_ports > 1 else ''}: keep the weights "
            "on chip or describe the board's DDR"
        )
    fam = family(board)
    bits = weight_port_addr_bits(fam)
    note = "" if fam is Family.ZYNQ7 else _ULTRASCALE_NOTE
    further = n_ports - 1
    buffer = U.ram(READ_OUTSTANDING * READ_BURST, WEIGHT_PORT_BITS)
    hls_adapter = "Vitis HLS's m_axi read adapter (UG1399)"
    items = [
        _measured_ip(
            f"weight port AXI4 read master (m_axi, {WEIGHT_PORT_BITS}-bit, {READ_BURST}-beat "
            f"bursts, {bits}-bit addresses)",
            f"axi_read_master_a{bits}",
            hls_adapter,
            fam,
            n_ports,
            note,
        ),
        Item(
            f"weight port m_axi read buffer ({READ_OUTSTANDING} outstanding x {READ_BURST} beats x "
            f"{WEIGHT_PORT_BITS} bits)",
            n_ports,
            Res.of_unit(buffer),
            f"yosys: {buffer.source}; UG1399: the adapter buffers num_read_outstanding x "
            f"max_read_burst_length words ({READ_OUTSTANDING} x {READ_BURST}, the shell's "
            "pragma); counted as yosys maps that memory (Vitis HLS may put it in block RAM "
            "instead), and the read master above has its own 32-deep output FIFO as well",
        ),
        _measured_ip(
            f"weight port base-address registers: s_axilite slave with the first port's "
            f"{bits}-bit address",
            f"weight_port_regs_1_a{bits}",
            "the s_axilite block Vitis HLS builds for m_axi offset=slave (UG1399)",
            fam,
            1,
            note,
        ),
    ]
    if further:
        items.append(
            _measured_growth(
                f"weight port base-address registers: each further port's {bits}-bit address",
                f"weight_port_regs_2_a{bits}",
                f"weight_port_regs_1_a{bits}",
                "the s_axilite block Vitis HLS builds for m_axi offset=slave (UG1399)",
                further,
                note,
            )
        )
    if fam is Family.ALVEO:
        items.append(
            Item(
                f"memory and control interconnect of {n_ports} weight port"
                f"{'s' if n_ports > 1 else ''} (v++ link)",
                1,
                Res(),
                f"{NOT_COUNTED}: v++ links each m_axi port to a DDR bank and the s_axilite block "
                "to the host through the platform's memory subsystem and control interconnect, "
                "like the Alveo platform shell item; any SmartConnect v++ adds in the dynamic "
                "region to join several masters to one bank is not counted either",
            )
        )
        return tuple(items)
    hp = "S_AXI_HP1..3 (AXI3)" if fam is Family.ZYNQ7 else "S_AXI_HP1..3_FPD"
    xbar_note = (
        ""
        if fam is Family.ZYNQ7
        else _ULTRASCALE_NOTE + "; measured with 32-bit addresses, which the PS's 49-bit ones "
        "would widen a little, not counted"
    )
    # design.tcl gives each weight port its own HP port through a 1 x 1 SmartConnect (protocol
    # and width conversion); no open equivalent of that converter is measured, so each counts
    # as what one more read-only slave adds to the measured 64-bit crossbar
    items.append(
        _measured_growth(
            f"SmartConnect weight port -> PS {hp} (one per port; stand-in: the measured growth of "
            "the 64-bit crossbar by one read-only slave, 3 x 1 over 2 x 1)",
            "mem_interconnect_3",
            "mem_interconnect",
            SMARTCONNECT,
            n_ports,
            xbar_note,
        )
    )
    gp = "M_AXI_GP0" if fam is Family.ZYNQ7 else "M_AXI_HPM0_FPD"
    items.append(
        _measured_ip(
            f"SmartConnect PS {gp} -> DMA + accelerator AXI4-Lite: the second slave (1 x 2 "
            "AXI4-Lite crossbar after the protocol conversion)",
            "ctrl_interconnect_2",
            SMARTCONNECT,
            fam,
            1,
            note,
        )
    )
    return tuple(items)


def system_items(
    board: Board,
    in_bits: int,
    out_bits: int,
    in_values: int,
    out_values: int,
    processes: int,
    in_elem_values: int | None = None,
    out_elem_values: int | None = None,
    *,
    weight_ports: int = 0,
) -> tuple[Item, ...]:
    """Every system item of ``board``'s design: the shell (``in_values`` / ``out_values`` raw
    integers an image, of ``in_bits`` / ``out_bits``, ``in_elem_values`` / ``out_elem_values`` to
    a stream element), the HLS control of ``processes`` accelerator processes plus the shell's
    two, the family's vendor IP, and what ``weight_ports`` off-chip weight ports add
    (:func:`weight_port_items`).  Without weight ports no AXI4-Lite adapter is counted: the
    stream top level (``ap_ctrl_none``) then has no registers on AXI4-Lite."""
    return tuple(
        shell_items(in_bits, out_bits, in_values, out_values, in_elem_values, out_elem_values)
        # an off-chip layer is a dataflow region of two processes (fetch, compute) of its own
        + control_items(processes + 2 + 2 * weight_ports)
        + vendor_items(family(board))
    ) + weight_port_items(board, weight_ports)


def total(items: tuple[Item, ...] | list[Item]) -> Res:
    return sum((it.total for it in items), Res())


def unsourced(items: tuple[Item, ...] | list[Item]) -> list[Item]:
    """The items without a figure (counted as 0); none since the vendor IP is measured."""
    return [it for it in items if it.source.startswith(NOT_SOURCED)]
