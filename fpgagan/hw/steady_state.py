"""The steady state of the io_stream pipeline, the planner's model (:func:`steady_state`): every
process at the interval of the slowest, computed on runs of events (a row read, a row of output
pixels) so that its cost grows with the rows and the processes, not with the pixels; each
stream's depth is the token-curve bound of that schedule, the most elements written and not yet
read.  :func:`fpgagan.hw.pipeline_sim.simulate` is the element-level reference it is tested
against.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Callable

from fpgagan.hw.dataflow import Process
from fpgagan.hw.pipeline_sim import Edges, chain_edges

# A piece of a curve: elements i0 .. i0 + n - 1 at cycles t0 + slope * (i - i0)
Seg = tuple[int, int, int, int]


@dataclasses.dataclass(frozen=True)
class Run:
    """``n`` consecutive events of one process's schedule (an event reads one element of every
    input, writes one to every output, or both), each at least ``step`` cycles after the one
    before; the first at least ``gap`` cycles after the event before the run."""

    n: int
    gap: int
    step: int
    reads: bool
    writes: bool


@dataclasses.dataclass(frozen=True)
class Runs:
    """A process's per-image schedule as runs: ``runs[0].gap`` is the gap from the previous
    image's last event; ``lead`` the cycles before the very first event."""

    runs: tuple[Run, ...]
    lead: int
    reads: int  # elements read per image from each input
    writes: int  # elements written per image to each output

    @property
    def cycles(self) -> int:
        """Cycles per image when nothing waits: the sum of the gaps."""
        return sum(r.gap + (r.n - 1) * r.step for r in self.runs)


def runs_of(p: Process) -> Runs:
    """``p``'s ops as runs of events: a read (one per cycle), an emit or pass (one per cycle), a
    write (no cycle of its own) ends the computation before it, which becomes its gap; a row of
    output pixels (compute ``n_steps``, write one) is one run."""
    runs: list[list] = []  # [n, gap, step, reads, writes], merged while the gaps repeat
    pending, post, lead = 0, 0, None

    def add(n: int, gap: int, reads: bool, writes: bool) -> None:
        last = runs[-1] if runs else None
        if last and last[3:] == [reads, writes] and (last[0] == 1 or last[2] == gap):
            last[0], last[2] = last[0] + n, gap
        else:
            runs.append([n, gap, gap, reads, writes])

    for op, k in p.ops:
        if op == "compute":
            pending += k
            continue
        if k == 0:
            continue
        step = 0 if op == "write" else 1  # an element's cycles: a write has none of its own
        if lead is None:
            lead = pending
        add(1, post + pending, op in ("read", "pass"), op != "read")
        if k > 1:
            add(k - 1, step, op in ("read", "pass"), op != "read")
        pending, post = 0, step
    if not runs:
        raise ValueError(f"process {p.name}: no reads or writes")
    runs[0][1] = post + pending + lead  # from the last event of an image to the next image's first
    return Runs(tuple(Run(*r) for r in runs), lead, p.reads, p.writes)


class Curve:
    """The cycles of a stream side's elements in steady state: ``segs`` cover the elements
    ``0 .. n - 1`` of one image, element ``i + n`` comes ``period`` cycles after element ``i``."""

    def __init__(self, segs: list[Seg], n: int, period: int):
        if sum(s[1] for s in segs) != n:
            raise ValueError(f"curve pieces cover {sum(s[1] for s in segs)} of {n} elements")
        self.segs, self.n, self.period = segs, n, period
        self.starts = [s[0] for s in segs]
        self.times = [s[2] for s in segs]

    def window(self, lo: int, hi: int) -> list[Seg]:
        """The pieces over elements ``lo .. hi - 1`` (any image)."""
        out: list[Seg] = []
        k, i = divmod(lo, self.n)
        j = bisect.bisect_right(self.starts, i) - 1
        while lo < hi:
            i0, m, t0, s = self.segs[j]
            base = k * self.n + i0
            end = min(hi, base + m)
            out.append((lo, end - lo, t0 + s * (lo - base) + k * self.period, s))
            lo = end
            j += 1
            if j == len(self.segs):
                j, k = 0, k + 1
        return out

    def last_at(self, t: int) -> int:
        """The last element at or before cycle ``t`` (the curve strictly increasing)."""
        k = (t - self.times[0]) // self.period
        t -= k * self.period
        i0, m, t0, s = self.segs[bisect.bisect_right(self.times, t) - 1]
        return k * self.n + i0 + (0 if m == 1 else min(m - 1, (t - t0) // s))

    def shifted(self, dt: int) -> Curve:
        return Curve([(i, m, t + dt, s) for i, m, t, s in self.segs], self.n, self.period)

    def flipped(self) -> Curve:
        """Element ``i`` at minus the cycle of element ``n - 1 - i``: time and order reversed."""
        segs = [(self.n - i - m, m, -(t + s * (m - 1)), s) for i, m, t, s in reversed(self.segs)]
        return Curve(segs, self.n, self.period)


def _append(out: list[Seg], seg: Seg) -> None:
    """Append ``seg``, joining it to the last piece where both lie on one line."""
    i, m, t, s = seg
    if out:
        i0, m0, t0, s0 = out[-1]
        if m0 == 1 and t - t0 == s:
            out[-1] = (i0, m0 + m, t0, s)
            return
        if t == t0 + s0 * m0 and (s == s0 or m == 1):
            out[-1] = (i0, m0 + m, t0, s0)
            return
    out.append(seg)


def _upper(a: list[Seg], b: list[Seg]) -> list[Seg]:
    """The larger of two piecewise-linear curves over the same elements."""
    out: list[Seg] = []
    ia = ib = 0
    while ia < len(a) and ib < len(b):
        ai, am, at, asl = a[ia]
        bi, bm, bt, bsl = b[ib]
        u, v = max(ai, bi), min(ai + am, bi + bm)
        x, y = at + asl * (u - ai), bt + bsl * (u - bi)
        if x >= y and asl >= bsl:
            _append(out, (u, v - u, x, asl))
        elif x <= y and bsl >= asl:
            _append(out, (u, v - u, y, bsl))
        else:  # they cross: the one above at u until the other overtakes it
            hi_t, hi_s, lo_t, lo_s = (x, asl, y, bsl) if x > y else (y, bsl, x, asl)
            k = min(v - u, (hi_t - lo_t) // (lo_s - hi_s) + 1)
            _append(out, (u, k, hi_t, hi_s))
            if k < v - u:
                _append(out, (u + k, v - u - k, lo_t + lo_s * k, lo_s))
        if ai + am == v:
            ia += 1
        if bi + bm == v:
            ib += 1
    return out


def _envelope(curves: list[Curve], upper: bool) -> Curve:
    """The latest (``upper``) or the earliest of several curves of one stream length."""
    n, period = curves[0].n, curves[0].period
    sign = 1 if upper else -1
    segs = [(i, m, sign * t, sign * s) for i, m, t, s in curves[0].window(0, n)]
    for c in curves[1:]:
        segs = _upper(segs, [(i, m, sign * t, sign * s) for i, m, t, s in c.window(0, n)])
    return Curve([(i, m, sign * t, sign * s) for i, m, t, s in segs], n, period)


def _run_times(first: int | None, step: int, n: int, bound: list[Seg] | None) -> list[Seg]:
    """Cycles of a run's events 0 .. n - 1: t(0) = max(first, c(0)), t(k) = max(t(k-1) + step,
    c(k)), where ``bound`` gives c (pieces over the run's events; None: no bound) and ``first``
    None means no earlier event bounds the run."""
    if bound is None:
        return [(0, n, first, step)] if first is not None and n else []
    out: list[Seg] = []
    nxt = first  # the earliest cycle of the next event from the chain of gaps alone
    for u, m, c0, s in bound:
        if s <= step:  # the bound rises no faster than the chain: it matters at u at most
            t0 = c0 if nxt is None else max(nxt, c0)
            _append(out, (u, m, t0, step))
            last = t0 + step * (m - 1)
        else:  # the chain until the bound overtakes it, then the bound
            k = 0 if nxt is None or c0 >= nxt else min(m, -((c0 - nxt) // (s - step)))
            if k:
                _append(out, (u, k, nxt, step))
            if k < m:
                _append(out, (u + k, m - k, c0 + s * k, s))
            last = c0 + s * (m - 1) if k < m else nxt + step * (m - 1)
        nxt = last + step
    return out


def _earliest(
    sch: Runs, bound: Curve | None, on_reads: bool, period: int, images: int, start: bool
) -> tuple[Curve, Curve]:
    """Read and write cycles of the last of ``images`` images when every event is as early as
    the gaps and ``bound`` allow (element i of the reads, or of the writes when not
    ``on_reads``, no earlier than bound(i)).  ``start``: the first event comes ``lead`` cycles
    after cycle 0; else it is unbounded until the bound first applies (steady state: after two
    images the times no longer depend on the start when the period leaves every process a
    non-negative slack)."""
    prev: int | None = 0 if start else None
    r = w = 0
    for img in range(images):
        rsegs: list[Seg] = []
        wsegs: list[Seg] = []
        for j, run in enumerate(sch.runs):
            gap = sch.lead if start and img == 0 and j == 0 else run.gap
            x = r if on_reads else w
            limited = bound is not None and (run.reads if on_reads else run.writes)
            window = (
                [(i - x, m, t, s) for i, m, t, s in bound.window(x, x + run.n)] if limited else None
            )
            segs = _run_times(None if prev is None else prev + gap, run.step, run.n, window)
            prev = segs[-1][2] + segs[-1][3] * (segs[-1][1] - 1) if segs else None
            if img == images - 1:  # the last image's elements as image 0's (same period)
                if not segs:
                    raise ValueError("a process whose times no stream bounds")
                for side, base, out in (
                    (run.reads, r - img * sch.reads, rsegs),
                    (run.writes, w - img * sch.writes, wsegs),
                ):
                    for i, m, t, s in segs if side else ():
                        _append(out, (base + i, m, t - img * period, s))
            r += run.n if run.reads else 0
            w += run.n if run.writes else 0
    return Curve(rsegs, sch.reads, period), Curve(wsegs, sch.writes, period)


def _reversed(sch: Runs) -> Runs:
    """The schedule backwards: run j's events in reverse order, each as far from the one now
    before it as it was from the one after it."""
    runs = sch.runs
    back = [
        Run(r.n, runs[(j + 1) % len(runs)].gap, r.step, r.reads, r.writes)
        for j, r in enumerate(runs)
    ]
    return Runs(tuple(reversed(back)), 0, sch.reads, sch.writes)


def _latest(sch: Runs, deadline: Curve, period: int) -> tuple[Curve, Curve]:
    """Read and write cycles in steady state when every event is as late as the gaps and the
    writes' ``deadline`` allow: the earliest schedule of the process run backwards in time."""
    reads, writes = _earliest(_reversed(sch), deadline.flipped(), False, period, 2, False)
    return reads.flipped(), writes.flipped()


def _slots(writes: Curve, reads: Curve) -> int:
    """FIFO slots a stream needs: write w waits for a slot until read w - depth is done (a cycle
    before), so depth >= w - J(W(w) - 1), J(t) the last element read by cycle t.  Between the
    cycles where J changes form (a piece of the reads begins or ends) that is monotone in w, so
    its largest value is at the ends of those stretches."""
    edges = sorted({t for _, m, t0, s in reads.segs for t in (t0, t0 + s * (m - 1) + 1)})
    period, best = reads.period, 1
    for i0, m, t0, s in writes.segs:
        points = {i0, i0 + m - 1}
        if s and m > 1:
            lo, hi = t0 - 1, t0 - 1 + s * (m - 1)
            for k in range((lo - edges[-1]) // period, (hi - edges[0]) // period + 1):
                a = bisect.bisect_left(edges, lo - k * period)
                b = bisect.bisect_right(edges, hi - k * period)
                for e in edges[a:b]:
                    i = i0 - ((t0 - 1 - e - k * period) // s)  # the first write at or after e
                    points.update((i - 1, i))
        for i in points:
            if i0 <= i < i0 + m:
                best = max(best, i - reads.last_at(t0 + s * (i - i0) - 1))
    return best


@dataclasses.dataclass(frozen=True)
class SteadyState:
    interval: int  # cycles per image: the slowest process's
    needs: tuple[int, ...]  # per stream: slots the schedule taken needs (written, not yet read)
    depths: tuple[int, ...]  # per stream: the depth it gets (fifo_depth of its need)
    latency: int  # image 0 through empty FIFOs: cycle of the last write, plus one
    slack: dict[str, int]  # per process: cycles per image it waits


def steady_state(
    procs: list[Process], edges: Edges | None = None, widths: tuple[int, ...] | None = None
) -> SteadyState:
    """The pipeline of ``procs`` (topological order; streams ``edges``, default a chain, of
    ``widths`` bits per element) at the interval of its slowest process, computed on runs of
    events rather than elements, and FIFO depths that keep it.

    In steady state every process repeats its schedule once per interval; the slowest runs
    without waiting, the others wait ``slack`` cycles per image, for data or for free slots.
    Where they wait decides what the FIFOs hold; :func:`_schedule` places the waits, meeting
    every read-after-write.  A stream then needs as many slots as elements written and not yet
    read (:func:`_slots`); with that many every write finds a free slot, so the interval holds
    and no reconvergent path deadlocks.  The needs are enough, not always the fewest: the
    simulation's processes may wait in a mix that needs fewer.  ``latency`` assumes image 0
    does not wait for a free slot.
    """
    n = len(procs)
    edges = chain_edges(n) if edges is None else edges
    if widths is not None and len(widths) != len(edges):
        raise ValueError(f"{len(edges)} streams need {len(edges)} widths, got {len(widths)}")
    sch = [runs_of(p) for p in procs]
    for src, dst in edges:
        if sch[src].writes != sch[dst].reads:
            raise ValueError(
                f"stream {procs[src].name} -> {procs[dst].name}: {sch[src].writes} elements "
                f"written per image, {sch[dst].reads} read"
            )
    period = max(s.cycles for s in sch)
    images = [max(2, sch[src].writes) for src, _ in edges]  # a FIFO of one image
    width = widths or (1,) * len(edges)

    def bits(e: int, need: int) -> int:
        """What stream ``e``'s FIFO stores with ``need`` slots."""
        return fifo_depth(need, images[e]) * width[e]

    reads, writes = _schedule(sch, edges, period, bits)
    needs = tuple(_slots(writes[src], reads[dst]) for src, dst in edges)
    return SteadyState(
        interval=period,
        needs=needs,
        depths=tuple(fifo_depth(k, im) for k, im in zip(needs, images, strict=True)),
        latency=_latency(sch, edges, period),
        slack={p.name: period - s.cycles for p, s in zip(procs, sch, strict=True)},
    )


def _schedule(
    sch: list[Runs], edges: Edges, period: int, bits: Callable[[int, int], int]
) -> tuple[list[Curve], list[Curve]]:
    """A steady-state schedule, as (reads, writes) curves of every process.  The slowest runs
    without waiting, and every process it feeds, directly or not, waits for data: it takes each
    event as early as its inputs from those allow.  Every other process, from the last back,
    waits for free slots: as late as its consumers allow (behind a shallow FIFO a faster producer
    serves its consumer just in time; a skip connection's clone so serves the encoder, and the
    skip stream holds the lag of the branch beside it).  Then, from the first on, each of those
    with inputs waits for data instead (as early as its inputs allow, still in time for its
    consumers) where its streams' FIFOs, ``bits(stream, need)``, then store no more: a fast
    process between two slow ones buffers at its output rather than at its input."""
    n = len(sch)
    ins = [[e for e, (_, dst) in enumerate(edges) if dst == i] for i in range(n)]
    outs = [[e for e, (src, _) in enumerate(edges) if src == i] for i in range(n)]
    slowest = max(range(n), key=lambda i: sch[i].cycles)
    fed = {slowest}  # the slowest and every process it feeds
    for i in range(slowest + 1, n):
        if any(edges[e][0] in fed for e in ins[i]):
            fed.add(i)
    reads: list[Curve] = [None] * n  # type: ignore[list-item]
    writes: list[Curve] = [None] * n  # type: ignore[list-item]
    reads[slowest], writes[slowest] = _earliest(sch[slowest], None, True, period, 1, True)
    for i in sorted(fed - {slowest}):
        ready = [writes[edges[e][0]].shifted(1) for e in ins[i] if edges[e][0] in fed]
        reads[i], writes[i] = _earliest(sch[i], _envelope(ready, True), True, period, 2, False)
    others = [i for i in range(n) if i not in fed]
    for i in reversed(others):
        due = [reads[edges[e][1]].shifted(-1) for e in outs[i]]
        reads[i], writes[i] = _latest(sch[i], _envelope(due, False), period)

    def streams(i: int, r: Curve, w: Curve) -> int:  # bits of process i's FIFOs
        return sum(bits(e, _slots(writes[edges[e][0]], r)) for e in ins[i]) + sum(
            bits(e, _slots(w, reads[edges[e][1]])) for e in outs[i]
        )

    for i in others:
        if ins[i]:
            ready = [writes[edges[e][0]].shifted(1) for e in ins[i]]
            early = _earliest(sch[i], _envelope(ready, True), True, period, 2, False)
            if streams(i, *early) <= streams(i, reads[i], writes[i]):
                reads[i], writes[i] = early
    return reads, writes


def _latency(sch: list[Runs], edges: Edges, period: int) -> int:
    """Cycle after the last write of image 0, every event as early as its inputs allow."""
    writes: list[Curve] = []
    for i, s in enumerate(sch):
        ready = [writes[src].shifted(1) for src, dst in edges if dst == i]
        writes.append(
            _earliest(s, _envelope(ready, True) if ready else None, True, period, 1, True)[1]
        )
    last = writes[-1].segs[-1]
    return last[2] + last[3] * (last[1] - 1) + 1


def fifo_depth(need: int, image: int) -> int:
    """The depth a stream gets: the smallest power of two (at least 2) that holds ``need``
    elements, or the ``image`` elements of one image where that is fewer."""
    power = 2 ** max(1, math.ceil(math.log2(max(need, 1))))
    return image if need <= image < power else power
