"""Measure open equivalents of the board design's vendor IP with yosys; write system_ip_costs.json.

    .venv/bin/python tools/calibrate_system_ip.py /path/to/verilog-axi      # a checkout
    .venv/bin/python tools/calibrate_system_ip.py /path/to/verilog-axi.git  # or a bare git dir
    .venv/bin/python tools/calibrate_system_ip.py --check /path/to/verilog-axi

A board design's block design (``fpgagan/shell/scripts.py``) has an AMD AXI DMA, two
SmartConnects and a ``proc_sys_reset`` whose resource tables are not available offline.  This
script synthesises *open, functionally equivalent* designs the same way as every unit of
``tools/calibrate_costs.py`` (``synth_xilinx -family xc7 -flatten``, the last ``stat`` counted by
that script's rules) and writes what it measured, with the library's commit and each design's
configuration, to ``fpgagan/hw/system_ip_costs.json``, which :mod:`fpgagan.hw.system` reads.
These are not AMD's netlists; AMD's IP may be larger or smaller.

- **AXI DMA** (PG021, simple / direct-register mode, MM2S + S2MM): Alex Forencich's
  ``verilog-axi`` ``axi_dma`` (``axi_dma_rd`` + ``axi_dma_wr``) at our configuration, driven by
  fpgagan's own AXI4-Lite register block (:data:`DMA_REGS_V`: DMACR, DMASR, address and length
  of each channel at PG021's offsets), both in one wrapper (:data:`DMA_TOP_V`);
- **SmartConnect DMA -> PS HP port** (PG247, 2 SI, 1 MI): the library's ``axi_crossbar``, 2 x 1,
  64-bit, MM2S read-only and S2MM write-only;
- **SmartConnect PS GP port -> DMA AXI4-Lite** (1 SI, 1 MI): with one slave, what it does is the
  AXI -> AXI4-Lite protocol conversion: the library's ``axi_axil_adapter``, 32-bit;
- **proc_sys_reset** (PG164): fpgagan's own Verilog (:data:`RESET_V`).

A design whose weights live off chip adds, per weight port, what Vitis HLS builds for
``#pragma HLS INTERFACE m_axi ... offset=slave`` (UG1399) and what the block design needs around it:

- **the m_axi read adapter** (64-bit data, 16-beat bursts): the library's ``axi_dma_rd`` (AXI
  read master -> AXI4-Stream, bursts split at 4 KB) behind fpgagan's own request register
  (:data:`WEIGHT_READ_V`: base address + word offset, length), with 32-bit addresses (Zynq-7000,
  ``syn.interface.m_axi_addr64=0``) and 64-bit ones (Vitis HLS's default); not AMD's adapter;
- **the base-address registers** of the ``s_axilite`` block (:data:`WEIGHT_REGS_V`, fpgagan's own:
  one address per port at Vitis HLS's offsets 0x10 + stride), for one and for two ports, so the
  first port's block and each further port's register can be told apart;
- **the memory-side SmartConnect's growth**: ``axi_crossbar`` with 3 and 4 slaves (MM2S, S2MM and
  1 or 2 read-only weight ports) -> 1, against the 2 x 1 above;
- **the control side's second AXI4-Lite slave**: the library's ``axil_crossbar``, 1 x 2, 32-bit.

The library is not part of fpgagan and is never copied into it: pass a checkout (or a bare git
directory) of https://github.com/alexforencich/verilog-axi.  Without the library or without yosys
the script says why and exits 0 without touching the table.  Running it again with the same
yosys and commit gives the same table; the file is only rewritten when a figure changes.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from fpgagan.io import write_json_atomic

if __package__ in (None, ""):  # run as a script: the repository root holds the tools package
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tools.calibrate_costs import (  # noqa: E402
    COUNTING,
    NOTE,
    CalibrationError,
    counts,
    parse_stat,
    yosys,
    yosys_version,
)

REPO = Path(__file__).resolve().parents[1]
TABLE = REPO / "fpgagan" / "hw" / "system_ip_costs.json"
LIBRARY = "alexforencich/verilog-axi"
OWN = "own.v"  # fpgagan's own Verilog of a design, written into the scratch folder
SCRIPT = "read_verilog {files}; {chparam}synth_xilinx -family xc7 -flatten -top {top}; stat"
COMMAND = (
    'yosys -p "read_verilog <library files> [own.v]; [chparam -set <P> <v> <top>;] '
    'synth_xilinx -family xc7 -flatten -top <top>; stat"'
)
WALL_S = 600.0
# yosys 0.23 rejects a width in a $display format ("%2d"): in the scratch copies only, such a
# specifier becomes "%d".  The messages are printed at elaboration and build no hardware.
_DISPLAY_WIDTH = re.compile(r"%0?[0-9]+d")

# fpgagan's own AXI4-Lite register block of an AXI DMA in direct register mode (PG021's register
# map without scatter-gather: DMACR, DMASR, source/destination address (+ its MSB word, read as
# 0 with 32-bit addresses) and length of each channel).  Writing a length while the channel runs
# issues one descriptor; the mover's status sets Idle and IOC_Irq (or an error bit and Err_Irq,
# halting the channel); the S2MM length register then holds the bytes received.
DMA_REGS_V = r"""
module fg_dma_channel #(parameter AW = 32, parameter LW = 26, parameter S2MM = 0) (
    input wire clk, input wire rst,
    input wire wr_cr, input wire wr_sr, input wire wr_addr, input wire wr_len,
    input wire [31:0] wdata,
    output wire [31:0] cr, output wire [31:0] sr,
    output reg [AW-1:0] addr, output reg [LW-1:0] len,
    output reg desc_valid, input wire desc_ready,
    input wire status_valid, input wire [3:0] status_error, input wire [LW-1:0] status_len,
    output wire run, output wire intr
);
    reg rs, soft_reset, ioc_en, err_en, idle, ioc, err;
    reg [2:0] err_kind;  // DMADecErr, DMASlvErr, DMAIntErr
    wire slverr = status_error == 4'd4 || status_error == 4'd6;
    wire decerr = status_error == 4'd5 || status_error == 4'd7;
    always @(posedge clk) begin
        if (rst || soft_reset) begin
            rs <= 0; soft_reset <= 0; ioc_en <= 0; err_en <= 0; idle <= 1; ioc <= 0; err <= 0;
            err_kind <= 0; desc_valid <= 0; addr <= 0; len <= 0;
        end else begin
            if (wr_cr) begin
                rs <= wdata[0]; soft_reset <= wdata[2]; ioc_en <= wdata[12]; err_en <= wdata[14];
            end
            if (wr_sr && wdata[12]) ioc <= 0;
            if (wr_sr && wdata[14]) err <= 0;
            if (wr_addr) addr <= wdata[AW-1:0];
            if (wr_len && rs) begin
                len <= wdata[LW-1:0]; desc_valid <= 1; idle <= 0;
            end
            if (desc_valid && desc_ready) desc_valid <= 0;
            if (status_valid) begin
                idle <= 1;
                if (status_error == 0) ioc <= 1;
                else begin
                    err <= 1; rs <= 0;
                    err_kind <= {decerr, slverr, !slverr && !decerr};
                end
                if (S2MM) len <= status_len;
            end
        end
    end
    assign cr = {17'd0, err_en, 1'b0, ioc_en, 9'd0, soft_reset, 1'b0, rs};
    assign sr = {17'd0, err, 1'b0, ioc, 5'd0, err_kind, 2'd0, idle, !rs};
    assign run = rs;
    assign intr = (ioc && ioc_en) || (err && err_en);
endmodule

module fg_dma_regs #(parameter AW = 32, parameter LW = 26) (
    input wire clk, input wire rst,
    input wire [6:0] s_axil_awaddr, input wire s_axil_awvalid, output wire s_axil_awready,
    input wire [31:0] s_axil_wdata, input wire [3:0] s_axil_wstrb, input wire s_axil_wvalid,
    output wire s_axil_wready,
    output wire [1:0] s_axil_bresp, output reg s_axil_bvalid, input wire s_axil_bready,
    input wire [6:0] s_axil_araddr, input wire s_axil_arvalid, output wire s_axil_arready,
    output reg [31:0] s_axil_rdata, output wire [1:0] s_axil_rresp, output reg s_axil_rvalid,
    input wire s_axil_rready,
    output wire [AW-1:0] rd_desc_addr, output wire [LW-1:0] rd_desc_len,
    output wire rd_desc_valid, input wire rd_desc_ready,
    input wire rd_status_valid, input wire [3:0] rd_status_error,
    output wire [AW-1:0] wr_desc_addr, output wire [LW-1:0] wr_desc_len,
    output wire wr_desc_valid, input wire wr_desc_ready,
    input wire wr_status_valid, input wire [3:0] wr_status_error, input wire [LW-1:0] wr_status_len,
    output wire read_enable, output wire write_enable,
    output wire mm2s_introut, output wire s2mm_introut
);
    // a write takes its address and data together; one response at a time
    wire wr = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    assign s_axil_awready = wr;
    assign s_axil_wready = wr;
    assign s_axil_bresp = 2'b00;
    assign s_axil_rresp = 2'b00;
    assign s_axil_arready = !s_axil_rvalid;
    wire [4:0] wa = s_axil_awaddr[6:2];
    wire [31:0] mm2s_cr, mm2s_sr, s2mm_cr, s2mm_sr;
    fg_dma_channel #(.AW(AW), .LW(LW), .S2MM(0)) mm2s (
        .clk(clk), .rst(rst), .wr_cr(wr && wa == 5'h00), .wr_sr(wr && wa == 5'h01),
        .wr_addr(wr && wa == 5'h06), .wr_len(wr && wa == 5'h0a), .wdata(s_axil_wdata),
        .cr(mm2s_cr), .sr(mm2s_sr), .addr(rd_desc_addr), .len(rd_desc_len),
        .desc_valid(rd_desc_valid), .desc_ready(rd_desc_ready), .status_valid(rd_status_valid),
        .status_error(rd_status_error), .status_len({LW{1'b0}}), .run(read_enable),
        .intr(mm2s_introut));
    fg_dma_channel #(.AW(AW), .LW(LW), .S2MM(1)) s2mm (
        .clk(clk), .rst(rst), .wr_cr(wr && wa == 5'h0c), .wr_sr(wr && wa == 5'h0d),
        .wr_addr(wr && wa == 5'h12), .wr_len(wr && wa == 5'h16), .wdata(s_axil_wdata),
        .cr(s2mm_cr), .sr(s2mm_sr), .addr(wr_desc_addr), .len(wr_desc_len),
        .desc_valid(wr_desc_valid), .desc_ready(wr_desc_ready), .status_valid(wr_status_valid),
        .status_error(wr_status_error), .status_len(wr_status_len), .run(write_enable),
        .intr(s2mm_introut));
    always @(posedge clk) begin
        if (rst) begin
            s_axil_bvalid <= 0; s_axil_rvalid <= 0; s_axil_rdata <= 0;
        end else begin
            if (wr) s_axil_bvalid <= 1;
            else if (s_axil_bready) s_axil_bvalid <= 0;
            if (s_axil_arvalid && !s_axil_rvalid) begin
                s_axil_rvalid <= 1;
                case (s_axil_araddr[6:2])
                    5'h00: s_axil_rdata <= mm2s_cr;
                    5'h01: s_axil_rdata <= mm2s_sr;
                    5'h06: s_axil_rdata <= rd_desc_addr;
                    5'h0a: s_axil_rdata <= rd_desc_len;
                    5'h0c: s_axil_rdata <= s2mm_cr;
                    5'h0d: s_axil_rdata <= s2mm_sr;
                    5'h12: s_axil_rdata <= wr_desc_addr;
                    5'h16: s_axil_rdata <= wr_desc_len;
                    default: s_axil_rdata <= 0;
                endcase
            end else if (s_axil_rready) s_axil_rvalid <= 0;
        end
    end
endmodule
"""

# The AXI DMA: the register block above driving the library's axi_dma (one AXI master with read
# and write channels; AMD's has one master per direction, joined by the SmartConnect below).
DMA_TOP_V = r"""
module fg_axi_dma_direct (
    input wire clk, input wire rst,
    input wire [6:0] s_axil_awaddr, input wire s_axil_awvalid, output wire s_axil_awready,
    input wire [31:0] s_axil_wdata, input wire [3:0] s_axil_wstrb, input wire s_axil_wvalid,
    output wire s_axil_wready, output wire [1:0] s_axil_bresp, output wire s_axil_bvalid,
    input wire s_axil_bready, input wire [6:0] s_axil_araddr, input wire s_axil_arvalid,
    output wire s_axil_arready, output wire [31:0] s_axil_rdata, output wire [1:0] s_axil_rresp,
    output wire s_axil_rvalid, input wire s_axil_rready,
    output wire [63:0] m_axis_mm2s_tdata, output wire [7:0] m_axis_mm2s_tkeep,
    output wire m_axis_mm2s_tvalid, input wire m_axis_mm2s_tready, output wire m_axis_mm2s_tlast,
    input wire [63:0] s_axis_s2mm_tdata, input wire [7:0] s_axis_s2mm_tkeep,
    input wire s_axis_s2mm_tvalid, output wire s_axis_s2mm_tready, input wire s_axis_s2mm_tlast,
    output wire [31:0] m_axi_awaddr, output wire [7:0] m_axi_awlen, output wire [2:0] m_axi_awsize,
    output wire [1:0] m_axi_awburst, output wire [3:0] m_axi_awcache,
    output wire [2:0] m_axi_awprot, output wire m_axi_awvalid, input wire m_axi_awready,
    output wire [63:0] m_axi_wdata, output wire [7:0] m_axi_wstrb, output wire m_axi_wlast,
    output wire m_axi_wvalid, input wire m_axi_wready, input wire [1:0] m_axi_bresp,
    input wire m_axi_bvalid, output wire m_axi_bready,
    output wire [31:0] m_axi_araddr, output wire [7:0] m_axi_arlen, output wire [2:0] m_axi_arsize,
    output wire [1:0] m_axi_arburst, output wire [3:0] m_axi_arcache,
    output wire [2:0] m_axi_arprot, output wire m_axi_arvalid, input wire m_axi_arready,
    input wire [63:0] m_axi_rdata, input wire [1:0] m_axi_rresp, input wire m_axi_rlast,
    input wire m_axi_rvalid, output wire m_axi_rready,
    output wire mm2s_introut, output wire s2mm_introut
);
    wire [31:0] rd_addr, wr_addr;
    wire [25:0] rd_len, wr_len, wr_status_len;
    wire rd_valid, rd_ready, wr_valid, wr_ready, rd_status_valid, wr_status_valid;
    wire [3:0] rd_status_error, wr_status_error;
    wire read_enable, write_enable;
    fg_dma_regs #(.AW(32), .LW(26)) regs (
        .clk(clk), .rst(rst),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awvalid(s_axil_awvalid),
        .s_axil_awready(s_axil_awready), .s_axil_wdata(s_axil_wdata),
        .s_axil_wstrb(s_axil_wstrb), .s_axil_wvalid(s_axil_wvalid),
        .s_axil_wready(s_axil_wready), .s_axil_bresp(s_axil_bresp),
        .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready),
        .s_axil_araddr(s_axil_araddr), .s_axil_arvalid(s_axil_arvalid),
        .s_axil_arready(s_axil_arready), .s_axil_rdata(s_axil_rdata),
        .s_axil_rresp(s_axil_rresp), .s_axil_rvalid(s_axil_rvalid),
        .s_axil_rready(s_axil_rready),
        .rd_desc_addr(rd_addr), .rd_desc_len(rd_len), .rd_desc_valid(rd_valid),
        .rd_desc_ready(rd_ready), .rd_status_valid(rd_status_valid),
        .rd_status_error(rd_status_error),
        .wr_desc_addr(wr_addr), .wr_desc_len(wr_len), .wr_desc_valid(wr_valid),
        .wr_desc_ready(wr_ready), .wr_status_valid(wr_status_valid),
        .wr_status_error(wr_status_error), .wr_status_len(wr_status_len),
        .read_enable(read_enable), .write_enable(write_enable),
        .mm2s_introut(mm2s_introut), .s2mm_introut(s2mm_introut));
    axi_dma #(
        .AXI_DATA_WIDTH(64), .AXI_ADDR_WIDTH(32), .AXI_ID_WIDTH(1), .AXI_MAX_BURST_LEN(16),
        .AXIS_DATA_WIDTH(64), .AXIS_KEEP_ENABLE(1), .AXIS_LAST_ENABLE(1), .AXIS_ID_ENABLE(0),
        .AXIS_DEST_ENABLE(0), .AXIS_USER_ENABLE(0), .LEN_WIDTH(26), .TAG_WIDTH(1),
        .ENABLE_SG(0), .ENABLE_UNALIGNED(0)
    ) dma (
        .clk(clk), .rst(rst),
        .s_axis_read_desc_addr(rd_addr), .s_axis_read_desc_len(rd_len),
        .s_axis_read_desc_tag(1'b0), .s_axis_read_desc_id(8'd0), .s_axis_read_desc_dest(8'd0),
        .s_axis_read_desc_user(1'b0), .s_axis_read_desc_valid(rd_valid),
        .s_axis_read_desc_ready(rd_ready),
        .m_axis_read_desc_status_tag(), .m_axis_read_desc_status_error(rd_status_error),
        .m_axis_read_desc_status_valid(rd_status_valid),
        .m_axis_read_data_tdata(m_axis_mm2s_tdata), .m_axis_read_data_tkeep(m_axis_mm2s_tkeep),
        .m_axis_read_data_tvalid(m_axis_mm2s_tvalid),
        .m_axis_read_data_tready(m_axis_mm2s_tready),
        .m_axis_read_data_tlast(m_axis_mm2s_tlast), .m_axis_read_data_tid(),
        .m_axis_read_data_tdest(), .m_axis_read_data_tuser(),
        .s_axis_write_desc_addr(wr_addr), .s_axis_write_desc_len(wr_len),
        .s_axis_write_desc_tag(1'b0), .s_axis_write_desc_valid(wr_valid),
        .s_axis_write_desc_ready(wr_ready),
        .m_axis_write_desc_status_len(wr_status_len), .m_axis_write_desc_status_tag(),
        .m_axis_write_desc_status_id(), .m_axis_write_desc_status_dest(),
        .m_axis_write_desc_status_user(), .m_axis_write_desc_status_error(wr_status_error),
        .m_axis_write_desc_status_valid(wr_status_valid),
        .s_axis_write_data_tdata(s_axis_s2mm_tdata), .s_axis_write_data_tkeep(s_axis_s2mm_tkeep),
        .s_axis_write_data_tvalid(s_axis_s2mm_tvalid),
        .s_axis_write_data_tready(s_axis_s2mm_tready),
        .s_axis_write_data_tlast(s_axis_s2mm_tlast), .s_axis_write_data_tid(8'd0),
        .s_axis_write_data_tdest(8'd0), .s_axis_write_data_tuser(1'b0),
        .m_axi_awid(), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
        .m_axi_awsize(m_axi_awsize), .m_axi_awburst(m_axi_awburst), .m_axi_awlock(),
        .m_axi_awcache(m_axi_awcache), .m_axi_awprot(m_axi_awprot),
        .m_axi_awvalid(m_axi_awvalid), .m_axi_awready(m_axi_awready),
        .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb), .m_axi_wlast(m_axi_wlast),
        .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready), .m_axi_bid(1'b0),
        .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid), .m_axi_bready(m_axi_bready),
        .m_axi_arid(), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst), .m_axi_arlock(),
        .m_axi_arcache(m_axi_arcache), .m_axi_arprot(m_axi_arprot),
        .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready), .m_axi_rid(1'b0),
        .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rlast(m_axi_rlast),
        .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready),
        .read_enable(read_enable), .write_enable(write_enable), .write_abort(1'b0));
endmodule
"""

# fpgagan's own processor-system reset after PG164's description: the external (active low, as
# the PS's FCLK_RESET0_N) and auxiliary (active high) resets and the debug reset synchronised;
# the external and auxiliary ones must stay asserted for 4 cycles (C_EXT_RST_WIDTH /
# C_AUX_RST_WIDTH) to count; a request, or dcm_locked low, asserts every output and holds it for at
# least 16 cycles; then a sequencer releases the bus-structure and interconnect resets, 16 cycles
# later the peripheral resets, 16 cycles after that mb_reset.
RESET_V = r"""
module fg_proc_sys_reset (
    input wire slowest_sync_clk, input wire ext_reset_in, input wire aux_reset_in,
    input wire mb_debug_sys_rst, input wire dcm_locked,
    output reg mb_reset, output reg bus_struct_reset, output reg peripheral_reset,
    output reg interconnect_aresetn, output reg peripheral_aresetn
);
    reg [1:0] ext_s, aux_s, dbg_s, lock_s;
    reg [3:0] ext_lpf, aux_lpf;
    reg [3:0] hold;   // the minimum reset width: 16 cycles
    reg [5:0] seq;    // the release sequence: 16 cycles a step
    wire request = &ext_lpf || &aux_lpf || dbg_s[1] || !lock_s[1];
    always @(posedge slowest_sync_clk) begin
        ext_s <= {ext_s[0], !ext_reset_in};
        aux_s <= {aux_s[0], aux_reset_in};
        dbg_s <= {dbg_s[0], mb_debug_sys_rst};
        lock_s <= {lock_s[0], dcm_locked};
        ext_lpf <= {ext_lpf[2:0], ext_s[1]};
        aux_lpf <= {aux_lpf[2:0], aux_s[1]};
        if (request || hold != 0) begin
            hold <= request ? 4'd15 : hold - 4'd1;
            seq <= 0;
            mb_reset <= 1; bus_struct_reset <= 1; peripheral_reset <= 1;
            interconnect_aresetn <= 0; peripheral_aresetn <= 0;
        end else begin
            if (seq != 6'd48) seq <= seq + 6'd1;
            if (seq == 6'd16) begin bus_struct_reset <= 0; interconnect_aresetn <= 1; end
            if (seq == 6'd32) begin peripheral_reset <= 0; peripheral_aresetn <= 1; end
            if (seq == 6'd48) mb_reset <= 0;
        end
    end
endmodule
"""

# fpgagan's own front end of an off-chip weight port's read master (the Vitis HLS m_axi read
# adapter computes its addresses itself: the base address from the s_axilite register plus the
# element offset of the request): a request (word offset, words) becomes one descriptor of the
# library's axi_dma_rd, which splits it into bursts of at most 16 beats (4 KB boundaries kept)
# and streams the 64-bit beats out.  Its status (errors) is not read, as the HLS adapter reports
# none to the kernel.
WEIGHT_READ_V = r"""
module fg_weight_read_master #(parameter AW = 32, parameter LW = 26) (
    input wire clk, input wire rst,
    input wire [AW-1:0] base_addr,
    input wire [LW-4:0] req_word, input wire [LW-4:0] req_words,
    input wire req_valid, output wire req_ready,
    output wire [63:0] m_axis_tdata, output wire m_axis_tvalid, input wire m_axis_tready,
    output wire [AW-1:0] m_axi_araddr, output wire [7:0] m_axi_arlen, output wire [2:0] m_axi_arsize,
    output wire [1:0] m_axi_arburst, output wire [3:0] m_axi_arcache,
    output wire [2:0] m_axi_arprot, output wire m_axi_arvalid, input wire m_axi_arready,
    input wire [63:0] m_axi_rdata, input wire [1:0] m_axi_rresp, input wire m_axi_rlast,
    input wire m_axi_rvalid, output wire m_axi_rready
);
    reg [AW-1:0] desc_addr;
    reg [LW-1:0] desc_len;
    reg desc_valid;
    wire desc_ready;
    assign req_ready = !desc_valid;
    always @(posedge clk) begin
        if (rst) begin
            desc_valid <= 0; desc_addr <= 0; desc_len <= 0;
        end else if (req_valid && !desc_valid) begin
            desc_addr <= base_addr + {req_word, 3'b000};
            desc_len <= {req_words, 3'b000};
            desc_valid <= 1;
        end else if (desc_ready) desc_valid <= 0;
    end
    axi_dma_rd #(
        .AXI_DATA_WIDTH(64), .AXI_ADDR_WIDTH(AW), .AXI_ID_WIDTH(1), .AXI_MAX_BURST_LEN(16),
        .AXIS_DATA_WIDTH(64), .AXIS_KEEP_ENABLE(1), .AXIS_LAST_ENABLE(1), .AXIS_ID_ENABLE(0),
        .AXIS_DEST_ENABLE(0), .AXIS_USER_ENABLE(0), .LEN_WIDTH(LW), .TAG_WIDTH(1),
        .ENABLE_SG(0), .ENABLE_UNALIGNED(0)
    ) rd (
        .clk(clk), .rst(rst),
        .s_axis_read_desc_addr(desc_addr), .s_axis_read_desc_len(desc_len),
        .s_axis_read_desc_tag(1'b0), .s_axis_read_desc_id(8'd0), .s_axis_read_desc_dest(8'd0),
        .s_axis_read_desc_user(1'b0), .s_axis_read_desc_valid(desc_valid),
        .s_axis_read_desc_ready(desc_ready),
        .m_axis_read_desc_status_tag(), .m_axis_read_desc_status_error(),
        .m_axis_read_desc_status_valid(),
        .m_axis_read_data_tdata(m_axis_tdata), .m_axis_read_data_tkeep(),
        .m_axis_read_data_tvalid(m_axis_tvalid), .m_axis_read_data_tready(m_axis_tready),
        .m_axis_read_data_tlast(), .m_axis_read_data_tid(), .m_axis_read_data_tdest(),
        .m_axis_read_data_tuser(),
        .m_axi_arid(), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
        .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst), .m_axi_arlock(),
        .m_axi_arcache(m_axi_arcache), .m_axi_arprot(m_axi_arprot),
        .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready), .m_axi_rid(1'b0),
        .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp), .m_axi_rlast(m_axi_rlast),
        .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready),
        .enable(1'b1));
endmodule
"""

# fpgagan's own s_axilite block of N weight ports' base addresses (``offset=slave``): Vitis HLS
# puts a pointer's address at 0x10 + stride * port (data_0, data_1 for 64-bit addresses, then a
# reserved word); byte strobes honoured; a write takes its address and data together, one
# response at a time, as fg_dma_regs.
WEIGHT_REGS_V = r"""
module fg_weight_regs #(parameter N = 1, parameter AW = 32) (
    input wire clk, input wire rst,
    input wire [6:0] s_axil_awaddr, input wire s_axil_awvalid, output wire s_axil_awready,
    input wire [31:0] s_axil_wdata, input wire [3:0] s_axil_wstrb, input wire s_axil_wvalid,
    output wire s_axil_wready, output wire [1:0] s_axil_bresp, output reg s_axil_bvalid,
    input wire s_axil_bready, input wire [6:0] s_axil_araddr, input wire s_axil_arvalid,
    output wire s_axil_arready, output reg [31:0] s_axil_rdata, output wire [1:0] s_axil_rresp,
    output reg s_axil_rvalid, input wire s_axil_rready,
    output wire [N*AW-1:0] base_addr
);
    localparam WORDS = AW / 32;     // 32-bit words of one address
    localparam STRIDE = WORDS + 1;  // and a reserved word after them
    reg [N*AW-1:0] regs;
    assign base_addr = regs;
    wire wr = s_axil_awvalid && s_axil_wvalid && !s_axil_bvalid;
    assign s_axil_awready = wr;
    assign s_axil_wready = wr;
    assign s_axil_bresp = 2'b00;
    assign s_axil_rresp = 2'b00;
    assign s_axil_arready = !s_axil_rvalid;
    wire [31:0] wmask = {{8{s_axil_wstrb[3]}}, {8{s_axil_wstrb[2]}}, {8{s_axil_wstrb[1]}},
                         {8{s_axil_wstrb[0]}}};
    integer i;
    always @(posedge clk) begin
        if (rst) begin
            regs <= 0; s_axil_bvalid <= 0; s_axil_rvalid <= 0; s_axil_rdata <= 0;
        end else begin
            for (i = 0; i < N * WORDS; i = i + 1)
                if (wr && s_axil_awaddr[6:2] == 4 + (i / WORDS) * STRIDE + i % WORDS)
                    regs[i*32 +: 32] <= (regs[i*32 +: 32] & ~wmask) | (s_axil_wdata & wmask);
            if (wr) s_axil_bvalid <= 1;
            else if (s_axil_bready) s_axil_bvalid <= 0;
            if (s_axil_arvalid && !s_axil_rvalid) begin
                s_axil_rvalid <= 1;
                s_axil_rdata <= 0;
                for (i = 0; i < N * WORDS; i = i + 1)
                    if (s_axil_araddr[6:2] == 4 + (i / WORDS) * STRIDE + i % WORDS)
                        s_axil_rdata <= regs[i*32 +: 32];
            end else if (s_axil_rready) s_axil_rvalid <= 0;
        end
    end
endmodule
"""


@dataclasses.dataclass(frozen=True)
class Ip:
    """One vendor IP and the open design measured in its place."""

    key: str  # the table's key, read by fpgagan.hw.system
    equivalent_of: str
    top: str
    module: str  # the library's module measured ("" for fpgagan's own Verilog alone)
    library_files: tuple[str, ...]  # paths inside the library
    own: str  # fpgagan's own Verilog ("" for none)
    params: tuple[tuple[str, str], ...]  # chparam -set on the top
    config: str


CROSSBAR_FILES = (
    "rtl/axi_crossbar.v",
    "rtl/axi_crossbar_addr.v",
    "rtl/axi_crossbar_rd.v",
    "rtl/axi_crossbar_wr.v",
    "rtl/axi_register_rd.v",
    "rtl/axi_register_wr.v",
    "rtl/arbiter.v",
    "rtl/priority_encoder.v",
)
AXIL_CROSSBAR_FILES = (
    "rtl/axil_crossbar.v",
    "rtl/axil_crossbar_addr.v",
    "rtl/axil_crossbar_rd.v",
    "rtl/axil_crossbar_wr.v",
    "rtl/axil_register_rd.v",
    "rtl/axil_register_wr.v",
    "rtl/arbiter.v",
    "rtl/priority_encoder.v",
)
# Vitis HLS's m_axi read side as measured here: 64-bit data, max_read_burst_length 16 (UG1399's
# default), lengths up to 2^26 bytes (a weight image)
WEIGHT_PORT_CONFIG = (
    "AXI_DATA_WIDTH=64 AXIS_DATA_WIDTH=64 AXI_MAX_BURST_LEN=16 LEN_WIDTH=26 AXI_ID_WIDTH=1 "
    "TAG_WIDTH=1 AXIS_KEEP_ENABLE=1 AXIS_LAST_ENABLE=1 AXIS_ID/DEST/USER_ENABLE=0 ENABLE_SG=0 "
    "ENABLE_UNALIGNED=0"
)


def mem_crossbar(weight_ports: int) -> Ip:
    """The memory-side SmartConnect: the DMA's MM2S (read) and S2MM (write) and
    ``weight_ports`` read-only weight ports -> the PS's high-performance port."""
    n = 2 + weight_ports
    slaves = ["slave 0 (MM2S) read-only", "slave 1 (S2MM) write-only"] + [
        f"slave {2 + i} (weight port {i}) read-only" for i in range(weight_ports)
    ]
    weights = (
        f", {weight_ports} weight port{'s' if weight_ports > 1 else ''}" if weight_ports else ""
    )
    read = "1" * weight_ports + "01"
    write = "0" * weight_ports + "10"
    return Ip(
        "mem_interconnect" if not weight_ports else f"mem_interconnect_{n}",
        f"AMD SmartConnect v1.0 (PG247), {n} SI (DMA MM2S, S2MM{weights}) -> 1 MI (PS "
        "high-performance port)",
        "axi_crossbar",
        "axi_crossbar",
        CROSSBAR_FILES,
        "",
        (
            ("S_COUNT", str(n)),
            ("M_COUNT", "1"),
            ("DATA_WIDTH", "64"),
            ("ADDR_WIDTH", "32"),
            ("S_ID_WIDTH", "1"),
            ("M_ADDR_WIDTH", "32"),
            ("M_CONNECT_READ", f"{n}'b{read}"),
            ("M_CONNECT_WRITE", f"{n}'b{write}"),
        ),
        f"axi_crossbar S_COUNT={n} M_COUNT=1 DATA_WIDTH=64 ADDR_WIDTH=32 S_ID_WIDTH=1 "
        f"M_ADDR_WIDTH=32 (the whole address space), {', '.join(slaves)}; the library's defaults "
        "otherwise (S_THREADS=2, S_ACCEPT=16, M_ISSUE=4, its default register slices)",
    )


def weight_read_master(addr_bits: int) -> Ip:
    """One weight port's m_axi read side with ``addr_bits``-bit addresses."""
    return Ip(
        f"axi_read_master_a{addr_bits}",
        "the read side of Vitis HLS's m_axi adapter for one weight port (offset=slave, 64-bit "
        "data, 16-beat bursts); an open design doing the same work, not AMD's HLS adapter, whose "
        "netlist Vitis HLS generates",
        "fg_weight_read_master",
        "axi_dma_rd",
        ("rtl/axi_dma_rd.v",),
        WEIGHT_READ_V,
        (("AW", str(addr_bits)),),
        f"axi_dma_rd AXI_ADDR_WIDTH={addr_bits} {WEIGHT_PORT_CONFIG}, its status unread, behind "
        f"fpgagan's own request register (fg_weight_read_master AW={addr_bits}: base address "
        "+ word offset, length in 64-bit words)",
    )


def weight_regs(ports: int, addr_bits: int) -> Ip:
    """The s_axilite block holding ``ports`` weight ports' ``addr_bits``-bit base addresses."""
    return Ip(
        f"weight_port_regs_{ports}_a{addr_bits}",
        "the base-address registers Vitis HLS puts in the s_axilite block for m_axi "
        "offset=slave ports (UG1399)",
        "fg_weight_regs",
        "",
        (),
        WEIGHT_REGS_V,
        (("N", str(ports)), ("AW", str(addr_bits))),
        f"fpgagan's own fg_weight_regs N={ports} AW={addr_bits}: {ports} base address"
        f"{'es' if ports > 1 else ''} of {addr_bits} bits at 0x10 + {4 * (addr_bits // 32 + 1)} "
        "x port, byte strobes, and the AXI4-Lite slave (7-bit register address)",
    )


IPS = (
    Ip(
        "axi_dma",
        "AMD AXI DMA v7.1 (PG021), simple / direct-register mode, MM2S + S2MM",
        "fg_axi_dma_direct",
        "axi_dma",
        ("rtl/axi_dma.v", "rtl/axi_dma_rd.v", "rtl/axi_dma_wr.v"),
        DMA_REGS_V + DMA_TOP_V,
        (),
        "axi_dma AXI_DATA_WIDTH=64 AXIS_DATA_WIDTH=64 AXI_ADDR_WIDTH=32 AXI_MAX_BURST_LEN=16 "
        "LEN_WIDTH=26 AXI_ID_WIDTH=1 TAG_WIDTH=1 AXIS_KEEP_ENABLE=1 AXIS_LAST_ENABLE=1 "
        "AXIS_ID/DEST/USER_ENABLE=0 ENABLE_SG=0 ENABLE_UNALIGNED=0 (both directions), behind "
        "fpgagan's own AXI4-Lite register block (fg_dma_regs: DMACR, DMASR, address, length per "
        "channel at PG021's offsets, 7-bit register address)",
    ),
    Ip(
        "axi_dma_registers",
        "the AXI4-Lite register block of AMD's AXI DMA in direct register mode (part of axi_dma)",
        "fg_dma_regs",
        "",
        (),
        DMA_REGS_V,
        (),
        "fpgagan's own fg_dma_regs, AW=32 LW=26: 2 x (DMACR, DMASR, address, length) and the "
        "AXI4-Lite slave; included in axi_dma's figure, listed for the breakdown",
    ),
    mem_crossbar(0),
    Ip(
        "ctrl_interconnect",
        "AMD SmartConnect v1.0 (PG247), 1 SI (PS general-purpose port, AXI) -> 1 MI (the DMA's "
        "AXI4-Lite): with one slave, an AXI -> AXI4-Lite protocol converter",
        "axi_axil_adapter",
        "axi_axil_adapter",
        ("rtl/axi_axil_adapter.v", "rtl/axi_axil_adapter_rd.v", "rtl/axi_axil_adapter_wr.v"),
        "",
        (
            ("ADDR_WIDTH", "32"),
            ("AXI_DATA_WIDTH", "32"),
            ("AXI_ID_WIDTH", "12"),
            ("AXIL_DATA_WIDTH", "32"),
            ("CONVERT_BURST", "1"),
        ),
        "axi_axil_adapter ADDR_WIDTH=32 AXI_DATA_WIDTH=32 AXI_ID_WIDTH=12 (the Zynq-7000 GP "
        "port's ID width) AXIL_DATA_WIDTH=32 CONVERT_BURST=1",
    ),
    Ip(
        "proc_sys_reset",
        "AMD Processor System Reset v5.0 (PG164)",
        "fg_proc_sys_reset",
        "",
        (),
        RESET_V,
        (),
        "fpgagan's own fg_proc_sys_reset: 2-stage synchronisers on ext_reset_in (active low), "
        "aux_reset_in, mb_debug_sys_rst and dcm_locked; 4-cycle minimum width on the external "
        "and auxiliary resets; 16-cycle minimum assertion; release sequence bus_struct_reset + "
        "interconnect_aresetn, then peripheral_reset + peripheral_aresetn, then mb_reset, 16 "
        "cycles apart; one output of each",
    ),
    weight_read_master(32),
    weight_read_master(64),
    weight_regs(1, 32),
    weight_regs(2, 32),
    weight_regs(1, 64),
    weight_regs(2, 64),
    mem_crossbar(1),
    mem_crossbar(2),
    Ip(
        "ctrl_interconnect_2",
        "AMD SmartConnect v1.0 (PG247) on the control side with a second slave (the "
        "accelerator's s_axilite beside the DMA's registers): the AXI4-Lite crossbar it adds "
        "after the AXI -> AXI4-Lite conversion (ctrl_interconnect)",
        "axil_crossbar",
        "axil_crossbar",
        AXIL_CROSSBAR_FILES,
        "",
        (("S_COUNT", "1"), ("M_COUNT", "2"), ("DATA_WIDTH", "32"), ("ADDR_WIDTH", "32")),
        "axil_crossbar S_COUNT=1 M_COUNT=2 DATA_WIDTH=32 ADDR_WIDTH=32; the library's defaults "
        "otherwise (24-bit windows at automatic base addresses, S_ACCEPT=16, M_ISSUE=16, its "
        "default register slices)",
    ),
)


class LibraryMissing(Exception):
    """The library's path holds no checkout and no git directory of it."""


class Library:
    """A checkout or a bare git directory of verilog-axi: its files and commit."""

    def __init__(self, path: Path) -> None:
        self.path = path
        if (path / "rtl" / "axi_dma.v").is_file():
            self._git = ["git", "-C", str(path)]
            self._bare = False
        elif (path / "HEAD").is_file() and (path / "objects").is_dir():
            self._git = ["git", "--git-dir", str(path)]
            self._bare = True
        else:
            raise LibraryMissing(f"{path} is neither a checkout nor a git directory of {LIBRARY}")
        self.commit = self._run("rev-parse", "HEAD") or "unknown (not a git checkout)"
        if self._bare and not self._run("cat-file", "-e", "HEAD:rtl/axi_dma.v", check=True):
            raise LibraryMissing(f"{path} has no rtl/axi_dma.v at HEAD: not {LIBRARY}")

    def _run(self, *args: str, check: bool = False) -> str | None:
        proc = subprocess.run([*self._git, *args], capture_output=True, text=True)
        if proc.returncode != 0:
            return None
        return proc.stdout.strip() if not check else "ok"

    def text(self, rel: str) -> str:
        """A file's text, its $display widths removed (see :data:`_DISPLAY_WIDTH`)."""
        if self._bare:
            text = subprocess.run(
                [*self._git, "show", f"HEAD:{rel}"], capture_output=True, text=True, check=True
            ).stdout
        else:
            text = (self.path / rel).read_text()
        return "\n".join(
            _DISPLAY_WIDTH.sub("%d", ln) if "$display" in ln else ln for ln in text.split("\n")
        )


def script(ip: Ip) -> str:
    files = [Path(f).name for f in ip.library_files] + ([OWN] if ip.own else [])
    chparam = "".join(f"chparam -set {k} {v} {ip.top}; " for k, v in ip.params)
    return SCRIPT.format(files=" ".join(files), chparam=chparam, top=ip.top)


def measure(ip: Ip, lib: Library) -> dict[str, Any]:
    """Synthesise one design in a scratch folder; its table entry."""
    with tempfile.TemporaryDirectory(prefix="fpgagan-system-ip-") as tmp:
        for rel in ip.library_files:
            (Path(tmp) / Path(rel).name).write_text(lib.text(rel))
        if ip.own:
            (Path(tmp) / OWN).write_text(ip.own)
        proc = subprocess.run(
            [yosys(), "-p", script(ip)], cwd=tmp, capture_output=True, text=True, timeout=WALL_S
        )
    if proc.returncode != 0:
        errors = [ln for ln in (proc.stdout + proc.stderr).splitlines() if "ERROR" in ln]
        raise CalibrationError(f"yosys failed on {ip.top}: {errors[-1:] or proc.returncode}")
    cells = parse_stat(proc.stdout)
    return {
        "equivalent_of": ip.equivalent_of,
        "top": ip.top,
        "library_module": ip.module,
        "library_files": list(ip.library_files),
        "own_verilog": bool(ip.own),
        "config": ip.config,
        "script": script(ip),
        "counts": counts(cells),
        "cells": dict(sorted(cells.items())),
    }


def measure_all(lib: Library) -> dict[str, Any]:
    return {
        "generated_by": "tools/calibrate_system_ip.py",
        "date": datetime.date.today().isoformat(),
        "yosys_version": yosys_version(),
        "library": {"repo": LIBRARY, "commit": lib.commit, "license": "MIT"},
        "command": COMMAND,
        "scratch_copies": "the library's files as at the commit, except that a width in a "
        "$display format (%2d) becomes %d: yosys 0.23 rejects it; the messages build no hardware",
        "counting": COUNTING,
        "note": (
            "open, functionally equivalent designs synthesised for the 7 series, not AMD's IP: "
            "AMD's netlists may be larger or smaller. " + NOTE
        ),
        "ip": {ip.key: measure(ip, lib) for ip in IPS},
    }


def _figures(table: dict[str, Any]) -> dict[str, Any]:
    """What a re-run must reproduce: everything but the date."""
    return {k: v for k, v in table.items() if k != "date"}


def calibrate(lib: Library, path: Path, check: bool) -> tuple[bool, list[str]]:
    """Measure; write ``path`` when a figure changed (not with ``check``).  (changed, diffs)."""
    new = measure_all(lib)
    old = json.loads(path.read_text()) if path.is_file() else None
    if old is not None and _figures(old) == _figures(new):
        return False, []
    diffs = [f"{path.name}: missing"] if old is None else []
    if old is not None:
        for key, entry in new["ip"].items():
            was = old["ip"].get(key, {}).get("counts")
            if was != entry["counts"]:
                diffs.append(f"{key}: {was} -> {entry['counts']}")
        if old["library"]["commit"] != new["library"]["commit"]:
            diffs.append(f"commit {old['library']['commit']} -> {new['library']['commit']}")
    if not diffs:
        diffs.append("the counts match; a configuration, script or the yosys version differs")
    if not check:
        write_json_atomic(path, new)
    return True, diffs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path, help=f"a checkout or git directory of {LIBRARY}")
    parser.add_argument("--check", action="store_true", help="compare with the table, write none")
    parser.add_argument("--table", type=Path, default=TABLE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        lib = Library(args.library)
        yosys()
    except (LibraryMissing, CalibrationError) as exc:
        print(f"skipped: {exc}; {args.table.name} left as it is")
        return 0
    try:
        changed, diffs = calibrate(lib, args.table, args.check)
    except CalibrationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    if args.check:
        print("\n".join(diffs) or f"every design matches {args.table.name}")
        return 1 if diffs else 0
    print(f"{args.table} {'written' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
