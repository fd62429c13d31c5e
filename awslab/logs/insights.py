"""CloudWatch Logs Insights: a subset of the query language, translated to DuckDB SQL.

Supported commands (LG:CWL_QuerySyntax and its pages fields, filter, stats, sort, limit, parse, display):
``fields``, ``filter``, ``stats`` (count, count_distinct, sum, avg, min, max, pct, stddev, earliest, latest,
sortsFirst, sortsLast; ``by`` with ``bin(period)``), ``sort``, ``limit``, ``parse`` (glob and regex with named
groups) and ``display``; comments start with ``#``. Other commands of the language (dedup, pattern, diff,
unmask, unnest, lookup, anomaly, filterIndex, SOURCE) raise an error naming them instead of being ignored.

The query runs over a table or view with the columns ``timestamp`` (TIMESTAMPTZ or BIGINT epoch ms),
``message``, ``log_stream``, ``log_group`` and ``ingestion_time``. System fields are ``@timestamp``,
``@message``, ``@logStream``, ``@log`` (``account-id:log-group-name``), ``@ingestionTime`` and ``@ptr`` (when an
id column is given). Any other field name is looked up in the message when it is JSON, nested keys joined
with ``.`` as Insights' discovered fields are (``userIdentity.type``, ``items.0.id``)::

    >>> result = run_query(con, 'filter eventName = "ConsoleLogin" | stats count(*) by bin(1h)', source="logs_events")
    >>> result.results[0]
    [{'field': 'bin(1h)', 'value': '2026-01-01 00:00:00.000'}, {'field': 'count(*)', 'value': '3'}]

*Choices* where the pages are silent: without ``sort`` events come newest first and stats rows in the order of
their ``by`` values; ``sort`` without a direction is ascending; ``pct`` picks an observed value
(``quantile_disc``); the default ``limit`` is 10,000 (StartQuery's documented maximum).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from awslab.errors import AWSError

__all__ = ["MalformedQueryException", "Query", "QueryResult", "parse_query", "compile_query", "run_query"]

SUPPORTED_COMMANDS = ("fields", "filter", "stats", "sort", "limit", "parse", "display")
UNSUPPORTED_COMMANDS = ("dedup", "pattern", "diff", "unmask", "unnest", "lookup", "anomaly", "filterindex", "source")
DEFAULT_LIMIT = 10_000


class MalformedQueryException(AWSError):
    """StartQuery's ``MalformedQueryException``; ``query_compile_error`` is the exception's structured part."""

    def __init__(self, message: str, start: int = 0, end: int = 0):
        super().__init__("MalformedQueryException", message)
        self.query_compile_error = {"location": {"startCharOffset": start, "endCharOffset": end}, "message": message}


# --------------------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------------------
_PERIOD_UNITS = {
    "ms": "milliseconds", "s": "seconds", "sec": "seconds", "second": "seconds", "seconds": "seconds",
    "m": "minutes", "min": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hour": "hours", "hours": "hours",
    "d": "days", "day": "days", "days": "days", "w": "weeks", "week": "weeks", "weeks": "weeks",
}
_TOKEN = re.compile(
    r"""(?P<ws>\s+)|(?P<comment>\#[^\n]*)
    |(?P<period>[0-9]+(?:ms|sec|seconds?|min|minutes?|hr|hours?|days?|weeks?|[smhdw])(?![A-Za-z0-9_]))
    |(?P<number>(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)
    |(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<backtick>`[^`]*`)
    |(?P<name>[A-Za-z_@][A-Za-z0-9_@.$]*)
    |(?P<op>=~|!=|<=|>=|[=<>+\-*/%^(),\[\]|])""",
    re.VERBOSE,
)


@dataclass
class Tok:
    kind: str
    text: str
    start: int
    end: int
    regex_next: bool = False  # a / after this token starts a regex (the field of a parse command)

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "name" else ""


def _tokenize(query: str) -> list[Tok]:
    toks: list[Tok] = []
    i = 0
    while i < len(query):
        prev = toks[-1] if toks else None
        if query[i] == "/" and prev is not None and (prev.word in ("like", "parse") or prev.text == "=~"
                                                      or prev.regex_next):
            m = re.compile(r"/((?:[^/\\\n]|\\.)*)/").match(query, i)
            if not m:
                raise MalformedQueryException("unterminated regular expression", i, len(query))
            toks.append(Tok("regex", m.group(1), i, m.end()))
            i = m.end()
            continue
        m = _TOKEN.match(query, i)
        if not m:
            raise MalformedQueryException(f"unexpected symbol found {query[i]} at line "
                                          f"{query.count(chr(10), 0, i) + 1} and position {i}", i, i + 1)
        kind = m.lastgroup or ""
        if kind not in ("ws", "comment"):
            if kind == "backtick":
                tok = Tok("quoted_name", m.group(0)[1:-1], i, m.end())
            else:
                tok = Tok(kind, m.group(0), i, m.end())
            # `parse FIELD /regex/`: a regex may follow the field name of a parse command.
            tok.regex_next = bool(toks) and toks[-1].word == "parse" and kind in ("name", "backtick")
            toks.append(tok)
        i = m.end()
    return toks


# --------------------------------------------------------------------------------------------------------
# Expressions
# --------------------------------------------------------------------------------------------------------
@dataclass
class Expr:
    """A parsed expression: ``kind`` is field, number, string, period, regex, call, unary, binary or list."""

    kind: str
    value: Any = None
    args: list[Expr] = field(default_factory=list)
    text: str = ""  # the source text, which names an unaliased column (``count(*)``)


class _Parser:
    def __init__(self, query: str, toks: list[Tok]):
        self.query = query
        self.toks = toks
        self.i = 0

    def error(self, message: str | None = None) -> MalformedQueryException:
        tok = self.toks[self.i] if self.i < len(self.toks) else None
        if tok is None:
            return MalformedQueryException(message or "mismatched input '<EOF>'", len(self.query), len(self.query))
        line = self.query.count("\n", 0, tok.start) + 1
        return MalformedQueryException(
            message or f"unexpected symbol found {tok.text} at line {line} and position {tok.start}", tok.start, tok.end)

    def peek(self, offset: int = 0) -> Tok | None:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else None

    def at(self, *texts: str) -> bool:
        tok = self.peek()
        return tok is not None and (tok.text in texts or tok.word in texts) and tok.kind != "quoted_name"

    def take(self, *texts: str) -> Tok | None:
        if self.at(*texts):
            self.i += 1
            return self.toks[self.i - 1]
        return None

    def expect(self, *texts: str) -> Tok:
        tok = self.take(*texts)
        if tok is None:
            raise self.error()
        return tok

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def span(self, start: int) -> str:
        return self.query[self.toks[start].start : self.toks[self.i - 1].end]

    # precedence climbing: or < and < not < comparison < additive < multiplicative < power < unary
    def expr(self) -> Expr:
        start = self.i
        left = self.and_expr()
        while self.take("or"):
            left = Expr("binary", "or", [left, self.and_expr()])
        left.text = left.text or self.span(start)
        return left

    def and_expr(self) -> Expr:
        left = self.not_expr()
        while self.take("and"):
            left = Expr("binary", "and", [left, self.not_expr()])
        return left

    def not_expr(self) -> Expr:
        if self.take("not"):
            return Expr("unary", "not", [self.not_expr()])
        return self.comparison()

    def comparison(self) -> Expr:
        left = self.additive()
        negate = False
        if self.at("not") and self.peek(1) is not None and self.peek(1).word in ("like", "in"):  # type: ignore[union-attr]
            self.i += 1
            negate = True
        tok = self.take("=", "!=", "<", "<=", ">", ">=", "=~", "like", "in")
        if tok is None:
            return left
        op = tok.text.lower()
        if op in ("like", "=~"):
            nxt = self.peek()
            if nxt is None or nxt.kind not in ("regex", "string"):
                raise self.error()
            self.i += 1
            right = Expr("regex" if nxt.kind == "regex" else "string", _unquote(nxt) if nxt.kind == "string" else nxt.text)
            node = Expr("binary", "like", [left, right])
        elif op == "in":
            self.expect("[")
            items = [self.additive()]
            while self.take(","):
                items.append(self.additive())
            self.expect("]")
            node = Expr("binary", "in", [left, Expr("list", None, items)])
        else:
            node = Expr("binary", op, [left, self.additive()])
        return Expr("unary", "not", [node]) if negate else node

    def additive(self) -> Expr:
        left = self.multiplicative()
        while (tok := self.take("+", "-")) is not None:
            left = Expr("binary", tok.text, [left, self.multiplicative()])
        return left

    def multiplicative(self) -> Expr:
        left = self.power()
        while (tok := self.take("*", "/", "%")) is not None:
            left = Expr("binary", tok.text, [left, self.power()])
        return left

    def power(self) -> Expr:
        left = self.unary()
        if self.take("^"):
            return Expr("binary", "^", [left, self.power()])
        return left

    def unary(self) -> Expr:
        if self.take("-"):
            return Expr("unary", "-", [self.unary()])
        return self.primary()

    def primary(self) -> Expr:
        tok = self.peek()
        if tok is None:
            raise self.error()
        start = self.i
        self.i += 1
        if tok.kind == "number":
            return Expr("number", float(tok.text), text=tok.text)
        if tok.kind == "string":
            return Expr("string", _unquote(tok), text=tok.text)
        if tok.kind == "period":
            m = re.fullmatch(r"([0-9]+)([a-z]+)", tok.text)
            assert m is not None
            return Expr("period", (int(m.group(1)), _PERIOD_UNITS[m.group(2)]), text=tok.text)
        if tok.text == "(":
            inner = self.expr()
            self.expect(")")
            return inner
        if tok.kind in ("name", "quoted_name"):
            if tok.kind == "name" and self.at("("):
                self.i += 1
                args: list[Expr] = []
                if self.take("*"):
                    args.append(Expr("star", text="*"))
                elif not self.at(")"):
                    args.append(self.expr())
                    while self.take(","):
                        args.append(self.expr())
                self.expect(")")
                return Expr("call", tok.text.lower(), args, text=self.span(start))
            return Expr("field", tok.text, text=tok.text)
        self.i -= 1
        raise self.error()

    def alias(self) -> str | None:
        if self.take("as"):
            tok = self.peek()
            if tok is None or tok.kind not in ("name", "quoted_name"):
                raise self.error()
            self.i += 1
            return tok.text
        return None

    def field_name(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind not in ("name", "quoted_name"):
            raise self.error()
        self.i += 1
        return tok.text


def _unquote(tok: Tok) -> str:
    body = tok.text[1:-1]
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), body)


# --------------------------------------------------------------------------------------------------------
# Commands
# --------------------------------------------------------------------------------------------------------
@dataclass
class Command:
    name: str
    items: list[tuple[Expr, str | None]] = field(default_factory=list)  # fields, stats, display
    by: list[tuple[Expr, str | None]] = field(default_factory=list)  # stats ... by
    condition: Expr | None = None  # filter
    order: list[tuple[Expr, bool]] = field(default_factory=list)  # sort: (expr, descending)
    limit: int | None = None
    source: Expr | None = None  # parse
    regex: str | None = None  # parse: RE2 regex
    names: list[str] = field(default_factory=list)  # parse: the fields it creates, in group order


@dataclass
class Query:
    """A parsed Logs Insights query: its commands in order."""

    text: str
    commands: list[Command]


def parse_query(query: str) -> Query:
    """Parse a Logs Insights query, raising ``MalformedQueryException`` (or an unsupported-command error)."""
    try:
        toks = _tokenize(query)
    except RecursionError:  # pragma: no cover - defensive
        raise MalformedQueryException("query too deeply nested") from None
    segments: list[list[Tok]] = [[]]
    depth = 0
    for tok in toks:
        if tok.text in ("(", "["):
            depth += 1
        elif tok.text in (")", "]"):
            depth -= 1
        if tok.text == "|" and tok.kind == "op" and depth <= 0:
            segments.append([])
        else:
            segments[-1].append(tok)
    if not toks:
        raise MalformedQueryException("mismatched input '<EOF>' expecting a query command", 0, len(query))
    commands: list[Command] = []
    for seg in segments:
        if not seg:
            raise MalformedQueryException("mismatched input '|' expecting a query command", 0, len(query))
        try:
            commands.append(_parse_command(query, seg))
        except RecursionError:
            raise MalformedQueryException("query too deeply nested", seg[0].start, seg[-1].end) from None
    return Query(query, commands)


def _parse_command(query: str, toks: list[Tok]) -> Command:
    p = _Parser(query, toks)
    head = toks[0]
    word = head.word
    if word in UNSUPPORTED_COMMANDS:
        raise MalformedQueryException(f"awslab does not support the Logs Insights command '{head.text}' yet; "
                                      f"supported commands: {', '.join(SUPPORTED_COMMANDS)}", head.start, head.end)
    if word not in SUPPORTED_COMMANDS or head.kind != "name":
        raise p.error(f"mismatched input '{head.text}' expecting "
                      "{K_PARSE, K_FIELDS, K_DISPLAY, K_FILTER, K_SORT, K_STATS, K_LIMIT}")
    p.i = 1
    cmd = Command(word)
    if word in ("fields", "display", "stats"):
        while True:
            start = p.i
            e = p.expr()
            e.text = p.span(start)
            cmd.items.append((e, p.alias() if word != "display" else None))
            if not p.take(","):
                break
        if word == "stats" and p.take("by"):
            while True:
                start = p.i
                e = p.expr()
                e.text = p.span(start)
                cmd.by.append((e, p.alias()))
                if not p.take(","):
                    break
        if word == "display" and any(e.kind != "field" for e, _ in cmd.items):
            raise p.error("display takes field names")
    elif word == "filter":
        cmd.condition = p.expr()
    elif word == "sort":
        while True:
            e = p.expr()
            descending = bool(p.take("desc"))
            if not descending:
                p.take("asc")
            cmd.order.append((e, descending))
            if not p.take(","):
                break
    elif word == "limit":
        tok = p.peek()
        if tok is None or tok.kind != "number" or not tok.text.isdigit():
            raise p.error()
        p.i += 1
        cmd.limit = int(tok.text)
        if not 1 <= cmd.limit <= DEFAULT_LIMIT:
            raise MalformedQueryException(f"limit must be between 1 and {DEFAULT_LIMIT}", tok.start, tok.end)
    elif word == "parse":
        tok = p.peek()
        if tok is not None and tok.kind in ("name", "quoted_name"):
            cmd.source = Expr("field", p.field_name())
        else:
            cmd.source = Expr("field", "@message")
        tok = p.peek()
        if tok is not None and tok.kind == "regex":
            p.i += 1
            cmd.regex, cmd.names = _named_groups(tok)
        elif tok is not None and tok.kind == "string":
            p.i += 1
            pieces = _unquote(tok).split("*")
            p.expect("as")
            cmd.names = [p.field_name()]
            while p.take(","):
                cmd.names.append(p.field_name())
            if len(cmd.names) != len(pieces) - 1:
                raise MalformedQueryException("the number of fields after 'as' must match the number of '*' in "
                                              "the parse pattern", tok.start, tok.end)
            # Lazy stars keep each field short; the last one takes the rest (the page's exception example).
            groups = ["(.*?)"] * (len(pieces) - 2) + ["(.*)"] if len(pieces) > 1 else []
            cmd.regex = "(?s)" + "".join(re.escape(piece) + (groups[k] if k < len(groups) else "")
                                         for k, piece in enumerate(pieces))
        else:
            raise p.error()
    if not p.done():
        raise p.error()
    return cmd


def _named_groups(tok: Tok) -> tuple[str, list[str]]:
    """RE2 form of a parse regex and its fields by group number (unnamed groups get no field)."""
    src = tok.text
    names: list[str] = []
    out: list[str] = []
    i = 0
    in_class = False
    while i < len(src):
        ch = src[i]
        if ch == "\\":
            out.append(src[i : i + 2]); i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            m = re.compile(r"\(\?P?<([A-Za-z_@][A-Za-z0-9_@.]*)>").match(src, i)
            if m:
                names.append(m.group(1))
                out.append(f"(?P<g{len(names)}>")
                i = m.end()
                continue
            if not src.startswith("(?", i):
                names.append("")
        out.append(ch)
        i += 1
    if not any(names):
        raise MalformedQueryException("a parse regular expression needs named groups such as (?<name>...)",
                                      tok.start, tok.end)
    return "".join(out), names


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


@dataclass
class QueryResult:
    """GetQueryResults' ``results`` (rows of ``{field, value}``, absent fields left out) and ``statistics``."""

    results: list[list[dict[str, str]]]
    statistics: dict[str, float]
    fields: list[str]


def run_query(con: Any, query: str, source: str = "logs_events", *, start_time: int | None = None,
              end_time: int | None = None, log_groups: list[str] | None = None, limit: int | None = None,
              account_id: str = "123456789012", ptr_column: str | None = None) -> QueryResult:
    """Run a Logs Insights query with DuckDB and return GetQueryResults' rows.

    ``start_time``/``end_time`` are StartQuery's epoch seconds (both ends included); ``log_groups`` restricts
    ``log_group``; ``limit`` is StartQuery's ``limit`` (a ``limit`` command in the query takes precedence).
    """
    import duckdb

    types = {row[0]: str(row[1]).upper() for row in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()}
    ms = types.get("timestamp", "").startswith(("BIGINT", "INTEGER", "UBIGINT", "HUGEINT", "DOUBLE"))
    conditions, params = ["TRUE"], []
    ts = "timestamp" if ms else "epoch_ms(timestamp)"
    if start_time is not None:
        conditions.append(f"{ts} >= {int(start_time) * 1000}")
    if end_time is not None:
        conditions.append(f"{ts} <= {int(end_time) * 1000 + 999}")
    if log_groups:
        conditions.append("log_group IN (" + ", ".join(_q(g) for g in log_groups) + ")")
    compiled = compile_query(query, source, timestamp_is_ms=ms, account_id=account_id, where=" AND ".join(conditions),
                             ptr_column=ptr_column, limit=limit)
    try:
        rows = con.execute(compiled.sql, params).fetchall()
        matched = con.execute(compiled.matched_sql).fetchone()[0]
        scanned, scanned_bytes = con.execute(
            f"SELECT count(*), coalesce(sum(strlen(message)), 0) FROM {source} WHERE {' AND '.join(conditions)}").fetchone()
    except duckdb.Error as exc:  # e.g. a regex RE2 rejects; AWS reports such queries as malformed
        raise MalformedQueryException(f"the query could not run: {str(exc).splitlines()[0]}") from exc
    results = [[{"field": f, "value": v} for f, v in zip(compiled.output, row) if v is not None] for row in rows]
    statistics = {"recordsMatched": float(matched), "recordsScanned": float(scanned), "bytesScanned": float(scanned_bytes)}
    return QueryResult(results, statistics, compiled.output)
