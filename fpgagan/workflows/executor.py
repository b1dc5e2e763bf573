"""Where independent jobs of a sweep run: one after another here, or as Ray tasks.

A :class:`Task` is a module-level function with its arguments, the CPUs (and GPUs) it needs and
the tasks it must wait for.  An executor runs a list of tasks in an order that respects those
dependencies and returns one :class:`Outcome` per task, in the order given:

- :class:`SerialExecutor`: a loop in this process;
- :class:`RayExecutor`: a local Ray instance (``num_cpus``) or the cluster at ``RAY_ADDRESS``;
  every task is a Ray task declaring ``num_cpus`` / ``num_gpus``.

A task that raises is an outcome with a one-line error and the full traceback (for the caller to
keep in a file: a bug's traceback must not be lost) and the others still run (tasks that wait for
it are not run, and say so).  Results do not depend on the executor: a task runs with exactly
its declared CPUs as torch threads (float reductions depend on the thread count), in either.
Ray tasks of one sweep read and write the same run folders, so on a cluster of several machines
those folders must be on storage every node sees.
"""

from __future__ import annotations

import contextvars
import dataclasses
import importlib.util
import logging
import os
import re
import time
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from tqdm.auto import tqdm

from fpgagan.errors import ConfigError, one_line

log = logging.getLogger(__name__)

RAY_ADDRESS_ENV = "RAY_ADDRESS"
# the address of a local instance: loopback, but not 127.0.0.1, which Ray replaces with the
# machine's network address
LOCAL_NODE_IP = "127.0.0.2"
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # colours in Ray's error messages
# the driver's environment that Ray workers need too; they also get TQDM_DISABLE (per-batch bars
# would flood the driver's log, which prints every worker's output)
FORWARDED_ENV = ("FPGAGAN_FMNIST_DIR",)


@dataclasses.dataclass(frozen=True)
class Task:
    """One independent job: ``fn(*args)``, run with ``cpus`` torch threads (None: torch's default,
    serial only) and ``gpus`` GPUs, after the tasks named in ``after``."""

    key: str
    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    cpus: int | None = None
    gpus: float = 0.0
    after: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Outcome:
    key: str
    value: Any = None
    error: str | None = None  # one line: "<ExceptionType>: <message>"
    seconds: float = 0.0
    traceback: str | None = None  # of the exception behind ``error``, where there was one

    @property
    def ok(self) -> bool:
        return self.error is None


def run_task(task: Task) -> Outcome:
    """Run ``task`` here, catching what it raises (not Ctrl-C) into a failed outcome."""
    import torch

    threads = torch.get_num_threads()
    if task.cpus is not None:
        torch.set_num_threads(task.cpus)
    t0 = time.perf_counter()
    try:
        value = task.fn(*task.args)
    except Exception as exc:
        error = one_line(f"{type(exc).__name__}: {exc}")
        return Outcome(task.key, None, error, time.perf_counter() - t0, traceback.format_exc())
    finally:
        torch.set_num_threads(threads)
    return Outcome(task.key, value, None, time.perf_counter() - t0)


def dependency_order(tasks: Sequence[Task]) -> list[Task]:
    """``tasks`` with every task after those it waits for, otherwise in the order given."""
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ConfigError(f"task keys must be unique, got {keys}")
    for t in tasks:
        missing = [k for k in t.after if k not in keys]
        if missing:
            raise ConfigError(f"task {t.key!r} waits for unknown task(s) {missing}")
    done: set[str] = set()
    order: list[Task] = []
    left = list(tasks)
    while left:
        ready = next((t for t in left if set(t.after) <= done), None)
        if ready is None:
            raise ConfigError(f"tasks wait for each other in a cycle: {[t.key for t in left]}")
        order.append(ready)
        done.add(ready.key)
        left.remove(ready)
    return order


def _blocked(task: Task, results: dict[str, Outcome]) -> Outcome | None:
    failed = [k for k in task.after if not results[k].ok]
    if failed:
        return Outcome(task.key, None, f"not run: {', '.join(failed)} failed")
    return None


def _report(out: Outcome, bar: tqdm) -> None:
    if out.ok:
        log.info("task %s: done in %.0f s", out.key, out.seconds)
    else:
        log.warning("task %s: FAILED: %s", out.key, out.error)
    bar.update(1)


class SerialExecutor:
    """Every task in this process, one after another."""

    name = "serial"

    def __enter__(self) -> SerialExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def gpus(self) -> float:
        import torch

        return float(torch.cuda.device_count())

    def run(self, tasks: Sequence[Task]) -> list[Outcome]:
        results: dict[str, Outcome] = {}
        with tqdm(total=len(tasks), desc="tasks", unit="task") as bar:
            for task in dependency_order(tasks):
                out = _blocked(task, results)
                if out is None:
                    log.info("task %s: started", task.key)
                    out = run_task(task)
                results[task.key] = out
                _report(out, bar)
        return [results[t.key] for t in tasks]


_TASK_KEY: contextvars.ContextVar[str] = contextvars.ContextVar("fpgagan_task", default="-")


class _TaskKeyFilter(logging.Filter):
    """Puts the running task's key on every log record (``%(task)s``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.task = _TASK_KEY.get()
        return True


def _ray_entry(task: Task, level: int) -> Outcome:
    """A Ray worker's side of a task: its log lines reach the driver, then :func:`run_task`."""
    root = logging.getLogger()
    if not root.handlers:  # a fresh worker process: log to stderr, which Ray forwards
        handler = logging.StreamHandler()
        handler.addFilter(_TaskKeyFilter())
        handler.setFormatter(logging.Formatter("[%(task)s] %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
    token = _TASK_KEY.set(task.key)
    try:
        return run_task(task)
    finally:
        _TASK_KEY.reset(token)


class RayExecutor:
    """Tasks as Ray tasks: on a local instance of ``num_cpus`` CPUs, or on the cluster at
    ``address`` (``RAY_ADDRESS``), this process being the node at ``node_ip`` (default: the one
    Ray finds).  A Ray that this executor started, or connected to, is shut down on exit."""

    name = "ray"

    def __init__(
        self, num_cpus: int | None = None, address: str | None = None, node_ip: str | None = None
    ):
        if not ray_installed():
            raise ConfigError("Ray is not installed: pip install 'fpgagan[ray]'")
        self.num_cpus = num_cpus
        self.address = address
        self.node_ip = node_ip if node_ip is not None or address else LOCAL_NODE_IP
        self._started = False

    def __enter__(self) -> RayExecutor:
        import ray

        if not ray.is_initialized():
            env = {"TQDM_DISABLE": "1"}
            env |= {k: os.environ[k] for k in FORWARDED_ENV if k in os.environ}
            kwargs: dict[str, Any] = {"runtime_env": {"env_vars": env}, "log_to_driver": True}
            if self.node_ip:
                kwargs["_node_ip_address"] = self.node_ip
            if self.address:
                kwargs["address"] = self.address
            else:
                kwargs |= {"num_cpus": self.num_cpus, "include_dashboard": False}
            ray.init(**kwargs)
            self._started = True
        resources = ray.cluster_resources()
        log.info("Ray: %s", {k: v for k, v in resources.items() if k in ("CPU", "GPU")})
        return self

    def __exit__(self, *exc: object) -> None:
        if self._started:
            import ray

            ray.shutdown()
            self._started = False

    def gpus(self) -> float:
        import ray

        return float(ray.cluster_resources().get("GPU", 0.0))

    def run(self, tasks: Sequence[Task]) -> list[Outcome]:
        import ray

        remote = ray.remote(_ray_entry)
        level = logging.getLogger().getEffectiveLevel()
        order = dependency_order(tasks)
        results: dict[str, Outcome] = {}
        running: dict[Any, Task] = {}
        with tqdm(total=len(tasks), desc="tasks", unit="task") as bar:
            try:
                while len(results) < len(tasks):
                    busy = {t.key for t in running.values()}
                    for task in [t for t in order if t.key not in results and t.key not in busy]:
                        if not set(task.after) <= set(results):
                            continue
                        blocked = _blocked(task, results)
                        if blocked is not None:
                            results[task.key] = blocked
                            _report(blocked, bar)
                            continue
                        opts = {"num_cpus": task.cpus or 1, "num_gpus": task.gpus}
                        running[remote.options(**opts).remote(task, level)] = task
                        log.info("task %s: submitted (%s)", task.key, opts)
                    if not running:
                        continue
                    ready, _ = ray.wait(list(running), num_returns=1)
                    task = running.pop(ready[0])
                    try:
                        out = ray.get(ready[0])
                    except Exception as exc:  # the worker died (memory, a lost node)
                        text = _ANSI.sub("", f"{type(exc).__name__}: {exc}")
                        trace = _ANSI.sub("", traceback.format_exc())
                        out = Outcome(task.key, error=one_line(text), traceback=trace)
                    results[task.key] = out
                    _report(out, bar)
            finally:
                for ref in running:  # Ctrl-C or an error here: nothing keeps running
                    ray.cancel(ref, force=True)
        return [results[t.key] for t in tasks]


Executor = SerialExecutor | RayExecutor


def ray_installed() -> bool:
    return importlib.util.find_spec("ray") is not None


def make_executor(workers: int = 1, address: str | None = None) -> Executor:
    """The cluster at ``address`` (default ``$RAY_ADDRESS``) when set; a local Ray instance of
    ``workers`` CPUs when Ray is installed and ``workers`` > 1; otherwise the serial loop."""
    if workers < 1:
        raise ConfigError(f"workers must be >= 1, got {workers}")
    address = address or os.environ.get(RAY_ADDRESS_ENV) or None
    if address:
        return RayExecutor(address=address)
    if workers > 1:
        if ray_installed():
            return RayExecutor(num_cpus=workers)
        log.warning("%d workers asked, Ray is not installed: running serially", workers)
    return SerialExecutor()
