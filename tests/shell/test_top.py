"""fpgagan's AXI4-Stream shell: its test bench passes on the C-simulated data and fails on a
planted error, its packing agrees with the host codec for odd widths and element sizes, the
host codec is the model's input quantizer, and the generated files hold no float and no user
string."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from qonnx.custom_op.general.quant import quant

from fpgagan.boards import get_board
from fpgagan.config import Precision
from fpgagan.errors import UnsupportedModelError
from fpgagan.export import reference_outputs, to_qonnx
from fpgagan.hls.convert import HlsOptions
from fpgagan.hls.register import header_dir
from fpgagan.hw.system import values_per_beat
from fpgagan.models import build_generator
from fpgagan.shell import host_codec as codec
from fpgagan.shell.pragmas import check_project
from fpgagan.shell.scripts import (
    TB_INPUT_RAW,
    TB_OUTPUT_RAW,
    design_tcl,
    processing_system,
)
from fpgagan.shell.top import HEADER, NATIVE_AXIS, shell_spec, write_shell
from fpgagan.sim import build_csim
from fpgagan.sim.build import compile_flags, compiler
from fpgagan.workflows.hls_artefacts import write_test_bench_data

pytestmark = pytest.mark.csim

N_SAMPLES = 6
# the Vitis HLS pragmas (UG1399) the shell may use
UG1399_PRAGMAS = ("INTERFACE", "DATAFLOW", "PIPELINE", "STREAM", "UNROLL", "ARRAY_PARTITION")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The tiny generator's io_stream Vitis project for the PYNQ-Z2, with the shell and the test
    benches' data (6 latents, some beyond the input range: saturation)."""
    torch.manual_seed(0)
    gen = build_generator("dcgan-tiny", Precision())
    gen.train()
    for _ in range(3):
        gen(torch.randn(16, 8))
    gen.eval()
    model = to_qonnx(gen)
    board = get_board("pynq-z2")
    opts = HlsOptions(
        io_type="io_stream",
        strategy="resource",
        backend="Vitis",
        part=board.part,
        clock_period=board.clock_period_ns,
    )
    csim = build_csim(model, tmp_path_factory.mktemp("shell") / "prj", opts, shell=board)
    z = torch.randn(N_SAMPLES, 8, generator=torch.Generator().manual_seed(3)).numpy() * 3
    y = csim.predict(z)
    assert np.array_equal(y, reference_outputs(model, z))  # the data the test bench checks
    assert write_test_bench_data(csim, z, y) == N_SAMPLES
    csim.trace(z[:1])  # as the board flow does: the project is rewritten with layer tracing
    return csim, model, z, y


@pytest.fixture(scope="module")
def test_bench(project):
    """The shell's test bench, compiled with fpgagan's C-simulation flags."""
    csim = project[0]
    prj = csim.project_dir
    sources = ["myproject_axi_test.cpp", "firmware/myproject_axi.cpp", "firmware/myproject.cpp"]
    flags = [f for f in compile_flags() if f not in ("-fPIC", "-O3")] + ["-O1"]
    cmd = [compiler(), *flags, f"-D{NATIVE_AXIS}", "-Ifirmware/ap_types/", "-Ifirmware"]
    subprocess.run([*cmd, *sources, "-o", "tb_axi"], cwd=prj, check=True, capture_output=True)
    return prj / "tb_axi"


def _run_bench(binary: Path, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary)], cwd=cwd, capture_output=True, text=True, timeout=60)


def test_shell_test_bench_is_exact_on_the_c_simulated_data(project, test_bench):
    result = _run_bench(test_bench, project[0].project_dir)
    assert result.returncode == 0, result.stdout
    assert f"{N_SAMPLES} samples, 0 mismatching output values" in result.stdout


def test_a_planted_wrong_value_fails_the_test_bench(project, test_bench, tmp_path):
    shutil.copytree(project[0].project_dir / "tb_data", tmp_path / "tb_data")
    path = tmp_path / "tb_data" / TB_OUTPUT_RAW
    rows = [line.split() for line in path.read_text().splitlines()]
    rows[2][100] = str(int(rows[2][100]) + 1)  # one LSB off, sample 2, pixel 100
    path.write_text("".join(" ".join(r) + "\n" for r in rows))
    result = _run_bench(test_bench, tmp_path)
    assert result.returncode == 1
    assert "sample 2 value 100" in result.stdout
    assert f"{N_SAMPLES} samples, 1 mismatching output values" in result.stdout


def test_raw_data_is_the_quantized_input_and_the_output_integers(project):
    csim, model, z, y = project
    prj = csim.project_dir
    x_raw = np.loadtxt(prj / "tb_data" / TB_INPUT_RAW, dtype=np.int64, ndmin=2)
    y_raw = np.loadtxt(prj / "tb_data" / TB_OUTPUT_RAW, dtype=np.int64, ndmin=2)
    spec = shell_spec(csim.hls_model)
    assert (spec.inp.fixed.width, spec.inp.fixed.integer, spec.inp.fixed.signed) == (8, 3, True)
    assert x_raw.min() == -128 and x_raw.max() == 127  # latents * 3 saturate both ways
    qz = quant(z, np.float32(2.0**-5), np.float32(0), np.float32(8), 1, 0, "ROUND")
    assert np.array_equal(x_raw * 2.0**-5, qz)
    device = y.transpose(0, 2, 3, 1).reshape(N_SAMPLES, -1)
    assert np.array_equal(y_raw * 2.0**-spec.out.fixed.frac, device)


def test_the_driver_encodes_and_decodes_like_the_c_simulation(project):
    csim, _, z, y = project
    prj = csim.project_dir
    assert (prj / "fpgagan_codec.py").read_text() == Path(codec.__file__).read_text()
    spec = importlib.util.spec_from_file_location(
        "fpgagan_driver_under_test", prj / "fpgagan_driver.py"
    )
    driver = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(driver)  # pynq is imported by Accelerator() only
    x_raw = np.loadtxt(prj / "tb_data" / TB_INPUT_RAW, dtype=np.int64, ndmin=2)
    y_raw = np.loadtxt(prj / "tb_data" / TB_OUTPUT_RAW, dtype=np.int64, ndmin=2)
    words = driver.encode(z)
    assert words.shape == (N_SAMPLES, driver.IN_BEATS) and words.dtype == np.uint64
    assert np.array_equal(codec.unpack(words, 8, 8, True, driver.IN_PER_BEAT), x_raw)
    images = driver.decode(codec.pack(y_raw, driver.OUTPUT_TYPE.width, driver.OUT_PER_BEAT))
    assert images.dtype == np.float32 and np.array_equal(images, y)  # NCHW, as predict() gives
    assert (driver.IN_BEATS, driver.OUT_BEATS, driver.OUTPUT_PERM) == (1, 98, (0, 3, 1, 2))


def test_generated_cpp_has_no_float_and_only_ug1399_pragmas(project):
    prj = project[0].project_dir
    texts = {
        name: (prj / name).read_text()
        for name in ("firmware/myproject_axi.cpp", "firmware/myproject_axi.h")
    }
    texts[HEADER] = (header_dir() / HEADER).read_text()
    assert (prj / "firmware" / "nnet_utils" / HEADER).read_text() == texts[HEADER]
    for name, text in texts.items():
        code = re.sub(r"//[^\n]*", "", text)
        assert not re.search(r"\b(float|double)\b", code), name
        for pragma in re.findall(r"#pragma\s+HLS\s+(\w+)", code):
            assert pragma in UG1399_PRAGMAS, (name, pragma)
    top = texts["firmware/myproject_axi.cpp"]
    for pragma in (
        "INTERFACE mode=axis port=in_beats",
        "INTERFACE mode=axis port=out_beats",
        "INTERFACE mode=ap_ctrl_none port=return",
        "DATAFLOW",
        "STREAM variable=fg_axis_y depth=2",
    ):
        assert f"#pragma HLS {pragma}" in top
    assert texts[HEADER].count("#pragma HLS PIPELINE II=1") == 2
    assert "DATA_PACK" not in "".join(texts.values())
    # as Vitis HLS sees the project (__SYNTHESIS__, its own headers): every pragma documented
    seen = {str(p.file) for p in check_project(prj)}
    assert {"firmware/myproject_axi.cpp", f"firmware/nnet_utils/{HEADER}"} <= seen


def test_build_and_design_scripts(project, tmp_path):
    csim = project[0]
    prj = csim.project_dir
    build = (prj / "build_shell.tcl").read_text()
    for line in (
        "open_project -reset myproject_axi_prj",
        "set_top myproject_axi",
        "add_files -tb myproject_axi_test.cpp",
        "add_files -tb tb_data",
        "set_part {xc7z020clg400-1}",
        "create_clock -period 10.0 -name default",
        "csim_design\ncsynth_design\ncosim_design\nexport_design -format ip_catalog",
    ):
        assert line in build
    assert "vitis-run --mode hls --tcl build_shell.tcl" in build and "vivado_hls" not in build
    design = (prj / "design.tcl").read_text()
    assert "processing_system7" in design and "{*:pynq-z2:*}" in design
    assert "PCW_FPGA0_PERIPHERAL_FREQMHZ {100}" in design and "CONFIG.c_include_sg {0}" in design
    assert "shell/in_beats" in design and "assign_bd_address" in design
    assert "write_bitstream" in design and "fpgagan.hwh" in design
    spec = shell_spec(csim.hls_model)
    zcu = design_tcl(spec, get_board("zcu102"))
    assert "zynq_ultra_ps_e" in zcu and "S_AXI_HP0_FPD" in zcu and "{*:zcu102:*}" in zcu
    assert design_tcl(spec, get_board("alveo-u250")) is None
    assert [processing_system(get_board(b).part) for b in ("kv260", "ultra96v2", "zcu104")] == [
        "psu"
    ] * 3
    # a board of one's own: its name reaches no script (no board files are looked up for it)
    mine = dataclasses.replace(get_board("zcu104"), name="my-zcu")
    assert "my-zcu" not in design_tcl(spec, mine)
    # Alveo: the HLS IP only, and SHELL.md says why there is no block design
    write_shell(csim.hls_model, tmp_path, csim.layout, get_board("alveo-u250"))
    assert not (tmp_path / "design.tcl").exists()
    assert "No block design for alveo-u250" in (tmp_path / "SHELL.md").read_text()


def test_io_parallel_projects_have_no_shell(project, tmp_path):
    model = project[1]
    csim = build_csim(model, tmp_path / "par", HlsOptions(io_type="io_parallel"))
    with pytest.raises(UnsupportedModelError, match="needs an io_stream project"):
        shell_spec(csim.hls_model)


# --------------------------------------------------------------------------- packing in C++

# (width, integer, signed, values per element, values per sample): full and partial last beats,
# unused high bits, 1-bit and 32-bit values; whole elements a beat where one fits (a step of one
# element), and elements wider than a beat (steps of gcd(element, beat) = 4 and 1 values)
PACKINGS = [
    (8, 3, True, 8, 8),
    (5, 2, True, 3, 21),
    (3, 0, False, 6, 42),
    (12, 4, True, 4, 20),
    (16, 6, True, 1, 7),
    (32, 10, True, 2, 6),
    (1, 1, False, 64, 128),
    (7, 7, False, 9, 45),
    (8, 1, True, 3, 48),  # RGB pixels of 8 bits: two a beat (six values), a pixel a cycle
    (4, 2, False, 3, 30),  # five 12-bit pixels a beat
    (8, 3, True, 12, 36),  # 96-bit elements: eight values a beat, four a step
    (5, 2, True, 13, 39),  # 65-bit elements: twelve values a beat, one a step
]


def _harness(project_dir: Path) -> list[tuple[int, np.ndarray, np.ndarray]]:
    parts = [
        "#include <cstdio>",
        '#include "ap_fixed.h"',
        '#include "nnet_utils/nnet_types.h"',
        f'#include "nnet_utils/{HEADER}"',
    ]
    calls = []
    rng = np.random.default_rng(7)
    for k, (w, i, signed, e, n) in enumerate(PACKINGS):
        t = codec.FixedType(w, i, signed)
        raw = rng.integers(t.raw_min, t.raw_max + 1, n)
        per_beat = values_per_beat(e, w)
        words = codec.pack(raw, w, per_beat)
        kind = "ap_fixed" if signed else "ap_ufixed"
        parts += [
            f"struct cfg{k} {{ static const unsigned width = {w}, n_values = {n}, "
            f"elem_values = {e}, per_beat = {per_beat}, step = {np.gcd(e, per_beat)}, "
            f"beats = {len(words)}; }};",
            f"typedef nnet::array<{kind}<{w},{i}>, {e}> elem{k};",
            f"static const unsigned long long words{k}[] = {{"
            + ", ".join(f"{int(v)}ULL" for v in words)
            + "};",
            f"static void run{k}() {{",
            "    hls::stream<nnet::fg::axis_beat> in, out;",
            f"    hls::stream<elem{k}> mid, again;",
            f"    for (unsigned b = 0; b < cfg{k}::beats; b++) {{",
            f"        nnet::fg::axis_beat beat; beat.data = words{k}[b]; in.write(beat);",
            "    }",
            f"    nnet::fg::axis_unpack<elem{k}, cfg{k}>(in, mid);",
            f'    std::printf("values {k}");',
            f"    for (unsigned m = 0; m < cfg{k}::n_values / {e}; m++) {{",
            f"        elem{k} x = mid.read(); again.write(x);",
            f"        for (unsigned c = 0; c < {e}; c++)",
            f'            std::printf(" %llu", (unsigned long long)x[c].range({w - 1}, 0).to_uint64());',
            "    }",
            f'    std::printf("\\nbeats {k}");',
            f"    nnet::fg::axis_pack<elem{k}, cfg{k}>(again, out);",
            "    while (!out.empty()) {",
            "        nnet::fg::axis_beat beat = out.read();",
            '        std::printf(" %llu:%d", (unsigned long long)beat.data.to_uint64(), (int)beat.last);',
            "    }",
            '    std::printf("\\n");',
            "}",
        ]
        calls.append((k, raw, words))
    parts += ["int main() {", *(f"    run{k}();" for k, _, _ in calls), "}"]
    (project_dir / "harness.cpp").write_text("\n".join(parts) + "\n")
    return calls


def test_the_packing_loops_agree_with_the_host_codec(project, tmp_path):
    firmware = project[0].project_dir / "firmware"
    cases = _harness(tmp_path)
    cmd = [compiler(), "-O1", "-std=c++14", f"-D{NATIVE_AXIS}", f"-I{firmware / 'ap_types'}"]
    subprocess.run(
        [*cmd, f"-I{firmware}", "harness.cpp", "-o", "harness"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    out = subprocess.run(["./harness"], cwd=tmp_path, capture_output=True, text=True, check=True)
    lines = {tuple(line.split()[:2]): line.split()[2:] for line in out.stdout.splitlines()}
    for k, raw, words in cases:
        w = PACKINGS[k][0]
        bits = np.array(lines[("values", str(k))], dtype=np.uint64)
        assert np.array_equal(bits, raw.astype(np.int64).view(np.uint64) & np.uint64((1 << w) - 1))
        beats = [b.split(":") for b in lines[("beats", str(k))]]
        assert [np.uint64(int(v)) for v, _ in beats] == list(words), PACKINGS[k]
        assert [int(last) for _, last in beats] == [0] * (len(words) - 1) + [1]


# --------------------------------------------------------------------------- host codec


@pytest.mark.parametrize(
    ("bits", "scale_log2", "signed", "narrow", "rounding"),
    [
        (8, -5, 1, 0, "ROUND"),
        (8, -5, 1, 1, "ROUND"),  # narrow: SAT_SYM
        (4, -2, 0, 0, "ROUND"),  # unsigned
        (6, -3, 1, 0, "FLOOR"),  # TRN
        (16, -10, 1, 0, "ROUND"),
        (3, 1, 1, 0, "ROUND"),  # scale 2: integer bits beyond the width
    ],
)
def test_the_codec_is_the_quantizer(bits, scale_log2, signed, narrow, rounding):
    scale = 2.0**scale_log2
    t = codec.FixedType(
        bits,
        bits + scale_log2,
        bool(signed),
        "RND_CONV" if rounding == "ROUND" else "TRN",
        "SAT_SYM" if narrow and signed else "SAT",
    )
    rng = np.random.default_rng(bits)
    lsb_steps = np.arange(-(2**bits) - 3, 2**bits + 3)
    x = np.concatenate(
        [
            rng.standard_normal(2000) * scale * 2 ** (bits - 1),
            (lsb_steps + 0.5) * scale,  # every tie, inside and beyond the range
            lsb_steps * scale,
            [1e30, -1e30, 0.0, -0.0],
        ]
    ).astype(np.float32)
    expected = quant(
        x, np.float32(scale), np.float32(0), np.float32(bits), signed, narrow, rounding
    )
    raw = codec.to_raw(x, t)
    assert raw.min() >= t.raw_min and raw.max() <= t.raw_max
    assert np.array_equal(codec.from_raw(raw, t), expected)
    ties = codec.to_raw(np.float32([0.5, 1.5, 2.5, -0.5, -1.5]) * np.float32(scale), t)
    if rounding == "ROUND":
        assert ties.tolist() == np.clip([0, 2, 2, 0, -2], t.raw_min, t.raw_max).tolist()


def test_the_codec_refuses_nan_and_packs_every_width():
    with pytest.raises(ValueError, match="finite"):
        codec.to_raw(np.float32([0.0, np.nan]), codec.FixedType(8, 3, True))
    rng = np.random.default_rng(1)
    for width in range(1, codec.MAX_WIDTH + 1):
        for signed in (True, False):
            t = codec.FixedType(width, 0, signed)
            raw = rng.integers(t.raw_min, t.raw_max + 1, (3, 37))
            words = codec.pack(raw, width)
            assert words.shape == (3, codec.beats(37, width))
            assert np.array_equal(codec.unpack(words, width, 37, signed), raw)


def test_encode_and_decode_apply_the_host_layout():
    t = codec.FixedType(8, 4, True)
    x = np.random.default_rng(2).standard_normal((2, 3, 4, 5)).astype(np.float32)  # NCHW
    words = codec.encode(x, t, (0, 2, 3, 1))
    raw = codec.unpack(words, 8, 60, True).reshape(2, 4, 5, 3)  # NHWC on the device
    assert np.array_equal(raw, codec.to_raw(x.transpose(0, 2, 3, 1), t))
    back = codec.decode(words, t, (4, 5, 3), (0, 3, 1, 2))
    assert back.shape == x.shape and np.array_equal(back, codec.from_raw(codec.to_raw(x, t), t))
