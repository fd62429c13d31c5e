"""The ``wildcard`` operator: its syntax, its matching, and EventBridge's complexity limit.

Syntax (aws/event-ruler ``WildcardParser``, quoted in the EventBridge user guide's
"Wildcard matching" section): ``*`` matches any run of characters, ``\\*`` is a literal star and
``\\\\`` a literal backslash. Two stars in a row and a backslash before anything else are errors;
the ruler reports the position as the index of the first offending byte in the UTF-8 bytes of the
*quoted* value (``"`` + pattern + ``"``), so ``arn:aws:events:us-east-1:**`` fails "at pos 26".

Complexity: EventBridge rejects a rule whose wildcards would make matching slow with
``Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences
after a wildcard character`` (user guide, "Wildcard matching complexity"). The ruler measures it
with ``MachineComplexityEvaluator``: the most wildcard-pattern prefixes that one input could keep
alive at the same time in the field's byte machine. ``complexity`` rebuilds that byte machine's
shape (a shared trie up to each pattern's first star, one shared star state per trie node,
separate states after it, and a "skip the star" edge for each literal following a star) and
explores it. The limit is not published; 10 reproduces every AWS-recorded case we have
(``*:*:*:*:*:event-bus/*`` rejected, ``/Users/*/dir/dir/dir/dir/dir/doc.txt`` and four
``*.ext`` alternatives accepted, four ``*/datasync/*.ext`` alternatives rejected).
"""

from __future__ import annotations

import re
from functools import lru_cache

COMPLEXITY_LIMIT = 10
TOO_COMPLEX = ("Rule is too complex - try using fewer wildcard characters or fewer repeating "
               "character sequences after a wildcard character")

_STAR = 256


class WildcardSyntaxError(ValueError):
    """The ruler's ``ParseException`` for a malformed wildcard value."""


def _utf8(text: str) -> bytes:
    # Java's String.getBytes(UTF_8) turns a lone surrogate into '?'.
    return text.encode("utf-8", errors="replace")


def check_syntax(pattern: str) -> None:
    """Raise ``WildcardSyntaxError`` with the ruler's message if ``pattern`` is malformed."""
    data = b'"' + _utf8(pattern) + b'"'
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x2A:
            if i + 1 < len(data) and data[i + 1] == 0x2A:
                raise WildcardSyntaxError(f"Consecutive wildcard characters at pos {i}")
        elif byte == 0x5C:
            if i + 1 < len(data) and data[i + 1] in (0x2A, 0x5C):
                i += 2
                continue
            raise WildcardSyntaxError(f"Invalid escape character at pos {i}")
        i += 1


@lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> re.Pattern[str]:
    """A regex that fully matches the strings ``pattern`` matches (syntax already checked)."""
    parts: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern):
            literal.append(pattern[i + 1])
            i += 2
            continue
        if ch == "*":
            parts.append(re.escape("".join(literal)))
            literal = []
        else:
            literal.append(ch)
        i += 1
    parts.append(re.escape("".join(literal)))
    return re.compile(".*".join(parts), re.DOTALL)


def _tokens(pattern: str) -> list[int]:
    data = b'"' + _utf8(pattern) + b'"'
    out: list[int] = []
    i = 0
    while i < len(data):
        byte = data[i]
        if byte == 0x2A:
            out.append(_STAR)
        elif byte == 0x5C and i + 1 < len(data):
            i += 1
            out.append(data[i])
        else:
            out.append(byte)
        i += 1
    return out


class _State:
    __slots__ = ("literal", "star_edges", "weight", "trie", "star")

    def __init__(self) -> None:
        self.literal: dict[int, list[int]] = {}
        self.star_edges: list[int] = []     # states entered on any byte (a star and its loop)
        self.weight: set[str] = set()       # wildcard patterns that pass through this state
        self.trie: dict[int, int] = {}      # determinate-prefix children
        self.star = 0                       # the shared star state after this trie node


def complexity(patterns: list[str], limit: int = COMPLEXITY_LIMIT) -> int:
    """The ruler's complexity for one field's wildcard patterns; stops counting past ``limit``."""
    states = [_State()]
    finals: dict[str, int] = {}
    alphabet: set[int] = set()
    for pattern in dict.fromkeys(patterns):
        tokens = _tokens(pattern)
        current = previous = 0
        determinate = True
        for i, token in enumerate(tokens):
            terminal = i == len(tokens) - 1
            first_star = False
            nxt = 0
            if terminal:
                nxt = finals.get(pattern, 0)
            elif token == _STAR:
                first_star = determinate
                if determinate:
                    nxt = states[current].star
                determinate = False
            elif determinate:
                nxt = states[current].trie.get(token, 0)
            created = nxt == 0
            if created:
                nxt = len(states)
                states.append(_State())
                if terminal:
                    finals[pattern] = nxt
                elif first_star:
                    states[current].star = nxt
                elif determinate:
                    states[current].trie[token] = nxt
            if token == _STAR:
                if not states[nxt].star_edges:
                    states[current].star_edges.append(nxt)
                    states[nxt].star_edges.append(nxt)
            elif terminal or created:
                alphabet.add(token)
                states[current].literal.setdefault(token, []).append(nxt)
                if i > 0 and tokens[i - 1] == _STAR:
                    # A star may match nothing: the literal after it is also reachable from before it.
                    states[previous].literal.setdefault(token, []).append(nxt)
            states[nxt].weight.add(pattern)
            previous, current = current, nxt
    if len(states) == 1:
        return 0
    inputs = [_STAR, *sorted(alphabet)]     # _STAR stands for every byte no literal edge uses
    seen: set[frozenset[int]] = set()
    pending: list[frozenset[int]] = [frozenset((0,))]
    worst = 0
    while pending:
        active = pending.pop()
        for byte in inputs:
            reached: set[int] = set()
            for state in active:
                reached.update(states[state].star_edges)
                if byte != _STAR:
                    reached.update(states[state].literal.get(byte, ()))
            if not reached:
                continue
            size = 0
            for state in reached:
                size += len(states[state].weight)
                for star in states[state].star_edges:
                    if star not in reached:
                        size += len(states[star].weight)
            if size > limit:
                return size
            worst = max(worst, size)
            key = frozenset(reached)
            if key not in seen:
                seen.add(key)
                pending.append(key)
    return worst

