"""The executors: dependency order, failures reported while the rest finish, threads per task,
the choice between serial and Ray, and (slow) a real two-node Ray cluster on 127.0.0.1 running
two recipes with the rows of a serial run."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import torch

from fpgagan.config import TrainQatConfig, load_yaml
from fpgagan.errors import ConfigError
from fpgagan.workflows import executor as ex_mod
from fpgagan.workflows.compression import run_compression
from fpgagan.workflows.executor import (
    RayExecutor,
    SerialExecutor,
    Task,
    dependency_order,
    make_executor,
    ray_installed,
)

needs_ray = pytest.mark.skipif(not ray_installed(), reason="Ray not installed (pip install .[ray])")


def double(x: int) -> int:
    return 2 * x


def fail(what: str) -> None:
    raise ValueError(f"{what}\nsecond line")


def threads() -> int:
    return torch.get_num_threads()


def node_after(seconds: float) -> str:
    import ray

    time.sleep(seconds)  # both tasks at once: each node has one CPU, so one runs on each
    return ray.get_runtime_context().get_node_id()


TASKS = [
    Task("b", double, (2,), after=("a",)),
    Task("a", double, (1,)),
    Task("bad", fail, ("boom",)),
    Task("after-bad", double, (3,), after=("bad",)),
    Task("c", double, (5,)),
]


def _check_outcomes(outcomes) -> None:
    by_key = {o.key: o for o in outcomes}
    assert [o.key for o in outcomes] == [t.key for t in TASKS]  # in the order given
    assert (by_key["a"].value, by_key["b"].value, by_key["c"].value) == (2, 4, 10)
    assert by_key["bad"].error == "ValueError: boom\\nsecond line"  # one line
    # the whole traceback is kept for the caller to write down (a bug's must not be lost)
    trace = by_key["bad"].traceback
    assert trace.startswith("Traceback") and "in fail" in trace and "second line" in trace
    assert by_key["a"].traceback is None and by_key["after-bad"].traceback is None
    assert by_key["after-bad"].error == "not run: bad failed" and not by_key["after-bad"].ok


def test_dependencies_first_and_a_failure_leaves_the_rest_running():
    assert [t.key for t in dependency_order(TASKS)] == ["a", "b", "bad", "after-bad", "c"]
    with SerialExecutor() as ex:
        _check_outcomes(ex.run(TASKS))


def test_unknown_dependencies_and_cycles_are_refused():
    with pytest.raises(ConfigError, match=r"task 'x' waits for unknown task\(s\) \['y'\]"):
        dependency_order([Task("x", double, (1,), after=("y",))])
    with pytest.raises(ConfigError, match="cycle"):
        dependency_order([Task("x", double, after=("y",)), Task("y", double, after=("x",))])


def test_a_task_runs_with_its_declared_threads_and_torchs_are_restored():
    before = torch.get_num_threads()
    with SerialExecutor() as ex:
        out = ex.run([Task("one", threads, cpus=1), Task("default", threads)])
    assert [o.value for o in out] == [1, before]
    assert torch.get_num_threads() == before


def test_the_executor_follows_workers_ray_and_ray_address(monkeypatch):
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    assert isinstance(make_executor(1), SerialExecutor)
    monkeypatch.setattr(ex_mod, "ray_installed", lambda: False)
    assert isinstance(make_executor(2), SerialExecutor)  # no Ray: serial, with a warning
    with pytest.raises(ConfigError, match="Ray is not installed"):
        RayExecutor(num_cpus=2)
    with pytest.raises(ConfigError, match="workers must be >= 1"):
        make_executor(0)
    monkeypatch.setattr(ex_mod, "ray_installed", lambda: True)
    local = make_executor(2)
    assert isinstance(local, RayExecutor) and (local.num_cpus, local.address) == (2, None)
    monkeypatch.setenv("RAY_ADDRESS", "127.0.0.1:6390")
    remote = make_executor(1)
    assert isinstance(remote, RayExecutor) and remote.address == "127.0.0.1:6390"


FLOAT_TINY = """name: float
seed: 0
batch_size: 32
max_train_images: 256
data: {dataset: digits}
model: {generator: dcgan-tiny, discriminator: dcgan-disc-tiny}
teacher: {max_epochs: 1, min_epochs: 1, patience: 1}
qat: null
eval: {n_samples: 64}
"""


def test_a_failed_recipe_is_a_row_with_its_error_and_the_others_finish(tmp_path):
    good = tmp_path / "01_float.yaml"
    good.write_text(FLOAT_TINY)
    bad = tmp_path / "02_bad.yaml"  # its teacher is in no folder: training fails, not loading
    bad.write_text(
        FLOAT_TINY.replace("name: float", "name: bad").replace(
            "patience: 1}", f"patience: 1, reuse_from: {tmp_path / 'nowhere'}}}"
        )
    )
    out = tmp_path / "table"
    rows = run_compression([good, bad], out, tmp_path / "runs", n=4)
    assert rows[0].ok and rows[0].fid is not None and rows[0].pareto
    assert not rows[1].ok and rows[1].fid is None and not rows[1].pareto
    assert rows[1].error.startswith("train: CheckpointError: ") and "nowhere" in rows[1].error
    md = (out / "table.md").read_text()
    assert "| failed |" in md.splitlines()[0]
    assert "| bad | float32 | - |" in md and rows[1].error.replace("|", "\\|") in md
    saved = json.loads((out / "table.json").read_text())["rows"]
    assert saved[1]["error"] == rows[1].error and saved[0]["error"] is None


def recipe_name(cfg: TrainQatConfig) -> str:
    return f"{cfg.name} {cfg.qat.precision.tag}"


@needs_ray
def test_ray_reports_a_failed_task_and_runs_the_rest(repo):
    # a recipe with per-layer precisions (read-only mappings) travels to a worker intact
    cfg = load_yaml(TrainQatConfig, repo / "configs" / "compression" / "12_slim_w2a8.yaml")
    with RayExecutor(num_cpus=2) as ex:
        assert ex.gpus() == 0
        _check_outcomes(ex.run(TASKS))
        assert ex.run([Task("cfg", recipe_name, (cfg,))])[0].value == "slim-w2a8 W2A8+"


# --------------------------------------------------------------------------- two-node cluster


HEAD_IP, WORKER_IP = "127.0.0.2", "127.0.0.3"  # loopback (Ray rewrites 127.0.0.1 to the network's)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_start(node_ip: str, *args: str) -> subprocess.Popen:
    """``ray start ... --block`` in its own process group (stopped as a group, by its id)."""
    ray_cli = Path(sys.executable).parent / "ray"
    cmd = [str(ray_cli), "start", "--block", f"--node-ip-address={node_ip}", "--num-cpus=1",
           "--num-gpus=0", "--disable-usage-stats",
           f"--dashboard-agent-listen-port={_free_port()}", *args]  # fmt: skip
    return subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _stop(procs: list[subprocess.Popen]) -> None:
    """SIGTERM to every node at once (``--block`` drains its node, then stops its processes)."""
    for proc in procs:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _wait_for_nodes(address: str, n: int, procs: list[subprocess.Popen]) -> None:
    import ray

    deadline = time.monotonic() + 120
    while True:
        assert all(p.poll() is None for p in procs), "a ray start process exited"
        try:
            ray.init(address=address, _node_ip_address=HEAD_IP, log_to_driver=False)
            try:
                if sum(node["Alive"] for node in ray.nodes()) == n:
                    return
            finally:
                ray.shutdown()
        except ConnectionError:
            pass
        assert time.monotonic() < deadline, f"the Ray cluster at {address} has not {n} nodes"
        time.sleep(2)


@pytest.fixture
def two_node_cluster(monkeypatch):
    """A head and a worker node on loopback addresses, one CPU each, with token authentication;
    torn down even when the test fails."""
    monkeypatch.setenv("RAY_AUTH_MODE", "token")  # the nodes' and this driver's
    port = _free_port()
    address = f"{HEAD_IP}:{port}"
    temp = tempfile.mkdtemp(prefix="ray", dir="/tmp")  # short: Ray's socket paths must fit
    procs = [_ray_start(HEAD_IP, "--head", f"--port={port}", "--include-dashboard=false",
                        f"--ray-client-server-port={_free_port()}", f"--temp-dir={temp}")]  # fmt: skip
    try:
        _wait_for_nodes(address, 1, procs)
        procs.append(_ray_start(WORKER_IP, f"--address={address}"))
        _wait_for_nodes(address, 2, procs)
        yield address
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        _stop(procs)
        shutil.rmtree(temp, ignore_errors=True)


def _as_json(rows) -> str:
    return json.dumps([dataclasses.asdict(r) for r in rows], sort_keys=True)


@needs_ray
@pytest.mark.slow
@pytest.mark.csim
def test_two_recipes_on_a_two_node_cluster_give_the_serial_rows(two_node_cluster, repo, tmp_path):
    recipes = [repo / "configs" / "compression_tiny" / f for f in ("01_float.yaml", "02_w4a8.yaml")]
    with SerialExecutor() as ex:
        serial = run_compression(recipes, tmp_path / "s", tmp_path / "rs", n=8, executor=ex,
                                 cpus_per_task=1)  # fmt: skip
    with RayExecutor(address=two_node_cluster, node_ip=HEAD_IP) as ex:
        nodes = ex.run([Task(k, node_after, (3.0,), cpus=1) for k in ("x", "y")])
        assert len({o.value for o in nodes}) == 2  # the cluster runs tasks on both nodes
        rows = run_compression(recipes, tmp_path / "p", tmp_path / "rp", n=8, executor=ex,
                               cpus_per_task=1)  # fmt: skip
    assert [r.recipe for r in rows] == ["tiny-float", "tiny-w4a8"]
    assert all(r.ok for r in rows) and rows[1].csim_bit_exact
    assert _as_json(rows) == _as_json(serial)
    # the student trained from the teacher its recipe reuses (this set's own, in --runs)
    config = json.loads((tmp_path / "rp" / "tiny-w4a8" / "config.json").read_text())
    assert config["teacher"]["reuse_from"] == str(tmp_path / "rp" / "tiny-float")
