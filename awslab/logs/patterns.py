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

The engine is split into small modules: :mod:`.patterns_tree` (the parsed form and the errors),
:mod:`.patterns_parser` (the grammar), :mod:`.patterns_regex` (``%regex%``), :mod:`.patterns_match` (one
message, in Python) and :mod:`.patterns_sql` (millions of messages, in DuckDB). This module holds the compiled
:class:`FilterPattern` and the metric-filter rules built on it; every public name is importable from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from awslab.errors import AWSError

from . import patterns_sql
from .patterns_match import (
    _MISSING,
    _TOKEN_RE,
    _eval_field,
    _eval_json,
    _load_json,
    _remainder_regex,
    _resolve,
    _scalar_text,
    _strip_token,
)
from .patterns_parser import _Parser
from .patterns_regex import Regex, _compile_regex
from .patterns_tree import (  # the tree's types are re-exported for readers of ``pattern.tree``
    And,
    Check,
    Comparison,
    Condition,
    DelimitedField,
    InvalidFilterPattern,
    Or,
    Purpose,
    Selector,
    Term,
    Value,
    _comparisons,
    _Invalid,
    _NUMBER_RE,
    _tree_lines,
)

__all__ = [
    "And",
    "Check",
    "Comparison",
    "DelimitedField",
    "FilterPattern",
    "Or",
    "Regex",
    "Selector",
    "Term",
    "Value",
    "InvalidFilterPattern",
    "compile_filter_pattern",
    "test_metric_filter",
    "metric_value",
    "dimension_values",
    "validate_metric_transformation",
]


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

        Evaluated in bulk by DuckDB (see :mod:`awslab.logs.patterns_sql`). Only a space-delimited pattern with
        two or more ``...`` needs a Python UDF (its field placement backtracks); pass the DuckDB connection
        ``con`` so it can be registered.
        """
        return patterns_sql.to_sql(self, column, con)

    def field_sql(self, field_name: str, column: str = "message") -> str | None:
        """A VARCHAR SQL expression for ``$.selector`` (JSON) or ``$name`` (space-delimited) on matching rows.

        Used to compute metric values and dimensions in bulk. None when the pattern cannot supply the field.
        """
        return patterns_sql.field_sql(self, field_name, column)


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
