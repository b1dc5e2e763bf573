"""The stream pipeline's two models: the steady state on runs of events (what the planner uses)
against the simulation of every element (the reference), on the shipped default's chain and on
graphs with skip connections (the U-Net probe, the registry's sr2x and inpaint U-Nets)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from fpgagan.boards import get_board
from fpgagan.config import Precision
from fpgagan.export.qonnx_export import to_qonnx
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.dataflow_graph import extract
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hw import fifo as F
from fpgagan.hw.cost import layer_cycles
from fpgagan.hw.dataflow import Dataflow, Process, process
from fpgagan.hw.plan import make_plan
from fpgagan.hw.spec import EngineShape

# The steady state's depths are enough, not always the fewest: the simulation's processes wait
# partly for data and partly for free slots, in a mix the steady state's schedule
# (fifo._schedule) need not follow, so a stream may get more than the simulation needs with the
# others as chosen: one power of two on the default's first stream on the ZCU102 (16 where 8
# keeps the interval), two on unet-tiny's stream into its first upsampling (16 where 4 does:
# there the upsampling waits for free slots, in the simulation for data); never three here.
DEPTH_STEPS_ABOVE = 2

W4A8 = Precision(weight_bits=4, act_bits=8, input_bits=8, input_range=1.0, output_bits=8)


@dataclasses.dataclass(frozen=True)
class Pipeline:
    """A plan's layers, its processes and streams."""

    shapes: list[EngineShape]
    flow: Dataflow

    @property
    def procs(self) -> list[Process]:
        return self.flow.processes(self.shapes)

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        return self.flow.edges

    @property
    def widths(self) -> tuple[int, ...]:
        return self.flow.widths

    @property
    def skips(self) -> tuple[int, ...]:
        """Streams from a clone to a merge."""
        kind = {st.name: st.kind for st in self.flow.stages}
        order = self.flow.order
        return tuple(
            e
            for e, (src, dst) in enumerate(self.edges)
            if kind.get(order[src]) == "clone" and kind.get(order[dst]) in ("concat", "add")
        )


def _pipeline(shapes, raw, flow, board="pynq-z2") -> Pipeline:
    return Pipeline(list(make_plan(shapes, raw, get_board(board), flow=flow).shapes), flow)


def _converted(model, tmp):
    hw, _ = hardware_graph(model)
    hls = convert(hw, tmp, HlsOptions(io_type="io_stream"))
    layers = engine_layers(hls)
    raw = {x.name: x.get_attr("raw_mats") for x in layers}
    return [x.shape() for x in layers], raw, extract(hls)


def _unet(name: str):
    from fpgagan.models import build_unet

    torch.manual_seed(0)
    gen = build_unet(name, W4A8).train()
    with torch.no_grad():  # activation scales from running statistics
        for _ in range(3):
            gen(torch.rand(16, 1, gen.spec.in_size, gen.spec.in_size) * 2 - 1)
    return to_qonnx(gen.eval())


@pytest.fixture(scope="module")
def default_plans(default_layers):
    shapes, raw = default_layers
    return {board: make_plan(shapes, raw, get_board(board)) for board in ("pynq-z2", "zcu102")}


@pytest.fixture(scope="module")
def pipelines(default_plans, tmp_path_factory):
    from benchmarks.unet_probe import unet_probe

    out = {}
    for board, plan in default_plans.items():
        out[f"default-{board}"] = Pipeline(list(plan.shapes), plan.flow)
    for name, model in (
        ("unet-probe", unet_probe()),
        ("unet-tiny", _unet("unet-tiny")),
        ("unet-tiny-inpaint", _unet("unet-tiny-inpaint")),
    ):
        out[name] = _pipeline(*_converted(model, tmp_path_factory.mktemp(name) / "p"))
    return out


CASES = ["default-pynq-z2", "default-zcu102", "unet-probe", "unet-tiny", "unet-tiny-inpaint"]


def _full(p: Pipeline) -> list[int]:
    return [max(2, p.procs[src].writes) for src, _ in p.edges]


@pytest.mark.parametrize("case", CASES)
def test_steady_state_agrees_with_the_simulation(pipelines, case):
    """The interval is the slowest process's, which FIFOs of one image keep in the simulation;
    the depths chosen keep it there too (no deadlock), and image 0's latency is the simulation's."""
    p = pipelines[case]
    state = F.steady_state(p.procs, p.edges, p.widths)
    assert state.interval == max(F.runs_of(x).cycles for x in p.procs)
    assert all(d >= max(2, k) for d, k in zip(state.depths, state.needs, strict=True))
    assert F.size_fifos(p.shapes, p.flow).depths == state.depths
    full = F.simulate(p.procs, _full(p), edges=p.edges)
    assert state.interval == full.interval
    sized = F.simulate(p.procs, list(state.depths), edges=p.edges)
    assert sized.interval == state.interval
    assert state.latency == sized.latency


@pytest.mark.parametrize("case", ["default-pynq-z2", "default-zcu102", "unet-probe", "unet-tiny"])
def test_depths_are_within_the_tolerance_of_the_simulation(pipelines, case):
    """Per stream, with the others as chosen: a depth DEPTH_STEPS_ABOVE + 1 powers of two below
    the chosen one costs the simulation its interval (or deadlocks it)."""
    p = pipelines[case]
    state = F.steady_state(p.procs, p.edges, p.widths)
    for e, depth in enumerate(state.depths):
        lower = depth // 2 ** (DEPTH_STEPS_ABOVE + 1)
        if lower < 2:
            continue
        trial = [*state.depths[:e], lower, *state.depths[e + 1 :]]
        assert F.simulate(p.procs, trial, edges=p.edges).interval > state.interval, (e, depth)


@pytest.mark.parametrize("case", ["unet-probe", "unet-tiny"])
def test_a_shallow_skip_stream_is_found_in_both_models(pipelines, case):
    """A skip stream of depth 2, short of what the steady state needs: the FIFOs report the
    simulation's verdict, a deadlock, as tests/hls/test_dataflow.py finds for the probe."""
    p = pipelines[case]
    state = F.steady_state(p.procs, p.edges, p.widths)
    deep = [e for e in p.skips if state.needs[e] > 8]
    assert deep, "a skip stream holds the lag of the branch beside it"
    shallow = list(state.depths)
    shallow[deep[0]] = 2
    assert F.fixed_fifos(p.shapes, shallow, p.flow).timeline.interval == F.DEADLOCK


def test_fixed_fifos_short_of_the_need_are_simulated(default_plans):
    plan = default_plans["pynq-z2"]
    planned = list(plan.shapes)
    procs = plan.flow.processes(planned)
    short = F.fixed_fifos(planned, [2, 2])
    assert short.timeline == F.simulate(procs, [2, 2])
    assert short.timeline.interval > plan.interval_cycles
    kept = F.fixed_fifos(planned, list(plan.fifos.depths))
    assert kept.timeline == plan.fifos.timeline
    assert kept.timeline.interval == plan.interval_cycles


def test_runs_follow_the_rows_not_the_pixels(default_layers):
    """A layer's schedule in runs: an input row, a row of output pixels; their gaps add up to
    the layer's cycles."""
    shapes, _ = default_layers
    for s in shapes:
        sch = F.runs_of(process(s))
        assert sch.cycles == layer_cycles(s).total
        assert sum(r.n for r in sch.runs if r.reads) == sch.reads == process(s).reads
        assert sum(r.n for r in sch.runs if r.writes) == sch.writes == process(s).writes
        assert len(sch.runs) <= 2 * (s.in_height + s.out_height)


def _rows(name: str, rows: int, width: int, steps: int, out_rows: int = 1) -> Process:
    """A process that reads an input row, then computes ``out_rows`` rows of pixels."""
    ops: list[tuple[str, int]] = []
    for _ in range(rows):
        ops.append(("read", width))
        ops += [("compute", steps), ("write", 1)] * (width * out_rows)
    ops.append(("compute", 7))
    return Process(name, tuple(ops), rows * width, rows * width * out_rows)


def test_a_large_frame_in_runs():
    """Frames of 180x320: the steady state needs a few hundred runs per process, and the depths
    it chooses keep its interval in the simulation of every element."""
    procs = [
        _rows("a", 180, 320, 3),
        _rows("b", 180, 320, 5),
        _rows("c", 180, 320, 2, out_rows=2),
        _rows("d", 360, 320, 1),
    ]
    assert all(len(F.runs_of(p).runs) == 2 * (p.reads // 320) for p in procs)
    state = F.steady_state(procs)
    assert state.interval == F.runs_of(procs[1]).cycles
    assert F.simulate(procs, list(state.depths)).interval == state.interval


@pytest.mark.parametrize(
    "need, image, depth",
    [(1, 49, 2), (2, 49, 2), (10, 49, 16), (32, 49, 32), (33, 49, 49), (49, 49, 49), (50, 49, 64)],
)
def test_depth_is_a_power_of_two_or_one_image(need, image, depth):
    assert F.fifo_depth(need, image) == depth
