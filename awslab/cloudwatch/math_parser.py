"""The metric math grammar: tokens, the expression tree, and a parser that builds it.

The language is the one described in the CloudWatch User Guide, "Using metric math"
(UG:using-metric-math, section "Metric math syntax and functions"):

* numbers (``5``, ``50.25``), strings (``"errors"`` for METRICS, ``'...'`` for SEARCH),
* the Id of another query (``m1``, ``errors``) — Ids start with a lowercase letter,
* function calls in uppercase (``AVG(m1)``, ``FILL(m1, REPEAT)``),
* arrays of time series (``[m1, m2]``),
* the operators, loosest first: ``OR ||`` · ``AND &&`` · ``== != <= >= < >`` ·
  ``+ -`` · ``* /`` · unary ``-`` · ``^`` (right-associative).

AWS does not publish a precedence table; the one above is the conventional one and is
what the documented examples need (``-5*m1``, ``m1 > 15 AND m2 > 15``, ``PERIOD(m1)/60``).

>>> tree = parse_expression("SUM(METRICS()) / PERIOD(m1)")
>>> str(tree)
'SUM(METRICS()) / PERIOD(m1)'
>>> print(tree.pretty())
/
├── SUM(...)
│   └── METRICS()
└── PERIOD(...)
    └── m1
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from awslab.errors import AWSError

#: Every function in the User Guide's table, plus the comparison/logical keywords.
FUNCTIONS: frozenset[str] = frozenset({
    "ABS", "ANOMALY_DETECTION_BAND", "AVG", "CEIL", "DATAPOINT_COUNT", "DIFF", "DIFF_TIME",
    "FILL", "FIRST", "LAST", "FLOOR", "IF", "INSIGHT_RULE_METRIC", "LOG", "LOG10", "MAX",
    "METRIC_COUNT", "METRICS", "MIN", "MINUTE", "HOUR", "DAY", "DATE", "MONTH", "YEAR",
    "EPOCH", "PERIOD", "RATE", "REMOVE_EMPTY", "RUNNING_SUM", "SEARCH", "SERVICE_QUOTA",
    "SLICE", "SORT", "STDDEV", "SUM", "TIME_SERIES",
})

#: Bare uppercase words that are arguments, not functions: FILL's REPEAT/LINEAR and
#: SORT's statistic and order.
KEYWORDS: frozenset[str] = frozenset({"REPEAT", "LINEAR", "AVG", "MIN", "MAX", "SUM", "ASC", "DESC"})

#: How tall an expression tree may grow (nesting and chained operators alike). AWS states
#: no such limit; the lab needs one so that pathological input ends in an AWS error
#: instead of exhausting Python's stack. Real expressions are far shallower.
MAX_DEPTH = 100

_BINDING = {"OR": 1, "||": 1, "AND": 2, "&&": 2,
            "==": 3, "!=": 3, "<=": 3, ">=": 3, "<": 3, ">": 3,
            "+": 4, "-": 4, "*": 5, "/": 5, "^": 7}
_UNARY_BINDING = 6
_CANONICAL = {"||": "OR", "&&": "AND"}

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<string>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|“[^”]*”)
  | (?P<op>==|!=|<=|>=|&&|\|\||[-+*/^<>(),\[\]])
""", re.VERBOSE | re.DOTALL)


class MathSyntaxError(AWSError):
    """A metric math expression that does not parse; carries AWS's ValidationError code."""

    def __init__(self, detail: str, position: int):
        super().__init__("ValidationError", detail)
        self.detail = detail
        self.position = position


@dataclass(frozen=True)
class Token:
    kind: str  # number | name | string | op | end
    text: str
    position: int


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens; anything unrecognised is a syntax error."""
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise MathSyntaxError(f"Unexpected character '{text[position]}' at position {position + 1}",
                                  position)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# --------------------------------------------------------------------------- the tree

@dataclass(frozen=True, eq=False)
class Node:
    """One node of the expression tree; ``str()`` renders it back as metric math."""

    position: int = field(default=0, kw_only=True)

    def children(self) -> tuple[Node, ...]:
        return ()

    def label(self) -> str:
        return str(self)

    def pretty(self) -> str:
        """The tree drawn with box characters, one node per line."""
        lines = [self.label()]
        kids = self.children()
        for index, child in enumerate(kids):
            last = index == len(kids) - 1
            branch, indent = ("└── ", "    ") if last else ("├── ", "│   ")
            sub = child.pretty().split("\n")
            lines.append(branch + sub[0])
            lines.extend(indent + line for line in sub[1:])
        return "\n".join(lines)

    def walk(self) -> Iterator[Node]:
        """This node and every node below it, depth first."""
        yield self
        for child in self.children():
            yield from child.walk()


@dataclass(frozen=True, eq=False)
class Number(Node):
    value: float
    text: str

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, eq=False)
class String(Node):
    """A quoted string; ``value`` is the text between the quotes, escapes left as written."""

    value: str
    quote: str = '"'

    def __str__(self) -> str:
        return f"{self.quote}{self.value}{self.quote}"


@dataclass(frozen=True, eq=False)
class Name(Node):
    """A reference to another query's Id."""

    id: str

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True, eq=False)
class Keyword(Node):
    """A bare uppercase argument word such as REPEAT, LINEAR, AVG or DESC."""

    word: str

    def __str__(self) -> str:
        return self.word


@dataclass(frozen=True, eq=False)
class Call(Node):
    function: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args

    def label(self) -> str:
        return f"{self.function}(...)" if self.args else f"{self.function}()"

    def __str__(self) -> str:
        return f"{self.function}({', '.join(str(arg) for arg in self.args)})"


@dataclass(frozen=True, eq=False)
class Array(Node):
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items

    def label(self) -> str:
        return "[...]" if self.items else "[]"

    def __str__(self) -> str:
        return f"[{', '.join(str(item) for item in self.items)}]"


@dataclass(frozen=True, eq=False)
class Unary(Node):
    operator: str
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def label(self) -> str:
        return f"{self.operator} (unary)"

    def __str__(self) -> str:
        return f"{self.operator}{_wrap(self.operand, _UNARY_BINDING, right=True)}"


@dataclass(frozen=True, eq=False)
class Binary(Node):
    operator: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def label(self) -> str:
        return self.operator

    def __str__(self) -> str:
        binding = _BINDING[self.operator]
        right_assoc = self.operator == "^"
        left = _wrap(self.left, binding, right=False, tight=right_assoc)
        right = _wrap(self.right, binding, right=True, tight=not right_assoc)
        return f"{left} {self.operator} {right}"


def _binding_of(node: Node) -> int:
    if isinstance(node, Binary):
        return _BINDING[node.operator]
    if isinstance(node, Unary):
        return _UNARY_BINDING
    return 99


def _wrap(node: Node, binding: int, *, right: bool, tight: bool = False) -> str:
    """Parenthesise a child only where the grammar needs it to keep the same tree."""
    inner = _binding_of(node)
    needs = inner < binding or (tight and inner == binding)
    if isinstance(node, Unary) and not right:
        needs = needs or binding > _UNARY_BINDING
    return f"({node})" if needs else str(node)


# --------------------------------------------------------------------------- the parser

class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0
        self.heights: dict[int, int] = {}

    @property
    def token(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def fail(self, token: Token | None = None) -> MathSyntaxError:
        token = token or self.token
        if token.kind == "end":
            return MathSyntaxError("Unexpected end of expression", token.position)
        return MathSyntaxError(f"Unexpected token '{token.text}' at position {token.position + 1}",
                               token.position)

    def expect(self, text: str) -> Token:
        if self.token.kind != "op" or self.token.text != text:
            raise self.fail()
        return self.advance()

    def enter(self, token: Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise MathSyntaxError(f"Expression is nested more than {MAX_DEPTH} levels deep", token.position)

    def built(self, node: Node) -> Node:
        """Record a new node's height, refusing trees taller than MAX_DEPTH."""
        height = 1 + max((self.heights.get(id(child), 1) for child in node.children()), default=0)
        if height > MAX_DEPTH:
            raise MathSyntaxError(f"Expression is nested more than {MAX_DEPTH} levels deep", node.position)
        self.heights[id(node)] = height
        return node

    def binary_operator(self) -> str | None:
        token = self.token
        if token.kind == "op" and token.text in _BINDING:
            return token.text
        if token.kind == "name" and token.text in ("AND", "OR"):
            return token.text
        return None

    def expression(self, min_binding: int = 0) -> Node:
        left = self.unary()
        while (operator := self.binary_operator()) is not None and _BINDING[operator] >= min_binding:
            token = self.advance()
            binding = _BINDING[operator]
            if operator == "^":  # right-associative: the only operator parsed by recursion
                self.enter(token)
                right = self.expression(binding)
                self.depth -= 1
            else:
                right = self.expression(binding + 1)
            left = self.built(Binary(_CANONICAL.get(operator, operator), left, right, position=token.position))
        return left

    def unary(self) -> Node:
        token = self.token
        if token.kind == "op" and token.text == "-":
            self.advance()
            self.enter(token)
            operand = self.expression(_UNARY_BINDING)
            self.depth -= 1
            return self.built(Unary("-", operand, position=token.position))
        return self.primary()

    def primary(self) -> Node:
        token = self.advance()
        if token.kind == "number":
            return Number(float(token.text), token.text, position=token.position)
        if token.kind == "string":
            if token.text.startswith("“"):
                return String(token.text[1:-1], '"', position=token.position)
            return String(token.text[1:-1], token.text[0], position=token.position)
        if token.kind == "name":
            return self.named(token)
        if token.kind == "op" and token.text == "(":
            self.enter(token)
            inner = self.expression()
            self.expect(")")
            self.depth -= 1
            return inner
        if token.kind == "op" and token.text == "[":
            self.enter(token)
            items = self.sequence("]")
            self.depth -= 1
            return self.built(Array(items, position=token.position))
        raise self.fail(token)

    def named(self, token: Token) -> Node:
        word = token.text
        if self.token.kind == "op" and self.token.text == "(":
            if word not in FUNCTIONS:
                raise MathSyntaxError(f"Unknown function: {word}", token.position)
            self.advance()
            self.enter(token)
            args = self.sequence(")")
            self.depth -= 1
            return self.built(Call(word, args, position=token.position))
        if word[0].islower():
            return Name(word, position=token.position)
        if word in KEYWORDS:
            return Keyword(word, position=token.position)
        if word in ("AND", "OR"):
            raise self.fail(token)
        raise MathSyntaxError(f"Unrecognized identifier '{word}' at position {token.position + 1}",
                              token.position)

    def sequence(self, closing: str) -> tuple[Node, ...]:
        items: list[Node] = []
        if self.token.kind == "op" and self.token.text == closing:
            self.advance()
            return ()
        while True:
            items.append(self.expression())
            if self.token.kind == "op" and self.token.text == ",":
                self.advance()
                continue
            self.expect(closing)
            return tuple(items)


def parse_expression(text: str) -> Node:
    """Parse one metric math expression into its tree, or raise :class:`MathSyntaxError`."""
    parser = _Parser(text)
    if parser.token.kind == "end":
        raise MathSyntaxError("The expression is empty", 0)
    tree = parser.expression()
    if parser.token.kind != "end":
        raise parser.fail()
    return tree


def referenced_ids(tree: Node) -> set[str]:
    """The query Ids an expression refers to by name (METRICS() is resolved separately)."""
    return {node.id for node in tree.walk() if isinstance(node, Name)}


def calls(tree: Node, function: str) -> list[Call]:
    """Every call of ``function`` in the tree, outermost first."""
    return [node for node in tree.walk() if isinstance(node, Call) and node.function == function]
