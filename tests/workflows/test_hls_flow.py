from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from fpgagan.cli import main
from fpgagan.config import Precision
from fpgagan.export import load_qonnx, save_qonnx, to_qonnx
from fpgagan.export.host_layout import NHWC_TO_NCHW, HostLayout
from fpgagan.models import build_generator
from fpgagan.models.checkpoint import save_generator
from fpgagan.report.hls_report import HlsReport
from fpgagan.shell.scripts import TB_OUTPUT_RAW
from fpgagan.shell.top import NATIVE_AXIS
from fpgagan.sim import output_lsb
from fpgagan.sim.csim import CSim
from fpgagan.workflows import hls_artefacts, hls_flow
from tests.conftest import REPO, needs_fmnist
from tests.test_cli import _fails_cleanly


@pytest.fixture
def tiny_models(tmp_path):
    torch.manual_seed(0)
    teacher = build_generator("dcgan-tiny").eval()
    student = build_generator("dcgan-tiny", Precision())
    student.train()
    for _ in range(3):
        student(torch.randn(16, 8))
    student.eval()
    save_generator(tmp_path / "teacher.pt", teacher, "dcgan-tiny")
    save_generator(
        tmp_path / "g.pt", student, "dcgan-tiny", extra={"teacher": str(tmp_path / "teacher.pt")}
    )
    save_qonnx(to_qonnx(student), tmp_path / "g.onnx")
    return tmp_path


def _compile_test_bench(project: Path, bench: str, binary: str) -> None:
    """Compile a test bench of the project with every firmware source (the shell's included)."""
    sources = [
        bench,
        *sorted(str(p.relative_to(project)) for p in (project / "firmware").glob("*.cpp")),
    ]
    subprocess.run(
        [
            "g++",
            "-O0",
            "-std=c++17",
            "-Ifirmware/ap_types",
            "-Ifirmware",
            f"-D{NATIVE_AXIS}",
            '-DWEIGHTS_DIR="firmware/weights"',
            *sources,
            "-o",
            binary,
        ],
        cwd=project,
        check=True,
        capture_output=True,
    )


def _run_hls4ml_test_bench(project: Path) -> np.ndarray:
    """Compile and run the project's own C test bench (myproject_test.cpp) on its tb_data."""
    _compile_test_bench(project, "myproject_test.cpp", "tb")
    subprocess.run(["./tb"], cwd=project, check=True, capture_output=True)
    text = (project / "tb_data" / "csim_results.log").read_text()
    return np.array(text.split(), dtype=np.float64)


def _run_shell_test_bench(project: Path) -> str:
    """Compile and run the AXI4-Stream shell's test bench (myproject_axi_test.cpp) on tb_data."""
    _compile_test_bench(project, "myproject_axi_test.cpp", "tb_axi")
    result = subprocess.run(["./tb_axi"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout
    return result.stdout


def _check_test_bench_data(project: Path, y: np.ndarray, n_tb: int, lsb: float) -> None:
    """tb_data holds the first n_tb latents and the C-simulated images, as the C function sees them."""
    x_dat = np.loadtxt(project / "tb_data" / hls_artefacts.TB_INPUT, ndmin=2)
    y_dat = np.loadtxt(project / "tb_data" / hls_artefacts.TB_OUTPUT, ndmin=2)
    z = torch.randn(
        len(y), x_dat.shape[1], generator=torch.Generator().manual_seed(hls_flow.LATENT_SEED)
    ).numpy()
    assert x_dat.shape == (n_tb, z.shape[1]) and np.array_equal(x_dat.astype(np.float32), z[:n_tb])
    y_c = y[:n_tb].transpose(0, 2, 3, 1).reshape(n_tb, -1)  # NCHW on the host, NHWC in C
    assert y_dat.shape == y_c.shape and np.array_equal(y_dat, y_c)
    # the test bench a vendor C simulation runs reproduces them (it prints 6 digits: compare LSBs)
    printed = _run_hls4ml_test_bench(project).reshape(y_c.shape)
    assert np.array_equal(np.round(printed / lsb), np.round(y_c / lsb))
    # the shell's test bench: raw integers in, every output integer compared exactly
    y_raw = np.loadtxt(project / "tb_data" / TB_OUTPUT_RAW, dtype=np.int64, ndmin=2)
    assert np.array_equal(y_raw * lsb, y_c)
    assert f"{n_tb} samples, 0 mismatching output values" in _run_shell_test_bench(project)


@needs_fmnist
@pytest.mark.csim
@pytest.mark.parametrize("board", ["pynq-z2", "kv260"])
def test_board_flow_on_a_checkpoint(tiny_models, board, capsys, monkeypatch):
    monkeypatch.setattr(hls_artefacts, "TB_SAMPLES", 5)  # of the 12 latents simulated
    out = tiny_models / f"out-{board}"
    code = main(
        [
            "hls",
            "--board",
            board,
            "--model",
            str(tiny_models / "g.pt"),
            "-n",
            "12",
            "--out",
            str(out),
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    report = HlsReport.from_json(json.loads((out / "report.json").read_text()))
    assert report.bit_exact.exact and report.bit_exact_independent.exact
    assert report.vs_float.psnr_db > 0 and report.quality.float_teacher.fid >= 0
    assert report.cost.fits and report.cost.images_per_s > 0
    assert report.board.name == board and report.csim.backend == "Vitis"
    # the cost model counted the project as built, with the planned settings
    assert set(report.csim.layer_config) == {lc.name for lc in report.cost.layers}
    assert list(report.step_s)[1:] == ["plan", "build", "verify", "score"]
    for name in (
        "plan.json",
        "report.md",
        "float_vs_fpga.png",
        "csim_images.npy",
        "hls_project/fpgagan_build.json",
    ):
        assert (out / name).is_file(), name
    # fpgagan's AXI4-Stream shell, its Vitis HLS script, the Zynq block design and PYNQ driver
    for name in (
        "firmware/myproject_axi.cpp",
        "myproject_axi_test.cpp",
        "build_shell.tcl",
        "design.tcl",
        "fpgagan_driver.py",
        "fpgagan_codec.py",
    ):
        assert (out / "hls_project" / name).is_file(), name
    ps = "processing_system7" if board == "pynq-z2" else "zynq_ultra_ps_e"
    assert ps in (out / "hls_project" / "design.tcl").read_text()
    assert "report:" in printed and "0 mismatching elements" in printed
    assert "images/s (interval" in printed and f"estimate on {board}:" in printed
    markdown = (out / "report.md").read_text()
    assert (
        "What each layer instantiates" in markdown and "the first 5 of the 12 latents" in markdown
    )
    assert "yosys:" in markdown and "formula:" in markdown  # every figure names its source
    assert report.csim.test_bench_samples == 5
    _check_test_bench_data(
        out / "hls_project",
        np.load(out / "csim_images.npy"),
        5,
        output_lsb(load_qonnx(tiny_models / "g.onnx")),
    )
    tool = "vitis-run"  # hls4ml 1.3's Vitis backend: vitis-run --mode hls --tcl build_prj.tcl
    assert report.synthesis == {
        "ran": False,
        "reason": f"{report.csim.backend} synthesis needs {tool} on PATH",
    }


@needs_fmnist
@pytest.mark.csim
def test_board_flow_on_a_qonnx_file_without_teacher(tiny_models, capsys):
    out = tiny_models / "out"
    assert (
        main(
            [
                "hls",
                "--board",
                "zcu104",
                "--model",
                str(tiny_models / "g.onnx"),
                "-n",
                "6",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    report = HlsReport.from_json(json.loads((out / "report.json").read_text()))
    assert report.vs_float is None and report.bit_exact.exact


def test_board_flow_bad_inputs(tiny_models, capsys):
    out = tiny_models / "never"
    _fails_cleanly(
        capsys, ["hls", "--board", "pynq-z3", "--out", str(out)], "unknown board 'pynq-z3'"
    )
    _fails_cleanly(
        capsys,
        [
            "hls",
            "--board",
            "pynq-z2",
            "--model",
            str(tiny_models / "missing.onnx"),
            "--out",
            str(out),
        ],
        "ONNX file not found",
    )
    (tiny_models / "weird.txt").write_text("x")
    _fails_cleanly(
        capsys,
        ["hls", "--board", "pynq-z2", "--model", str(tiny_models / "weird.txt"), "--out", str(out)],
        "expected a QONNX file",
    )
    assert not out.exists()
    (tiny_models / "parallel.yaml").write_text("io_type: io_parallel\n")
    _fails_cleanly(
        capsys,
        [
            "hls",
            "--board",
            "pynq-z2",
            "--config",
            str(tiny_models / "parallel.yaml"),
            "--out",
            str(out),
        ],
        "AXI4-Stream shell needs io_type io_stream",
    )
    assert not out.exists()
    with pytest.raises(SystemExit) as exc:
        main(["hls", "--board", "pynq-z2", "-n", "-3"])
    assert exc.value.code == 2


def test_board_flow_refuses_an_unsupported_op(tmp_path, capsys):
    from onnx import TensorProto, helper, save

    graph = helper.make_graph(
        [helper.make_node("Sin", ["z"], ["y"], name="the_sine")],
        "g",
        # shapes of a latent generator (a latent to 8x1x1 images): only the op is at fault
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 8, 1, 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 8, 1, 1])],
    )
    save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
        str(tmp_path / "sin.onnx"),
    )
    out = tmp_path / "out"
    _fails_cleanly(
        capsys,
        ["hls", "--board", "pynq-z2", "--model", str(tmp_path / "sin.onnx"), "--out", str(out)],
        "op Sin is not supported",
    )
    assert not out.exists()


class _FakeHlsModel:
    def __init__(self):
        self.builds = []

    def build(self, **kwargs):
        self.builds.append(kwargs)
        return {"CSynthesisReport": {"LUT": "1"}}


@pytest.mark.parametrize(
    ("backend", "tool"),
    [("Vivado", "vivado_hls"), ("Vitis", "vitis-run")],
)
def test_synthesis_uses_the_tool_of_the_backend(backend, tool, monkeypatch):
    every_tool = {"vivado_hls", "vitis-run", "vitis_hls"}
    asked = []

    def which(name):
        asked.append(name)
        return f"/opt/xilinx/bin/{name}" if name in on_path else None

    monkeypatch.setattr(shutil, "which", which)
    on_path = every_tool - {tool}  # every other tool is there, not this backend's
    model = _FakeHlsModel()
    assert hls_artefacts.synthesis(model, backend) == {
        "ran": False,
        "reason": f"{backend} synthesis needs {tool} on PATH",
    }
    assert asked == [tool] and model.builds == []

    on_path = {tool}
    result = hls_artefacts.synthesis(model, backend)
    assert result["ran"] and result["tool"] == f"/opt/xilinx/bin/{tool}"
    assert model.builds == [{"csim": False, "synth": True, "export": False}]


def test_test_bench_data_is_in_the_layout_of_the_c_function(tmp_path):
    """A multi-channel image: the host's NCHW output goes back to NHWC in tb_output_predictions.dat."""
    csim = CSim(None, (6,), (3, 2, 4), HostLayout(None, NHWC_TO_NCHW), None, tmp_path, 0.0, "")
    rng = np.random.default_rng(0)
    z = rng.standard_normal((7, 6)).astype(np.float32)
    device = (rng.integers(-128, 128, (7, 2, 4, 3)) / 128).astype(np.float32)  # what C returns
    host = csim._host_output(device.reshape(7, -1), 7)  # what predict() hands back
    assert hls_artefacts.write_test_bench_data(csim, z, host) == 7
    x_dat = np.loadtxt(tmp_path / "tb_data" / hls_artefacts.TB_INPUT, ndmin=2)
    y_dat = np.loadtxt(tmp_path / "tb_data" / hls_artefacts.TB_OUTPUT, ndmin=2)
    assert np.array_equal(x_dat.astype(np.float32), z)  # float32 survives the text round trip
    assert np.array_equal(y_dat, device.reshape(7, -1))


def test_board_given_as_a_file_names_the_default_out_folder(tmp_path, monkeypatch, capsys):
    board_file = tmp_path / "my" / "boards" / "pynq-z2.yaml"
    board_file.parent.mkdir(parents=True)
    shutil.copy(REPO / "boards" / "pynq-z2.yaml", board_file)
    calls = []

    def fake_flow(board, out, **kwargs):
        calls.append((board, out))
        exact = SimpleNamespace(mismatching_elements=0, exact=True)
        cost = SimpleNamespace(
            fits=True, limiting="lut", images_per_s=10.0, interval_cycles=10_000_000,
            usage={"lut": 0.5, "ff": 0.1, "dsp": 0.0, "bram_18k": 0.2},
        )  # fmt: skip
        return SimpleNamespace(
            board=SimpleNamespace(name="pynq-z2", clock_mhz=100.0), n_latents=1,
            bit_exact=exact, bit_exact_independent=exact, vs_float=None, cost=cost, image_task=None,
            skipped=(),
        )  # fmt: skip

    monkeypatch.setattr(hls_flow, "run_hls_flow", fake_flow)
    monkeypatch.chdir(tmp_path)
    assert main(["hls", "--board", str(board_file)]) == 0
    assert calls == [(str(board_file), Path("runs") / "hls-pynq-z2")]
    printed = capsys.readouterr().out
    assert "estimate on pynq-z2: fits (lut 50%" in printed and "10 images/s (interval" in printed
    assert f"report: {Path('runs') / 'hls-pynq-z2' / 'report.md'}" in printed
    assert hls_flow.default_out_dir("kv260") == Path("runs") / "hls-kv260"
