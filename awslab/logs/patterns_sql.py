"""Filter patterns as DuckDB SQL: one boolean expression per pattern, evaluated in bulk.

Terms become ``contains``, regexes RE2 ``regexp_matches``, JSON patterns ``json_extract`` (each message parsed
once, strict JSON checked on top of DuckDB's lenient reader), space-delimited patterns ``regexp_extract_all``.
A cheap ``contains`` test on the literal text an ``=`` needs discards most rows before the costly parsing.
The functions take the compiled :class:`~awslab.logs.patterns.FilterPattern`; its methods ``to_sql`` and
``field_sql`` call them.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from .patterns_match import _TOKEN, _remainder_regex
from .patterns_parser import _Parser
from .patterns_tree import And, Check, Comparison, Condition, Or, Selector, Value, _comparisons, _Invalid, _NUMBER

if TYPE_CHECKING:
    from .patterns import FilterPattern


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


def to_sql(pattern: FilterPattern, column: str = "message", con: Any = None) -> str:
    """A DuckDB boolean expression that is true where ``column`` (VARCHAR) matches the pattern.

    Evaluated in bulk by DuckDB: terms become ``contains``, regexes RE2 ``regexp_matches``, JSON patterns
    ``json_extract`` (each message parsed once), space-delimited patterns ``regexp_extract_all``. Only a
    space-delimited pattern with two or more ``...`` needs a Python UDF (its field placement backtracks);
    pass the DuckDB connection ``con`` so it can be registered.
    """
    col = column
    if pattern.kind == "all":
        return "TRUE"
    if pattern.kind == "terms":
        terms = pattern._effective_terms()
        optional = [t for t in terms if t.role == "optional"]
        if optional:
            return "(" + " OR ".join(f"contains({col}, {_q(t.text)})" for t in optional) + ")"
        parts = [("" if t.role == "include" else "NOT ") + f"contains({col}, {_q(t.text)})" for t in terms]
        return "(" + " AND ".join(parts) + ")"
    if pattern.kind == "regex":
        assert pattern.regex is not None
        return f"regexp_matches({col}, {_q(pattern.regex.re2)})"
    if pattern.kind == "json":
        return _json_sql(pattern, col)
    if pattern.needs_udf:
        return _udf_sql(pattern, col, con)
    return _delimited_sql(pattern, col)


def _json_sql(pattern: FilterPattern, col: str) -> str:
    assert pattern.condition is not None
    plain: list[str] = []
    for c in _comparisons(pattern.condition):
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

    body = render(pattern.condition)
    paths = "[" + ", ".join(_q(p) for p in plain) + "]" if plain else "['$']"
    full = (f"(CASE WHEN {_sql_strict_json(col)} THEN coalesce(list_transform("
            f"[json_extract({col}, {paths})], lambda v: {body})[1], FALSE) ELSE FALSE END)")
    necessary = _sql_necessary(pattern.condition, col)
    if necessary is None:
        return full
    # A JSON string may spell its text with escapes; such messages skip the shortcut.
    return f"(CASE WHEN contains({col}, '\\') OR {necessary} THEN {full} ELSE FALSE END)"


def _delimited_sql(pattern: FilterPattern, col: str) -> str:
    fields = pattern.fields
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


def _udf_sql(pattern: FilterPattern, col: str, con: Any) -> str:
    if con is None:
        raise ValueError("this space-delimited pattern needs a Python UDF: pass the DuckDB connection")
    name = "awslab_filter_pattern_" + hashlib.sha1(pattern.text.encode()).hexdigest()[:16]
    registered = pattern._cache.setdefault("_udf_connections", [])
    if not any(c is con for c in registered):
        import duckdb

        try:
            con.create_function(name, lambda m: m is not None and pattern.matches(m),
                                [duckdb.sqltype("VARCHAR")], duckdb.sqltype("BOOLEAN"),
                                null_handling="special", side_effects=False)
        except duckdb.Error as exc:  # already registered on this connection by another instance
            if "already exists" not in str(exc):
                raise
        registered.append(con)
    return f"{name}({col})"


def field_sql(pattern: FilterPattern, field_name: str, column: str = "message") -> str | None:
    """A VARCHAR SQL expression for ``$.selector`` (JSON) or ``$name`` (space-delimited) on matching rows.

    Used to compute metric values and dimensions in bulk. None when the pattern cannot supply the field.
    """
    if pattern.kind == "json" and field_name.startswith("$."):
        try:
            sel = _Parser(field_name).selector()
        except _Invalid:
            return None
        if sel.wildcards:
            return None
        j = f"json_extract({column}, {_q(_duckdb_path(sel))})"
        return (f"(CASE WHEN {_sql_strict_json(column)} AND json_type({j}) NOT IN ('OBJECT', 'ARRAY', 'NULL') "
                f"THEN json_extract_string({j}, '$') END)")
    if pattern.kind == "space_delimited" and field_name.startswith("$") and not pattern.needs_udf:
        names = [f.name for f in pattern.fields]
        if field_name[1:] not in names:
            return None
        return _field_value_sql(pattern, names.index(field_name[1:]), column)
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
