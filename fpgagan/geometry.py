"""Transposed-convolution geometry (ONNX semantics), shared by export, hls and the reports.

Output size ``stride*(in-1) + output_padding + (k-1)*dilation + 1 - pad_begin - pad_end``;
phase decomposition: output ``o`` sits in phase ``(o + pad) % stride`` and meets the kernel taps
``k = phase + j*stride`` for input ``i = (o + pad) // stride - j`` inside the input.
"""

from __future__ import annotations

# the two layout permutations of a 4-D tensor (the only place they are written): NCHW -> NHWC
# (channels-last, what the hardware streams) and back
TO_NHWC = (0, 2, 3, 1)
TO_NCHW = (0, 3, 1, 2)


def output_size(
    n_in: int,
    kernel: int,
    stride: int,
    pad_begin: int,
    pad_end: int,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """ONNX: stride*(in-1) + output_padding + (k-1)*dilation + 1 - pad_begin - pad_end."""
    return stride * (n_in - 1) + output_padding + (kernel - 1) * dilation + 1 - pad_begin - pad_end


def phase_taps(o: int, kernel: int, stride: int, n_in: int, pad_begin: int) -> int:
    """Kernel taps that reach output position ``o`` along one axis (phase decomposition).

    Output ``o`` sits in phase ``(o + pad) % stride``; its taps are ``k = phase + j*stride`` for
    input ``i = (o + pad) // stride - j`` inside the input.
    """
    base, phase = divmod(o + pad_begin, stride)
    return sum(1 for k in range(phase, kernel, stride) if 0 <= base - (k - phase) // stride < n_in)


def multiplications(
    h: int,
    w: int,
    cin: int,
    cout: int,
    kh: int,
    kw: int,
    sh: int,
    sw: int,
    pads: tuple[int, int, int, int],
    out_h: int,
    out_w: int,
) -> int:
    """Multiplications one image needs when no inserted zero is ever multiplied."""
    rows = sum(phase_taps(o, kh, sh, h, pads[0]) for o in range(out_h))
    cols = sum(phase_taps(o, kw, sw, w, pads[1]) for o in range(out_w))
    return rows * cols * cin * cout
