"""Layers whose weights are streamed from DDR (``RomStorage: ddr``, nnet_fg_offchip.h) in C
simulation: 0 differing elements against qonnx's execution and the same integers as the on-chip
build, with the DDR port fed from the host's copy of the image; in the native and the synthesis
forms; for transposed convolutions, a convolution and a Dense head."""

from __future__ import annotations

import dataclasses
import subprocess

import numpy as np
import pytest
import torch

from fpgagan.boards import get_board
from fpgagan.export import interchange, reference_outputs
from fpgagan.hls.convert import HlsOptions
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hls.offchip_ports import DDR_MARK
from fpgagan.hw.offchip import ddr_image
from fpgagan.models.outside import Dcgan, DcganShape, export, randomise
from fpgagan.shell.pragmas import check_project
from fpgagan.shell.scripts import WEIGHTS_FILE
from fpgagan.shell.spec import WEIGHTS_ALIGN_BEATS
from fpgagan.shell.top import NATIVE_AXIS, shell_spec
from fpgagan.sim import build_csim, compare, output_lsb
from fpgagan.sim.build import compile_flags, compiler
from fpgagan.workflows.hls_artefacts import write_test_bench_data
from tests.graphs import conv_transpose_graph, quantized_input

pytestmark = pytest.mark.csim

N = 5


def _settings(hls_model, n_par: int, k_par: int) -> dict[str, dict[str, object]]:
    """Every engine layer off chip, at the largest parallelism up to (n_par, k_par) it allows."""
    out = {}
    for layer in engine_layers(hls_model):
        s = layer.shape()
        n = max(d for d in range(1, n_par + 1) if s.geometry.n_out % d == 0)
        k = max(d for d in range(1, k_par + 1) if s.word_values % d == 0)
        out[layer.name] = {"RomStorage": "ddr", "ParallelOutputs": n, "ParallelInputs": k}
    return out


def _both(model, x, tmp_path, form="native", n_par=2, k_par=2):
    on_chip = build_csim(model, tmp_path / "chip", HlsOptions(io_type="io_stream"))
    opts = HlsOptions(io_type="io_stream", layer_config=_settings(on_chip.hls_model, n_par, k_par))
    off_chip = build_csim(model, tmp_path / "ddr", opts, form=form)
    return on_chip, off_chip


@pytest.mark.parametrize("flat", [False, True])
def test_dcgan_all_layers_off_chip(tmp_path, flat):
    gen = randomise(Dcgan(DcganShape(nz=8, ngf=4, channels=3, side=16, flat=flat)))
    model = interchange(export(gen))
    z = torch.randn(N, *gen.input_shape, generator=torch.Generator().manual_seed(3)).numpy()
    on_chip, off_chip = _both(model, z, tmp_path)
    layers = engine_layers(off_chip.hls_model)
    assert all(layer.shape().offchip for layer in layers)
    # the first transposed convolution (1x1 input, kernel = output) is computed as a Dense head:
    # one matrix per output pixel, no product of a tap outside the input
    head = layers[0].shape().geometry
    assert (head.kind, head.n_mats, head.n_taps) == ("dense", head.n_pix, 1)
    y = off_chip.predict(z)
    c = compare(y, reference_outputs(model, z), output_lsb(model))
    assert c.mismatches == 0 and c.n_elements == N * 3 * 16 * 16
    np.testing.assert_array_equal(y, on_chip.predict(z))
    firmware = tmp_path / "ddr" / "firmware"
    assert DDR_MARK in (firmware / "myproject.h").read_text()
    top = (firmware / "myproject.cpp").read_text()
    # the ports are arguments of the network's top; their INTERFACE pragmas are the shell's
    assert all(f"const uint64_t *fg_ddr{x.index}" in top for x in layers)
    assert "INTERFACE m_axi" not in top
    assert check_project(tmp_path / "ddr", "vitis_hls")


def test_conv_transpose_synthesis_form_off_chip(tmp_path):
    """The synthesis form (ap_int widths, DSP/fabric binding) computes the same integers."""
    model, _, _ = conv_transpose_graph(4, 6, 5, 5, (4, 4), (2, 2), (1, 1, 1, 1), (0, 0), True, 4, 8)
    x = quantized_input(N, 4, 5, 5)
    on_chip, off_chip = _both(model, x, tmp_path, form="synthesis", n_par=3, k_par=4)
    y = off_chip.predict(x)
    assert compare(y, reference_outputs(model, x), output_lsb(model)).mismatches == 0
    np.testing.assert_array_equal(y, on_chip.predict(x))


def test_shell_weight_ports_test_bench_and_weights_file(tmp_path):
    """A PYNQ-Z2 project with two layers off chip: the shell's test bench (its DDR ports fed from
    the host arrays) is exact; fpgagan_weights.bin holds each image at the driver's offset; the
    block design connects each weight port."""
    board = get_board("pynq-z2")
    gen = randomise(Dcgan(DcganShape(nz=8, ngf=4, channels=3, side=16)))
    model = interchange(export(gen))
    z = torch.randn(N, *gen.input_shape, generator=torch.Generator().manual_seed(5)).numpy()
    base = HlsOptions(io_type="io_stream", backend="Vitis", part=board.part)
    probe = build_csim(model, tmp_path / "probe", base)
    settings = _settings(probe.hls_model, 2, 2)
    last = engine_layers(probe.hls_model)[-1].name
    settings[last]["RomStorage"] = "auto"  # one layer stays on chip
    opts = dataclasses.replace(base, layer_config=settings)
    csim = build_csim(model, tmp_path / "prj", opts, shell=board)
    y = csim.predict(z)
    assert compare(y, reference_outputs(model, z), output_lsb(model)).mismatches == 0
    assert write_test_bench_data(csim, z, y) == N
    prj = csim.project_dir
    sources = ["myproject_axi_test.cpp", "firmware/myproject_axi.cpp", "firmware/myproject.cpp"]
    flags = [f for f in compile_flags() if f not in ("-fPIC", "-O3")] + ["-O1"]
    cmd = [compiler(), *flags, f"-D{NATIVE_AXIS}", "-Ifirmware/ap_types/", "-Ifirmware"]
    subprocess.run([*cmd, *sources, "-o", "tb_axi"], cwd=prj, check=True, capture_output=True)
    result = subprocess.run(["./tb_axi"], cwd=prj, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and f"{N} samples, 0 mismatching" in result.stdout
    spec = shell_spec(csim.hls_model)
    assert len(spec.ddr_ports) == 2
    data = np.fromfile(prj / WEIGHTS_FILE, dtype="<u8")
    layers = {int(n.index): n for n in engine_layers(csim.hls_model)}
    for port, at in zip(spec.ddr_ports, spec.port_offsets(), strict=True):
        node = layers[port.index]
        image = ddr_image(node.get_attr("rom_weights"), node.shape())
        np.testing.assert_array_equal(data[at : at + port.beats], image)
        assert at % WEIGHTS_ALIGN_BEATS == 0
        assert f"shell/m_axi_{port.arg}]" in (prj / "design.tcl").read_text()
        assert f"('{port.arg}', {at})" in (prj / "fpgagan_driver.py").read_text()
    shell_top = (prj / "firmware" / "myproject_axi.cpp").read_text()
    assert "ap_ctrl_none" not in shell_top  # started by the driver once the addresses are set
    assert "INTERFACE mode=s_axilite port=return bundle=control" in shell_top
    assert shell_top.count("INTERFACE mode=m_axi") == 2
    design = (prj / "design.tcl").read_text()
    assert "ps/S_AXI_HP1]" in design and "ps/S_AXI_HP2]" in design  # a HP port per weight port
    assert "config_interface -m_axi_addr64 false" in (prj / "build_shell.tcl").read_text()
