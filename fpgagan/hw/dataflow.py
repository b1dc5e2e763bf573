"""The design as a dataflow graph: every process the generated project instantiates (engine
layers, data-movement layers, merges, stream clones) and every stream between them.

A chain of engine layers (the DCGAN generators) is the simple case; a U-Net has skip
connections: hls4ml clones a stream that feeds two layers (io_stream) and joins two streams in a
Concatenate or an elementwise Add.  :func:`extract` reads the graph from a converted hls4ml model.
An engine layer's schedule is :func:`process` (what ``nnet_fg_layers.h`` does per image); each
non-engine process becomes a :class:`Stage` with its per-image schedule (for the pipeline
simulation of :mod:`fpgagan.hw.fifo`) and the hardware it instantiates (for the cost model;
:mod:`fpgagan.hls.dataflow_graph` builds them from a converted hls4ml model):

- ``upsample`` / ``depth_to_space`` / ``pad`` (``nnet_fg_spatial.h``): a row buffer (one word
  per pixel: ``n_chan`` values, the array is reshaped by ``n_chan``), three loop counters, the
  output register; io_stream: reads a row, then writes the output rows it completes, one pixel
  per cycle;
- ``concat`` / ``add`` / ``clone`` (hls4ml's ``nnet_merge_stream.h`` / ``nnet_stream.h``): one
  pixel per cycle from every input to every output, a loop counter, the output register and,
  for ``add``, one two-input adder per channel;
- an ``Activation`` that no engine layer absorbed (the output quantizer after a residual Add):
  one pixel per cycle, one output unit (round / saturate, or ReLU) per channel.
"""

from __future__ import annotations

import dataclasses

from fpgagan.hw import offchip
from fpgagan.hw.cost import Item, Res, layer_cycles, total_of
from fpgagan.hw.spec import EngineShape

Op = tuple[str, int]
# hls4ml layers that are no process of their own (the graph input is the host's stream)
NOT_PROCESSES = ("Input",)
MERGES = {"Concatenate": "concat", "Merge": "add", "Clone": "clone"}
# pipeline depth of a data-movement layer's one loop (nnet_fg_spatial.h): the row buffer's read
# and the output register; it drains once per image
SPATIAL_DEPTH = 2


# the operations of a schedule (their timing is fpgagan.hw.fifo.simulate's): read n input
# elements, compute for n cycles, write n output elements (no cycle of their own: the write ends
# a compute), emit n elements one per cycle, pass n elements (read one, write one, per cycle)
OPS = frozenset({"read", "compute", "write", "emit", "pass"})


def check_ops(name: str, ops: tuple[tuple[str, int], ...]) -> None:
    """Refuse an operation the simulation does not know (it would otherwise act as another)."""
    for op, n in ops:
        if op not in OPS or not isinstance(n, int) or n < 0:
            raise ValueError(f"process {name}: bad schedule operation ({op!r}, {n!r})")


@dataclasses.dataclass(frozen=True)
class Process:
    """One process's per-image schedule: ``ops`` is a list of ("read", n) / ("compute", cycles) /
    ("write", n) / ("emit", n) / ("pass", n) (:data:`OPS`), with n elements or cycles; writes go
    to every stream leaving the process."""

    name: str
    ops: tuple[tuple[str, int], ...]
    reads: int  # input elements per image
    writes: int  # output elements per image

    def __post_init__(self) -> None:
        check_ops(self.name, self.ops)


def _rows_ready(s: EngineShape, ih: int) -> int:
    """Output rows complete once input row ``ih`` is in (``rows_ready`` of nnet_fg_layers.h)."""
    if ih + 1 == s.in_height:
        return s.out_height
    if s.geometry.kind == "conv_transpose":
        return max(0, min(s.out_height, (ih + 1) * s.stride_height - s.pad_top))
    reach = ih + s.pad_top + 1
    if reach < s.filt_height:
        return 0
    return min(s.out_height, (reach - s.filt_height) // s.stride_height + 1)


def process(s: EngineShape) -> Process:
    """The schedule of ``s``'s layer in io_stream: its one pipelined loop (nnet_fg_layers.h)
    takes input elements until an output row is ready, steps the row's pixels, and so on; the
    pipeline drains once per image."""
    cyc = layer_cycles(s)
    ops: list[tuple[str, int]] = []
    n_out = s.geometry.n_pix
    if s.offchip:  # take the whole input, compute every block, then emit the output map
        lay = offchip.layout(s)
        n_in, per_pixel = lay.inputs, lay.n_blocks
        ops += [("read", n_in), ("compute", cyc.stream_in - n_in + cyc.compute)]
        for _ in range(n_out):
            ops += [("compute", per_pixel), ("write", 1)]
        ops.append(("compute", cyc.refill))
        return Process(s.name, tuple(ops), n_in, n_out)
    if s.geometry.kind == "dense":
        ops.append(("read", s.in_elements))
        for _ in range(s.geometry.n_pix):
            ops += [("compute", s.n_steps), ("write", 1)]
        ops.append(("compute", cyc.refill))
        return Process(s.name, tuple(ops), s.in_elements, s.geometry.n_pix)
    done = 0
    for ih in range(s.in_height):
        ops.append(("read", s.in_width))
        ready = _rows_ready(s, ih)
        for _ in range(done, ready):
            for _ in range(s.out_width):
                ops += [("compute", s.n_steps), ("write", 1)]
        done = max(done, ready)
    ops.append(("compute", cyc.refill))
    return Process(s.name, tuple(ops), s.in_height * s.in_width, s.out_height * s.out_width)


@dataclasses.dataclass(frozen=True)
class Stage:
    """A non-engine process: its schedule and what it instantiates."""

    name: str
    kind: str
    ops: tuple[Op, ...]
    reads: int  # elements read per image from each input
    writes: int  # elements written per image to each output
    items: tuple[Item, ...]

    @property
    def cycles(self) -> int:
        """Cycles per image when nothing waits (each read, pass and emit takes one)."""
        return sum(k for op, k in self.ops if op in ("read", "pass", "emit", "compute"))

    @property
    def total(self) -> Res:
        return total_of(self.items)

    def process(self) -> Process:
        return Process(self.name, self.ops, self.reads, self.writes)


@dataclasses.dataclass(frozen=True)
class HostStream:
    """The network's input or output as the host (the AXI4-Stream shell) moves it: raw values an
    image, bits of a value, values in one stream element (a pixel's channels)."""

    values: int
    bits: int
    elem_values: int


@dataclasses.dataclass(frozen=True)
class Dataflow:
    """Processes in topological order (engine layers by name, stages), and the streams."""

    order: tuple[str, ...]
    stages: tuple[Stage, ...]
    edges: tuple[tuple[int, int], ...]  # (producer, consumer) indices into ``order``
    widths: tuple[int, ...]  # bits of one element of each stream
    outputs: tuple[int, ...]  # each edge's output index at its producer (clones have two)
    # the graph's input and output streams (None: read from the first and last engine layers,
    # which is what they are for a chain of engine layers)
    host_in: HostStream | None = None
    host_out: HostStream | None = None

    @property
    def is_chain(self) -> bool:
        return not self.stages and self.edges == tuple(
            (i, i + 1) for i in range(len(self.order) - 1)
        )

    def processes(self, shapes: list[EngineShape]) -> list[Process]:
        """The schedule of every process, the engine layers' from ``shapes`` (as planned)."""
        by_name = {s.name: s for s in shapes}
        stages = {s.name: s for s in self.stages}
        missing = set(self.order) - set(by_name) - set(stages)
        if missing:
            raise ValueError(f"no shape for engine layer(s) {sorted(missing)}")
        return [stages[n].process() if n in stages else process(by_name[n]) for n in self.order]

    def producer_outputs(self) -> dict[str, list[int]]:
        """Edge indices leaving each process, in its output order."""
        out: dict[str, list[int]] = {}
        for e, (src, _) in sorted(enumerate(self.edges), key=lambda t: self.outputs[t[0]]):
            out.setdefault(self.order[src], []).append(e)
        return out


def chain(shapes: list[EngineShape]) -> Dataflow:
    """Engine layers one after the other, each stream one pixel of the producer's outputs."""
    return Dataflow(
        order=tuple(s.name for s in shapes),
        stages=(),
        edges=tuple((i, i + 1) for i in range(len(shapes) - 1)),
        widths=tuple(s.geometry.n_out * s.widths.out_bits for s in shapes[:-1]),
        outputs=(0,) * max(0, len(shapes) - 1),
    )
