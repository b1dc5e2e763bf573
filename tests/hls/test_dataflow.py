"""The dataflow graph of a design with skip connections: every process and stream is found, the
pipeline simulation over the graph sizes the FIFOs (a skip connection deep enough for the branch
beside it; a shallow one deadlocks), the plan counts the non-engine processes, and the generated
project carries the planned depth on every stream, clones included."""

from __future__ import annotations

import re

import pytest

from fpgagan.boards import get_board
from fpgagan.hls.convert import HlsOptions, convert, hardware_graph
from fpgagan.hls.dataflow_graph import extract
from fpgagan.hls.engine_layers import engine_layers
from fpgagan.hw.fifo import DEADLOCK, simulate, size_fifos
from fpgagan.hw.plan import evaluate, make_plan
from fpgagan.sim import build_csim
from tests.hls.test_spatial_csim import probe_graph


def _converted(model, tmp_path, io_type="io_stream"):
    hw, _ = hardware_graph(model)
    return convert(hw, tmp_path / "probe", HlsOptions(io_type=io_type))


@pytest.fixture(scope="module")
def unet(tmp_path_factory):
    from benchmarks.unet_probe import unet_probe

    hls = _converted(unet_probe(), tmp_path_factory.mktemp("unet"))
    return hls, extract(hls), [layer.shape() for layer in engine_layers(hls)]


def test_unet_graph_has_every_process_and_stream(unet):
    hls, flow, shapes = unet
    kinds = {st.name: st.kind for st in flow.stages}
    assert sorted(kinds.values()) == ["clone", "concat"]
    assert not flow.is_chain
    assert set(flow.order) == {s.name for s in shapes} | set(kinds)
    clone = flow.order.index(next(n for n, k in kinds.items() if k == "clone"))
    concat = flow.order.index(next(n for n, k in kinds.items() if k == "concat"))
    # the clone feeds the encoder and, through the skip stream, the concat
    assert sum(1 for src, _ in flow.edges if src == clone) == 2
    assert (clone, concat) in flow.edges
    assert sum(1 for _, dst in flow.edges if dst == concat) == 2
    # every stream's element is one pixel of its producer's channels
    for (src, _), bits in zip(flow.edges, flow.widths, strict=True):
        var = hls.graph[flow.order[src]].get_output_variable()
        assert bits == var.shape[-1] * var.type.precision.width


def test_skip_fifo_holds_the_lag_and_a_shallow_one_deadlocks(unet):
    _, flow, shapes = unet
    fifos = size_fifos(shapes, flow)
    procs = flow.processes(shapes)
    full = [max(2, procs[src].writes) for src, _ in flow.edges]
    assert fifos.timeline.interval == simulate(procs, full, edges=flow.edges).interval
    skip = next(
        e
        for e, (src, dst) in enumerate(flow.edges)
        if flow.stages and flow.order[src].startswith("clone") and "Concat" in flow.order[dst]
    )
    # the decoder's half of the concat arrives late: the skip stream must buffer most of a map
    assert fifos.depths[skip] > 8
    shallow = list(fifos.depths)
    shallow[skip] = 2
    assert simulate(procs, shallow, edges=flow.edges).interval == DEADLOCK


def test_plan_counts_stages_and_fifos(unet):
    _, flow, shapes = unet
    plan = evaluate(shapes, get_board("pynq-z2"), flow=flow)
    layers = sum((c.total.lut for c in plan.layers), 0.0)
    stages = sum(st.total.lut for st in flow.stages)
    fifos = sum(item.total.lut for item in plan.fifos.items)
    assert stages > 0
    # the whole design: the accelerator's processes and FIFOs, and the system around them
    assert plan.totals.lut == pytest.approx(layers + stages + fifos + plan.system_totals.lut)
    assert plan.interval_cycles >= max(st.cycles for st in flow.stages)


def test_upsample_stage_has_its_row_buffer(tmp_path):
    flow = extract(_converted(probe_graph("upsample2"), tmp_path))
    (st,) = flow.stages
    assert st.kind == "FgUpsample"
    buffer = next(item for item in st.items if item.what.startswith("row buffer"))
    assert buffer.what.startswith("row buffer 4x24")  # one 4-pixel row of 3 x 8-bit channels
    assert st.reads == 5 * 4 and st.writes == 10 * 8


@pytest.mark.csim
def test_planned_depths_reach_the_project(tmp_path):
    model = probe_graph("concat")
    hls = _converted(model, tmp_path)
    layers = engine_layers(hls)
    raw = {layer.name: layer.get_attr("raw_mats") for layer in layers}
    flow = extract(hls)
    plan = make_plan([x.shape() for x in layers], raw, get_board("pynq-z2"), flow=flow)
    config = plan.layer_config()
    clone = next(st.name for st in flow.stages if st.kind == "clone")
    assert isinstance(config[clone]["FifoDepth"], list)
    csim = build_csim(model, tmp_path / "prj", HlsOptions(io_type="io_stream", layer_config=config))
    source = (csim.project_dir / "firmware" / "myproject.cpp").read_text()
    depths = {int(d) for d in re.findall(r"#pragma HLS STREAM variable=\w+ depth=(\d+)", source)}
    assert depths == set(plan.fifos.depths)
    built = extract(csim.hls_model)
    assert built.order == flow.order and built.edges == flow.edges
