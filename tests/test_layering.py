"""fpgagan's stages import only from earlier stages, and every other rule docs/architecture.md
states about imports holds.

Every module of ``fpgagan/`` is parsed with :mod:`ast` (nothing is imported, so the test takes a
fraction of a second), each import is collected, at module level, inside a function or under
``if TYPE_CHECKING:``, and the module it names is mapped to its stage.  A module may import the
base modules and its own or an earlier stage; a base module may import only base modules; there
are no exceptions.  No module imports, directly or through others, a module that imports it back.
The doc's other rules (:data:`FORBIDDEN`, :data:`ONLY_IMPORTED_BY`, ...) each quote the sentence
of docs/architecture.md that states them, and that sentence must be in the doc.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "fpgagan"
ARCHITECTURE = PACKAGE.parent / "docs" / "architecture.md"

# the direction data flows: each stage imports only from the stages before it (and BASE)
STAGES = (
    "data",
    "models",
    "train",
    "compress",
    "export",
    "hw",  # the hardware model: engine layer specs, storage, unit costs, cost, dataflow, planner
    "hls",  # hls/passes is part of hls
    "shell",  # the board project around the network: AXI top, scripts, driver, pragma check
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


@dataclasses.dataclass(frozen=True)
class Import:
    importer: str
    imported: str
    line: int
    typing_only: bool = False  # under ``if TYPE_CHECKING:``: never runs
    in_function: bool = False

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


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def import_statements(
    node: ast.AST, typing_only: bool = False, in_function: bool = False
) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement under ``node``, with whether it is typing-only and in a function."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child, typing_only, in_function
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            yield from import_statements(ast.Module(child.body, []), True, in_function)
            yield from import_statements(ast.Module(child.orelse, []), typing_only, in_function)
        else:
            inner = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            yield from import_statements(child, typing_only, in_function or inner)


def imports_in(source: str, module: str, package: bool = False) -> list[Import]:
    """The fpgagan modules ``module``'s source imports, wherever the import statement sits.

    ``from a.b import c`` counts as importing ``a.b.c`` when that is a module, else ``a.b``;
    relative imports are resolved against ``module`` (a ``package`` when it is an __init__).
    """
    found: list[Import] = []
    here = module.split(".") if package else module.split(".")[:-1]
    for node, typing_only, in_function in import_statements(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            names = [
                f"{base}.{alias.name}" if is_module(f"{base}.{alias.name}") else base
                for alias in node.names
            ]
        found += [
            Import(module, name, node.lineno, typing_only, in_function)
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
    new = later_stage(all_imports())
    assert not new, (
        "imports against the data flow (" + " -> ".join(STAGES) + "); move the shared code to "
        "an earlier stage or a base module, or pass it in:\n" + "\n".join(map(str, new))
    )


# --------------------------------------------------------------------------- import cycles


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while not component or component[-1] != v:
                component.append(stack.pop())
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10_000))
    try:
        for v in sorted(graph):
            if v not in index:
                visit(v)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(found)


def import_graph(typing_too: bool) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for i in all_imports():
        if i.importer != i.imported and (typing_too or not i.typing_only):
            graph.setdefault(i.importer, set()).add(i.imported)
    return graph


# cycles that exist only through ``if TYPE_CHECKING:`` imports (they never run) -> why.  Each
# entry must still be a cycle; a new one fails like a runtime cycle.
TYPE_ONLY_CYCLES: dict[tuple[str, ...], str] = {}


def test_no_import_cycle():
    """No module imports (directly or through others) a module that imports it back."""
    runtime = cycles(import_graph(typing_too=False))
    assert not runtime, "import cycles (move the shared part to a module both import):\n" + (
        "\n".join(" <-> ".join(c) for c in runtime)
    )
    typing_only = {tuple(c) for c in cycles(import_graph(typing_too=True))}
    assert typing_only == set(TYPE_ONLY_CYCLES), (
        "cycles through TYPE_CHECKING imports differ from TYPE_ONLY_CYCLES: "
        f"new {sorted(typing_only - set(TYPE_ONLY_CYCLES))}, "
        f"gone {sorted(set(TYPE_ONLY_CYCLES) - typing_only)}"
    )


def test_a_cycle_is_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"d"}}
    assert cycles(graph) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from fpgagan.shell import top\n"
    )
    [found] = imports_in(source, "fpgagan.shell.scripts")
    assert found.imported == "fpgagan.shell.top" and found.typing_only


# --------------------------------------------------------------------------- the doc's other rules


@dataclasses.dataclass(frozen=True)
class Rule:
    """Modules named ``importer`` (or under it) must not import ``imported`` (or under it);
    ``doc`` is the sentence of docs/architecture.md that says so."""

    importer: str
    imported: tuple[str, ...]
    doc: str


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


FORBIDDEN: tuple[Rule, ...] = (
    Rule("fpgagan.config", ("torch", "brevitas"), "it must not build anything (no torch, no Brevitas)"),
    Rule("fpgagan.geometry", ("numpy", "torch", "qonnx", "hls4ml"),
         "so it must stay free of numpy, torch, qonnx and hls4ml"),
    Rule("fpgagan.data", ("urllib", "http", "requests", "socket", "fpgagan.models"),
         "It must not download anything, must not know about models"),
    Rule("fpgagan.train", ("fpgagan.compress", "fpgagan.report"),
         "So it must not import `compress` or `report`"),
    Rule("fpgagan.export", ("hls4ml",), "Nothing in `export` imports hls4ml."),
    Rule("fpgagan.hw", ("hls4ml", "qonnx", "onnx", "onnxruntime", "torch", "brevitas"),
         "`tests/test_layering.py` forbids importing them here"),
    Rule("fpgagan.hls.passes", ("fpgagan.hls.register", "fpgagan.hls.convert"),
         "A pass must not import `register` or `convert`"),
    Rule("fpgagan.report", ("fpgagan.sim", "fpgagan.workflows"),
         "so it imports neither `sim` nor `workflows`"),
)  # fmt: skip

# imported module (or under it) -> the only modules that may import it, and the doc's sentence
ONLY_IMPORTED_BY: dict[str, tuple[tuple[str, ...], str]] = {
    prefix: (("fpgagan.models.quantizers",),
             "`quantizers.py` is the only place Brevitas quantizer injection happens")
    for prefix in ("brevitas.quant", "brevitas.inject", "brevitas.core", "brevitas.proxy")
} | {
    "fpgagan.workflows": (("fpgagan.workflows", "fpgagan.cli", "fpgagan.__main__"),
                          "Inside the package only `cli` imports them."),
}  # fmt: skip

# modules that import nothing but these (and the standard library), with the doc's sentence
IMPORTS_ONLY: dict[str, tuple[tuple[str, ...], str]] = {
    "fpgagan": (("fpgagan.errors",), "`__init__` holds the version and re-exports `FpgaganError`"),
    "fpgagan.shell.host_codec": (("numpy",), "`host_codec.py` (numpy only"),
    "fpgagan.limits": ((), "it holds numbers only"),
}  # fmt: skip

# the command modules cli imports inside the command that needs them, never at module level
IMPORTED_IN_FUNCTIONS = {
    "fpgagan.cli": ("fpgagan.workflows", "imports of the workflow each command needs inside the command")
}  # fmt: skip


def every_import(source: str, module: str, package: bool = False) -> list[Import]:
    """All imports in ``module``'s source, fpgagan's resolved and outside ones by full name
    (``from a.b import c`` is ``a.b.c``, so rules on ``a.b`` see it)."""
    out = imports_in(source, module, package)
    for node, typing_only, in_function in import_statements(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif not node.level and node.module and node.module.split(".")[0] != "__future__":
            names = [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        out += [
            Import(module, n, node.lineno, typing_only, in_function)
            for n in names
            if n.split(".")[0] != "fpgagan"
        ]
    return out


@functools.cache
def every_module_import() -> tuple[Import, ...]:
    return tuple(
        i
        for p in sorted(PACKAGE.rglob("*.py"))
        for i in every_import(p.read_text(), module_name(p), p.name == "__init__.py")
    )


def rule_breaks(imports: tuple[Import, ...] | list[Import]) -> list[str]:
    """Every import against :data:`FORBIDDEN`, :data:`ONLY_IMPORTED_BY`, :data:`IMPORTS_ONLY`
    and :data:`IMPORTED_IN_FUNCTIONS`, with the doc's reason."""
    bad = []
    stdlib = sys.stdlib_module_names
    for i in imports:
        where = f"{i.importer} (line {i.line}) imports {i.imported}"
        for rule in FORBIDDEN:
            if within(i.importer, rule.importer) and any(
                within(i.imported, x) for x in rule.imported
            ):
                bad.append(f"{where}: {rule.doc!r}")
        for prefix, (allowed, doc) in ONLY_IMPORTED_BY.items():
            if within(i.imported, prefix) and not any(within(i.importer, a) for a in allowed):
                bad.append(f"{where}: {doc!r}")
        if i.importer in IMPORTS_ONLY:
            allowed, doc = IMPORTS_ONLY[i.importer]
            top = i.imported.split(".")[0]
            if not any(within(i.imported, a) for a in allowed) and (
                top == "fpgagan" or top not in stdlib
            ):
                bad.append(f"{where}: {doc!r}")
        if i.importer in IMPORTED_IN_FUNCTIONS:
            prefix, doc = IMPORTED_IN_FUNCTIONS[i.importer]
            if within(i.imported, prefix) and not i.in_function and not i.typing_only:
                bad.append(f"{where} at module level: {doc!r}")
    return bad


def test_every_documented_rule_holds():
    bad = rule_breaks(every_module_import())
    assert not bad, "against docs/architecture.md:\n" + "\n".join(bad)


def test_every_rule_quotes_the_doc():
    """The rules are the doc's: each quoted sentence is in docs/architecture.md (so a rule
    cannot outlive its sentence, nor the sentence its rule)."""
    text = _words(ARCHITECTURE.read_text())
    docs = [r.doc for r in FORBIDDEN] + [doc for _, doc in ONLY_IMPORTED_BY.values()]
    docs += [doc for _, doc in IMPORTS_ONLY.values()] + [
        d for _, d in IMPORTED_IN_FUNCTIONS.values()
    ]
    missing = [d for d in docs if _words(d) not in text]
    assert not missing, f"not in {ARCHITECTURE}: {missing}"


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_documented_base_modules_are_base():
    """The doc's list of base modules is :data:`BASE` (without the package and its assets)."""
    listed = re.search(r"base modules \(([^)]*)\)", _words(ARCHITECTURE.read_text()))
    assert listed is not None
    assert set(re.findall(r"`(\w+)`", listed.group(1))) == BASE - {"fpgagan", "assets"}


@pytest.mark.parametrize(
    "module, source, reason",
    [
        ("fpgagan.report.render", "from fpgagan.sim import compare\n", "neither `sim`"),
        ("fpgagan.hw.cost", "def f():\n    import hls4ml.model\n", "forbids importing"),
        ("fpgagan.hw.cost", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch\n", "forbids importing"),
        ("fpgagan.export.validate", "from hls4ml.model import layers\n", "imports hls4ml"),
        ("fpgagan.config", "import torch.nn as nn\n", "no torch"),
        ("fpgagan.geometry", "import numpy as np\n", "free of numpy"),
        ("fpgagan.data.datasets", "from urllib.request import urlopen\n", "download"),
        ("fpgagan.hls.passes.to_engine", "from fpgagan.hls import convert\n", "`register` or `convert`"),
        ("fpgagan.models.generator", "from brevitas.quant import Int8WeightPerTensorFloat\n", "injection"),
        ("fpgagan.models.generator", "from brevitas import inject\n", "injection"),
        ("fpgagan.shell.host_codec", "import torch\n", "numpy"),
        ("fpgagan.shell.host_codec", "from fpgagan.export import host_layout\n", "numpy"),
        ("fpgagan.cli", "from fpgagan.workflows import sweep\n", "inside the command"),
        ("fpgagan.report.render", "from fpgagan.workflows import sweep\n", "neither"),
    ],
)  # fmt: skip
def test_a_documented_rule_is_enforced(module, source, reason):
    assert PACKAGE.parent.joinpath(*module.split(".")).with_suffix(".py").is_file()
    assert any(reason in b for b in rule_breaks(every_import(source, module))), source


def test_clean_modules_break_no_rule():
    imports = [
        Import("fpgagan.cli", "fpgagan.workflows.sweep", 9, in_function=True),
        Import("fpgagan.shell.host_codec", "numpy", 3),
        Import("fpgagan.shell.host_codec", "dataclasses", 2),
        Import("fpgagan.models.quantizers", "brevitas.quant.Int8WeightPerTensorFloat", 5),
        Import("fpgagan.hw.cost", "numpy", 4),
        Import("fpgagan.report.render", "fpgagan.report.hls_report", 7),
    ]
    assert rule_breaks(imports) == []


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
