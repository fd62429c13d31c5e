"""Logs Insights query text as tokens, and the error StartQuery returns for a query it cannot read.

Token kinds follow LG:CWL_QuerySyntax: names (``@timestamp``, ``userIdentity.type``), backquoted names, numbers,
time periods (``5m``, ``1h``), strings, regex literals (after ``like``, ``=~`` or a ``parse`` field) and operators.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from awslab.errors import AWSError

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
