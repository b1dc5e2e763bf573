"""The input buffers' loop-carried distances (fpgagan.hw.dependence) against the access trace of
the kernels' schedule, and the headers' line / row buffer code: no division or remainder by the
buffer's row count, a DEPENDENCE pragma on every buffer a pipelined loop writes, the spatial row
buffer bound to the cost model's storage."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from fpgagan.hls.spatial_templates import STORAGE, row_buffer_memory, spatial_readers
from fpgagan.hw.dependence import conv_readers, engine_distance, row_loop_distance
from fpgagan.hw.stages import pad_source
from fpgagan.hw.storage import choose

HEADERS = Path(__file__).resolve().parents[2] / "hls_templates" / "nnet_utils"


def trace_distance(in_h, in_w, out_h, out_w, rows, steps, ready, reads) -> int:
    """The least distance between dependent buffer accesses of the kernels' loop (RAW, WAR, WAW),
    every step of an output pixel taken to read all its words (the worst order); checks that
    every read finds its row in the buffer."""
    frame = rows >= in_h
    last_w: dict = {}
    last_r: dict = {}
    held: dict = {}
    least = math.inf
    ih = iw = oh = ow = it = 0
    total = in_h * in_w + out_h * out_w * steps
    while it < total:
        if oh < out_h and ready(oh, ih):
            words = [((r if frame else r % rows), c, r) for r, c in reads(oh, ow)]
            for _ in range(steps):
                for slot, c, r in words:
                    assert held.get((slot, c)) == r, (oh, ow, r, c)
                    least = min(least, it - last_w[slot, c])
                    last_r[slot, c] = it
                it += 1
            ow += 1
            if ow == out_w:
                ow, oh = 0, oh + 1
        else:
            word = (ih if frame else ih % rows, iw)
            for last in (last_r, last_w):
                if word in last:
                    least = min(least, it - last[word])
            last_w[word] = it
            held[word] = ih
            it += 1
            iw += 1
            if iw == in_w:
                iw, ih = 0, ih + 1
    return int(least)


@dataclass(frozen=True)
class Conv:
    in_h: int
    in_w: int
    fh: int
    fw: int
    stride: int
    pad: int
    transpose: bool = False
    steps: int = 3
    io_stream: bool = True

    @property
    def out(self) -> tuple[int, int]:
        if self.transpose:
            return tuple((n - 1) * self.stride - 2 * self.pad + f for n, f in self._dims())
        return tuple((n + 2 * self.pad - f) // self.stride + 1 for n, f in self._dims())

    def _dims(self):
        return ((self.in_h, self.fh), (self.in_w, self.fw))

    def fields(self) -> dict[str, int | bool]:
        taps_h, taps_w = (-(-f // self.stride) for f in (self.fh, self.fw))
        if not self.transpose:
            taps_h, taps_w = self.fh, self.fw
        out_h, out_w = self.out
        return {
            "in_height": self.in_h,
            "in_width": self.in_w,
            "out_height": out_h,
            "out_width": out_w,
            "filt_height": self.fh,
            "filt_width": self.fw,
            "stride_height": self.stride,
            "stride_width": self.stride,
            "pad_top": self.pad,
            "pad_left": self.pad,
            "taps_height": taps_h,
            "taps_width": taps_w,
            "line_rows": taps_h,
            "n_steps": self.steps,
            "sparse": False,
            "buf_words": 0,
        }


def rows_ready(f, transpose: bool, rows_in: int) -> int:
    """``nnet::fg::rows_ready`` of the last complete row (0 before the first)."""
    if rows_in == 0:
        return 0
    ih = rows_in - 1
    if ih + 1 == f["in_height"]:
        return f["out_height"]
    if transpose:
        return min(max((ih + 1) * f["stride_height"] - f["pad_top"], 0), f["out_height"])
    reach = ih + f["pad_top"] + 1
    if reach < f["filt_height"]:
        return 0
    return min((reach - f["filt_height"]) // f["stride_height"] + 1, f["out_height"])


CONVS = [
    Conv(16, 16, 3, 1, 1, 1),  # the reviewed ESPCN's 3x1 and 1x3
    Conv(16, 16, 1, 3, 1, 1),
    Conv(16, 16, 3, 3, 1, 1, steps=1),
    Conv(9, 7, 5, 5, 1, 2),
    Conv(8, 8, 3, 3, 2, 1),
    Conv(8, 9, 1, 1, 2, 0, steps=1),
    Conv(5, 1, 3, 3, 1, 1),  # a 1-pixel-wide frame: distance 1
    Conv(4, 2, 3, 3, 1, 1, steps=1),
    Conv(6, 6, 3, 3, 1, 1, io_stream=False),
    Conv(4, 4, 4, 4, 2, 1, transpose=True),
    Conv(5, 6, 3, 3, 2, 1, transpose=True),
    Conv(3, 3, 5, 5, 3, 1, transpose=True, steps=2),
    Conv(4, 1, 4, 4, 2, 1, transpose=True, steps=1),
]


@pytest.mark.parametrize("conv", CONVS, ids=str)
def test_engine_distance_bounds_the_trace(conv):
    f = conv.fields()
    kind = "conv_transpose" if conv.transpose else "conv"
    readers = conv_readers(
        f["out_width"], conv.fw, conv.stride, conv.pad, f["taps_width"], conv.transpose
    )

    def reads(oh, ow):
        if conv.transpose:
            base, phase = divmod(oh + conv.pad, conv.stride)
            rows = [base - j for j in range(f["taps_height"]) if phase + j * conv.stride < conv.fh]
        else:
            rows = [oh * conv.stride - conv.pad + k for k in range(conv.fh)]
        return [
            (r, c) for r in rows for c in readers(ow) if 0 <= r < conv.in_h and 0 <= c < conv.in_w
        ]

    rows = f["line_rows"] if conv.io_stream else conv.in_h
    traced = trace_distance(
        conv.in_h,
        conv.in_w,
        f["out_height"],
        f["out_width"],
        rows,
        conv.steps,
        lambda oh, rows_in: oh < rows_ready(f, conv.transpose, rows_in),
        reads,
    )
    assert 1 <= engine_distance(f, kind, conv.io_stream) <= traced


def test_wide_line_buffer_states_a_long_distance():
    """The reviewed network's 3x1 convolution on a 16-pixel row: no access within 16 iterations
    of a dependent one, so the distance exceeds any pipeline depth of the loop."""
    assert engine_distance(Conv(16, 16, 3, 1, 1, 1).fields(), "conv", True) >= 16
    assert engine_distance(Conv(5, 1, 3, 3, 1, 1).fields(), "conv", True) == 1


@dataclass
class FakeSpatial:
    """What spatial_readers reads of a layer: its kernel and attributes."""

    kernel: str
    attrs: dict

    def get_attr(self, key, default=None):
        return self.attrs.get(key, default)


SPATIALS = [
    ("upsample", dict(in_height=4, in_width=5, scale_h=2, scale_w=2), 1),
    ("upsample", dict(in_height=3, in_width=4, scale_h=3, scale_w=3), 1),
    ("upsample", dict(in_height=3, in_width=1, scale_h=2, scale_w=2), 1),
    ("depth_to_space", dict(in_height=4, in_width=6, block=2), 1),
    ("depth_to_space", dict(in_height=3, in_width=3, block=3), 1),
    ("pad", dict(in_height=5, in_width=6, pad_top=1, pad_left=1, mode="constant"), 2),
    ("pad", dict(in_height=6, in_width=5, pad_top=2, pad_left=2, mode="reflect"), 3),
    ("pad", dict(in_height=4, in_width=4, pad_top=1, pad_left=2, mode="edge"), 2),
]


@pytest.mark.parametrize(("kernel", "attrs", "rows"), SPATIALS)
def test_spatial_distance_bounds_the_trace(kernel, attrs, rows):
    a = dict(attrs)
    h, w = a["in_height"], a["in_width"]
    if kernel == "upsample":
        a.update(out_height=h * a["scale_h"], out_width=w * a["scale_w"])
        rep_h = a["scale_h"]
    elif kernel == "depth_to_space":
        a.update(out_height=h * a["block"], out_width=w * a["block"])
        rep_h = a["block"]
    else:
        a.update(pad_bottom=a["pad_top"], pad_right=a["pad_left"])
        a.update(out_height=h + 2 * a["pad_top"], out_width=w + 2 * a["pad_left"])
    node = FakeSpatial(kernel, a)
    readers = spatial_readers(node)

    def source_row(oh):
        if kernel == "pad":
            return pad_source(oh, a["pad_top"], h, a["mode"])
        return oh // rep_h

    def ready(oh, rows_in):  # the *_map::ready of nnet_fg_spatial.h
        if kernel != "pad":
            return oh // rep_h < rows_in
        src = source_row(oh)
        if rows_in == h:
            return True
        return src < rows_in if src >= 0 else oh < a["pad_top"]

    def reads(oh, ow):
        src = source_row(oh)
        return [(src, c) for c in readers(ow)] if src >= 0 else []

    traced = trace_distance(h, w, a["out_height"], a["out_width"], rows, 1, ready, reads)
    distance = row_loop_distance(h, w, a["out_width"], rows, 1, readers)
    assert 1 <= distance <= traced
    if kernel == "upsample" and w > 1:
        assert distance >= w  # a row's width: long enough for the loop's depth on real frames


def test_spatial_row_buffer_storage_is_the_cost_models():
    class Var:
        class type:
            class precision:
                width = 8

    for width, impl in ((2, "registers"), (16, "lutram"), (480, "bram")):
        node = FakeSpatial("upsample", dict(in_width=width, n_chan=12))
        node.name = "up"
        node.buffer_rows = lambda: 1
        node.get_output_variable = lambda: Var
        assert row_buffer_memory(node).impl == impl
        assert impl == choose("up row buffer", width, 96, rom=False).impl
        assert STORAGE[impl] in (0, 1, 2)


def _source(name: str) -> str:
    return (HEADERS / name).read_text()


def test_no_division_by_the_buffer_rows():
    """A line / row buffer's slot is a counter: no `%` or `/` by its row count (3 for a 3-row
    line buffer: a divider in the step path)."""
    for name in ("nnet_fg_layers.h", "nnet_fg_spatial.h", "nnet_fg_offchip.h"):
        code = "\n".join(line.split("//")[0] for line in _source(name).splitlines())
        for m in re.finditer(r"[%/]\s*\(?\s*(ROWS|CONFIG_T::rows|CONFIG_T::line_rows)\b", code):
            line = code[: m.start()].count("\n") + 1
            # only constants may be reduced modulo the row count (reset values: pad_top % ROWS)
            text = code.splitlines()[line - 1]
            assert re.search(r"CONFIG_T::pad_top|CONFIG_T::stride_height|\b1 %", text), (
                f"{name}:{line}: {text.strip()}"
            )


def test_every_written_buffer_states_its_dependence():
    """Each pipelined loop that writes a buffer (buf[...] = ...) carries that buffer's DEPENDENCE
    pragma with the config's distance."""
    for name in ("nnet_fg_layers.h", "nnet_fg_spatial.h"):
        code = _source(name)
        loops = code.split("#pragma HLS PIPELINE II=1")[1:]
        writers = [
            body for body in loops if re.search(r"\bbuf\[[^\]]*\]\s*=", body.split("\n}\n")[0])
        ]
        assert writers, name
        for body in writers:
            assert (
                "#pragma HLS DEPENDENCE variable=buf type=inter dependent=true "
                "distance=CONFIG_T::buf_distance" in body.split("\n}\n")[0]
            ), name


def test_spatial_row_buffer_specialisations_bind_their_storage():
    code = _source("nnet_fg_spatial.h")
    for impl, pragma in (
        ("registers", "ARRAY_PARTITION variable=buf complete"),
        ("lutram", "BIND_STORAGE variable=buf type=ram_s2p impl=lutram"),
        ("bram", "BIND_STORAGE variable=buf type=ram_s2p impl=bram"),
    ):
        part = code.split(f"Map, storage_{impl}> {{")[1].split("\n};")[0]
        assert f"#pragma HLS {pragma}" in part
