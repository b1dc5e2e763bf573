"""A static check of fpgagan's HLS headers: every loop inside a pipelined region has a trip count
known at compile time.

An HLS tool can only unroll (and so pipeline) a loop whose bounds are constants; a loop from
``begin`` to ``end`` read out of an array inside a region pipelined at II=1 becomes a serial
loop, and whatever parallelism a report claims for it is not in the hardware.

A pipelined region is the body of a ``for`` loop holding ``#pragma HLS PIPELINE``, plus, by name,
every function called from it (transitively).  A bound is constant when every identifier in the
loop's init, condition and increment, other than the loop variable, is a ``CONFIG_T::`` member,
``<type>::size``, a template value parameter, or a numeric literal.
"""

from __future__ import annotations

import dataclasses
import re

FOR_HEAD = re.compile(r"\bfor\s*\(")
FUNC_DEF = re.compile(
    r"(?:^|\n)[ \t]*(?:template\s*<[^;{]*?>\s*)?(?:static\s+|inline\s+|const\s+)*[\w:<>,\s\*&]+?"
    r"\b(\w+)\s*\(([^;{}]*)\)\s*(?:const\s*)?\{"
)
CALL = re.compile(r"\b(\w+)\s*(?:<[^;(){}]*>)?\s*\(")
IDENT = re.compile(r"[A-Za-z_][\w]*(?:::[A-Za-z_]\w*)*")
CONST_IDENT = re.compile(r"^(CONFIG_T::\w+|\w+_T::size|[A-Z][A-Z0-9_]*|unsigned|int|true|false)$")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "static_cast"}


@dataclasses.dataclass(frozen=True)
class Violation:
    file: str
    line: int
    loop: str
    why: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: `{self.loop}`: {self.why}"


def strip_comments(text: str) -> str:
    """Comments replaced by spaces (line numbers kept)."""
    text = re.sub(r"/\*.*?\*/", lambda m: re.sub(r"[^\n]", " ", m.group(0)), text, flags=re.S)
    return re.sub(r"//[^\n]*", lambda m: " " * len(m.group(0)), text)


def _match(text: str, start: int, open_ch: str, close_ch: str) -> int:
    """Index just after the bracket closing the one at ``start``."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == open_ch:
            depth += 1
        elif text[i] == close_ch:
            depth -= 1
            if depth == 0:
                return i + 1
    raise ValueError(f"unbalanced {open_ch}{close_ch} from offset {start}")


@dataclasses.dataclass(frozen=True)
class Loop:
    head: str  # the text between the parentheses of for (...)
    start: int  # offset of 'for'
    body: tuple[int, int]  # body span (after the head)


def loops(text: str) -> list[Loop]:
    out = []
    for m in FOR_HEAD.finditer(text):
        paren = text.index("(", m.start())
        head_end = _match(text, paren, "(", ")")
        head = text[paren + 1 : head_end - 1]
        rest = head_end
        while rest < len(text) and text[rest].isspace():
            rest += 1
        if rest < len(text) and text[rest] == "{":
            body = (rest, _match(text, rest, "{", "}"))
        else:
            body = (rest, text.index(";", rest) + 1)
        out.append(Loop(" ".join(head.split()), m.start(), body))
    return out


def functions(text: str) -> dict[str, list[tuple[int, int]]]:
    """Function (and member function) name -> body spans."""
    out: dict[str, list[tuple[int, int]]] = {}
    for m in FUNC_DEF.finditer(text):
        name = m.group(1)
        if name in KEYWORDS:
            continue
        brace = m.end() - 1
        out.setdefault(name, []).append((brace, _match(text, brace, "{", "}")))
    return out


def config_typedefs(text: str) -> set[str]:
    """Members of types computed from the configuration alone (``typedef axis_plan<CONFIG_T>
    plan;`` makes ``plan::iterations`` a compile-time constant)."""
    return {
        f"{m.group(1)}::"
        for m in re.finditer(r"typedef\s+\w+\s*<\s*CONFIG_T\s*>\s*(\w+)\s*;", text)
    }


def template_values(text: str) -> set[str]:
    """Names of template value parameters (``template <..., unsigned N, int IMPL>``)."""
    names = set()
    for m in re.finditer(r"template\s*<([^>]*)>", text):
        for part in m.group(1).split(","):
            words = part.split()
            if len(words) >= 2 and words[0] in ("unsigned", "int", "bool", "size_t"):
                names.add(words[-1])
    return names


def constant_bound(head: str, allowed: set[str], prefixes: tuple[str, ...] = ()) -> str | None:
    """None if ``head`` (init; cond; incr) has constant bounds, else the offending identifier."""
    parts = head.split(";")
    if len(parts) != 3:
        return "not a three-part for"
    init, cond, incr = parts
    var = re.findall(r"(\w+)\s*=", init) or re.findall(r"(\w+)", cond)[:1]
    if not var:
        return "no loop variable"
    loop_var = var[-1]
    for part in (init.split("=", 1)[-1] if "=" in init else "", cond, incr):
        for ident in IDENT.findall(part):
            if ident == loop_var or ident in allowed or CONST_IDENT.match(ident):
                continue
            if prefixes and ident.startswith(prefixes):
                continue
            return ident
    return None


def check_text(text: str, name: str = "<text>") -> list[Violation]:
    """Every non-constant loop bound inside a pipelined region of ``text``."""
    code = strip_comments(text)
    all_loops = loops(code)
    funcs = functions(code)
    allowed = template_values(code)
    prefixes = tuple(config_typedefs(code))
    regions: list[tuple[int, int]] = []
    for m in re.finditer(r"#pragma\s+HLS\s+PIPELINE", code, flags=re.I):
        enclosing = [lp for lp in all_loops if lp.body[0] <= m.start() < lp.body[1]]
        if not enclosing:
            continue
        inner = max(enclosing, key=lambda lp: lp.body[0])
        regions.append((inner.start, inner.body[1]))
    # functions reachable from a pipelined region
    seen: set[str] = set()
    todo = [CALL.findall(code[a:b]) for a, b in regions]
    names = [n for calls in todo for n in calls]
    while names:
        n = names.pop()
        if n in seen or n not in funcs:
            continue
        seen.add(n)
        for a, b in funcs[n]:
            regions.append((a, b))
            names.extend(CALL.findall(code[a:b]))
    out = []
    for lp in all_loops:
        if any(a <= lp.start < b for a, b in regions):
            bad = constant_bound(lp.head, allowed, prefixes)
            if bad is not None:
                line = code.count("\n", 0, lp.start) + 1
                out.append(Violation(name, line, f"for ({lp.head})", f"bound uses {bad!r}"))
    return out


def pipelined_loops(code: str) -> list[Loop]:
    """The innermost loop around each ``#pragma HLS PIPELINE`` of ``code`` (comments stripped)."""
    all_loops = loops(code)
    out = []
    for m in re.finditer(r"#pragma\s+HLS\s+PIPELINE", code, flags=re.I):
        enclosing = [lp for lp in all_loops if lp.body[0] <= m.start() < lp.body[1]]
        if enclosing:
            out.append(max(enclosing, key=lambda lp: lp.body[0]))
    return out


def check_flat(text: str, name: str = "<text>") -> list[Violation]:
    """Every pipelined loop that another loop encloses, in its own function or through a call of
    its function from a loop body: such a nest refills its pipeline once per outer iteration
    unless the tool flattens it."""
    code = strip_comments(text)
    all_loops = loops(code)
    funcs = functions(code)
    out = []
    owners: set[str] = set()
    for lp in pipelined_loops(code):
        line = code.count("\n", 0, lp.start) + 1
        outer = [o for o in all_loops if o.body[0] < lp.start < o.body[1] and o is not lp]
        if outer:
            out.append(
                Violation(name, line, f"for ({lp.head})", f"nested in for ({outer[0].head})")
            )
        owners |= {n for n, spans in funcs.items() if any(a <= lp.start < b for a, b in spans)}
    # callers of a function holding a pipelined loop, transitively
    callers = set(owners)
    changed = True
    while changed:
        changed = False
        for n, spans in funcs.items():
            if n not in callers and any(
                c in callers for a, b in spans for c in CALL.findall(code[a:b])
            ):
                callers.add(n)
                changed = True
    for lp in all_loops:
        called = {c for c in CALL.findall(code[lp.body[0] : lp.body[1]]) if c in callers}
        if called:
            line = code.count("\n", 0, lp.start) + 1
            why = f"calls {sorted(called)[0]}, which holds a pipelined loop"
            out.append(Violation(name, line, f"for ({lp.head})", why))
    return out


ROW_ACCESS = re.compile(r"\b(buf|weights|offsets|biases|lines|row)\s*\[")
WORD_SIZES = re.compile(r"\b(n_chan|word_values|lanes|k_par|n_par)\b")


def check_word_reads(text: str, name: str = "<text>") -> list[Violation]:
    """Every access of a buffer or ROM whose word index is scaled by the word's size
    (``buf[p * n_chan + c]``): such a flat index reads one word only if the tool proves that the
    division by the reshape factor is ``p``.  The memories are two-dimensional instead, a row per
    word: ``buf[p][c]``, ``weights[step]``."""
    code = strip_comments(text)
    out = []
    for m in ROW_ACCESS.finditer(code):
        close = _match(code, m.end() - 1, "[", "]")
        index = code[m.end() : close - 1]
        size = WORD_SIZES.search(index)
        if size is None:
            continue
        line = code.count("\n", 0, m.start()) + 1
        why = f"word index scaled by {size.group(1)}: a flat index into a word memory"
        out.append(Violation(name, line, f"{m.group(1)}[{index}]", why))
    return out
