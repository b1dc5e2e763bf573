"""One table, three files: ``table.md`` (for people), ``table.csv`` and ``table.json`` (for tools).

A table is a list of flat records (dicts) and the columns the Markdown shows, each a
``(key, title, format)``: ``None`` shows as ``-``, booleans as yes/no, text with its ``|`` escaped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fpgagan.io import provenance, write_json_atomic, write_text_atomic

Column = tuple[str, str, str]  # record key, title, str.format spec


def cell(value: Any, fmt: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return fmt.format(value).replace("|", "\\|")


def markdown_table(columns: Sequence[Column], records: Sequence[Mapping[str, Any]]) -> str:
    """The Markdown table of ``records`` (no trailing newline)."""
    head = "| " + " | ".join(title for _, title, _ in columns) + " |"
    rule = "|" + "|".join("---" for _ in columns) + "|"
    body = [
        "| " + " | ".join(cell(r.get(key), fmt) for key, _, fmt in columns) + " |" for r in records
    ]
    return "\n".join([head, rule, *body])


def csv_text(records: Sequence[Mapping[str, Any]]) -> str:
    """Every field of every record; the header is the union of the keys, in first-seen order."""
    fields: dict[str, None] = {}
    for r in records:
        fields.update(dict.fromkeys(r))
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields))
    writer.writeheader()
    writer.writerows(records)
    return buf.getvalue()


def write_tables(
    out_dir: Path,
    records: Sequence[Mapping[str, Any]],
    markdown: str,
    meta: Mapping[str, Any] | None = None,
) -> None:
    """``table.json`` (``meta``, the records, provenance), ``table.csv`` and ``table.md``, each
    written atomically."""
    write_json_atomic(
        out_dir / "table.json",
        {**(meta or {}), "rows": [dict(r) for r in records], "provenance": provenance()},
    )
    write_text_atomic(out_dir / "table.csv", csv_text(records))
    write_text_atomic(out_dir / "table.md", markdown)
