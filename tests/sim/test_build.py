"""fpgagan's own compile step (fpgagan.sim.build): no shell, no path compiled in, weights found
at run time, nothing left behind by a failed build."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from fpgagan.errors import FpgaganError, SimulationError
from fpgagan.hls.convert import HlsOptions
from fpgagan.sim import build_csim
from fpgagan.sim.build import BUILD_SCRIPT, GeneratedCodeError, adopt, compile_project
from tests.graphs import conv_transpose_graph, quantized_input


@pytest.mark.csim
def test_the_project_holds_no_path_and_moves_with_its_weights(tmp_path):
    model, _, _ = conv_transpose_graph()
    x = quantized_input(3, 2, 4, 5)
    csim = build_csim(model, tmp_path / "prj", HlsOptions())
    y = csim.predict(x)
    project = tmp_path / "prj"
    for path in project.rglob("*"):
        if path.is_file() and path.name not in ("hls4ml_config.yml", "fpgagan_build.json"):
            assert str(tmp_path).encode() not in path.read_bytes(), path
    script = project / BUILD_SCRIPT
    assert "-DWEIGHTS_DIR=fpgagan_weights_dir()" in script.read_text()
    assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0
    # a copy elsewhere, the original gone: the copy's library reads the copy's weights
    library = next((project / "firmware").glob("myproject-fpgagan-*.so")).relative_to(project)
    shutil.copytree(project, tmp_path / "copy")
    shutil.rmtree(project)
    adopt(csim.hls_model, tmp_path / "copy", str(library))
    assert np.array_equal(csim.predict(x), y)


def test_a_failed_compile_is_one_line_and_leaves_no_objects(tmp_path):
    (tmp_path / "firmware" / "ap_types").mkdir(parents=True)
    (tmp_path / "firmware" / "myproject.cpp").write_text("int broken( {\n")
    (tmp_path / "myproject_bridge.cpp").write_text("int bridge() { return 0; }\n")
    with pytest.raises(GeneratedCodeError, match="g\\+\\+ failed on firmware/myproject.cpp") as exc:
        compile_project(tmp_path, "myproject")
    # fpgagan generated that code: its fault (the CLI exits 3), not a refused input (exit 2)
    assert not isinstance(exc.value, FpgaganError)
    assert "\n" not in str(exc.value) and "broken" in "".join(exc.value.__notes__)
    assert not list(tmp_path.glob("*.o")) and not list(tmp_path.rglob("*.so"))


def test_a_project_name_that_is_not_an_identifier_is_refused(tmp_path):
    with pytest.raises(SimulationError, match="not a C identifier"):
        compile_project(tmp_path, 'x"; touch y; "')
