"""Composite alarms: the AlarmRule language, parsed into a tree and evaluated against child states.

Sources: PutCompositeAlarm (API reference, ``AlarmRule``) and the User Guide pages "Composite
alarms" / "Creating a composite alarm":

* functions ``ALARM(x)``, ``OK(x)``, ``INSUFFICIENT_DATA(x)`` are TRUE when alarm ``x`` (a name or
  an ARN, "can be surrounded with double-quotes, but do not have to be") is in that state;
  ``TRUE`` and ``FALSE``; operators ``AND``, ``OR``, ``NOT``; parentheses;
* ``AT_LEAST(n | "n%", [NOT] STATE, (x, y, ...))`` (added to CloudWatch in November 2025; the
  form CDK renders): at least n (or n percent) of the listed alarms are (not) in STATE;
* at most 100 child alarms and 500 elements ("Elements are child alarms, TRUE or FALSE
  statements, and parentheses. A pair of parentheses counts as one element."); AlarmRule is 1 to
  10240 characters; every referenced alarm must exist when the composite is saved;
* a composite alarm is ALARM when its rule is TRUE and OK otherwise; it is INSUFFICIENT_DATA only
  between creation and its first evaluation; it is re-evaluated when a child changes state, and
  "the evaluation of composite alarms stops if CloudWatch detects a cycle".

Error texts recorded from AWS (ValidationError, HTTP 400)::

    Error in AlarmRule [Unsupported token ')' at char 1]                 -- for "()"
    Error in AlarmRule [Unsupported token 'Oldest' at char 67, must be: ')']
    Could not save the composite alarm as alarms [gone] in the alarm rule do not exist

"char" is the 0-based index of the offending token. Where AWS's wording is not on record (end of
input, the limits, AT_LEAST's threshold) the messages follow the same pattern (lab choice), as
does the precedence NOT > AND > OR, and keywords are matched case-insensitively (the user guide
itself breaks cycles by setting a rule to ``False``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime, timezone

from ..errors import AWSError

ALARM = "ALARM"
OK = "OK"
INSUFFICIENT_DATA = "INSUFFICIENT_DATA"
STATES = (ALARM, OK, INSUFFICIENT_DATA)

MAX_RULE_LENGTH = 10240
MAX_CHILDREN = 100
MAX_ELEMENTS = 500


# --- the tree ---------------------------------------------------------------------------------------

class _Node:
    """Equality, hashing and repr without recursion: a rule of 10240 characters can nest deeper
    than Python's recursion limit allows for the dataclass-generated methods."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Node) and _flatten(self) == _flatten(other)

    def __hash__(self) -> int:
        return hash(_flatten(self))

    def __repr__(self) -> str:
        return _repr(self)


@dataclass(frozen=True, eq=False, repr=False)
class Constant(_Node):
    """``TRUE`` or ``FALSE``."""
    value: bool


@dataclass(frozen=True, eq=False, repr=False)
class StateCheck(_Node):
    """``ALARM(x)``, ``OK(x)`` or ``INSUFFICIENT_DATA(x)``: alarm ``x`` (as written, unquoted) is in ``state``."""
    state: str
    alarm: str


@dataclass(frozen=True, eq=False, repr=False)
class AtLeast(_Node):
    """``AT_LEAST(threshold, [NOT] state, (alarms...))``; ``percent`` makes the threshold a percentage."""
    threshold: float
    percent: bool
    state: str
    negated: bool
    alarms: tuple[str, ...]


@dataclass(frozen=True, eq=False, repr=False)
class Not(_Node):
    operand: Node


@dataclass(frozen=True, eq=False, repr=False)
class And(_Node):
    operands: tuple[Node, ...]


@dataclass(frozen=True, eq=False, repr=False)
class Or(_Node):
    operands: tuple[Node, ...]


Node = Constant | StateCheck | AtLeast | Not | And | Or


def _children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, (And, Or)):
        return node.operands
    return ()


def _leaf_repr(node: Node) -> str:
    if isinstance(node, Constant):
        return f"Constant(value={node.value!r})"
    if isinstance(node, StateCheck):
        return f"StateCheck(state={node.state!r}, alarm={node.alarm!r})"
    assert isinstance(node, AtLeast)
    return (f"AtLeast(threshold={node.threshold!r}, percent={node.percent!r}, state={node.state!r}, "
            f"negated={node.negated!r}, alarms={node.alarms!r})")


def _flatten(root: Node) -> tuple:
    """The tree in prefix order, each node as (kind, fields-or-arity)."""
    out: list = []
    stack = [root]
    while stack:
        node = stack.pop()
        children = _children(node)
        out.append((type(node).__name__, len(children)) if children or isinstance(node, (And, Or))
                   else (type(node).__name__,) + tuple(getattr(node, f.name) for f in fields(node)))
        stack.extend(reversed(children))
    return tuple(out)


def _repr(root: Node) -> str:
    parts: list[str] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        children = _children(node)
        if not isinstance(node, (Not, And, Or)):
            parts.append(_leaf_repr(node))
        elif not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
        else:
            inner = parts[len(parts) - len(children):]
            del parts[len(parts) - len(children):]
            if isinstance(node, Not):
                parts.append(f"Not(operand={inner[0]})")
            else:
                items = ", ".join(inner) + ("," if len(inner) == 1 else "")
                parts.append(f"{type(node).__name__}(operands=({items}))")
    return parts[0]


@dataclass(frozen=True)
class AlarmRule:
    """A parsed AlarmRule: the text as given and its tree.

    Consecutive NOTs fold by parity and chains of one operator flatten into one node, so the
    tree's depth is bounded by the rule's parentheses.
    """

    text: str
    tree: Node

    @property
    def alarms(self) -> tuple[str, ...]:
        """The referenced alarms, as written (names or ARNs), in order of first appearance."""
        seen: dict[str, None] = {}
        for node in _walk(self.tree):
            if isinstance(node, StateCheck):
                seen.setdefault(node.alarm)
            elif isinstance(node, AtLeast):
                for alarm in node.alarms:
                    seen.setdefault(alarm)
        return tuple(seen)

    def evaluate(self, states: Mapping[str, str]) -> bool:
        """The rule's truth, given each child's state (keyed by name or ARN)."""
        return _truth(self.tree, states)

    def state(self, states: Mapping[str, str]) -> str:
        """ALARM when the rule is TRUE, otherwise OK."""
        return ALARM if self.evaluate(states) else OK


# --- parsing ----------------------------------------------------------------------------------------

def rule_error(message: str) -> AWSError:
    return AWSError("ValidationError", f"Error in AlarmRule [{message}]")


_FUNCTIONS = {"ALARM": ALARM, "OK": OK, "INSUFFICIENT_DATA": INSUFFICIENT_DATA}
_PRECEDENCE = {"OR": 1, "AND": 2, "NOT": 3}
_WORD_END = frozenset(' \t\r\n\f\v()",')


@dataclass(frozen=True)
class _Token:
    kind: str          # "(" ")" "," "word" "string" "end"
    text: str          # as written, for messages
    value: str         # unquoted value (words: as written)
    pos: int


class _Scanner:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0

    def _skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def next(self, ref: bool = False, list_item: bool = False) -> _Token:
        """The next token. In ``ref`` mode an unquoted alarm name runs to whitespace, a
        parenthesis or a quote (commas included, except inside AT_LEAST's list)."""
        self._skip_space()
        text, start = self.text, self.pos
        if start >= len(text):
            return _Token("end", "", "", start)
        char = text[start]
        if char in "(),":
            self.pos += 1
            return _Token(char, char, char, start)
        if char == '"':
            value, i = [], start + 1
            while i < len(text) and text[i] != '"':
                if text[i] == "\\" and i + 1 < len(text):
                    i += 1
                value.append(text[i])
                i += 1
            if i >= len(text):
                raise rule_error(f"Unsupported token '{text[start:]}' at char {start}")
            self.pos = i + 1
            return _Token("string", text[start:self.pos], "".join(value), start)
        stops = _WORD_END - ({","} if ref and not list_item else set())
        i = start
        while i < len(text) and text[i] not in stops:
            i += 1
        self.pos = i
        return _Token("word", text[start:i], text[start:i], start)


def _unexpected(token: _Token, must_be: str | None = None) -> AWSError:
    tail = f", must be: {must_be}" if must_be else ""
    if token.kind == "end":
        return rule_error(f"Unexpected end of AlarmRule at char {token.pos}{tail}")
    return rule_error(f"Unsupported token '{token.text}' at char {token.pos}{tail}")


def parse_alarm_rule(text: str) -> AlarmRule:
    """Parse and validate an AlarmRule, raising AWS's ValidationError for a bad one.

    >>> parse_alarm_rule("ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)").alarms
    ('CPUUtilizationTooHigh', 'DeploymentInProgress')
    """
    if len(text) > MAX_RULE_LENGTH:
        raise AWSError("ValidationError", f"1 validation error detected: Value '{text}' at 'alarmRule' "
                                          f"failed to satisfy constraint: Member must have length less than "
                                          f"or equal to {MAX_RULE_LENGTH}")
    scanner = _Scanner(text)
    operands: list[Node] = []
    operators: list[str] = []          # "AND", "OR", "NOT", "("
    elements = 0
    children: set[str] = set()
    expect_operand = True

    def reduce_top() -> None:
        op = operators.pop()
        if op == "NOT":
            operand = operands.pop()
            operands.append(operand.operand if isinstance(operand, Not) else Not(operand))
            return
        right, left = operands.pop(), operands.pop()
        kind = And if op == "AND" else Or
        parts = (left.operands if isinstance(left, kind) else (left,)) + \
                (right.operands if isinstance(right, kind) else (right,))
        operands.append(kind(parts))

    def count(element_children: Iterable[str] = (), n: int = 1) -> None:
        nonlocal elements
        elements += n
        children.update(alarm_name(c) for c in element_children)
        if len(children) > MAX_CHILDREN:
            raise rule_error(f"The AlarmRule can specify as many as {MAX_CHILDREN} child alarms")
        if elements > MAX_ELEMENTS:
            raise rule_error(f"The AlarmRule can have as many as {MAX_ELEMENTS} elements")

    while True:
        token = scanner.next()
        word = token.value.upper() if token.kind == "word" else None
        if expect_operand:
            if word == "NOT":
                operators.append("NOT")
            elif token.kind == "(":
                count()
                operators.append("(")
            elif word in ("TRUE", "FALSE"):
                count()
                operands.append(Constant(word == "TRUE"))
                expect_operand = False
            elif word in _FUNCTIONS:
                alarm = _call_argument(scanner)
                count([alarm])
                operands.append(StateCheck(_FUNCTIONS[word], alarm))
                expect_operand = False
            elif word == "AT_LEAST":
                node = _at_least(scanner)
                count(node.alarms, len(node.alarms) + 1)
                operands.append(node)
                expect_operand = False
            else:
                raise _unexpected(token)
            continue
        if word in ("AND", "OR"):
            while operators and operators[-1] != "(" and _PRECEDENCE[operators[-1]] >= _PRECEDENCE[word]:
                reduce_top()
            operators.append(word)
            expect_operand = True
        elif token.kind == ")":
            while operators and operators[-1] != "(":
                reduce_top()
            if not operators:
                raise _unexpected(token)
            operators.pop()
        elif token.kind == "end":
            while operators:
                if operators[-1] == "(":
                    raise _unexpected(token, "')'")
                reduce_top()
            return AlarmRule(text, operands[0])
        else:
            raise _unexpected(token)


def _expect(scanner: _Scanner, kind: str) -> _Token:
    token = scanner.next()
    if token.kind != kind:
        raise _unexpected(token, f"'{kind}'")
    return token


def _reference(scanner: _Scanner, list_item: bool = False) -> str:
    token = scanner.next(ref=True, list_item=list_item)
    if token.kind not in ("word", "string") or not token.value:
        raise _unexpected(token)
    return token.value


def _call_argument(scanner: _Scanner) -> str:
    _expect(scanner, "(")
    alarm = _reference(scanner)
    _expect(scanner, ")")
    return alarm


def _at_least(scanner: _Scanner) -> AtLeast:
    _expect(scanner, "(")
    token = scanner.next()
    if token.kind not in ("word", "string"):
        raise _unexpected(token)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(%?)\s*", token.value)
    if not match:
        raise _unexpected(token)
    threshold, percent = float(match.group(1)), bool(match.group(2))
    if threshold <= 0 or (percent and threshold > 100) or (not percent and not threshold.is_integer()):
        raise rule_error(f"Invalid AT_LEAST threshold '{token.text}' at char {token.pos}")
    _expect(scanner, ",")
    token = scanner.next()
    negated = token.kind == "word" and token.value.upper() == "NOT"
    if negated:
        token = scanner.next()
    state = _FUNCTIONS.get(token.value.upper()) if token.kind == "word" else None
    if state is None:
        raise _unexpected(token, "ALARM, OK, or INSUFFICIENT_DATA")
    _expect(scanner, ",")
    _expect(scanner, "(")
    alarms = [_reference(scanner, list_item=True)]
    while (token := scanner.next()).kind == ",":
        alarms.append(_reference(scanner, list_item=True))
    if token.kind != ")":
        raise _unexpected(token, "')'")
    _expect(scanner, ")")
    if not percent and threshold > len(alarms):
        raise rule_error(f"Invalid AT_LEAST threshold '{match.group(0).strip()}': the rule lists "
                         f"{len(alarms)} alarms")
    return AtLeast(threshold, percent, state, negated, tuple(alarms))


# --- evaluation -------------------------------------------------------------------------------------

_ARN = re.compile(r"arn:[^:]+:cloudwatch:[^:]*:[^:]*:alarm:(.+)", re.DOTALL)


def alarm_name(reference: str) -> str:
    """The alarm name a rule reference points at: the reference itself, or the name in an ARN."""
    match = _ARN.fullmatch(reference)
    return match.group(1) if match else reference


def _state_of(states: Mapping[str, str], reference: str) -> str:
    # Lab choice: a child that no longer exists counts as INSUFFICIENT_DATA.
    return states.get(reference) or states.get(alarm_name(reference)) or INSUFFICIENT_DATA


def _at_least_holds(node: AtLeast, states: Mapping[str, str]) -> bool:
    hits = sum(1 for a in node.alarms if (_state_of(states, a) == node.state) != node.negated)
    if node.percent:
        return hits * 100 >= node.threshold * len(node.alarms)
    return hits >= node.threshold


def _truth(root: Node, states: Mapping[str, str]) -> bool:
    values: list[bool] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if isinstance(node, Constant):
            values.append(node.value)
        elif isinstance(node, StateCheck):
            values.append(_state_of(states, node.alarm) == node.state)
        elif isinstance(node, AtLeast):
            values.append(_at_least_holds(node, states))
        elif not expanded:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(_children(node)))
        else:
            count = len(_children(node))
            operands = values[len(values) - count:]
            del values[len(values) - count:]
            values.append(not operands[0] if isinstance(node, Not)
                          else all(operands) if isinstance(node, And) else any(operands))
    return values[0]


def _walk(node: Node) -> Iterable[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_children(current)))


def evaluate_alarm_rule(rule: AlarmRule | str, states: Mapping[str, str]) -> str:
    """The composite alarm's state (ALARM or OK) for the given child states."""
    parsed = rule if isinstance(rule, AlarmRule) else parse_alarm_rule(rule)
    return parsed.state(states)


def triggering_alarms(rule: AlarmRule, states: Mapping[str, str]) -> list[str]:
    """The referenced alarms whose state supports the rule's current outcome (for
    StateReasonData's ``triggeringAlarms``), in order of appearance. (Lab choice: AWS does not
    define the set.)"""
    outcome = rule.evaluate(states)
    found: dict[str, None] = {}
    stack: list[tuple[Node, bool]] = [(rule.tree, True)]
    while stack:
        node, positive = stack.pop()
        wanted = outcome if positive else not outcome
        if isinstance(node, StateCheck):
            if (_state_of(states, node.alarm) == node.state) == wanted:
                found.setdefault(node.alarm)
        elif isinstance(node, AtLeast):
            for alarm in node.alarms:
                if ((_state_of(states, alarm) == node.state) != node.negated) == wanted:
                    found.setdefault(alarm)
        elif isinstance(node, Not):
            stack.append((node.operand, not positive))
        elif isinstance(node, (And, Or)):
            stack.extend((o, positive) for o in reversed(node.operands))
    return list(found)


def missing_alarms(rule: AlarmRule, existing: Iterable[str]) -> list[str]:
    """Referenced alarms (as written) that do not exist among ``existing`` names."""
    known = set(existing)
    return [a for a in rule.alarms if a not in known and alarm_name(a) not in known]


def check_alarms_exist(rule: AlarmRule, existing: Iterable[str]) -> None:
    """PutCompositeAlarm's check that every child exists, with AWS's error."""
    gone = missing_alarms(rule, existing)
    if gone:
        raise AWSError("ValidationError", "Could not save the composite alarm as alarms "
                                          f"[{', '.join(gone)}] in the alarm rule do not exist")


# --- which composites to re-evaluate, and in what order ---------------------------------------------

def _dependents(rules: Mapping[str, AlarmRule]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for composite, rule in rules.items():
        for child in rule.alarms:
            graph.setdefault(alarm_name(child), set()).add(composite)
    return graph


def cyclic_composites(rules: Mapping[str, AlarmRule]) -> set[str]:
    """Composites on, or depending on, a cycle of composites: CloudWatch stops evaluating them."""
    dependents = _dependents(rules)
    indegree = {c: sum(1 for a in rules[c].alarms if alarm_name(a) in rules) for c in rules}
    ready = [c for c, d in indegree.items() if d == 0]
    while ready:
        done = ready.pop()
        for parent in dependents.get(done, ()):
            indegree[parent] -= sum(1 for a in rules[parent].alarms if alarm_name(a) == done)
            if indegree[parent] == 0:
                ready.append(parent)
    return {c for c, d in indegree.items() if d > 0}


def affected_composites(rules: Mapping[str, AlarmRule], changed: str) -> list[str]:
    """The composites to re-evaluate after alarm ``changed`` changed state, children before
    parents, leaving out composites caught in a cycle."""
    dependents = _dependents(rules)
    cyclic = cyclic_composites(rules)
    affected: set[str] = set()
    frontier = [alarm_name(changed)]
    while frontier:
        for parent in dependents.get(frontier.pop(), ()):
            if parent not in affected and parent not in cyclic:
                affected.add(parent)
                frontier.append(parent)
    order, placed = [], set()
    pending = sorted(affected)
    while pending:
        progress = [c for c in pending
                    if all(alarm_name(a) not in affected or alarm_name(a) in placed for a in rules[c].alarms)]
        order.extend(progress)
        placed.update(progress)
        pending = [c for c in pending if c not in placed]
    return order


# --- what AWS writes on a composite's state change --------------------------------------------------

def composite_state_reason(new_state: str, *, composite_arn: str | None = None,
                           trigger_arn: str | None = None, trigger_state: str | None = None,
                           trigger_time: datetime | None = None) -> str:
    """The composite's StateReason: ``<child ARN> transitioned to ALARM at Sunday 30 October,
    2022 20:47:35 UTC``, or on creation ``<composite ARN> was created and its alarm rule
    evaluates to OK`` (both recorded from AWS)."""
    if trigger_arn is None:
        return f"{composite_arn} was created and its alarm rule evaluates to {new_state}"
    if trigger_time is None:
        raise ValueError("a child's transition needs its time")
    when = trigger_time.astimezone(timezone.utc)
    # English names whatever the process locale, as AWS writes them.
    day = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")[when.weekday()]
    month = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
             "October", "November", "December")[when.month - 1]
    return (f"{trigger_arn} transitioned to {trigger_state} at {day} {when:%d} {month}, "
            f"{when:%Y %H:%M:%S} UTC")


def composite_state_reason_data(triggering: Sequence[tuple[str, str, datetime]]) -> str:
    """``{"triggeringAlarms":[{"arn":…,"state":{"value":…,"timestamp":…}}]}`` from
    (arn, state, state timestamp) triples."""
    from .alarm_evaluation import json_time, to_json
    return to_json({"triggeringAlarms": [
        {"arn": arn, "state": {"value": state, "timestamp": json_time(ts, millis=True)}}
        for arn, state, ts in triggering]})
