"""Evaluating a parsed filter pattern on one message, in Python (TestMetricFilter, the reference for SQL).

*Choices* where LG:FilterAndPatternSyntax is silent are listed in :mod:`awslab.logs.patterns`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .patterns_tree import And, Check, Comparison, Condition, Or, Selector, Value, _NUMBER_RE

_MISSING = object()
_TOKEN = r'"[^"]*"|\[[^\]]*\]|[^ \t]+'
_TOKEN_RE = re.compile(_TOKEN)


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        out.setdefault(k, v)
    return out


def _load_json(message: str) -> Any:
    """The message as strict JSON, or ``_MISSING`` when it is not one JSON document."""
    try:
        doc = json.loads(message, parse_constant=_reject_constant, object_pairs_hook=_first_wins)
        json.dumps(doc, ensure_ascii=False).encode("utf-8")  # lone surrogates are not JSON text
    except (ValueError, RecursionError, UnicodeEncodeError):
        return _MISSING
    return doc


def _resolve(doc: Any, steps: tuple[tuple[Any, ...], ...]) -> list[Any]:
    """All values a selector reaches (several only through a wildcard)."""
    current = [doc]
    for step in steps:
        nxt: list[Any] = []
        for node in current:
            if step[0] == "key" and isinstance(node, dict) and step[1] in node:
                nxt.append(node[step[1]])
            elif step[0] == "index" and isinstance(node, list) and step[1] < len(node):
                nxt.append(node[step[1]])
            elif step[0] == "keys" and isinstance(node, dict):
                nxt.extend(node.values())
            elif step[0] == "items" and isinstance(node, list):
                nxt.extend(node)
        current = nxt
    return current


def _as_number(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str) and _NUMBER_RE.fullmatch(v):
        return float(v)
    return None


def _string_equals(value: Value, s: str) -> bool:
    before, core, after = value.core
    if before and after:
        return core in s
    if before:
        return s.endswith(core)
    if after:
        return s.startswith(core)
    return s == core


def _compare(value: Value, op: str, actual: Any, *, json_value: bool) -> bool:
    comparable = not json_value or (isinstance(actual, (str, int, float)) and not isinstance(actual, bool))
    if not comparable:
        return False
    if op in ("=", "!="):
        if value.kind == "any":
            equal = True
        elif value.kind == "number":
            num = _as_number(actual)
            equal = num is not None and num == value.number
        elif value.kind == "regex":
            assert value.regex is not None
            equal = isinstance(actual, str) and re.search(value.regex.python, actual, re.ASCII) is not None
        else:
            equal = isinstance(actual, str) and _string_equals(value, actual)
        return equal if op == "=" else not equal
    num = _as_number(actual)
    if num is None:
        return False
    lit = value.number
    return {"<": num < lit, "<=": num <= lit, ">": num > lit, ">=": num >= lit}[op]


def _eval_json(c: Condition, doc: Any) -> bool:
    if isinstance(c, And):
        return all(_eval_json(p, doc) for p in c.parts)
    if isinstance(c, Or):
        return any(_eval_json(p, doc) for p in c.parts)
    assert isinstance(c.target, Selector)
    found = _resolve(doc, c.target.steps)
    if isinstance(c, Check):
        if c.check == "NOT EXISTS":
            return not found
        want = {"IS NULL": None, "IS TRUE": True, "IS FALSE": False}[c.check]
        return any(v is want for v in found)
    return any(_compare(c.value, c.op, v, json_value=True) for v in found)


def _eval_field(c: Condition, value: str) -> bool:
    if isinstance(c, And):
        return all(_eval_field(p, value) for p in c.parts)
    if isinstance(c, Or):
        return any(_eval_field(p, value) for p in c.parts)
    assert isinstance(c, Comparison)
    return _compare(c.value, c.op, value, json_value=False)


def _strip_token(t: str) -> str:
    if len(t) >= 2 and ((t[0] == '"' and t[-1] == '"') or (t[0] == "[" and t[-1] == "]")):
        return t[1:-1]
    return t


def _remainder_regex(skip: int) -> str:
    """Everything after the first ``skip`` fields, by the same tokenizer (leftmost alternative first)."""
    return "(?s)^(?:[ \\t]*(?:%s)){%d}[ \\t]*(.*)$" % (_TOKEN, skip)


def _scalar_text(v: Any) -> str | None:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, (int, float)):
        return json.dumps(v)
    return None
