"""The least loop-carried distance of a layer's input buffer (``buf_distance`` of its config), what
its loop's ``#pragma HLS DEPENDENCE variable=buf type=inter dependent=true distance=...`` states.

The engine's convolutions (``nnet_fg_layers.h``) and the data-movement layers
(``nnet_fg_spatial.h``) share one schedule: an iteration either writes the next input pixel into
the buffer (row ``ih`` in slot ``ih mod rows``; ``rows >= in_height`` holds the whole frame) or
performs one of the ``steps`` iterations of the current output pixel, output rows in order, a row
started only when the input rows it reads are complete, an input row taken only when no output
row is ready.  So, for a pixel of input column ``iw``:

- a read follows its write by at least ``in_width - iw`` iterations (the rest of the row) plus
  ``steps`` per output pixel of the row before the first that reads column ``iw`` (RAW);
- in a line buffer a slot is rewritten only after the last output row that reads its old row
  is done: the write of column ``iw`` follows the last read of that column by at least ``steps``
  per output pixel after the last reader, plus one, plus ``iw`` (WAR);
- a word is rewritten after a whole buffer of other writes: ``rows * in_width`` (WAW).

The distance is the least of these over the columns: a lower bound of every dependence's
distance, so the pragma is right for every geometry (a 1-pixel-wide frame gets distance 1, the
tool's own worst case); with a distance above the loop's depth the tool schedules the buffer's
write and read freely.  Reads whose value the kernel discards (a tap outside the input, a zero
pad) are not dependences.  ``tests/hls/test_dependence.py`` checks the bound against the access
trace of the schedule.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

Readers = Callable[[int], Iterable[int]]  # output column -> input columns its pixel reads


def row_loop_distance(
    in_height: int, in_width: int, out_width: int, rows: int, steps: int, readers: Readers
) -> int:
    """The least distance of the row loop's buffer (see the module docstring)."""
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    for ow in range(out_width):
        for iw in readers(ow):
            if 0 <= iw < in_width:
                first.setdefault(iw, ow)
                last[iw] = ow
    ring = rows < in_height
    bounds = [in_width - iw + first[iw] * steps for iw in first]
    if ring:
        bounds += [(out_width - 1 - last[iw]) * steps + 1 + iw for iw in last]
        bounds.append(rows * in_width)
    return max(1, min(bounds, default=1))


def conv_readers(
    out_width: int, filt_width: int, stride: int, pad_left: int, taps_width: int, transpose: bool
) -> Readers:
    """Input columns of output pixel ``ow``'s taps (``conv_locate`` / ``conv_transpose_locate``)."""

    def conv(ow: int) -> list[int]:
        return [ow * stride - pad_left + kw for kw in range(filt_width)]

    def conv_transpose(ow: int) -> list[int]:
        base, phase = divmod(ow + pad_left, stride)
        return [base - jw for jw in range(taps_width) if phase + jw * stride < filt_width]

    return conv_transpose if transpose else conv


def engine_distance(fields: dict[str, int | bool], kind: str, io_stream: bool) -> int:
    """``buf_distance`` of an engine layer from its config fields (``templates.config_fields``)."""
    if kind == "dense":
        # the words are all written before the first step; the dense order reads word w first at
        # step w * (word_values / k_par), so word 0 (buf_words iterations back) comes first; a
        # sparse schedule reads its one word from the first step
        return 1 if fields["sparse"] else int(fields["buf_words"])
    f = {k: int(v) for k, v in fields.items()}
    readers = conv_readers(
        f["out_width"],
        f["filt_width"],
        f["stride_width"],
        f["pad_left"],
        f["taps_width"],
        kind == "conv_transpose",
    )
    rows = f["line_rows"] if io_stream else f["in_height"]
    return row_loop_distance(
        f["in_height"], f["in_width"], f["out_width"], rows, f["n_steps"], readers
    )
