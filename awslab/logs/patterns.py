"""CloudWatch Logs filter patterns: parse, match one message, match millions in DuckDB, extract values.

One language serves metric filters, subscription filters, FilterLogEvents and Live Tail. The rules follow
the CloudWatch Logs User Guide page "Filter pattern syntax for metric filters, subscription filters, filter
log events, and Live Tail" (LG:FilterAndPatternSyntax) and its sections on regular expressions, unstructured,
JSON and space-delimited log events::

    >>> p = compile_filter_pattern('{ $.eventType = "UpdateTrail" && $.latency > 100 }')
    >>> p.matches('{"eventType": "UpdateTrail", "latency": 250}')
    True
    >>> p.extract('{"eventType": "UpdateTrail", "latency": 250}')
    {'$.eventType': 'UpdateTrail', '$.latency': '250'}
    >>> p.to_sql("message")          # a DuckDB boolean expression over a VARCHAR column
    "(CASE WHEN contains(message, '\\') OR ..."

Where the documentation is silent the module makes one plausible choice and says so (all marked *choice*):

* Terms match as case-sensitive substrings ("ERROR" matches "ERRORCODE", as the documentation's example shows).
* A JSON pattern applies only when the whole message is one strict JSON document (no NaN, no trailing comma);
  on duplicate keys the first wins. A selector that reaches an object, an array, or nothing never satisfies
  ``=``/``!=``; ``!=`` is the negation of ``=`` among string and number values.
* String values (quoted, or unquoted and not a number) compare with JSON strings only; ``*`` at the start or
  end is a wildcard and elsewhere a literal (older page: "Ev*ent will only match the actual string Ev*ent");
  a lone ``*`` matches any string or number (the page's ``{ $.latency = * }``). Unquoted numbers compare
  numerically with JSON numbers and with strings that are entirely a number (``"0123" = 123``).
* Space-delimited events are split into fields at spaces and tabs, a ``"..."`` or ``[...]`` run being one
  field whose value drops the quotes or brackets. When a pattern has no ``...`` its last field takes the rest
  of the line, which is why the page asks for a trailing blank field (``[w1=ERROR, w2]``) and why AWS's
  subscription example extracts ``event = "Hello World"``. Conditions inside one field may only name that field.
* Extracted values (TestMetricFilter's ``extractedValues``): for space-delimited patterns ``$name`` for named
  fields and ``$N`` (1-based position) for the rest, as in the page's example; for JSON patterns ``$.selector``
  for each scalar selector the pattern names; for other patterns nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Union

from awslab.errors import AWSError

__all__ = [
    "FilterPattern",
    "InvalidFilterPattern",
    "compile_filter_pattern",
    "test_metric_filter",
    "metric_value",
    "dimension_values",
    "validate_metric_transformation",
]

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


# --------------------------------------------------------------------------------------------------------
# Regular expressions (LG:FilterAndPatternSyntax "Supported regular expressions (regex) syntax")
# --------------------------------------------------------------------------------------------------------
_REGEX_SYMBOLS = set(":_#=@/;,- ")  # the documented symbols; the page's own examples also use a space
_REGEX_OPERATORS = set("^$?[]{}|\\*+.")
_SHORTHAND_OUTSIDE = {
    "d": "[0-9]", "D": "[^0-9]", "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]",
    "s": "[\\t\\n\\x0b\\f\\r ]", "S": "[^\\t\\n\\x0b\\f\\r ]",
}
_SHORTHAND_INSIDE = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\x0b\\f\\r ", "D": "\\D", "W": "\\W", "S": "\\S"}
_CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_MAX_REPEAT = 1000  # RE2's limit on a counted repetition


def _lit(ch: str) -> str:
    """A character as a regex atom both Python's ``re`` and RE2 read the same way."""
    return ch if ch.isascii() and ch.isalnum() else f"\\x{ord(ch):02x}"


@dataclass(frozen=True)
class Regex:
    """A ``%...%`` regular expression, rewritten for Python (per message) and RE2 (DuckDB, in bulk).

    Only the documented subset is accepted: alphanumerics, the listed symbols and operators, no ``(`` or
    ``)``, no multi-byte characters. Shorthands are rewritten to explicit ASCII classes so both engines agree.
    """

    source: str
    python: str
    re2: str

    def __str__(self) -> str:
        return f"%{self.source}%"


def _compile_regex(source: str) -> Regex:
    if not source:
        raise _Invalid("an empty regular expression")
    for ch in source:
        if not ch.isascii():
            raise _Invalid("regular expressions may not contain multi-byte characters")
        if not (ch.isalnum() or ch in _REGEX_SYMBOLS or ch in _REGEX_OPERATORS):
            raise _Invalid(f"character {ch!r} is not supported in a regular expression")
    py: list[str] = []
    r2: list[str] = []
    i, n = 0, len(source)
    can_repeat = False  # is there an atom a quantifier may apply to?
    while i < n:
        ch = source[i]
        if ch == "|":
            py.append("|"); r2.append("|"); can_repeat = False; i += 1
        elif ch in "*+?{":
            if not can_repeat:
                raise _Invalid(f"quantifier {ch!r} has nothing to repeat")
            if ch == "{":
                close = source.find("}", i)
                body = source[i + 1 : close] if close != -1 else ""
                m = re.fullmatch(r" *([0-9]*) *(,)? *([0-9]*) *", body)
                if close == -1 or not m or (not m.group(1) and not m.group(3)) or (not m.group(2) and not m.group(1)):
                    raise _Invalid("a malformed {m,n} quantifier")
                lo = int(m.group(1) or 0)
                hi = m.group(3)
                if lo > _MAX_REPEAT or (hi and (int(hi) > _MAX_REPEAT or int(hi) < lo)):
                    raise _Invalid("a {m,n} quantifier out of range")
                q = "{%d%s%s}" % (lo, "," if m.group(2) else "", hi)
                i = close + 1
            else:
                q = ch
                i += 1
            if i < n and source[i] == "?":  # a lazy quantifier: same matches, allowed by both engines
                q += "?"
                i += 1
            if i < n and source[i] in "*+?{":
                raise _Invalid("a quantifier may not follow another quantifier")
            py.append(q); r2.append(q); can_repeat = False
        elif ch == "^":
            py.append("^"); r2.append("^"); can_repeat = False; i += 1
        elif ch == "$":
            py.append(r"\Z"); r2.append("$"); can_repeat = False; i += 1  # RE2's $ is Python's \Z
        elif ch == ".":
            py.append("."); r2.append("."); can_repeat = True; i += 1
        elif ch == "\\":
            atom, i = _regex_escape(source, i, inside=False)
            py.append(atom); r2.append(atom); can_repeat = True
        elif ch == "[":
            atom, i = _regex_class(source, i)
            py.append(atom); r2.append(atom); can_repeat = True
        elif ch in "]}":
            raise _Invalid(f"unbalanced {ch!r} in a regular expression")
        else:
            py.append(_lit(ch)); r2.append(_lit(ch)); can_repeat = True; i += 1
    python, re2 = "".join(py), "".join(r2)
    try:
        re.compile(python, re.ASCII)
    except re.error as exc:  # pragma: no cover - the subset above is always valid; keep AWS's error anyway
        raise _Invalid(f"invalid regular expression: {exc}") from exc
    return Regex(source, python, re2)


def _regex_escape(source: str, i: int, *, inside: bool) -> tuple[str, int]:
    if i + 1 >= len(source):
        raise _Invalid("a regular expression may not end with '\\'")
    e = source[i + 1]
    if e in _SHORTHAND_OUTSIDE:
        return (_SHORTHAND_INSIDE if inside else _SHORTHAND_OUTSIDE)[e], i + 2
    if e == "x":
        hexdigits = source[i + 2 : i + 4]
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", hexdigits):
            raise _Invalid("\\x needs two hexadecimal digits")
        return _lit(chr(int(hexdigits, 16))), i + 4
    if e in _CONTROL_ESCAPES:
        return _lit(_CONTROL_ESCAPES[e]), i + 2
    if e.isalnum():
        raise _Invalid(f"unsupported escape \\{e} in a regular expression")
    return _lit(e), i + 2


def _regex_class(source: str, i: int) -> tuple[str, int]:
    j = i + 1
    negate = j < len(source) and source[j] == "^"
    if negate:
        j += 1
    parts: list[str] = []
    prev_char: str | None = None  # last single character, for a following range
    while True:
        if j >= len(source):
            raise _Invalid("an unterminated [ character class")
        ch = source[j]
        if ch == "]":
            break
        if ch == "\\":
            e = source[j + 1] if j + 1 < len(source) else ""
            if e in _SHORTHAND_INSIDE:
                parts.append(_SHORTHAND_INSIDE[e]); prev_char = None; j += 2
                continue
            atom, j = _regex_escape(source, j, inside=True)
            prev_char = chr(int(atom[2:], 16)) if atom.startswith("\\x") else atom
            parts.append(atom)
            continue
        if ch == "-" and prev_char is not None and j + 1 < len(source) and source[j + 1] != "]":
            hi = source[j + 1]
            if hi == "\\":
                atom, k = _regex_escape(source, j + 1, inside=True)
                if not atom.startswith("\\x") and len(atom) != 1:
                    raise _Invalid("a character range may not end in a shorthand class")
                hi_char = chr(int(atom[2:], 16)) if atom.startswith("\\x") else atom
            else:
                hi_char, k = hi, j + 2
            if ord(hi_char) < ord(prev_char):
                raise _Invalid("a character range out of order")
            parts.append("-" + _lit(hi_char)); prev_char = None; j = k
            continue
        parts.append(_lit(ch)); prev_char = ch; j += 1
    if not parts:
        raise _Invalid("an empty [] character class")
    return "[" + ("^" if negate else "") + "".join(parts) + "]", j + 1


# --------------------------------------------------------------------------------------------------------
# The tree
# --------------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------------
# The parser
# --------------------------------------------------------------------------------------------------------
_TERM_CHARS = re.compile(r"[A-Za-z0-9_]+")
_BARE_VALUE = re.compile(r"[A-Za-z0-9_.*+\-:/]+")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]+")
_KEY_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_OPS = ("!=", "<=", ">=", "=", "<", ">")


class _Parser:
    """A hand-written recursive-descent parser over the pattern text, one method per grammar rule."""

    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.regexes = 0
        self.wildcard_selectors = 0

    # -- low-level helpers
    def skip_ws(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self, s: str) -> bool:
        self.skip_ws()
        return self.text.startswith(s, self.i)

    def take(self, s: str) -> bool:
        if self.peek(s):
            self.i += len(s)
            return True
        return False

    def at_end(self) -> bool:
        self.skip_ws()
        return self.i >= len(self.text)

    def quoted(self) -> str:
        """A double-quoted string starting at the cursor; ``\\"`` and ``\\\\`` are escapes."""
        assert self.text[self.i] == '"'
        j = self.i + 1
        out: list[str] = []
        while j < len(self.text):
            ch = self.text[j]
            if ch == "\\" and j + 1 < len(self.text) and self.text[j + 1] in '"\\':
                out.append(self.text[j + 1]); j += 2
            elif ch == '"':
                self.i = j + 1
                return "".join(out)
            else:
                out.append(ch); j += 1
        raise _Invalid("an unterminated quoted string")

    # -- unstructured terms
    def terms(self) -> list[Term]:
        terms: list[Term] = []
        while not self.at_end():
            role: Literal["include", "exclude", "optional"] = "include"
            if self.text[self.i] == "-":
                role = "exclude"; self.i += 1; self.skip_ws()
            elif self.text[self.i] == "?":
                role = "optional"; self.i += 1
            if self.i >= len(self.text) or self.text[self.i].isspace():
                raise _Invalid("an operator without a term")
            if self.text[self.i] == '"':
                terms.append(Term(self.quoted(), role, True))
                continue
            j = self.i
            while j < len(self.text) and not self.text[j].isspace():
                j += 1
            word = self.text[self.i : j]
            if not _TERM_CHARS.fullmatch(word):
                # The attested AWS wording for a bad unquoted term.
                raise _Invalid(f"unquoted term {word!r} has characters other than letters, digits and _",
                               f"Invalid character(s) in term '{word}'")
            terms.append(Term(word, role, False))
            self.i = j
        return terms

    # -- values shared by JSON and space-delimited patterns
    def value(self) -> Value:
        self.skip_ws()
        if self.i >= len(self.text):
            raise _Invalid("a condition without a value")
        ch = self.text[self.i]
        if ch == '"':
            text = self.quoted()
            return Value("any" if text == "*" else "string", text, quoted=True)
        if ch == "%":
            end = self.text.find("%", self.i + 1)
            if end == -1:
                raise _Invalid("an unterminated %regex%")
            self.regexes += 1
            if self.regexes > 2:
                raise _Invalid("more than 2 regular expressions in one JSON or space-delimited pattern")
            regex = _compile_regex(self.text[self.i + 1 : end])
            self.i = end + 1
            return Value("regex", regex.source, regex=regex)
        m = _BARE_VALUE.match(self.text, self.i)
        if not m:
            j = self.i
            while j < len(self.text) and not self.text[j].isspace() and self.text[j] not in ",)]}&|":
                j += 1
            bad = self.text[self.i : max(j, self.i + 1)]
            raise _Invalid(f"value {bad!r} must be quoted", f"Invalid character(s) in term '{bad}'")
        text = m.group(0)
        self.i = m.end()
        if self.i < len(self.text) and not self.text[self.i].isspace() and self.text[self.i] not in ",)]}&|":
            bad = text + self.text[self.i]
            raise _Invalid(f"value {bad!r} must be quoted", f"Invalid character(s) in term '{bad}'")
        if text == "*":
            return Value("any", text)
        return Value("number" if _NUMBER_RE.fullmatch(text) else "string", text)

    def op(self) -> str:
        self.skip_ws()
        for op in _OPS:
            if self.text.startswith(op, self.i):
                self.i += len(op)
                return op
        raise _Invalid("expected one of = != < <= > >=")

    def comparison(self, target: Selector | str) -> Comparison:
        op = self.op()
        value = self.value()
        if op not in ("=", "!=") and value.kind != "number":
            raise _Invalid(f"{op} needs a number")
        return Comparison(target, op, value)  # type: ignore[arg-type]

    # -- JSON patterns
    def selector(self) -> Selector:
        self.skip_ws()
        start = self.i
        if not self.text.startswith("$", self.i):
            raise _Invalid("a JSON condition must start with a $ selector")
        self.i += 1
        steps: list[tuple[Any, ...]] = []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch == "." and self.text.startswith(".[", self.i):
                self.i += 1  # $.['cluster.name'] is the page's form of bracket notation
                continue
            if ch == ".":
                self.i += 1
                if self.text.startswith("*", self.i):
                    steps.append(("keys",)); self.i += 1
                    continue
                m = _KEY_NAME.match(self.text, self.i)
                if not m:
                    raise _Invalid("a selector needs a property name after '.'")
                steps.append(("key", m.group(0))); self.i = m.end()
            elif ch == "[":
                m = re.compile(r"\[(?:([0-9]+)|(\*)|'([^'\"\\]*)'|\"([^'\"\\]*)\")\]").match(self.text, self.i)
                if not m:
                    raise _Invalid("a selector needs [number], [*] or ['name']")
                if m.group(1) is not None:
                    if not steps:
                        raise _Invalid("array elements must follow a property")
                    steps.append(("index", int(m.group(1))))
                elif m.group(2):
                    if not steps:
                        raise _Invalid("array elements must follow a property")
                    steps.append(("items",))
                else:
                    steps.append(("key", m.group(3) if m.group(3) is not None else m.group(4)))
                self.i = m.end()
            else:
                break
        if not steps:
            raise _Invalid("a selector must name a property")
        sel = Selector(self.text[start : self.i], tuple(steps))
        if sel.wildcards > 1:
            raise _Invalid("at most one wildcard in a property selector")
        self.wildcard_selectors += sel.wildcards
        if self.wildcard_selectors > 3:
            raise _Invalid("at most three wildcard selectors in a filter pattern")
        return sel

    def json_or(self) -> Condition:
        parts = [self.json_and()]
        while self.take("||"):
            parts.append(self.json_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def json_and(self) -> Condition:
        parts = [self.json_unary()]
        while self.take("&&"):
            parts.append(self.json_unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def json_unary(self) -> Condition:
        if self.take("("):
            inner = self.json_or()
            if not self.take(")"):
                raise _Invalid("an unbalanced '('")
            return inner
        sel = self.selector()
        self.skip_ws()
        m = re.compile(r"(IS\s+(NULL|TRUE|FALSE)|NOT\s+EXISTS)\b", re.IGNORECASE).match(self.text, self.i)
        if m:
            self.i = m.end()
            check = "NOT EXISTS" if m.group(0).upper().startswith("NOT") else "IS " + m.group(2).upper()
            return Check(sel, check)  # type: ignore[arg-type]
        if re.compile(r"(IS|EXISTS)\b", re.IGNORECASE).match(self.text, self.i):
            raise _Invalid("IS NOT and EXISTS are not supported; use NOT EXISTS, IS NULL, IS TRUE or IS FALSE")
        return self.comparison(sel)

    # -- space-delimited patterns
    def delimited_fields(self, inner: str) -> list[DelimitedField]:
        pieces: list[str] = []
        depth_quote = False
        in_regex = False
        start = 0
        k = 0
        while k < len(inner):
            ch = inner[k]
            if ch == "\\" and depth_quote:
                k += 2
                continue
            if ch == '"' and not in_regex:
                depth_quote = not depth_quote
            elif ch == "%" and not depth_quote:
                in_regex = not in_regex
            elif ch == "," and not depth_quote and not in_regex:
                pieces.append(inner[start:k]); start = k + 1
            k += 1
        pieces.append(inner[start:])
        fields: list[DelimitedField] = []
        for piece in pieces:
            text = piece.strip()
            if text == "...":
                fields.append(DelimitedField(ellipsis=True))
            elif not text:
                fields.append(DelimitedField())
            elif _FIELD_NAME.fullmatch(text):
                fields.append(DelimitedField(name=text))
            else:
                sub = _Parser(text)
                sub.regexes = self.regexes
                cond = sub.delimited_or()
                if not sub.at_end():
                    raise _Invalid(f"unexpected text in field {text!r}")
                self.regexes = sub.regexes
                names = {c.target for c in _comparisons(cond)}
                if len(names) != 1:
                    raise _Invalid("the conditions of one field must all name that field")
                fields.append(DelimitedField(name=str(names.pop()), condition=cond))
        return fields

    def delimited_or(self) -> Condition:
        parts = [self.delimited_and()]
        while self.take("||"):
            parts.append(self.delimited_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def delimited_and(self) -> Condition:
        parts: list[Condition] = [self.delimited_comparison()]
        while self.take("&&"):
            parts.append(self.delimited_comparison())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def delimited_comparison(self) -> Comparison:
        self.skip_ws()
        m = _FIELD_NAME.match(self.text, self.i)
        if not m:
            raise _Invalid("a field condition must start with the field's name")
        self.i = m.end()
        return self.comparison(m.group(0))


def _comparisons(c: Condition) -> list[Comparison | Check]:
    if isinstance(c, (And, Or)):
        return [x for p in c.parts for x in _comparisons(p)]
    return [c]


# --------------------------------------------------------------------------------------------------------
# Evaluating one message (Python)
# --------------------------------------------------------------------------------------------------------
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


# --------------------------------------------------------------------------------------------------------
# SQL (DuckDB) generation
# --------------------------------------------------------------------------------------------------------
def _q(s: str) -> str:
    """A SQL string literal. Patterns are compiled, so their constants are inlined like a prepared plan's."""
    return "'" + s.replace("'", "''") + "'"


def _sql_string_equals(value: Value, s: str) -> str:
    before, core, after = value.core
    if before and after:
        return f"contains({s}, {_q(core)})"
    if before:
        return f"ends_with({s}, {_q(core)})"
    if after:
        return f"starts_with({s}, {_q(core)})"
    return f"({s} = {_q(core)})"


def _sql_number(s: str) -> str:
    return f"(CASE WHEN regexp_full_match({s}, {_q(_NUMBER)}) THEN CAST({s} AS DOUBLE) END)"


def _sql_compare(value: Value, op: str, *, text: str, number: str, is_string: str, comparable: str) -> str:
    """SQL for one comparison, given expressions for the value's text, number, stringness and comparability."""
    if op in ("=", "!="):
        if value.kind == "any":
            equal = "TRUE"
        elif value.kind == "number":
            equal = f"coalesce({number} = CAST({_q(value.text)} AS DOUBLE), FALSE)"
        elif value.kind == "regex":
            assert value.regex is not None
            equal = f"({is_string} AND regexp_matches({text}, {_q(value.regex.re2)}))"
        else:
            equal = f"({is_string} AND {_sql_string_equals(value, text)})"
        return f"({comparable} AND {equal})" if op == "=" else f"({comparable} AND NOT {equal})"
    return f"coalesce({number} {op} CAST({_q(value.text)} AS DOUBLE), FALSE)"


def _sql_json_leaf(c: Comparison | Check, j: str) -> str:
    """A condition on one JSON value ``j``: its JSON text as ``json_extract`` gives it, NULL when absent.

    The first character of the text tells the type (strict JSON was checked before), which is cheaper than
    asking ``json_type``.
    """
    if isinstance(c, Check):
        if c.check == "NOT EXISTS":
            return f"({j} IS NULL)"
        literal = {"IS NULL": "null", "IS TRUE": "true", "IS FALSE": "false"}[c.check]
        return f"coalesce({j} = '{literal}', FALSE)"
    is_string = f"coalesce(starts_with({j}, '\"'), FALSE)"
    is_number = f"coalesce(regexp_matches({j}, '^[-0-9]'), FALSE)"
    text = f"json_extract_string({j}, '$')"
    number = f"(CASE WHEN {is_number} THEN CAST({j} AS DOUBLE) WHEN {is_string} THEN {_sql_number(text)} END)"
    return _sql_compare(c.value, c.op, text=text, number=number, is_string=is_string,
                        comparable=f"({is_string} OR {is_number})")


def _duckdb_path(sel: Selector) -> str:
    out = "$"
    for step in sel.steps:
        if step[0] == "key":
            out += '."' + step[1] + '"'
        elif step[0] == "index":
            out += f"[{step[1]}]"
        elif step[0] == "keys":
            out += ".*"
        else:
            out += "[*]"
    return out


# Strict JSON on top of DuckDB's lenient reader (which accepts NaN, Infinity and one trailing comma).
_JSON_STRING = r'"(?:[^"\\]|\\.)*"'
_NOT_STRICT_JSON = r"[A-DF-Za-df-z]|,[ \t\n\r]*[\]}]"  # once strings and true/false/null are 0s
_SUSPICIOUS_JSON = r"(?i)nan|inf|,[ \t\n\r]*[\]}]"  # only these messages need the costly check above


def _sql_strict_json(col: str) -> str:
    stripped = f"regexp_replace(regexp_replace({col}, {_q(_JSON_STRING)}, '0', 'g'), 'true|false|null', '0', 'g')"
    suspicious = f"regexp_matches({col}, {_q(_SUSPICIOUS_JSON)})"
    # CASE, not AND: DuckDB evaluates both sides of an AND, and the stripping is the costly part.
    return (f"(json_valid({col}) AND NOT (CASE WHEN {suspicious} THEN "
            f"regexp_matches({stripped}, {_q(_NOT_STRICT_JSON)}) ELSE FALSE END))")


def _sql_necessary(c: Condition, col: str) -> str | None:
    """A cheap test every matching message passes: the literal text an ``=`` comparison needs.

    A field's or JSON string's value is a substring of the message (JSON only without escapes), so
    ``contains`` can discard most rows before the costly tokenizing or JSON parsing.
    """
    if isinstance(c, (And, Or)):
        parts = [_sql_necessary(p, col) for p in c.parts]
        if isinstance(c, And):
            kept = [p for p in parts if p is not None]
            return "(" + " AND ".join(kept) + ")" if kept else None
        return None if any(p is None for p in parts) else "(" + " OR ".join(parts) + ")"  # type: ignore[arg-type]
    if isinstance(c, Comparison) and c.op == "=" and c.value.kind == "string" and c.value.core[1]:
        return f"contains({col}, {_q(c.value.core[1])})"
    return None


# --------------------------------------------------------------------------------------------------------
# The compiled pattern
# --------------------------------------------------------------------------------------------------------
Kind = Literal["all", "terms", "regex", "json", "space_delimited"]


@dataclass(frozen=True)
class FilterPattern:
    """A compiled filter pattern: match one message, match a column in bulk, extract values.

    Build one with :func:`compile_filter_pattern`. ``kind`` is ``all`` (empty pattern or ``" "``), ``terms``,
    ``regex``, ``json`` or ``space_delimited``; ``tree`` is the parsed form and ``str(pattern)`` prints it.
    """

    text: str
    kind: Kind
    terms: tuple[Term, ...] = ()
    regex: Regex | None = None
    condition: Condition | None = None
    fields: tuple[DelimitedField, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # -- printing
    @property
    def tree(self) -> Any:
        return {"terms": self.terms, "regex": self.regex, "json": self.condition,
                "space_delimited": self.fields}.get(self.kind)

    def __str__(self) -> str:
        lines = [f"{self.kind.upper()} pattern {self.text!r}"]
        if self.kind == "terms":
            effective = self._effective_terms()
            for t in self.terms:
                note = "" if t in effective else "   (ignored: ? terms mixed with other terms)"
                lines.append(f"  {t.role:<8} {t}{note}")
        elif self.kind == "regex":
            lines.append(f"  {self.regex}")
        elif self.kind == "json":
            assert self.condition is not None
            lines += _tree_lines(self.condition, 1)
        elif self.kind == "space_delimited":
            for i, f in enumerate(self.fields, 1):
                lines.append(f"  field {i}: {f}")
        return "\n".join(lines)

    # -- one message
    def _effective_terms(self) -> tuple[Term, ...]:
        # LG:FilterAndPatternSyntax: "If you combine "?" with other filter patterns, all question mark terms
        # will be ignored."
        if any(t.role != "optional" for t in self.terms):
            return tuple(t for t in self.terms if t.role != "optional")
        return self.terms

    def matches(self, message: str) -> bool:
        """Does the pattern match this log event message?"""
        if self.kind == "all":
            return True
        if self.kind == "terms":
            terms = self._effective_terms()
            optional = [t for t in terms if t.role == "optional"]
            if optional:
                return any(t.text in message for t in optional)
            return all((t.text in message) == (t.role == "include") for t in terms)
        if self.kind == "regex":
            assert self.regex is not None
            return re.search(self.regex.python, message, re.ASCII) is not None
        if self.kind == "json":
            doc = _load_json(message)
            assert self.condition is not None
            return doc is not _MISSING and _eval_json(self.condition, doc)
        return self._match_delimited(message) is not None

    def extract(self, message: str) -> dict[str, str]:
        """The values the pattern extracts from a message (TestMetricFilter's ``extractedValues``).

        Space-delimited: ``$name``/``$N`` for every field of a matching message. JSON: ``$.selector`` for
        each scalar the pattern's selectors reach. Other kinds extract nothing.
        """
        if self.kind == "space_delimited":
            return self._match_delimited(message) or {}
        if self.kind != "json":
            return {}
        doc = _load_json(message)
        if doc is _MISSING:
            return {}
        out: dict[str, str] = {}
        assert self.condition is not None
        for c in _comparisons(self.condition):
            sel = c.target
            assert isinstance(sel, Selector)
            if sel.wildcards or sel.text in out:
                continue
            found = _resolve(doc, sel.steps)
            text = _scalar_text(found[0]) if found else None
            if text is not None:
                out[sel.text] = text
        return out

    def _match_delimited(self, message: str) -> dict[str, str] | None:
        """The extracted values when the message matches the space-delimited pattern, else None."""
        tokens = _TOKEN_RE.findall(message)
        fields = self.fields
        k = len(fields)
        if not any(f.ellipsis for f in fields):
            if len(tokens) < k:
                return None
            values = [_strip_token(t) for t in tokens[: k - 1]]
            if len(tokens) == k:
                values.append(_strip_token(tokens[k - 1]))
            else:  # the last field takes the rest of the line
                rest = re.match(_remainder_regex(k - 1), message)
                assert rest is not None
                values.append(rest.group(1).rstrip(" \t"))
            if not all(f.condition is None or _eval_field(f.condition, values[i]) for i, f in enumerate(fields)):
                return None
            return {("$" + f.name) if f.name else f"${i + 1}": values[i] for i, f in enumerate(fields)}
        placed = self._place(tokens, 0, 0)
        if placed is None:
            return None
        field_at = {position: fi for fi, position in placed.items()}
        out: dict[str, str] = {}
        for position, token in enumerate(tokens, 1):
            name = fields[field_at[position]].name if position in field_at else None
            out[("$" + name) if name else f"${position}"] = _strip_token(token)
        return out

    def _place(self, tokens: list[str], fi: int, ti: int) -> dict[int, int] | None:
        """Leftmost placement of fields ``fi..`` on tokens ``ti..`` (field index -> 1-based position).

        An ellipsis takes as few fields as it can; with a single ``...`` the placement is forced.
        """
        fields = self.fields
        if fi == len(fields):
            return {} if ti == len(tokens) else None
        f = fields[fi]
        if f.ellipsis:
            rest = sum(1 for g in fields[fi + 1 :] if not g.ellipsis)
            for skip in range(0, len(tokens) - ti - rest + 1):
                found = self._place(tokens, fi + 1, ti + skip)
                if found is not None:
                    return found
            return None
        if ti >= len(tokens):
            return None
        if f.condition is not None and not _eval_field(f.condition, _strip_token(tokens[ti])):
            return None
        found = self._place(tokens, fi + 1, ti + 1)
        if found is None:
            return None
        return {fi: ti + 1, **found}

    # -- bulk: DuckDB
    @property
    def needs_udf(self) -> bool:
        """True when SQL cannot express the pattern (space-delimited with two or more ``...``)."""
        return self.kind == "space_delimited" and sum(1 for f in self.fields if f.ellipsis) > 1

    def to_sql(self, column: str = "message", con: Any = None) -> str:
        """A DuckDB boolean expression that is true where ``column`` (VARCHAR) matches the pattern.

        Evaluated in bulk by DuckDB: terms become ``contains``, regexes RE2 ``regexp_matches``, JSON patterns
        ``json_extract`` (each message parsed once), space-delimited patterns ``regexp_extract_all``. Only a
        space-delimited pattern with two or more ``...`` needs a Python UDF (its field placement backtracks);
        pass the DuckDB connection ``con`` so it can be registered.
        """
        col = column
        if self.kind == "all":
            return "TRUE"
        if self.kind == "terms":
            terms = self._effective_terms()
            optional = [t for t in terms if t.role == "optional"]
            if optional:
                return "(" + " OR ".join(f"contains({col}, {_q(t.text)})" for t in optional) + ")"
            parts = [("" if t.role == "include" else "NOT ") + f"contains({col}, {_q(t.text)})" for t in terms]
            return "(" + " AND ".join(parts) + ")"
        if self.kind == "regex":
            assert self.regex is not None
            return f"regexp_matches({col}, {_q(self.regex.re2)})"
        if self.kind == "json":
            return self._json_sql(col)
        if self.needs_udf:
            return self._udf_sql(col, con)
        return self._delimited_sql(col)

    def _json_sql(self, col: str) -> str:
        assert self.condition is not None
        plain: list[str] = []
        for c in _comparisons(self.condition):
            sel = c.target
            assert isinstance(sel, Selector)
            if not sel.wildcards and _duckdb_path(sel) not in plain:
                plain.append(_duckdb_path(sel))
        counter = iter(range(1, 10**6))

        def render(c: Condition) -> str:
            if isinstance(c, (And, Or)):
                joiner = " AND " if isinstance(c, And) else " OR "
                return "(" + joiner.join(render(p) for p in c.parts) + ")"
            sel = c.target
            assert isinstance(sel, Selector)
            if not sel.wildcards:
                return _sql_json_leaf(c, f"v[{plain.index(_duckdb_path(sel)) + 1}]")
            x = f"x{next(counter)}"
            values = f"json_extract({col}, {_q(_duckdb_path(sel))})"
            if isinstance(c, Check) and c.check == "NOT EXISTS":
                return f"(len({values}) = 0)"
            return f"coalesce(list_bool_or(list_transform({values}, lambda {x}: {_sql_json_leaf(c, x)})), FALSE)"

        body = render(self.condition)
        paths = "[" + ", ".join(_q(p) for p in plain) + "]" if plain else "['$']"
        full = (f"(CASE WHEN {_sql_strict_json(col)} THEN coalesce(list_transform("
                f"[json_extract({col}, {paths})], lambda v: {body})[1], FALSE) ELSE FALSE END)")
        necessary = _sql_necessary(self.condition, col)
        if necessary is None:
            return full
        # A JSON string may spell its text with escapes; such messages skip the shortcut.
        return f"(CASE WHEN contains({col}, '\\') OR {necessary} THEN {full} ELSE FALSE END)"

    def _delimited_sql(self, col: str) -> str:
        fields = self.fields
        k = len(fields)
        ell = [i for i, f in enumerate(fields) if f.ellipsis]

        def field_value(i: int) -> str:
            if not ell:
                if i < k - 1:
                    return f"t[{i + 1}]"
                rest = f"rtrim(regexp_extract({col}, {_q(_remainder_regex(k - 1))}, 1), ' \t')"
                return f"(CASE WHEN len(t) = {k} THEN t[{k}] ELSE {rest} END)"
            e = ell[0]
            if i < e:
                return f"t[{i + 1}]"
            return f"t[len(t) - {k - 1 - e} + {i - e}]"

        def render(c: Condition, v: str) -> str:
            if isinstance(c, (And, Or)):
                joiner = " AND " if isinstance(c, And) else " OR "
                return "(" + joiner.join(render(p, v) for p in c.parts) + ")"
            assert isinstance(c, Comparison)
            return _sql_compare(c.value, c.op, text=v, number=_sql_number(v), is_string="TRUE", comparable="TRUE")

        needed = k if not ell else k - 1
        conds = [f"len(t) >= {needed}"]
        for i, f in enumerate(fields):
            if f.condition is not None:
                conds.append(render(f.condition, field_value(i)))
        full = f"coalesce(list_transform([{_sql_tokens(col)}], lambda t: {' AND '.join(conds)})[1], FALSE)"
        necessary = [n for f in fields if f.condition is not None
                     for n in [_sql_necessary(f.condition, col)] if n is not None]
        # CASE, not AND: DuckDB would tokenize every row before looking at the cheap test.
        return f"(CASE WHEN {' AND '.join(necessary)} THEN {full} ELSE FALSE END)" if necessary else full

    def _udf_sql(self, col: str, con: Any) -> str:
        if con is None:
            raise ValueError("this space-delimited pattern needs a Python UDF: pass the DuckDB connection")
        name = "awslab_filter_pattern_" + hashlib.sha1(self.text.encode()).hexdigest()[:16]
        registered = self._cache.setdefault("_udf_connections", [])
        if not any(c is con for c in registered):
            import duckdb

            try:
                con.create_function(name, lambda m: m is not None and self.matches(m),
                                    [duckdb.sqltype("VARCHAR")], duckdb.sqltype("BOOLEAN"),
                                    null_handling="special", side_effects=False)
            except duckdb.Error as exc:  # already registered on this connection by another instance
                if "already exists" not in str(exc):
                    raise
            registered.append(con)
        return f"{name}({col})"

    def field_sql(self, field_name: str, column: str = "message") -> str | None:
        """A VARCHAR SQL expression for ``$.selector`` (JSON) or ``$name`` (space-delimited) on matching rows.

        Used to compute metric values and dimensions in bulk. None when the pattern cannot supply the field.
        """
        if self.kind == "json" and field_name.startswith("$."):
            try:
                sel = _Parser(field_name).selector()
            except _Invalid:
                return None
            if sel.wildcards:
                return None
            j = f"json_extract({column}, {_q(_duckdb_path(sel))})"
            return (f"(CASE WHEN {_sql_strict_json(column)} AND json_type({j}) NOT IN ('OBJECT', 'ARRAY', 'NULL') "
                    f"THEN json_extract_string({j}, '$') END)")
        if self.kind == "space_delimited" and field_name.startswith("$") and not self.needs_udf:
            names = [f.name for f in self.fields]
            if field_name[1:] not in names:
                return None
            return _field_value_sql(self, names.index(field_name[1:]), column)
        return None


def _sql_tokens(col: str) -> str:
    """The fields of a space-delimited message, quotes and brackets dropped (same tokenizer as Python's)."""
    strip = ("CASE WHEN length(x) >= 2 AND ((left(x, 1) = '\"' AND right(x, 1) = '\"') OR "
             "(left(x, 1) = '[' AND right(x, 1) = ']')) THEN x[2:-2] ELSE x END")
    return f"list_transform(regexp_extract_all({col}, {_q(_TOKEN)}), lambda x: {strip})"


def _field_value_sql(pattern: FilterPattern, i: int, col: str) -> str:
    fields = pattern.fields
    k = len(fields)
    ell = [j for j, f in enumerate(fields) if f.ellipsis]
    if not ell and i == k - 1:
        rest = f"rtrim(regexp_extract({col}, {_q(_remainder_regex(k - 1))}, 1), ' \t')"
        pick = f"CASE WHEN len(t) = {k} THEN t[{k}] WHEN len(t) > {k} THEN {rest} END"
    elif not ell or i < ell[0]:
        pick = f"t[{i + 1}]"
    else:
        pick = f"t[len(t) - {k - 1 - ell[0]} + {i - ell[0]}]"
    return f"list_transform([{_sql_tokens(col)}], lambda t: {pick})[1]"


def _parse(text: str) -> FilterPattern:
    stripped = text.strip()
    # LG:FilterAndPatternSyntax: an empty pattern, "" and " " match every event.
    if not stripped or re.fullmatch(r'"\s*"', stripped):
        return FilterPattern(text, "all")
    if stripped.startswith("{"):
        if not stripped.endswith("}"):
            raise _Invalid("a JSON pattern must end with '}'", "If a filter pattern starts with '{' it must end with '}'")
        p = _Parser(stripped[1:-1])
        if p.at_end():
            raise _Invalid("an empty JSON pattern")
        cond = p.json_or()
        if not p.at_end():
            raise _Invalid(f"unexpected text {p.text[p.i:p.i + 20]!r}")
        return FilterPattern(text, "json", condition=cond)
    if stripped.startswith("["):
        if not stripped.endswith("]"):
            raise _Invalid("a space-delimited pattern must end with ']'",
                           "If a filter pattern starts with '[' it must end with ']'")
        fields = _Parser("").delimited_fields(stripped[1:-1])
        return FilterPattern(text, "space_delimited", fields=tuple(fields))
    if stripped.startswith("%"):
        if len(stripped) < 2 or not stripped.endswith("%"):
            raise _Invalid("a regular expression pattern must end with '%'")
        return FilterPattern(text, "regex", regex=_compile_regex(stripped[1:-1]))
    return FilterPattern(text, "terms", terms=tuple(_Parser(stripped).terms()))


@lru_cache(maxsize=1024)
def _compile_cached(text: str) -> FilterPattern | _Invalid:
    try:
        return _parse(text)
    except _Invalid as exc:
        return exc
    except RecursionError:
        return _Invalid("the pattern nests too deeply")


def compile_filter_pattern(text: str, purpose: Purpose = "filter") -> FilterPattern:
    """Parse a filter pattern, raising AWS's ``InvalidParameterException`` when it is not valid.

    ``purpose`` picks AWS's message for the operation: ``filter`` (FilterLogEvents, Live Tail), ``metric``
    (PutMetricFilter, TestMetricFilter) or ``subscription`` (PutSubscriptionFilter).
    """
    result = _compile_cached(text)
    if isinstance(result, _Invalid):
        raise InvalidFilterPattern(result.reason, purpose, result.aws_message)
    return result


# --------------------------------------------------------------------------------------------------------
# Metric filters (LAPI:PutMetricFilter, LAPI:TestMetricFilter, LG:FilterAndPatternSyntax "metric value")
# --------------------------------------------------------------------------------------------------------
def test_metric_filter(filter_pattern: str, log_event_messages: list[str]) -> dict[str, Any]:
    """The TestMetricFilter response: ``{"matches": [{eventNumber, eventMessage, extractedValues}]}``.

    ``eventNumber`` counts the messages from 1 (*choice*: AWS's reference does not say where it starts).
    """
    pattern = compile_filter_pattern(filter_pattern, "metric")
    matches = [
        {"eventNumber": n, "eventMessage": message, "extractedValues": pattern.extract(message)}
        for n, message in enumerate(log_event_messages, 1)
        if pattern.matches(message)
    ]
    return {"matches": matches}


test_metric_filter.__test__ = False  # type: ignore[attr-defined]  # not a pytest test despite its name


def _field_value(pattern: FilterPattern, ref: str, message: str) -> str | None:
    if pattern.kind == "json" and ref.startswith("$."):
        doc = _load_json(message)
        if doc is _MISSING:
            return None
        try:
            sel = _Parser(ref).selector()
        except _Invalid:
            return None
        found = _resolve(doc, sel.steps)
        return _scalar_text(found[0]) if found else None
    if pattern.kind == "space_delimited" and ref.startswith("$"):
        return pattern.extract(message).get(ref)
    return None


def metric_value(pattern: FilterPattern, metric_value_spec: str, message: str) -> float | None:
    """The value a matching event publishes: a number (``"1"``) or a field (``$.latency``, ``$bytes``).

    None when the field is absent or not a number (no datapoint is published for that event).
    """
    spec = metric_value_spec.strip()
    if _NUMBER_RE.fullmatch(spec):
        return float(spec)
    text = _field_value(pattern, spec, message)
    if text is None or not _NUMBER_RE.fullmatch(text.strip()):
        return None
    return float(text)


def dimension_values(pattern: FilterPattern, dimensions: dict[str, str], message: str) -> dict[str, str] | None:
    """The dimension values of a matching event (each ``$.field``/``$field`` extracted); None if one is missing."""
    out: dict[str, str] = {}
    for key, ref in dimensions.items():
        value = _field_value(pattern, ref, message) if ref.startswith("$") else ref
        if value is None or value == "":
            return None
        out[key] = value
    return out


def validate_metric_transformation(pattern: FilterPattern, metric_value_spec: str,
                                   dimensions: dict[str, str] | None = None,
                                   default_value: float | None = None) -> None:
    """Raise AWS's ``InvalidParameterException`` for a metric transformation PutMetricFilter rejects.

    Dimensions need a JSON or space-delimited pattern ("The specified filter pattern does not support
    dimensions") and exclude a default value (LAPI:MetricTransformation); at most 3 dimensions.
    """
    if dimensions:
        if pattern.kind not in ("json", "space_delimited"):
            raise AWSError("InvalidParameterException", "The specified filter pattern does not support dimensions")
        if default_value is not None:
            raise AWSError("InvalidParameterException",
                           "Invalid metric transformation: dimensions and default value are mutually exclusive properties")
        if len(dimensions) > 3:
            raise AWSError("InvalidParameterException", "A metric transformation can have at most 3 dimensions")
    spec = metric_value_spec.strip()
    if not (_NUMBER_RE.fullmatch(spec) or (spec.startswith("$") and pattern.kind in ("json", "space_delimited"))):
        # *choice*: AWS's exact wording for a bad metricValue is not documented.
        raise AWSError("InvalidParameterException", f"Invalid metric value: {metric_value_spec}")
