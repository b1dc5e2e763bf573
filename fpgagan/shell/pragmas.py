"""The HLS pragmas each target tool documents, and a check that a generated project uses no other.

Every board's project targets Vitis HLS (2022.2 or later).  :data:`TABLES` holds, per tool, the
pragmas fpgagan may use and, for each, the options and values it may give them, with the section
of AMD UG1399 ("Vitis High-Level Synthesis User Guide") that documents them; :data:`REFUSED`
names the Vivado-HLS forms that Vitis HLS removed or deprecated, each with its reason.

:func:`project_pragmas` lists the pragmas a project uses, as the tool sees them:

- the design's translation units (``firmware/*.cpp``; the test bench, the C-simulation bridge
  and runtime live beside ``firmware/`` and do not count) are run through the C preprocessor
  with the macros Vitis HLS defines for synthesis (``__SYNTHESIS__``, ``__VITIS_HLS__``), so
  the hls4ml code a project includes is checked and the code it does not include, or keeps
  behind ``#ifndef __VITIS_HLS__`` (hls4ml's ``PRAGMA_DATA_PACK``), is not; macro-expanded
  ``_Pragma("HLS ...")`` counts, and the preprocessor's line markers give each pragma its file
  and line.  The headers the tool brings itself (``ap_fixed.h``, ``hls_stream.h``,
  ``ap_axi_sdata.h``, ...) are empty stand-ins: the open-source ap_types hls4ml copies into
  ``firmware/ap_types`` refuse ``__SYNTHESIS__`` with ``#error``, and Vitis HLS reads its own
  copies anyway (``firmware/ap_types`` is not on its include path);
- the files fpgagan and hls4ml write for the project (``firmware/*.cpp``, ``firmware/*.h``) and
  fpgagan's own kernels and layer wrappers (``firmware/nnet_utils/nnet_fg_*.h``,
  ``firmware/weights/fg_*.h``) are also read as text, so a pragma in a branch of fpgagan's code
  that this project's macros do not take is checked too.

:func:`check_project` raises :class:`~fpgagan.errors.PragmaError` naming file, line and pragma.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from fpgagan.errors import PragmaError

INT = "<int>"  # an integer or a compile-time constant (a template parameter: CONFIG_T::n_chan)
NAME = "<name>"  # a variable, port or list of ports
_INT = re.compile(r"^-?[A-Za-z0-9_:]+$")
_NAME = re.compile(r"^[A-Za-z_][\w:.\->\[\],<>]*$")  # template-ids too: softmax<CONFIG_T>
_PRAGMA = re.compile(r"^\s*#\s*pragma\s+HLS\b(.*)$", re.IGNORECASE)
_PRAGMA_OP = re.compile(r'_Pragma\s*\(\s*"\s*HLS\b((?:\\.|[^"\\])*)"\s*\)', re.IGNORECASE)
_MARKER = re.compile(r'^#\s+(\d+)\s+"((?:\\.|[^"\\])*)"')
_COMMENT_OR_STRING = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.DOTALL)
_MISSING = re.compile(r"fatal error: ([^:]+): No such file or directory")
_UG1399 = "UG1399 (v2022.2) Vitis HLS User Guide, HLS Pragmas > pragma HLS"
# headers Vitis HLS supplies from its own include folder (besides those in firmware/ap_types)
TOOL_HEADERS = (
    "ap_axi_sdata.h",
    "ap_fixed.h",
    "ap_int.h",
    "ap_shift_reg.h",
    "hls_math.h",
    "hls_stream.h",
    "hls_streamofblocks.h",
    "hls_task.h",
    "hls_vector.h",
)
_PREPROCESS_TIMEOUT_S = 120


@dataclasses.dataclass(frozen=True)
class Rule:
    """One pragma a tool documents: its ``key=value`` options (allowed words, or :data:`INT` /
    :data:`NAME`), its bare-word options, and where the tool's guide documents it."""

    options: Mapping[str, tuple[str, ...] | str]
    flags: frozenset[str]
    source: str


def _rule(section: str, flags: Iterable[str] = (), **options: tuple[str, ...] | str) -> Rule:
    return Rule(options, frozenset(flags), f"{_UG1399} {section}")


_INTERFACE_MODES = (
    "ap_none", "ap_vld", "ap_ack", "ap_hs", "ap_ovld", "ap_fifo", "ap_memory", "bram",
    "axis", "s_axilite", "m_axi", "ap_ctrl_none", "ap_ctrl_hs", "ap_ctrl_chain",
)  # fmt: skip
_STORAGE_TYPES = (
    "fifo", "ram_1p", "ram_1wnr", "ram_2p", "ram_s2p", "ram_t2p", "rom_1p", "rom_2p", "rom_np",
)  # fmt: skip
_PARTITION_TYPES = ("block", "cyclic", "complete")

# Per tool, the pragmas fpgagan may use.  Positional forms that the 2020.2-2021.2 guides wrote
# (``ARRAY_PARTITION variable=x complete``, ``INTERFACE axis port=x``) are still parsed by
# 2022.2 and later (hls4ml's Vitis backend relies on them), so they are allowed beside the
# ``type=`` / ``mode=`` spelling of the 2022.2 guide.
TABLES: dict[str, dict[str, Rule]] = {
    "vitis_hls": {
        "AGGREGATE": _rule("aggregate", variable=NAME, compact=("bit", "byte", "none", "auto")),
        "ALLOCATION": _rule(
            "allocation", ("function", "operation"), instances=NAME, limit=INT
        ),  # the Vitis form: <type> instances= limit=; Vivado HLS's 'core' type is refused
        "ARRAY_PARTITION": _rule(
            "array_partition",
            _PARTITION_TYPES,
            variable=NAME,
            type=_PARTITION_TYPES,
            factor=INT,
            dim=INT,
            off=("true",),
        ),
        "ARRAY_RESHAPE": _rule(
            "array_reshape",
            (*_PARTITION_TYPES, "object"),
            variable=NAME,
            type=(*_PARTITION_TYPES, "object"),
            factor=INT,
            dim=INT,
            off=("true",),
        ),
        "BIND_OP": _rule(
            "bind_op", variable=NAME, op=("mul", "add", "sub"), impl=("dsp", "fabric"), latency=INT
        ),  # fpgagan's datapaths are integer: no floating-point operators or impls
        "BIND_STORAGE": _rule(
            "bind_storage",
            variable=NAME,
            type=_STORAGE_TYPES,
            impl=("bram", "bram_ecc", "lutram", "uram", "uram_ecc", "srl", "memory", "auto"),
            latency=INT,
        ),
        "DATAFLOW": _rule("dataflow", ("disable_start_propagation",)),
        "DEPENDENCE": _rule(
            "dependence",
            ("array", "pointer", "inter", "intra", "raw", "war", "waw", "true", "false"),
            variable=NAME,
            type=("inter", "intra"),
            direction=("raw", "war", "waw"),
            distance=INT,
            dependent=("true", "false"),
            **{"class": ("array", "pointer")},
        ),
        "DISAGGREGATE": _rule("disaggregate", variable=NAME),
        "EXPRESSION_BALANCE": _rule("expression_balance", ("off",)),
        "FUNCTION_INSTANTIATE": _rule("function_instantiate", variable=NAME),
        "INLINE": _rule("inline", ("off", "recursive")),
        "INTERFACE": _rule(
            "interface",
            _INTERFACE_MODES,
            mode=_INTERFACE_MODES,
            port=NAME,
            bundle=NAME,
            name=NAME,
            register_mode=("both", "forward", "reverse", "off"),
            depth=INT,
            offset=("off", "direct", "slave"),
            storage_type=_STORAGE_TYPES,
            storage_impl=("bram", "lutram", "uram", "auto"),
            max_read_burst_length=INT,
            num_read_outstanding=INT,
            max_write_burst_length=INT,
            num_write_outstanding=INT,
            max_widen_bitwidth=INT,
            latency=INT,
        ),
        "LATENCY": _rule("latency", min=INT, max=INT),
        "LOOP_FLATTEN": _rule("loop_flatten", ("off",)),
        "LOOP_MERGE": _rule("loop_merge", ("force",)),
        "LOOP_TRIPCOUNT": _rule("loop_tripcount", min=INT, max=INT, avg=INT),
        "PIPELINE": _rule(
            "pipeline", ("off", "rewind"), ii=INT, style=("stp", "frp", "flp"), rewind=("true",)
        ),
        "RESET": _rule("reset", ("off",), variable=NAME),
        "STABLE": _rule("stable", variable=NAME),
        "STREAM": _rule(
            "stream", variable=NAME, depth=INT, type=("fifo", "pipo", "shared", "unsync")
        ),
        "TOP": _rule("top", name=NAME),
        "UNROLL": _rule("unroll", ("skip_exit_check", "off"), factor=INT, off=("true",)),
    },
}
TOOLS = tuple(TABLES)


@dataclasses.dataclass(frozen=True)
class Refusal:
    """A Vivado-HLS pragma or option that a tool removed or deprecated: ``option`` None refuses
    the whole pragma; else a bare word or a ``key=value`` that may also be written bare."""

    pragma: str
    option: str | None
    reason: str


REFUSED: dict[str, tuple[Refusal, ...]] = {
    "vitis_hls": (
        Refusal(
            "DATA_PACK",
            None,
            "removed in Vitis HLS (UG1391 Vitis HLS Migration Guide, Unsupported Features: "
            "Pragmas; hls4ml #252); structs are aggregated by default, use AGGREGATE",
        ),
        Refusal(
            "RESOURCE",
            None,
            "deprecated since Vitis HLS 2020.2 (HLS 207-5510 'Resource pragma is deprecated'); "
            "use BIND_OP for operators, BIND_STORAGE for memories",
        ),
        Refusal("ARRAY_MAP", None, "not supported by Vitis HLS (UG1391, Unsupported Features)"),
        Refusal("ALLOCATION", "core", "Vivado HLS form; Vitis binds cores with BIND_OP"),
        Refusal("INLINE", "region", "deprecated in Vitis HLS (hls4ml #252); use INLINE recursive"),
        Refusal(
            "INTERFACE",
            "mode=ap_bus",
            "unsupported in Vitis HLS (UG1399 2022.1, Unsupported Features: Pragmas); use m_axi",
        ),
        Refusal(
            "INTERFACE",
            "mode=ap_stable",
            "not a mode of Vitis's INTERFACE (UG1399 2022.2); use the STABLE pragma",
        ),
        Refusal(
            "PIPELINE",
            "enable_flush",
            "deprecated (UG1448 2022.2, Pipeline Styles); use style=flp",
        ),
        Refusal(
            "STREAM",
            "off",
            "the Vitis HLS 2020.2 form; since 2021.1 a channel's kind is type=fifo|pipo|...",
        ),
    ),
}


@dataclasses.dataclass(frozen=True)
class Pragma:
    """One HLS pragma of a project: where it is (relative to the project) and its text after
    ``HLS``, spaces around ``=`` removed."""

    file: str
    line: int
    text: str

    @property
    def name(self) -> str:
        return self.text.split(" ", 1)[0].upper() if self.text else ""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: #pragma HLS {self.text}"


def _normalised(text: str) -> str:
    return " ".join(re.sub(r"\s*=\s*", "=", text.replace("\\\n", " ")).split())


def problems(pragma: Pragma, tool: str = "vitis_hls") -> list[str]:
    """Why ``pragma`` is not in ``tool``'s table (empty: it is)."""
    if tool not in TABLES:
        raise PragmaError(f"unknown target tool {tool!r} (known: {', '.join(TOOLS)})")
    name, *words = pragma.text.split(" ") if pragma.text else [""]
    name = name.upper()
    pairs = [(w.partition("=")[0].lower(), w.partition("=")[2]) for w in words]
    for refusal in REFUSED[tool]:
        if refusal.pragma != name:
            continue
        key, _, value = (refusal.option or "").partition("=")
        if refusal.option is None or any(
            (k == key and (not value or v.lower() == value)) or (not v and k == (value or key))
            for k, v in pairs
        ):
            option = f" {refusal.option}" if refusal.option else ""
            return [f"{name}{option}: {refusal.reason}"]
    rule = TABLES[tool].get(name)
    if rule is None:
        return [f"{name or '(empty)'} is not a {tool} pragma fpgagan uses"]
    found = []
    for key, value in pairs:
        if not value:
            if key not in rule.flags:
                found.append(f"{name}: option {key!r} is not in the {tool} table")
            continue
        allowed = rule.options.get(key)
        if allowed is None:
            found.append(f"{name}: option {key}= is not in the {tool} table")
        elif allowed == INT and not _INT.match(value):
            found.append(f"{name}: {key}={value} is not an integer or a constant")
        elif allowed == NAME and not _NAME.match(value):
            found.append(f"{name}: {key}={value} is not a name")
        elif isinstance(allowed, tuple) and value.lower() not in allowed:
            found.append(f"{name}: {key}={value} is not one of {'|'.join(allowed)}")
    return found


def _stub_headers(project: Path, folder: Path) -> list[str]:
    """Empty stand-ins for the tool's own headers, in ``folder``; returns the compiler flags."""
    names = set(TOOL_HEADERS)
    ap_types = project / "firmware" / "ap_types"
    if ap_types.is_dir():
        names |= {p.relative_to(ap_types).as_posix() for p in ap_types.rglob("*.h")}
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
    return ["-I", str(folder)]


def _compiler() -> str:
    path = shutil.which("g++") or shutil.which("c++")
    if path is None:
        raise PragmaError("no C++ compiler (g++) on PATH; the pragma check runs its preprocessor")
    return path


def _from_preprocessed(output: str, project: Path) -> list[Pragma]:
    """The HLS pragmas in preprocessor output, each at the file and line its marker names."""
    found = []
    file, line = "", 0
    root = os.path.realpath(project)
    for text in output.split("\n"):
        marker = _MARKER.match(text)
        if marker:
            line, file = int(marker.group(1)), marker.group(2)
            continue
        hit = _PRAGMA.match(text)
        if hit:
            where = os.path.realpath(os.path.join(root, file))
            inside = os.path.commonpath([root, where]) == root
            rel = os.path.relpath(where, root) if inside else file
            found.append(Pragma(rel, line, _normalised(hit.group(1))))
        line += 1
    return found


def translation_units(project: Path) -> list[Path]:
    """The design's sources Vitis HLS synthesises: ``firmware/*.cpp``."""
    return sorted((Path(project) / "firmware").glob("*.cpp"))


def preprocessed_pragmas(project: Path) -> list[Pragma]:
    """The pragmas the tool sees in each translation unit, macros expanded and ``#if`` taken."""
    project = Path(project)
    found: list[Pragma] = []
    with tempfile.TemporaryDirectory(prefix="fpgagan-pragmas-") as tmp:
        flags = ["-E", "-std=c++11", "-D__SYNTHESIS__", "-D__VITIS_HLS__"]
        flags += _stub_headers(project, Path(tmp)) + ["-I", "firmware"]
        for unit in translation_units(project):
            rel = unit.relative_to(project).as_posix()
            result = subprocess.run(
                [_compiler(), *flags, rel],
                cwd=project,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=_PREPROCESS_TIMEOUT_S,
                check=False,
            )
            if result.returncode != 0:
                missing = _MISSING.search(result.stderr)
                why = (
                    f"includes {missing.group(1)}, found neither in the project nor among the tool's headers"
                    if missing
                    else result.stderr.strip()[-300:]
                )
                raise PragmaError(f"{rel} cannot be preprocessed as Vitis HLS would: {why}")
            found += _from_preprocessed(result.stdout, project)
    return found


def source_pragmas(path: Path, project: Path) -> list[Pragma]:
    """The pragmas written in one file, every ``#if`` branch included (comments skipped)."""
    text = Path(path).read_text(errors="replace")
    if "ragma" not in text:
        return []
    text = _COMMENT_OR_STRING.sub(
        lambda m: m.group(0) if m.group(0).startswith('"') else re.sub(r"[^\n]", " ", m.group(0)),
        text,
    )
    rel = Path(path).resolve().relative_to(Path(project).resolve()).as_posix()
    found = []
    lines = text.split("\n")
    for i, line in enumerate(lines):
        hit = _PRAGMA.match(line)
        if hit:
            body, j = hit.group(1), i
            while body.endswith("\\") and j + 1 < len(lines):
                j += 1
                body = body[:-1] + " " + lines[j]
            found.append(Pragma(rel, i + 1, _normalised(body)))
        for op in _PRAGMA_OP.finditer(line):
            found.append(Pragma(rel, i + 1, _normalised(op.group(1))))
    return found


def written_files(project: Path) -> list[Path]:
    """The files fpgagan and hls4ml write for a project, and fpgagan's own kernels in it."""
    firmware = Path(project) / "firmware"
    files = [*firmware.glob("*.cpp"), *firmware.glob("*.h")]
    files += [
        *(firmware / "nnet_utils").glob("nnet_fg_*.h"),
        *(firmware / "weights").glob("fg_*.h"),
    ]
    return sorted(files)


def project_pragmas(project: str | Path) -> list[Pragma]:
    """Every HLS pragma of ``project`` (an hls4ml project folder), in file and line order, once."""
    project = Path(project)
    if not (project / "firmware").is_dir():
        raise PragmaError(f"{project} is not an HLS project (no firmware/ folder)")
    found = set(preprocessed_pragmas(project))
    for path in written_files(project):
        found.update(source_pragmas(path, project))
    return sorted(found, key=lambda p: (p.file, p.line, p.text))


def violations(project: str | Path, tool: str = "vitis_hls") -> list[tuple[Pragma, str]]:
    """Each pragma of ``project`` outside ``tool``'s table, with the reason."""
    return [(p, why) for p in project_pragmas(project) for why in problems(p, tool)]


def check_project(project: str | Path, tool: str = "vitis_hls") -> list[Pragma]:
    """The pragmas of ``project``, after checking that ``tool`` documents each of them with the
    options given; raises :class:`PragmaError` naming file, line and pragma otherwise."""
    pragmas = project_pragmas(project)
    bad = [(p, why) for p in pragmas for why in problems(p, tool)]
    if bad:
        first, why = bad[0]
        more = f" (and {len(bad) - 1} more)" if len(bad) > 1 else ""
        raise PragmaError(f"{first}: {why}{more}")
    return pragmas
