"""Reading what can still be read of a damaged file: only ever run on a file DuckDB rejected."""

from __future__ import annotations

import json
import os
import re
import zlib
from pathlib import Path


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def uncompressed_size(path: str) -> int:
    """A gzip file's uncompressed size from its trailer (ISIZE, modulo 2**32), else its size."""
    try:
        with open(path, "rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return _size(path)
            handle.seek(-4, os.SEEK_END)
            return int.from_bytes(handle.read(4), "little")
    except OSError:
        return 0


def read_tolerantly(path: str) -> tuple[bytes, str | None]:
    """The file's bytes, gunzipped when it is gzip; stops at the first damaged byte and says so."""
    raw = Path(path).read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw, None
    out: list[bytes] = []
    rest = raw
    while rest:
        inflater = zlib.decompressobj(wbits=31)
        try:
            for offset in range(0, len(rest), 1 << 16):
                out.append(inflater.decompress(rest[offset:offset + (1 << 16)]))
                if inflater.eof:
                    break
        except zlib.error as error:
            return b"".join(out), f"damaged gzip data ({error})"
        if not inflater.eof:
            out.append(inflater.flush())
            return b"".join(out), "the gzip stream ends early: the file is truncated"
        rest = inflater.unused_data  # a file may hold several gzip members
    return b"".join(out), None


_CONTAINER = re.compile(r'\s*(?:\{\s*"Records"\s*:\s*\[|\[)')


def complete_records(text: str) -> tuple[str | None, list[str], int]:
    """For a cut-short ``{"Records": [`` or ``[`` document: its shape, the texts of the complete
    elements before the cut, and where reading stopped. Runs only on a damaged file."""
    match = _CONTAINER.match(text)
    if not match:
        return None, [], 0
    shape = "Records" if "Records" in match.group(0) else "array"
    decoder = json.JSONDecoder()
    records: list[str] = []
    position = match.end()
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            break
        try:
            _, end = decoder.raw_decode(text, position)
        except ValueError:
            break
        records.append(text[position:end])
        position = end
    return shape, records, len(text[:position].encode("utf-8"))
