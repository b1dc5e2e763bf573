"""Data-free distillation: the loop trains, and a run stopped after an epoch resumes to the very
weights of an unbroken run."""

from __future__ import annotations

import brevitas.nn as qnn
import pytest
import torch

from fpgagan.compress.data_free import DataFreeDistiller
from fpgagan.compress.float_graph import float_graph
from fpgagan.compress.float_quant import quantize_float_graph, teacher_of
from fpgagan.config import Precision
from fpgagan.errors import CheckpointError
from fpgagan.train.data_free import DataFreeSpec, run_data_free
from tests.quantize.models import SmallGenerator, trained_like

SHAPE = SmallGenerator.input_shape
SPEC = DataFreeSpec(epochs=2, steps_per_epoch=1, batch_size=8, lr=1e-3)


@pytest.fixture(scope="module")
def fg():
    return float_graph(trained_like(SmallGenerator()))


def _pair(fg):
    student = quantize_float_graph(fg, SHAPE, Precision())
    return student, DataFreeDistiller(teacher_of(fg, SHAPE, 4.0), 1.0, 1.0)


def _score(student) -> dict[str, float]:
    z = torch.randn(16, *SHAPE, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        return {"val_psnr": float(-student(z).abs().mean())}


def test_two_steps_train_the_student_against_its_teacher(fg, tmp_path):
    student, distiller = _pair(fg)
    before = {k: v.clone() for k, v in student.state_dict().items()}
    result = run_data_free(SPEC, tmp_path / "s.pt", student, distiller, _score)
    assert [row["epoch"] for row in result.history] == [1, 2]
    assert all(row["loss"] > 0 for row in result.history)
    after = student.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    assert (tmp_path / "s.pt").is_file()


class _Stop(Exception):
    pass


def test_a_stopped_run_resumes_to_the_same_weights(fg, tmp_path):
    unbroken, distiller = _pair(fg)
    want = run_data_free(SPEC, tmp_path / "a.pt", unbroken, distiller, _score)

    calls = []

    def stops_in_epoch_two(student):
        calls.append(1)
        if len(calls) == 2:  # killed after epoch 1 was saved
            raise _Stop
        return _score(student)

    student, distiller = _pair(fg)
    with pytest.raises(_Stop):
        run_data_free(SPEC, tmp_path / "b.pt", student, distiller, stops_in_epoch_two)
    student, distiller = _pair(fg)  # a new process: everything rebuilt, then resumed
    got = run_data_free(SPEC, tmp_path / "b.pt", student, distiller, _score)
    a, b = unbroken.state_dict(), student.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    drop = ("train_s", "eval_s")
    strip = [{k: v for k, v in r.items() if k not in drop} for r in got.history]
    assert strip == [{k: v for k, v in r.items() if k not in drop} for r in want.history]
    assert got.best_epoch == want.best_epoch


def test_a_state_of_another_setting_is_refused(fg, tmp_path):
    student, distiller = _pair(fg)
    run_data_free(SPEC, tmp_path / "s.pt", student, distiller, _score)
    other = DataFreeSpec(epochs=2, steps_per_epoch=1, batch_size=8, lr=5e-4)
    student, distiller = _pair(fg)
    with pytest.raises(CheckpointError, match="s.pt"):
        run_data_free(other, tmp_path / "s.pt", student, distiller, _score)


def test_a_student_with_shared_quantizers_saves_and_resumes(tmp_path):
    """Concatenated maps share one quantizer: the replaced ones are gone from the state."""
    from fpgagan.models.outside import FloatUNet, randomise_float

    unet = float_graph(randomise_float(FloatUNet(channels=1, side=8, width=4)))
    shape = (1, 8, 8)

    def pair():
        student = quantize_float_graph(unet, shape, Precision(input_range=1.0))
        return student, DataFreeDistiller(teacher_of(unet, shape, 1.0))

    student, distiller = pair()
    net = student.net
    relus = {name for name, m in net.named_modules() if isinstance(m, qnn.QuantReLU)}
    used = {n.target for n in net.graph.nodes if n.op == "call_module"}
    assert relus <= used and len(relus) == 3  # 5 ReLUs, two pairs share across concatenations
    run_data_free(SPEC, tmp_path / "s.pt", student, distiller, _score_image)
    again, distiller = pair()
    run_data_free(SPEC, tmp_path / "s.pt", again, distiller, _score_image)  # loads, trains no more
    a, b = student.state_dict(), again.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def _score_image(student) -> dict[str, float]:
    x = torch.rand(4, 1, 8, 8, generator=torch.Generator().manual_seed(3)) * 2 - 1
    with torch.no_grad():
        return {"val_psnr": float(-student(x).abs().mean())}
