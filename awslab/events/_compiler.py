"""Compile an event pattern's JSON text the way EventBridge's matcher (aws/event-ruler) does.

The functions below follow ``JsonRuleCompiler`` step for step, reading the pattern one Jackson token
at a time, because the order in which the ruler reads tokens decides *which* error a broken pattern
gets and *where* Jackson says it happened. The result is a tree of fields and ``$or`` groups whose
leaves are ``Operand`` values; ``patterns.py`` expands it into branches and matches events with it.

Two kinds of failure leave the ruler, and they behave differently:

* ``JsonParseError`` (Jackson's ``JsonParseException``, which the ruler's ``barf`` also throws)
  carries the Jackson location. ``GenericMachine.addRule`` answers it by compiling the pattern again
  with the legacy ``RuleCompiler``, which has no ``$or``: that is how ``{"$or": {...}}`` or a one-branch
  ``$or`` becomes an ordinary field named ``$or`` (event-ruler README, "The backward compatibility of
  using $or as field name"). ``compile_tree(text, or_enabled=False)`` is that legacy compiler.
* ``IllegalPattern`` (Java's ``IllegalArgumentException`` and ``ArithmeticException`` escaping the
  compiler: bad CIDR values, out-of-range ``anything-but`` numbers) has no location and no retry.

Sources: event-ruler ``JsonRuleCompiler.java``, ``RuleCompiler.java``, ``ComparableNumber.java``,
``CIDR.java`` and ``Constants.java``; the AWS-recorded messages in LocalStack's
``tests/aws/services/events/test_events_patterns.snapshot.json``.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Union

from ._jackson import JsonParseError, JsonReader, Tok
from ._wildcard import WildcardSyntaxError, check_syntax

OR_KEYWORD = "$or"
# Field names that may not appear inside an $or branch (event-ruler Constants.RESERVED_FIELD_NAMES...).
RESERVED_IN_OR = frozenset([
    "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard",
    "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case",
    "date-after", "date-on-or-after", "date-before", "date-on-or-before", "in-date-range",
    "ip-address-in-range", "ip-address-not-in-range",
])

_HALF_TRILLION = Decimal("5E11")     # ComparableNumber's range, +/- inclusive
_LONG_LIMIT = Decimal("9223372036854.775807")   # Long.MAX_VALUE / 1E6


class IllegalPattern(ValueError):
    """An ``IllegalArgumentException``/``ArithmeticException`` escaping the ruler: no location."""


# ---------------------------------------------------------------------------------------------
# Numbers (ComparableNumber)

def comparable(text: str) -> Decimal:
    """The ruler's ``ComparableNumber.generate``: the exact value, or ``IllegalPattern`` when the
    number has more than six decimals or lies outside +/-5.0E11 (event-ruler #166 moved this from
    ``double`` to exact decimal arithmetic, so 0.1234567 is refused rather than rounded)."""
    try:
        number = Decimal(text)
    except InvalidOperation as error:
        raise IllegalPattern(f"Not a number: {text}") from error
    if not number.is_finite():
        raise IllegalPattern("Overflow")
    sign, digits, exponent = number.as_tuple()
    if not any(digits):
        return Decimal(0)
    digits = list(digits)
    while digits[-1] == 0:                      # BigDecimal.stripTrailingZeros, without rounding
        digits.pop()
        exponent += 1
    if -exponent > 6:
        raise IllegalPattern("Only values upto 6 decimals are supported")
    number = Decimal((sign, tuple(digits), exponent))
    magnitude = number.copy_abs()
    if magnitude > _LONG_LIMIT:
        raise IllegalPattern("Overflow")          # BigDecimal.longValueExact after scaling by 1E6
    if magnitude > _HALF_TRILLION:
        raise IllegalPattern("Value must be between -5.0E11 and 5.0E11, inclusive")
    return number


def comparable_or_none(text: str) -> Decimal | None:
    try:
        return comparable(text)
    except IllegalPattern:
        return None


# ---------------------------------------------------------------------------------------------
# IP addresses (CIDR)

_IPV4 = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6 = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


def ip_address(text: str) -> tuple[int, int] | None:
    """``(bits, value)`` of an IP literal as the ruler reads it, or None if it is not one.

    Only strings shaped like the ruler's IPv4/IPv6 regexes are tried (no host names, zone ids or
    dotted IPv6 tails); IPv4-mapped IPv6 addresses are IPv4, as Java's ``InetAddress`` returns them.
    """
    if _IPV4.fullmatch(text):
        try:
            return 32, int(ipaddress.IPv4Address(text))
        except ValueError:
            return None
    if _IPV6.fullmatch(text):
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            return None
        if address.ipv4_mapped is not None:
            return 32, int(address.ipv4_mapped)
        return 128, int(address)
    return None


def _ip_bytes(text: str) -> tuple[int, int]:
    shaped = _IPV4.fullmatch(text) or _IPV6.fullmatch(text)
    parsed = ip_address(text) if shaped else None
    if shaped and parsed is None:
        raise IllegalPattern(f"Invalid IP address: {text}")
    if parsed is None:
        raise IllegalPattern(f"Nonstandard IP address: {text}")
    return parsed


_JAVA_INT = re.compile(r"[+-]?\d+")


def cidr_range(text: str) -> "Operand":
    """``{"cidr": text}`` as the ruler's ``CIDR.cidr`` reads it, with its error messages.

    The range runs from the address as written (host bits are *not* cleared) to that address with
    every host bit set.
    """
    parts = text.split("/")
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()                                # Java's String.split drops trailing empties
    if len(parts) != 2:
        raise IllegalPattern("Malformed CIDR, one '/' required")
    if not _JAVA_INT.fullmatch(parts[1]) or not -2 ** 31 <= int(parts[1]) < 2 ** 31:
        raise IllegalPattern("Malformed CIDR, mask bits must be an integer")
    mask = int(parts[1])
    if mask < 0:
        raise IllegalPattern("Malformed CIDR, mask bits must not be negative")
    bits, value = _ip_bytes(parts[0])
    if bits == 32 and mask > 31:
        raise IllegalPattern("IPv4 mask bits must be < 32")
    if bits == 128 and mask > 127:
        raise IllegalPattern("IPv6 mask bits must be < 128")
    host = (1 << (bits - mask)) - 1
    return Operand("ip", (bits, value, value | host))


# ---------------------------------------------------------------------------------------------
# The compiled form

@dataclass(frozen=True)
class Operand:
    """One match value of a field, in the ruler's vocabulary.

    ``kind`` is one of: ``exact`` (a string), ``number`` (literal text, comparable value or None),
    ``literal`` (``true``/``false``/``null``), ``ip`` (bits, low, high), ``prefix``, ``prefix-ic``,
    ``suffix``, ``suffix-ic``, ``equals-ic``, ``wildcard`` (a string each), ``numeric`` (low, low_open,
    high, high_open; None for an open end), ``anything-but`` (strings, numbers: frozensets),
    ``anything-but-prefix``, ``anything-but-suffix``, ``anything-but-ic``, ``anything-but-wildcard``
    (a tuple of strings each), ``exists`` (True/False).
    """

    kind: str
    value: object

    def describe(self) -> str:
        """The operand as a pattern author would write it (for explanations)."""
        kind, value = self.kind, self.value
        if kind == "exact":
            return f'"{value}"'
        if kind == "number":
            return str(value[0])
        if kind == "literal":
            return str(value)
        if kind == "ip":
            bits, low, high = value
            make = ipaddress.IPv4Address if bits == 32 else ipaddress.IPv6Address
            return str(make(low)) if low == high else f"cidr {make(low)}..{make(high)}"
        if kind == "numeric":
            low, low_open, high, high_open = value
            if low is not None and low == high:
                return f"numeric = {low}"
            ends = []
            if low is not None:
                ends.append(f"{'>' if low_open else '>='} {low}")
            if high is not None:
                ends.append(f"{'<' if high_open else '<='} {high}")
            return "numeric " + " and ".join(ends)
        if kind == "anything-but":
            strings, numbers = value
            shown = sorted(f'"{s}"' for s in strings) + sorted(str(n) for n in numbers)
            return "anything-but " + ", ".join(shown)
        if kind == "exists":
            return f"exists {str(value).lower()}"
        if isinstance(value, tuple):
            return f"{kind} " + ", ".join(f'"{v}"' for v in value)
        return f'{kind} "{value}"'


Field = tuple[str, tuple[Operand, ...]]
Tree = list[Union[Field, "OrGroup"]]


@dataclass
class OrGroup:
    """An ``$or`` array: each branch is a tree of its own."""

    branches: list[Tree]


# ---------------------------------------------------------------------------------------------
# The compiler

class _Compiler:
    def __init__(self, text: str, or_enabled: bool):
        self.reader = JsonReader(text)
        self.or_enabled = or_enabled

    def barf(self, reason: str) -> JsonParseError:
        return self.reader.error(reason)

    def next(self) -> Tok | None:
        return self.reader.next_token()

    def text(self) -> str:
        return self.reader.get_text()

    def compile(self) -> Tree:
        if self.next() is not Tok.START_OBJECT:
            raise self.barf("Filter is not an object")
        return self.parse_object([], in_or=False)

    def parse_object(self, path: list[str], *, in_or: bool) -> Tree:
        tree: Tree = []
        present = False
        while self.next() is not Tok.END_OBJECT:
            present = True
            step = self.reader.current_name or ""
            if self.or_enabled and step == OR_KEYWORD:
                tree.append(self.parse_or(path))
                continue
            if in_or and step in RESERVED_IN_OR:
                raise self.barf(f"{step} is Ruler reserved fieldName which cannot be used inside {OR_KEYWORD}.")
            token = self.next()
            if token is Tok.START_OBJECT:
                tree.extend(self.parse_object([*path, step], in_or=in_or))
            elif token is Tok.START_ARRAY:
                tree.append((".".join([*path, step]), self.write_rules()))
            else:
                raise self.barf(f'"{step}" must be an object or an array')
        if not present:
            raise self.barf("Empty objects are not allowed")
        return tree

    def parse_or(self, path: list[str]) -> OrGroup:
        if self.next() is not Tok.START_ARRAY:
            raise self.barf(f"It must be an Array followed with {OR_KEYWORD}.")
        branches: list[Tree] = []
        while (token := self.next()) is not Tok.END_ARRAY:
            if token is not Tok.START_OBJECT:
                raise self.barf(f"Only JSON object is allowed in array of {OR_KEYWORD} relationship.")
            branches.append(self.parse_object(path, in_or=True))
        if len(branches) < 2:
            raise self.barf(f"There must have at least 2 Objects in {OR_KEYWORD} relationship.")
        return OrGroup(branches)

    def write_rules(self) -> tuple[Operand, ...]:
        values: list[Operand] = []
        while (token := self.next()) is not Tok.END_ARRAY:
            if token is Tok.START_OBJECT:
                values.append(self.match_expression())
            elif token is Tok.STRING:
                text = self.text()
                address = ip_address(text)
                # An IP literal becomes a one-address range, so any spelling of it matches.
                values.append(Operand("ip", (address[0], address[1], address[1])) if address
                              else Operand("exact", text))
            elif token is not None and token.is_numeric:
                text = self.text()
                values.append(Operand("number", (text, comparable_or_none(text))))
            elif token in (Tok.TRUE, Tok.FALSE, Tok.NULL):
                values.append(Operand("literal", token.value))
            else:
                raise self.barf("Match value must be String, number, true, false, or null")
        if not values:
            raise self.barf("Empty arrays are not allowed")
        return tuple(values)

    def expect_end(self, reason: str = "Only one key allowed in match expression") -> None:
        if self.next() is not Tok.END_OBJECT:
            raise self.barf(reason)

    def string_operand(self, kind: str, complaint: str) -> Operand:
        if self.next() is not Tok.STRING:
            raise self.barf(complaint)
        operand = Operand(kind, self.text())
        self.expect_end()
        return operand

    def match_expression(self) -> Operand:
        if self.next() is not Tok.FIELD_NAME:
            raise self.barf("Match expression name not found")
        name = self.reader.current_name
        if name == "exactly":
            return self.string_operand("exact", "exact match pattern must be a string")
        if name in ("prefix", "suffix"):
            token = self.next()
            if token is Tok.START_OBJECT:
                return self.affix_ignore_case(name)
            if token is not Tok.STRING:
                raise self.barf(f"{name} match pattern must be a string")
            operand = Operand(name, self.text())
            self.expect_end()
            return operand
        if name == "numeric":
            if self.next() is not Tok.START_ARRAY:
                raise self.barf("Value of numeric must be an array.")
            operand = self.numeric()
            self.expect_end("Too many elements in numeric expression")
            return operand
        if name == "anything-but":
            return self.anything_but()
        if name == "exists":
            token = self.next()
            if token not in (Tok.TRUE, Tok.FALSE):
                raise self.barf("exists match pattern must be either true or false.")
            self.expect_end()
            return Operand("exists", token is Tok.TRUE)
        if name == "cidr":
            if self.next() is not Tok.STRING:
                raise self.barf("prefix match pattern must be a string")   # sic: the ruler's wording
            operand = cidr_range(self.text())
            self.expect_end()
            return operand
        if name == "equals-ignore-case":
            return self.string_operand("equals-ic", "equals-ignore-case match pattern must be a string")
        if name == "wildcard":
            if self.next() is not Tok.STRING:
                raise self.barf("wildcard match pattern must be a string")
            text = self.text()
            try:
                check_syntax(text)
            except WildcardSyntaxError as error:
                raise self.barf(str(error)) from None
            self.expect_end()
            return Operand("wildcard", text)
        raise self.barf(f"Unrecognized match type {name}")

    def affix_ignore_case(self, name: str) -> Operand:
        title = name.capitalize()
        if self.next() is not Tok.FIELD_NAME:
            raise self.barf(f"{title} expression name not found")
        inner = self.reader.current_name
        if inner != "equals-ignore-case":
            raise self.barf(f"Unsupported {name} pattern: {inner}")
        if self.next() is not Tok.STRING:
            raise self.barf("equals-ignore-case match pattern must be a string")
        operand = Operand(f"{name}-ic", self.text())
        self.expect_end()
        self.expect_end()
        return operand

    # -- numeric ---------------------------------------------------------------------------------

    def numeric(self) -> Operand:
        if self.next() is not Tok.STRING:
            raise self.barf(f"Invalid member in numeric match: {self.text()}")
        operator = self.text()
        token = self.next()
        try:
            if operator == "=":
                if token is None or not token.is_numeric:
                    raise self.barf("Value of equals must be numeric")
                text = self.text()
                if self.next() is not Tok.END_ARRAY:
                    raise self.barf("Too many elements in numeric expression")
                value = comparable(text)
                return Operand("numeric", (value, False, value, False))
            if operator in (">=", ">"):
                if token is None or not token.is_numeric:
                    raise self.barf(f"Value of {operator} must be numeric")
                bottom = self.text()
                token = self.next()
                if token is Tok.END_ARRAY:
                    return Operand("numeric", (comparable(bottom), operator == ">", None, False))
                return self.numeric_range(token, bottom, operator == ">")
            if operator in ("<=", "<"):
                if token is None or not token.is_numeric:
                    raise self.barf(f"Value of {operator} must be numeric")
                top = self.text()
                if self.next() is not Tok.END_ARRAY:
                    raise self.barf("Too many elements in numeric expression")
                return Operand("numeric", (None, False, comparable(top), operator == "<"))
            raise self.barf(f"Unrecognized numeric range operator: {operator}")
        except IllegalPattern as error:
            if str(error) == "Overflow":
                raise                               # ArithmeticException is not caught there
            raise self.barf(str(error)) from None

    def numeric_range(self, token: Tok | None, bottom: str, open_bottom: bool) -> Operand:
        if token is not Tok.STRING:
            raise self.barf(f"Bad value in numeric range: {self.text()}")
        operator = self.text()
        if operator not in ("<", "<="):
            raise self.barf(f"Bad numeric range operator: {operator}")
        token = self.next()
        if token is None or not token.is_numeric:
            raise self.barf(f"Value of {operator} must be numeric")
        top = self.text()
        if self.next() is not Tok.END_ARRAY:
            raise self.barf("Too many terms in numeric range expression")
        low, high = comparable(bottom), comparable(top)
        if low >= high:
            raise IllegalPattern("Bottom must be less than top")
        return Operand("numeric", (low, open_bottom, high, operator == "<"))

    # -- anything-but ----------------------------------------------------------------------------

    def anything_but(self) -> Operand:
        kind = "anything-but"
        token = self.next()
        if token is Tok.START_OBJECT:
            if self.next() is not Tok.FIELD_NAME:
                raise self.barf("Anything-But expression name not found")
            inner = self.reader.current_name
            suffixes = {"equals-ignore-case": "ic", "prefix": "prefix", "suffix": "suffix", "wildcard": "wildcard"}
            if inner not in suffixes:
                raise self.barf(f"Unsupported anything-but pattern: {inner}")
            kind = f"anything-but-{suffixes[inner]}"
            token = self.next()
        if token not in (Tok.START_ARRAY, Tok.STRING, Tok.INT, Tok.FLOAT):
            raise self.barf("Value of anything-but must be an array or single string/number value.")
        if kind == "anything-but":
            operand = self.anything_but_list() if token is Tok.START_ARRAY else self.anything_but_single(token)
        else:
            operand = self.anything_but_set(kind, token)
        self.expect_end("Too many elements in numeric expression")
        if kind != "anything-but":
            self.expect_end("Too many elements in numeric expression")
        return operand

    def anything_but_single(self, token: Tok) -> Operand:
        if token is Tok.STRING:
            return Operand("anything-but", (frozenset([self.text()]), frozenset()))
        # ComparableNumber errors are not caught here: they leave the compiler without a location.
        return Operand("anything-but", (frozenset(), frozenset([comparable(self.text())])))

    def anything_but_list(self) -> Operand:
        strings: set[str] = set()
        numbers: set[Decimal] = set()
        try:
            while (token := self.next()) is not Tok.END_ARRAY:
                if token is Tok.STRING:
                    strings.add(self.text())
                elif token is not None and token.is_numeric:
                    numbers.add(comparable(self.text()))
                else:
                    raise self.barf("Inside anything but list, start|null|boolean is not supported.")
        except (JsonParseError, IllegalPattern) as error:
            if str(error) == "Overflow":
                raise
            raise self.barf(str(error)) from None     # the ruler re-throws with a second location
        if bool(strings) == bool(numbers):
            raise self.barf("Inside anything but list, either all values are number or string, "
                            "mixed type is not supported")
        return Operand("anything-but", (frozenset(strings), frozenset(numbers)))

    def _set_value(self, kind: str, token: Tok | None) -> str:
        if token is Tok.STRING:
            text = self.text()
            if kind in ("anything-but-prefix", "anything-but-suffix") and text == "":
                raise self.barf("Null prefix/suffix not allowed")
            return text
        if kind == "anything-but-ic":
            raise self.barf("Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.")
        if kind == "anything-but-wildcard":
            raise self.barf("wildcard match pattern must be a string")
        raise self.barf("prefix/suffix match pattern must be a string")

    def anything_but_set(self, kind: str, token: Tok) -> Operand:
        values: list[str] = []
        if token is Tok.START_ARRAY:
            try:
                while (item := self.next()) is not Tok.END_ARRAY:
                    values.append(self._set_value(kind, item))
            except JsonParseError as error:
                raise self.barf(str(error)) from None
        else:
            values.append(self._set_value(kind, token))
        values = list(dict.fromkeys(values))
        if kind == "anything-but-wildcard":
            for value in values:
                try:
                    check_syntax(value)
                except WildcardSyntaxError as error:
                    raise self.barf(str(error)) from None
        return Operand(kind, tuple(values))


def compile_tree(text: str, *, or_enabled: bool = True) -> Tree:
    """Compile ``text``; raises ``JsonParseError`` or ``IllegalPattern`` with the ruler's message."""
    return _Compiler(text, or_enabled).compile()
