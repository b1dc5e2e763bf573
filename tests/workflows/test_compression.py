from __future__ import annotations

import csv
import dataclasses
import json

import pytest

from fpgagan.config import TrainQatConfig, load_yaml
from fpgagan.errors import ConfigError
from fpgagan.workflows.compression import run_compression

FLOAT_TINY = """name: tiny-float
seed: 0
batch_size: 32
data: {dataset: digits}
model: {generator: dcgan-tiny, discriminator: dcgan-disc-tiny}
teacher: {max_epochs: 2, min_epochs: 1, patience: 1}
qat: null
eval: {n_samples: 200}
"""


def test_the_recipes_cover_every_technique_the_table_compares(repo):
    paths = sorted((repo / "configs" / "compression").glob("*.yaml"))
    cfgs = [load_yaml(TrainQatConfig, p) for p in paths]
    assert len(cfgs) >= 9 and len({c.name for c in cfgs}) == len(cfgs)
    quantized = [c.qat for c in cfgs if c.qat is not None]
    tags = {q.precision.tag for q in quantized}
    assert {"W8A8", "W4A8", "W4A4", "W2A4", "TA8"} <= tags
    assert cfgs[0].qat is None and cfgs[0].teacher.reuse_from is None  # float first: trains it
    assert all(c.teacher.reuse_from == f"runs/{cfgs[0].name}" for c in cfgs[1:])  # one teacher
    assert any(q.prune is not None and q.student.width == 1.0 for q in quantized)  # sparse
    distilled = [q for q in quantized if q.student.width < 1 and q.feature_weight > 0]
    scratch = [q for q in quantized if q.student.init == "scratch"]
    assert distilled and scratch
    # the from-scratch baseline trains the distilled student's shape for the same epochs
    assert any(
        (s.student.width, s.epochs, s.precision) == (d.student.width, d.epochs, d.precision)
        for s in scratch
        for d in distilled
    )
    assert any(q.prune is not None and q.student.width < 1 for q in quantized)  # slimming


def test_a_recipe_with_an_unknown_key_is_refused_before_any_training(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (repo / "configs" / "compression" / "03_w4a8.yaml").read_text()
    bad.write_text(text.replace("pixel_weight:", "pixel_wieght:"))
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"qat: unknown key 'pixel_wieght'"):
        run_compression([repo / "configs" / "tiny.yaml", bad], out, tmp_path / "runs", n=4)
    assert not out.exists() and not (tmp_path / "runs").exists()


def test_a_precision_no_model_accepts_is_refused_before_any_training(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    text = (repo / "configs" / "tiny.yaml").read_text()
    text = text.replace("name: tiny", "name: tiny-bad")
    bad.write_text(
        text.replace("act_bits: 8}", "act_bits: 8, layers: {deconv9: {weight_bits: 2}}}")
    )
    with pytest.raises(ConfigError, match=r"bad.yaml: .*unknown layer\(s\) \['deconv9'\]"):
        run_compression([repo / "configs" / "tiny.yaml", bad], tmp_path / "o", tmp_path / "r", n=4)
    assert not (tmp_path / "r").exists()


@pytest.mark.csim
def test_reduced_benchmark_end_to_end(repo, tmp_path):
    """The benchmark on two seconds-long recipes: float teacher and a distilled half-width W4A8."""
    float_recipe = tmp_path / "float.yaml"
    float_recipe.write_text(FLOAT_TINY)
    out, runs = tmp_path / "table", tmp_path / "runs"
    rows = run_compression([float_recipe, repo / "configs" / "tiny_distill.yaml"], out, runs, n=16)
    f, d = rows
    assert (f.precision, f.compression, f.csim_bit_exact) == ("float32", 1.0, None)
    assert d.precision == "W4A8" and d.csim_bit_exact is True and d.csim_latents == 16
    assert d.params < f.params and d.compression > 8.0  # half width at 4 bits
    assert d.macs < f.macs and d.bops < f.bops and d.fits is not None
    assert f.pareto  # nothing beats the teacher's FID at 1x
    for name in ("table.md", "table.csv", "table.json", "pareto.png"):
        assert (out / name).stat().st_size > 0
    assert {p.name for p in (out / "samples").glob("*.png")} == {
        "tiny-float.png",
        "tiny-distill.png",
    }
    table = json.loads((out / "table.json").read_text())
    assert [r["recipe"] for r in table["rows"]] == ["tiny-float", "tiny-distill"]
    with (out / "table.csv").open() as fh:
        assert len(list(csv.DictReader(fh))) == 2
    md = (out / "table.md").read_text()
    assert "| tiny-distill | W4A8 |" in md and "not Inception" in md
    # a second run reuses the trained runs and the board reports
    report = runs / "tiny-distill" / "hls-pynq-z2" / "report.json"
    stamp = report.stat().st_mtime
    again = run_compression([float_recipe, repo / "configs" / "tiny_distill.yaml"], out, runs, n=16)
    assert report.stat().st_mtime == stamp and again == rows


FLOAT_TINY_SR = """name: tiny-sr-float
task: sr2x
seed: 0
batch_size: 32
max_train_images: 256
data: {dataset: digits}
model: {generator: unet-tiny, discriminator: patchgan-tiny}
teacher: {max_epochs: 2, min_epochs: 1, patience: 1, optim: {lr_g: 2.0e-3, lr_d: 2.0e-4}}
qat: null
pix2pix: {val_images: 64}
eval: {n_samples: 100}
"""


def test_super_resolution_recipes_are_checked_as_image_tasks(repo, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(FLOAT_TINY_SR.replace("unet-tiny,", "dcgan-tiny,"))
    with pytest.raises(
        ConfigError, match=r"model.generator: 'dcgan-tiny' is not an image-to-image"
    ):
        run_compression([bad], tmp_path / "o", tmp_path / "r", n=4)
    assert not (tmp_path / "r").exists()


@pytest.mark.csim
def test_super_resolution_table_scores_against_ground_truth(repo, tmp_path):
    """Image-to-image rows: PSNR/SSIM against ground truth instead of FID, the C-simulated
    images scored too, the Pareto front on (compression, PSNR)."""
    float_recipe = tmp_path / "sr_float.yaml"
    float_recipe.write_text(FLOAT_TINY_SR)
    out, runs = tmp_path / "table", tmp_path / "runs"
    f, q = run_compression([float_recipe, repo / "configs" / "tiny_sr2x.yaml"], out, runs, n=8)
    assert f.ok and q.ok, (f.error, q.error)
    assert (f.task, q.task) == ("sr2x", "sr2x")
    assert f.fid is None and q.fid is None and f.gt_drop_db == 0.0
    assert 5.0 < q.gt_psnr_db < 60.0 and 0.0 < q.gt_ssim <= 1.0
    assert q.csim_bit_exact is True and q.csim_latents == 8 and q.fpga_gt_psnr_db is not None
    assert q.compression > 4.0 and q.macs > 0 and f.macs > 0 and f.params == q.params
    # the front: nothing is more compressed than the quantized model; the teacher stays on it
    # only while its PSNR is the higher
    assert q.pareto and f.pareto == (f.gt_psnr_db > q.gt_psnr_db)
    md = (out / "table.md").read_text()
    assert "| SSIM |" in md and "FID" not in md and "against the ground truth" in md
    assert (out / "samples" / "tiny-sr2x.png").stat().st_size > 0


def test_the_huffman_bound_column_appears_only_with_codebook_rows():
    from fpgagan.report.compression_table import Row, markdown

    base = Row.failed("x", "W6A8", "none")
    plain = dataclasses.replace(base, error=None, compression=8.0, fid=20.0)
    coded = dataclasses.replace(plain, recipe="cb", compression=16.0, huffman_compression=19.5)
    assert "Huffman bound" not in markdown([plain], "pynq-z2", 4)
    md = markdown([plain, coded], "pynq-z2", 4)
    assert "| compression | Huffman bound |" in md and "| 16.0x | 19.5x |" in md
    assert "Huffman-coded on their own histogram" in md


def test_the_plot_marks_the_targets_of_the_rows_it_shows():
    from fpgagan.report.compression_table import (
        ENCODING_TARGETS,
        TARGETS,
        Row,
        is_codebook,
        plot_targets,
    )

    teacher = Row.failed("float", "float32", "none")
    uniform = Row.failed("w4a8", "W4A8", "none")
    coded = Row.failed("cb", "W6A8 K4", "none")
    assert is_codebook(coded) and not is_codebook(uniform) and not is_codebook(teacher)
    assert plot_targets([teacher, coded]) == ENCODING_TARGETS
    assert plot_targets([teacher, uniform]) == TARGETS
    assert plot_targets([teacher, uniform, coded]) == TARGETS + ENCODING_TARGETS
