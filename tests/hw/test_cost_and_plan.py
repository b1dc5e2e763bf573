"""The cost model counts what the engine instantiates; the FIFO simulation and the planner."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from fpgagan.boards import get_board
from fpgagan.errors import BoardError
from fpgagan.hw import engine as E
from fpgagan.hw import unit_costs as U
from fpgagan.hw.cost import layer_cost, layer_cycles
from fpgagan.hw.fifo import fixed_fifos, process, simulate, size_fifos
from fpgagan.hw.plan import UTILISATION, Choice, candidates, evaluate, make_plan, with_choice


def _at(shape, raw, n_par, k_par, cols=0, pack=1, storage="auto", sparse=False):
    return with_choice(shape, raw, Choice(n_par, k_par, cols, pack, storage, sparse))


def test_counts_follow_the_parallelism(default_layers):
    shapes, raw = default_layers
    deconv = shapes[1]  # 128 -> 64 channels, 4 taps per phase
    s = _at(deconv, raw[deconv.name], 64, 8)
    c = layer_cost(s)
    assert c.lanes == 512 and s.n_steps == 64  # 32,768 products per pixel / 512 lanes
    items = {i.what: i for i in c.items}
    assert items["multiplier (fabric) 4b x 8b"].count == 512
    assert items["accumulator"].count == 64
    assert items["output unit (relu_u)"].count == 64
    assert items["adder tree of 8"].count == 64
    # weight ROM: one word of the 512 lanes' weights per step, n_mats * n_steps words
    rom = next(m for m in c.memories if m.name == "weights")
    assert (rom.depth, rom.width) == (4 * 64, 512 * 4)
    # cycles: the layer's one pipelined loop takes the 49 input pixels and performs every output
    # pixel's steps; the pipeline fills and drains once per image, not once per row
    cyc = layer_cycles(s)
    assert cyc.stream_in == 49 and cyc.compute == 196 * 64 and cyc.weight_port == cyc.compute
    assert cyc.stream_in + cyc.compute == s.loop_iterations
    assert 0 < cyc.refill < s.n_steps


def test_every_item_names_its_source(default_layers):
    shapes, raw = default_layers
    for s in shapes:
        for item in layer_cost(s).items:
            assert item.source.startswith(("yosys:", "formula:")), item


def test_dsp_pairs_replace_fabric_multipliers(default_layers):
    shapes, raw = default_layers
    deconv = shapes[1]
    fabric = layer_cost(_at(deconv, raw[deconv.name], 64, 8))
    packed = layer_cost(_at(deconv, raw[deconv.name], 64, 8, cols=64, pack=2))
    assert packed.total.dsp == 8 * 64 / 2  # two products per DSP48E1
    assert packed.total.lut < fabric.total.lut
    half = layer_cost(_at(deconv, raw[deconv.name], 64, 8, cols=32, pack=2))
    assert half.total.dsp == 8 * 32 / 2
    assert packed.total.lut < half.total.lut < fabric.total.lut


def test_sparse_schedule_needs_input_multiplexers_per_lane(default_layers):
    shapes, raw = default_layers
    head = shapes[0]
    dense = layer_cost(_at(head, raw[head.name], 32, 4))
    sparse = layer_cost(_at(head, raw[head.name], 32, 4, sparse=True))
    mux = lambda c: next(i for i in c.items if i.what.startswith("window read mux"))  # noqa: E731
    assert mux(dense).count == 4 and mux(sparse).count == 4 * 32


def test_unit_table_records_how_it_was_measured():
    prov = U.provenance()
    assert prov["yosys_version"].startswith("Yosys") and "synth_xilinx" in prov["command"]


# ------------------------------------------------------------------ the pipeline in time


def test_fifo_sizing_keeps_the_full_frame_interval(default_layers):
    shapes, raw = default_layers
    planned = [
        _at(shapes[0], raw[shapes[0].name], 32, 1),
        _at(shapes[1], raw[shapes[1].name], 64, 8),
        _at(shapes[2], raw[shapes[2].name], 1, 16),
    ]
    procs = [process(s) for s in planned]
    full = simulate(procs, [p.writes for p in procs[:-1]])
    fifos = size_fifos(planned)
    assert fifos.timeline.interval == full.interval
    assert all(d < p.writes for d, p in zip(fifos.depths, procs, strict=False))
    # the pipeline is never faster than its slowest layer
    assert full.interval >= max(layer_cycles(s).total for s in planned)
    # one slot less than the chosen depth (when it is not already 2) costs throughput or not:
    # either way the simulation is monotone in the depth
    shallow = fixed_fifos(planned, [2] * len(fifos.depths))
    assert shallow.timeline.interval >= fifos.timeline.interval


def test_simulation_of_a_producer_faster_than_its_consumer():
    """Two layers: the interval is the slower one's cycles, and back-pressure stalls the faster."""
    geom = E.Geometry("dense", n_out=8, n_chan=8, n_taps=1, n_mats=4, n_pix=4, in_pixels=1)
    base = dict(name="a", kernel="FgLinear", geometry=geom, parallelism=E.Parallelism(8, 8))
    from fpgagan.hw.spec import EngineShape, Widths

    widths = Widths(8, True, 4, 8, 12, 15, 20, 8)
    fast = EngineShape(**base, widths=widths, n_steps=1, sparse=False, n_nonzero=256,
                       macs=256, macs_options=(256, 256), rom_words=4, activation="none",
                       io_type="io_stream", bias_values=32, ctl_bits=0)  # fmt: skip
    slow = dataclasses.replace(fast, name="b", n_steps=50, in_elements=4)
    procs = [process(fast), process(slow)]
    deep = simulate(procs, [4])  # a FIFO holding a whole image
    assert deep.interval == layer_cycles(slow).total
    assert deep.stalls["a"] > 0  # the fast producer waits for free slots
    shallow = simulate(procs, [1])  # the slow layer's input burst now trickles in
    assert shallow.interval > deep.interval


# ------------------------------------------------------------------ the plan


@pytest.fixture(scope="module")
def plans(default_layers):
    shapes, raw = default_layers
    return {name: make_plan(shapes, raw, get_board(name)) for name in ("pynq-z2", "zcu102")}


@pytest.mark.parametrize("board", ["pynq-z2", "zcu102"])
def test_plan_fits_and_is_tight(default_layers, plans, board):
    """The plan fits, and for every layer the next faster configuration (the same layer at
    its next shorter schedule, others unchanged) does not fit or is no faster."""
    shapes, raw = default_layers
    b = get_board(board)
    plan = plans[board]
    assert plan.fits and all(plan.usage[k] <= UTILISATION[k] for k in UTILISATION)
    for i, s in enumerate(plan.shapes):
        faster = [
            c for c in candidates(shapes[i], raw[s.name], (s.sparse,), None)
            if c.cycles < plan.layers[i].cycles.total
        ]  # fmt: skip
        if not faster:
            continue
        nxt = max(faster, key=lambda c: c.cycles)
        trial = [*plan.shapes[:i], nxt.shape, *plan.shapes[i + 1 :]]
        other = evaluate(trial, b)
        assert not other.fits or other.images_per_s <= plan.images_per_s * (1 + 1e-9), s.name


def test_plan_meets_the_pynq_z2_throughput_floor(plans):
    plan = plans["pynq-z2"]
    assert plan.images_per_s >= 2000  # issue #11's floor at 100 MHz
    # no stream element wider than a layer's channels: the head writes pixels of 128 values
    assert max(s.geometry.n_out for s in plan.shapes) <= 128


def test_fixed_steps_and_unknown_layers(default_layers):
    shapes, raw = default_layers
    b = get_board("pynq-z2")
    name = shapes[1].name
    plan = make_plan(shapes, raw, b, fixed={name: 512})
    pinned = next(s for s in plan.shapes if s.name == name)
    assert pinned.n_steps <= 512 and 2 * pinned.n_steps > 512  # the longest schedule within 512
    with pytest.raises(BoardError, match="unknown layer"):
        make_plan(shapes, raw, b, fixed={"nope": 4})


def test_dense_steps_formula_matches_lane_count(default_layers):
    shapes, _ = default_layers
    for s in shapes:
        g = s.geometry
        for n, k in E.valid_parallelism(g)[:6]:
            assert E.dense_steps(g, n, k) * n * k == g.products_per_pixel
            assert math.prod([E.dense_steps(g, n, k), n, k]) % g.n_out == 0
    assert np.all([s.geometry.n_chan % s.parallelism.k_par == 0 for s in shapes])
