"""Check a handler's response against botocore's output shape (the lab's strict mode).

botocore never validates what a server returns; in strict mode the lab does, so a handler
that misspells a key or returns a string where AWS returns a timestamp fails loudly in tests
instead of handing learners a shape AWS would never send.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from botocore.utils import parse_timestamp

_SCALARS = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "boolean": (bool,),
    "timestamp": (datetime,),
    "blob": (bytes, bytearray),
}


class ShapeMismatch(AssertionError):
    """A response does not fit the operation's output shape."""


def check_shape(shape: Any, value: Any, path: str = "response") -> None:
    """Raise ``ShapeMismatch`` naming the first place ``value`` does not fit ``shape``."""
    if shape is None or value is None:
        return
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise ShapeMismatch(f"{path}: expected a structure, got {type(value).__name__}")
        for key, item in value.items():
            if key == "ResponseMetadata" and path == "response":
                continue
            if key not in shape.members:
                raise ShapeMismatch(f"{path}: {key!r} is not a member of {shape.name}")
            check_shape(shape.members[key], item, f"{path}.{key}")
    elif kind == "list":
        if not isinstance(value, list):
            raise ShapeMismatch(f"{path}: expected a list, got {type(value).__name__}")
        for index, item in enumerate(value):
            check_shape(shape.member, item, f"{path}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            raise ShapeMismatch(f"{path}: expected a map, got {type(value).__name__}")
        for key, item in value.items():
            check_shape(shape.value, item, f"{path}[{key!r}]")
    elif kind == "blob":
        # botocore hands payload blobs (S3 bodies, Lambda payloads) over as a StreamingBody
        if not isinstance(value, (bytes, bytearray)) and not hasattr(value, "read"):
            raise ShapeMismatch(f"{path}: expected bytes or a streaming body, got {type(value).__name__}")
    elif kind in _SCALARS:
        expected = _SCALARS[kind]
        if kind in ("integer", "long", "float", "double") and isinstance(value, bool):
            raise ShapeMismatch(f"{path}: expected {kind}, got bool")
        if not isinstance(value, expected):
            raise ShapeMismatch(f"{path}: expected {kind}, got {type(value).__name__} {value!r}")
        if kind == "timestamp" and value.tzinfo is None:
            raise ShapeMismatch(f"{path}: timestamps must be timezone-aware")
        if kind == "string" and shape.enum and value not in shape.enum:
            raise ShapeMismatch(f"{path}: {value!r} is not one of {shape.enum}")


def normalise_input(shape: Any, value: Any) -> Any:
    """A copy of the caller's parameters with timestamps as aware UTC datetimes.

    botocore accepts a timestamp as a datetime, an ISO-8601 string or epoch seconds, and
    serialises it itself; handlers get one form, the one botocore's own parser produces.
    """
    if shape is None or value is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {key: normalise_input(shape.members.get(key), item) for key, item in value.items()}
    if kind == "list" and isinstance(value, (list, tuple)):
        return [normalise_input(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: normalise_input(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        parsed = value if isinstance(value, datetime) else parse_timestamp(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    return value
