"""EventBridge event patterns: compile once, then match many events quickly and exactly as AWS does.

``compile_pattern(text)`` validates a pattern the way PutRule, CreateArchive and TestEventPattern do
and returns an ``EventPattern``; ``EventPattern.matches(event)`` answers whether an event matches.
PutEvents, TestEventPattern and archives should all use this one matcher. For many rules, put the
compiled patterns in a ``PatternSet``: it flattens each event once and skips rules that cannot match.

The semantics are aws/event-ruler's (the library EventBridge uses), pinned by the user guide pages
"Event patterns", "Content filtering in event patterns", "Arrays in event patterns", "Matching null
values and empty strings" and by AWS-recorded TestEventPattern results:

* A pattern mirrors the event's nesting; every leaf is an array of match values, OR-ed; fields are
  AND-ed; fields the pattern does not name are ignored. Nested names are joined with ``.``, so
  ``{"a": {"b": [...]}}`` and ``{"a.b": [...]}`` are the same field, in patterns and events alike.
* Matching is on leaf values only. An event array matches if any element matches; for arrays of
  objects, all fields of one branch must come from the same element ("array-consistent" matching).
* Strings compare byte for byte; ``300`` matches ``300.0`` and ``3.0e2`` but never ``"300"``;
  ``true``/``false``/``null`` match only themselves. A ``detail`` that is a JSON *string* is not parsed.
* Operators: prefix, suffix (both with an ``equals-ignore-case`` form), equals-ignore-case, wildcard,
  anything-but (values, prefix, suffix, equals-ignore-case, wildcard), numeric, cidr, exists, ``$or``.
  Errors use the ruler's reason text and Jackson's location, after ``Event pattern is not valid.
  Reason:``; duplicate keys keep the last one.

What this module deliberately does not copy: interactions *between different rules* on a bus that
share the ruler's byte machines (they cannot be seen through TestEventPattern), and the ruler's
conversion of IP-shaped event strings for non-CIDR operators that share a field with a CIDR.
"""

from __future__ import annotations

import json
import re
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any, Callable, Generic, Hashable, Iterable, Iterator, Mapping, TypeVar

from ..errors import AWSError
from ._compiler import IllegalPattern, Operand, OrGroup, Tree, comparable_or_none, compile_tree, ip_address
from ._jackson import JsonParseError
from ._wildcard import COMPLEXITY_LIMIT, TOO_COMPLEX, complexity, compile_regex

__all__ = [
    "MAX_PATTERN_LENGTH", "MAX_OR_COMBINATIONS", "REASON_PREFIX", "InvalidEventPattern",
    "EventPattern", "Explanation", "FlatEvent", "PatternSet", "compile_pattern", "flatten_event",
    "validate_test_event",
]

MAX_PATTERN_LENGTH = 4096          # PutRule EventPattern shape; the default quota is 2048 characters
MAX_OR_COMBINATIONS = 1000         # user guide: more $or combinations than this are refused
REASON_PREFIX = "Event pattern is not valid. Reason: "
OR_LIMIT_REASON = (f"Rule is too complex - the $or relationships create more than "
                   f"{MAX_OR_COMBINATIONS} combinations")
TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


class InvalidEventPattern(AWSError):
    """``InvalidEventPatternException``: ``reason`` is the ruler's text, ``message`` what AWS returns."""

    def __init__(self, reason: str):
        super().__init__("InvalidEventPatternException", REASON_PREFIX + reason, 400)
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Compiling

def compile_pattern(text: str, *, max_length: int = MAX_PATTERN_LENGTH) -> EventPattern:
    """Validate ``text`` as PutRule does and return its compiled ``EventPattern``.

    Raises ``InvalidEventPattern`` (code ``InvalidEventPatternException``) with AWS's message, or a
    ``ValidationException`` ``AWSError`` when the text is longer than ``max_length`` characters.
    Compiled patterns are cached by text, so compiling the same rule again is free.
    """
    if not isinstance(text, str):
        raise TypeError(f"an event pattern is JSON text, not {type(text).__name__}")
    if len(text) > max_length:
        raise AWSError("ValidationException",
                       f"1 validation error detected: Value '{text}' at 'eventPattern' failed to satisfy "
                       f"constraint: Member must have length less than or equal to {max_length}")
    return _compile(text)


@contextmanager
def _depth_for(text: str) -> Iterator[None]:
    """Room for the compiler's recursion: a 4096-character pattern can nest objects ~800 deep."""
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, len(text) + 1000))
    try:
        yield
    finally:
        sys.setrecursionlimit(limit)


@lru_cache(maxsize=2048)
def _compile(text: str) -> EventPattern:
    with _depth_for(text):
        return _build(text)


def _build(text: str) -> EventPattern:
    tree = _compile_tree(text)
    if _combinations(tree) > MAX_OR_COMBINATIONS:
        raise InvalidEventPattern(OR_LIMIT_REASON)
    branches = [dict(branch) for branch in _expand(tree, [{}])]
    _check_wildcard_complexity(branches)
    return EventPattern(text, branches)


def _compile_tree(text: str) -> Tree:
    try:
        return compile_tree(text)
    except IllegalPattern as error:
        raise InvalidEventPattern(str(error)) from None
    except JsonParseError as error:
        first = error
    if "$or" not in text and "\\u" not in text:
        raise InvalidEventPattern(first.text)
    # GenericMachine.addRule: on a JsonParseException, compile again without $or (legacy RuleCompiler).
    try:
        return compile_tree(text, or_enabled=False)
    except IllegalPattern as error:
        raise InvalidEventPattern(str(error)) from None
    except JsonParseError as error:
        raise InvalidEventPattern(error.text) from None


def _combinations(tree: Tree) -> int:
    total = 1
    for item in tree:
        if isinstance(item, OrGroup):
            total *= sum(_combinations(branch) for branch in item.branches)
            if total > MAX_OR_COMBINATIONS:
                return total
    return total


def _expand(tree: Tree, rules: list[dict]) -> list[dict]:
    """The ruler's sub-rules: fields go into every current rule, an ``$or`` forks them (last key wins)."""
    for item in tree:
        if isinstance(item, OrGroup):
            rules = [rule for branch in item.branches for rule in _expand(branch, [dict(r) for r in rules])]
        else:
            name, operands = item
            for rule in rules:
                rule[name] = operands
    return rules


def _java_order(name: str) -> bytes:
    # The ruler sorts field names as Java Strings: by UTF-16 code unit.
    return name.encode("utf-16-be", "surrogatepass")


def _check_wildcard_complexity(branches: list[dict]) -> None:
    """Rebuild which wildcards share a byte machine (same field after the same earlier fields)."""
    groups: dict[tuple, list[str]] = {}
    for branch in branches:
        path: tuple = ()
        for name in sorted(branch, key=_java_order):
            operands = branch[name]
            wildcards = [op.value for op in operands if op.kind == "wildcard"]
            if wildcards:
                groups.setdefault((path, name), []).extend(wildcards)
            path = (*path, (name, operands))
    for wildcards in groups.values():
        if complexity(wildcards, COMPLEXITY_LIMIT) > COMPLEXITY_LIMIT:
            raise InvalidEventPattern(TOO_COMPLEX)


# ---------------------------------------------------------------------------------------------
# Events, flattened the ruler's way

class Num:
    """A JSON number in an event: its literal text and, lazily, its comparable value."""

    __slots__ = ("text", "_value")

    def __init__(self, text: str):
        self.text = text
        self._value: Any = Num

    @property
    def value(self) -> Decimal | None:
        if self._value is Num:
            self._value = comparable_or_none(self.text)
        return self._value

    def __repr__(self) -> str:
        return self.text


@dataclass
class FlatEvent:
    """An event as name/value pairs: ``values[name]`` lists the leaf values found at ``name``.

    ``memberships[name][i]`` says which element of which array (``(array_id, index)`` pairs) the
    ``i``-th value came from; it is None when no value lies inside an array of objects or arrays,
    which lets matching skip the array-consistency search.
    """

    values: dict[str, list]
    memberships: dict[str, list[tuple]] | None


def _as_leaf(value: Any) -> Any:
    kind = type(value)
    if kind is str or kind is bool or value is None or kind is Num:
        return value
    if kind is int:
        return Num(str(value))
    if kind is float:
        return Num(repr(value))
    if isinstance(value, (int, float, Decimal)):
        return Num(str(value))
    raise TypeError(f"an event holds JSON values, not {kind.__name__}")


def _parse_event_text(text: str) -> Any:
    # Keep each number's literal text: the ruler matches [300] literally as well as numerically.
    return json.loads(text, parse_int=Num, parse_float=Num)


def flatten_event(event: Mapping[str, Any] | str, steps: Iterable[str] | None = None) -> FlatEvent:
    """Flatten an event (a dict, or its JSON text) into a ``FlatEvent``.

    ``steps`` are the key names any pattern uses (``EventPattern.steps``); keys outside them are
    skipped, as the ruler does, which makes big events cheap. Pass None to keep everything.
    """
    if isinstance(event, str):
        event = _parse_event_text(event)
    if not isinstance(event, Mapping):
        raise TypeError("an event is a JSON object")
    wanted = None if steps is None else steps if isinstance(steps, frozenset) else frozenset(steps)
    values: dict[str, list] = {}
    members: dict[str, list[tuple]] = {}
    nested = False
    arrays = 0
    # (is_array, node, path, membership): objects carry the "a.b." prefix, arrays their field name.
    pending: list[tuple[bool, Any, str, tuple]] = [(False, event, "", ())]
    while pending:
        is_array, node, path, membership = pending.pop()
        if is_array:
            array_id = arrays
            arrays += 1
            items = [(path, index, item) for index, item in enumerate(node)]
        else:
            items = [(path + key, None, value) for key, value in node.items()
                     if wanted is None or key in wanted or _dotted_key_used(key, wanted)]
        for name, index, value in items:
            member = membership if index is None else (*membership, (array_id, index))
            kind = type(value)
            if kind is dict or (kind is not list and kind not in _LEAF_TYPES and isinstance(value, Mapping)):
                pending.append((False, value, name + ".", member))
            elif kind is list:
                pending.append((True, value, name, member))
            else:
                leaf = _as_leaf(value)
                member = membership          # a scalar array element has no element identity
                found = values.get(name)
                if found is None:
                    values[name] = [leaf]
                    members[name] = [member]
                else:
                    found.append(leaf)
                    members[name].append(member)
                if member:
                    nested = True
    return FlatEvent(values, members if nested else None)


_LEAF_TYPES = frozenset([str, int, float, bool, type(None)])


def _dotted_key_used(key: str, wanted: frozenset[str]) -> bool:
    # An event key may itself contain dots ("state.status"); the ruler checks each part.
    return "." in key and all(part in wanted for part in key.split(".") if part)


def _merge(left: tuple, right: tuple) -> tuple | None:
    """Two array memberships combined, or None if they name different elements of one array."""
    if not left:
        return right
    if not right:
        return left
    combined = dict(left)
    for array_id, index in right:
        if combined.setdefault(array_id, index) != index:
            return None
    return tuple(sorted(combined.items()))


# ---------------------------------------------------------------------------------------------
# One field's match values

def _case_alternatives(char: str) -> list[str]:
    # The ruler folds case one UTF-16 unit at a time with Java's String.toLowerCase/toUpperCase.
    if ord(char) > 0xFFFF:
        return [char]
    return sorted({char.lower(), char.upper()}, key=len, reverse=True)


@lru_cache(maxsize=4096)
def _ignore_case_regex(text: str, anchor: str) -> re.Pattern[str]:
    body = "".join("(?:" + "|".join(map(re.escape, _case_alternatives(ch))) + ")" for ch in text)
    return re.compile({"full": body, "prefix": body, "suffix": body + r"\Z"}[anchor], re.DOTALL)


class FieldTest:
    """The compiled OR of one field's match values: ``matches(value)`` tests one leaf value."""

    def __init__(self, operands: tuple[Operand, ...]):
        self.operands = operands
        self.exists = any(op.kind == "exists" and op.value for op in operands)
        self.absent_ok = any(op.kind == "exists" and not op.value for op in operands)
        self.strings: frozenset[str] = frozenset(op.value for op in operands if op.kind == "exact")
        self.number_texts = frozenset(op.value[0] for op in operands if op.kind == "number")
        self.number_values = frozenset(op.value[1] for op in operands
                                       if op.kind == "number" and op.value[1] is not None)
        self.literals = frozenset(op.value for op in operands if op.kind == "literal")
        self.ips = tuple(op.value for op in operands if op.kind == "ip")
        self.ranges = tuple(op.value for op in operands if op.kind == "numeric")
        self.prefixes = tuple(op.value for op in operands if op.kind == "prefix")
        self.suffixes = tuple(op.value for op in operands if op.kind == "suffix")
        tests = []
        for op in operands:
            if op.kind == "equals-ic":
                tests.append(_ignore_case_regex(op.value, "full").fullmatch)
            elif op.kind == "prefix-ic":
                tests.append(_ignore_case_regex(op.value, "prefix").match)
            elif op.kind == "suffix-ic":
                tests.append(_ignore_case_regex(op.value, "suffix").search)
            elif op.kind == "wildcard":
                tests.append(compile_regex(op.value).fullmatch)
        self.string_tests = tuple(tests)
        self.but_strings = [op.value[0] for op in operands if op.kind == "anything-but" and op.value[0]]
        self.but_numbers = [op.value[1] for op in operands if op.kind == "anything-but" and op.value[1]]
        self.but_string_tests = [self._negated(op) for op in operands if op.kind.startswith("anything-but-")]
        # Anything-but excludes only values of its own type: every other value matches it.
        self.any_but = bool(self.but_strings or self.but_string_tests)
        self.exact_only = bool(operands) and all(op.kind == "exact" for op in operands)

    @staticmethod
    def _negated(op: Operand) -> Callable[[str], bool]:
        values = op.value
        if op.kind == "anything-but-prefix":
            return lambda v: not v.startswith(values)
        if op.kind == "anything-but-suffix":
            return lambda v: not v.endswith(values)
        if op.kind == "anything-but-ic":
            regexes = [_ignore_case_regex(value, "full").fullmatch for value in values]
        else:
            regexes = [compile_regex(value).fullmatch for value in values]
        return lambda v: not any(test(v) for test in regexes)

    def matches(self, value: Any) -> bool:
        if self.exists:
            return True
        kind = type(value)
        if kind is str:
            if value in self.strings:
                return True
            if self.prefixes and value.startswith(self.prefixes):
                return True
            if self.suffixes and value.endswith(self.suffixes):
                return True
            for test in self.string_tests:
                if test(value):
                    return True
            for excluded in self.but_strings:
                if value not in excluded:
                    return True
            for test in self.but_string_tests:
                if test(value):
                    return True
            if self.but_numbers:
                return True
            if self.ips:
                address = ip_address(value)
                if address is not None:
                    bits, number = address
                    return any(b == bits and low <= number <= high for b, low, high in self.ips)
            return False
        if kind is Num:
            if value.text in self.number_texts:
                return True
            number = value.value
            if number is not None:
                if number in self.number_values:
                    return True
                for low, low_open, high, high_open in self.ranges:
                    if low is not None and (number < low or (low_open and number == low)):
                        continue
                    if high is not None and (number > high or (high_open and number == high)):
                        continue
                    return True
            for excluded in self.but_numbers:
                if number is None or number not in excluded:
                    return True
            return self.any_but
        if self.any_but or self.but_numbers:
            return True
        literal = "null" if value is None else ("true" if value else "false")
        return literal in self.literals

    def describe(self) -> str:
        return "[" + ", ".join(op.describe() for op in self.operands) + "]"


Branch = tuple[tuple[str, FieldTest], ...]   # one $or branch: (field name, its test), in the ruler's order


def _show(value: Any) -> str:
    if type(value) is str:
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------------------------
# The compiled pattern

@dataclass(frozen=True)
class Explanation:
    """Why an event did or did not match: one reason per ``$or`` branch that failed."""

    matched: bool
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        return "matches" if self.matched else "\n".join(self.reasons)


class EventPattern:
    """A compiled event pattern. Build it with ``compile_pattern``; it is immutable and shareable."""

    def __init__(self, text: str, branches: list[dict[str, tuple[Operand, ...]]]):
        self.text = text
        tests: dict[tuple[Operand, ...], FieldTest] = {}
        self.branches: tuple[Branch, ...] = tuple(
            tuple((name, tests.setdefault(ops, FieldTest(ops))) for name, ops in
                  sorted(branch.items(), key=lambda item: _java_order(item[0])))
            for branch in branches)
        self.field_names = frozenset(name for branch in branches for name in branch)
        self.steps = frozenset(part for name in self.field_names for part in name.split("."))

    def __repr__(self) -> str:
        return f"EventPattern({self.text!r})"

    def flatten(self, event: Mapping[str, Any] | str) -> FlatEvent:
        """The event flattened for this pattern (only the keys it names)."""
        return flatten_event(event, self.steps)

    def matches(self, event: Mapping[str, Any] | str | FlatEvent) -> bool:
        """True if ``event`` (a dict, its JSON text, or a ``FlatEvent``) matches this pattern."""
        flat = event if isinstance(event, FlatEvent) else flatten_event(event, self.steps)
        for branch in self.branches:
            if self._branch_matches(branch, flat):
                return True
        return False

    def _branch_matches(self, branch: Branch, flat: FlatEvent) -> bool:
        values = flat.values
        if flat.memberships is None:
            for name, test in branch:
                found = values.get(name)
                if not found:
                    if test.absent_ok:
                        continue
                    return False
                matches = test.matches
                for value in found:
                    if matches(value):
                        break
                else:
                    return False
            return True
        return _search(branch, 0, (), flat)

    def explain(self, event: Mapping[str, Any] | str | FlatEvent) -> Explanation:
        """Whether ``event`` matches and, if not, the first failing field of each branch."""
        flat = event if isinstance(event, FlatEvent) else flatten_event(event, self.steps)
        if self.matches(flat):
            return Explanation(True, ())
        reasons = []
        for number, branch in enumerate(self.branches, start=1):
            label = f"branch {number}: " if len(self.branches) > 1 else ""
            reasons.append(label + _first_failure(branch, flat))
        return Explanation(False, tuple(reasons))


def _search(branch: Branch, position: int, membership: tuple, flat: FlatEvent) -> bool:
    """Array-consistent matching: the ruler's ACFinder, as a depth-first search over the fields."""
    if position == len(branch):
        return True
    name, test = branch[position]
    values = flat.values.get(name, ())
    members = flat.memberships.get(name, ()) if flat.memberships else ()
    if test.absent_ok and all(_merge(membership, m) is None for m in members):
        if _search(branch, position + 1, membership, flat):
            return True
    for value, member in zip(values, members):
        if test.matches(value):
            merged = _merge(membership, member)
            if merged is not None and _search(branch, position + 1, merged, flat):
                return True
    return False


def _first_failure(branch: Branch, flat: FlatEvent) -> str:
    for name, test in branch:
        found = flat.values.get(name)
        if not found:
            if test.absent_ok:
                continue
            return f"{name}: the event has no value at {name}, the pattern wants {test.describe()}"
        if not any(map(test.matches, found)):
            if test.absent_ok and test.operands == (Operand("exists", False),):
                return f"{name}: the pattern wants no value there, the event has {_show(found[0])}"
            shown = ", ".join(_show(v) for v in found[:5]) + (", ..." if len(found) > 5 else "")
            return f"{name}: {shown} does not match {test.describe()}"
    return ("every field has a matching value, but not from the same element of an array of "
            "objects (array-consistent matching)")


# ---------------------------------------------------------------------------------------------
# Many rules

K = TypeVar("K", bound=Hashable)


class PatternSet(Generic[K]):
    """Compiled patterns under keys (rule ARNs, say): ``matching(event)`` lists the keys that match.

    Each event is flattened once for all rules. Patterns whose every branch requires one of a few
    exact strings in one field (``"source": ["aws.ec2"]`` is typical) are indexed by those
    strings, so they are only evaluated for events that carry one of them.
    """

    def __init__(self) -> None:
        self._patterns: dict[K, EventPattern] = {}
        self._order: dict[K, int] = {}
        self._counter = 0
        self._index: dict[str, dict[str, set[K]]] = {}
        self._unindexed: set[K] = set()
        self._anchor: dict[K, tuple[str, frozenset[str]] | None] = {}
        self._steps: frozenset[str] | None = frozenset()

    def __len__(self) -> int:
        return len(self._patterns)

    def __contains__(self, key: object) -> bool:
        return key in self._patterns

    def add(self, key: K, pattern: EventPattern | str) -> EventPattern:
        """Add or replace the pattern under ``key``; a string is compiled first."""
        compiled = compile_pattern(pattern) if isinstance(pattern, str) else pattern
        if key in self._patterns:
            self.remove(key)
        self._patterns[key] = compiled
        self._order[key] = self._counter
        self._counter += 1
        anchor = _anchor(compiled)
        self._anchor[key] = anchor
        if anchor is None:
            self._unindexed.add(key)
        else:
            name, strings = anchor
            by_value = self._index.setdefault(name, {})
            for value in strings:
                by_value.setdefault(value, set()).add(key)
        self._steps = None
        return compiled

    def remove(self, key: K) -> None:
        if key not in self._patterns:
            return
        del self._patterns[key], self._order[key]
        anchor = self._anchor.pop(key)
        if anchor is None:
            self._unindexed.discard(key)
        else:
            name, strings = anchor
            for value in strings:
                self._index[name][value].discard(key)
        self._steps = None

    @property
    def steps(self) -> frozenset[str]:
        if self._steps is None:
            self._steps = frozenset(step for p in self._patterns.values() for step in p.steps)
        return self._steps

    def matching(self, event: Mapping[str, Any] | str) -> list[K]:
        """The keys whose patterns match ``event``, in the order they were added."""
        flat = flatten_event(event, self.steps)
        candidates = set(self._unindexed)
        for name, by_value in self._index.items():
            for value in flat.values.get(name, ()):
                if type(value) is str and value in by_value:
                    candidates.update(by_value[value])
        matched = [key for key in candidates if self._patterns[key].matches(flat)]
        matched.sort(key=self._order.__getitem__)
        return matched


def _anchor(pattern: EventPattern) -> tuple[str, frozenset[str]] | None:
    """A field every branch requires to equal one of some exact strings, preferring ``source``."""
    common: dict[str, set[str]] | None = None
    for branch in pattern.branches:
        exact = {name: set(test.strings) for name, test in branch if test.exact_only and not test.absent_ok}
        if common is None:
            common = exact
        else:
            common = {name: common[name] | exact[name] for name in common.keys() & exact.keys()}
    if not common:
        return None
    for preferred in ("source", "detail-type"):
        if preferred in common:
            return preferred, frozenset(common[preferred])
    name = min(common, key=lambda n: (len(common[n]), n))
    return name, frozenset(common[name])


# ---------------------------------------------------------------------------------------------
# TestEventPattern's event

def validate_test_event(text: str) -> dict[str, Any]:
    """The ``Event`` of TestEventPattern as a dict, or ``ValidationException`` as AWS answers it.

    The event must be a JSON object with ``id``, ``account``, ``source``, ``time``, ``region`` and
    ``detail-type`` (API reference, TestEventPattern; AWS accepts an event without ``resources``).
    Pass the same text to ``EventPattern.matches`` to keep each number's literal form.
    """
    try:
        event = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        event = None
    if not isinstance(event, dict) or any(field not in event for field in TEST_EVENT_FIELDS):
        raise AWSError("ValidationException", "Parameter Event is not valid.")
    return event
