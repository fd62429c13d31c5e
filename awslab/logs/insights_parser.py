"""The Logs Insights parser: expressions by precedence climbing, then one command per ``|`` segment.

Commands and operators from LG:CWL_QuerySyntax and its pages (fields, filter, stats, sort, limit, parse,
display); unsupported commands raise :class:`~awslab.logs.insights_tokens.MalformedQueryException` naming them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .insights_tokens import (
    DEFAULT_LIMIT,
    SUPPORTED_COMMANDS,
    UNSUPPORTED_COMMANDS,
    _PERIOD_UNITS,
    MalformedQueryException,
    Tok,
    _tokenize,
)


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
