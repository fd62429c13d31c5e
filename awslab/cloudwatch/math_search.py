"""SEARCH expressions: parse ``'{Namespace,DimName} terms'`` and decide which metrics match.

Rules from the CloudWatch User Guide, "CloudWatch search expression syntax"
(UG:search-expression-syntax):

* The optional *metric schema* ``{Namespace, DimensionName, ...}`` names a namespace and the
  dimension names; names with spaces or other non-alphanumerics are double-quoted.
* *Tokenization*: names are cut into lowercase tokens at camel-case humps, where digits
  start, and at non-alphanumeric characters; the whole alphanumeric run is a token too
  (``CustomCount1`` → ``customcount1, custom, count, 1``; ``SDBFailure`` → ``sdbfailure,
  sdb, failure``).
* *Partial match*: a one-token search term matches a token case-insensitively
  (``count``/``Count``/``COUNT`` find ``CustomCount1``); a term that tokenizes into several
  tokens is a *composite* and matches consecutive tokens case-sensitively (``CustomCount``
  and ``Count1`` find it, ``customcount``, ``count1`` and ``couNT`` don't). Non-alphanumerics
  in a term split it into parts that must all match (``network-errors`` finds both
  ``Network-Errors-2`` and ``NetworkErrors2``).
* *Exact match*: ``"CustomCount1"`` equals a metric name, namespace, dimension name or value;
  ``\\``-escapes ``" \\ ( )``.
* *Property names*: ``MetricName=``, ``Namespace=`` or a dimension name ``=`` a partial or
  exact value.
* *Boolean operators* ``AND``, ``OR``, ``NOT`` (uppercase only), parentheses, and an implicit
  ``AND`` between adjacent terms. Query at most 1024 characters.

Where the guide is silent the lab chooses, and says so here: a schema matches metrics whose
namespace equals the schema's and whose dimension *names* are exactly the schema's
(``{AWS/EC2,InstanceId}`` finds per-instance metrics, not ones that add another dimension).

>>> query = parse_search(' {AWS/EC2,InstanceId} MetricName="CPUUtilization" ')
>>> query.matches("AWS/EC2", "CPUUtilization", {"InstanceId": "i-1"})
True
>>> query.matches("AWS/EC2", "CPUUtilization", {"InstanceId": "i-1", "Role": "web"})
False
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Mapping

from awslab.errors import AWSError

#: The maximum search expression query size (UG:search-expression-syntax, "limits").
MAX_QUERY_LENGTH = 1024
_MAX_DEPTH = 50

_ATOM = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_BARE = re.compile(r"""[^\s()"=]+""")

Matcher = Callable[[str, str, Mapping[str, str]], bool]


class SearchSyntaxError(AWSError):
    """A SEARCH query that does not parse; carries AWS's ValidationError code."""

    def __init__(self, detail: str):
        super().__init__("ValidationError", detail)
        self.detail = detail


def atoms(text: str) -> list[str]:
    """The camel-case/digit pieces of a name, original case, in order, across delimiters."""
    return [atom for part in re.split(r"[^A-Za-z0-9]+", text) for atom in _ATOM.findall(part)]


def tokens(text: str) -> set[str]:
    """The lowercase tokens CloudWatch generates from a name (UG:search-expression-syntax)."""
    generated = {atom.lower() for atom in atoms(text)}
    whole = re.sub(r"[^A-Za-z0-9]", "", text).lower()
    if whole:
        generated.add(whole)
    return generated


def partial_match(term: str, text: str) -> bool:
    """Does the partial search ``term`` match the name ``text``?"""
    parts = [part for part in re.split(r"[^A-Za-z0-9]+", term) if part]
    if not parts:
        return False
    text_atoms = atoms(text)
    text_tokens = tokens(text)
    for part in parts:
        part_atoms = _ATOM.findall(part)
        if len(part_atoms) == 1:
            if part.lower() not in text_tokens:
                return False
        elif not _consecutive(part_atoms, text_atoms):
            return False
    return True


def _consecutive(needle: list[str], haystack: list[str]) -> bool:
    width = len(needle)
    return any(haystack[i:i + width] == needle for i in range(len(haystack) - width + 1))


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


@dataclass(frozen=True)
class SearchQuery:
    """A parsed SEARCH query: the schema (if any) and the compiled term predicate."""

    text: str
    namespace: str | None = None
    dimension_names: tuple[str, ...] = ()
    predicate: Matcher | None = field(default=None, repr=False, compare=False)

    def matches(self, namespace: str, metric_name: str, dimensions: Mapping[str, str]) -> bool:
        """Whether the metric (namespace, name, {dimension name: value}) is in the result."""
        if self.namespace is not None:
            if namespace != self.namespace or set(dimensions) != set(self.dimension_names):
                return False
        return self.predicate is None or self.predicate(namespace, metric_name, dimensions)


def search_label(metric_name: str, dimensions: Mapping[str, str]) -> str:
    """A default label for one SEARCH result: its dimension values, else its metric name.

    UG:graph-dynamic-labels shows a search over ``{AWS/Lambda, FunctionName} Errors`` whose
    ``${LABEL}`` is the function name; AWS documents no fuller rule.
    """
    values = [value for _, value in sorted(dimensions.items())]
    return " ".join(values) if values else metric_name


# --------------------------------------------------------------------------- the parser

_SEARCH_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<lparen>\()
  | (?P<rparen>\))
  | (?P<eq>=)
  | (?P<quoted>"(?:\\.|[^"\\])*")
  | (?P<bare>[^\s()"=]+)
""", re.VERBOSE | re.DOTALL)


def _lex(text: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = _SEARCH_TOKEN.match(text, position)
        if match is None:
            raise SearchSyntaxError(f"Invalid search expression: unbalanced quote at position {position + 1}")
        if match.lastgroup != "ws":
            found.append((match.lastgroup or "", match.group()))
        position = match.end()
    return found


class _TermParser:
    def __init__(self, items: list[tuple[str, str]]):
        self.items = items
        self.index = 0
        self.depth = 0

    def peek(self) -> tuple[str, str] | None:
        return self.items[self.index] if self.index < len(self.items) else None

    def take(self) -> tuple[str, str]:
        item = self.items[self.index]
        self.index += 1
        return item

    def is_word(self, word: str) -> bool:
        return self.peek() == ("bare", word)

    def disjunction(self) -> Matcher:
        options = [self.conjunction()]
        while self.is_word("OR"):
            self.take()
            options.append(self.conjunction())
        if len(options) == 1:
            return options[0]
        return lambda ns, name, dims: any(option(ns, name, dims) for option in options)

    def conjunction(self) -> Matcher:
        terms = [self.negation()]
        while (item := self.peek()) is not None and item[0] != "rparen" and not self.is_word("OR"):
            if self.is_word("AND"):
                self.take()
            terms.append(self.negation())
        if len(terms) == 1:
            return terms[0]
        return lambda ns, name, dims: all(term(ns, name, dims) for term in terms)

    def negation(self) -> Matcher:
        if self.is_word("NOT"):
            self.take()
            self.nest()
            inner = self.negation()
            self.depth -= 1
            return lambda ns, name, dims: not inner(ns, name, dims)
        return self.atom()

    def nest(self) -> None:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise SearchSyntaxError("Invalid search expression: nested too deeply")

    def atom(self) -> Matcher:
        item = self.peek()
        if item is None or item[0] in ("rparen", "eq") or item in (("bare", "AND"), ("bare", "OR")):
            raise SearchSyntaxError("Invalid search expression: a search term is missing")
        kind, text = self.take()
        if kind == "lparen":
            self.nest()
            inner = self.disjunction()
            if self.peek() is None or self.take()[0] != "rparen":
                raise SearchSyntaxError("Invalid search expression: missing ')'")
            self.depth -= 1
            return inner
        exact = kind == "quoted"
        value = _unescape(text[1:-1]) if exact else text
        if self.peek() is not None and self.peek()[0] == "eq":
            self.take()
            if self.peek() is None or self.peek()[0] not in ("bare", "quoted"):
                raise SearchSyntaxError(f"Invalid search expression: no value after '{value}='")
            value_kind, value_text = self.take()
            if value_kind == "quoted":
                return _property_exact(value, _unescape(value_text[1:-1]))
            return _property_partial(value, value_text)
        return _exact(value) if exact else _partial(value)


def _strings(namespace: str, name: str, dims: Mapping[str, str]) -> list[str]:
    return [namespace, name, *dims.keys(), *dims.values()]


def _exact(value: str) -> Matcher:
    return lambda ns, name, dims: value in _strings(ns, name, dims)


def _partial(term: str) -> Matcher:
    return lambda ns, name, dims: any(partial_match(term, text) for text in _strings(ns, name, dims))


def _property_value(prop: str, ns: str, name: str, dims: Mapping[str, str]) -> str | None:
    if prop == "MetricName":
        return name
    if prop == "Namespace":
        return ns
    return dims.get(prop)


def _property_exact(prop: str, value: str) -> Matcher:
    return lambda ns, name, dims: _property_value(prop, ns, name, dims) == value


def _property_partial(prop: str, term: str) -> Matcher:
    def match(ns: str, name: str, dims: Mapping[str, str]) -> bool:
        found = _property_value(prop, ns, name, dims)
        return found is not None and partial_match(term, found)
    return match


def _schema(body: str) -> tuple[str, tuple[str, ...]]:
    names: list[str] = []
    for piece in re.findall(r'"(?:\\.|[^"\\])*"|[^,]+', body):
        piece = piece.strip()
        if piece.startswith('"') and piece.endswith('"') and len(piece) >= 2:
            piece = _unescape(piece[1:-1])
        if not piece:
            raise SearchSyntaxError("Invalid search expression: empty name in the metric schema")
        names.append(piece)
    if not names:
        raise SearchSyntaxError("Invalid search expression: the metric schema must contain a namespace")
    return names[0], tuple(names[1:])


def parse_search(text: str) -> SearchQuery:
    """Parse the first argument of SEARCH(...) into a :class:`SearchQuery`."""
    if len(text) > MAX_QUERY_LENGTH:
        raise SearchSyntaxError(f"The search expression exceeds the maximum length of {MAX_QUERY_LENGTH}")
    rest = text.strip()
    namespace: str | None = None
    dimension_names: tuple[str, ...] = ()
    if rest.startswith("{"):
        close = re.match(r'\{((?:"(?:\\.|[^"\\])*"|[^}"])*)\}', rest)
        if close is None:
            raise SearchSyntaxError("Invalid search expression: the metric schema is not closed with '}'")
        namespace, dimension_names = _schema(close.group(1))
        rest = rest[close.end():].strip()
        if rest.startswith(","):
            rest = rest[1:].strip()
    predicate: Matcher | None = None
    if rest:
        parser = _TermParser(_lex(rest))
        predicate = parser.disjunction()
        if parser.peek() is not None:
            raise SearchSyntaxError(f"Invalid search expression: unexpected '{parser.peek()[1]}'")
    elif namespace is None:
        raise SearchSyntaxError("Invalid search expression: give a metric schema, a search term, or both")
    return SearchQuery(text, namespace, dimension_names, predicate)
