"""The scripts around fpgagan's AXI4-Stream shell: the Vitis HLS build, the Vivado block design
and the PYNQ driver (:mod:`fpgagan.shell.top` writes them).

Every value pasted into them is a number, a part number that passed ``PART_PATTERN``, a name
from this module's own tables, or an identifier fpgagan checked; the templates fill ``@NAME@``
fields, so no user string and no Tcl or Python syntax comes from outside.
"""

from __future__ import annotations

import re

from fpgagan.boards import Board, check_part
from fpgagan.export.host_layout import HostLayout
from fpgagan.shell.spec import ShellSpec

CXX_STD = "-std=c++14"
TB_INPUT_RAW = (
    "tb_input_raw.dat"  # the shell test bench's data (fpgagan.shell.top.write_shell_data)
)
TB_OUTPUT_RAW = "tb_output_raw.dat"
DMA = "dma"  # the AXI DMA's cell name, the driver's overlay attribute
WEIGHTS_FILE = "fpgagan_weights.bin"  # the off-chip layers' DDR images, beside the driver
BLOCK_DESIGN = "fpgagan"  # the block design, the bitstream and its .hwh: fpgagan.bit, fpgagan.hwh
# board files (Vivado board parts) of fpgagan's boards, looked up by these patterns: the
# processing system's DDR, clocks and MIO come from the board preset where it is installed
BOARD_PARTS = {
    "pynq-z2": "*:pynq-z2:*",
    "zcu102": "*:zcu102:*",
    "zcu104": "*:zcu104:*",
    "kv260": "*:kv260_som:*",
    "ultra96v2": "*:ultra96v2:*",
}
_PART_FAMILIES = (("xc7z", "ps7"), ("xczu", "psu"), ("xck2", "psu"))  # Zynq-7000, Zynq US+, Kria


def processing_system(part: str) -> str | None:
    """``ps7`` (Zynq-7000), ``psu`` (Zynq UltraScale+, Kria) or None (no processor: Alveo...)."""
    part = check_part(part).lower()
    return next((ps for prefix, ps in _PART_FAMILIES if part.startswith(prefix)), None)


def _fill(template: str, **fields: object) -> str:
    out = template
    for key, value in fields.items():
        out = out.replace(f"@{key}@", str(value))
    left = re.search(r"@[A-Z_]+@", out)
    if left:  # a template field nobody filled: a bug here, not user input
        raise RuntimeError(f"template field {left.group(0)} not filled")
    return out


def _period(spec: ShellSpec) -> str:
    return repr(float(spec.clock_period_ns))


# --------------------------------------------------------------------------- Vitis HLS

_BUILD_TCL = """\
# Written by fpgagan (fpgagan/shell/top.py): the Vitis HLS project of the AXI4-Stream shell
# @TOP@ around hls4ml's @PROJECT@.
#   Vitis 2023.2 or later:         vitis-run --mode hls --tcl build_shell.tcl
#   Vitis HLS 2022.2 to 2023.1:    vitis_hls -f build_shell.tcl
# C simulation and C/RTL co-simulation run @TOP@_test.cpp on tb_data/@TB_IN@ and
# tb_data/@TB_OUT@ (every output integer compared, the run fails on any mismatch); the IP for
# Vivado lands in @TOP@_prj/solution1/impl/ip (design.tcl picks it up from there).
set here [file dirname [file normalize [info script]]]
cd $here
open_project -reset @TOP@_prj
set_top @TOP@
add_files firmware/@PROJECT@.cpp -cflags "@STD@"
add_files firmware/@TOP@.cpp -cflags "@STD@"
add_files -tb @TOP@_test.cpp -cflags "@STD@"
add_files -tb tb_data
open_solution -reset solution1 -flow_target vivado
set_part {@PART@}
create_clock -period @PERIOD@ -name default
config_compile -name_max_length 80
@CONFIG_INTERFACE@csim_design
csynth_design
cosim_design
export_design -format ip_catalog
exit
"""


def build_tcl(spec: ShellSpec) -> str:
    return _fill(
        _BUILD_TCL,
        TOP=spec.top,
        PROJECT=spec.project,
        PART=check_part(spec.part),
        PERIOD=_period(spec),
        STD=CXX_STD,
        TB_IN=TB_INPUT_RAW,
        TB_OUT=TB_OUTPUT_RAW,
        # the weight ports' addresses: 32 bits on a Zynq 7000 (its HP ports are 32-bit)
        CONFIG_INTERFACE="config_interface -m_axi_addr64 false\n"
        if spec.ddr_ports and processing_system(spec.part) == "ps7"
        else "",
    )


# --------------------------------------------------------------------------- Vivado block design

# the processing system's ports and settings, per family: control master (to the DMA's
# registers), memory slave (DDR, for the DMA's data), the PL clock and reset
_PS = {
    "ps7": {
        "IP": "processing_system7",
        "RULE": "xilinx.com:bd_rule:processing_system7",
        "RULE_CONFIG": '[list make_external "FIXED_IO, DDR" apply_board_preset $preset '
        "Master Disable Slave Disable]",
        "SETTINGS": "CONFIG.PCW_USE_M_AXI_GP0 {1} CONFIG.PCW_USE_S_AXI_HP0 {1} "
        "CONFIG.PCW_EN_CLK0_PORT {1} CONFIG.PCW_EN_RST0_PORT {1} "
        "CONFIG.PCW_FPGA0_PERIPHERAL_FREQMHZ {@MHZ@}",
        "CTRL": "M_AXI_GP0",
        "CTRL_CLK": "M_AXI_GP0_ACLK",
        "MEM": "S_AXI_HP0",
        "MEM_CLK": "S_AXI_HP0_ACLK",
        "CLK": "FCLK_CLK0",
        "RESETN": "FCLK_RESET0_N",
        "ADDR_WIDTH": 32,
    },
    "psu": {
        "IP": "zynq_ultra_ps_e",
        "RULE": "xilinx.com:bd_rule:zynq_ultra_ps_e",
        "RULE_CONFIG": "[list apply_board_preset $preset]",
        # HPM0_FPD (GP0) for control, HP0_FPD (S_AXI_GP2) for data; the other masters off
        "SETTINGS": "CONFIG.PSU__USE__M_AXI_GP0 {1} CONFIG.PSU__USE__M_AXI_GP1 {0} "
        "CONFIG.PSU__USE__M_AXI_GP2 {0} CONFIG.PSU__USE__S_AXI_GP2 {1} "
        "CONFIG.PSU__FPGA_PL0_ENABLE {1} CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {@MHZ@}",
        "CTRL": "M_AXI_HPM0_FPD",
        "CTRL_CLK": "maxihpm0_fpd_aclk",
        "MEM": "S_AXI_HP0_FPD",
        "MEM_CLK": "saxihp0_fpd_aclk",
        "CLK": "pl_clk0",
        "RESETN": "pl_resetn0",
        "ADDR_WIDTH": 64,
    },
}

_DESIGN_TCL = """\
# Written by fpgagan (fpgagan/shell/top.py): the Vivado block design around the shell IP @TOP@,
# after build_shell.tcl exported it:
#   vivado -mode batch -source design.tcl
# Processing system (@PS_IP@) -> SmartConnect -> AXI DMA registers (control); AXI DMA (simple
# mode, 64-bit MM2S and S2MM streams) -> SmartConnect -> the PS's DDR port (data); DMA MM2S ->
# @TOP@/in_beats, @TOP@/out_beats -> DMA S2MM; one clock (the PS's PL clock 0, @MHZ@ MHz, the
# clock HLS targeted) and one proc_sys_reset for everything.  Writes @BD@.bit and @BD@.hwh next
# to this script (PYNQ loads the pair as an Overlay; fpgagan_driver.py drives it).
set here [file dirname [file normalize [info script]]]
set part {@PART@}

proc fg_ip {name} {
    set defs [lsort [get_ipdefs -filter "NAME == $name"]]
    if {[llength $defs] == 0} {
        error "IP $name is not in the IP catalog"
    }
    return [lindex $defs end]
}

create_project @BD@_vivado [file join $here @BD@_vivado] -part $part -force
set board_part [lindex [get_board_parts -quiet -latest_file_version {@BOARD_PART@}] 0]
if {$board_part ne ""} {
    set_property board_part $board_part [current_project]
    set preset 1
} else {
    if {![info exists ::env(FPGAGAN_NO_BOARD_PRESET)]} {
        error "no Vivado board files for @BOARD_PART@: without them the processing system keeps its defaults (DDR, MIO, clocks) and the bitstream will not run on the board; install the board files (Vivado's board store), or set FPGAGAN_NO_BOARD_PRESET=1 to build with the defaults and configure the PS by hand"
    }
    puts "WARNING: no Vivado board files for this board: the processing system keeps its defaults (DDR, MIO); configure it by hand"
    set preset 0
}
set_property ip_repo_paths [file join $here @TOP@_prj solution1 impl ip] [current_project]
update_ip_catalog
create_bd_design @BD@

set ps [create_bd_cell -type ip -vlnv [fg_ip @PS_IP@] ps]
apply_bd_automation -rule @PS_RULE@ -config @PS_RULE_CONFIG@ $ps
set_property -dict [list @PS_SETTINGS@] $ps

set shell [create_bd_cell -type ip -vlnv [fg_ip @TOP@] shell]
set dma [create_bd_cell -type ip -vlnv [fg_ip axi_dma] @DMA@]
set_property -dict [list CONFIG.c_include_sg {0} CONFIG.c_sg_length_width {26} \\
    CONFIG.c_addr_width {@ADDR_WIDTH@} \\
    CONFIG.c_include_mm2s {1} CONFIG.c_include_s2mm {1} \\
    CONFIG.c_m_axi_mm2s_data_width {64} CONFIG.c_m_axis_mm2s_tdata_width {64} \\
    CONFIG.c_m_axi_s2mm_data_width {64} CONFIG.c_s_axis_s2mm_tdata_width {64} \\
    CONFIG.c_mm2s_burst_size {16} CONFIG.c_s2mm_burst_size {16}] $dma
set ctrl [create_bd_cell -type ip -vlnv [fg_ip smartconnect] ctrl_interconnect]
set_property -dict [list CONFIG.NUM_SI {1} CONFIG.NUM_MI {@CTRL_MI@}] $ctrl
set mem [create_bd_cell -type ip -vlnv [fg_ip smartconnect] mem_interconnect]
set_property -dict [list CONFIG.NUM_SI {2} CONFIG.NUM_MI {1}] $mem
set rst [create_bd_cell -type ip -vlnv [fg_ip proc_sys_reset] rst]

# control: PS master -> DMA registers
connect_bd_intf_net [get_bd_intf_pins ps/@PS_CTRL@] [get_bd_intf_pins ctrl_interconnect/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins ctrl_interconnect/M00_AXI] [get_bd_intf_pins @DMA@/S_AXI_LITE]
# data: DMA masters -> PS DDR port
connect_bd_intf_net [get_bd_intf_pins @DMA@/M_AXI_MM2S] [get_bd_intf_pins mem_interconnect/S00_AXI]
connect_bd_intf_net [get_bd_intf_pins @DMA@/M_AXI_S2MM] [get_bd_intf_pins mem_interconnect/S01_AXI]
connect_bd_intf_net [get_bd_intf_pins mem_interconnect/M00_AXI] [get_bd_intf_pins ps/@PS_MEM@]
# streams: DMA -> shell -> DMA
connect_bd_intf_net [get_bd_intf_pins @DMA@/M_AXIS_MM2S] [get_bd_intf_pins shell/in_beats]
connect_bd_intf_net [get_bd_intf_pins shell/out_beats] [get_bd_intf_pins @DMA@/S_AXIS_S2MM]

# one clock, one reset
set clk [get_bd_pins ps/@PS_CLK@]
foreach pin {ps/@PS_CTRL_CLK@ ps/@PS_MEM_CLK@ @DMA@/s_axi_lite_aclk @DMA@/m_axi_mm2s_aclk \\
             @DMA@/m_axi_s2mm_aclk shell/ap_clk ctrl_interconnect/aclk mem_interconnect/aclk \\
             rst/slowest_sync_clk} {
    connect_bd_net $clk [get_bd_pins $pin]
}
connect_bd_net [get_bd_pins ps/@PS_RESETN@] [get_bd_pins rst/ext_reset_in]
foreach pin {@DMA@/axi_resetn shell/ap_rst_n ctrl_interconnect/aresetn mem_interconnect/aresetn} {
    connect_bd_net [get_bd_pins rst/peripheral_aresetn] [get_bd_pins $pin]
}
@WEIGHT_PORTS@
assign_bd_address
validate_bd_design
save_bd_design

set wrapper [make_wrapper -files [get_files @BD@.bd] -top]
add_files -norecurse $wrapper
set_property top @BD@_wrapper [current_fileset]
launch_runs impl_1 -to_step write_bitstream -jobs 8
wait_on_run impl_1
if {[get_property PROGRESS [get_runs impl_1]] ne "100%"} {
    error "implementation did not finish: see @BD@_vivado/@BD@_vivado.runs/impl_1"
}
# the clock the estimate assumed must be met: a bitstream with negative slack is not handed on
open_run impl_1
set wns [get_property SLACK [lindex [get_timing_paths -max_paths 1 -nworst 1 -setup] 0]]
if {$wns ne "" && $wns < 0} {
    error "timing not met at the board clock (worst setup slack $wns ns): see @BD@_vivado/@BD@_vivado.runs/impl_1 (report_timing_summary); lower the clock in the board file or the plan's parallelism"
}
file copy -force [file join [get_property DIRECTORY [get_runs impl_1]] @BD@_wrapper.bit] \\
    [file join $here @BD@.bit]
set hwh [lindex [get_files -all -of_objects [get_files @BD@.bd] *.hwh] 0]
file copy -force $hwh [file join $here @BD@.hwh]
puts "wrote [file join $here @BD@.bit] and [file join $here @BD@.hwh]"
"""


def design_tcl(spec: ShellSpec, board: Board) -> str | None:
    """The block design of a Zynq board, None for a board without a processor (Alveo: the HLS
    IP goes into the card's platform instead, see SHELL.md)."""
    family = processing_system(board.part)
    if family is None:
        return None
    ps = _PS[family]
    mhz = f"{board.clock_mhz:g}"
    return _fill(
        _DESIGN_TCL,
        TOP=spec.top,
        BD=BLOCK_DESIGN,
        DMA=DMA,
        PART=check_part(board.part),
        MHZ=mhz,
        BOARD_PART=BOARD_PARTS.get(board.name, "fpgagan-no-board-files"),
        PS_IP=ps["IP"],
        PS_RULE=ps["RULE"],
        PS_RULE_CONFIG=ps["RULE_CONFIG"],
        PS_SETTINGS=_fill(str(ps["SETTINGS"]), MHZ=mhz),
        PS_CTRL=ps["CTRL"],
        PS_CTRL_CLK=ps["CTRL_CLK"],
        PS_MEM=ps["MEM"],
        PS_MEM_CLK=ps["MEM_CLK"],
        PS_CLK=ps["CLK"],
        PS_RESETN=ps["RESETN"],
        ADDR_WIDTH=ps["ADDR_WIDTH"],
        CTRL_MI=2 if spec.ddr_ports else 1,
        WEIGHT_PORTS=_weight_port_nets(spec, family),
    )


# the PS's high-performance ports the weight ports use (the DMA has HP0): per family, the port,
# the setting that enables it and its clock pin, for HP1..HP3
_WEIGHT_HP = {
    "ps7": ("S_AXI_HP{n}", "CONFIG.PCW_USE_S_AXI_HP{n} {{1}}", "S_AXI_HP{n}_ACLK"),
    "psu": ("S_AXI_HP{n}_FPD", "CONFIG.PSU__USE__S_AXI_GP{g} {{1}}", "saxihp{n}_fpd_aclk"),
}
WEIGHT_HP_PORTS = 3  # HP1..HP3: more weight ports than this share them (round robin)


def weight_hp_port(k: int) -> int:
    """The HP port (1..3) weight port ``k`` (0-based) reads DDR through."""
    return 1 + k % WEIGHT_HP_PORTS


def _weight_port_nets(spec: ShellSpec, family: str) -> str:
    """The off-chip layers' weight ports, each on its own PS high-performance port (HP1..HP3,
    the DMA keeps HP0), through a SmartConnect (the AXI4 -> AXI3 / width conversion) so that no
    weight fetch waits for another's bursts or the DMA's; the shell's AXI4-Lite base-address
    registers behind the control SmartConnect."""
    if not spec.ddr_ports:
        return ""
    port, setting, clock = _WEIGHT_HP[family]
    lines = [
        "# weight ports: each on its own PS high-performance port (the DMA has HP0); their",
        "# base-address registers and the block control behind the control SmartConnect",
        "connect_bd_intf_net [get_bd_intf_pins ctrl_interconnect/M01_AXI] [get_bd_intf_pins shell/s_axi_control]",
    ]
    groups: dict[int, list[str]] = {}
    for k, p in enumerate(spec.ddr_ports):
        groups.setdefault(weight_hp_port(k), []).append(p.arg)
    for n, args in sorted(groups.items()):
        cell = f"weight_interconnect{n}"
        lines += [
            f"set_property -dict [list {setting.format(n=n, g=n + 2)}] $ps",
            f"create_bd_cell -type ip -vlnv [fg_ip smartconnect] {cell}",
            f"set_property -dict [list CONFIG.NUM_SI {{{len(args)}}} CONFIG.NUM_MI {{1}}] [get_bd_cells {cell}]",
            *(
                f"connect_bd_intf_net [get_bd_intf_pins shell/m_axi_{a}] [get_bd_intf_pins {cell}/S{i:02d}_AXI]"
                for i, a in enumerate(args)
            ),
            f"connect_bd_intf_net [get_bd_intf_pins {cell}/M00_AXI] [get_bd_intf_pins ps/{port.format(n=n)}]",
            f"connect_bd_net $clk [get_bd_pins ps/{clock.format(n=n)}] [get_bd_pins {cell}/aclk]",
            f"connect_bd_net [get_bd_pins rst/peripheral_aresetn] [get_bd_pins {cell}/aresetn]",
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- PYNQ driver

_DRIVER = '''\
"""Written by fpgagan (fpgagan/shell/top.py): the PYNQ driver of @TOP@, the AXI4-Stream shell
around the generator.  It runs on the board (pynq and numpy); fpgagan does not import it.

    from fpgagan_driver import Accelerator
    acc = Accelerator("@BD@.bit")          # @BD@.hwh beside it (design.tcl writes both)
    images = acc.run(z)                   # z: float latents (N, @HOST_IN@)

The host quantizes the inputs exactly as the model's first quantizer does and the FPGA moves
raw integers only (fpgagan_codec.py, a verbatim copy of fpgagan.shell.host_codec: the same code
fpgagan tests); outputs come back as raw * 2^-@OUT_FRAC@, in the model's own layout.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import fpgagan_codec as codec  # noqa: E402

# the network's input type (its first quantizer) and output type, from the hls4ml project
INPUT_TYPE = codec.FixedType(@IN_W@, @IN_I@, @IN_SIGNED@, "@IN_ROUND@", "@IN_SAT@")
OUTPUT_TYPE = codec.FixedType(@OUT_W@, @OUT_I@, @OUT_SIGNED@)
INPUT_SHAPE = @IN_SHAPE@  # per sample, as the FPGA reads it
OUTPUT_SHAPE = @OUT_SHAPE@  # per sample, as the FPGA writes it
INPUT_PERM = @IN_PERM@  # host layout -> FPGA layout (None: the same)
OUTPUT_PERM = @OUT_PERM@  # FPGA layout -> host layout
IN_BEATS = @IN_BEATS@  # 64-bit beats per sample
OUT_BEATS = @OUT_BEATS@
IN_PER_BEAT = @IN_PER_BEAT@  # values in a beat: whole pixels where one fits
OUT_PER_BEAT = @OUT_PER_BEAT@
DMA = "@DMA@"
SHELL = "shell"  # the shell's cell in design.tcl
# weights off chip: (port, offset in beats) of each off-chip layer's image in WEIGHTS_FILE, which
# is placed in DDR once; each port's base-address register gets its image's address
WEIGHT_PORTS = @WEIGHT_PORTS@
WEIGHTS_FILE = "@WEIGHTS_FILE@"
CTRL, AP_START, AUTO_RESTART = 0x00, 0x01, 0x80  # the block control register (s_axilite)


def encode(x: np.ndarray) -> np.ndarray:
    """Host inputs (N, ...) -> the beats the FPGA reads (N, IN_BEATS)."""
    return codec.encode(x, INPUT_TYPE, INPUT_PERM, IN_PER_BEAT)


def decode(words: np.ndarray) -> np.ndarray:
    """The beats the FPGA wrote (N, OUT_BEATS) -> host outputs (float32, the model's layout)."""
    return codec.decode(words, OUTPUT_TYPE, OUTPUT_SHAPE, OUTPUT_PERM, OUT_PER_BEAT).astype(
        np.float32
    )


class Accelerator:
    """The overlay: the DMA streams inputs in and images out; with weights off chip, the weight
    image placed in DDR and the block started once its addresses are set."""

    def __init__(self, bitfile: str) -> None:
        from pynq import Overlay, allocate

        self.overlay = Overlay(bitfile)
        self.dma = getattr(self.overlay, DMA)
        self.weights = None
        if WEIGHT_PORTS:
            image = np.fromfile(Path(__file__).resolve().parent / WEIGHTS_FILE, dtype="<u8")
            self.weights = allocate(shape=image.shape, dtype=np.uint64)
            self.weights[:] = image
            self.weights.flush()
            shell = getattr(self.overlay, SHELL)
            regs = shell.register_map
            for port, offset in WEIGHT_PORTS:
                address = int(self.weights.device_address) + 8 * offset
                if hasattr(regs, port + "_1"):  # a 64-bit address: two 32-bit registers
                    setattr(regs, port + "_1", address & 0xFFFFFFFF)
                    setattr(regs, port + "_2", address >> 32)
                else:
                    setattr(regs, port, address)
            # only now, with every address in place, the block starts (and restarts itself)
            shell.write(CTRL, AP_START | AUTO_RESTART)

    def run(self, x: np.ndarray, chunk: int = 256) -> np.ndarray:
        """The generator's outputs for ``x``: up to ``chunk`` samples' inputs in one MM2S transfer,
        so that the pipeline holds several images at once (one sample at a time would run at
        1 / latency); the shell ends each output image with TLAST, which ends a simple-mode S2MM
        transfer, so one is armed per image."""
        from pynq import allocate

        words = encode(np.asarray(x))
        out = np.empty((len(words), OUT_BEATS), dtype=np.uint64)
        for start in range(0, len(words), chunk):
            part = words[start : start + chunk]
            n = len(part)
            in_buf = allocate(shape=(n * IN_BEATS,), dtype=np.uint64)
            out_buf = allocate(shape=(n, OUT_BEATS), dtype=np.uint64)
            in_buf[:] = part.reshape(-1)
            in_buf.flush()
            self.dma.recvchannel.transfer(out_buf[0])
            self.dma.sendchannel.transfer(in_buf)
            for i in range(n):
                self.dma.recvchannel.wait()
                if i + 1 < n:
                    self.dma.recvchannel.transfer(out_buf[i + 1])
            self.dma.sendchannel.wait()
            out_buf.invalidate()
            out[start : start + n] = out_buf
            in_buf.freebuffer()
            out_buf.freebuffer()
        return decode(out)
'''


def _ints(shape: tuple[int, ...] | None) -> str:
    return "None" if shape is None else repr(tuple(int(d) for d in shape))


def driver_text(spec: ShellSpec, layout: HostLayout) -> str:
    i, o = spec.inp.fixed, spec.out.fixed
    host_in = spec.inp.shape
    if layout.input_perm is not None:  # host shape: the device shape permuted back
        inverse = [layout.input_perm.index(k) for k in range(len(layout.input_perm))]
        host_in = tuple((0, *spec.inp.shape)[k] for k in inverse)[1:]
    return _fill(
        _DRIVER,
        TOP=spec.top,
        BD=BLOCK_DESIGN,
        DMA=DMA,
        HOST_IN=", ".join(str(d) for d in host_in),
        OUT_FRAC=o.frac,
        IN_W=i.width,
        IN_I=i.integer,
        IN_SIGNED=bool(i.signed),
        IN_ROUND=i.rounding,
        IN_SAT=i.saturation,
        OUT_W=o.width,
        OUT_I=o.integer,
        OUT_SIGNED=bool(o.signed),
        IN_SHAPE=_ints(spec.inp.shape),
        OUT_SHAPE=_ints(spec.out.shape),
        IN_PERM=_ints(layout.input_perm),
        OUT_PERM=_ints(layout.output_perm),
        IN_BEATS=spec.inp.beats,
        OUT_BEATS=spec.out.beats,
        IN_PER_BEAT=spec.inp.per_beat,
        OUT_PER_BEAT=spec.out.per_beat,
        WEIGHT_PORTS=repr(
            [(p.arg, at) for p, at in zip(spec.ddr_ports, spec.port_offsets(), strict=True)]
        ),
        WEIGHTS_FILE=WEIGHTS_FILE,
    )


# --------------------------------------------------------------------------- SHELL.md


def readme_text(spec: ShellSpec, board: Board | None, has_design: bool) -> str:
    i, o = spec.inp, spec.out
    kind = {True: "ap_fixed", False: "ap_ufixed"}
    lines = [
        f"# The AXI4-Stream shell of {spec.project}",
        "",
        "Written by fpgagan (`fpgagan/shell/top.py`). The Vitis HLS top is",
        f"`{spec.top}(in_beats, out_beats{''.join(', ' + p.arg for p in spec.ddr_ports)})`: 64-bit AXI4-Stream "
        "beats of raw integers, no float in the hardware; "
        + (
            "the block control in the AXI4-Lite bundle `control` (`ap_ctrl_hs`): the driver "
            "writes the weight ports' addresses, then CTRL = 0x81 (start, auto-restart), so no "
            "weight is fetched before its address is set."
            if spec.ddr_ports
            else "no control interface (`ap_ctrl_none`): it runs whenever beats arrive."
        ),
        "",
        f"- input: {i.n_values} values of `{kind[i.fixed.signed]}<{i.fixed.width},{i.fixed.integer}>`"
        f" ({i.fixed.rounding}, {i.fixed.saturation}), {i.per_beat} per beat, {i.beats} beats",
        f"- output: {o.n_values} values of `{kind[o.fixed.signed]}<{o.fixed.width},{o.fixed.integer}>`"
        f", {o.per_beat} per beat, {o.beats} beats, TLAST on the last",
        "",
        f"Files: `firmware/{spec.top}.h`, `firmware/{spec.top}.cpp`, `firmware/nnet_utils/nnet_fg_axis.h`,",
        f"`{spec.top}_test.cpp` (on `tb_data/{TB_INPUT_RAW}`, `tb_data/{TB_OUTPUT_RAW}`),",
        "`build_shell.tcl` (`vitis-run --mode hls --tcl build_shell.tcl`, or `vitis_hls -f",
        "build_shell.tcl` before Vitis 2023.2), `fpgagan_driver.py` + `fpgagan_codec.py` (PYNQ).",
        "",
    ]
    if spec.ddr_ports:
        lines += [
            f"Weights off chip: {len(spec.ddr_ports)} layer(s) read their weights from DDR through their",
            "own AXI4 master port (`m_axi`, 64-bit read bursts of 16 beats, 16 outstanding; each on",
            "its own PS high-performance port in `design.tcl`), base addresses in the AXI4-Lite bundle",
            f"`control`. `{WEIGHTS_FILE}` holds their images (little-endian 64-bit beats, each at a 4 KiB",
            "boundary); `fpgagan_driver.py` places it in DDR once and writes each port's address:",
            "",
            *(
                f"- `{p.arg}`: {p.beats} beats at beat {at} of the file"
                for p, at in zip(spec.ddr_ports, spec.port_offsets(), strict=True)
            ),
            "",
        ]
    if has_design:
        lines += [
            "`design.tcl` (`vivado -mode batch -source design.tcl`, after `build_shell.tcl`): the",
            "processing system, an AXI DMA and the shell; writes `fpgagan.bit` and `fpgagan.hwh`.",
        ]
    elif board is not None:
        lines += [
            f"No block design for {board.name}: the part has no processor. The IP that",
            "`build_shell.tcl` exports goes into the card's platform (Vitis `v++` linking with a",
            "DMA or host-memory streaming of your platform); `fpgagan_codec.py` is the host's",
            "packing for it.",
        ]
    return "\n".join(lines) + "\n"
