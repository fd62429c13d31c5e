"""``%regex%`` filter patterns: the documented subset, rewritten for Python and for RE2 (DuckDB).

LG:FilterAndPatternSyntax, "Supported regular expressions (regex) syntax": alphanumerics, the symbols
``: _ # = @ / ; , -``, the operators ``^ $ ? [ ] { } | \\ * + .``, no ``(``/``)`` groups, no multi-byte characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .patterns_tree import _Invalid

_REGEX_SYMBOLS = set(":_#=@/;,- ")  # the documented symbols; the page's own examples also use a space
_REGEX_OPERATORS = set("^$?[]{}|\\*+.")
_SHORTHAND_OUTSIDE = {
    "d": "[0-9]", "D": "[^0-9]", "w": "[0-9A-Za-z_]", "W": "[^0-9A-Za-z_]",
    "s": "[\\t\\n\\x0b\\f\\r ]", "S": "[^\\t\\n\\x0b\\f\\r ]",
}
_SHORTHAND_INSIDE = {"d": "0-9", "w": "0-9A-Za-z_", "s": "\\t\\n\\x0b\\f\\r ", "D": "\\D", "W": "\\W", "S": "\\S"}
_CONTROL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_MAX_REPEAT = 1000  # RE2's limit on a counted repetition


def _lit(ch: str) -> str:
    """A character as a regex atom both Python's ``re`` and RE2 read the same way."""
    return ch if ch.isascii() and ch.isalnum() else f"\\x{ord(ch):02x}"


@dataclass(frozen=True)
class Regex:
    """A ``%...%`` regular expression, rewritten for Python (per message) and RE2 (DuckDB, in bulk).

    Only the documented subset is accepted: alphanumerics, the listed symbols and operators, no ``(`` or
    ``)``, no multi-byte characters. Shorthands are rewritten to explicit ASCII classes so both engines agree.
    """

    source: str
    python: str
    re2: str

    def __str__(self) -> str:
        return f"%{self.source}%"


def _compile_regex(source: str) -> Regex:
    if not source:
        raise _Invalid("an empty regular expression")
    for ch in source:
        if not ch.isascii():
            raise _Invalid("regular expressions may not contain multi-byte characters")
        if not (ch.isalnum() or ch in _REGEX_SYMBOLS or ch in _REGEX_OPERATORS):
            raise _Invalid(f"character {ch!r} is not supported in a regular expression")
    py: list[str] = []
    r2: list[str] = []
    i, n = 0, len(source)
    can_repeat = False  # is there an atom a quantifier may apply to?
    while i < n:
        ch = source[i]
        if ch == "|":
            py.append("|"); r2.append("|"); can_repeat = False; i += 1
        elif ch in "*+?{":
            if not can_repeat:
                raise _Invalid(f"quantifier {ch!r} has nothing to repeat")
            if ch == "{":
                close = source.find("}", i)
                body = source[i + 1 : close] if close != -1 else ""
                m = re.fullmatch(r" *([0-9]*) *(,)? *([0-9]*) *", body)
                if close == -1 or not m or (not m.group(1) and not m.group(3)) or (not m.group(2) and not m.group(1)):
                    raise _Invalid("a malformed {m,n} quantifier")
                lo = int(m.group(1) or 0)
                hi = m.group(3)
                if lo > _MAX_REPEAT or (hi and (int(hi) > _MAX_REPEAT or int(hi) < lo)):
                    raise _Invalid("a {m,n} quantifier out of range")
                q = "{%d%s%s}" % (lo, "," if m.group(2) else "", hi)
                i = close + 1
            else:
                q = ch
                i += 1
            if i < n and source[i] == "?":  # a lazy quantifier: same matches, allowed by both engines
                q += "?"
                i += 1
            if i < n and source[i] in "*+?{":
                raise _Invalid("a quantifier may not follow another quantifier")
            py.append(q); r2.append(q); can_repeat = False
        elif ch == "^":
            py.append("^"); r2.append("^"); can_repeat = False; i += 1
        elif ch == "$":
            py.append(r"\Z"); r2.append("$"); can_repeat = False; i += 1  # RE2's $ is Python's \Z
        elif ch == ".":
            py.append("."); r2.append("."); can_repeat = True; i += 1
        elif ch == "\\":
            atom, i = _regex_escape(source, i, inside=False)
            py.append(atom); r2.append(atom); can_repeat = True
        elif ch == "[":
            atom, i = _regex_class(source, i)
            py.append(atom); r2.append(atom); can_repeat = True
        elif ch in "]}":
            raise _Invalid(f"unbalanced {ch!r} in a regular expression")
        else:
            py.append(_lit(ch)); r2.append(_lit(ch)); can_repeat = True; i += 1
    python, re2 = "".join(py), "".join(r2)
    try:
        re.compile(python, re.ASCII)
    except re.error as exc:  # pragma: no cover - the subset above is always valid; keep AWS's error anyway
        raise _Invalid(f"invalid regular expression: {exc}") from exc
    return Regex(source, python, re2)


def _regex_escape(source: str, i: int, *, inside: bool) -> tuple[str, int]:
    if i + 1 >= len(source):
        raise _Invalid("a regular expression may not end with '\\'")
    e = source[i + 1]
    if e in _SHORTHAND_OUTSIDE:
        return (_SHORTHAND_INSIDE if inside else _SHORTHAND_OUTSIDE)[e], i + 2
    if e == "x":
        hexdigits = source[i + 2 : i + 4]
        if not re.fullmatch(r"[0-9A-Fa-f]{2}", hexdigits):
            raise _Invalid("\\x needs two hexadecimal digits")
        return _lit(chr(int(hexdigits, 16))), i + 4
    if e in _CONTROL_ESCAPES:
        return _lit(_CONTROL_ESCAPES[e]), i + 2
    if e.isalnum():
        raise _Invalid(f"unsupported escape \\{e} in a regular expression")
    return _lit(e), i + 2


def _regex_class(source: str, i: int) -> tuple[str, int]:
    j = i + 1
    negate = j < len(source) and source[j] == "^"
    if negate:
        j += 1
    parts: list[str] = []
    prev_char: str | None = None  # last single character, for a following range
    while True:
        if j >= len(source):
            raise _Invalid("an unterminated [ character class")
        ch = source[j]
        if ch == "]":
            break
        if ch == "\\":
            e = source[j + 1] if j + 1 < len(source) else ""
            if e in _SHORTHAND_INSIDE:
                parts.append(_SHORTHAND_INSIDE[e]); prev_char = None; j += 2
                continue
            atom, j = _regex_escape(source, j, inside=True)
            prev_char = chr(int(atom[2:], 16)) if atom.startswith("\\x") else atom
            parts.append(atom)
            continue
        if ch == "-" and prev_char is not None and j + 1 < len(source) and source[j + 1] != "]":
            hi = source[j + 1]
            if hi == "\\":
                atom, k = _regex_escape(source, j + 1, inside=True)
                if not atom.startswith("\\x") and len(atom) != 1:
                    raise _Invalid("a character range may not end in a shorthand class")
                hi_char = chr(int(atom[2:], 16)) if atom.startswith("\\x") else atom
            else:
                hi_char, k = hi, j + 2
            if ord(hi_char) < ord(prev_char):
                raise _Invalid("a character range out of order")
            parts.append("-" + _lit(hi_char)); prev_char = None; j = k
            continue
        parts.append(_lit(ch)); prev_char = ch; j += 1
    if not parts:
        raise _Invalid("an empty [] character class")
    return "[" + ("^" if negate else "") + "".join(parts) + "]", j + 1
