from __future__ import annotations

import pytest
import torch

from fpgagan.config import LayerPrecision, Precision
from fpgagan.errors import ExportError
from fpgagan.export import clean_for_hls, load_qonnx, save_qonnx, to_qonnx
from fpgagan.models import GENERATORS, build_generator
from fpgagan.workflows.export import verify

N_LATENTS = 256


def _calibrated(name: str, precision: Precision):
    gen = build_generator(name, precision)
    gen.train()
    for _ in range(5):  # let the activation scales see data
        gen(torch.randn(64, gen.spec.latent_dim))
    return gen.eval()


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_execute_onnx_equals_brevitas_for_every_registered_generator(name):
    gen = _calibrated(name, Precision(weight_bits=4, act_bits=8))
    check = verify(gen, to_qonnx(gen), N_LATENTS)
    assert check.mismatches == 0 and check.max_abs_diff == 0.0


@pytest.mark.parametrize(
    "precision",
    [
        Precision(weight_bits=1, act_bits=2, output_bits=4),
        Precision(weight_bits=2, act_bits=3, input_bits=6, input_range=2.0),
        Precision(
            weight_bits=8, act_bits=8, layers={"deconv2": LayerPrecision(weight_bits=3, act_bits=5)}
        ),
        Precision(weight_bits=2, act_bits=4, weight_range="full"),
        Precision(
            weight_bits=2,
            act_bits=4,
            weight_scaling="per-channel",
            first_last=LayerPrecision(weight_bits=8, act_bits=8),
        ),
    ],
    ids=lambda p: p.tag,
)
def test_bit_exact_across_precisions(precision):
    gen = _calibrated("dcgan-tiny", precision)
    assert verify(gen, to_qonnx(gen), N_LATENTS).mismatches == 0


def test_exported_file_is_standard_qonnx_and_converts_for_hls4ml(tmp_path):
    gen = _calibrated("dcgan-tiny", Precision())
    save_qonnx(to_qonnx(gen), tmp_path / "g.onnx")
    model = load_qonnx(tmp_path / "g.onnx")
    # the file: standard ops, NCHW (the interchange form)
    assert {n.domain for n in model.graph.node} <= {"", "qonnx.custom_op.general"}
    assert [n.op_type for n in model.graph.node].count("ConvTranspose") == 2
    # the converter's graph: MatMul (hls4ml's ONNX frontend reads MatMul), channels-last
    ops = [n.op_type for n in clean_for_hls(model).graph.node]
    assert "Gemm" not in ops and "MatMul" in ops
    assert ops.count("ConvTranspose") == 2
    props = {p.key: p.value for p in model.model.metadata_props}
    assert "brevitas" in props["fpgagan.versions"]


def test_float_twin_and_bad_files_are_refused(tmp_path):
    with pytest.raises(ExportError, match="only low-bit"):
        to_qonnx(build_generator("dcgan-tiny"))
    with pytest.raises(ExportError, match="ONNX file not found"):
        load_qonnx(tmp_path / "missing.onnx")
    (tmp_path / "bad.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(ExportError, match="not a readable ONNX model"):
        load_qonnx(tmp_path / "bad.onnx")
