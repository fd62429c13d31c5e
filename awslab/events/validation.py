"""The request constraints botocore leaves to the server: maximum lengths, patterns, enums and ranges.

botocore checks types, required members and minimum lengths on the client; AWS's service frontend
checks the rest of the model and answers ``ValidationException`` with every violation at once, in
the Coral wording (recorded AWS answers, LocalStack ``tests/aws/services/events/test_events.snapshot.json``)::

    1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy
    constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+

Members are named in lowerCamelCase, list members as ``name.N.member`` (1-based); a value is shown as
Java's ``toString`` shows it (lists as ``[a, b]``, structures as ``Shape(member=value, ...)``).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import botocore.session

from ..errors import AWSError

__all__ = ["check_constraints", "validation_exception"]

# PutEventsRequestEntry's Java model carries two members botocore's model does not list.
_EXTRA_MEMBERS = {"PutEventsRequestEntry": ("kmsKeyIdentifier", "internalMetadata")}


@lru_cache(maxsize=1)
def _model() -> Any:
    return botocore.session.get_session().get_service_model("events")


def validation_exception(problems: list[str]) -> AWSError:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return AWSError("ValidationException", f"{count} validation {noun} detected: " + "; ".join(problems))


def check_constraints(operation: str, params: dict[str, Any]) -> None:
    """Raise AWS's ``ValidationException`` if ``params`` break a constraint of ``operation``'s model."""
    try:
        shape = _model().operation_model(operation).input_shape
    except Exception:  # noqa: BLE001 - an operation botocore does not know has nothing to check
        return
    if shape is None:
        return
    problems: list[str] = []
    _walk(shape, params, "", problems)
    if problems:
        raise validation_exception(problems)


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _walk(shape: Any, value: Any, path: str, problems: list[str]) -> None:
    if value is None:
        return
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                where = f"{path}.{_camel(name)}" if path else _camel(name)
                _walk(member, value[name], where, problems)
        return
    meta = shape.metadata
    if kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(_problem(shape, value, path, _at_most(meta["max"])))
        for index, item in enumerate(value, start=1):
            _walk(shape.member, item, f"{path}.{index}.member", problems)
        return
    if kind == "string" and isinstance(value, str):
        if "max" in meta and len(value) > meta["max"]:
            problems.append(_problem(shape, value, path, _at_most(meta["max"])))
        pattern = _pattern(meta["pattern"]) if "pattern" in meta else None
        if pattern is not None and not pattern.fullmatch(value):
            problems.append(_problem(shape, value, path,
                                     f"Member must satisfy regular expression pattern: {meta['pattern']}"))
        if shape.enum and value not in shape.enum:
            problems.append(_problem(shape, value, path,
                                     f"Member must satisfy enum value set: [{', '.join(shape.enum)}]"))
        return
    if kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
        if "max" in meta and value > meta["max"]:
            problems.append(_problem(shape, value, path, f"Member must have value less than or equal to {meta['max']}"))
        if "min" in meta and value < meta["min"]:
            problems.append(_problem(shape, value, path,
                                     f"Member must have value greater than or equal to {meta['min']}"))


def _at_most(limit: int) -> str:
    return f"Member must have length less than or equal to {limit}"


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str] | None:
    """The model's (Java) pattern as a Python regex; None for the few Python cannot read (``\\p{L}``)."""
    try:
        return re.compile(text, re.DOTALL)
    except re.error:
        return None


def _problem(shape: Any, value: Any, path: str, rule: str) -> str:
    return f"Value '{_java(shape, value)}' at '{path}' failed to satisfy constraint: {rule}"


def _java(shape: Any, value: Any) -> str:
    """A value as the Java model's ``toString`` writes it."""
    if value is None:
        return "null"
    if shape is not None and shape.type_name == "structure" and isinstance(value, dict):
        parts = [f"{_camel(name)}={_java(member, value.get(name))}" for name, member in shape.members.items()]
        parts += [f"{name}=null" for name in _EXTRA_MEMBERS.get(shape.name, ())]
        return f"{shape.name}({', '.join(parts)})"
    if isinstance(value, list):
        member = shape.member if shape is not None and shape.type_name == "list" else None
        return "[" + ", ".join(_java(member, item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_java(None, item)}" for key, item in value.items()) + "}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%a %b %d %H:%M:%S UTC %Y")   # java.util.Date
    return str(value)
