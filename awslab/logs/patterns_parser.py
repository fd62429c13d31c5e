"""The filter-pattern parser: hand-written recursive descent, one method per grammar rule.

Grammar from LG:FilterAndPatternSyntax: unstructured terms, JSON ``{ SELECTOR OP VALUE }`` conditions with
``&&``/``||``/parentheses, space-delimited ``[field, field = value, ...]`` patterns, and ``%regex%`` values.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from .patterns_regex import _compile_regex
from .patterns_tree import (
    And,
    Check,
    Comparison,
    Condition,
    DelimitedField,
    Or,
    Selector,
    Term,
    Value,
    _comparisons,
    _Invalid,
    _NUMBER_RE,
)

_TERM_CHARS = re.compile(r"[A-Za-z0-9_]+")
_BARE_VALUE = re.compile(r"[A-Za-z0-9_.*+\-:/]+")
_FIELD_NAME = re.compile(r"[A-Za-z0-9_]+")
_KEY_NAME = re.compile(r"[A-Za-z0-9_\-]+")
_OPS = ("!=", "<=", ">=", "=", "<", ">")


class _Parser:
    """A hand-written recursive-descent parser over the pattern text, one method per grammar rule."""

    def __init__(self, text: str):
        self.text = text
        self.i = 0
        self.regexes = 0
        self.wildcard_selectors = 0

    # -- low-level helpers
    def skip_ws(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def peek(self, s: str) -> bool:
        self.skip_ws()
        return self.text.startswith(s, self.i)

    def take(self, s: str) -> bool:
        if self.peek(s):
            self.i += len(s)
            return True
        return False

    def at_end(self) -> bool:
        self.skip_ws()
        return self.i >= len(self.text)

    def quoted(self) -> str:
        """A double-quoted string starting at the cursor; ``\\"`` and ``\\\\`` are escapes."""
        assert self.text[self.i] == '"'
        j = self.i + 1
        out: list[str] = []
        while j < len(self.text):
            ch = self.text[j]
            if ch == "\\" and j + 1 < len(self.text) and self.text[j + 1] in '"\\':
                out.append(self.text[j + 1]); j += 2
            elif ch == '"':
                self.i = j + 1
                return "".join(out)
            else:
                out.append(ch); j += 1
        raise _Invalid("an unterminated quoted string")

    # -- unstructured terms
    def terms(self) -> list[Term]:
        terms: list[Term] = []
        while not self.at_end():
            role: Literal["include", "exclude", "optional"] = "include"
            if self.text[self.i] == "-":
                role = "exclude"; self.i += 1; self.skip_ws()
            elif self.text[self.i] == "?":
                role = "optional"; self.i += 1
            if self.i >= len(self.text) or self.text[self.i].isspace():
                raise _Invalid("an operator without a term")
            if self.text[self.i] == '"':
                terms.append(Term(self.quoted(), role, True))
                continue
            j = self.i
            while j < len(self.text) and not self.text[j].isspace():
                j += 1
            word = self.text[self.i : j]
            if not _TERM_CHARS.fullmatch(word):
                # The attested AWS wording for a bad unquoted term.
                raise _Invalid(f"unquoted term {word!r} has characters other than letters, digits and _",
                               f"Invalid character(s) in term '{word}'")
            terms.append(Term(word, role, False))
            self.i = j
        return terms

    # -- values shared by JSON and space-delimited patterns
    def value(self) -> Value:
        self.skip_ws()
        if self.i >= len(self.text):
            raise _Invalid("a condition without a value")
        ch = self.text[self.i]
        if ch == '"':
            text = self.quoted()
            return Value("any" if text == "*" else "string", text, quoted=True)
        if ch == "%":
            end = self.text.find("%", self.i + 1)
            if end == -1:
                raise _Invalid("an unterminated %regex%")
            self.regexes += 1
            if self.regexes > 2:
                raise _Invalid("more than 2 regular expressions in one JSON or space-delimited pattern")
            regex = _compile_regex(self.text[self.i + 1 : end])
            self.i = end + 1
            return Value("regex", regex.source, regex=regex)
        m = _BARE_VALUE.match(self.text, self.i)
        if not m:
            j = self.i
            while j < len(self.text) and not self.text[j].isspace() and self.text[j] not in ",)]}&|":
                j += 1
            bad = self.text[self.i : max(j, self.i + 1)]
            raise _Invalid(f"value {bad!r} must be quoted", f"Invalid character(s) in term '{bad}'")
        text = m.group(0)
        self.i = m.end()
        if self.i < len(self.text) and not self.text[self.i].isspace() and self.text[self.i] not in ",)]}&|":
            bad = text + self.text[self.i]
            raise _Invalid(f"value {bad!r} must be quoted", f"Invalid character(s) in term '{bad}'")
        if text == "*":
            return Value("any", text)
        return Value("number" if _NUMBER_RE.fullmatch(text) else "string", text)

    def op(self) -> str:
        self.skip_ws()
        for op in _OPS:
            if self.text.startswith(op, self.i):
                self.i += len(op)
                return op
        raise _Invalid("expected one of = != < <= > >=")

    def comparison(self, target: Selector | str) -> Comparison:
        op = self.op()
        value = self.value()
        if op not in ("=", "!=") and value.kind != "number":
            raise _Invalid(f"{op} needs a number")
        return Comparison(target, op, value)  # type: ignore[arg-type]

    # -- JSON patterns
    def selector(self) -> Selector:
        self.skip_ws()
        start = self.i
        if not self.text.startswith("$", self.i):
            raise _Invalid("a JSON condition must start with a $ selector")
        self.i += 1
        steps: list[tuple[Any, ...]] = []
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch == "." and self.text.startswith(".[", self.i):
                self.i += 1  # $.['cluster.name'] is the page's form of bracket notation
                continue
            if ch == ".":
                self.i += 1
                if self.text.startswith("*", self.i):
                    steps.append(("keys",)); self.i += 1
                    continue
                m = _KEY_NAME.match(self.text, self.i)
                if not m:
                    raise _Invalid("a selector needs a property name after '.'")
                steps.append(("key", m.group(0))); self.i = m.end()
            elif ch == "[":
                m = re.compile(r"\[(?:([0-9]+)|(\*)|'([^'\"\\]*)'|\"([^'\"\\]*)\")\]").match(self.text, self.i)
                if not m:
                    raise _Invalid("a selector needs [number], [*] or ['name']")
                if m.group(1) is not None:
                    if not steps:
                        raise _Invalid("array elements must follow a property")
                    steps.append(("index", int(m.group(1))))
                elif m.group(2):
                    if not steps:
                        raise _Invalid("array elements must follow a property")
                    steps.append(("items",))
                else:
                    steps.append(("key", m.group(3) if m.group(3) is not None else m.group(4)))
                self.i = m.end()
            else:
                break
        if not steps:
            raise _Invalid("a selector must name a property")
        sel = Selector(self.text[start : self.i], tuple(steps))
        if sel.wildcards > 1:
            raise _Invalid("at most one wildcard in a property selector")
        self.wildcard_selectors += sel.wildcards
        if self.wildcard_selectors > 3:
            raise _Invalid("at most three wildcard selectors in a filter pattern")
        return sel

    def json_or(self) -> Condition:
        parts = [self.json_and()]
        while self.take("||"):
            parts.append(self.json_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def json_and(self) -> Condition:
        parts = [self.json_unary()]
        while self.take("&&"):
            parts.append(self.json_unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def json_unary(self) -> Condition:
        if self.take("("):
            inner = self.json_or()
            if not self.take(")"):
                raise _Invalid("an unbalanced '('")
            return inner
        sel = self.selector()
        self.skip_ws()
        m = re.compile(r"(IS\s+(NULL|TRUE|FALSE)|NOT\s+EXISTS)\b", re.IGNORECASE).match(self.text, self.i)
        if m:
            self.i = m.end()
            check = "NOT EXISTS" if m.group(0).upper().startswith("NOT") else "IS " + m.group(2).upper()
            return Check(sel, check)  # type: ignore[arg-type]
        if re.compile(r"(IS|EXISTS)\b", re.IGNORECASE).match(self.text, self.i):
            raise _Invalid("IS NOT and EXISTS are not supported; use NOT EXISTS, IS NULL, IS TRUE or IS FALSE")
        return self.comparison(sel)

    # -- space-delimited patterns
    def delimited_fields(self, inner: str) -> list[DelimitedField]:
        pieces: list[str] = []
        depth_quote = False
        in_regex = False
        start = 0
        k = 0
        while k < len(inner):
            ch = inner[k]
            if ch == "\\" and depth_quote:
                k += 2
                continue
            if ch == '"' and not in_regex:
                depth_quote = not depth_quote
            elif ch == "%" and not depth_quote:
                in_regex = not in_regex
            elif ch == "," and not depth_quote and not in_regex:
                pieces.append(inner[start:k]); start = k + 1
            k += 1
        pieces.append(inner[start:])
        fields: list[DelimitedField] = []
        for piece in pieces:
            text = piece.strip()
            if text == "...":
                fields.append(DelimitedField(ellipsis=True))
            elif not text:
                fields.append(DelimitedField())
            elif _FIELD_NAME.fullmatch(text):
                fields.append(DelimitedField(name=text))
            else:
                sub = _Parser(text)
                sub.regexes = self.regexes
                cond = sub.delimited_or()
                if not sub.at_end():
                    raise _Invalid(f"unexpected text in field {text!r}")
                self.regexes = sub.regexes
                names = {c.target for c in _comparisons(cond)}
                if len(names) != 1:
                    raise _Invalid("the conditions of one field must all name that field")
                fields.append(DelimitedField(name=str(names.pop()), condition=cond))
        return fields

    def delimited_or(self) -> Condition:
        parts = [self.delimited_and()]
        while self.take("||"):
            parts.append(self.delimited_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def delimited_and(self) -> Condition:
        parts: list[Condition] = [self.delimited_comparison()]
        while self.take("&&"):
            parts.append(self.delimited_comparison())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def delimited_comparison(self) -> Comparison:
        self.skip_ws()
        m = _FIELD_NAME.match(self.text, self.i)
        if not m:
            raise _Invalid("a field condition must start with the field's name")
        self.i = m.end()
        return self.comparison(m.group(0))
