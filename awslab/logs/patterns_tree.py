"""The parsed form of a filter pattern, and the errors the parser raises.

Terms, values, selectors, comparisons and space-delimited fields, as the CloudWatch Logs User Guide page
"Filter pattern syntax for metric filters, subscription filters, filter log events, and Live Tail"
(LG:FilterAndPatternSyntax) names them. Built by :mod:`awslab.logs.patterns_parser`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Union

from awslab.errors import AWSError

if TYPE_CHECKING:
    from .patterns_regex import Regex

Purpose = Literal["filter", "metric", "subscription"]

# The generic messages AWS returns (seen in client error reports for FilterLogEvents, PutMetricFilter and
# PutSubscriptionFilter); a few cases have their own attested wording, used where they apply.
_INVALID_MESSAGE: dict[str, str] = {
    "filter": "Invalid filter pattern",
    "metric": "Invalid metric filter pattern",
    "subscription": "Invalid subscription filter pattern",
}


class InvalidFilterPattern(AWSError):
    """AWS's ``InvalidParameterException`` for a filter pattern it cannot parse.

    ``reason`` says, for a learner, what was wrong; the AWS message is the one the API returns.
    """

    def __init__(self, reason: str, purpose: Purpose = "filter", message: str | None = None):
        super().__init__("InvalidParameterException", message or _INVALID_MESSAGE[purpose])
        self.reason = reason


class _Invalid(Exception):
    """Raised inside the parser; turned into :class:`InvalidFilterPattern` with the caller's purpose."""

    def __init__(self, reason: str, aws_message: str | None = None):
        super().__init__(reason)
        self.reason = reason
        self.aws_message = aws_message


_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)


@dataclass(frozen=True)
class Value:
    """The right-hand side of a condition.

    ``kind`` is ``any`` (a lone ``*``), ``number`` (an unquoted number), ``string`` (anything else, with
    optional ``*`` wildcards at its ends) or ``regex``.
    """

    kind: Literal["any", "number", "string", "regex"]
    text: str
    quoted: bool = False
    regex: Regex | None = None

    @property
    def number(self) -> float:
        return float(self.text)

    @property
    def core(self) -> tuple[bool, str, bool]:
        """(wildcard before, literal text, wildcard after) of a string value."""
        text = self.text
        before = text.startswith("*")
        if before:
            text = text[1:]
        after = text.endswith("*")
        if after:
            text = text[:-1]
        return before, text, after

    def __str__(self) -> str:
        if self.kind == "regex":
            return str(self.regex)
        return json.dumps(self.text) if self.quoted else self.text


@dataclass(frozen=True)
class Selector:
    """A JSON property selector such as ``$.users[0].email`` or ``$.arrayKey[*]``.

    Steps are ``("key", name)``, ``("index", n)``, ``("keys",)`` (``.*``) and ``("items",)`` (``[*]``).
    """

    text: str
    steps: tuple[tuple[Any, ...], ...]

    @property
    def wildcards(self) -> int:
        return sum(1 for s in self.steps if s[0] in ("keys", "items"))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Comparison:
    """``SELECTOR OP VALUE`` in a JSON pattern, or ``field OP VALUE`` in a space-delimited one."""

    target: Selector | str
    op: Literal["=", "!=", "<", "<=", ">", ">="]
    value: Value

    def __str__(self) -> str:
        return f"{self.target} {self.op} {self.value}"


@dataclass(frozen=True)
class Check:
    """``SELECTOR IS NULL|TRUE|FALSE`` or ``SELECTOR NOT EXISTS``."""

    target: Selector
    check: Literal["IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS"]

    def __str__(self) -> str:
        return f"{self.target} {self.check}"


@dataclass(frozen=True)
class And:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Condition, ...]


Condition = Union[Comparison, Check, And, Or]


@dataclass(frozen=True)
class Term:
    """One term of an unstructured pattern: ``ERROR``, ``"INTERNAL SERVER ERROR"``, ``-ARGUMENTS``, ``?WARN``."""

    text: str
    role: Literal["include", "exclude", "optional"]
    quoted: bool

    def __str__(self) -> str:
        prefix = {"include": "", "exclude": "-", "optional": "?"}[self.role]
        return prefix + (json.dumps(self.text) if self.quoted else self.text)


@dataclass(frozen=True)
class DelimitedField:
    """One comma-separated field of a space-delimited pattern; ``ellipsis`` for ``...``."""

    name: str | None = None
    condition: Condition | None = None
    ellipsis: bool = False

    def __str__(self) -> str:
        if self.ellipsis:
            return "..."
        return _render_condition(self.condition) if self.condition else (self.name or "(unnamed)")


def _render_condition(c: Condition) -> str:
    if isinstance(c, And):
        return "(" + " && ".join(_render_condition(p) for p in c.parts) + ")"
    if isinstance(c, Or):
        return "(" + " || ".join(_render_condition(p) for p in c.parts) + ")"
    return str(c)


def _tree_lines(c: Condition, depth: int) -> list[str]:
    pad = "  " * depth
    if isinstance(c, (And, Or)):
        lines = [pad + ("AND" if isinstance(c, And) else "OR")]
        for p in c.parts:
            lines += _tree_lines(p, depth + 1)
        return lines
    return [pad + str(c)]


def _comparisons(c: Condition) -> list[Comparison | Check]:
    if isinstance(c, (And, Or)):
        return [x for p in c.parts for x in _comparisons(p)]
    return [c]
