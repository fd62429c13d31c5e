"""Keep the generated parts of docs/trail.md (the columns and the question catalogue) in step.

    python -m awslab.trail.docs docs/trail.md      # rewrite the marked sections in place

A test compares the committed page with this output, so the page cannot fall behind the code.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from ..records import EVENTS_COLUMNS
from .loader import LOAD_ERRORS_COLUMNS, LOAD_FILES_COLUMNS
from .questions import catalogue


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def columns_markdown() -> str:
    parts = []
    for table, columns in (("cloudtrail_events", EVENTS_COLUMNS), ("load_errors", LOAD_ERRORS_COLUMNS),
                           ("load_files", LOAD_FILES_COLUMNS)):
        parts.append(f"### `{table}`\n\n| column | type | meaning |\n|---|---|---|\n")
        parts.extend(f"| `{name}` | {kind} | {_md(meaning)} |\n" for name, kind, meaning in columns)
        parts.append("\n")
    return "".join(parts).rstrip("\n") + "\n"


def catalogue_markdown() -> str:
    parts = []
    for question in catalogue().values():
        params = ", ".join(f"`{p.name}` {p.type}" + ("" if p.required else f" = {p.default!r}") + f" ({_md(p.doc)})"
                           for p in question.params)
        parts.append(f"### `{question.name}`\n\n{_md(question.purpose)}\n\n"
                     f"- parameters: {params or 'none'} (and `start`, `end`, as for every question)\n"
                     f"- anchor: {_md(question.anchor)}\n\n")
    return "".join(parts).rstrip("\n") + "\n"


SECTIONS = {"columns": columns_markdown, "catalogue": catalogue_markdown}


def render(page: str) -> str:
    """``page`` with every ``<!-- NAME:start -->…<!-- NAME:end -->`` section regenerated."""
    for name, make in SECTIONS.items():
        pattern = re.compile(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", re.S)
        page = pattern.sub(lambda m: m.group(1) + make() + m.group(2), page)
    return page


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/trail.md")
    target.write_text(render(target.read_text(encoding="utf-8")), encoding="utf-8")
