"""Model files that corrupted the C simulation's memory (issue #26): a declared output shape
smaller than the real one, an output with no declared shape, a second graph input or output, and
tensors too large for a thread's stack.  Each is now refused with one line (exit 2) or runs and
equals qonnx; none crashes the process.  The C driver itself refuses sizes it was not built for,
and (slow) runs clean under AddressSanitizer."""

from __future__ import annotations

import ctypes
import os
import resource
import signal
import subprocess
import sys
import textwrap

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from fpgagan.errors import SimulationError
from tests.graphs import IN_SCALE, QDOMAIN, _quant, conv_transpose_graph, quantized_input
from tests.security.helpers import (
    CLI_TIMEOUT_S,
    cli_env,
    csim_argv,
    error_lines,
    small_model,
    start_cli,
)

pytestmark = pytest.mark.csim

STACK_LIMIT = 1 << 20  # bytes: the main thread's and (glibc's default) every thread's stack


def _opset() -> list:
    return [helper.make_opsetid("", 13), helper.make_opsetid(QDOMAIN, 1)]


def _run(tmp_path, model_path, x: np.ndarray, *extra: str, **popen) -> subprocess.CompletedProcess:
    """``fpgagan csim`` on ``x`` as a real process (a crash shows as a negative return code)."""
    np.save(tmp_path / "x.npy", x)
    args = csim_argv(model_path, tmp_path / "x.npy", tmp_path / "y.npy", *extra)
    proc = start_cli(args, tmp_path, **popen)
    try:
        out, err = proc.communicate(timeout=CLI_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def _refused(done, *patterns: str) -> None:
    """One ``fpgagan: error:`` line naming ``patterns``, exit 2, no crash, nothing written."""
    lines = error_lines(done.stderr)
    assert done.returncode == 2, (done.returncode, done.stderr[-2000:])
    assert len(lines) == 1 and lines[0].startswith("fpgagan: error: "), done.stderr[-2000:]
    for pattern in patterns:
        assert pattern in lines[0], lines[0]


def test_a_declared_output_shape_smaller_than_the_real_one_is_refused(tmp_path):
    # the real output is (1, 3, 7, 9); a buffer sized from (1, 3, 7, 8) was written past its end
    model, _, _ = conv_transpose_graph()
    model.graph.output[0].type.tensor_type.shape.dim[3].dim_value = 8
    model.save(str(tmp_path / "m.onnx"))
    done = _run(tmp_path, tmp_path / "m.onnx", quantized_input(4, 2, 4, 5))
    _refused(done, "output 'y'", "(1, 3, 7, 8)", "(N, 3, 7, 9)")
    assert not (tmp_path / "y.npy").exists()


def test_an_output_without_a_declared_shape_is_sized_by_the_converter(tmp_path):
    # nearest-neighbour Resize x40 to an output with no declared shape: a one-float buffer per
    # sample received 6,400 (x400 in the issue)
    nodes, inits = [], []
    xq = _quant("qin", "x", IN_SCALE, 8, nodes=nodes, inits=inits)
    inits.append(helper.make_tensor("roi", TensorProto.FLOAT, [0], []))
    inits.append(helper.make_tensor("scales", TensorProto.FLOAT, [4], [1, 1, 40, 40]))
    nodes.append(helper.make_node("Resize", [xq, "roi", "scales"], ["r"], mode="nearest"))
    q = _quant("qout", "r", IN_SCALE, 8, nodes=nodes, inits=inits)
    nodes.append(helper.make_node("Identity", [q], ["y"]))
    graph = helper.make_graph(
        nodes,
        "resize",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 2, 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
        inits,
    )
    onnx.save(helper.make_model(graph, opset_imports=_opset()), tmp_path / "m.onnx")
    x = quantized_input(3, 1, 2, 2)
    done = _run(tmp_path, tmp_path / "m.onnx", x)
    assert done.returncode == 0, done.stderr[-2000:]
    y = np.load(tmp_path / "y.npy")
    assert np.array_equal(y, np.repeat(np.repeat(x, 40, axis=2), 40, axis=3))


def test_a_second_graph_input_is_refused_before_conversion(tmp_path):
    # two quantized inputs added: the driver called a three-pointer top function with two
    nodes, inits = [], []
    a = _quant("qa", "x", IN_SCALE, 8, nodes=nodes, inits=inits)
    b = _quant("qb", "x2", IN_SCALE, 8, nodes=nodes, inits=inits)
    nodes.append(helper.make_node("Add", [a, b], ["s"]))
    q = _quant("qout", "s", IN_SCALE, 9, nodes=nodes, inits=inits)
    nodes.append(helper.make_node("Identity", [q], ["y"]))
    vi = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 8]) for n in ("x", "x2", "y")]
    graph = helper.make_graph(nodes, "two_inputs", vi[:2], vi[2:], inits)
    onnx.save(helper.make_model(graph, opset_imports=_opset()), tmp_path / "m.onnx")
    done = _run(tmp_path, tmp_path / "m.onnx", np.zeros((3, 8), np.float32))
    _refused(done, "2 graph inputs", "'x2'")
    assert not (tmp_path / "m_hls").exists()  # refused before anything was built


def test_a_second_graph_output_is_refused_before_conversion(tmp_path):
    model, _, _ = conv_transpose_graph()
    inner = next(vi for vi in model.graph.value_info if vi.name == "conv_out")
    model.graph.value_info.remove(inner)
    model.graph.output.append(inner)
    model.save(str(tmp_path / "m.onnx"))
    done = _run(tmp_path, tmp_path / "m.onnx", quantized_input(2, 2, 4, 5))
    _refused(done, "2 graph outputs", "'conv_out'")
    assert not (tmp_path / "m_hls").exists()


def _small_stack() -> None:
    resource.setrlimit(resource.RLIMIT_STACK, (STACK_LIMIT, STACK_LIMIT))


def test_tensors_larger_than_a_threads_stack_run_from_the_heap(tmp_path):
    # 4x400x400 in and out (640 KB each in io_parallel) overflowed a 1 MiB stack, as 4x1024x1024
    # overflowed the default 8 MiB one
    model, _, _ = conv_transpose_graph(
        cin=4, cout=4, h=400, w=400, kernel=(1, 1), strides=(1, 1), pads=(0, 0, 0, 0)
    )
    model.save(str(tmp_path / "m.onnx"))
    x = quantized_input(2, 4, 400, 400)
    done = _run(
        tmp_path, tmp_path / "m.onnx", x, "--io-type", "io_parallel", preexec_fn=_small_stack
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "0 of 1280000 output elements differ" in done.stdout, done.stdout


def test_the_c_driver_refuses_sizes_it_was_not_built_for(tmp_path):
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.sim import build_csim
    from fpgagan.sim.build import BATCH_BAD_SIZE, BATCH_FUNCTION

    model, _, _ = conv_transpose_graph()
    csim = build_csim(model, tmp_path / "prj", HlsOptions())
    run = getattr(csim.hls_model._top_function_lib, BATCH_FUNCTION)
    ptr = ctypes.POINTER(ctypes.c_float)
    run.argtypes = [ptr, ctypes.c_long, ptr, *[ctypes.c_long] * 5, ctypes.POINTER(ctypes.c_int)]
    run.restype = ctypes.c_int
    n_in, n_out = 2 * 4 * 5, 3 * 7 * 9
    x, y = np.zeros((2, n_in), np.float32), np.full((2, n_out), 7.0, np.float32)
    stop = ctypes.c_int(0)
    xp, yp = x.ctypes.data_as(ptr), y.ctypes.data_as(ptr)
    for sizes in [
        (x.size, y.size, 2, n_in, n_out - 1),  # one output element less than the model's
        (x.size, y.size, 2, n_in + 1, n_out),
        (x.size, y.size - 1, 2, n_in, n_out),  # a buffer shorter than n samples
        (x.size - 1, y.size, 2, n_in, n_out),
        (x.size, y.size, 3, n_in, n_out),
        (x.size, y.size, -1, n_in, n_out),
        (x.size, y.size, 2**62, n_in, n_out),  # n * n_out overflows
    ]:
        x_len, y_len, *rest = sizes
        assert run(xp, x_len, yp, y_len, *rest, 4, ctypes.byref(stop)) == BATCH_BAD_SIZE, sizes
    assert (y == 7.0).all()  # nothing was written
    assert run(xp, x.size, yp, y.size, 2, n_in, n_out, 4, ctypes.byref(stop)) == 0
    # and in Python: a batch of the wrong width never reaches C
    with pytest.raises(SimulationError, match="expected"):
        csim._run_batch(np.zeros((2, n_in + 1), np.float32))


def test_a_g_plus_plus_failure_on_generated_code_is_exit_3_and_no_compiler_exit_2(
    tmp_path, monkeypatch, capsys
):
    from fpgagan.cli import main
    from fpgagan.sim import build

    model, x = small_model(tmp_path)
    argv = csim_argv(model, x, tmp_path / "y.npy", "--project-dir", str(tmp_path / "prj"))
    # code fpgagan generated that g++ refuses: fpgagan's bug (exit 3), not a refused input
    monkeypatch.setattr(build, "_SOURCE_TEXT", build._SOURCE_TEXT + "\n#error generated\n")
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "internal error" in err and "bug in fpgagan" in err, err
    assert not (tmp_path / "prj").exists()
    monkeypatch.undo()
    # no g++ at all: the user's machine lacks it, exit 2 with one line saying so
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    build.compiler.cache_clear()
    try:
        assert main(argv) == 2
    finally:
        build.compiler.cache_clear()
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and "g++ not found on PATH" in err, err


_ASAN_CHILD = textwrap.dedent(
    """
    import ctypes, sys
    import numpy as np
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.sim import build, build_csim
    from tests.graphs import conv_transpose_graph, quantized_input
    from qonnx.core.onnx_exec import execute_onnx

    flags = build.compile_flags()
    build.compile_flags = lambda: (*flags, "-fsanitize=address", "-fno-omit-frame-pointer", "-g")
    model, _, _ = conv_transpose_graph()
    for io_type in ("io_parallel", "io_stream"):
        csim = build_csim(model, f"{sys.argv[1]}/{io_type}", HlsOptions(io_type=io_type))
        x = quantized_input(9, 2, 4, 5)
        y = csim.predict(x)
        for i in range(2):
            ref = execute_onnx(model, {"x": x[i : i + 1]})["y"]
            assert np.array_equal(y[i : i + 1], ref), io_type
        try:  # a batch of the wrong width is refused before C
            csim._run_batch(np.zeros((2, 41), np.float32))
        except Exception:
            pass
    print("asan-clean")
    """
)


@pytest.mark.slow
def test_the_c_driver_runs_clean_under_address_sanitizer(tmp_path):
    cxx = subprocess.run(["g++", "-print-file-name=libasan.so"], capture_output=True, text=True)
    libasan = cxx.stdout.strip()
    if cxx.returncode != 0 or not os.path.isabs(libasan):
        pytest.skip("g++ has no AddressSanitizer runtime")
    env = cli_env() | {
        "LD_PRELOAD": libasan,  # the runtime must come first: Python itself is not instrumented
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=86",
    }
    done = subprocess.run(
        [sys.executable, "-c", _ASAN_CHILD, str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    assert "asan-clean" in done.stdout and "AddressSanitizer" not in done.stderr, done.stderr


TRACE_CHILD = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fpgagan.export import load_qonnx
    from fpgagan.hls.convert import HlsOptions
    from fpgagan.sim import build_csim
    csim = build_csim(load_qonnx(sys.argv[1]), sys.argv[2], HlsOptions(io_type="io_parallel"))
    traces = csim.trace(np.load(sys.argv[3]))
    print("layers traced:", len(traces))
    """
)


def test_the_per_layer_trace_runs_on_a_stack_sized_for_the_model(tmp_path):
    """hls4ml's trace bridge keeps layer outputs in stack arrays (the path ``csim --check`` takes
    to name a first diverging layer): it runs on a thread with the batch driver's stack, so a
    frame larger than the caller's stack does not overflow it."""
    model, _, _ = conv_transpose_graph(
        cin=4, cout=4, h=400, w=400, kernel=(1, 1), strides=(1, 1), pads=(0, 0, 0, 0)
    )
    model.save(str(tmp_path / "m.onnx"))
    np.save(tmp_path / "x.npy", quantized_input(1, 4, 400, 400))
    done = subprocess.run(
        [sys.executable, "-c", TRACE_CHILD, str(tmp_path / "m.onnx"), str(tmp_path / "p"),
         str(tmp_path / "x.npy")],
        capture_output=True, text=True, timeout=CLI_TIMEOUT_S, preexec_fn=_small_stack,
    )  # fmt: skip
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "layers traced:" in done.stdout
