"""fpgagan's AXI4-Stream shell, written into an hls4ml Vitis project after hls4ml writes it.

hls4ml's top ``myproject(hls::stream<input_t>&, hls::stream<result_t>&)`` streams one pixel's
channels per element.  The shell ``myproject_axi`` puts a 64-bit AXI4-Stream on each side: the
host (an AXI DMA) sends the *raw integers* of the input type, whole pixels to a beat where one
fits (:func:`fpgagan.hw.system.values_per_beat`; else ``floor(64 / W)`` values), and
receives the raw integers of the output type the same way (``hls_templates/nnet_utils/
nnet_fg_axis.h``; the host's half is :mod:`fpgagan.shell.host_codec`).  No float reaches the
hardware: the host quantizes exactly as the model's first quantizer does.

Files (:func:`write_shell`), beside hls4ml's:

- ``firmware/myproject_axi.{h,cpp}``: the top (Vitis HLS pragmas of UG1399 only),
  ``firmware/nnet_utils/nnet_fg_axis.h``;
- ``myproject_axi_test.cpp``: its test bench, on ``tb_data/tb_{input,output}_raw.dat``
  (:func:`write_shell_data`), exact comparison of every output integer;
- ``build_shell.tcl``, ``design.tcl`` (Zynq boards), ``fpgagan_driver.py`` + ``fpgagan_codec.py``
  (PYNQ) and ``SHELL.md``, from :mod:`fpgagan.shell.scripts`.

Only numbers and fpgagan's own identifiers go into the generated C++ and Tcl.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np

from fpgagan.boards import Board, check_part
from fpgagan.errors import SimulationError, UnsupportedModelError
from fpgagan.export.host_layout import HostLayout
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hls.offchip_ports import MAX_READ_BURST, ddr_port
from fpgagan.hls.register import header_dir
from fpgagan.hw.offchip import BEAT_BITS, ddr_image
from fpgagan.hw.system import READ_OUTSTANDING
from fpgagan.io import atomic_path, write_text_atomic
from fpgagan.shell.host_codec import MAX_WIDTH, ROUNDINGS, SATURATIONS, FixedType, to_raw
from fpgagan.shell.scripts import (
    TB_INPUT_RAW,
    TB_OUTPUT_RAW,
    WEIGHTS_FILE,
    build_tcl,
    design_tcl,
    driver_text,
    readme_text,
)
from fpgagan.shell.spec import Port, ShellSpec

HEADER = "nnet_fg_axis.h"
NATIVE_AXIS = "FPGAGAN_NATIVE_AXIS"  # g++ builds: a stand-in for ap_axi_sdata.h's hls::axis
STREAM_DEPTH = (
    2  # between the shell's loops and the network: each side moves at most an element a cycle
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def _fixed(var, where: str, exact_mode: bool) -> FixedType:
    """The FixedType of hls4ml variable ``var``'s precision (rounding and saturation only where
    the host reproduces them: the input)."""
    p = var.type.precision
    width, integer, signed = (getattr(p, a, None) for a in ("width", "integer", "signed"))
    if not isinstance(width, int) or not isinstance(integer, int) or signed is None:
        raise UnsupportedModelError(f"{where}: type {p} is not a fixed-point type")
    if not 1 <= width <= MAX_WIDTH:
        raise UnsupportedModelError(f"{where}: type {p} is wider than {MAX_WIDTH} bits")
    if not exact_mode:
        return FixedType(width, integer, bool(signed))  # decoding reads width, frac, sign only
    rounding = getattr(p.rounding_mode, "name", str(p.rounding_mode))
    saturation = getattr(p.saturation_mode, "name", str(p.saturation_mode))
    if rounding not in ROUNDINGS or saturation not in SATURATIONS:
        raise UnsupportedModelError(
            f"{where}: type {p} has no host codec (rounding {', '.join(ROUNDINGS)}; "
            f"saturation {', '.join(SATURATIONS)})"
        )
    return FixedType(width, integer, bool(signed), rounding, saturation)


def _port(var, where: str, exact_mode: bool) -> Port:
    t = var.type
    name = getattr(t, "name", None)
    n_elem, n_pack = getattr(t, "n_elem", None), getattr(t, "n_pack", None)
    if not isinstance(name, str) or not _IDENTIFIER.match(name) or n_elem is None:
        raise UnsupportedModelError(f"{where}: the shell needs an io_stream project")
    if n_pack != 1 or getattr(t, "unpack", False):
        raise UnsupportedModelError(f"{where}: packed stream types are not supported by the shell")
    shape = tuple(int(d) for d in var.shape)
    if math.prod(shape) % int(n_elem):
        raise UnsupportedModelError(f"{where}: {math.prod(shape)} values in elements of {n_elem}")
    return Port(name, _fixed(var, where, exact_mode), shape, int(n_elem))


def shell_spec(hls_model) -> ShellSpec:
    """The shell of a written hls4ml io_stream project with one input and one output."""
    config = hls_model.config
    if config.get_config_value("IOType") != "io_stream":
        raise UnsupportedModelError("the AXI4-Stream shell needs an io_stream project")
    ins, outs = hls_model.get_input_variables(), hls_model.get_output_variables()
    if len(ins) != 1 or len(outs) != 1:
        raise UnsupportedModelError("the AXI4-Stream shell needs one input and one output")
    project = config.get_project_name()
    if not _IDENTIFIER.match(project):
        raise UnsupportedModelError(f"project name {project[:40]!r} is not a C identifier")
    try:
        part = check_part(config.get_config_value("Part"))
    except ValueError as exc:
        raise UnsupportedModelError(str(exc)) from None
    period = float(config.get_config_value("ClockPeriod"))
    if not math.isfinite(period) or period <= 0:
        raise UnsupportedModelError(f"clock period must be finite and positive, got {period}")
    return ShellSpec(
        project,
        _port(ins[0], "network input", exact_mode=True),
        _port(outs[0], "network output", exact_mode=False),
        part,
        period,
        tuple(ddr_port(n) for n in engine_layers(hls_model) if n.shape().offchip),
    )


def weights_image(hls_model, spec: ShellSpec) -> np.ndarray:
    """The file the PYNQ driver places in DDR: every off-chip layer's image (uint64 beats,
    little-endian) at :meth:`ShellSpec.port_offsets`, zeros between them."""
    layers = {int(n.index): n for n in engine_layers(hls_model)}
    offsets = spec.port_offsets()
    end = offsets[-1] + spec.ddr_ports[-1].beats if spec.ddr_ports else 0
    out = np.zeros(end, np.uint64)
    for port, at in zip(spec.ddr_ports, offsets, strict=True):
        node = layers[port.index]
        image = ddr_image(node.get_attr("rom_weights"), node.shape())
        out[at : at + image.size] = image
    return out


# --------------------------------------------------------------------------- C++


def _config(name: str, port: Port, what: str) -> str:
    f = port.fixed
    kind = "ap_fixed" if f.signed else "ap_ufixed"
    return f"""\
// {what}: {port.n_values} values of {kind}<{f.width},{f.integer}> per sample ({port.type_name},
// {port.elem_values} per stream element), {port.per_beat} per beat in {port.beats} beats
struct {name} {{
    static const unsigned width = {f.width};
    static const unsigned n_values = {port.n_values};
    static const unsigned elem_values = {port.elem_values};
    static const unsigned per_beat = {port.per_beat};
    static const unsigned step = {port.step};  // gcd(elem_values, per_beat): values per cycle
    static const unsigned beats = {port.beats};
    static const bool is_signed = {"true" if f.signed else "false"};
}};
"""


def header_text(spec: ShellSpec) -> str:
    guard = f"{spec.top.upper()}_H_"
    return f"""\
// Written by fpgagan (fpgagan/shell/top.py): the AXI4-Stream shell of {spec.project}.
// Raw integers of the network's input and output types on 64-bit beats; see nnet_fg_axis.h.
#ifndef {guard}
#define {guard}

#include "{spec.project}.h"
#include "nnet_utils/{HEADER}"

typedef nnet::fg::axis_beat fg_beat_t;

{_config("fg_axis_in", spec.inp, "input")}
{_config("fg_axis_out", spec.out, "output")}
void {spec.top}(hls::stream<fg_beat_t> &in_beats, hls::stream<fg_beat_t> &out_beats{spec.port_args(True)});

#endif
"""


def _port_pragmas(spec: ShellSpec) -> str:
    """The weight ports: AXI4 masters reading bursts (64-bit, read-only: the write side trimmed),
    their base addresses in AXI4-Lite; and the block control.  Without weight ports the shell is
    free-running (``ap_ctrl_none``); with them it starts from its ``control`` register block
    (``ap_ctrl_hs``) once the driver has written the addresses: a free-running top would fetch
    weights from address 0 between reset and the driver's writes (and C/RTL co-simulation does
    not take ``ap_ctrl_none`` with m_axi ports, UG1399)."""
    if not spec.ddr_ports:
        return "    #pragma HLS INTERFACE mode=ap_ctrl_none port=return\n"
    lines = []
    for p in spec.ddr_ports:
        lines.append(
            f"    #pragma HLS INTERFACE mode=m_axi port={p.arg} offset=slave bundle={p.arg} "
            f"depth={p.beats} max_read_burst_length={MAX_READ_BURST} "
            f"num_read_outstanding={READ_OUTSTANDING} max_widen_bitwidth={BEAT_BITS} "
            "num_write_outstanding=1 max_write_burst_length=2"
        )
        lines.append(f"    #pragma HLS INTERFACE mode=s_axilite port={p.arg} bundle=control")
    lines.append("    #pragma HLS INTERFACE mode=s_axilite port=return bundle=control")
    return "".join(line + "\n" for line in lines)


def source_text(spec: ShellSpec) -> str:
    call_ports = "".join(f", {p.arg}" for p in spec.ddr_ports)
    ports_note = (
        f"// Weight ports: {len(spec.ddr_ports)} AXI4 master(s) reading the off-chip layers' DDR images\n"
        "// (their base addresses in the AXI4-Lite bundle `control`; fpgagan_driver.py sets them,\n"
        "// then starts the block with auto-restart: CTRL = 0x81).\n"
        if spec.ddr_ports
        else ""
    )
    return f"""\
// Written by fpgagan (fpgagan/shell/top.py): the top of the Vitis HLS IP.  Ports in_beats and
// out_beats (not `in`/`out`: reserved words in VHDL, renamed by the tool) are AXI4-Stream; no
// control interface: the dataflow runs whenever beats arrive.  Three processes: unpack (one beat
// per cycle at most), the network, pack.  The streams between them hold {STREAM_DEPTH} elements: pack takes
// an output element every {spec.out.elem_values // spec.out.step} cycle(s), as fast as the network can write one.
{ports_note}#include "{spec.top}.h"

void {spec.top}(hls::stream<fg_beat_t> &in_beats, hls::stream<fg_beat_t> &out_beats{spec.port_args(False)}) {{
    #pragma HLS INTERFACE mode=axis port=in_beats
    #pragma HLS INTERFACE mode=axis port=out_beats
{_port_pragmas(spec)}    #pragma HLS DATAFLOW

    hls::stream<{spec.inp.type_name}> fg_axis_x("fg_axis_x");
    #pragma HLS STREAM variable=fg_axis_x depth={STREAM_DEPTH}
    hls::stream<{spec.out.type_name}> fg_axis_y("fg_axis_y");
    #pragma HLS STREAM variable=fg_axis_y depth={STREAM_DEPTH}

    nnet::fg::axis_unpack<{spec.inp.type_name}, fg_axis_in>(in_beats, fg_axis_x);
    {spec.project}(fg_axis_x, fg_axis_y{call_ports});
    nnet::fg::axis_pack<{spec.out.type_name}, fg_axis_out>(fg_axis_y, out_beats);
}}
"""


def test_bench_text(spec: ShellSpec) -> str:
    return f"""\
// Written by fpgagan (fpgagan/shell/top.py): test bench of {spec.top} for Vitis HLS C simulation
// and C/RTL co-simulation (and fpgagan's g++ check).  Each line of tb_data/{TB_INPUT_RAW} is one
// sample's input integers, the same line of tb_data/{TB_OUTPUT_RAW} the integers the C
// simulation computed; the beats are packed and unpacked here with plain 64-bit arithmetic, apart
// from the shell's own code.  Every output integer must be equal; returns 1 on any mismatch.
#include <cstddef>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "firmware/{spec.top}.h"
#include "firmware/nnet_utils/nnet_helpers.h"

// hls4ml's layer tracing (nnet_helpers.h declares these; a project fpgagan traced calls it):
// off in this test bench
namespace nnet {{
bool trace_enabled = false;
std::map<std::string, void *> *trace_outputs = nullptr;
std::size_t trace_type_size = 0; // read only while tracing
}} // namespace nnet

static bool read_row(std::ifstream &file, std::vector<long long> &row) {{
    std::string line;
    if (!std::getline(file, line))
        return false;
    row.clear();
    std::istringstream values(line);
    long long v;
    while (values >> v)
        row.push_back(v);
    return true;
}}

static unsigned long long field_mask(unsigned width) {{ return (1ULL << width) - 1ULL; }}

int main() {{
    std::ifstream fin("tb_data/{TB_INPUT_RAW}");
    std::ifstream fexp("tb_data/{TB_OUTPUT_RAW}");
    if (!fin.is_open() || !fexp.is_open()) {{
        std::printf("ERROR: cannot open tb_data/{TB_INPUT_RAW} and tb_data/{TB_OUTPUT_RAW}\\n");
        return 2;
    }}
    const unsigned in_w = fg_axis_in::width, out_w = fg_axis_out::width;
    long samples = 0, mismatches = 0;
    std::vector<long long> x, y;
    while (read_row(fin, x) && read_row(fexp, y)) {{
        if (x.size() != fg_axis_in::n_values || y.size() != fg_axis_out::n_values) {{
            std::printf("ERROR: sample %ld has %u inputs and %u outputs, expected %u and %u\\n",
                        samples, (unsigned)x.size(), (unsigned)y.size(), fg_axis_in::n_values,
                        fg_axis_out::n_values);
            return 2;
        }}
        hls::stream<fg_beat_t> in_beats("tb_in_beats"), out_beats("tb_out_beats");
        for (unsigned b = 0; b < fg_axis_in::beats; b++) {{
            unsigned long long word = 0;
            for (unsigned j = 0; j < fg_axis_in::per_beat; j++) {{
                unsigned k = b * fg_axis_in::per_beat + j;
                if (k < fg_axis_in::n_values)
                    word |= ((unsigned long long)x[k] & field_mask(in_w)) << (j * in_w);
            }}
            fg_beat_t beat;
            beat.data = word;
            beat.keep = -1;
            beat.strb = -1;
            beat.last = b + 1 == fg_axis_in::beats;
            in_beats.write(beat);
        }}
        {spec.top}(in_beats, out_beats);
        for (unsigned b = 0; b < fg_axis_out::beats; b++) {{
            if (out_beats.empty()) {{
                std::printf("ERROR: sample %ld: %u of %u output beats\\n", samples, b, fg_axis_out::beats);
                return 1;
            }}
            fg_beat_t beat = out_beats.read();
            unsigned long long word = beat.data.to_uint64();
            if ((beat.last == 1) != (b + 1 == fg_axis_out::beats)) {{
                std::printf("ERROR: sample %ld beat %u: TLAST %d\\n", samples, b, (int)beat.last);
                mismatches++;
            }}
            for (unsigned j = 0; j < fg_axis_out::per_beat; j++) {{
                unsigned k = b * fg_axis_out::per_beat + j;
                unsigned long long got = (word >> (j * out_w)) & field_mask(out_w);
                unsigned long long want =
                    k < fg_axis_out::n_values ? ((unsigned long long)y[k] & field_mask(out_w)) : 0ULL;
                if (got != want) {{
                    if (mismatches < 10)
                        std::printf("mismatch: sample %ld value %u: got bits %llx, expected %llx\\n",
                                    samples, k, got, want);
                    mismatches++;
                }}
            }}
            const unsigned used = fg_axis_out::per_beat * out_w;  // bits above the values are 0
            if (used < 64 && (word >> used) != 0ULL) {{
                std::printf("ERROR: sample %ld beat %u: unused bits %llx\\n", samples, b, word >> used);
                mismatches++;
            }}
        }}
        if (!out_beats.empty()) {{
            std::printf("ERROR: sample %ld: more than %u output beats\\n", samples, fg_axis_out::beats);
            return 1;
        }}
        samples++;
    }}
    std::printf("%ld samples, %ld mismatching output values\\n", samples, mismatches);
    return samples > 0 && mismatches == 0 ? 0 : 1;
}}
"""


# --------------------------------------------------------------------------- writing


def write_shell(
    hls_model, project_dir: str | Path, layout: HostLayout, board: Board | None = None
) -> ShellSpec:
    """Write the shell's files into the written hls4ml project ``project_dir``; ``board``: the
    block design's processing system and board files (none: the HLS IP only)."""
    spec = shell_spec(hls_model)
    project = Path(project_dir)
    firmware = project / "firmware"
    write_text_atomic(firmware / f"{spec.top}.h", header_text(spec))
    write_text_atomic(firmware / f"{spec.top}.cpp", source_text(spec))
    write_text_atomic(firmware / "nnet_utils" / HEADER, (header_dir() / HEADER).read_text())
    write_text_atomic(project / f"{spec.top}_test.cpp", test_bench_text(spec))
    write_text_atomic(project / "build_shell.tcl", build_tcl(spec))
    design = design_tcl(spec, board) if board is not None else None
    if design is not None:
        write_text_atomic(project / "design.tcl", design)
    write_text_atomic(project / "fpgagan_driver.py", driver_text(spec, layout))
    write_text_atomic(project / "fpgagan_codec.py", _codec_source())
    if spec.ddr_ports:
        with atomic_path(project / WEIGHTS_FILE) as tmp:
            weights_image(hls_model, spec).astype("<u8").tofile(tmp)
    write_text_atomic(project / "SHELL.md", readme_text(spec, board, design is not None))
    return spec


def _codec_source() -> str:
    """host_codec.py verbatim: the driver's conversions are fpgagan's, not a copy of them."""
    return (Path(__file__).parent / "host_codec.py").read_text()


def has_shell(project_dir: str | Path, project: str = "myproject") -> bool:
    return (Path(project_dir) / "firmware" / f"{project}_axi.h").is_file()


def write_shell_data(project_dir: str | Path, spec: ShellSpec, x_dev, y_dev) -> None:
    """The shell test bench's data: input and output raw integers, one sample per line.

    ``x_dev``: the float inputs (device layout, flattened per sample), quantized here as the
    model's input quantizer does; ``y_dev``: the C-simulated outputs, exact multiples of the
    output LSB (anything else is a bug, not a rounding).
    """
    x_raw = to_raw(np.asarray(x_dev).reshape(len(x_dev), -1), spec.inp.fixed)
    y = np.asarray(y_dev, dtype=np.float64).reshape(len(y_dev), -1)
    scaled = np.ldexp(y, spec.out.fixed.frac)
    y_raw = np.rint(scaled)
    if not np.array_equal(y_raw, scaled):
        raise SimulationError("C-simulated outputs are not multiples of the output type's LSB")
    if x_raw.shape[1] != spec.inp.n_values or y_raw.shape[1] != spec.out.n_values:
        raise SimulationError(
            f"test bench data has {x_raw.shape[1]} inputs and {y_raw.shape[1]} outputs per "
            f"sample, the shell moves {spec.inp.n_values} and {spec.out.n_values}"
        )
    tb = Path(project_dir) / "tb_data"
    write_text_atomic(tb / TB_INPUT_RAW, _rows(x_raw))
    write_text_atomic(tb / TB_OUTPUT_RAW, _rows(y_raw.astype(np.int64)))


def _rows(raw: np.ndarray) -> str:
    return "".join(" ".join(str(int(v)) for v in row) + "\n" for row in raw)
