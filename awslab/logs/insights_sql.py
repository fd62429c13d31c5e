"""Logs Insights queries as DuckDB SQL: one CTE stage per command, typed expressions, Insights' sort order.

Fields are typed (``str``, ``num``, ``bool``, ``ts``) so comparisons and aggregates follow Insights' rules:
numeric text compares as numbers, ``bin(5m)`` buckets ``@timestamp``, ``pct`` picks an observed value.
Fields not produced by an earlier command are looked up in the message when it is JSON (discovered fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .insights_parser import Expr, Query, parse_query
from .insights_tokens import DEFAULT_LIMIT, MalformedQueryException


# --------------------------------------------------------------------------------------------------------
# Translation to SQL
# --------------------------------------------------------------------------------------------------------
def _q(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_NUMBER = r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_SYSTEM_FIELDS = ("@timestamp", "@message", "@logStream", "@log", "@ingestionTime", "@ptr")
_TIME_FIELDS = ("@timestamp", "@ingestionTime")


@dataclass
class _Typed:
    sql: str
    type: str  # str | num | bool | ts


class _Scope:
    """The fields a stage can see: columns of the previous stage, else discovered JSON fields."""

    def __init__(self, columns: dict[str, str], has_message: bool):
        self.columns = dict(columns)  # field name -> type
        self.has_message = has_message

    def field(self, name: str) -> _Typed:
        if name in self.columns:
            return _Typed(_ident(name), self.columns[name])
        if not self.has_message or name.startswith("@"):
            return _Typed("CAST(NULL AS VARCHAR)", "str")
        path = "$" + "".join(f"[{part}]" if part.isdigit() else '."' + part.replace('"', "") + '"'
                             for part in name.split("."))
        msg = _ident("@message")
        return _Typed(f"(CASE WHEN json_valid({msg}) THEN json_extract_string({msg}, {_q(path)}) END)", "str")


def _num(t: _Typed) -> str:
    if t.type == "num":
        return t.sql
    if t.type == "ts":
        return f"CAST(epoch_ms({t.sql}) AS DOUBLE)"
    if t.type == "bool":
        return f"CAST({t.sql} AS DOUBLE)"
    return f"(CASE WHEN regexp_full_match({t.sql}, {_q(_NUMBER)}) THEN CAST({t.sql} AS DOUBLE) END)"


def _str(t: _Typed) -> str:
    if t.type == "str":
        return t.sql
    if t.type == "ts":
        return f"strftime({t.sql}, '%Y-%m-%d %H:%M:%S.%g')"
    if t.type == "bool":
        return f"(CASE WHEN {t.sql} THEN '1' WHEN NOT {t.sql} THEN '0' END)"
    return (f"(CASE WHEN {t.sql} = floor({t.sql}) AND abs({t.sql}) < 1e15 THEN CAST(CAST({t.sql} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({t.sql} AS VARCHAR) END)")


def _bool(t: _Typed) -> str:
    if t.type == "bool":
        return t.sql
    if t.type == "num":
        return f"({t.sql} <> 0)"
    return f"({t.sql} IS NOT NULL)"


def _interval(e: Expr) -> str:
    if e.kind != "period":
        raise MalformedQueryException(f"expected a time period such as 5m, not {e.text}")
    n, unit = e.value
    return f"INTERVAL '{n} {unit}'"


def _re2(pattern: str) -> str:
    return re.sub(r"\(\?<([A-Za-z_][A-Za-z0-9_]*)>", r"(?P<\1>", pattern)


_COMPARE = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class _Translator:
    def __init__(self, scope: _Scope):
        self.scope = scope

    def expr(self, e: Expr) -> _Typed:
        if e.kind == "field":
            return self.scope.field(e.value)
        if e.kind == "number":
            return _Typed(repr(float(e.value)), "num")
        if e.kind == "string":
            return _Typed(_q(e.value), "str")
        if e.kind == "unary":
            inner = self.expr(e.args[0])
            if e.value == "not":
                return _Typed(f"(NOT coalesce({_bool(inner)}, FALSE))", "bool")
            return _Typed(f"(-{_num(inner)})", "num")
        if e.kind == "binary":
            return self.binary(e)
        if e.kind == "call":
            return self.call(e)
        raise MalformedQueryException(f"unexpected {e.text or e.kind} here")

    def binary(self, e: Expr) -> _Typed:
        op = e.value
        a = e.args[0]
        if op in ("and", "or"):
            x, y = (self.expr(arg) for arg in e.args)
            return _Typed(f"(coalesce({_bool(x)}, FALSE) {op.upper()} coalesce({_bool(y)}, FALSE))", "bool")
        if op == "like":
            left = _str(self.expr(a))
            pat = e.args[1]
            if pat.kind == "regex":
                return _Typed(f"coalesce(regexp_matches({left}, {_q(_re2(pat.value))}), FALSE)", "bool")
            return _Typed(f"coalesce(contains({left}, {_q(pat.value)}), FALSE)", "bool")
        if op == "in":
            parts = [self.compare("=", a, item) for item in e.args[1].args]
            return _Typed("(" + " OR ".join(parts) + ")", "bool")
        if op in _COMPARE:
            return _Typed(self.compare(op, a, e.args[1]), "bool")
        x, y = (_num(self.expr(arg)) for arg in e.args)
        if op == "^":
            return _Typed(f"pow({x}, {y})", "num")
        if op == "%":
            return _Typed(f"fmod({x}, {y})", "num")
        if op == "/":
            return _Typed(f"({x} / nullif({y}, 0))", "num")
        return _Typed(f"({x} {op} {y})", "num")

    def compare(self, op: str, a: Expr, b: Expr) -> str:
        x, y = self.expr(a), self.expr(b)
        sql_op = _COMPARE[op]
        if "ts" in (x.type, y.type) and x.type in ("ts", "str") and y.type in ("ts", "str"):
            # A timestamp compared with a string literal: compare as timestamps.
            xs = x.sql if x.type == "ts" else f"TRY_CAST({x.sql} AS TIMESTAMPTZ)"
            ys = y.sql if y.type == "ts" else f"TRY_CAST({y.sql} AS TIMESTAMPTZ)"
            return f"coalesce({xs} {sql_op} {ys}, FALSE)"
        if "num" in (x.type, y.type) or "ts" in (x.type, y.type) or "bool" in (x.type, y.type):
            return f"coalesce({_num(x)} {sql_op} {_num(y)}, FALSE)"
        # Two strings: numerically when both are numbers (Insights compares numeric fields as numbers).
        return (f"coalesce(CASE WHEN {_num(x)} IS NOT NULL AND {_num(y)} IS NOT NULL THEN {_num(x)} {sql_op} {_num(y)} "
                f"ELSE {x.sql} {sql_op} {y.sql} END, FALSE)")

    def call(self, e: Expr) -> _Typed:
        name, args = e.value, e.args
        if name in _AGGREGATES:
            raise MalformedQueryException(f"the aggregate function {name} can only be used in stats")

        def a(i: int) -> _Typed:
            if i >= len(args):
                raise MalformedQueryException(f"{name} needs more arguments")
            return self.expr(args[i])

        if name in ("abs", "ceil", "floor", "sqrt"):
            return _Typed(f"{name}({_num(a(0))})", "num")
        if name == "log":
            return _Typed(f"ln({_num(a(0))})", "num")
        if name in ("greatest", "least"):
            return _Typed(f"{name}({', '.join(_num(self.expr(x)) for x in args)})", "num")
        if name == "strlen":
            return _Typed(f"CAST(length({_str(a(0))}) AS DOUBLE)", "num")
        if name in ("toupper", "tolower"):
            return _Typed(f"{'upper' if name == 'toupper' else 'lower'}({_str(a(0))})", "str")
        if name == "concat":
            return _Typed("concat(" + ", ".join(_str(self.expr(x)) for x in args) + ")", "str")
        if name in ("trim", "ltrim", "rtrim"):
            chars = f", {_str(a(1))}" if len(args) > 1 else ""
            return _Typed(f"{name}({_str(a(0))}{chars})", "str")
        if name == "substr":
            length = f", CAST({_num(a(2))} AS BIGINT)" if len(args) > 2 else ""
            return _Typed(f"substr({_str(a(0))}, CAST({_num(a(1))} AS BIGINT) + 1{length})", "str")
        if name == "replace":
            return _Typed(f"replace({_str(a(0))}, {_str(a(1))}, {_str(a(2))})", "str")
        if name == "strcontains":
            return _Typed(f"CAST(coalesce(contains({_str(a(0))}, {_str(a(1))}), FALSE) AS DOUBLE)", "num")
        if name == "ispresent":
            return _Typed(f"({a(0).sql} IS NOT NULL)", "bool")
        if name == "isempty":
            return _Typed(f"coalesce({_str(a(0))} = '', TRUE)", "bool")
        if name == "isblank":
            return _Typed(f"coalesce(trim({_str(a(0))}) = '', TRUE)", "bool")
        if name == "coalesce":
            return _Typed("coalesce(" + ", ".join(_str(self.expr(x)) for x in args) + ")", "str")
        if name == "bin":
            if len(args) != 1:
                raise MalformedQueryException("bin takes one time period, such as bin(5m)")
            return _Typed(f"time_bucket({_interval(args[0])}, {_ident('@timestamp')})", "ts")
        if name in ("datefloor", "dateceil"):
            ts = a(0)
            if ts.type != "ts" or len(args) != 2:
                raise MalformedQueryException(f"{name} takes a timestamp and a time period")
            floor = f"time_bucket({_interval(args[1])}, {ts.sql})"
            if name == "datefloor":
                return _Typed(floor, "ts")
            return _Typed(f"(CASE WHEN {floor} = {ts.sql} THEN {floor} ELSE {floor} + {_interval(args[1])} END)", "ts")
        if name == "frommillis":
            return _Typed(f"make_timestamptz(CAST({_num(a(0))} * 1000 AS BIGINT))", "ts")
        if name == "tomillis":
            return _Typed(f"CAST(epoch_ms({a(0).sql}) AS DOUBLE)", "num")
        raise MalformedQueryException(f"awslab does not support the Logs Insights function {name}()")

    def aggregate(self, e: Expr) -> _Typed:
        if e.kind != "call" or e.value not in _AGGREGATES:
            raise MalformedQueryException(f"stats needs an aggregate function such as count(), not {e.text}")
        name, args = e.value, e.args
        if name == "count":
            if not args or args[0].kind == "star":
                return _Typed("CAST(count(*) AS DOUBLE)", "num")
            return _Typed(f"CAST(count({self.expr(args[0]).sql}) AS DOUBLE)", "num")
        if not args or args[0].kind == "star":
            raise MalformedQueryException(f"{name} needs a field")
        x = self.expr(args[0])
        if name == "count_distinct":
            return _Typed(f"CAST(count(DISTINCT {x.sql}) AS DOUBLE)", "num")
        if name in ("sum", "avg"):
            return _Typed(f"{name}({_num(x)})", "num")
        if name == "stddev":
            return _Typed(f"stddev_samp({_num(x)})", "num")
        if name in ("min", "max"):
            return _Typed(f"{name}({x.sql})", x.type) if x.type in ("ts", "num") else _Typed(f"{name}({_num(x)})", "num")
        if name == "pct":
            if len(args) != 2 or args[1].kind != "number" or not 0 <= args[1].value <= 100:
                raise MalformedQueryException("pct takes a field and a percentile between 0 and 100")
            return _Typed(f"quantile_disc({_num(x)}, {args[1].value / 100!r})", "num")
        if name in ("earliest", "latest"):
            fn = "arg_min" if name == "earliest" else "arg_max"
            return _Typed(f"{fn}({x.sql}, {_ident('@timestamp')})", x.type)
        return _Typed(f"{'min' if name == 'sortsfirst' else 'max'}({_str(x)})", "str")  # sortsFirst/sortsLast


_AGGREGATES = {"count", "count_distinct", "sum", "avg", "min", "max", "pct", "stddev", "earliest", "latest",
               "sortsfirst", "sortslast"}


def _natural_key(v: str) -> str:
    """Logs Insights' sort order (LG:CWL_QuerySyntax-Sort) as a list key: digit runs compare by length, then value."""
    return (f"list_transform(regexp_extract_all({v}, '[0-9]+|[^0-9]+'), lambda c: CASE WHEN regexp_full_match(c, "
            f"'[0-9]+') THEN '0' || lpad(CAST(length(c) AS VARCHAR), 6, '0') || c ELSE c END)")


def _sort_keys(t: _Typed, descending: bool) -> list[str]:
    direction = "DESC" if descending else "ASC"
    if t.type in ("num", "ts", "bool"):
        return [f"{t.sql} {direction} NULLS LAST"]
    num = _num(t)
    # Numbers after other values; equal numbers ("01", "1") by their text.
    return [f"({num} IS NOT NULL) {direction} NULLS LAST", f"{num} {direction} NULLS LAST",
            f"(CASE WHEN {num} IS NULL THEN {_natural_key(t.sql)} END) {direction} NULLS LAST",
            f"{t.sql} {direction} NULLS LAST"]


@dataclass
class CompiledQuery:
    """The SQL for a query and the fields each result row shows, in order."""

    sql: str
    output: list[str]
    aggregated: bool
    matched_sql: str  # counts the events that passed the filters (GetQueryResults' recordsMatched)


def compile_query(query: str | Query, source: str, *, timestamp_is_ms: bool = False, account_id: str = "123456789012",
                  where: str = "TRUE", ptr_column: str | None = None, limit: int | None = None) -> CompiledQuery:
    """Translate a query to DuckDB SQL over ``source`` (a table, view or parenthesised subquery).

    ``where`` restricts the events first (time range and log groups, built by :func:`run_query`).
    """
    q = parse_query(query) if isinstance(query, str) else query

    def ts(col: str) -> str:
        return f"make_timestamptz(CAST({col} AS BIGINT) * 1000)" if timestamp_is_ms else col

    ptr = f", CAST({ptr_column} AS VARCHAR) AS {_ident('@ptr')}" if ptr_column else ""
    stages = [("src", f"SELECT {ts('timestamp')} AS {_ident('@timestamp')}, message AS {_ident('@message')}, "
                      f"log_stream AS {_ident('@logStream')}, {_q(account_id + ':')} || log_group AS {_ident('@log')}, "
                      f"{ts('ingestion_time')} AS {_ident('@ingestionTime')}{ptr} FROM {source} WHERE {where}")]
    columns = {"@timestamp": "ts", "@message": "str", "@logStream": "str", "@log": "str", "@ingestionTime": "ts"}
    if ptr_column:
        columns["@ptr"] = "str"
    scope = _Scope(columns, has_message=True)
    shown: list[str] = []  # fields named by fields commands
    display: list[str] | None = None
    aggregated = False
    order = [f"{_ident('@timestamp')} DESC"]  # the order rows are in; newest first until sort or stats
    row_limit = limit or DEFAULT_LIMIT
    matched_stage = None

    def stage(sql: str) -> None:
        stages.append((f"s{len(stages)}", sql))

    for cmd in q.commands:
        prev = stages[-1][0]
        t = _Translator(scope)
        if cmd.name == "fields":
            added = []
            for e, alias in cmd.items:
                name = alias or (e.value if e.kind == "field" else e.text)
                added.append((name, t.expr(e)))
                if name not in shown:
                    shown.append(name)
            stage(_select_with(prev, scope, added))
        elif cmd.name == "display":
            display = [e.value for e, _ in cmd.items]
            missing = [(name, t.expr(Expr("field", name))) for name in display if name not in scope.columns]
            if missing:
                stage(_select_with(prev, scope, missing))
        elif cmd.name == "filter":
            assert cmd.condition is not None
            stage(f"SELECT * FROM {prev} WHERE coalesce({_bool(t.expr(cmd.condition))}, FALSE)")
        elif cmd.name == "parse":
            assert cmd.source is not None and cmd.regex is not None
            src = _str(t.expr(cmd.source))
            regex = _q(_re2(cmd.regex))
            added = [(name, _Typed(f"(CASE WHEN regexp_matches({src}, {regex}) THEN regexp_extract({src}, {regex}, "
                                   f"{group}) END)", "str"))
                     for group, name in enumerate(cmd.names, 1) if name]
            stage(_select_with(prev, scope, added))
        elif cmd.name == "stats":
            if aggregated:
                raise MalformedQueryException("awslab supports one stats command per query")
            matched_stage = prev
            groups = [(t.expr(e), alias or e.text) for e, alias in cmd.by]
            aggs = [(t.aggregate(e), alias or e.text) for e, alias in cmd.items]
            select = [f"{g.sql} AS {_ident(n)}" for g, n in groups] + [f"{a.sql} AS {_ident(n)}" for a, n in aggs]
            group_by = f" GROUP BY {', '.join(str(i) for i in range(1, len(groups) + 1))}" if groups else ""
            stage(f"SELECT {', '.join(select)} FROM {prev}{group_by}")
            scope = _Scope({n: g.type for g, n in groups} | {n: a.type for a, n in aggs}, has_message=False)
            aggregated = True
            shown = [n for _, n in groups] + [n for _, n in aggs]
            display = None
            order = [f"{_ident(n)} ASC NULLS LAST" for _, n in groups]
        elif cmd.name == "sort":
            order = [k for e, desc in cmd.order for k in _sort_keys(t.expr(e), desc)]
        elif cmd.name == "limit":
            assert cmd.limit is not None
            row_limit = cmd.limit  # the query's limit command wins over StartQuery's limit
            if matched_stage is None:
                matched_stage = prev  # recordsMatched counts the events that passed the filters, not the limit
            stage(f"SELECT * FROM {prev} ORDER BY {', '.join(order)} LIMIT {cmd.limit}")
    output = display if display is not None else (shown or ["@timestamp", "@message"])
    if not aggregated and ptr_column and "@ptr" not in output:
        output = output + ["@ptr"]
    last = stages[-1][0]
    final_scope = scope
    cols = []
    for name in output:
        typed = final_scope.field(name) if name in final_scope.columns else _Translator(final_scope).expr(Expr("field", name))
        cols.append(f"{_str(typed)} AS {_ident(name)}")
    with_sql = ",\n".join(f"{n} AS ({s})" for n, s in stages)
    order_sql = f" ORDER BY {', '.join(order)}"
    sql = f"WITH {with_sql}\nSELECT {', '.join(cols)} FROM {last}{order_sql} LIMIT {row_limit}"
    matched = matched_stage or last
    matched_sql = f"WITH {with_sql}\nSELECT count(*) FROM {matched}"
    return CompiledQuery(sql, output, aggregated, matched_sql)


def _select_with(prev: str, scope: _Scope, added: list[tuple[str, _Typed]]) -> str:
    """The previous stage's columns plus new ones; a new column replaces an old one of the same name."""
    new = dict(added)
    keep = [_ident(name) for name in scope.columns if name not in new]
    scope.columns.update({name: typed.type for name, typed in added})
    return f"SELECT {', '.join(keep + [f'{t.sql} AS {_ident(n)}' for n, t in new.items()])} FROM {prev}"
