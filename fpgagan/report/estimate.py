"""The cost model's evaluation of a built design (:class:`fpgagan.hw.plan.Plan`) as the report's
typed :class:`~fpgagan.report.hls_report.CostEstimate`."""

from __future__ import annotations

from fpgagan.boards import Board
from fpgagan.hw import unit_costs
from fpgagan.hw.cost import Item, LayerCost
from fpgagan.hw.dataflow import Stage
from fpgagan.hw.plan import UTILISATION, Plan
from fpgagan.report.hls_report import CostEstimate, CostItem, LayerEstimate, StageEstimate, Totals

NOTES = (
    "Unit costs (multipliers, adder trees, accumulators, output units, multiplexers, counters, "
    "SRL FIFOs) are yosys synth_xilinx counts of each block alone: no slice packing and no "
    "optimisation across blocks, so upper bounds per unit, not Vivado's figures.",
    "Memories follow the 7-series primitive formulas (RAMB18E1 aspect ratios, SDP LUTRAM, LUT6 "
    "ROMs) and the storage the generated wrappers bind them to.",
    "Throughput is the pipeline's steady-state interval, simulated with the planned FIFO depths "
    "over the whole dataflow graph (skip connections, clones and merges included); "
    "every layer reads one weight word per step, so the weight ports never exceed the compute "
    "schedule, and every stream element is one pixel.",
    "Weights off chip (layers whose schedule says 'weights in DDR') cross the DDR once per image; "
    "the interval is at least the DDR time per image at the board's sustained rate (an assumed "
    "75% of the peak unless the board file says otherwise).",
    "Totals and usage are the whole design's: the accelerator plus the system around it (the "
    "AXI4-Stream shell and HLS control, counted from the unit costs; the block design's vendor "
    "IP from open equivalents synthesised with yosys, not AMD's netlists).",
    "Not counted: HLS-inserted registers beyond the product, adder-tree and ROM output "
    "registers, routing; timing closure at the board clock is not checked.",
)


def _item(it: Item) -> CostItem:
    t = it.total
    return CostItem(it.what, it.count, t.lut, t.ff, t.dsp, t.bram_18k, it.source)


def _layer(c: LayerCost, schedule: str, n_par: int, k_par: int) -> LayerEstimate:
    t = c.total
    return LayerEstimate(
        name=c.name,
        kernel=c.kernel,
        schedule=schedule,
        n_par=n_par,
        k_par=k_par,
        n_steps=c.n_steps,
        lanes=c.lanes,
        dsp_lanes=c.dsp_lanes,
        macs=c.macs,
        bops=c.bops,
        weight_bits=c.weight_bits,
        input_bits=c.input_bits,
        accum_bits=c.accum_bits,
        lane_use=c.lane_use,
        cycles_stream_in=c.cycles.stream_in,
        cycles_compute=c.cycles.compute,
        cycles_refill=c.cycles.refill,
        cycles=c.cycles.total,
        lut=t.lut,
        ff=t.ff,
        dsp=t.dsp,
        bram_18k=t.bram_18k,
        items=tuple(_item(i) for i in c.items),
        mults_per_output=c.mults_per_output,
    )


def cost_estimate(plan: Plan, board: Board) -> CostEstimate:
    layers = tuple(
        _layer(
            c,
            s.schedule + (", weights in DDR" if s.offchip else ""),
            s.parallelism.n_par,
            s.parallelism.k_par,
        )
        for c, s in zip(plan.layers, plan.shapes, strict=True)
    )
    macs = sum(c.macs for c in plan.layers)
    roofline = board.resources.dsp * plan.clock_mhz * 1e6 / max(1, macs)
    t, a = plan.totals, plan.accelerator_totals
    macs_bops_lanes = (
        macs,
        sum(c.bops for c in plan.layers),
        sum(c.lanes for c in plan.layers),
    )
    return CostEstimate(
        layers=layers,
        fifos=tuple(_item(i) for i in plan.fifos.items),
        fifo_depths=plan.fifos.depths,
        totals=Totals(*macs_bops_lanes, t.lut, t.ff, t.dsp, t.bram_18k),
        accelerator=Totals(*macs_bops_lanes, a.lut, a.ff, a.dsp, a.bram_18k),
        system=tuple(_item(i) for i in plan.system),
        usage=dict(plan.usage),
        utilisation_limits=dict(UTILISATION),
        fits=plan.fits,
        limiting=plan.limiting,
        interval_cycles=plan.interval_cycles,
        slowest_layer_cycles=max(c.cycles.total for c in plan.layers),
        latency_cycles=plan.latency_cycles,
        images_per_s=plan.images_per_s,
        dsp_roofline_images_per_s=roofline,
        fraction_of_roofline=plan.images_per_s / roofline if roofline else None,
        gops=plan.images_per_s * 2 * macs / 1e9,
        unit_costs=unit_costs.provenance(),
        notes=NOTES,
        stages=tuple(_stage(st) for st in plan.stages),
        streams=tuple(
            f"{plan.flow.order[src]} -> {plan.flow.order[dst]}" for src, dst in plan.flow.edges
        ),
        ddr_bytes_per_image=plan.ddr_bytes,
        ddr_gb_s=plan.ddr_gb_s,
        ddr_sustained_gb_s=board.ddr.sustained_gb_s if board.ddr is not None else 0.0,
        ddr_cycles=plan.ddr_cycles,
    )


def _stage(st: Stage) -> StageEstimate:
    t = st.total
    return StageEstimate(
        st.name,
        st.kind,
        st.cycles,
        t.lut,
        t.ff,
        t.dsp,
        t.bram_18k,
        tuple(_item(i) for i in st.items),
    )
