"""fpgagan's stages import only from earlier stages (docs/architecture.md).

Every module of ``fpgagan/`` is parsed with :mod:`ast` (nothing is imported, so the test takes a
fraction of a second), each ``fpgagan.*`` import is collected, at module level or inside a
function, and the module it names is mapped to its stage.  A module may import the base modules
and its own or an earlier stage; a base module may import only base modules.  The exceptions that
exist today are listed in :data:`ALLOWED`, each with its reason, so any new one fails here.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fpgagan"

# the direction data flows: each stage imports only from the stages before it (and BASE)
STAGES = (
    "data",
    "models",
    "train",
    "compress",
    "export",
    "hw",  # the hardware model: engine layer specs, storage, unit costs, cost, dataflow, planner
    "hls",  # hls/passes is part of hls
    "sim",
    "report",
    "workflows",
    "cli",
)
# modules every stage may import; they import no stage themselves.  "fpgagan" is the package's
# __init__ (version, FpgaganError); assets/ holds data files (weights, the default model) only
BASE = frozenset(
    {
        "fpgagan",
        "config",
        "boards",
        "errors",
        "io",
        "geometry",
        "images",
        "folders",
        "interrupts",
        "limits",
        "assets",
    }
)
# modules outside their stage's package
STAGE_OF_MODULE = {"fpgagan.__main__": "cli"}

# (importing module, imported module) -> why the later-stage import is there.  Empty: the code
# has no exception today; an entry added here must say why the import cannot move.
ALLOWED: dict[tuple[str, str], str] = {}


@dataclasses.dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return (
            f"{self.importer} (line {self.line}) imports {self.imported}: "
            f"{stage_of(self.importer)} may not import {stage_of(self.imported)}"
        )


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name: str) -> bool:
    """Whether ``name`` (``fpgagan.x.y``) is a module or package of fpgagan."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def stage_of(module: str) -> str:
    """``module``'s stage, ``"base"`` for a base module; KeyError for a module of no stage."""
    if module in STAGE_OF_MODULE:
        return STAGE_OF_MODULE[module]
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else parts[0]
    if top in BASE:
        return "base"
    if top in STAGES:
        return top
    raise KeyError(f"{module}: no stage (add fpgagan.{top} to STAGES or BASE in {__file__})")


def rank(module: str) -> int:
    stage = stage_of(module)
    return -1 if stage == "base" else STAGES.index(stage)


def imports_in(source: str, module: str, package: bool = False) -> list[Import]:
    """The fpgagan modules ``module``'s source imports, wherever the import statement sits.

    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``;
    relative imports are resolved against ``module`` (a ``package`` when it is an __init__).
    """
    found: list[Import] = []
    here = module.split(".") if package else module.split(".")[:-1]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [
                f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
                for alias in node.names
            ]
        else:
            continue
        found += [
            Import(module, name, node.lineno)
            for name in dict.fromkeys(names)
            if name.split(".")[0] == "fpgagan"
        ]
    return found


@functools.cache
def all_imports() -> tuple[Import, ...]:
    out: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        out += imports_in(path.read_text(), module_name(path), path.name == "__init__.py")
    return tuple(out)


def later_stage(imports: tuple[Import, ...] | list[Import]) -> list[Import]:
    """The imports of a module from a later stage than its own."""
    return [i for i in imports if rank(i.imported) > rank(i.importer)]


def test_every_module_belongs_to_a_stage():
    modules = [module_name(p) for p in sorted(PACKAGE.rglob("*.py"))]
    assert len(modules) > 50  # the package is where the test looks for it
    unplaced = []
    for module in modules:
        try:
            stage_of(module)
        except KeyError as exc:
            unplaced.append(str(exc))
    assert not unplaced, "\n".join(unplaced)


def test_no_module_imports_a_later_stage():
    new = [i for i in later_stage(all_imports()) if (i.importer, i.imported) not in ALLOWED]
    assert not new, (
        "imports against the data flow (" + " -> ".join(STAGES) + "); move the shared code to "
        "an earlier stage or a base module, or pass it in:\n" + "\n".join(map(str, new))
    )


# outside packages a stage must not import (docs/architecture.md): the hardware model is planned
# and tested without hls4ml or qonnx
FORBIDDEN_OUTSIDE = {"hw": ("hls4ml", "qonnx", "onnx", "onnxruntime", "torch", "brevitas")}


def outside_imports(source: str) -> list[tuple[str, int]]:
    """Top-level names of the non-fpgagan packages ``source`` imports, with their lines."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(a.name.split(".")[0], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.append((node.module.split(".")[0], node.lineno))
    return [(name, line) for name, line in out if name != "fpgagan"]


def test_no_stage_imports_a_forbidden_outside_package():
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        forbidden = FORBIDDEN_OUTSIDE.get(stage_of(module), ())
        bad += [
            f"{module} (line {line}) imports {name}"
            for name, line in outside_imports(path.read_text())
            if name in forbidden
        ]
    assert not bad, "\n".join(bad)


def test_a_forbidden_outside_import_is_found():
    source = "import numpy as np\ndef f():\n    from hls4ml.model import layers\n"
    assert outside_imports(source) == [("numpy", 1), ("hls4ml", 3)]


def test_allowed_exceptions_still_exist():
    found = {(i.importer, i.imported) for i in later_stage(all_imports())}
    stale = sorted(set(ALLOWED) - found)
    assert not stale, f"no longer imported, remove from ALLOWED: {stale}"


@pytest.mark.parametrize(
    "module, package, source, imported",
    [
        ("fpgagan.models.generator", False, "def f():\n    from fpgagan.hls import convert\n", "fpgagan.hls.convert"),
        ("fpgagan.export.reference", False, "import fpgagan.sim.compare as c\n", "fpgagan.sim.compare"),
        ("fpgagan.data.datasets", False, "from ..report import quality\n", "fpgagan.report.quality"),
        ("fpgagan.hls", True, "from .. import cli\n", "fpgagan.cli"),
        ("fpgagan.io", False, "from fpgagan.models.generator import Generator\n", "fpgagan.models.generator"),
    ],
)  # fmt: skip
def test_a_later_stage_import_is_found(module, package, source, imported):
    """The checker sees imports in functions, relative imports and base modules importing stages."""
    assert [i.imported for i in later_stage(imports_in(source, module, package))] == [imported]


def test_earlier_and_same_stage_imports_pass():
    source = (
        "from fpgagan.errors import ExportError\n"
        "from fpgagan import __version__\n"
        "from fpgagan.models import Generator\n"
        "from .ops import register_qonnx_ops\n"
    )
    imports = imports_in(source, "fpgagan.export.qonnx_export")
    assert [i.imported for i in imports] == [
        "fpgagan.errors",
        "fpgagan",
        "fpgagan.models",
        "fpgagan.export.ops",
    ]
    assert later_stage(imports) == []
