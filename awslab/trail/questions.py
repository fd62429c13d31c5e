"""The catalogue of named questions analysts ask of a trail, one readable SQL file each.

Each ``questions/<name>.sql`` starts with comment lines that describe it::

    -- <one-line purpose>
    -- anchor: <the CIS alarm, Sigma rule, Panther rule or Lake sample that motivates it>
    -- param: <name> <SQL type> [= <default>]  <what it means>
    -- plot: <bar|line> <x column> <y column>

and the SQL reads ``cloudtrail_events`` with parameters as ``$name``. Every question also takes
``start`` and ``end``: the table is then narrowed to ``start <= event_time < end`` by a CTE of
the same name placed in front of the question's SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from typing import Any

from .loader import instant

REQUIRED = object()
"""The default of a parameter that has none: the caller must give it."""


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: Any
    doc: str

    @property
    def required(self) -> bool:
        return self.default is REQUIRED

    def __str__(self) -> str:
        default = "" if self.required else f" = {self.default!r}"
        return f"{self.name}: {self.type}{default}"


@dataclass(frozen=True)
class Question:
    """One named question: what it is for, its parameters, the SQL it runs, why it matters."""

    name: str
    purpose: str
    anchor: str
    params: tuple[Param, ...]
    sql: str
    plot: tuple[str, str, str] | None = None
    """(kind, x column, y column) for the report's chart, when the answer plots well."""

    def __str__(self) -> str:
        params = ", ".join(str(p) for p in self.params)
        return f"{self.name}({params}): {self.purpose}"


_HEADER = re.compile(r"^--\s?(.*)$")
_PARAM = re.compile(r"^(?P<name>\w+)\s+(?P<type>[A-Z\[\]]+)(?:\s*=\s*(?P<default>\S+))?\s+(?P<doc>.+)$")


def _default(text: str | None, kind: str) -> Any:
    if text is None:
        return REQUIRED
    if text == "null":
        return None
    if kind in ("INTEGER", "BIGINT"):
        return int(text)
    if kind == "DOUBLE":
        return float(text)
    return text.strip("'")


def parse(name: str, text: str) -> Question:
    """A Question from a .sql file's text (its header comments, then the SQL)."""
    purpose, anchor, plot = "", "", None
    params: list[Param] = []
    lines = text.strip().splitlines()
    body_start = 0
    for index, line in enumerate(lines):
        match = _HEADER.match(line)
        if not match:
            body_start = index
            break
        content = match.group(1).strip()
        if content.startswith("anchor:"):
            anchor = content.removeprefix("anchor:").strip()
        elif content.startswith("param:"):
            found = _PARAM.match(content.removeprefix("param:").strip())
            if not found:
                raise ValueError(f"{name}: cannot read parameter line {content!r}")
            params.append(Param(found["name"], found["type"], _default(found["default"], found["type"]),
                                found["doc"].strip()))
        elif content.startswith("plot:"):
            kind, x, y = content.removeprefix("plot:").split()
            plot = (kind, x, y)
        elif not purpose:
            purpose = content
        else:
            purpose += " " + content
    sql = "\n".join(lines[body_start:]).strip().rstrip(";")
    return Question(name, purpose, anchor, tuple(params), sql, plot)


@lru_cache(maxsize=1)
def catalogue() -> dict[str, Question]:
    """Every question, by name, in alphabetical order."""
    folder = resources.files(__package__) / "questions"
    found = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            name = entry.name.removesuffix(".sql")
            found[name] = parse(name, entry.read_text(encoding="utf-8"))
    return found


_WINDOW = ("WITH cloudtrail_events AS (\n    SELECT * FROM cloudtrail_events\n"
           "    WHERE ($start::TIMESTAMPTZ IS NULL OR event_time >= $start::TIMESTAMPTZ)\n"
           "      AND ($end::TIMESTAMPTZ IS NULL OR event_time < $end::TIMESTAMPTZ)\n)\nSELECT * FROM (\n")


def prepare(question: Question, given: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The SQL to run and its bound parameters; checks names and fills defaults.

    Raises TypeError for an unknown or a missing parameter, as a Python call would."""
    known = {p.name: p for p in question.params}
    unknown = set(given) - set(known) - {"start", "end"}
    if unknown:
        raise TypeError(f"{question.name}() got unexpected parameter(s) {', '.join(sorted(unknown))}; "
                        f"it takes {', '.join([*known, 'start', 'end'])}")
    bound: dict[str, Any] = {}
    for param in question.params:
        if param.name in given:
            bound[param.name] = _convert(given[param.name], param.type)
        elif param.required:
            raise TypeError(f"{question.name}() needs the parameter {param.name!r} ({param.doc})")
        else:
            bound[param.name] = param.default
    sql = question.sql
    if given.get("start") is not None or given.get("end") is not None:
        sql = _WINDOW + sql + "\n)"
        bound["start"], bound["end"] = instant(given.get("start")), instant(given.get("end"))
    return sql, bound


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "TIMESTAMPTZ":
        return instant(value)
    if kind in ("INTEGER", "BIGINT"):
        return int(value)
    if kind == "DOUBLE":
        return float(value)
    if kind.endswith("[]"):
        return [value] if isinstance(value, str) else list(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)
