"""A streaming JSON reader that reports errors and positions the way Jackson does.

EventBridge validates event patterns with aws/event-ruler, which reads the pattern with Jackson's
streaming parser (``ReaderBasedJsonParser``) and throws ``JsonParseException`` at the parser's
*current* position. AWS returns that exception's text verbatim after
``Event pattern is not valid. Reason:``, for example::

    "int" must be an object or an array
     at [Source: (String)"{"int": 42}"; line: 1, column: 11]

To give the same text, this reader reproduces the parts of Jackson that decide it:

* which input a token consumes: after a field name Jackson already scans the *value's* first token
  (a number or literal is read whole, a string only up to its opening quote, and the rest of the
  string is read lazily when its text is asked for or the next token is requested);
* line and column counting (1-based, columns in UTF-16 code units, ``\\r\\n`` is one line break);
* the wording of its syntax errors (``Unrecognized token``, ``Unexpected character``,
  ``Unexpected end-of-input``...) and of the ``[Source: (String)"..."]`` location, which shows
  at most 500 characters of the pattern.

Only what the rule compilers need is here: no comments, no non-standard features (event-ruler
enables none of them), no root-level values other than the first.
"""

from __future__ import annotations

import unicodedata
from enum import Enum

_SNIPPET = 500          # Jackson's ErrorReportConfiguration.DEFAULT_MAX_RAW_CONTENT_LENGTH
_MAX_TOKEN = 256        # Jackson's DEFAULT_MAX_ERROR_TOKEN_LENGTH
_VALID_TOKENS = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"


class Tok(Enum):
    """Jackson's JsonToken values that the rule compilers look at."""

    START_OBJECT = "{"
    END_OBJECT = "}"
    START_ARRAY = "["
    END_ARRAY = "]"
    FIELD_NAME = "name"
    STRING = "string"
    INT = "int"
    FLOAT = "float"
    TRUE = "true"
    FALSE = "false"
    NULL = "null"

    @property
    def is_numeric(self) -> bool:
        return self is Tok.INT or self is Tok.FLOAT


class JsonParseError(Exception):
    """Jackson's ``JsonParseException``: ``reason`` plus the location, as ``getMessage()`` joins them."""

    def __init__(self, reason: str, location: str):
        super().__init__(f"{reason}\n at {location}")
        self.reason = reason
        self.location = location

    @property
    def text(self) -> str:
        return str(self)


def _utf16_len(text: str) -> int:
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _char_desc(ch: str) -> str:
    """Jackson's ``_getCharDesc``: how an offending character is named in a message."""
    code = ord(ch)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"(CTRL-CHAR, code {code})"
    if code > 255:
        return f"'{ch}' (code {code} / 0x{code:x})"
    return f"'{ch}' (code {code})"


def _is_identifier_part(ch: str) -> bool:
    """Java's ``Character.isJavaIdentifierPart``: how far Jackson reads an unrecognized token."""
    code = ord(ch)
    if code <= 0x08 or 0x0E <= code <= 0x1B or 0x7F <= code <= 0x9F:
        return True                                   # "identifier-ignorable" control characters
    return unicodedata.category(ch) in _IDENTIFIER_PART


def _is_identifier_start(ch: str) -> bool:
    """Java's ``Character.isJavaIdentifierStart``."""
    return unicodedata.category(ch) in _IDENTIFIER_START


_IDENTIFIER_START = frozenset(["Lu", "Ll", "Lt", "Lm", "Lo", "Nl", "Sc", "Pc"])
_IDENTIFIER_PART = _IDENTIFIER_START | {"Nd", "Mn", "Mc", "Cf"}


def _source_description(text: str) -> str:
    shown = text[:_SNIPPET]
    out = ['(String)"']
    for ch in shown:
        code = ord(ch)
        if (code < 0x20 or 0x7F <= code <= 0x9F) and ch not in "\r\n":
            out.append(f"\\u{code:04x}")      # Jackson escapes control characters except CR and LF
        else:
            out.append(ch)
    out.append('"')
    if len(text) > _SNIPPET:
        out.append(f"[truncated {_utf16_len(text) - _utf16_len(shown)} chars]")
    return "".join(out)


class JsonReader:
    """Reads one JSON text token by token, with Jackson's positions and error messages."""

    def __init__(self, text: str):
        self.text = text
        self.ptr = 0                    # index of the next unread character
        self.row = 1
        self.row_start = 0
        self.current: Tok | None = None
        self.current_name: str | None = None
        self._pending: Tok | None = None          # value token scanned after a field name
        self._string_open = False                 # a string token whose text is not read yet
        self._string_value: str | None = None
        self._number_text: str | None = None
        # Each open container: (is_object, expecting_comma, start_row, start_column)
        self._stack: list[list] = []
        self._source = _source_description(text)

    # -- positions and errors -------------------------------------------------------------------

    def location(self, ptr: int | None = None, row: int | None = None, row_start: int | None = None) -> str:
        ptr = self.ptr if ptr is None else ptr
        row = self.row if row is None else row
        row_start = self.row_start if row_start is None else row_start
        column = _utf16_len(self.text[row_start:ptr]) + 1
        return f"[Source: {self._source}; line: {row}, column: {column}]"

    def error(self, reason: str) -> JsonParseError:
        """The exception event-ruler's ``barf`` raises: ``reason`` at the current position."""
        return JsonParseError(reason, self.location())

    def _unexpected(self, ch: str, comment: str | None) -> JsonParseError:
        """``_reportUnexpectedChar``: since Jackson 2.17 located *at* the character, not after it
        (AWS records ``{'bad': ...`` as failing at column 2)."""
        if ch == "":
            return self._eof("")
        reason = f"Unexpected character ({_char_desc(ch)})"
        if comment:
            reason += ": " + comment
        return JsonParseError(reason, self.location(self.ptr - 1))

    def _eof(self, detail: str) -> JsonParseError:
        return self.error("Unexpected end-of-input" + detail)

    # -- low level reading ----------------------------------------------------------------------

    def _read(self) -> str:
        """The next character, or '' at the end of the input."""
        if self.ptr >= len(self.text):
            return ""
        ch = self.text[self.ptr]
        self.ptr += 1
        return ch

    def _newline(self, ch: str) -> None:
        if ch == "\r" and self.ptr < len(self.text) and self.text[self.ptr] == "\n":
            self.ptr += 1
        self.row += 1
        self.row_start = self.ptr

    def _skip_ws(self) -> str:
        """Jackson's ``_skipWSOrEnd``: the next significant character ('' at end of input)."""
        while True:
            ch = self._read()
            if ch == "":
                return ""
            if ch > " ":
                if ch == "/":
                    raise self._unexpected(ch, "maybe a (non-standard) comment? (not recognized as one "
                                               "since Feature 'ALLOW_COMMENTS' not enabled for parser)")
                return ch
            if ch in "\n\r":
                self._newline(ch)
            elif ch not in " \t":
                raise self.error(f"Illegal character ({_char_desc(ch)}): only regular white space "
                                 "(\\r, \\n, \\t) is allowed between tokens")

    def _type_desc(self) -> str:
        return "Object" if self._stack[-1][0] else "Array"

    # -- tokens ---------------------------------------------------------------------------------

    def next_token(self) -> Tok | None:
        """Jackson's ``nextToken()``; ``None`` at the end of the root value's input."""
        if self.current is Tok.FIELD_NAME:
            token, self._pending = self._pending, None
            if token is Tok.START_OBJECT or token is Tok.START_ARRAY:
                self._stack.append(self._opened)
            self.current = token
            return token
        if self._string_open:
            self._finish_string()
        ch = self._skip_ws()
        if ch == "":
            if self._stack:
                is_object, _, row, column = self._stack[-1]
                marker = "Object" if is_object else "Array"
                start = f"[Source: {self._source}; line: {row}, column: {column}]"
                raise self._eof(f": expected close marker for {marker} (start marker at {start})")
            self.current = None
            return None
        if ch in "]}":
            return self._close(ch)
        if self._stack and self._stack[-1][1]:
            if ch != ",":
                raise self._unexpected(ch, f"was expecting comma to separate {self._type_desc()} entries")
            ch = self._skip_ws()
            if ch == "":
                raise self._eof(f" within/between {self._type_desc()} entries")
        in_object = bool(self._stack) and self._stack[-1][0]
        if self._stack:
            self._stack[-1][1] = True
        if in_object:
            if ch != '"':
                raise self._unexpected(ch, "was expecting double-quote to start field name")
            self.current_name = self._parse_string(name=True)
            ch = self._skip_ws()
            if ch != ":":
                if ch == "":
                    raise self._eof(f" within/between {self._type_desc()} entries")
                raise self._unexpected(ch, "was expecting a colon to separate field name and value")
            ch = self._skip_ws()
            if ch == "":
                raise self._eof(f" within/between {self._type_desc()} entries")
            self._pending = self._value(ch, in_object=True)
            self.current = Tok.FIELD_NAME
            return Tok.FIELD_NAME
        token = self._value(ch, in_object=False)
        self.current = token
        return token

    def _close(self, ch: str) -> Tok:
        if not self._stack:
            expected = "}" if ch == "]" else "]"
            raise self.error(f"Unexpected close marker '{ch}': expected '{expected}' (for root starting at "
                             f"[Source: {self._source}; line: 1, column: 0])")
        is_object, _, row, column = self._stack[-1]
        if is_object != (ch == "}"):
            expected = "}" if is_object else "]"
            what = "Object" if is_object else "Array"
            start = f"[Source: {self._source}; line: {row}, column: {column}]"
            raise self.error(f"Unexpected close marker '{ch}': expected '{expected}' "
                             f"(for {what} starting at {start})")
        self._stack.pop()
        self.current = Tok.END_OBJECT if is_object else Tok.END_ARRAY
        return self.current

    def _value(self, ch: str, *, in_object: bool) -> Tok:
        """Scan the first token of a value whose first character ``ch`` was just read."""
        column = _utf16_len(self.text[self.row_start:self.ptr])
        if ch == '"':
            self._string_open = True
            self._string_value = None
            return Tok.STRING
        if ch in "[{":
            opened = [ch == "{", False, self.row, column]
            if in_object:
                self._opened = opened          # pushed when the value token is handed out
            else:
                self._stack.append(opened)
            return Tok.START_OBJECT if ch == "{" else Tok.START_ARRAY
        if ch == "}":
            raise self._unexpected(ch, "expected a value")
        if ch == "t":
            self._match("true")
            return Tok.TRUE
        if ch == "f":
            self._match("false")
            return Tok.FALSE
        if ch == "n":
            self._match("null")
            return Tok.NULL
        if ch == "-" or "0" <= ch <= "9":
            return self._number(ch)
        if ch in "NI":
            word = "NaN" if ch == "N" else "Infinity"
            self._match(word)
            raise self.error(f"Non-standard token '{word}': enable "
                             "`JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS` to allow")
        if _is_identifier_start(ch):
            raise self._invalid_token(ch)
        raise self._unexpected(ch, f"expected a valid value {_VALID_TOKENS}")

    def _match(self, word: str) -> None:
        """Jackson's ``_matchToken``: the rest of a literal, then no identifier character after it."""
        for i in range(1, len(word)):
            if self.ptr >= len(self.text) or self.text[self.ptr] != word[i]:
                raise self._invalid_token(word[:i])
            self.ptr += 1
        if self.ptr < len(self.text):
            nxt = self.text[self.ptr]
            if nxt >= "0" and nxt not in "]}" and _is_identifier_part(nxt):
                raise self._invalid_token(word)

    def _invalid_token(self, matched: str) -> JsonParseError:
        token = [matched]
        length = len(matched)
        while self.ptr < len(self.text) and _is_identifier_part(self.text[self.ptr]):
            token.append(self.text[self.ptr])
            self.ptr += 1
            length += 1
            if length >= _MAX_TOKEN:
                token.append("...")
                break
        return self.error(f"Unrecognized token '{''.join(token)}': was expecting {_VALID_TOKENS}")

    def _number(self, first: str) -> Tok:
        start = self.ptr - 1
        text = self.text
        end = len(text)
        i = self.ptr
        if first == "-":
            if i >= end:
                self.ptr = i
                raise self._eof(" in a Number value")
            ch = text[i]
            if not "0" <= ch <= "9":
                self.ptr = i + 1
                raise self.error(f"Unexpected character ({_char_desc(ch)}) in numeric value: expected digit "
                                 "(0-9) to follow minus sign, for valid numeric value")
            i += 1
            first = ch
        if first == "0" and i < end and "0" <= text[i] <= "9":
            self.ptr = i
            raise self.error("Invalid numeric value: Leading zeroes not allowed")
        while i < end and "0" <= text[i] <= "9":
            i += 1
        token = Tok.INT
        if i < end and text[i] == ".":
            token = Tok.FLOAT
            i += 1
            digits = i
            while i < end and "0" <= text[i] <= "9":
                i += 1
            if i == digits:
                self.ptr = i + (1 if i < end else 0)
                if i >= end:
                    raise self._eof(" in a Number value")
                raise self.error(f"Unexpected character ({_char_desc(text[i])}) in numeric value: "
                                 "Decimal point not followed by a digit")
        if i < end and text[i] in "eE":
            token = Tok.FLOAT
            i += 1
            if i < end and text[i] in "+-":
                i += 1
            digits = i
            while i < end and "0" <= text[i] <= "9":
                i += 1
            if i == digits:
                self.ptr = i + (1 if i < end else 0)
                if i >= end:
                    raise self._eof(" in a Number value")
                raise self.error(f"Unexpected character ({_char_desc(text[i])}) in numeric value: "
                                 "Exponent indicator not followed by a digit")
        self.ptr = i
        self._number_text = text[start:i]
        if not self._stack:
            # Jackson checks that a root-level number is followed by white space (and eats one).
            if i < end:
                ch = text[i]
                self.ptr += 1
                if ch in "\r\n":
                    self._newline(ch)
                elif ch not in " \t":
                    raise self._unexpected(ch, "Expected space separating root-level values")
        return token

    def _parse_string(self, *, name: bool) -> str:
        """Read string content after its opening quote, up to and past the closing quote."""
        text = self.text
        end = len(text)
        out: list[str] = []
        i = self.ptr
        while True:
            j = i
            while j < end and text[j] not in '"\\' and text[j] >= " ":
                j += 1
            out.append(text[i:j])
            if j >= end:
                self.ptr = j
                if name:
                    raise self._eof(": was expecting closing '\"' for name")
                raise self._eof(": was expecting closing quote for a string value")
            ch = text[j]
            self.ptr = j + 1
            if ch == '"':
                break
            if ch != "\\":
                where = "name" if name else "string value"
                raise self.error(f"Illegal unquoted character ({_char_desc(ch)}): has to be escaped using "
                                 f"backslash to be included in {where}")
            out.append(self._escape())
            i = self.ptr
        value = "".join(out)
        if any("\ud800" <= c <= "\udfff" for c in value):
            value = _join_surrogates(value)
        return value

    def _escape(self) -> str:
        ch = self._read()
        if ch == "":
            raise self._eof(" in character escape sequence")
        simple = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
        if ch in simple:
            return simple[ch]
        if ch != "u":
            raise self.error(f"Unrecognized character escape {_char_desc(ch)}")
        code = 0
        for _ in range(4):
            digit = self._read()
            if digit == "":
                raise self._eof(" in character escape sequence")
            if digit not in "0123456789abcdefABCDEF":
                raise self._unexpected(digit, "expected a hex-digit for character escape sequence")
            code = code * 16 + int(digit, 16)
        return chr(code)

    def _finish_string(self) -> str:
        self._string_open = False
        self._string_value = self._parse_string(name=False)
        return self._string_value

    def get_text(self) -> str:
        """Jackson's ``getText()`` for the current token (finishing a lazily read string)."""
        token = self.current
        if token is Tok.STRING:
            if self._string_open:
                return self._finish_string()
            return self._string_value or ""
        if token is Tok.FIELD_NAME:
            return self.current_name or ""
        if token is not None and token.is_numeric:
            return self._number_text or ""
        return "" if token is None else token.value


def _join_surrogates(value: str) -> str:
    """Java strings are UTF-16: an escaped surrogate pair is one character."""
    out: list[str] = []
    i = 0
    while i < len(value):
        ch = value[i]
        if "\ud800" <= ch <= "\udbff" and i + 1 < len(value) and "\udc00" <= value[i + 1] <= "\udfff":
            out.append(chr(0x10000 + ((ord(ch) - 0xD800) << 10) + (ord(value[i + 1]) - 0xDC00)))
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)
